"""Shape, indexing, joining and reduction primitives."""
import builtins

import numpy as np

from ...common import dtype as mstype
from ...common.tensor import Tensor, _contiguous
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor
from .math_func import Cast, _binary_inputs, _call_checked

__all__ = ["flatten", "sum", "mean", "stop_gradient", "full", "full_like", "arange", "linspace",
           "select", "min", "max", "gather_d", "permute", "masked_fill", "numel", "rank", "size",
           "fill", "print_", "Rank", "Size", "Fill", "Print", "L2Normalize", "eye", "chunk", "unbind",
           "narrow", "TENSOR_METHODS"]

# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "flatten": lambda self, order="C", *, start_dim=0, end_dim=-1:
        flatten(self, order, start_dim=start_dim, end_dim=end_dim),
    "masked_fill": lambda self, mask, value: masked_fill(self, mask, value),
    "permute": lambda self, *axis: Transpose.call(self, _shape_arg(axis)),
}


class Reshape(Function):
    """``input`` with a new shape (one entry may be -1), same values in C order."""
    name, primitives = "reshape", {"Reshape": Primitive()}
    tensor_methods = {"reshape": lambda fn, self, *shape: fn(self, _shape_arg(shape)),
                      "view": lambda fn, self, *shape: fn(self, _shape_arg(shape))}

    @classmethod
    def check(cls, input, shape):  # noqa: A002
        x = as_tensor("reshape", "input", input)
        try:
            shape = tuple(int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        except (TypeError, ValueError):
            raise TypeError(f"For 'reshape', 'shape' must be a tuple of ints, but got "
                            f"{shape!r}.") from None
        if not _reshapable(x.size, shape):
            raise ValueError(f"For 'reshape', a tensor of shape {tuple(x.shape)} ({x.size} "
                             f"elements) cannot be reshaped to {shape}.")
        return (x,), {"shape": shape}

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, dy):
        return (dy.reshape(self.shape),)


_max = builtins.max  # this module defines ops.max / ops.min


def _reshapable(size, shape):
    free = [s for s in shape if s == -1]
    if len(free) > 1 or any(s < -1 for s in shape):
        return False
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if free:
        return known != 0 and size % known == 0
    return known == size


def _shape_arg(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


class Transpose(Function):
    """``input`` with its axes permuted (reversed when ``input_perm`` is None)."""
    name, primitives = "transpose", {"Transpose": Primitive()}
    tensor_methods = {"transpose": lambda fn, self, *axes: fn(self, _shape_arg(axes) or None)}

    @classmethod
    def check(cls, input, input_perm=None):  # noqa: A002
        x = as_tensor("transpose", "input", input)
        if input_perm is not None:
            perm = tuple(int(a) for a in input_perm)
            if sorted(p % _max(x.ndim, 1) for p in perm) != list(range(x.ndim)):
                raise ValueError(f"For 'transpose', 'input_perm' must be a permutation of "
                                 f"{tuple(range(x.ndim))}, but got {perm} for shape "
                                 f"{tuple(x.shape)}.")
            input_perm = tuple(p % x.ndim for p in perm)
        return (x,), {"axes": input_perm}

    def forward(self, a, axes):
        self.axes = axes
        return _contiguous(np.transpose(a, axes))

    def backward(self, dy):
        inv = None if self.axes is None else tuple(np.argsort(self.axes))
        return (_contiguous(np.transpose(dy, inv)),)


class GetItem(Function):
    """``input[index]``: ints, slices, None, Ellipsis, bool masks and integer arrays."""
    name, tensor_methods = "getitem", ("__getitem__",)

    @classmethod
    def check(cls, input, index):  # noqa: A002
        if isinstance(index, Tensor):
            index = index._data
        elif isinstance(index, tuple):
            index = tuple(i._data if isinstance(i, Tensor) else i for i in index)
        return (input,), {"index": index}

    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        try:
            return _contiguous(a[index])
        except IndexError as e:
            raise IndexError(f"For 'getitem', index {index!r} is out of range for shape "
                             f"{a.shape}: {e}.") from None

    def backward(self, dy):
        g = np.zeros(self.shape, dtype=dy.dtype)
        np.add.at(g, self.index, dy)
        return (g,)


def _axis(op, axis, ndim):
    """None (all axes), an int or a tuple of ints, each in [-ndim, ndim)."""
    if axis is None or axis == () or axis == []:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -_max(ndim, 1) <= a < _max(ndim, 1):
            raise ValueError(f"For '{op}', 'axis' {axis!r} is out of range for a {ndim}-D "
                             f"input.")
    return tuple(int(a) % _max(ndim, 1) for a in axes)


class _Reduce(Function):
    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        return (x,), {"axis": _axis(cls.name, axis, x.ndim), "keepdims": bool(keep_dims)}

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        return _call_checked(cls, inputs, attrs)  # BFloat16 reduces in Float32

    def _expand(self, dy):
        if not self.keepdims and self.axis is not None:
            dy = np.expand_dims(dy, self.axis)
        return dy


def _reduce_primitive():
    return Primitive({"keep_dims": False},
                     call=lambda fn, p, x, axis=(): fn(x, axis, p.keep_dims))


class ReduceSum(_Reduce):
    """Sum over ``axis`` (all axes when None or ())."""
    name, primitives = "reduce_sum", {"ReduceSum": _reduce_primitive()}
    tensor_methods = {"sum": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}

    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return _contiguous(np.sum(a, axis=axis, keepdims=keepdims, dtype=a.dtype))

    def backward(self, dy):
        return (np.broadcast_to(self._expand(dy), self.shape).copy(),)


class ReduceMean(_Reduce):
    """Mean over ``axis`` (all axes when None or ())."""
    name, primitives = "reduce_mean", {"ReduceMean": _reduce_primitive()}
    tensor_methods = {"mean": lambda fn, self, axis=None, keep_dims=False:
                      fn(self, axis, keep_dims)}

    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        out = np.mean(a, axis=axis, keepdims=keepdims)
        self.count = a.size // _max(out.size, 1) if a.size else 1
        return _contiguous(out.astype(a.dtype, copy=False))

    def backward(self, dy):
        return ((np.broadcast_to(self._expand(dy), self.shape) / self.count).astype(dy.dtype),)


class _ReduceExtreme(_Reduce):
    """Max/min over ``axis``; the gradient is shared equally among tied extremes (MindSpore's
    ReduceMax/ReduceMin rule)."""

    def forward(self, a, axis, keepdims):
        self.a, self.axis, self.keepdims = a, axis, keepdims
        self.y = self.reduce(a, axis=axis, keepdims=True)
        out = self.y if keepdims else (self.y.reshape(()) if axis is None
                                       else np.squeeze(self.y, axis))
        return _contiguous(out)

    def backward(self, dy):
        hit = self.a == self.y
        share = hit / hit.sum(axis=self.axis, keepdims=True)
        return ((share * self._expand(dy)).astype(dy.dtype, copy=False),)


class ReduceMax(_ReduceExtreme):
    """Maximum over ``axis`` (all axes when None or ())."""
    name, reduce = "reduce_max", staticmethod(np.max)
    primitives = {"ReduceMax": _reduce_primitive()}
    tensor_methods = {"max": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}


class ReduceMin(_ReduceExtreme):
    """Minimum over ``axis`` (all axes when None or ())."""
    name, reduce = "reduce_min", staticmethod(np.min)
    primitives = {"ReduceMin": _reduce_primitive()}
    tensor_methods = {"min": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}


def _arg_primitive():
    return Primitive({"axis": -1, "output_type": mstype.int32},
                     call=lambda fn, p, x: Cast.call(fn(x, p.axis), p.output_type))


class Argmax(Function):
    """Index of the maximum along ``dim`` (over the flattened input when None), Int64 (the 1.x
    primitive ``Argmax(axis=-1, output_type=mstype.int32)`` gives Int32). Not differentiable."""
    name, differentiable = "argmax", False
    primitives = {"Argmax": _arg_primitive()}
    tensor_methods = {"argmax": lambda fn, self, axis=None, keepdims=False: fn(self, axis,
                                                                               keepdims)}
    pick = staticmethod(np.argmax)

    @classmethod
    def check(cls, input, dim=None, keepdim=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        if dim is not None:
            dim = _axis(cls.name, dim, x.ndim)[0]
        return (x,), {"axis": dim, "keepdims": bool(keepdim)}

    def forward(self, a, axis, keepdims):
        if a.size == 0:
            raise ValueError(f"For '{self.name}', the input is empty (shape {a.shape}).")
        return _contiguous(self.pick(a, axis=axis, keepdims=keepdims).astype(np.int64))


class Argmin(Argmax):
    """Index of the minimum along ``axis`` (over the flattened input when None), Int64 (the 1.x
    primitive ``Argmin(axis=-1, output_type=mstype.int32)`` gives Int32). Not differentiable."""
    name, primitives = "argmin", {"Argmin": _arg_primitive()}
    tensor_methods = ("argmin",)
    pick = staticmethod(np.argmin)

    @classmethod
    def check(cls, input, axis=None, keepdims=False):  # noqa: A002
        return super().check(input, axis, keepdims)


class Concat(Function):
    """Join tensors along ``axis``; all other dimensions must match."""
    name = "concat"
    primitives = {"Concat": Primitive({"axis": 0}, call=lambda fn, p, xs: fn(xs, p.axis))}

    @classmethod
    def check(cls, tensors, axis=0):
        problems = Problems("concat")
        xs = [as_tensor("concat", f"tensors[{i}]", t, problems) for i, t in enumerate(tensors)]
        problems.raise_if_any()
        if not xs:
            raise ValueError("For 'concat', 'tensors' must not be empty.")
        nd = xs[0].ndim
        axis = _axis("concat", axis, nd)[0]
        shapes = [tuple(t.shape) for t in xs]
        for s in shapes:
            if len(s) != nd or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]:
                raise ValueError(f"For 'concat', every tensor must match the others except on "
                                 f"axis {axis}, but got shapes {shapes}.")
        return tuple(xs), {"axis": axis}

    def forward(self, *arrays, axis):
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, dy):
        return tuple(_contiguous(g) for g in np.split(dy, self.splits, axis=self.axis))


def flatten(input, order="C", *, start_dim=1, end_dim=-1):  # noqa: A002
    """Axes ``start_dim`` .. ``end_dim`` merged into one, in C order: (N, ...) -> (N, -1) by
    default (a 0-d or 1-d input gives (1, 1) / itself as MindSpore's)."""
    x = as_tensor("flatten", "input", input)
    if order not in ("C", "F"):
        raise ValueError(f"For 'flatten', 'order' must be 'C' or 'F', but got {order!r}.")
    if order == "F":
        raise ValueError("For 'flatten', order='F' is not supported by minispore.")
    if x.ndim == 0:
        return Reshape.call(x, (1, 1) if start_dim == 1 else (1,))
    if x.ndim == 1 and start_dim == 1:
        return x
    start, end = (d % x.ndim for d in _axis("flatten", (start_dim, end_dim), x.ndim))
    if start > end:
        raise ValueError(f"For 'flatten', 'start_dim' {start_dim} must not come after 'end_dim' "
                         f"{end_dim} for shape {tuple(x.shape)}.")
    return Reshape.call(x, tuple(x.shape[:start]) + (-1,) + tuple(x.shape[end + 1:]))


def masked_fill(input_x, mask, value):
    """``input_x`` with ``value`` where the Bool ``mask`` (broadcast) is True."""
    x = as_tensor("masked_fill", "input_x", input_x)
    m = as_tensor("masked_fill", "mask", mask)
    if isinstance(value, Tensor):
        value = Cast.call(value, x.dtype)
    out = Select.call(m, value, x)
    if tuple(out.shape) != tuple(x.shape):
        raise ValueError(f"For 'masked_fill', the mask {tuple(m.shape)} must broadcast to the "
                         f"input's shape {tuple(x.shape)}.")
    return out


def numel(input):  # noqa: A002
    """The number of elements."""
    return as_tensor("numel", "input", input).size


def rank(input_x):
    """The number of dimensions."""
    return as_tensor("rank", "input_x", input_x).ndim


def size(input_x):
    """The number of elements (``ops.Size``)."""
    return as_tensor("size", "input_x", input_x).size


def fill(type, shape, value):  # noqa: A002
    """A Tensor of ``shape`` and dtype ``type`` filled with ``value``."""
    return full(shape, value, dtype=type)


def print_(*input_x):
    """Print the inputs (Tensors by value), as MindSpore's ``ops.print_``."""
    print(*(str(x) for x in input_x))


class _CallOnly:
    """A 1.x primitive class around a plain function (no declaration needed: no gradient)."""
    fn = None

    def __call__(self, *args):
        return type(self).fn(*args)

    def __repr__(self):
        return f"Prim[{type(self).__name__}]"


class Rank(_CallOnly):
    """``ops.Rank()(x)``: the number of dimensions."""
    fn = staticmethod(rank)


class Size(_CallOnly):
    """``ops.Size()(x)``: the number of elements."""
    fn = staticmethod(size)


class Fill(_CallOnly):
    """``ops.Fill()(type, shape, value)``."""
    fn = staticmethod(fill)


class Print(_CallOnly):
    """``ops.Print()(*inputs)``: prints them."""
    fn = staticmethod(print_)


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the reversed running sum of dy."""
    name, tensor_methods = "cumsum", ("cumsum",)
    primitives = {"CumSum": Primitive({"exclusive": False, "reverse": False},
                                      call=lambda fn, p, x, axis: _cumsum_prim(fn, p, x, axis))}

    @classmethod
    def check(cls, x, axis, dtype=None):
        x = as_tensor("cumsum", "x", x)
        if dtype is not None:
            x = Cast.call(x, dtype)
        return (x,), {"axis": _axis("cumsum", axis, x.ndim)[0]}

    def forward(self, a, axis):
        self.axis = axis
        return _contiguous(np.cumsum(a, axis=axis, dtype=a.dtype))

    def backward(self, dy):
        flipped = np.flip(dy, self.axis)
        return (_contiguous(np.flip(np.cumsum(flipped, axis=self.axis), self.axis)),)


def _cumsum_prim(fn, p, x, axis):
    if p.exclusive or p.reverse:
        raise ValueError("For 'CumSum', exclusive=True or reverse=True is not supported by "
                         "minispore.")
    return fn(x, axis)


class Flip(Function):
    """``input`` reversed along each axis in ``dims``."""
    name, tensor_methods = "flip", ("flip",)

    @classmethod
    def check(cls, input, dims):  # noqa: A002
        x = as_tensor("flip", "input", input)
        return (x,), {"dims": _axis("flip", dims, x.ndim)}

    def forward(self, a, dims):
        self.dims = dims
        return _contiguous(np.flip(a, dims))

    def backward(self, dy):
        return (_contiguous(np.flip(dy, self.dims)),)


def l2_normalize(x, axis=0, epsilon=1e-4):
    """x / sqrt(max(sum(x**2, axis), epsilon)) (MindSpore's ``L2Normalize``)."""
    from .math_func import Maximum, Mul, Sqrt  # noqa: PLC0415
    x = as_tensor("l2_normalize", "x", x)
    ss = ReduceSum.call(Mul.call(x, x), axis, True)
    return x / Sqrt.call(Maximum.call(ss, float(epsilon)))


class L2Normalize(_CallOnly):
    """``ops.L2Normalize(axis=0, epsilon=1e-4)(x)``."""

    def __init__(self, axis=0, epsilon=1e-4):
        self.axis, self.epsilon = axis, epsilon

    def __call__(self, x):
        return l2_normalize(x, self.axis, self.epsilon)


def sum(input, axis=None, keepdims=False):  # noqa: A001,A002
    return ReduceSum.call(input, axis, keepdims)


def mean(input, axis=None, keep_dims=False):  # noqa: A002
    return ReduceMean.call(input, axis, keep_dims)


def stop_gradient(input):  # noqa: A002
    """The same values, cut from the tape."""
    return Tensor._make(input._data, input._dtype)




# ---- shape ----------------------------------------------------------------------------------
class _ReshapeLike(Function):
    """A primitive that only changes the shape (forward reshape, backward reshape back)."""

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, dy):
        return (dy.reshape(self.shape),)


class ExpandDims(_ReshapeLike):
    """``input_x`` with a new size-1 axis at ``axis`` (in [-ndim-1, ndim])."""
    name, primitives = "expand_dims", {"ExpandDims": Primitive()}
    tensor_methods = ("expand_dims",)

    @classmethod
    def check(cls, input_x, axis):
        x = as_tensor(cls.name, "input_x", input_x)
        if not isinstance(axis, (int, np.integer)) or not -x.ndim - 1 <= axis <= x.ndim:
            raise ValueError(f"For '{cls.name}', 'axis' must be an int in [{-x.ndim - 1}, "
                             f"{x.ndim}] for shape {tuple(x.shape)}, but got {axis!r}.")
        axis = int(axis) % (x.ndim + 1)
        return (x,), {"shape": tuple(x.shape[:axis]) + (1,) + tuple(x.shape[axis:])}


class Unsqueeze(ExpandDims):
    """``input`` with a new size-1 axis at ``dim`` (the same as ``ops.expand_dims``)."""
    name, primitives, tensor_methods = "unsqueeze", {}, ("unsqueeze",)

    @classmethod
    def check(cls, input, dim):  # noqa: A002
        return super().check(input, dim)


class Squeeze(_ReshapeLike):
    """``input`` without its size-1 axes (only those in ``axis`` when given)."""
    name, tensor_methods = "squeeze", ("squeeze",)
    primitives = {"Squeeze": Primitive({"axis": ()}, call=lambda fn, p, x: fn(x, p.axis))}

    @classmethod
    def check(cls, input, axis=None):  # noqa: A002
        x = as_tensor("squeeze", "input", input)
        axes = _axis("squeeze", axis, x.ndim)
        if axes is None:
            shape = tuple(n for n in x.shape if n != 1)
        else:
            bad = [a for a in axes if x.shape[a] != 1]
            if bad:
                raise ValueError(f"For 'squeeze', axis {axis!r} of shape {tuple(x.shape)} does "
                                 f"not have size 1.")
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        return (x,), {"shape": shape}


class Shape(Function):
    """The shape of ``input`` as a tuple of ints."""
    name, primitives = "shape", {"Shape": Primitive()}

    @classmethod
    def check(cls, input):  # noqa: A002
        return (as_tensor("shape", "input", input),), {}

    @classmethod
    def call(cls, input):  # noqa: A002
        (x,), _ = cls.check(input)
        return tuple(x.shape)


class Swapaxes(Transpose):
    """``input`` with axes ``axis0`` and ``axis1`` exchanged."""
    name, primitives, tensor_methods = "swapaxes", {}, ("swapaxes",)

    @classmethod
    def check(cls, input, axis0, axis1):  # noqa: A002
        x = as_tensor("swapaxes", "input", input)
        a, b = _axis("swapaxes", (axis0, axis1), x.ndim)
        perm = list(range(x.ndim))
        perm[a], perm[b] = perm[b], perm[a]
        return (x,), {"axes": tuple(perm)}


def permute(input, axis):  # noqa: A002
    """``input`` with its axes in the order ``axis`` (``ops.transpose`` by another name)."""
    return Transpose.call(input, axis)


def _shape_tuple(op, shape):
    if isinstance(shape, Tensor):
        shape = shape.asnumpy().tolist()
    shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise TypeError(f"For '{op}', the shape must be an int or a tuple of ints, but got "
                        f"{shape!r}.") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"For '{op}', the shape must not be negative, but got {shape}.")
    return shape


def _dtype_arg(dtype, default):
    if dtype is None:
        return default
    return dtype if isinstance(dtype, mstype.Type) else mstype.nptype_to_dtype(dtype)


class _Filled(Function):
    """A new Tensor filled with one value; no input to differentiate."""
    differentiable, fill = False, 0

    def forward(self, shape, np_dtype):
        return np.full(shape, self.fill, dtype=np_dtype)

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        dtype = attrs.pop("dtype")
        if dtype is mstype.bfloat16:
            return Tensor(cls.apply(*inputs, np_dtype=np.float32, **attrs), dtype)
        out = cls.apply(*inputs, np_dtype=dtype.np_dtype, **attrs)
        out._dtype = dtype
        return out


class Ones(_Filled):
    """A Tensor of ``shape`` filled with 1 (Float32 unless ``dtype``)."""
    name, fill = "ones", 1
    primitives = {"Ones": Primitive(call=lambda fn, p, shape, type=None: fn(shape, type))}

    @classmethod
    def check(cls, shape, dtype=None):
        return (), {"shape": _shape_tuple(cls.name, shape),
                    "dtype": _dtype_arg(dtype, mstype.float32)}


class Zeros(Ones):
    """A Tensor of ``size`` filled with 0 (Float32 unless ``dtype``)."""
    name, fill = "zeros", 0
    primitives = {"Zeros": Primitive(call=lambda fn, p, shape, type=None: fn(shape, type))}

    @classmethod
    def check(cls, size, dtype=None):
        return super().check(size, dtype)


class OnesLike(_Filled):
    """Ones with the shape (and, unless ``dtype``, the dtype) of ``input``."""
    name, fill, primitives = "ones_like", 1, {"OnesLike": Primitive()}

    @classmethod
    def check(cls, input, dtype=None):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        return (), {"shape": tuple(x.shape), "dtype": _dtype_arg(dtype, x.dtype)}


class ZerosLike(OnesLike):
    """Zeros with the shape (and, unless ``dtype``, the dtype) of ``input``."""
    name, fill, primitives = "zeros_like", 0, {"ZerosLike": Primitive()}


def _fill_dtype(value, dtype):
    if dtype is not None:
        return _dtype_arg(dtype, None)
    if isinstance(value, (bool, np.bool_)):
        return mstype.bool_
    if isinstance(value, (int, np.integer)):
        return mstype.int64
    return mstype.float32


def full(size, fill_value, *, dtype=None):
    """A Tensor of ``size`` filled with ``fill_value`` (Int64 for an int, Float32 for a float,
    Bool for a bool, unless ``dtype``)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = _fill_dtype(fill_value, dtype)
    shape = _shape_tuple("full", size)
    return Tensor(np.full(shape, fill_value, dtype=np.float32 if dtype is mstype.bfloat16
                          else dtype.np_dtype), dtype)


def full_like(input, fill_value, *, dtype=None):  # noqa: A002
    """``full`` with the shape (and, unless ``dtype``, the dtype) of ``input``."""
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype)


def arange(start=0, end=None, step=1, *, dtype=None):
    """Values from ``start`` up to (not including) ``end`` by ``step``; Int64 when all three are
    ints, else Float32, unless ``dtype``."""
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("For 'arange', 'step' must not be 0.")
    if (end - start) * step < 0:
        raise ValueError(f"For 'arange', 'step' {step} cannot reach 'end' {end} from 'start' "
                         f"{start}.")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = _dtype_arg(dtype, mstype.int64 if ints else mstype.float32)
    return Tensor(np.arange(start, end, step).astype(dtype.np_dtype), dtype)


def linspace(start, end, steps):
    """``steps`` evenly spaced Float32 values from ``start`` to ``end`` inclusive."""
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, steps)]
    if not isinstance(vals[2], (int, np.integer)) or vals[2] < 1:
        raise ValueError(f"For 'linspace', 'steps' must be a positive int, but got {steps!r}.")
    return Tensor(np.linspace(vals[0], vals[1], int(vals[2])).astype(np.float32))


class Tile(Function):
    """``input`` repeated ``dims[i]`` times along each axis (shorter of the two is padded with
    leading 1s, as numpy's tile)."""
    name, tensor_methods = "tile", ("tile",)
    primitives = {"Tile": Primitive()}

    @classmethod
    def check(cls, input, dims):  # noqa: A002
        x = as_tensor("tile", "input", input)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise TypeError(f"For 'tile', 'dims' must be a tuple of ints, but got "
                            f"{dims!r}.") from None
        if any(d < 0 for d in dims):
            raise ValueError(f"For 'tile', 'dims' must not be negative, but got {dims}.")
        return (x,), {"dims": dims}

    def forward(self, a, dims):
        n = _max(a.ndim, len(dims))
        self.shape = (1,) * (n - a.ndim) + a.shape
        self.dims = (1,) * (n - len(dims)) + dims
        self.in_shape = a.shape
        return _contiguous(np.tile(a, self.dims))

    def backward(self, dy):
        split = []
        for d, s in zip(self.dims, self.shape):
            split += [d, s]
        g = dy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (g.reshape(self.in_shape),)


class BroadcastTo(Function):
    """``input`` broadcast to ``shape`` (-1 keeps that dimension)."""
    name, tensor_methods = "broadcast_to", ("broadcast_to",)
    primitives = {"BroadcastTo": Primitive({"shape": None},
                                           call=lambda fn, p, x: fn(x, p.shape))}

    @classmethod
    def check(cls, input, shape):  # noqa: A002
        x = as_tensor("broadcast_to", "input", input)
        shape = tuple(int(n) for n in shape)
        lead = len(shape) - x.ndim
        if lead < 0:
            raise ValueError(f"For 'broadcast_to', cannot broadcast shape {tuple(x.shape)} to "
                             f"the shorter {shape}.")
        target = tuple(x.shape[i - lead] if n == -1 and i >= lead else n
                       for i, n in enumerate(shape))
        try:
            if np.broadcast_shapes(x.shape, target) != target:
                raise ValueError
        except ValueError:
            raise ValueError(f"For 'broadcast_to', shape {tuple(x.shape)} cannot be broadcast "
                             f"to {shape}.") from None
        return (x,), {"shape": target}

    def forward(self, a, shape):
        return np.broadcast_to(a, shape).copy()

    def backward(self, dy):
        return (dy,)  # the engine sums it back over the broadcast axes


# ---- selection --------------------------------------------------------------------------------
class Select(Function):
    """``input`` where ``condition`` is True, else ``other`` (all three broadcast; either value
    may be a number). The gradient flows to the chosen side."""
    name, primitives = "where", {"Select": Primitive()}

    @classmethod
    def check(cls, condition, input, other):  # noqa: A002
        p = Problems("where")
        c = as_tensor("where", "condition", condition, p)
        p.raise_if_any()
        if c._data.dtype != np.bool_:
            raise TypeError(f"For 'where', 'condition' must be a Bool Tensor, but got "
                            f"{c.dtype}.")
        x, y = _binary_inputs("where", input, other)
        try:
            np.broadcast_shapes(c.shape, x.shape, y.shape)
        except ValueError:
            raise ValueError(f"For 'where', the shapes of condition {tuple(c.shape)}, input "
                             f"{tuple(x.shape)} and other {tuple(y.shape)} cannot be broadcast "
                             f"together.") from None
        return (c, x, y), {}

    def forward(self, c, a, b):
        self.c = c
        return _contiguous(np.where(c, a, b))

    def backward(self, dy):
        da = np.where(self.c, dy, 0).astype(dy.dtype) if self.needs[1] else None
        db = np.where(self.c, 0, dy).astype(dy.dtype) if self.needs[2] else None
        return None, da, db


def select(cond, x, y):
    """``x`` where ``cond`` is True, else ``y`` (``ops.where`` by its older name)."""
    return Select.call(cond, x, y)


class Stack(Function):
    """Tensors of one shape joined along a new axis ``axis``."""
    name = "stack"
    primitives = {"Stack": Primitive({"axis": 0}, call=lambda fn, p, xs: fn(xs, p.axis))}

    @classmethod
    def check(cls, tensors, axis=0):
        p = Problems("stack")
        xs = [as_tensor("stack", f"tensors[{i}]", t, p) for i, t in enumerate(tensors)]
        p.raise_if_any()
        if not xs:
            raise ValueError("For 'stack', 'tensors' must not be empty.")
        shapes = [tuple(t.shape) for t in xs]
        if len(set(shapes)) != 1:
            raise ValueError(f"For 'stack', every tensor must have the same shape, but got "
                             f"{shapes}.")
        nd = xs[0].ndim + 1
        if not -nd <= axis < nd:
            raise ValueError(f"For 'stack', 'axis' {axis} is out of range for {nd}-D output.")
        return tuple(xs), {"axis": int(axis) % nd}

    def forward(self, *arrays, axis):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, dy):
        return tuple(_contiguous(np.take(dy, i, axis=self.axis)) for i in range(dy.shape[self.axis]))


class Split(Function):
    """``tensor`` split along ``axis`` into chunks of ``split_size_or_sections`` (an int: the
    last chunk may be smaller) or of the listed sizes; a tuple of Tensors."""
    name, tensor_methods = "split", ("split",)
    primitives = {"Split": Primitive({"axis": 0, "output_num": 1},
                                     call=lambda fn, p, x: fn(x, x.shape[p.axis] // p.output_num,
                                                              p.axis))}

    @classmethod
    def check(cls, tensor, split_size_or_sections, axis=0):
        x = as_tensor("split", "tensor", tensor)
        axis = _axis("split", axis, x.ndim)[0]
        n = x.shape[axis]
        s = split_size_or_sections
        if isinstance(s, (int, np.integer)):
            if s <= 0:
                raise ValueError(f"For 'split', 'split_size_or_sections' must be positive, but "
                                 f"got {s}.")
            sizes = [int(s)] * (n // s) + ([n % s] if n % s else [])
        else:
            sizes = [int(v) for v in s]
            if sum(sizes) != n or any(v < 0 for v in sizes):
                raise ValueError(f"For 'split', the sections {sizes} must add up to the size "
                                 f"{n} of axis {axis} (shape {tuple(x.shape)}).")
        return (x,), {"sizes": tuple(sizes), "axis": axis}

    def forward(self, a, sizes, axis):
        self.axis = axis
        return tuple(_contiguous(p) for p in np.split(a, np.cumsum(sizes)[:-1], axis=axis))

    def backward(self, *dys):
        return (np.concatenate(dys, axis=self.axis),)


def _indices(op, name, t, problems=None):
    t = as_tensor(op, name, t, problems)
    if t is not None and t._data.dtype.kind not in "iu":
        raise TypeError(f"For '{op}', '{name}' must be an integer Tensor, but got {t.dtype}.")
    return t


def _in_range(op, idx, n, what):
    bad = (idx < -n) | (idx >= n) if idx.size else np.zeros(0, bool)
    if bad.any():
        first = idx.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise IndexError(f"For '{op}', index {int(first)} is out of range for {what} of size "
                         f"{n}.")


class Gather(Function):
    """Slices of ``input_params`` along ``axis`` at ``input_indices``: the output's shape is
    params.shape[:axis] + indices.shape + params.shape[axis+1:]. Out-of-range indices are
    refused (MindSpore's CPU kernel fills zeros)."""
    name, tensor_methods = "gather", ("gather",)
    primitives = {"Gather": Primitive({"batch_dims": 0},
                                      call=lambda fn, p, x, i, axis: fn(x, i, axis))}

    @classmethod
    def check(cls, input_params, input_indices, axis, batch_dims=0):
        x = as_tensor("gather", "input_params", input_params)
        idx = _indices("gather", "input_indices", input_indices)
        if batch_dims:
            raise ValueError("For 'gather', batch_dims != 0 is not supported by minispore.")
        axis = _axis("gather", axis, x.ndim)[0]
        _in_range("gather", idx._data, x.shape[axis], f"axis {axis} of shape {tuple(x.shape)}")
        return (x, idx), {"axis": axis}

    def forward(self, a, idx, axis):
        self.shape, self.idx, self.axis = a.shape, idx, axis
        return _contiguous(np.take(a, idx, axis=axis))

    def backward(self, dy):
        g = np.zeros(self.shape, dtype=dy.dtype)
        moved = np.moveaxis(g, self.axis, 0)
        k = self.idx.ndim
        dy_moved = np.moveaxis(dy.reshape(self.shape[:self.axis] + self.idx.shape
                                          + self.shape[self.axis + 1:]),
                               tuple(range(self.axis, self.axis + k)), tuple(range(k)))
        np.add.at(moved, self.idx, dy_moved)
        return g, None


class GatherD(Function):
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (numpy's take_along_axis); ``index`` has
    the input's rank."""
    name, primitives = "gather_elements", {"GatherD": Primitive(call=lambda fn, p, x, d, i:
                                                                  fn(x, d, i))}

    @classmethod
    def check(cls, input, dim, index):  # noqa: A002
        x = as_tensor("gather_elements", "input", input)
        idx = _indices("gather_elements", "index", index)
        dim = _axis("gather_elements", dim, x.ndim)[0]
        if idx.ndim != x.ndim or any(i > n for k, (i, n) in enumerate(zip(idx.shape, x.shape))
                                     if k != dim):
            raise ValueError(f"For 'gather_elements', 'index' {tuple(idx.shape)} must have the "
                             f"rank of 'input' {tuple(x.shape)} and no larger size off dim "
                             f"{dim}.")
        _in_range("gather_elements", idx._data, x.shape[dim], f"dim {dim}")
        return (x, idx), {"dim": dim}

    def forward(self, a, idx, dim):
        self.shape, self.idx, self.dim = a.shape, idx, dim
        sl = tuple(slice(0, n) for n in idx.shape)
        sl = sl[:dim] + (slice(None),) + sl[dim + 1:]
        self.sl = sl
        return _contiguous(np.take_along_axis(a[sl], idx, axis=dim))

    def backward(self, dy):
        g = np.zeros(self.shape, dtype=dy.dtype)
        grids = list(np.indices(self.idx.shape, sparse=True))
        grids[self.dim] = self.idx % self.shape[self.dim]
        np.add.at(g, tuple(grids), dy)
        return g, None


def gather_d(x, dim, index):
    """``ops.gather_elements`` by its older name."""
    return GatherD.call(x, dim, index)


class OneHot(Function):
    """A new axis ``axis`` of size ``depth``: ``on_value`` where it equals the index, else
    ``off_value`` (dtype of ``on_value``; ints give Int64). Not differentiable."""
    name, differentiable = "one_hot", False
    primitives = {"OneHot": Primitive({"axis": -1}, call=lambda fn, p, i, d, on, off:
                                      fn(i, d, on, off, p.axis))}

    @classmethod
    def check(cls, indices, depth, on_value=1, off_value=0, axis=-1):
        idx = _indices("one_hot", "indices", indices)
        if isinstance(depth, Tensor):
            depth = depth.item()
        if not isinstance(depth, (int, np.integer)) or depth < 0:
            raise ValueError(f"For 'one_hot', 'depth' must be a non-negative int, but got "
                             f"{depth!r}.")
        if not -1 <= axis <= idx.ndim:
            raise ValueError(f"For 'one_hot', 'axis' must be in [-1, {idx.ndim}], but got "
                             f"{axis}.")
        on = on_value._data if isinstance(on_value, Tensor) else np.asarray(on_value)
        off = off_value._data if isinstance(off_value, Tensor) else np.asarray(off_value)
        if on.dtype == np.float64 and not isinstance(on_value, Tensor):
            on = on.astype(np.float32)
        return (idx,), {"depth": int(depth), "on": on.reshape(()),
                        "off": off.astype(on.dtype).reshape(()), "axis": int(axis)}

    def forward(self, idx, depth, on, off, axis):
        hot = idx[..., None] == np.arange(depth)
        out = np.where(hot, on, off).astype(on.dtype)
        if axis != -1:
            out = np.moveaxis(out, -1, axis)
        return _contiguous(out)


# ---- extremes, sorting ----------------------------------------------------------------------
class _ValueIndex(Function):
    """(values, indices) of a max/min along ``axis``; the gradient goes to each winner."""
    pick = None

    @classmethod
    def check(cls, input, axis=None, keepdims=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        if axis is not None:
            axis = _axis(cls.name, axis, x.ndim)[0]
        if x.size == 0:
            raise ValueError(f"For '{cls.name}', the input is empty (shape {tuple(x.shape)}).")
        return (x,), {"axis": axis, "keepdims": bool(keepdims)}

    def forward(self, a, axis, keepdims):
        self.shape, self.axis_, self.keepdims = a.shape, axis, keepdims
        flat = a.reshape(-1) if axis is None else a
        ax = 0 if axis is None else axis
        idx = np.expand_dims(self.pick(flat, axis=ax), ax)
        values = np.take_along_axis(flat, idx, axis=ax)
        self.idx = idx
        if axis is None:
            return _contiguous(values.reshape(())), np.zeros((), np.int32)
        if not keepdims:
            values, idx = np.squeeze(values, ax), np.squeeze(idx, ax)
        return _contiguous(values), _contiguous(idx.astype(np.int32))

    def backward(self, dy, _):
        ax = 0 if self.axis_ is None else self.axis_
        g = np.zeros(self.shape if self.axis_ is not None else (int(np.prod(self.shape)),),
                     dtype=dy.dtype)
        d = dy.reshape(self.idx.shape)
        np.put_along_axis(g, self.idx, d, axis=ax)
        return (g.reshape(self.shape),)


class ArgMaxWithValue(_ValueIndex):
    """(values, indices) of the maximum along ``axis``; over all elements when None (the index
    is then 0, as MindSpore's). Indices are Int32; the gradient goes to the first maximum."""
    name, pick = "max_with_index", staticmethod(np.argmax)
    primitives = {"ArgMaxWithValue": Primitive(
        {"axis": 0, "keep_dims": False},
        call=lambda fn, p, x: fn(x, p.axis, p.keep_dims)[::-1])}


class ArgMinWithValue(_ValueIndex):
    """(values, indices) of the minimum along ``axis``; see ``ArgMaxWithValue``."""
    name, pick = "min_with_index", staticmethod(np.argmin)
    primitives = {"ArgMinWithValue": Primitive(
        {"axis": 0, "keep_dims": False},
        call=lambda fn, p, x: fn(x, p.axis, p.keep_dims)[::-1])}


def _extreme(cls, bound, input, axis, keepdims, initial, where):  # noqa: A002
    if where is not None:
        if initial is None:
            raise ValueError(f"For '{cls.name[:3]}', 'initial' must be given with 'where'.")
        input = Select.call(where, input, initial)
    values, indices = cls.call(input, axis, keepdims)
    if initial is not None:
        values = bound(values, initial)
    return values, indices


def max(input, axis=None, keepdims=False, *, initial=None, where=None):  # noqa: A001,A002
    """(values, indices) of the maximum of ``input`` along ``axis`` (all elements when None,
    index 0); ``initial`` is a lower bound of the values, ``where`` masks elements (those False
    count as ``initial``)."""
    from .math_func import Maximum  # noqa: PLC0415
    return _extreme(ArgMaxWithValue, Maximum.call, input, axis, keepdims, initial, where)


def min(input, axis=None, keepdims=False, *, initial=None, where=None):  # noqa: A001,A002
    """(values, indices) of the minimum of ``input`` along ``axis``; see ``ops.max``."""
    from .math_func import Minimum  # noqa: PLC0415
    return _extreme(ArgMinWithValue, Minimum.call, input, axis, keepdims, initial, where)


class _SortLike(Function):
    def backward(self, dy, _):
        g = np.zeros(self.shape, dtype=dy.dtype)
        np.put_along_axis(g, self.order, dy, axis=self.axis)
        return (g,)


def _order(a, axis, descending):
    key = -a.astype(np.float64) if descending and a.dtype.kind != "b" else a
    if descending and a.dtype.kind == "b":
        key = ~a
    return np.argsort(key, axis=axis, kind="stable")


class Sort(_SortLike):
    """(values, indices) of ``input_x`` sorted along ``axis`` (stable; ties keep their order).
    Indices are Int32; the gradient goes back to each value's place."""
    name, tensor_methods = "sort", ("sort",)
    primitives = {"Sort": Primitive({"axis": -1, "descending": False},
                                    call=lambda fn, p, x: fn(x, p.axis, p.descending))}

    @classmethod
    def check(cls, input_x, axis=-1, descending=False):
        x = as_tensor("sort", "input_x", input_x)
        return (x,), {"axis": _axis("sort", axis, x.ndim)[0], "descending": bool(descending)}

    def forward(self, a, axis, descending):
        self.shape, self.axis = a.shape, axis
        self.order = _order(a, axis, descending)
        return (_contiguous(np.take_along_axis(a, self.order, axis=axis)),
                _contiguous(self.order.astype(np.int32)))


class TopK(_SortLike):
    """(values, indices) of the ``k`` largest (smallest with ``largest=False``) entries along
    ``dim`` (the last when None), in order. Indices are Int32."""
    name, tensor_methods = "topk", ("topk",)
    primitives = {"TopK": Primitive({"sorted": True},
                                    call=lambda fn, p, x, k: fn(x, k, None, True, p.sorted))}

    @classmethod
    def check(cls, input, k, dim=None, largest=True, sorted=True):  # noqa: A002
        x = as_tensor("topk", "input", input)
        dim = -1 if dim is None else dim
        dim = _axis("topk", dim, x.ndim)[0]
        n = x.shape[dim] if x.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise ValueError(f"For 'topk', 'k' must be an int in [0, {n}] for shape "
                             f"{tuple(x.shape)} along dim {dim}, but got {k!r}.")
        return (x,), {"k": int(k), "dim": dim, "largest": bool(largest)}

    def forward(self, a, k, dim, largest):
        self.shape, self.axis = a.shape, dim
        order = _order(a, dim, largest)
        self.order = np.take(order, np.arange(k), axis=dim)
        return (_contiguous(np.take_along_axis(a, self.order, axis=dim)),
                _contiguous(self.order.astype(np.int32)))


class _ReduceLogical(_Reduce):
    differentiable = False

    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        return (x,), {"axis": _axis(cls.name, axis, x.ndim), "keepdims": bool(keep_dims)}

    def forward(self, a, axis, keepdims):
        return _contiguous(np.asarray(self.reduce(a.astype(bool), axis=axis,
                                                  keepdims=keepdims)))


class ReduceAny(_ReduceLogical):
    """True where any element along ``axis`` (all axes when None) is non-zero."""
    name, reduce = "any", staticmethod(np.any)
    primitives = {"ReduceAny": _reduce_primitive()}
    tensor_methods = ("any",)


class ReduceAll(_ReduceLogical):
    """True where every element along ``axis`` (all axes when None) is non-zero."""
    name, reduce = "all", staticmethod(np.all)
    primitives = {"ReduceAll": _reduce_primitive()}
    tensor_methods = ("all",)


class _Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two axes, shifted by
    ``diagonal``; the rest is 0. The gradient keeps the same triangle."""
    tensor_methods = ()

    @classmethod
    def check(cls, input, diagonal=0):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        if x.ndim < 2:
            raise ValueError(f"For '{cls.name}', 'input' must be at least 2-D, but got shape "
                             f"{tuple(x.shape)}.")
        return (x,), {"diagonal": int(diagonal)}

    def forward(self, a, diagonal):
        self.diagonal = diagonal
        return _contiguous(self.pick(a, diagonal))

    def backward(self, dy):
        return (_contiguous(self.pick(dy, self.diagonal)),)


class Tril(_Triangle):
    """Lower triangle of the last two axes (k = ``diagonal``), zeros above."""
    name, tensor_methods = "tril", ("tril",)
    primitives = {"Tril": Primitive({"diagonal": 0}, call=lambda fn, p, x: fn(x, p.diagonal))}
    pick = staticmethod(lambda a, k: np.tril(a, k))


class Triu(_Triangle):
    """Upper triangle of the last two axes (k = ``diagonal``), zeros below."""
    name, tensor_methods = "triu", ("triu",)
    primitives = {"Triu": Primitive({"diagonal": 0}, call=lambda fn, p, x: fn(x, p.diagonal))}
    pick = staticmethod(lambda a, k: np.triu(a, k))


def eye(n, m=None, dtype=None):
    """An (n, m) Tensor with ones on the diagonal (m = n when None); Float32 unless ``dtype``."""
    dtype = _dtype_arg(dtype, mstype.float32)
    if not isinstance(n, (int, np.integer)) or n < 0 or \
            (m is not None and (not isinstance(m, (int, np.integer)) or m < 0)):
        raise ValueError(f"For 'eye', 'n' and 'm' must be non-negative ints, but got {n!r} and "
                         f"{m!r}.")
    return Tensor(np.eye(n, m, dtype=np.float32 if dtype is mstype.bfloat16 else dtype.np_dtype),
                  dtype)


def chunk(input, chunks, axis=0):  # noqa: A002
    """``input`` split along ``axis`` into ``chunks`` pieces of ceil(size / chunks) (the last
    may be smaller, and there may be fewer pieces)."""
    x = as_tensor("chunk", "input", input)
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"For 'chunk', 'chunks' must be a positive int, but got {chunks!r}.")
    ax = _axis("chunk", axis, x.ndim)[0]
    n = x.shape[ax]
    return Split.call(x, _max(-(-n // chunks), 1), ax)


def unbind(input, dim=0):  # noqa: A002
    """The slices of ``input`` along ``dim``, each without that axis."""
    x = as_tensor("unbind", "input", input)
    ax = _axis("unbind", dim, x.ndim)[0]
    return tuple(Squeeze.call(p, ax) for p in Split.call(x, 1, ax))


def narrow(input, axis, start, length):  # noqa: A002
    """``input`` restricted to ``start`` .. ``start + length`` along ``axis``."""
    x = as_tensor("narrow", "input", input)
    ax = _axis("narrow", axis, x.ndim)[0]
    n = x.shape[ax]
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise ValueError(f"For 'narrow', start {start} and length {length} must lie within "
                         f"axis {ax} of size {n} (shape {tuple(x.shape)}).")
    index = (slice(None),) * ax + (slice(start, start + length),)
    return GetItem.call(x, index)


class Roll(Function):
    """``input`` shifted cyclically by ``shifts`` along ``dims`` (flattened when None)."""
    name, tensor_methods = "roll", ("roll",)

    @classmethod
    def check(cls, input, shifts, dims=None):  # noqa: A002
        x = as_tensor("roll", "input", input)
        if dims is not None:
            dims = _axis("roll", dims, x.ndim)
        return (x,), {"shifts": shifts, "dims": dims}

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return _contiguous(np.roll(a, shifts, dims))

    def backward(self, dy):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, (tuple, list)) \
            else -self.shifts
        return (_contiguous(np.roll(dy, back, self.dims)),)
