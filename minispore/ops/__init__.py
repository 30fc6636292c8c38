"""Differentiable operations on Tensors (``mindspore.ops``), and the gradient entry points.

Every function takes and returns Tensors; Python scalars mix in as constants of the tensor's
dtype. The work happens in one ``Function`` per primitive (``_functions.py``).
"""
import numbers

import numpy as np

from ..common import dtype as mstype
from ..common.tensor import Tensor
from . import _functions as F
from ._autograd import Function, is_recording
from ._grad import GradOperation, grad, value_and_grad

__all__ = [
    "Function", "GradOperation", "value_and_grad", "grad", "stop_gradient", "is_recording",
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum",
    "sigmoid", "tanh", "relu", "softmax", "log_softmax", "matmul", "dense", "conv2d", "bias_add",
    "max_pool2d", "reshape", "flatten", "transpose", "squeeze", "expand_dims", "getitem",
    "reduce_sum", "reduce_mean", "sum", "mean", "cast", "concat", "cross_entropy_with_logits",
    "zeros", "ones", "zeros_like", "ones_like", "square",
]


def _tensor(x, like=None):
    """``x`` as a Tensor; a Python or numpy scalar takes the dtype ``like`` would promote to."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (numbers.Number, np.generic)):
        return Tensor._make(np.asarray(x, dtype=np.result_type(like._data, x)))
    return Tensor(x)


def _binary(fn, a, b):
    if not isinstance(a, Tensor):
        a = _tensor(a, b)
    elif not isinstance(b, Tensor):
        b = _tensor(b, a)
    return fn.apply(a, b)


def add(x, y):
    return _binary(F.Add, x, y)


def sub(x, y):
    return _binary(F.Sub, x, y)


def mul(x, y):
    return _binary(F.Mul, x, y)


def div(x, y):
    if isinstance(x, Tensor) and x._data.dtype.kind in "iub" and not (
            isinstance(y, Tensor) and y._data.dtype.kind == "f"):
        x = cast(x, mstype.float32)
    return _binary(F.Div, x, y)


def maximum(x, y):
    return _binary(F.Maximum, x, y)


def neg(x):
    return F.Neg.apply(x)


def pow(x, exponent):  # noqa: A001  (MindSpore's name)
    if isinstance(exponent, Tensor):
        if exponent.ndim:
            raise TypeError("ops.pow supports a scalar exponent only.")
        exponent = exponent.item()
    return F.Pow.apply(x, p=exponent)


def square(x):
    return mul(x, x)


def exp(x):
    return F.Exp.apply(x)


def log(x):
    return F.Log.apply(x)


def sqrt(x):
    return F.Sqrt.apply(x)


def abs(x):  # noqa: A001
    return F.Abs.apply(x)


def sigmoid(x):
    return F.Sigmoid.apply(x)


def tanh(x):
    return F.Tanh.apply(x)


def relu(x):
    return F.ReLU.apply(x)


def softmax(x, axis=-1):
    return F.Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    return F.LogSoftmax.apply(x, axis=axis)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (a minispore dtype); differentiable between float types."""
    if not isinstance(dtype, mstype.Type):
        dtype = mstype.nptype_to_dtype(dtype)
    if dtype is x._dtype:
        return x
    if dtype is mstype.bfloat16 or x._dtype is mstype.bfloat16:
        return Tensor(x, dtype)
    out = F.Cast.apply(x, np_dtype=dtype.np_dtype)
    out._dtype = dtype
    return out


def matmul(x, y):
    return _binary(F.MatMul, x, y)


def dense(x, weight, bias=None):
    """x @ weight.T + bias, with weight of shape [out, in]."""
    if bias is None:
        return F.Dense.apply(x, weight)
    return F.Dense.apply(x, weight, bias)


def bias_add(x, bias):
    return F.BiasAdd.apply(x, bias)


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2:
        return tuple(int(i) for i in v)
    if isinstance(v, (tuple, list)) and len(v) == 4:
        return tuple(int(i) for i in v[2:])
    raise ValueError(f"'{name}' must be an int or a pair of ints, but got {v!r}.")


def conv2d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1,  # noqa: A002
           groups=1):
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw)."""
    from ._array_ops import conv2d_padding  # noqa: PLC0415
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if input.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"For 'conv2d', input and weight must be 4-D, but got input "
                         f"{input.shape} and weight {weight.shape}.")
    pads = conv2d_padding(input.shape[2:], weight.shape[2:], stride, dilation, pad_mode, padding)
    out = F.Conv2D.apply(input, weight, stride=stride, padding=pads, dilation=dilation,
                         group=groups)
    return out if bias is None else bias_add(out, bias)


def max_pool2d(x, kernel_size, stride=None, pad_mode="valid", padding=0):
    """2-D max pooling over (N, C, H, W)."""
    from ._array_ops import pool2d_padding  # noqa: PLC0415
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    if x.ndim != 4:
        raise ValueError(f"For 'max_pool2d', the input must be 4-D (N, C, H, W), but got "
                         f"{x.shape}.")
    pads = pool2d_padding(x.shape[2:], kernel, stride, pad_mode, padding)
    return F.MaxPool2D.apply(x, kernel=kernel, stride=stride, padding=pads)


def cross_entropy_with_logits(logits, labels, sparse=True, reduction="mean"):
    """Softmax cross-entropy; ``labels`` are class indices (sparse) or a distribution."""
    return F.SoftmaxCrossEntropy.apply(logits, labels, sparse=sparse, reduction=reduction)


def reshape(x, shape):
    return F.Reshape.apply(x, shape=tuple(shape))


def flatten(x):
    """(N, ...) -> (N, -1) in C order."""
    return F.Reshape.apply(x, shape=(x.shape[0], -1) if x.ndim else (1, 1))


def transpose(x, axes=None):
    return F.Transpose.apply(x, axes=None if axes is None else tuple(axes))


def squeeze(x, axis=None):
    shape = np.squeeze(np.empty(x.shape, dtype=np.bool_), axis=axis).shape
    return reshape(x, shape)


def expand_dims(x, axis):
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=np.bool_), axis).shape)


def getitem(x, index):
    if isinstance(index, Tensor):
        index = index._data
    elif isinstance(index, tuple):
        index = tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return F.GetItem.apply(x, index=index)


def reduce_sum(x, axis=None, keep_dims=False):
    return F.ReduceSum.apply(x, axis=_axis(axis), keepdims=keep_dims)


def reduce_mean(x, axis=None, keep_dims=False):
    return F.ReduceMean.apply(x, axis=_axis(axis), keepdims=keep_dims)


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    if axis == ():
        return None
    return axis


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return reduce_sum(x, axis, keepdims)


def mean(x, axis=None, keep_dims=False):
    return reduce_mean(x, axis, keep_dims)


def concat(tensors, axis=0):
    return F.Concat.apply(*tensors, axis=axis)


def stop_gradient(x):
    """The same values, cut from the tape."""
    return Tensor._make(x._data, x._dtype)


def zeros(shape, dtype=mstype.float32):
    return Tensor._make(np.zeros(shape, dtype=dtype.np_dtype), dtype)


def ones(shape, dtype=mstype.float32):
    return Tensor._make(np.ones(shape, dtype=dtype.np_dtype), dtype)


def zeros_like(x):
    return Tensor._make(np.zeros_like(x._data), x._dtype)


def ones_like(x):
    return Tensor._make(np.ones_like(x._data), x._dtype)
