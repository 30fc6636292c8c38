"""Elementwise arithmetic, comparisons, casts and matrix products."""
import numpy as np

from ...common import dtype as mstype
from ...common.tensor import Tensor
from .._blas import matmul as _matmul
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor

__all__ = ["square"]


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


class _Binary(Function):
    @classmethod
    def check(cls, input, other):  # noqa: A002
        return _binary_inputs(cls.name, input, other), {}


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


class MatMul(_Binary):
    """Matrix product with numpy's broadcasting rules (1-D operands as vectors)."""
    name = "matmul"
    primitives = {"MatMul": Primitive(
        {"transpose_a": False, "transpose_b": False},
        call=lambda fn, p, a, b: fn(a.T if p.transpose_a else a, b.T if p.transpose_b else b))}

    @classmethod
    def check(cls, input, other):  # noqa: A002
        return _binary_inputs("matmul", input, other, broadcast=False), {}

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"For 'matmul', the operands must be at least 1-D, but got shapes "
                             f"{a.shape} and {b.shape}.")
        try:
            return _matmul(a, b)
        except ValueError:
            raise ValueError(f"For 'matmul', the shapes {a.shape} and {b.shape} do not match "
                             f"(the last axis of the first must equal the second-to-last of the "
                             f"second).") from None

    def backward(self, dy):
        a, b = self.a, self.b
        da = db = None
        if self.needs[0]:
            if a.ndim == 1 and b.ndim == 1:
                da = dy * b
            elif b.ndim == 1:
                da = np.multiply.outer(dy, b)
            elif a.ndim == 1:
                da = _matmul(b, dy[..., None])[..., 0] if dy.ndim else b @ dy
            else:
                da = _matmul(dy, np.swapaxes(b, -1, -2))
        if self.needs[1]:
            if a.ndim == 1 and b.ndim == 1:
                db = dy * a
            elif a.ndim == 1:
                db = np.multiply.outer(a, dy)
            elif b.ndim == 1:
                db = np.einsum("...i,...->i", a, dy)
            else:
                db = _matmul(np.swapaxes(a, -1, -2), dy)
        return da, db


class _Unary(Function):
    @classmethod
    def check(cls, input):  # noqa: A002
        return (as_tensor(cls.name, "input", input),), {}


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
    """input ** exponent for a scalar exponent (a Python number or a 0-d Tensor)."""
    name, primitives = "pow", {"Pow": Primitive()}

    @classmethod
    def check(cls, input, exponent):  # noqa: A002
        x = as_tensor("pow", "input", input)
        if isinstance(exponent, Tensor):
            if exponent.ndim:
                raise TypeError(f"For 'pow', the exponent must be a scalar, but got a Tensor of "
                                f"shape {tuple(exponent.shape)}.")
            exponent = exponent.item()
        return (x,), {"p": exponent}

    def forward(self, a, p):
        self.a, self.p = a, p
        return np.power(a, p).astype(a.dtype, copy=False)

    def backward(self, dy):
        return (dy * self.p * np.power(self.a, self.p - 1).astype(self.a.dtype, copy=False),)


class Cast(Function):
    """``input`` converted to ``dtype``; differentiable between float types."""
    name, primitives = "cast", {"Cast": Primitive()}

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


class _Compare(_Binary):
    differentiable = False

    def forward(self, a, b):
        return np.asarray(self.ufunc(a, b))

    @classmethod
    def call(cls, input, other):  # noqa: A002
        out = super().call(input, other)
        out._dtype = mstype.bool_
        return out


def _compare(name, ufunc, prim, dunder):
    cls = type(prim, (_Compare,), {"name": name, "ufunc": staticmethod(ufunc),
                                   "primitives": {prim: Primitive()},
                                   "tensor_methods": (dunder,),
                                   "__doc__": f"Elementwise ``{ufunc.__name__}``, a Bool Tensor "
                                              f"(not differentiable)."})
    cls.__module__ = __name__
    return cls


Equal = _compare("equal", np.equal, "Equal", "__eq__")
NotEqual = _compare("ne", np.not_equal, "NotEqual", "__ne__")
Less = _compare("less", np.less, "Less", "__lt__")
LessEqual = _compare("less_equal", np.less_equal, "LessEqual", "__le__")
Greater = _compare("greater", np.greater, "Greater", "__gt__")
GreaterEqual = _compare("greater_equal", np.greater_equal, "GreaterEqual", "__ge__")


def square(input):  # noqa: A002
    """input * input."""
    return Mul.call(input, input)
