"""Validated array-level primitives: the only door from autograd into the numba kernels.

Pure functions on numpy arrays (float32, or float64 for gradient checks). Each one checks
shapes and dtypes, raises an error naming the op, the argument and the shapes, allocates the
outputs and calls a kernel from :mod:`minispore.kernels`. Convolution picks, per call, the
strategy the benchmark (``benchmarks/kernels.py``) showed faster: direct numba loops for short
patches (``C/group*kh*kw <= DIRECT_MAX_PATCH``), otherwise numba im2col/col2im around one BLAS
GEMM per group.
"""
import numpy as np

from ..kernels import activation as _act
from ..kernels import conv as _conv
from ..kernels import im2col as _i2c
from ..kernels import loss as _loss
from ..kernels import optim as _optim
from ..kernels import pool as _pool
from ._blas import matmul as _matmul
from ._malloc import tune_once
from ._warmup import start_if_cold

__all__ = [
    "conv2d_padding", "conv2d_output_hw", "conv2d_forward", "conv2d_backward_input",
    "conv2d_backward_weight", "pool2d_padding", "max_pool2d_forward", "max_pool2d_backward",
    "relu_forward", "relu_backward", "dense_forward", "dense_backward",
    "softmax_cross_entropy_sparse", "softmax_cross_entropy_dense", "momentum_apply",
]

# Patch length (C/group * kh * kw) up to which convolution uses direct loops. Measured (2-core
# target, batch 32, forward + both gradients): patch 150 (LeNet conv2) direct 1.8 ms vs GEMM
# 4.7 ms; 16x3x3 on 32x32 38 vs 44 ms; 32x3x3 54 vs 78 ms; 64x3x3 on 16x16 84 vs 47 ms.
DIRECT_MAX_PATCH = 400
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_REDUCTIONS = ("mean", "sum", "none")
tune_once()


# ----------------------------------------------------------------------------- validation
def _floats(op, **arrays):
    """Return the arrays as C-contiguous arrays of one float dtype (float32 unless any is float64)."""
    out = []
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"{op}: '{name}' must be float32 or float64, but got {a.dtype} "
                            f"(shape {a.shape}).")
        out.append(a)
    dtype = np.result_type(*out)
    return [np.ascontiguousarray(a, dtype=dtype) for a in out]


def _ndim(op, name, a, ndim, layout):
    if a.ndim != ndim:
        raise ValueError(f"{op}: '{name}' must be {ndim}-D {layout}, but got shape {a.shape}.")


def _pair(op, name, value, minimum=1):
    if isinstance(value, (int, np.integer)):
        value = (value, value)
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: '{name}' must be an int or a pair of ints, but got {value!r}.")
    if a < minimum or b < minimum:
        raise ValueError(f"{op}: '{name}' must be >= {minimum}, but got {(a, b)}.")
    return a, b


def _pad4(op, padding):
    if isinstance(padding, (int, np.integer)):
        padding = (padding,) * 4
    try:
        pad = tuple(int(p) for p in padding)
    except (TypeError, ValueError):
        pad = ()
    if len(pad) != 4 or min(pad) < 0:
        raise ValueError(f"{op}: 'padding' must be a non-negative int or (top, bottom, left, "
                         f"right), but got {padding!r}.")
    return pad


def _shape4(op, name, shape):
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"{op}: '{name}' must be 4 positive ints, but got {shape!r}.")
    return shape


# ----------------------------------------------------------------------------- convolution
def conv2d_padding(in_hw, kernel_hw, stride_hw, dilation_hw, pad_mode, padding=0):
    """(top, bottom, left, right) padding for MindSpore's pad_mode 'valid', 'same' or 'pad'.

    'same' gives out = ceil(in/stride) with total padding max((out-1)*stride + d*(k-1) + 1 - in, 0),
    floor(total/2) on top/left and the extra one on bottom/right; 'pad' uses ``padding``.
    """
    op = "conv2d"
    in_hw = _pair(op, "in_hw", in_hw)
    kernel_hw = _pair(op, "kernel_size", kernel_hw)
    stride_hw = _pair(op, "stride", stride_hw)
    dilation_hw = _pair(op, "dilation", dilation_hw)
    mode = str(pad_mode).lower()
    if mode == "valid":
        return (0, 0, 0, 0)
    if mode == "pad":
        return _pad4(op, padding)
    if mode != "same":
        raise ValueError(f"{op}: 'pad_mode' must be 'valid', 'same' or 'pad', but got {pad_mode!r}.")
    pads = []
    for size, k, s, d in zip(in_hw, kernel_hw, stride_hw, dilation_hw):
        out = -(-size // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def conv2d_output_hw(in_hw, kernel_hw, stride, padding, dilation, op="conv2d"):
    """Output (H, W) of a convolution or pooling window; ValueError if the window does not fit."""
    h, w = in_hw
    kh, kw = kernel_hw
    sh, sw = stride
    dh, dw = dilation
    top, bottom, left, right = padding
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    ph, pw = h + top + bottom, w + left + right
    if ph < eh or pw < ew:
        raise ValueError(f"{op}: padded input {(ph, pw)} is smaller than the (dilated) kernel "
                         f"{(eh, ew)} (input {(h, w)}, padding {padding}).")
    return (ph - eh) // sh + 1, (pw - ew) // sw + 1


def _conv_geometry(op, x_shape, w_shape, stride, padding, dilation, group):
    stride = _pair(op, "stride", stride)
    dilation = _pair(op, "dilation", dilation)
    padding = _pad4(op, padding)
    group = int(group)
    N, C, H, W = x_shape
    O, Cg, KH, KW = w_shape
    where = f"(x {tuple(x_shape)}, w {tuple(w_shape)}, group {group})"
    if group < 1 or C % group or O % group:
        raise ValueError(f"{op}: x channels {C} and w out-channels {O} must both be divisible "
                         f"by group {where}.")
    if C // group != Cg:
        raise ValueError(f"{op}: x has {C} channels but w expects {Cg * group} {where}.")
    oh, ow = conv2d_output_hw((H, W), (KH, KW), stride, padding, dilation, op)
    return stride, padding, dilation, group, (N, O, oh, ow)


def _pad_input(x, padding):
    top, bottom, left, right = padding
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _im2col(x, KH, KW, out_shape, stride, padding, dilation, group):
    N, _, OH, OW = out_shape
    R = x.shape[1] // group * KH * KW
    cols = np.empty((group, R, N, OH, OW), dtype=x.dtype)
    _i2c.im2col(cols, x, KH, KW, stride[0], stride[1], padding[0], padding[2],
                dilation[0], dilation[1])
    return cols.reshape(group, R, N * OH * OW)


def conv2d_forward(x, w, stride, padding, dilation, group, cache=None):
    """y (N,O,OH,OW) = cross-correlation of x (N,C,H,W) with w (O,C/group,kh,kw).

    ``cache``: an optional dict; the im2col matrix is kept in it so that
    :func:`conv2d_backward_weight` given the same dict does not rebuild it.
    """
    op = "conv2d"
    start_if_cold()
    x, w = _floats(op, x=x, w=w)
    _ndim(op, "x", x, 4, "(N, C, H, W)")
    _ndim(op, "w", w, 4, "(out, in/group, kh, kw)")
    stride, padding, dilation, group, y_shape = _conv_geometry(
        op, x.shape, w.shape, stride, padding, dilation, group)
    O, Cg, KH, KW = w.shape
    y = np.empty(y_shape, dtype=x.dtype)
    if Cg * KH * KW <= DIRECT_MAX_PATCH:
        _conv.conv2d_fwd_direct(y, _pad_input(x, padding), w, stride[0], stride[1],
                                dilation[0], dilation[1], group)
        return y
    cols = _im2col(x, KH, KW, y_shape, stride, padding, dilation, group)
    if cache is not None:
        cache["cols"] = cols
    N, _, OH, OW = y_shape
    tmp = np.empty((group, O // group, N * OH * OW), dtype=x.dtype)
    w2 = w.reshape(group, O // group, -1)
    for g in range(group):
        _matmul(w2[g], cols[g], out=tmp[g])
    _i2c.cnhw_to_nchw(y, tmp.reshape(O, N, OH, OW))
    return y


def _check_dy(op, dy, y_shape, what):
    if dy.shape != tuple(y_shape):
        raise ValueError(f"{op}: 'dy' must have the output shape {tuple(y_shape)} for {what}, "
                         f"but got {dy.shape}.")


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, group):
    """dx (x_shape) = gradient of sum(conv2d_forward(x, w) * dy) with respect to x."""
    op = "conv2d_backward_input"
    dy, w = _floats(op, dy=dy, w=w)
    _ndim(op, "w", w, 4, "(out, in/group, kh, kw)")
    x_shape = _shape4(op, "x_shape", x_shape)
    stride, padding, dilation, group, y_shape = _conv_geometry(
        op, x_shape, w.shape, stride, padding, dilation, group)
    _check_dy(op, dy, y_shape, f"x {x_shape}, w {w.shape}")
    O, Cg, KH, KW = w.shape
    N, C, H, W = x_shape
    if Cg * KH * KW <= DIRECT_MAX_PATCH:
        top, bottom, left, right = padding
        dxp = np.empty((N, C, H + top + bottom, W + left + right), dtype=dy.dtype)
        _conv.conv2d_bwd_input_direct(dxp, dy, w, stride[0], stride[1],
                                      dilation[0], dilation[1], group)
        if any(padding):
            dxp = np.ascontiguousarray(dxp[:, :, top:top + H, left:left + W])
        return dxp
    _, _, OH, OW = y_shape
    dyt = np.empty((O, N, OH, OW), dtype=dy.dtype)
    _i2c.nchw_to_cnhw(dyt, dy)
    dyt = dyt.reshape(group, O // group, N * OH * OW)
    R = Cg * KH * KW
    dcols = np.empty((group, R, N, OH, OW), dtype=dy.dtype)
    dcols2 = dcols.reshape(group, R, N * OH * OW)
    w2 = w.reshape(group, O // group, R)
    for g in range(group):
        _matmul(w2[g].T, dyt[g], out=dcols2[g])
    dx = np.empty(x_shape, dtype=dy.dtype)
    _i2c.col2im(dx, dcols, KH, KW, stride[0], stride[1], padding[0], padding[2],
                dilation[0], dilation[1])
    return dx


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, group, cache=None):
    """dw (w_shape) = gradient of sum(conv2d_forward(x, w) * dy) with respect to w.

    ``cache``: the dict given to :func:`conv2d_forward` for this x, reused if it holds cols.
    """
    op = "conv2d_backward_weight"
    dy, x = _floats(op, dy=dy, x=x)
    _ndim(op, "x", x, 4, "(N, C, H, W)")
    w_shape = _shape4(op, "w_shape", w_shape)
    stride, padding, dilation, group, y_shape = _conv_geometry(
        op, x.shape, w_shape, stride, padding, dilation, group)
    _check_dy(op, dy, y_shape, f"x {x.shape}, w {w_shape}")
    O, Cg, KH, KW = w_shape
    dw = np.empty(w_shape, dtype=dy.dtype)
    if Cg * KH * KW <= DIRECT_MAX_PATCH:
        _conv.conv2d_bwd_weight_direct(dw, dy, _pad_input(x, padding), stride[0], stride[1],
                                       dilation[0], dilation[1], group)
        return dw
    cols = cache.get("cols") if cache is not None else None
    if cols is None:
        cols = _im2col(x, KH, KW, y_shape, stride, padding, dilation, group)
    N, _, OH, OW = y_shape
    dyt = np.empty((O, N, OH, OW), dtype=dy.dtype)
    _i2c.nchw_to_cnhw(dyt, dy)
    dyt = dyt.reshape(group, O // group, N * OH * OW)
    dw2 = dw.reshape(group, O // group, Cg * KH * KW)
    for g in range(group):
        _matmul(dyt[g], cols[g].T, out=dw2[g])
    return dw


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
        _pool.max_pool2d_bwd(dx, dy, argmax)
        return dx
    positive = np.ascontiguousarray(positive, dtype=dy.dtype)
    if positive.shape != dy.shape:
        raise ValueError(f"{op}: 'positive' must be shaped like dy {dy.shape}, but got "
                         f"{positive.shape}.")
    _pool.max_pool2d_bwd_positive(dx, dy, argmax, positive)
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
