"""One Function per differentiable primitive: forward and backward on numpy arrays.

Elementwise, shape and reduction primitives use numpy directly; the NN primitives (conv, pool,
relu, dense, softmax cross-entropy) call the array-level wrappers in ``_array_ops``, which run the
numba kernels. Backward computes an input's gradient only when that input needs one.
"""
import numpy as np

from ..common.tensor import _contiguous
from ._autograd import Function
from . import _array_ops as A
from ._blas import matmul as _matmul


def _needs(node, i):
    t = node.inputs[i]
    return t._requires_grad or t._node is not None


# ---- elementwise ----------------------------------------------------------------------------
class Add(Function):
    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, dy):
        return dy, dy


class Sub(Function):
    def forward(self, a, b):
        return np.subtract(a, b)

    def backward(self, dy):
        return dy, -dy


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, dy):
        return dy * self.b, dy * self.a


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.divide(a, b)

    def backward(self, dy):
        db = None
        if _needs(self, 1):
            db = -dy * self.a / (self.b * self.b)
        return dy / self.b, db


class Neg(Function):
    def forward(self, a):
        return np.negative(a)

    def backward(self, dy):
        return (-dy,)


class Pow(Function):
    """a ** p for a constant exponent p."""

    def forward(self, a, p):
        self.a, self.p = a, p
        return np.power(a, p).astype(a.dtype, copy=False)

    def backward(self, dy):
        return (dy * self.p * np.power(self.a, self.p - 1).astype(self.a.dtype, copy=False),)


class Exp(Function):
    def forward(self, a):
        self.y = np.exp(a)
        return self.y

    def backward(self, dy):
        return (dy * self.y,)


class Log(Function):
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, dy):
        return (dy / self.a,)


class Sqrt(Function):
    def forward(self, a):
        self.y = np.sqrt(a)
        return self.y

    def backward(self, dy):
        return (dy / (2 * self.y),)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, dy):
        return (dy * np.sign(self.a),)


class Sigmoid(Function):
    def forward(self, a):
        self.y = (1.0 / (1.0 + np.exp(-a))).astype(a.dtype, copy=False)
        return self.y

    def backward(self, dy):
        return (dy * self.y * (1 - self.y),)


class Tanh(Function):
    def forward(self, a):
        self.y = np.tanh(a)
        return self.y

    def backward(self, dy):
        return (dy * (1 - self.y * self.y),)


class Maximum(Function):
    def forward(self, a, b):
        self.mask = a >= b
        return np.maximum(a, b)

    def backward(self, dy):
        return dy * self.mask, dy * ~self.mask


class Cast(Function):
    def forward(self, a, np_dtype):
        self.src = a.dtype
        return a.astype(np_dtype)

    def backward(self, dy):
        return (dy.astype(self.src),) if self.src.kind == "f" else (None,)


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return _matmul(a, b)

    def backward(self, dy):
        a, b = self.a, self.b
        da = db = None
        if _needs(self, 0):
            da = dy * b if b.ndim == 0 else (np.outer(dy, b) if a.ndim == 1 and b.ndim == 1
                                             else _matmul(dy, np.swapaxes(b, -1, -2))
                                             if b.ndim > 1 else np.multiply.outer(dy, b))
        if _needs(self, 1):
            if a.ndim == 1:
                db = np.multiply.outer(a, dy)
            elif b.ndim == 1:
                db = np.einsum("...i,...->i", a, dy)
            else:
                db = _matmul(np.swapaxes(a, -1, -2), dy)
        return da, db


# ---- shape and reductions ---------------------------------------------------------------------
class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"For 'Reshape', a tensor of shape {a.shape} ({a.size} elements) "
                             f"cannot be reshaped to {tuple(shape)}.") from None

    def backward(self, dy):
        return (dy.reshape(self.shape),)


class Transpose(Function):
    def forward(self, a, axes):
        self.axes = axes
        return _contiguous(np.transpose(a, axes))

    def backward(self, dy):
        inv = None if self.axes is None else tuple(np.argsort(self.axes))
        return (_contiguous(np.transpose(dy, inv)),)


class GetItem(Function):
    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return _contiguous(a[index])

    def backward(self, dy):
        g = np.zeros(self.shape, dtype=dy.dtype)
        np.add.at(g, self.index, dy)
        return (g,)


class ReduceSum(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return _contiguous(np.sum(a, axis=axis, keepdims=keepdims, dtype=a.dtype))

    def backward(self, dy):
        if not self.keepdims and self.axis is not None:
            dy = np.expand_dims(dy, self.axis)
        return (np.broadcast_to(dy, self.shape).copy(),)


class ReduceMean(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        out = np.mean(a, axis=axis, keepdims=keepdims)
        self.count = a.size // max(out.size, 1) if a.size else 1
        return _contiguous(out.astype(a.dtype, copy=False))

    def backward(self, dy):
        if not self.keepdims and self.axis is not None:
            dy = np.expand_dims(dy, self.axis)
        return ((np.broadcast_to(dy, self.shape) / self.count).astype(dy.dtype),)


class Concat(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, dy):
        return tuple(_contiguous(g) for g in np.split(dy, self.splits, axis=self.axis))


# ---- neural-network primitives (numba kernels) -----------------------------------------------
class ReLU(Function):
    """max(x, 0). When a max-pool is the only consumer, its backward applies ReLU's mask while
    it scatters (see :class:`MaxPool2D`) and hands over that very array as ``premasked``; then
    this backward is the identity, saving a full pass over the activation (LeNet: 1.6 ms of a
    31 ms step at batch 256). Any other gradient arrives as a different array and is masked."""

    premasked = None

    def forward(self, x):
        self.y = A.relu_forward(x)
        return self.y

    def backward(self, dy):
        if dy is self.premasked:
            return (dy,)
        return (A.relu_backward(dy, self.y),)


class Conv2D(Function):
    def forward(self, x, w, stride, padding, dilation, group):
        self.x, self.w = x, w
        self.attrs = (stride, padding, dilation, group)
        self.cache = {}
        return A.conv2d_forward(x, w, stride, padding, dilation, group, cache=self.cache)

    def backward(self, dy):
        dx = dw = None
        if _needs(self, 0):
            dx = A.conv2d_backward_input(dy, self.w, self.x.shape, *self.attrs)
        if _needs(self, 1):
            dw = A.conv2d_backward_weight(dy, self.x, self.w.shape, *self.attrs, cache=self.cache)
        return dx, dw


class BiasAdd(Function):
    """x + b broadcast over the channel axis 1 (NCHW)."""

    def forward(self, x, b):
        self.axes = (0,) + tuple(range(2, x.ndim))
        return x + b.reshape((1, -1) + (1,) * (x.ndim - 2))

    def backward(self, dy):
        return dy, dy.sum(axis=self.axes)


class MaxPool2D(Function):
    """Max pooling. If the input is a ReLU's output, the gradient is routed only to windows
    whose maximum is > 0, which is exactly ReLU's mask at the routed cells (the pooled value
    is the ReLU output there), and ReLU is told not to mask again."""

    def forward(self, x, kernel, stride, padding):
        self.x_shape = x.shape
        self.y, self.argmax = A.max_pool2d_forward(x, kernel, stride, padding)
        return self.y

    def backward(self, dy):
        source = self.inputs[0]._node
        if isinstance(source, ReLU):
            dx = A.max_pool2d_backward(dy, self.argmax, self.x_shape, positive=self.y)
            source.premasked = dx
            return (dx,)
        return (A.max_pool2d_backward(dy, self.argmax, self.x_shape),)


class Dense(Function):
    """y = x @ w.T (+ b), w is [out, in]."""

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        return A.dense_forward(x, w, b)

    def backward(self, dy):
        has_b = len(self.inputs) > 2
        dx, dw, db = A.dense_backward(dy, self.x, self.w, need_dx=_needs(self, 0),
                                      need_dw=_needs(self, 1), need_db=has_b and _needs(self, 2))
        return (dx, dw, db) if has_b else (dx, dw)


class SoftmaxCrossEntropy(Function):
    """Softmax cross-entropy of logits against sparse labels or a label distribution."""

    def forward(self, logits, labels, sparse, reduction):
        fn = A.softmax_cross_entropy_sparse if sparse else A.softmax_cross_entropy_dense
        loss, self.dlogits = fn(logits, labels, reduction)
        self.reduction = reduction
        return loss

    def backward(self, dy):
        if self.reduction == "none":
            return self.dlogits * dy[:, None], None
        return self.dlogits * dy, None


class LogSoftmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.y

    def backward(self, dy):
        return (dy - np.exp(self.y) * dy.sum(axis=self.axis, keepdims=True),)


class Softmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, dy):
        return (self.y * (dy - (dy * self.y).sum(axis=self.axis, keepdims=True)),)
