"""Elementwise arithmetic and casts (matrix products are in ``linalg_func``, comparisons and
logical predicates in ``comparison_func``, statistics over axes in ``reduction_func``)."""
import numpy as np

from ...common import dtype as mstype
from ...common.tensor import Tensor
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor

__all__ = ["clip", "clip_by_value", "floor_mod", "depend", "TENSOR_METHODS"]


def _binary_inputs(op, input, other, broadcast=True):  # noqa: A002  (MindSpore's names)
    """Two Tensors; a Python/numpy scalar on either side takes the other side's dtype."""
    problems = Problems(op)
    if not isinstance(input, Tensor) and isinstance(other, Tensor):
        input = as_tensor(op, "input", input, problems, like=other)
    else:
        input = as_tensor(op, "input", input, problems)
        if input is not None:
            other = as_tensor(op, "other", other, problems, like=input)
    problems.raise_if_any()
    if broadcast and input.shape != other.shape:
        try:
            np.broadcast_shapes(input.shape, other.shape)
        except ValueError:
            raise ValueError(f"For '{op}', the shapes {tuple(input.shape)} and "
                             f"{tuple(other.shape)} cannot be broadcast together.") from None
    return input, other


def _apply_float32(cls, inputs, attrs):
    """BFloat16 inputs (stored as raw uint16 bits) computed in Float32; a float result goes back
    to BFloat16, as MindSpore's BFloat16 arithmetic."""
    wide = [Tensor(t, mstype.float32) if t._dtype is mstype.bfloat16 else t for t in inputs]
    out = cls.apply(*wide, **attrs)
    if out._data.dtype.kind == "f":
        return Tensor(out, mstype.bfloat16)
    return out


def _call_checked(cls, inputs, attrs):
    if any(t._dtype is mstype.bfloat16 for t in inputs):
        return _apply_float32(cls, inputs, attrs)
    return cls.apply(*inputs, **attrs)


class _Binary(Function):
    @classmethod
    def check(cls, input, other):  # noqa: A002
        return _binary_inputs(cls.name, input, other), {}

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        return _call_checked(cls, inputs, attrs)


class Add(_Binary):
    """input + other, broadcasting."""
    name, primitives = "add", {"Add": Primitive()}

    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, dy):
        return dy, dy


class Sub(_Binary):
    """input - other, broadcasting."""
    name, primitives = "sub", {"Sub": Primitive()}

    def forward(self, a, b):
        return np.subtract(a, b)

    def backward(self, dy):
        return dy, -dy


class Mul(_Binary):
    """input * other, broadcasting."""
    name, primitives = "mul", {"Mul": Primitive()}

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, dy):
        return (dy * self.b if self.needs[0] else None), (dy * self.a if self.needs[1] else None)


class Div(_Binary):
    """input / other, broadcasting; integer tensors divide as Float32."""
    name, primitives = "div", {"Div": Primitive(), "RealDiv": Primitive()}

    @classmethod
    def check(cls, input, other):  # noqa: A002
        a, b = _binary_inputs(cls.name, input, other)
        if a._data.dtype.kind in "iub" and b._data.dtype.kind != "f":
            a = Cast.call(a, mstype.float32)
        return (a, b), {}

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, dy):
        db = -dy * self.a / (self.b * self.b) if self.needs[1] else None
        return dy / self.b, db


class Maximum(_Binary):
    """Elementwise maximum; on ties the gradient goes to ``input``."""
    name, primitives = "maximum", {"Maximum": Primitive()}

    def forward(self, a, b):
        self.mask = a >= b
        return np.maximum(a, b)

    def backward(self, dy):
        return dy * self.mask, dy * ~self.mask


class Minimum(_Binary):
    """Elementwise minimum; on ties the gradient goes to ``input``."""
    name, primitives = "minimum", {"Minimum": Primitive()}

    def forward(self, a, b):
        self.mask = a <= b
        return np.minimum(a, b)

    def backward(self, dy):
        return dy * self.mask, dy * ~self.mask


class _Unary(Function):
    @classmethod
    def check(cls, input):  # noqa: A002
        return (as_tensor(cls.name, "input", input),), {}

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        return _call_checked(cls, inputs, attrs)


class Neg(_Unary):
    """-input."""
    name, primitives = "neg", {"Neg": Primitive()}

    def forward(self, a):
        return np.negative(a)

    def backward(self, dy):
        return (-dy,)


class Exp(_Unary):
    """e ** input."""
    name, tensor_methods, primitives = "exp", ("exp",), {"Exp": Primitive()}

    def forward(self, a):
        self.y = np.exp(a)
        return self.y

    def backward(self, dy):
        return (dy * self.y,)


class Log(_Unary):
    """Natural logarithm."""
    name, tensor_methods, primitives = "log", ("log",), {"Log": Primitive()}

    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, dy):
        return (dy / self.a,)


class Sqrt(_Unary):
    """Square root."""
    name, tensor_methods, primitives = "sqrt", ("sqrt",), {"Sqrt": Primitive()}

    def forward(self, a):
        self.y = np.sqrt(a)
        return self.y

    def backward(self, dy):
        return (dy / (2 * self.y),)


class Abs(_Unary):
    """|input|; the gradient at 0 is 0."""
    name, tensor_methods, primitives = "abs", ("abs", "__abs__"), {"Abs": Primitive()}

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, dy):
        return (dy * np.sign(self.a),)


class Sigmoid(_Unary):
    """1 / (1 + e ** -input)."""
    name, primitives = "sigmoid", {"Sigmoid": Primitive()}

    def forward(self, a):
        self.y = (1.0 / (1.0 + np.exp(-a))).astype(a.dtype, copy=False)
        return self.y

    def backward(self, dy):
        return (dy * self.y * (1 - self.y),)


class Tanh(_Unary):
    """Hyperbolic tangent."""
    name, primitives = "tanh", {"Tanh": Primitive()}

    def forward(self, a):
        self.y = np.tanh(a)
        return self.y

    def backward(self, dy):
        return (dy * (1 - self.y * self.y),)


class Pow(Function):
    """input ** exponent, either side a Tensor or a number (broadcasting). A number exponent is
    an attribute; a Tensor exponent gets the gradient input ** exponent * log(input)."""
    name, primitives = "pow", {"Pow": Primitive()}

    @classmethod
    def check(cls, input, exponent):  # noqa: A002
        if isinstance(exponent, Tensor) and exponent.ndim == 0 and isinstance(input, Tensor) \
                and exponent._dtype is not mstype.bfloat16:
            exponent = exponent.item()
        if isinstance(exponent, Tensor) or not isinstance(input, Tensor):
            return _binary_inputs("pow", input, exponent), {}
        x = as_tensor("pow", "input", input)
        if not isinstance(exponent, (int, float, np.number, bool)):
            raise TypeError(f"For 'pow', 'exponent' must be a number or a Tensor, but got "
                            f"{type(exponent).__name__}.")
        return (x,), {"p": exponent}

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        return _call_checked(cls, inputs, attrs)

    def forward(self, a, b=None, p=None):
        self.a, self.b, self.p = a, b, p
        if b is None:
            self.y = np.power(a, p).astype(a.dtype, copy=False)
        else:
            self.y = np.power(a, b)
        return self.y

    def backward(self, dy):
        a, b = self.a, self.b
        if b is None:
            return (dy * self.p * np.power(a, self.p - 1).astype(a.dtype, copy=False),)
        da = dy * b * np.power(a, b - 1) if self.needs[0] else None
        db = None
        if self.needs[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                db = dy * np.where(a > 0, self.y * np.log(np.where(a > 0, a, 1)), 0)
        return da, db


class FloorMod(_Binary):
    """input - floor(input / other) * other: the remainder with the divisor's sign (Python's
    ``%``). Gradient 1 for input and -floor(input / other) for other."""
    name, primitives = "remainder", {"FloorMod": Primitive()}
    tensor_methods = ("__mod__", "remainder")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.mod(a, b)

    def backward(self, dy):
        db = -dy * np.floor_divide(self.a, self.b) if self.needs[1] else None
        return dy, db


class Sign(_Unary):
    """-1, 0 or 1 by the sign of input. Not differentiable (its derivative is 0 almost
    everywhere; used next to other inputs it acts as a constant)."""
    name, differentiable = "sign", False
    primitives, tensor_methods = {"Sign": Primitive()}, ("sign",)

    def forward(self, a):
        return np.sign(a)


class Round(_Unary):
    """input rounded to the nearest integer, halves to even (as MindSpore's Round). Not
    differentiable."""
    name, differentiable = "round", False
    primitives, tensor_methods = {"Round": Primitive()}, ("round",)

    def forward(self, a):
        return np.round(a)


class Floor(_Unary):
    """floor(input). Not differentiable."""
    name, differentiable = "floor", False
    primitives, tensor_methods = {"Floor": Primitive()}, ("floor",)

    def forward(self, a):
        return np.floor(a)


class Clamp(Function):
    """input clipped to [min, max] (either may be None, not both); numbers or Tensors that
    broadcast to input. The gradient passes where min <= input <= max."""
    name, tensor_methods = "clamp", ("clamp", "clip")

    @classmethod
    def check(cls, input, min=None, max=None):  # noqa: A002
        x = as_tensor("clamp", "input", input)
        if min is None and max is None:
            raise ValueError("For 'clamp', 'min' and 'max' cannot both be None.")
        for name, v in (("min", min), ("max", max)):
            if v is not None and not isinstance(v, (Tensor, int, float, np.number)):
                raise TypeError(f"For 'clamp', '{name}' must be a number, a Tensor or None, but "
                                f"got {type(v).__name__}.")
        return (x,), {"lo": min, "hi": max}

    @classmethod
    def call(cls, *args, **kwargs):
        (x,), attrs = cls.check(*args, **kwargs)
        lo, hi = attrs["lo"], attrs["hi"]
        if isinstance(lo, Tensor) or isinstance(hi, Tensor):
            # Tensor bounds get their own gradients: max(x, lo) then min(., hi).
            for v in (lo, hi):
                if isinstance(v, Tensor):
                    _binary_inputs("clamp", x, v)
            y = x if lo is None else Maximum.call(x, lo)
            y = y if hi is None else Minimum.call(y, hi)
            if tuple(y.shape) != tuple(x.shape):
                raise ValueError(f"For 'clamp', the bounds would broadcast the input of shape "
                                 f"{tuple(x.shape)} to {tuple(y.shape)}.")
            return y
        return _call_checked(cls, (x,), attrs)

    def forward(self, a, lo, hi):
        keep = np.ones(a.shape, dtype=bool)
        y = a
        if lo is not None:
            keep = keep & (a >= lo)
            y = np.maximum(y, lo)
        if hi is not None:
            keep = keep & (a <= hi)
            y = np.minimum(y, hi)
        self.keep = keep
        return np.ascontiguousarray(y.astype(a.dtype, copy=False))

    def backward(self, dy):
        return (dy * self.keep,)


def clip(input, min=None, max=None):  # noqa: A002
    """``input`` clipped to [min, max] (the same as ``ops.clamp``)."""
    return Clamp.call(input, min, max)


def clip_by_value(x, clip_value_min=None, clip_value_max=None):
    """``x`` clipped to [clip_value_min, clip_value_max] (MindSpore's older name)."""
    return Clamp.call(x, clip_value_min, clip_value_max)


def floor_mod(x, y):
    """Python-style remainder (``ops.floor_mod``; ``ops.remainder`` and ``%`` are the same)."""
    return FloorMod.call(x, y)


class Cast(Function):
    """``input`` converted to ``dtype``; differentiable between float types."""
    name, primitives = "cast", {"Cast": Primitive()}
    tensor_methods = {"float": lambda fn, self: fn(self, mstype.float32),
                      "double": lambda fn, self: fn(self, mstype.float64),
                      "half": lambda fn, self: fn(self, mstype.float16),
                      "int": lambda fn, self: fn(self, mstype.int32),
                      "long": lambda fn, self: fn(self, mstype.int64),
                      "bool": lambda fn, self: fn(self, mstype.bool_)}

    @classmethod
    def check(cls, input, dtype):  # noqa: A002
        x = as_tensor("cast", "input", input)
        if not isinstance(dtype, mstype.Type):
            dtype = mstype.nptype_to_dtype(dtype)
        return (x,), {"dtype": dtype}

    @classmethod
    def call(cls, input, dtype):  # noqa: A002
        (x,), attrs = cls.check(input, dtype)
        dtype = attrs["dtype"]
        if dtype is x._dtype:
            return x
        if dtype is mstype.bfloat16 or x._dtype is mstype.bfloat16:
            return Tensor(x, dtype)
        out = cls.apply(x, np_dtype=dtype.np_dtype)
        out._dtype = dtype
        return out

    def forward(self, a, np_dtype):
        self.src = a.dtype
        return a.astype(np_dtype)

    def backward(self, dy):
        return (dy.astype(self.src),) if self.src.kind == "f" else (None,)


def depend(value, expr):
    """``value`` unchanged (MindSpore's execution-order hint; eager code runs in order)."""
    return value


# ---- more elementwise ops ------------------------------------------------------------------------
class Square(_Unary):
    """input * input."""
    name, primitives = "square", {"Square": Primitive()}
    tensor_methods = ("square",)

    def forward(self, a):
        self.a = a
        return np.square(a)

    def backward(self, dy):
        return (2 * dy * self.a,)


class Rsqrt(_Unary):
    """1 / sqrt(input)."""
    name, primitives, tensor_methods = "rsqrt", {"Rsqrt": Primitive()}, ("rsqrt",)

    def forward(self, a):
        self.y = (1 / np.sqrt(a)).astype(a.dtype, copy=False)
        return self.y

    def backward(self, dy):
        return (-0.5 * dy * self.y ** 3,)


class Sin(_Unary):
    """sin(input)."""
    name, primitives, tensor_methods = "sin", {"Sin": Primitive()}, ("sin",)

    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, dy):
        return (dy * np.cos(self.a),)


class Cos(_Unary):
    """cos(input)."""
    name, primitives, tensor_methods = "cos", {"Cos": Primitive()}, ("cos",)

    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, dy):
        return (-dy * np.sin(self.a),)


class Log1p(_Unary):
    """log(1 + input), accurate near 0."""
    name, primitives, tensor_methods = "log1p", {"Log1p": Primitive()}, ("log1p",)

    def forward(self, a):
        self.a = a
        return np.log1p(a)

    def backward(self, dy):
        return (dy / (1 + self.a),)


class FloorDiv(_Binary):
    """floor(input / other). Not differentiable."""
    name, differentiable = "floor_divide", False
    primitives, tensor_methods = {"FloorDiv": Primitive()}, ("__floordiv__",)

    def forward(self, a, b):
        return np.floor_divide(a, b)


class Ceil(_Unary):
    """ceil(input). Not differentiable."""
    name, differentiable = "ceil", False
    primitives, tensor_methods = {"Ceil": Primitive()}, ("ceil",)

    def forward(self, a):
        return np.ceil(a)


class Reciprocal(_Unary):
    """1 / input."""
    name, primitives, tensor_methods = "reciprocal", {"Reciprocal": Primitive()}, ("reciprocal",)

    def forward(self, a):
        self.y = np.reciprocal(a.astype(np.float32) if a.dtype.kind in "iub" else a)
        return self.y

    def backward(self, dy):
        return (-dy * self.y * self.y,)


class Log2(_Unary):
    """Base-2 logarithm."""
    name, primitives, tensor_methods = "log2", {"Log2": Primitive()}, ("log2",)

    def forward(self, a):
        self.a = a
        return np.log2(a)

    def backward(self, dy):
        return (dy / (self.a * np.log(2.0)).astype(dy.dtype, copy=False),)


class Log10(_Unary):
    """Base-10 logarithm."""
    name, primitives, tensor_methods = "log10", {"Log10": Primitive()}, ("log10",)

    def forward(self, a):
        self.a = a
        return np.log10(a)

    def backward(self, dy):
        return (dy / (self.a * np.log(10.0)).astype(dy.dtype, copy=False),)


# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "add": lambda self, other: Add.call(self, other),
    "sub": lambda self, other: Sub.call(self, other),
    "mul": lambda self, other: Mul.call(self, other),
    "div": lambda self, other: Div.call(self, other),
    "pow": lambda self, exponent: Pow.call(self, exponent),
    "neg": lambda self: Neg.call(self),
    "maximum": lambda self, other: Maximum.call(self, other),
    "minimum": lambda self, other: Minimum.call(self, other),
}
