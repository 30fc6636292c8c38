"""Shape, indexing, joining and creation primitives (selection, gathering, sorting and extremes
are in ``selection_func``; sums, means, maxima and their indices in ``reduction_func``)."""
import builtins

import numpy as np

from ...common import dtype as mstype
from ...common.tensor import Tensor, _contiguous
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor
from .math_func import Cast

__all__ = ["flatten", "stop_gradient", "full", "full_like", "arange", "linspace",
           "permute", "numel", "rank", "size", "fill", "print_", "Rank", "Size",
           "Fill", "Print", "L2Normalize", "TENSOR_METHODS"]

# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "flatten": lambda self, order="C", *, start_dim=0, end_dim=-1:
        flatten(self, order, start_dim=start_dim, end_dim=end_dim),
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
    from .reduction_func import ReduceSum  # noqa: PLC0415  (reduction_func imports this module)
    x = as_tensor("l2_normalize", "x", x)
    ss = ReduceSum.call(Mul.call(x, x), axis, True)
    return x / Sqrt.call(Maximum.call(ss, float(epsilon)))


class L2Normalize(_CallOnly):
    """``ops.L2Normalize(axis=0, epsilon=1e-4)(x)``."""

    def __init__(self, axis=0, epsilon=1e-4):
        self.axis, self.epsilon = axis, epsilon

    def __call__(self, x):
        return l2_normalize(x, self.axis, self.epsilon)


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
