"""Tensor: a numpy array with a MindSpore dtype, plus the autograd node that produced it.

A Tensor owns one C-contiguous numpy array (``_data``). Inside a gradient computation
(``ops.GradOperation`` / ``ops.value_and_grad``) operations on tensors that require grad record a
node (``_node``); everywhere else nothing is recorded, so inference pays no autograd cost.

Python scalars follow the guide: ``Tensor(10)`` is Int64 and ``Tensor(0.01)`` is Float64 (the guide
prints Float64; MindSpore 2.x would say Float32). Python lists of floats become Float32 as in
MindSpore 2.x.

The differentiable methods (arithmetic, ``reshape``, ``sum``, comparisons, ...) are installed by
:mod:`minispore.ops` from each primitive's one declaration, so this module needs nothing above
``common``.
"""
import numbers
import threading

import numpy as np

from . import dtype as mstype
from .._unsupported import not_supported

__all__ = ["Tensor", "tensor"]


class _ValueReads(threading.local):
    """``ms.jit``'s tracer sets ``hook(tensor, how)`` here while it records a call on this
    thread: a Tensor's values read into Python (bool, number, numpy) make control flow depend
    on data, and an in-place assignment is a side effect; a static plan replays neither."""
    hook = None


_value_reads = _ValueReads()


def _read(t, how):
    hook = _value_reads.hook
    if hook is not None:
        hook(t, how)


def _contiguous(arr):
    """``arr`` as a C-contiguous ndarray, keeping 0-d arrays 0-d (np.ascontiguousarray does not)."""
    arr = np.asarray(arr)
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _to_array(input_data, dtype):
    """Convert user data to (C-contiguous ndarray, Type)."""
    if isinstance(input_data, Tensor):
        arr, src_type = input_data._data, input_data._dtype
    elif isinstance(input_data, np.ndarray):
        arr = input_data
        src_type = mstype.nptype_to_dtype(arr.dtype)
    elif isinstance(input_data, (bool, np.bool_)):
        arr, src_type = np.array(input_data, dtype=np.bool_), mstype.bool_
    elif isinstance(input_data, np.generic):
        arr = np.asarray(input_data)
        src_type = mstype.nptype_to_dtype(arr.dtype)
    elif isinstance(input_data, numbers.Integral):
        arr, src_type = np.array(input_data, dtype=np.int64), mstype.int64
    elif isinstance(input_data, numbers.Real):
        arr, src_type = np.array(input_data, dtype=np.float64), mstype.float64
    elif isinstance(input_data, (list, tuple)):
        arr = np.array([x.asnumpy() if isinstance(x, Tensor) else x for x in input_data])
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        src_type = mstype.nptype_to_dtype(arr.dtype)
    else:
        raise TypeError(f"For 'Tensor', the type of 'input_data' should be Tensor, np.ndarray, "
                        f"list, tuple, int, float or bool, but got {type(input_data)}.")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if dtype is not None and dtype is not src_type:
        if not isinstance(dtype, mstype.Type):
            dtype = mstype.nptype_to_dtype(dtype)
        if dtype is mstype.bfloat16:
            arr = mstype.float32_to_bfloat16(arr.astype(np.float32))
        elif src_type is mstype.bfloat16:
            arr = mstype.bfloat16_to_float32(arr).astype(dtype.np_dtype)
        else:
            arr = arr.astype(dtype.np_dtype)
        src_type = dtype
    return _contiguous(arr), src_type


def _format_values(arr, dtype):
    if dtype is mstype.bfloat16:
        arr = mstype.bfloat16_to_float32(arr)
    if arr.ndim == 0:
        return " " + str(arr.item() if arr.dtype.kind != "f" else arr)
    if arr.size == 0:
        return "\n"
    if arr.dtype.kind == "f":
        digits = 4 if arr.dtype == np.float16 else 8
        text = np.array2string(arr, separator=", ", threshold=1000,
                               formatter={"float_kind": lambda v: f"{v: .{digits}e}"})
    else:
        text = np.array2string(arr, separator=", ", threshold=1000)
    return (" " if arr.ndim == 1 else "\n") + text


class Tensor:
    """A multi-dimensional array with a MindSpore dtype.

    Args:
        input_data: a Tensor, numpy array, Python scalar, list or tuple.
        dtype (mstype.Type): cast to this type. Default: inferred from ``input_data``.
        shape, init: build from an initializer, e.g. ``Tensor(shape=(2, 3), dtype=mstype.float32,
            init=Normal(0.02))``.
    """

    __slots__ = ("_data", "_dtype", "_node", "_index", "_cut_by", "_requires_grad", "__weakref__")
    __array_priority__ = 100

    def __init__(self, input_data=None, dtype=None, shape=None, init=None, internal=False,
                 const_arg=False):
        if input_data is None:
            if init is None or shape is None:
                raise ValueError("For 'Tensor', 'input_data' is None, so 'shape' and 'init' must "
                                 "both be given.")
            from .initializer import initializer  # noqa: PLC0415
            arr = initializer(init, shape, dtype or mstype.float32)._data
            input_data = arr
        self._data, self._dtype = _to_array(input_data, dtype)
        self._node = self._cut_by = None
        self._index = 0
        self._requires_grad = False

    @classmethod
    def _make(cls, array, dtype=None, node=None, index=0):
        """Wrap an array without copying or validating (the array must be C-contiguous)."""
        t = object.__new__(Tensor)
        t._data = array
        t._dtype = dtype if dtype is not None else mstype.nptype_to_dtype(array.dtype)
        t._node = node
        t._index = index
        t._cut_by = None
        t._requires_grad = False
        return t

    # ---- basic properties -------------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def T(self):
        return self.transpose()

    @property
    def strides(self):
        """Bytes to step in each dimension (numpy's strides of the C-contiguous storage)."""
        return self._data.strides

    def numel(self):
        """The number of elements."""
        return self._data.size

    def dim(self):
        """The number of dimensions."""
        return self._data.ndim

    @staticmethod
    def from_numpy(array):
        """A Tensor sharing ``array``'s memory (copied only when it is not C-contiguous)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"For 'Tensor.from_numpy', the input must be a numpy.ndarray, but "
                            f"got {type(array).__name__}.")
        arr = _contiguous(array)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("="))
        return Tensor._make(arr, mstype.nptype_to_dtype(arr.dtype))

    def init_data(self, slice_index=None, shape=None, opt_shard_group=None):
        """The tensor's data as a Tensor. minispore fills a ``Tensor(init=..., shape=...)`` when
        it is built, so this returns the tensor itself."""
        return self

    def __getattr__(self, name):
        # Only reached when normal lookup fails: a MindSpore Tensor method minispore lacks.
        raise not_supported("Tensor", name)

    def asnumpy(self):
        """The values as a numpy array (shared memory; BFloat16 gives its uint16 bits)."""
        _read(self, "asnumpy()")
        return self._data

    def numpy(self):
        _read(self, "numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        _read(self, "numpy array")
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self, index=None):
        _read(self, "item()")
        value = self._data.item() if index is None else self._data.item(index)
        return value

    def tolist(self):
        _read(self, "tolist()")
        return self._data.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __bool__(self):
        _read(self, "bool")
        return bool(self._data)

    def __float__(self):
        _read(self, "float")
        return float(self._data)

    def __int__(self):
        _read(self, "int")
        return int(self._data)

    def __index__(self):
        _read(self, "index")
        return int(self._data)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        shape = list(self._data.shape)
        return f"Tensor(shape={shape}, dtype={self._dtype}, value={_format_values(self._data, self._dtype)})"

    def __str__(self):
        if self._dtype is mstype.bfloat16:
            return str(mstype.bfloat16_to_float32(self._data))
        return str(self._data)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(str(self), spec)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def copy(self):
        return Tensor._make(self._data.copy(), self._dtype)

    def __setitem__(self, index, value):
        _read(self, "in-place assignment")
        if self._node is not None:
            raise RuntimeError("In-place assignment to a tensor that is part of a gradient graph.")
        if isinstance(value, Tensor):
            value = mstype.bfloat16_to_float32(value._data) if value._dtype is mstype.bfloat16 \
                else value._data
        try:
            if self._dtype is mstype.bfloat16:
                wide = mstype.bfloat16_to_float32(self._data)
                wide[index] = value
                self._data[...] = mstype.float32_to_bfloat16(wide)
            else:
                self._data[index] = value
        except (ValueError, IndexError) as e:
            raise type(e)(f"For 'Tensor.__setitem__', cannot assign a value of shape "
                          f"{np.shape(value)} to index {index!r} of a tensor of shape "
                          f"{self._data.shape}: {e}") from None

    # ---- value assignment (used by Parameter.set_data and optimizers) ---------------------------------
    def assign_value(self, value):
        """Replace this tensor's values in place; the shape may change, the dtype follows ``value``."""
        _read(self, "in-place assignment")
        arr, dt = _to_array(value, None)
        self._data, self._dtype = arr, dt
        return self


def tensor(input_data=None, dtype=None, shape=None, init=None, internal=False, const_arg=False):
    """``mindspore.tensor``: the same as ``Tensor(input_data, dtype, shape, init)``."""
    return Tensor(input_data, dtype, shape, init, internal, const_arg)
