"""Plain-numpy peer for benchmarks/kernels.py: im2col via sliding windows + one matmul.

What a careful numpy user would write (no loops over pixels); stride 1, no padding, group 1,
which is all LeNet needs.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _cols(x, kh, kw):
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, kh, kw)
    n, c, oh, ow = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw), (n, oh, ow)


def conv2d(x, w):
    cols, (n, oh, ow) = _cols(x, w.shape[2], w.shape[3])
    y = cols @ w.reshape(w.shape[0], -1).T
    return np.ascontiguousarray(y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2))


def conv2d_backward_input(dy, w, x_shape):
    o, c, kh, kw = w.shape
    n, _, oh, ow = dy.shape
    dcols = (dy.transpose(0, 2, 3, 1).reshape(-1, o) @ w.reshape(o, -1)).reshape(n, oh, ow, c, kh, kw)
    dx = np.zeros(x_shape, dtype=dy.dtype)
    for p in range(kh):
        for q in range(kw):
            dx[:, :, p:p + oh, q:q + ow] += dcols[:, :, :, :, p, q].transpose(0, 3, 1, 2)
    return dx


def conv2d_backward_weight(dy, x, w_shape):
    cols, _ = _cols(x, w_shape[2], w_shape[3])
    return (dy.transpose(1, 0, 2, 3).reshape(w_shape[0], -1) @ cols).reshape(w_shape)


def max_pool2d(x):
    n, c, h, w = x.shape
    win = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    win = win.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    return win.max(-1), win.argmax(-1)


def max_pool2d_backward(dy, arg, x_shape):
    n, c, oh, ow = dy.shape
    onehot = (arg[..., None] == np.arange(4)) * dy[..., None]
    dx = np.zeros(x_shape, dtype=dy.dtype)
    dx[:, :, :oh * 2, :ow * 2] = onehot.reshape(n, c, oh, ow, 2, 2).transpose(
        0, 1, 2, 4, 3, 5).reshape(n, c, oh * 2, ow * 2)
    return dx


def softmax_xent(z, labels):
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = (np.log(s[:, 0]) + m[:, 0] - z[rows, labels]).mean()
    grad = e / s
    grad[rows, labels] -= 1
    return loss, grad / z.shape[0]
