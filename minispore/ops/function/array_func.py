"""Shape, indexing, joining and reduction primitives."""
import numpy as np

from ...common.tensor import Tensor, _contiguous
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor

__all__ = ["flatten", "squeeze", "expand_dims", "sum", "mean", "zeros", "ones", "zeros_like",
           "ones_like", "stop_gradient", "shape"]


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
            if sorted(p % max(x.ndim, 1) for p in perm) != list(range(x.ndim)):
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
        if not isinstance(a, (int, np.integer)) or not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"For '{op}', 'axis' {axis!r} is out of range for a {ndim}-D "
                             f"input.")
    return tuple(int(a) % max(ndim, 1) for a in axes)


class _Reduce(Function):
    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        return (x,), {"axis": _axis(cls.name, axis, x.ndim), "keepdims": bool(keep_dims)}

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
        self.count = a.size // max(out.size, 1) if a.size else 1
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


class Argmax(Function):
    """Index of the maximum along ``axis`` (over the flattened input when None); Int64 (Int32
    for the 1.x primitive). Not differentiable."""
    name, differentiable = "argmax", False
    primitives = {"Argmax": Primitive({"axis": -1, "output_type": None},
                                      call=lambda fn, p, x: fn(x, p.axis))}
    tensor_methods = ("argmax",)

    @classmethod
    def check(cls, input, axis=None, keepdims=False):  # noqa: A002
        x = as_tensor("argmax", "input", input)
        if axis is not None:
            axis = _axis("argmax", axis, x.ndim)[0]
        return (x,), {"axis": axis, "keepdims": bool(keepdims)}

    def forward(self, a, axis, keepdims):
        if a.size == 0:
            raise ValueError(f"For 'argmax', the input is empty (shape {a.shape}).")
        return _contiguous(np.argmax(a, axis=axis, keepdims=keepdims))


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


def flatten(input):  # noqa: A002
    """(N, ...) -> (N, -1) in C order."""
    return Reshape.call(input, (input.shape[0], -1) if input.ndim else (1, 1))


def squeeze(input, axis=None):  # noqa: A002
    """``input`` without the size-1 axes (only ``axis`` when given)."""
    try:
        shape = np.squeeze(np.empty(input.shape, dtype=np.bool_), axis=axis).shape
    except ValueError:
        raise ValueError(f"For 'squeeze', axis {axis!r} of shape {tuple(input.shape)} does not "
                         f"have size 1.") from None
    return Reshape.call(input, shape)


def expand_dims(input, axis):  # noqa: A002
    """``input`` with a new size-1 axis at ``axis``."""
    return Reshape.call(input, np.expand_dims(np.empty(input.shape, dtype=np.bool_), axis).shape)


def sum(input, axis=None, keepdims=False):  # noqa: A001,A002
    return ReduceSum.call(input, axis, keepdims)


def mean(input, axis=None, keep_dims=False):  # noqa: A002
    return ReduceMean.call(input, axis, keep_dims)


def shape(input):  # noqa: A002
    return tuple(input.shape)


def stop_gradient(input):  # noqa: A002
    """The same values, cut from the tape."""
    return Tensor._make(input._data, input._dtype)


def _filled(fill, shape, dtype):
    from ...common import dtype as mstype  # noqa: PLC0415
    dtype = mstype.float32 if dtype is None else dtype
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor._make(fill(shape, dtype=dtype.np_dtype), dtype)


def zeros(shape, dtype=None):
    return _filled(np.zeros, shape, dtype)


def ones(shape, dtype=None):
    return _filled(np.ones, shape, dtype)


def zeros_like(input, dtype=None):  # noqa: A002
    return _filled(np.zeros, input.shape, dtype or input.dtype)


def ones_like(input, dtype=None):  # noqa: A002
    return _filled(np.ones, input.shape, dtype or input.dtype)
