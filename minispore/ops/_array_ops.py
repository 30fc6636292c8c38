"""Validated array-level primitives: the only door from autograd into the numba kernels.

Pure functions on numpy arrays (float32, or float64 for gradient checks). Each one checks
shapes and dtypes, raises an error naming the op, the argument and the shapes, allocates the
outputs and calls a kernel from :mod:`minispore.kernels`. Convolution lives in
:mod:`._conv_ops` and is re-exported here; argument checks are in :mod:`._validate`.
"""
import numpy as np

from ..kernels import activation as _act
from ..kernels import loss as _loss
from ..kernels import optim as _optim
from ..kernels import pool as _pool
from ._blas import matmul as _matmul
from ._conv_ops import (conv2d_backward_input, conv2d_backward_weight, conv2d_forward,
                        conv2d_output_hw, conv2d_padding)
from ._malloc import tune_once
from ._validate import FLOAT_DTYPES as _FLOAT_DTYPES
from ._validate import _floats, _ndim, _pad4, _pair, _shape4

__all__ = [
    "conv2d_padding", "conv2d_output_hw", "conv2d_forward", "conv2d_backward_input",
    "conv2d_backward_weight", "pool2d_padding", "max_pool2d_forward", "max_pool2d_backward",
    "relu_forward", "relu_backward", "dense_forward", "dense_backward",
    "softmax_cross_entropy_sparse", "softmax_cross_entropy_dense", "momentum_apply",
]

_REDUCTIONS = ("mean", "sum", "none")
tune_once()


# ----------------------------------------------------------------------------- pooling
def pool2d_padding(in_hw, kernel_hw, stride_hw, pad_mode, padding=0):
    """(top, bottom, left, right) for MaxPool2d: 'valid' none, 'same' out = ceil(in/stride), 'pad'."""
    return conv2d_padding(in_hw, kernel_hw, stride_hw, (1, 1), pad_mode, padding)


def max_pool2d_forward(x, kernel, stride, padding=0):
    """(y, argmax): window maxima of x (N,C,H,W) and each winner's flat index into its (H, W) plane.

    argmax is int32; padded cells never win.
    """
    op = "max_pool2d"
    (x,) = _floats(op, x=x)
    _ndim(op, "x", x, 4, "(N, C, H, W)")
    kernel = _pair(op, "kernel_size", kernel)
    stride = _pair(op, "stride", stride)
    padding = _pad4(op, padding)
    if max(padding[:2]) >= kernel[0] or max(padding[2:]) >= kernel[1]:
        raise ValueError(f"{op}: each padding {padding} must be smaller than the kernel "
                         f"{kernel} (x {x.shape}).")
    N, C, H, W = x.shape
    oh, ow = conv2d_output_hw((H, W), kernel, stride, padding, (1, 1), op)
    y = np.empty((N, C, oh, ow), dtype=x.dtype)
    argmax = np.empty((N, C, oh, ow), dtype=np.int32)
    if kernel == (2, 2) and stride == (2, 2) and not any(padding):
        _pool.max_pool2d_fwd_2x2(y, argmax, x)
    else:
        _pool.max_pool2d_fwd(y, argmax, x, kernel[0], kernel[1], stride[0], stride[1],
                             padding[0], padding[2])
    return y, argmax


def max_pool2d_backward(dy, argmax, x_shape, positive=None):
    """dx (x_shape): dy routed to the argmax cell of each window (overlaps add).

    ``positive``: the pooled output; if given, only windows whose maximum is > 0 route their
    gradient (ReLU's backward fused in, for a pool that follows a ReLU)."""
    op = "max_pool2d_backward"
    (dy,) = _floats(op, dy=dy)
    x_shape = _shape4(op, "x_shape", x_shape)
    argmax = np.ascontiguousarray(argmax)
    if argmax.shape != dy.shape or argmax.dtype.kind not in "iu":
        raise ValueError(f"{op}: 'argmax' must be an integer array shaped like dy {dy.shape}, "
                         f"but got {argmax.dtype} {argmax.shape}.")
    if dy.shape[:2] != x_shape[:2]:
        raise ValueError(f"{op}: dy {dy.shape} and x_shape {x_shape} differ in (N, C).")
    dx = np.empty(x_shape, dtype=dy.dtype)
    if positive is None:
        _pool.max_pool2d_bwd(dx, dy, argmax, dy, False)
        return dx
    positive = np.ascontiguousarray(positive, dtype=dy.dtype)
    if positive.shape != dy.shape:
        raise ValueError(f"{op}: 'positive' must be shaped like dy {dy.shape}, but got "
                         f"{positive.shape}.")
    _pool.max_pool2d_bwd(dx, dy, argmax, positive, True)
    return dx


# ----------------------------------------------------------------------------- relu, dense
def relu_forward(x):
    """y = max(x, 0), same shape and dtype (NaN propagates)."""
    (x,) = _floats("relu", x=x)
    y = np.empty_like(x)
    _act.relu_fwd(y.reshape(-1), x.reshape(-1))
    return y


def relu_backward(dy, y):
    """dx = dy where y > 0, else 0 (so the gradient is 0 wherever x <= 0)."""
    op = "relu_backward"
    dy, y = _floats(op, dy=dy, y=y)
    if dy.shape != y.shape:
        raise ValueError(f"{op}: 'dy' {dy.shape} and 'y' {y.shape} must have the same shape.")
    dx = np.empty_like(dy)
    _act.relu_bwd(dx.reshape(-1), dy.reshape(-1), y.reshape(-1))
    return dx


def _dense_check(op, x, w, b=None):
    _ndim(op, "x", x, 2, "(N, in)")
    _ndim(op, "w", w, 2, "(out, in)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{op}: x has {x.shape[1]} features but w expects {w.shape[1]} "
                         f"(x {x.shape}, w {w.shape}).")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"{op}: 'b' must have shape ({w.shape[0]},), but got {b.shape} "
                         f"(w {w.shape}).")


def dense_forward(x, w, b=None):
    """y (N, out) = x (N, in) @ w.T (w is (out, in)) + b; b may be None."""
    op = "dense"
    if b is None:
        x, w = _floats(op, x=x, w=w)
    else:
        x, w, b = _floats(op, x=x, w=w, b=b)
    _dense_check(op, x, w, b)
    y = _matmul(x, w.T)
    if b is not None:
        y += b
    return y


def dense_backward(dy, x, w, need_dx=True, need_dw=True, need_db=True):
    """(dx, dw, db) of y = x @ w.T + b; an entry is None when not requested."""
    op = "dense_backward"
    dy, x, w = _floats(op, dy=dy, x=x, w=w)
    _dense_check(op, x, w)
    if dy.shape != (x.shape[0], w.shape[0]):
        raise ValueError(f"{op}: 'dy' must have shape {(x.shape[0], w.shape[0])}, but got "
                         f"{dy.shape} (x {x.shape}, w {w.shape}).")
    dx = _matmul(dy, w) if need_dx else None
    dw = _matmul(dy.T, x) if need_dw else None
    db = dy.sum(axis=0) if need_db else None
    return dx, dw, db


# ----------------------------------------------------------------------------- loss, optimizer
def _xent_prepare(op, logits, reduction):
    (logits,) = _floats(op, logits=logits)
    _ndim(op, "logits", logits, 2, "(N, C)")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: 'reduction' must be one of {_REDUCTIONS}, but got {reduction!r}.")
    n = logits.shape[0]
    scale = 1.0 / n if (reduction == "mean" and n) else 1.0
    return logits, np.empty(n, dtype=logits.dtype), np.empty_like(logits), scale


def _xent_reduce(loss, reduction):
    if reduction == "none":
        return loss
    total = loss.sum(dtype=np.float64)
    if reduction == "mean":
        total = total / loss.shape[0] if loss.shape[0] else np.nan
    return np.asarray(total, dtype=loss.dtype)


def softmax_cross_entropy_sparse(logits, labels, reduction="mean"):
    """(loss, dlogits) of softmax cross-entropy with integer class labels (N,).

    loss_i = logsumexp(z_i) - z_i[y_i]; reduced by 'mean', 'sum' or 'none'. dlogits is
    d(loss)/d(logits) for 'mean'/'sum' and softmax - onehot per row for 'none'.
    """
    op = "softmax_cross_entropy_sparse"
    logits, loss, grad, scale = _xent_prepare(op, logits, reduction)
    labels = np.asarray(labels)
    if labels.dtype not in (np.int32, np.int64):
        raise TypeError(f"{op}: 'labels' must be int32 or int64, but got {labels.dtype} "
                        f"(shape {labels.shape}).")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"{op}: 'labels' must have shape ({logits.shape[0]},) for logits "
                         f"{logits.shape}, but got {labels.shape}.")
    C = logits.shape[1]
    bad = np.flatnonzero((labels < 0) | (labels >= C))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{op}: labels must be in [0, {C}) for logits {logits.shape}, but "
                         f"labels[{i}] = {int(labels[i])} ({bad.size} out of range).")
    _loss.softmax_xent_sparse(loss, grad, logits, np.ascontiguousarray(labels), scale)
    return _xent_reduce(loss, reduction), grad


def softmax_cross_entropy_dense(logits, labels, reduction="mean"):
    """(loss, dlogits) of softmax cross-entropy with target rows (N, C) (probabilities/one-hot)."""
    op = "softmax_cross_entropy_dense"
    logits, loss, grad, scale = _xent_prepare(op, logits, reduction)
    (labels,) = _floats(op, labels=labels)
    if labels.shape != logits.shape:
        raise ValueError(f"{op}: 'labels' must have the logits shape {logits.shape}, but got "
                         f"{labels.shape}.")
    _loss.softmax_xent_dense(loss, grad, logits, labels.astype(logits.dtype, copy=False), scale)
    return _xent_reduce(loss, reduction), grad


def momentum_apply(params, grads, moments, lr, momentum, weight_decay=0.0, loss_scale=1.0,
                   use_nesterov=False, decay_flags=None):
    """In-place Momentum step over lists of arrays (MindSpore nn.Momentum semantics).

    g = grad (+ weight_decay*loss_scale*p where decay_flags[i]); g /= loss_scale;
    v = momentum*v + g; p -= lr*v (Nesterov: p -= lr*g + lr*momentum*v). Scalars are cast to
    each parameter's dtype so float32 math stays float32. params and moments must be
    writable C-contiguous arrays (the caller's views are updated, never replaced).
    """
    op = "momentum_apply"
    params, grads, moments = list(params), list(grads), list(moments)
    n = len(params)
    flags = [True] * n if decay_flags is None else [bool(f) for f in decay_flags]
    if not (len(grads) == len(moments) == len(flags) == n):
        raise ValueError(f"{op}: params ({n}), grads ({len(grads)}), moments ({len(moments)}) "
                         f"and decay_flags ({len(flags)}) must have the same length.")
    problems = []
    for i, (p, g, v) in enumerate(zip(params, grads, moments)):
        if not (isinstance(p, np.ndarray) and isinstance(v, np.ndarray)):
            problems.append(f"[{i}] params and moments must be numpy arrays")
        elif p.shape != v.shape or np.shape(g) != p.shape:
            problems.append(f"[{i}] shapes param {p.shape}, grad {np.shape(g)}, moment {v.shape}")
        elif p.dtype not in _FLOAT_DTYPES or v.dtype != p.dtype:
            problems.append(f"[{i}] dtypes param {p.dtype}, moment {v.dtype}")
        elif not (p.flags.c_contiguous and v.flags.c_contiguous and p.flags.writeable
                  and v.flags.writeable):
            problems.append(f"[{i}] param/moment must be writable and C-contiguous")
    if problems:
        raise ValueError(f"{op}: " + "; ".join(problems) + ".")
    scaled = float(loss_scale) != 1.0
    decay = float(weight_decay) > 0.0
    for p, g, v, flag in zip(params, grads, moments, flags):
        t = p.dtype.type
        g = np.ascontiguousarray(g, dtype=p.dtype)
        _optim.momentum_update(p.reshape(-1), v.reshape(-1), g.reshape(-1), t(lr), t(momentum),
                               t(float(weight_decay) * float(loss_scale)), t(loss_scale),
                               decay and flag, scaled, bool(use_nesterov))
