"""Naive, obviously-correct numpy references for the array ops (stumpy's ``naive.py`` style).

Loops over output positions, explicit zero padding, float64 accumulation; slow by design and
independent of the kernels (no im2col, no shared index helpers).
"""
import numpy as np


def pad_nchw(x, padding, value=0.0):
    top, bottom, left, right = padding
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def conv2d(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), group=1):
    """y[n,o,i,j] = sum_{c,p,q} w[o,c,p,q] * xpad[n, g*Cg+c, i*sh+p*dh, j*sw+q*dw]."""
    xp = pad_nchw(x.astype(np.float64), padding)
    N, C, H, W = xp.shape
    O, Cg, KH, KW = w.shape
    sh, sw = stride
    dh, dw = dilation
    OH = (H - dh * (KH - 1) - 1) // sh + 1
    OW = (W - dw * (KW - 1) - 1) // sw + 1
    Og = O // group
    y = np.zeros((N, O, OH, OW))
    for n in range(N):
        for o in range(O):
            g = o // Og
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, g * Cg:(g + 1) * Cg,
                               i * sh:i * sh + dh * (KH - 1) + 1:dh,
                               j * sw:j * sw + dw * (KW - 1) + 1:dw]
                    y[n, o, i, j] = np.sum(patch * w[o])
    return y.astype(x.dtype)


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, group):
    """Scatter every dy[n,o,i,j] * w[o] back onto its padded input window, then crop."""
    N, C, H, W = x_shape
    top, bottom, left, right = padding
    O, Cg, KH, KW = w.shape
    sh, sw = stride
    dh, dw = dilation
    Og = O // group
    dxp = np.zeros((N, C, H + top + bottom, W + left + right))
    for n in range(N):
        for o in range(O):
            g = o // Og
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    dxp[n, g * Cg:(g + 1) * Cg,
                        i * sh:i * sh + dh * (KH - 1) + 1:dh,
                        j * sw:j * sw + dw * (KW - 1) + 1:dw] += dy[n, o, i, j] * w[o]
    return dxp[:, :, top:top + H, left:left + W].astype(dy.dtype)


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, group):
    """dw[o] = sum over n,i,j of dy[n,o,i,j] * (the input window that produced y[n,o,i,j])."""
    xp = pad_nchw(x.astype(np.float64), padding)
    O, Cg, KH, KW = w_shape
    sh, sw = stride
    dh, dw_ = dilation
    Og = O // group
    dw = np.zeros(w_shape)
    for n in range(x.shape[0]):
        for o in range(O):
            g = o // Og
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    dw[o] += dy[n, o, i, j] * xp[n, g * Cg:(g + 1) * Cg,
                                                 i * sh:i * sh + dh * (KH - 1) + 1:dh,
                                                 j * sw:j * sw + dw_ * (KW - 1) + 1:dw_]
    return dw.astype(dy.dtype)


def max_pool2d(x, kernel, stride, padding=(0, 0, 0, 0)):
    """(y, argmax) with -inf padding; argmax is the first maximum's flat index in the (H, W) plane."""
    N, C, H, W = x.shape
    top, _, left, _ = padding
    xp = pad_nchw(x.astype(np.float64), padding, value=-np.inf)
    KH, KW = kernel
    sh, sw = stride
    OH = (xp.shape[2] - KH) // sh + 1
    OW = (xp.shape[3] - KW) // sw + 1
    y = np.zeros((N, C, OH, OW))
    arg = np.zeros((N, C, OH, OW), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    win = xp[n, c, i * sh:i * sh + KH, j * sw:j * sw + KW]
                    p, q = np.unravel_index(np.argmax(win), win.shape)
                    y[n, c, i, j] = win[p, q]
                    arg[n, c, i, j] = (i * sh + p - top) * W + (j * sw + q - left)
    return y.astype(x.dtype), arg


def max_pool2d_backward(dy, argmax, x_shape):
    dx = np.zeros(x_shape)
    N, C, H, W = x_shape
    for n in range(N):
        for c in range(C):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    a = argmax[n, c, i, j]
                    dx[n, c, a // W, a % W] += dy[n, c, i, j]
    return dx.astype(dy.dtype)


def relu(x):
    return np.where(x > 0, x, 0).astype(x.dtype)


def dense(x, w, b=None):
    y = np.einsum("ni,oi->no", x.astype(np.float64), w.astype(np.float64))
    return (y if b is None else y + b).astype(x.dtype)


def softmax_cross_entropy(logits, target_rows):
    """Per-row loss -sum_k t_k log softmax(z)_k and its gradient softmax*sum(t) - t (float64)."""
    z = logits.astype(np.float64)
    t = target_rows.astype(np.float64)
    loss = np.zeros(z.shape[0])
    grad = np.zeros_like(z)
    for n in range(z.shape[0]):
        e = np.exp(z[n] - z[n].max())
        soft = e / e.sum()
        loss[n] = -np.sum(t[n] * np.log(soft))
        grad[n] = soft * t[n].sum() - t[n]
    return loss, grad


def momentum_step(p, g, v, lr, momentum, weight_decay=0.0, loss_scale=1.0, nesterov=False,
                  decay=True):
    """One MindSpore Momentum step on copies, in the parameter dtype; returns (p, v)."""
    t = p.dtype.type
    g = g.astype(p.dtype)
    if weight_decay > 0 and decay:
        g = g + t(weight_decay * loss_scale) * p
    if loss_scale != 1.0:
        g = g / t(loss_scale)
    v = t(momentum) * v + g
    if nesterov:
        p = p - (t(lr) * g + t(lr) * t(momentum) * v)
    else:
        p = p - t(lr) * v
    return p, v
