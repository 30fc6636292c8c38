"""Convolution on numpy arrays (forward, input gradient, weight gradient), for ``Conv2D``.

The arguments were checked once by ``Conv2D.check``; nothing here validates again. Each call
picks its strategy by :func:`is_direct`: direct numba loops (:mod:`minispore.kernels.conv_flat`)
for stride-1 convolutions with patches up to ``DIRECT_MAX_PATCH`` (``C/group*kh*kw``), otherwise
numpy im2col/col2im around one BLAS GEMM per group. Strided convolutions once had direct row
kernels of their own; they cost 6.6 s of compile on a cold start (a ResNet's first step) for
the few strided layers of a model, so they take the GEMM path now.
"""
import numpy as np

from ..kernels import lazy
from . import _buffers
from ._blas import matmul as _matmul
from ._malloc import tune_if_requested
from ._warmup import start_if_requested

_conv, _i2c = lazy("conv"), lazy("im2col")

__all__ = ["DIRECT_MAX_PATCH", "is_direct", "conv2d_padding", "conv2d_output_hw", "conv2d_forward",
           "conv2d_backward_input", "conv2d_backward_weight"]

# Patch length (C/group * kh * kw) up to which convolution uses direct loops. Measured (2-core
# target, batch 32, forward + both gradients): patch 150 (LeNet conv2) direct 1.8 ms vs GEMM
# 4.7 ms; 16x3x3 on 32x32 38 vs 44 ms; 32x3x3 54 vs 78 ms; 64x3x3 on 16x16 84 vs 47 ms.
DIRECT_MAX_PATCH = 400


def conv2d_padding(in_hw, kernel_hw, stride_hw, dilation_hw, pad_mode):
    """(top, bottom, left, right) padding for MindSpore's pad_mode 'valid' or 'same'.

    'same' gives out = ceil(in/stride) with total padding max((out-1)*stride + d*(k-1) + 1 - in, 0),
    floor(total/2) on top/left and the extra one on bottom/right.
    """
    if pad_mode == "valid":
        return (0, 0, 0, 0)
    pads = []
    for size, k, s, d in zip(in_hw, kernel_hw, stride_hw, dilation_hw):
        out = -(-size // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def conv2d_output_hw(in_hw, kernel_hw, stride, padding, dilation):
    """Output (H, W) of a convolution or pooling window; ValueError if the window does not fit."""
    h, w = in_hw
    kh, kw = kernel_hw
    sh, sw = stride
    dh, dw = dilation
    top, bottom, left, right = padding
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    ph, pw = h + top + bottom, w + left + right
    if ph < eh or pw < ew:
        raise ValueError(f"the padded input {(ph, pw)} is smaller than the (dilated) kernel "
                         f"{(eh, ew)} (input {(h, w)}, padding {padding}).")
    return (ph - eh) // sh + 1, (pw - ew) // sw + 1


def is_direct(w_shape, stride):
    """Whether a convolution runs the direct stride-1 kernels (else im2col + GEMM)."""
    _, Cg, KH, KW = w_shape
    return tuple(stride) == (1, 1) and Cg * KH * KW <= DIRECT_MAX_PATCH


def _out_shape(x_shape, w_shape, stride, padding, dilation):
    oh, ow = conv2d_output_hw(x_shape[2:], w_shape[2:], stride, padding, dilation)
    return (x_shape[0], w_shape[0], oh, ow)


def _pad_input(x, padding):
    top, bottom, left, right = padding
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _im2col(x, KH, KW, out_shape, stride, padding, dilation, group):
    N, _, OH, OW = out_shape
    R = x.shape[1] // group * KH * KW
    cols = _buffers.empty((group, R, N, OH, OW), dtype=x.dtype)
    _i2c.im2col(cols, x, KH, KW, stride[0], stride[1], padding[0], padding[2],
                dilation[0], dilation[1], _buffers.empty)
    return cols.reshape(group, R, N * OH * OW)


def conv2d_forward(x, w, stride, padding, dilation, group, cache=None):
    """y (N,O,OH,OW) = cross-correlation of x (N,C,H,W) with w (O,C/group,kh,kw).

    ``cache``: an optional dict; the im2col matrix is kept in it so that
    :func:`conv2d_backward_weight` given the same dict does not rebuild it.
    """
    tune_if_requested()
    start_if_requested()
    y_shape = _out_shape(x.shape, w.shape, stride, padding, dilation)
    O, Cg, KH, KW = w.shape
    y = _buffers.empty(y_shape, dtype=x.dtype)
    if is_direct(w.shape, stride):
        _conv.conv2d_fwd_direct(y, _pad_input(x, padding), w, dilation[0], dilation[1],
                                group, _buffers.empty)
        return y
    cols = _im2col(x, KH, KW, y_shape, stride, padding, dilation, group)
    if cache is not None:
        cache["cols"] = cols
    N, _, OH, OW = y_shape
    tmp = _buffers.empty((group, O // group, N * OH * OW), dtype=x.dtype)
    w2 = w.reshape(group, O // group, -1)
    for g in range(group):
        _matmul(w2[g], cols[g], out=tmp[g])
    _i2c.cnhw_to_nchw(y, tmp.reshape(O, N, OH, OW))
    return y


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, group):
    """dx (x_shape) = gradient of sum(conv2d_forward(x, w) * dy) with respect to x."""
    y_shape = dy.shape
    O, Cg, KH, KW = w.shape
    N, C, H, W = x_shape
    if is_direct(w.shape, stride):
        top, bottom, left, right = padding
        dxp = _buffers.empty((N, C, H + top + bottom, W + left + right), dtype=dy.dtype)
        _conv.conv2d_bwd_input_direct(dxp, dy, w, dilation[0], dilation[1], group,
                                      _buffers.empty)
        if any(padding):
            dxp = np.ascontiguousarray(dxp[:, :, top:top + H, left:left + W])
        return dxp
    _, _, OH, OW = y_shape
    dyt = _buffers.empty((O, N, OH, OW), dtype=dy.dtype)
    _i2c.nchw_to_cnhw(dyt, dy)
    dyt = dyt.reshape(group, O // group, N * OH * OW)
    R = Cg * KH * KW
    dcols = _buffers.empty((group, R, N, OH, OW), dtype=dy.dtype)
    dcols2 = dcols.reshape(group, R, N * OH * OW)
    w2 = w.reshape(group, O // group, R)
    for g in range(group):
        _matmul(w2[g].T, dyt[g], out=dcols2[g])
    dx = _buffers.empty(x_shape, dtype=dy.dtype)
    _i2c.col2im(dx, dcols, KH, KW, stride[0], stride[1], padding[0], padding[2],
                dilation[0], dilation[1], _buffers.empty)
    return dx


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, group, cache=None):
    """dw (w_shape) = gradient of sum(conv2d_forward(x, w) * dy) with respect to w.

    ``cache``: the dict given to :func:`conv2d_forward` for this x, reused if it holds cols.
    """
    y_shape = dy.shape
    O, Cg, KH, KW = w_shape
    dw = np.empty(w_shape, dtype=dy.dtype)
    if is_direct(w_shape, stride):
        _conv.conv2d_bwd_weight_direct(dw, dy, _pad_input(x, padding), dilation[0],
                                       dilation[1], group, _buffers.empty)
        return dw
    cols = cache.get("cols") if cache is not None else None
    if cols is None:
        cols = _im2col(x, KH, KW, y_shape, stride, padding, dilation, group)
    N, _, OH, OW = y_shape
    dyt = _buffers.empty((O, N, OH, OW), dtype=dy.dtype)
    _i2c.nchw_to_cnhw(dyt, dy)
    dyt = dyt.reshape(group, O // group, N * OH * OW)
    dw2 = dw.reshape(group, O // group, Cg * KH * KW)
    for g in range(group):
        _matmul(dyt[g], cols[g].T, out=dw2[g])
    return dw
