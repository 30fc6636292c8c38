"""Selection, gathering, one-hot, extremes with their indices, sorting, top-k, logical
reductions, triangles and slicing helpers (``where``, ``stack``, ``split``, ``gather``, ``max``,
``sort``, ``topk``, ``tril``, ``chunk``, ``narrow``, ``roll``, ...)."""
import numpy as np

from ...common import dtype as mstype
from ...common.tensor import Tensor, _contiguous
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor
from .math_func import Cast, _binary_inputs
from .array_func import GetItem, Squeeze, _axis, _dtype_arg, _max
from .reduction_func import _Reduce, _reduce_primitive

__all__ = ["masked_fill", "select", "min", "max", "gather_d", "eye", "chunk", "unbind", "narrow",
           "TENSOR_METHODS"]

# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "masked_fill": lambda self, mask, value: masked_fill(self, mask, value),
}


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
