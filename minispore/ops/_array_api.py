"""Array-level forms of the NN primitives, for kernel tests and benchmarks.

Each function runs one primitive's ``forward`` or ``backward`` on numpy arrays (the same code a
training step runs, kernel choice included), with the attributes in their normalised form. It
validates nothing: the primitives' ``check`` does that for Tensors (see ``ops.conv2d`` etc.).
"""
import numpy as np

from .function import nn_func as F
from .function import pooling_func as P
from .function.optim_func import apply_momentum

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
           "max_pool2d_forward", "max_pool2d_backward", "relu_forward", "relu_backward",
           "dense_forward", "dense_backward", "softmax_cross_entropy_sparse",
           "softmax_cross_entropy_dense", "momentum_apply", "forward_node"]


def _c(a):
    return np.ascontiguousarray(a)


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _pad4(v):
    return (v,) * 4 if np.isscalar(v) else tuple(v)


def conv2d_forward(x, w, stride, padding, dilation, group):
    x, w = _c(x), _c(w)
    return F.Conv2D().forward(x, w, _pair(stride), _pad4(padding), _pair(dilation), int(group))


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, group):
    node = F.Conv2D()
    node.x, node.w, node.needs, node.cache = np.empty(x_shape, w.dtype), _c(w), (True, False), {}
    node.attrs = (_pair(stride), _pad4(padding), _pair(dilation), int(group))
    return node.backward(_c(dy))[0]


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, group):
    node = F.Conv2D()
    node.x, node.w, node.needs, node.cache = _c(x), np.empty(w_shape, x.dtype), (False, True), {}
    node.attrs = (_pair(stride), _pad4(padding), _pair(dilation), int(group))
    return node.backward(_c(dy))[1]


def max_pool2d_forward(x, kernel, stride, padding=0):
    """(y, argmax): window maxima and each winner's flat index into its (H, W) plane."""
    node = P.MaxPool2D()
    y = node.forward(_c(x), _pair(kernel), _pair(stride), _pad4(padding))
    return y, node.argmax


def max_pool2d_backward(dy, argmax, x_shape, positive=None):
    """dy routed to each window's argmax; with ``positive`` (the pooled output) only windows
    whose maximum is > 0 route (the ReLU fusion)."""
    node = P.MaxPool2D()
    node.x_shape, node.argmax = tuple(x_shape), argmax
    node.y = positive if positive is not None else dy
    return node.route(dy, positive is not None)


def relu_forward(x):
    return F.ReLU().forward(x)


def relu_backward(dy, y):
    node = F.ReLU()
    node.y = y
    return node.backward(dy)[0]


def dense_forward(x, w, b=None):
    return F.Dense().forward(_c(x), _c(w), b)


def dense_backward(dy, x, w, need_dx=True, need_dw=True, need_db=True):
    node = F.Dense()
    node.x, node.w, node.needs = x, w, (need_dx, need_dw, need_db)
    return node.backward(dy)


def _xent(logits, labels, sparse, reduction):
    node = F.SoftmaxCrossEntropy()
    loss = node.forward(logits, labels, sparse, reduction)
    return loss, node.dlogits


def softmax_cross_entropy_sparse(logits, labels, reduction="mean"):
    """(loss, dlogits) with integer class labels."""
    return _xent(logits, labels, True, reduction)


def softmax_cross_entropy_dense(logits, labels, reduction="mean"):
    """(loss, dlogits) with target rows (probabilities / one-hot)."""
    return _xent(logits, labels, False, reduction)


def momentum_apply(params, grads, moments, lr, momentum, weight_decay=0.0, loss_scale=1.0,
                   use_nesterov=False, decay_flags=None):
    """In-place Momentum over lists of arrays (wrapped as Tensors, updated in place)."""
    from ..common.tensor import Tensor
    wrap = [Tensor._make(p) for p in params]
    moms = [Tensor._make(m) for m in moments]
    apply_momentum(wrap, grads, moms, lr, momentum, weight_decay, loss_scale, use_nesterov,
                   decay_flags)


def conv2d_padding(in_hw, kernel, stride, dilation, pad_mode, padding=0):
    """(top, bottom, left, right) for pad_mode 'valid', 'same' or 'pad' (as ``ops.conv2d``)."""
    from .._checkparam import Problems
    problems = Problems("conv2d")
    pads = F._window_padding(problems, tuple(in_hw), _pair(kernel), _pair(stride),
                             _pair(dilation), pad_mode, padding)
    problems.raise_if_any()
    return pads


def pool2d_padding(in_hw, kernel, stride, pad_mode, padding=0):
    return conv2d_padding(in_hw, kernel, stride, 1, pad_mode, padding)


def conv2d_output_hw(in_hw, kernel, stride, padding, dilation):
    from ._conv_ops import conv2d_output_hw as out_hw
    return out_hw(tuple(in_hw), _pair(kernel), _pair(stride), _pad4(padding), _pair(dilation))


def forward_node(function, *arrays, **attrs):
    """(output, node): ``function``'s forward on arrays (a primitive class of
    ``ops.function``, e.g. ``normalization_func.BatchNorm``) with every input marked as needing a gradient, so
    ``node.backward(dy)`` returns them all. For the benchmarks of the layer kernels."""
    node = function()
    out = node.forward(*arrays, **attrs)
    node.needs = (True,) * len(arrays)
    return out, node
