"""Pooling primitives on the numba kernels: 2-D max and average pooling (fixed windows) and
adaptive average and max pooling. The max pool's backward fuses with a ReLU before it (only
windows whose maximum is positive route their gradient)."""
import numpy as np

from ...kernels import lazy
from .. import _buffers
from .. import _conv_ops as C
from .._autograd import register_backward_fusion
from .._function import Function, Primitive
from .nn_func import ReLU, _window_padding
from ..._checkparam import Problems, as_tensor, floats, ndim, pair

__all__ = []

_pool = lazy("pool")


def _pool_window(op, x, kernel_size, stride, pad_mode, padding):
    """The checked (x, kernel, stride, padding) of a pooling window (stride None = kernel)."""
    p = Problems(op)
    x = as_tensor(op, "x", x)
    floats(p, x=x)
    kernel = pair(p, "kernel_size", kernel_size)
    stride = kernel if stride is None else pair(p, "stride", stride)
    if not ndim(p, "x", x, 4, "(N, C, H, W)"):
        p.raise_if_any()
    pads = _window_padding(p, x.shape[2:], kernel, stride, (1, 1), pad_mode, padding)
    if max(pads[:2]) >= kernel[0] or max(pads[2:]) >= kernel[1]:
        p.add(f"each padding {pads} must be smaller than the kernel {kernel}")
    p.raise_if_any()
    try:
        C.conv2d_output_hw(x.shape[2:], kernel, stride, pads, (1, 1))
    except ValueError as e:
        raise ValueError(f"For '{op}', {e} (x {tuple(x.shape)}).") from None
    return x, kernel, stride, pads


class MaxPool2D(Function):
    """2-D max pooling over (N, C, H, W); the gradient goes to each window's maximum."""
    name = "max_pool2d"
    primitives = {"MaxPool": Primitive(
        {"kernel_size": 1, "strides": 1, "pad_mode": "valid", "data_format": "NCHW"},
        call=lambda fn, p, x: fn(x, p.kernel_size, p.strides, p.pad_mode))}

    @classmethod
    def check(cls, x, kernel_size, stride=None, pad_mode="valid", padding=0):
        x, kernel, stride, pads = _pool_window("max_pool2d", x, kernel_size, stride, pad_mode,
                                               padding)
        return (x,), {"kernel": kernel, "stride": stride, "padding": pads}

    def forward(self, x, kernel, stride, padding):
        self.x_shape = x.shape
        N, Cn, H, W = x.shape
        oh, ow = C.conv2d_output_hw((H, W), kernel, stride, padding, (1, 1))
        self.y = _buffers.empty((N, Cn, oh, ow), dtype=x.dtype)
        self.argmax = _buffers.empty((N, Cn, oh, ow), dtype=np.int32)
        if kernel == (2, 2) and stride == (2, 2) and not any(padding):
            _pool.max_pool2d_fwd_2x2(self.y, self.argmax, x)
        else:
            _pool.max_pool2d_fwd(self.y, self.argmax, x, kernel[0], kernel[1], stride[0],
                                 stride[1], padding[0], padding[2])
        return self.y

    def route(self, dy, positive_only):
        """dy routed to each window's argmax cell (overlaps add); with ``positive_only`` only
        windows whose maximum is > 0 route (ReLU's mask, for the ReLU -> MaxPool fusion)."""
        dx = _buffers.empty(self.x_shape, dtype=dy.dtype)
        _pool.max_pool2d_bwd(dx, np.ascontiguousarray(dy), self.argmax,
                             self.y.astype(dy.dtype, copy=False), positive_only)
        return dx

    def backward(self, dy):
        return (self.route(dy, False),)


register_backward_fusion(MaxPool2D, ReLU, lambda pool, relu, dy: pool.route(dy, True))


class AvgPool2D(Function):
    """2-D average pooling over (N, C, H, W). ``pad_mode`` 'valid', 'same' (out = ceil(in /
    stride); padded cells are left out of each mean, as MindSpore's AvgPool) or 'pad'
    (``padding``; padded cells count as zeros when ``count_include_pad``)."""
    name = "avg_pool2d"
    primitives = {"AvgPool": Primitive(
        {"kernel_size": 1, "strides": 1, "pad_mode": "valid", "data_format": "NCHW"},
        call=lambda fn, p, x: fn(x, p.kernel_size, p.strides, p.pad_mode))}

    @classmethod
    def check(cls, x, kernel_size=1, stride=1, pad_mode="valid", padding=0,
              count_include_pad=True):
        x, kernel, stride, pads = _pool_window("avg_pool2d", x, kernel_size, stride, pad_mode,
                                               padding)
        count_pad = bool(count_include_pad) and str(pad_mode).lower() == "pad"
        return (x,), {"kernel": kernel, "stride": stride, "padding": pads, "count_pad": count_pad}

    def forward(self, x, kernel, stride, padding, count_pad):
        N, Cn, H, W = self.x_shape = x.shape
        oh, ow = C.conv2d_output_hw((H, W), kernel, stride, padding, (1, 1))
        self.args = kernel + stride + (padding[0], padding[2], count_pad)
        y = _buffers.empty((N, Cn, oh, ow), dtype=x.dtype)
        _pool.avg_pool2d_fwd(y, x, *self.args)
        return y

    def backward(self, dy):
        dx = _buffers.empty(self.x_shape, dtype=dy.dtype)
        _pool.avg_pool2d_bwd(dx, np.ascontiguousarray(dy), *self.args)
        return (dx,)


# ---- adaptive pooling ----------------------------------------------------------------------------
def _adaptive_input(op, input, output_size):  # noqa: A002
    """(x, (OH, OW)) for an adaptive 2-D pool of (N, C, H, W) or (C, H, W) input; a None in
    ``output_size`` keeps that input size."""
    p = Problems(op)
    x = as_tensor(op, "input", input, p)
    p.raise_if_any()
    floats(p, input=x)
    if x.ndim not in (3, 4):
        p.add(f"'input' must be (N, C, H, W) or (C, H, W), but got shape {tuple(x.shape)}")
        p.raise_if_any()
    H, W = x.shape[-2:]
    size = (output_size, output_size) if isinstance(output_size, (int, np.integer)) or \
        output_size is None else output_size
    ok = isinstance(size, (tuple, list)) and len(size) == 2 and all(
        s is None or (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0)
        for s in size)
    if not ok:
        p.add(f"'output_size' must be a positive int or a pair of positive ints (or None), but "
              f"got {output_size!r}")
        p.raise_if_any()
    out = (H if size[0] is None else int(size[0]), W if size[1] is None else int(size[1]))
    if min(H, W) < 1:
        p.add(f"'input' must have H, W >= 1, but got shape {tuple(x.shape)}")
    p.raise_if_any()
    return x, out


def _as_4d(x):
    return np.ascontiguousarray(x if x.ndim == 4 else x[None])


class AdaptiveAvgPool2D(Function):
    """Adaptive 2-D average pooling of (N, C, H, W) or (C, H, W) ``input`` to ``output_size``
    (OH, OW): output cell (i, j) is the mean of rows floor(i*H/OH) .. ceil((i+1)*H/OH) - 1 and
    the same for columns (MindSpore's and PyTorch's bins)."""
    name = "adaptive_avg_pool2d"
    primitives = {"AdaptiveAvgPool2D": Primitive({"output_size": None},
                                                 call=lambda fn, p, x: fn(x, p.output_size))}

    @classmethod
    def check(cls, input, output_size):  # noqa: A002
        x, out = _adaptive_input("adaptive_avg_pool2d", input, output_size)
        return (x,), {"output_size": out}

    def forward(self, x, output_size):
        x4 = _as_4d(x)
        self.x_shape, self.x4_shape = x.shape, x4.shape
        y = np.empty(x4.shape[:2] + output_size, x.dtype)
        _pool.adaptive_avg_pool2d_fwd(y, x4)
        return y.reshape(x.shape[:-2] + output_size)

    def backward(self, dy):
        dx = np.empty(self.x4_shape, dy.dtype)
        _pool.adaptive_avg_pool2d_bwd(dx, _as_4d(dy))
        return (dx.reshape(self.x_shape),)


class AdaptiveMaxPool2D(Function):
    """Adaptive 2-D max pooling (bins as ``adaptive_avg_pool2d``); the gradient goes to each
    bin's maximum. With ``return_indices`` also the Int64 flat index ih*W + iw of each maximum
    in its (H, W) plane (as PyTorch's and MindSpore's indices)."""
    name = "adaptive_max_pool2d"

    @classmethod
    def check(cls, input, output_size, return_indices=False):  # noqa: A002
        x, out = _adaptive_input("adaptive_max_pool2d", input, output_size)
        return (x,), {"output_size": out, "return_indices": bool(return_indices)}

    def forward(self, x, output_size, return_indices):
        x4 = _as_4d(x)
        self.x_shape, self.x4_shape = x.shape, x4.shape
        self.y = np.empty(x4.shape[:2] + output_size, x.dtype)
        self.argmax = np.empty(self.y.shape, np.int32)
        _pool.adaptive_max_pool2d_fwd(self.y, self.argmax, x4)
        y = self.y.reshape(x.shape[:-2] + output_size)
        if return_indices:
            return y, self.argmax.astype(np.int64).reshape(y.shape)
        return y

    def backward(self, dy, *unused_indices_grad):
        dx = np.empty(self.x4_shape, dy.dtype)
        _pool.max_pool2d_bwd(dx, _as_4d(dy), self.argmax, self.y.astype(dy.dtype, copy=False),
                             False)
        return (dx.reshape(self.x_shape),)
