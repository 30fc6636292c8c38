"""Validated convolution primitives (forward, input gradient, weight gradient) on numpy arrays.

Each call picks the strategy the benchmarks showed faster: direct numba loops
(:mod:`minispore.kernels.conv`, :mod:`minispore.kernels.conv_flat`) for patches up to
``DIRECT_MAX_PATCH`` (``C/group*kh*kw``), otherwise numba im2col/col2im around one BLAS GEMM
per group.
"""
import numpy as np

from ..kernels import conv as _conv
from ..kernels import im2col as _i2c
from ._blas import matmul as _matmul
from ._validate import _floats, _ndim, _pad4, _pair, _shape4
from ._warmup import start_if_cold

__all__ = ["DIRECT_MAX_PATCH", "conv2d_padding", "conv2d_output_hw", "conv2d_forward",
           "conv2d_backward_input", "conv2d_backward_weight"]

# Patch length (C/group * kh * kw) up to which convolution uses direct loops. Measured (2-core
# target, batch 32, forward + both gradients): patch 150 (LeNet conv2) direct 1.8 ms vs GEMM
# 4.7 ms; 16x3x3 on 32x32 38 vs 44 ms; 32x3x3 54 vs 78 ms; 64x3x3 on 16x16 84 vs 47 ms.
DIRECT_MAX_PATCH = 400


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
