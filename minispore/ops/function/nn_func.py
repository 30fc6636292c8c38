"""Neural-network primitives on the numba kernels: ReLU, convolution, bias, pooling, dense,
softmax and softmax cross-entropy."""
import numpy as np

from ...common.tensor import Tensor
from ...kernels import lazy
from .. import _buffers
from .. import _conv_ops as C
from .._autograd import register_backward_fusion
from .._blas import matmul as _matmul
from .._function import Function, Primitive
from .array_func import Reshape
from ..._checkparam import (Problems, as_tensor, check_reduction, check_sparse_labels, floats, ndim,
                         pad4, pair)

__all__ = []

_act, _loss, _pool = lazy("activation"), lazy("loss"), lazy("pool")


class ReLU(Function):
    """max(input, 0); NaN propagates; the gradient is 0 where input <= 0."""
    name, primitives = "relu", {"ReLU": Primitive()}

    @classmethod
    def check(cls, input):  # noqa: A002
        x = as_tensor("relu", "input", input)
        problems = Problems("relu")
        floats(problems, input=x)
        problems.raise_if_any()
        return (x,), {}

    def forward(self, x):
        self.y = _buffers.empty_like(x)
        _act.relu_fwd(self.y.reshape(-1), x.reshape(-1))
        return self.y

    def backward(self, dy):
        dx = _buffers.empty_like(dy)
        _act.relu_bwd(dx.reshape(-1), np.ascontiguousarray(dy).reshape(-1), self.y.reshape(-1))
        return (dx,)


def _window_padding(problems, in_hw, kernel, stride, dilation, pad_mode, padding):
    mode = str(pad_mode).lower()
    if mode not in ("valid", "same", "pad"):
        problems.add(f"'pad_mode' must be 'valid', 'same' or 'pad', but got {pad_mode!r}")
        return (0, 0, 0, 0)
    if mode == "pad":
        return pad4(problems, padding)
    return C.conv2d_padding(in_hw, kernel, stride, dilation, mode)


class Conv2D(Function):
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw),
    plus ``bias`` (O,) when given. ``pad_mode``: 'valid', 'same' (out = ceil(in / stride)) or
    'pad' (``padding``: an int or (top, bottom, left, right))."""
    name = "conv2d"
    primitives = {"Conv2D": Primitive(
        {"out_channel": None, "kernel_size": None, "mode": 1, "pad_mode": "valid", "pad": 0,
         "stride": 1, "dilation": 1, "group": 1, "data_format": "NCHW"},
        call=lambda fn, p, x, w: fn(x, w, None, p.stride, p.pad_mode, p.pad, p.dilation,
                                    p.group))}

    @classmethod
    def check(cls, input, weight, bias=None, stride=1, pad_mode="valid", padding=0,  # noqa: A002
              dilation=1, groups=1):
        p = Problems("conv2d")
        x = as_tensor("conv2d", "input", input, p)
        w = as_tensor("conv2d", "weight", weight, p)
        p.raise_if_any()
        floats(p, input=x, weight=w)
        stride, dilation = pair(p, "stride", stride), pair(p, "dilation", dilation)
        if not (ndim(p, "input", x, 4, "(N, C, H, W)") &
                ndim(p, "weight", w, 4, "(out, in/groups, kh, kw)")):
            p.raise_if_any()
        N, Cin, H, W = x.shape
        O, Cg, KH, KW = w.shape
        if x._data.dtype != w._data.dtype:
            p.add(f"the input ({x.dtype}) and the weight ({w.dtype}) must have the same dtype",
                  type_error=True)
        groups = int(groups)
        if groups < 1 or Cin % groups or O % groups:
            p.add(f"the input channels {Cin} and the weight's out-channels {O} must both be "
                  f"divisible by groups {groups}")
        elif Cin // groups != Cg:
            p.add(f"the input {tuple(x.shape)} has {Cin} channels but the weight "
                  f"{tuple(w.shape)} expects {Cg * groups} (input must be (N, {Cg * groups}, H, W))")
        pads = _window_padding(p, (H, W), (KH, KW), stride, dilation, pad_mode, padding)
        if bias is not None and tuple(bias.shape) != (O,):
            p.add(f"'bias' must have shape ({O},), but got {tuple(bias.shape)}")
        p.raise_if_any()
        try:
            C.conv2d_output_hw((H, W), (KH, KW), stride, pads, dilation)
        except ValueError as e:
            raise ValueError(f"For 'conv2d', {e} (input {tuple(x.shape)}, weight "
                             f"{tuple(w.shape)}).") from None
        attrs = {"stride": stride, "padding": pads, "dilation": dilation, "group": groups}
        return (x, w), dict(attrs, bias=bias)

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        bias = attrs.pop("bias")
        out = cls.apply(*inputs, **attrs)
        return out if bias is None else BiasAdd.call(out, bias)

    def forward(self, x, w, stride, padding, dilation, group):
        self.x, self.w = x, w
        self.attrs = (stride, padding, dilation, group)
        self.cache = {}
        return C.conv2d_forward(x, w, stride, padding, dilation, group, cache=self.cache)

    def backward(self, dy):
        dy = np.ascontiguousarray(dy)
        dx = dw = None
        if self.needs[0]:
            dx = C.conv2d_backward_input(dy, self.w, self.x.shape, *self.attrs)
        if self.needs[1]:
            dw = C.conv2d_backward_weight(dy, self.x, self.w.shape, *self.attrs, cache=self.cache)
        return dx, dw


class BiasAdd(Function):
    """input + bias broadcast over the channel axis 1 (NCHW / NC)."""
    name = "bias_add"
    primitives = {"BiasAdd": Primitive({"data_format": "NCHW"},
                                       call=lambda fn, p, x, b: fn(x, b))}

    @classmethod
    def check(cls, input_x, bias):
        x, b = as_tensor("bias_add", "input_x", input_x), as_tensor("bias_add", "bias", bias)
        if x.ndim < 2 or b.shape != (x.shape[1],):
            raise ValueError(f"For 'bias_add', 'input_x' must be (N, C, ...) and 'bias' (C,), "
                             f"but got input_x {tuple(x.shape)} and bias {tuple(b.shape)}.")
        return (x, b), {}

    def forward(self, x, b):
        self.axes = (0,) + tuple(range(2, x.ndim))
        return x + b.reshape((1, -1) + (1,) * (x.ndim - 2))

    def backward(self, dy):
        return dy, (dy.sum(axis=self.axes) if self.needs[1] else None)


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


class Dense(Function):
    """input @ weight.T + bias, weight of shape (out, in)."""
    name = "dense"

    @classmethod
    def check(cls, input, weight, bias=None):  # noqa: A002
        p = Problems("dense")
        x, w = as_tensor("dense", "input", input, p), as_tensor("dense", "weight", weight, p)
        p.raise_if_any()
        floats(p, input=x, weight=w)
        if ndim(p, "input", x, 2, "(N, in)") & ndim(p, "weight", w, 2, "(out, in)"):
            if x.shape[1] != w.shape[1]:
                p.add(f"the input has {x.shape[1]} features but the weight expects "
                      f"{w.shape[1]} (input {tuple(x.shape)}, weight {tuple(w.shape)})")
            if bias is not None and tuple(bias.shape) != (w.shape[0],):
                p.add(f"'bias' must have shape ({w.shape[0]},), but got {tuple(bias.shape)}")
        p.raise_if_any()
        return ((x, w) if bias is None else (x, w, bias)), {}

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        y = _matmul(x, w.T)
        if b is not None:
            y += b
        return y

    def backward(self, dy):
        needs = self.needs
        dx = _matmul(dy, self.w) if needs[0] else None
        dw = _matmul(dy.T, self.x) if needs[1] else None
        if len(needs) == 2:
            return dx, dw
        return dx, dw, (dy.sum(axis=0) if needs[2] else None)


class _SoftmaxBase(Function):
    @classmethod
    def check(cls, input, axis=-1):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        if not -max(x.ndim, 1) <= int(axis) < max(x.ndim, 1):
            raise ValueError(f"For '{cls.name}', 'axis' {axis} is out of range for shape "
                             f"{tuple(x.shape)}.")
        return (x,), {"axis": int(axis)}


class Softmax(_SoftmaxBase):
    """exp(input) / sum(exp(input)) along ``axis``."""
    name = "softmax"
    primitives = {"Softmax": Primitive({"axis": -1}, call=lambda fn, p, x: fn(x, p.axis))}

    def forward(self, x, axis):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, dy):
        return (self.y * (dy - (dy * self.y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(_SoftmaxBase):
    """log(softmax(input)) along ``axis``, computed stably."""
    name = "log_softmax"
    primitives = {"LogSoftmax": Primitive({"axis": -1}, call=lambda fn, p, x: fn(x, p.axis))}

    def forward(self, x, axis):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.y

    def backward(self, dy):
        return (dy - np.exp(self.y) * dy.sum(axis=self.axis, keepdims=True),)


class SoftmaxCrossEntropy(Function):
    """Softmax cross-entropy of ``logits`` (N, C) against class indices (``sparse``, Int32/Int64
    of shape (N,)) or target distributions (N, C); ``reduction`` 'mean', 'sum' or 'none'.
    Out-of-range class indices are refused (MindSpore leaves them unchecked)."""
    name = "cross_entropy_with_logits"
    primitives = {
        "SparseSoftmaxCrossEntropyWithLogits": Primitive(
            {"is_grad": False}, call=lambda fn, p, z, y: fn(z, y, True, "mean")),
    }

    @classmethod
    def check(cls, logits, labels, sparse=True, reduction="mean"):
        op = "SoftmaxCrossEntropyWithLogits"
        p = Problems(op)
        z = as_tensor(op, "logits", logits, p)
        y = as_tensor(op, "labels", labels, p)
        p.raise_if_any()
        floats(p, logits=z)
        check_reduction(p, reduction)
        if ndim(p, "logits", z, 2, "(N, C)"):
            if sparse:
                check_sparse_labels(p, y, z.shape[0], z.shape[1])
            elif tuple(y.shape) != tuple(z.shape):
                p.add(f"with sparse=False the labels must have the logits' shape "
                      f"{tuple(z.shape)}, but got {tuple(y.shape)}")
            else:
                floats(p, labels=y)
        p.raise_if_any()
        return (z, y), {"sparse": bool(sparse), "reduction": reduction}

    def forward(self, z, labels, sparse, reduction):
        n = z.shape[0]
        scale = 1.0 / n if (reduction == "mean" and n) else 1.0
        loss = np.empty(n, dtype=z.dtype)
        self.dlogits = np.empty_like(z)
        if sparse:
            _loss.softmax_xent_sparse(loss, self.dlogits, z, np.ascontiguousarray(labels), scale)
        else:
            _loss.softmax_xent_dense(loss, self.dlogits, z, labels.astype(z.dtype, copy=False),
                                     scale)
        self.reduction = reduction
        if reduction == "none":
            return loss
        total = loss.sum(dtype=np.float64)
        if reduction == "mean":
            total = total / n if n else np.nan
        return np.asarray(total, dtype=loss.dtype)

    def backward(self, dy):
        if self.reduction == "none":
            return self.dlogits * dy[:, None], None
        return self.dlogits * dy, None


# ---- normalisation -------------------------------------------------------------------------------
_norm = lazy("norm")


def _channel_view(x):
    """x (N, C, ...) as a C-contiguous (N, C, S) array (S = 1 for (N, C))."""
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


class BatchNorm(Function):
    """Batch normalisation over axis 1 of ``input_x`` (N, C, ...):
    y = (x - mean) / sqrt(var + eps) * weight + bias, per channel.

    With ``training=True`` mean and var are the batch's (the biased variance, divided by the
    N*H*W values of a channel) and ``running_mean``/``running_var`` are updated in place:
    running = (1 - momentum) * running + momentum * batch (this functional form's convention,
    as ``mindspore.ops.batch_norm``; ``nn.BatchNorm2d``'s ``momentum=0.9`` is 1 minus this).
    The moving variance takes the biased batch variance, as MindSpore's CPU kernel does
    (oneDNN's statistics); PyTorch and MindSpore's GPU/Ascend kernels take the unbiased one,
    which differs by a factor N*H*W/(N*H*W-1). With ``training=False`` the running statistics
    normalise and are left unchanged. ``weight``/``bias`` None mean ones/zeros."""
    name = "batch_norm"

    @classmethod
    def check(cls, input_x, running_mean, running_var, weight=None, bias=None, training=False,
              momentum=0.1, eps=1e-5):
        op = "batch_norm"
        p = Problems(op)
        x = as_tensor(op, "input_x", input_x, p)
        p.raise_if_any()
        floats(p, input_x=x)
        if x.ndim < 2:
            p.add(f"'input_x' must be (N, C, ...) with at least 2 dims, but got shape "
                  f"{tuple(x.shape)}")
            p.raise_if_any()
        C = x.shape[1]
        arrays = {}
        for arg, t in (("running_mean", running_mean), ("running_var", running_var),
                       ("weight", weight), ("bias", bias)):
            if t is None:
                if arg.startswith("running") and not training:
                    p.add(f"'{arg}' is required when training=False")
                continue
            t = as_tensor(op, arg, t, p)
            if t is None:
                continue
            if tuple(t.shape) != (C,):
                p.add(f"'{arg}' must have shape ({C},) for input {tuple(x.shape)}, but got "
                      f"{tuple(t.shape)}")
            elif t._data.dtype.kind != "f":
                p.add(f"'{arg}' must be a float tensor, but got {t.dtype}", type_error=True)
            arrays[arg] = t
        if not isinstance(training, bool):
            p.add(f"'training' must be bool, but got {type(training).__name__}", type_error=True)
        if not isinstance(momentum, (int, float)) or not 0.0 <= float(momentum) <= 1.0:
            p.add(f"'momentum' must be a float in [0, 1], but got {momentum!r}")
        if not isinstance(eps, (int, float)) or not float(eps) > 0.0:
            p.add(f"'eps' must be a float > 0, but got {eps!r}")
        p.raise_if_any()
        dt = x._data.dtype
        w = arrays["weight"] if "weight" in arrays else Tensor._make(np.ones(C, dt))
        b = arrays["bias"] if "bias" in arrays else Tensor._make(np.zeros(C, dt))
        running = tuple(arrays[k]._data if k in arrays else None
                        for k in ("running_mean", "running_var"))
        return (x, w, b), {"running": running, "training": training,
                           "momentum": float(momentum), "eps": float(eps)}

    def forward(self, x, w, b, running, training, momentum, eps):
        x3 = _channel_view(x)
        C = x3.shape[1]
        w = np.ascontiguousarray(w, dtype=x.dtype)
        b = np.ascontiguousarray(b, dtype=x.dtype)
        running_mean, running_var = running
        if training:
            mean, var = np.empty(C, np.float64), np.empty(C, np.float64)
            _norm.batch_norm_stats(mean, var, x3)
            for run, batch in ((running_mean, mean), (running_var, var)):
                if run is not None:
                    run *= 1.0 - momentum
                    run += (momentum * batch).astype(run.dtype)
        else:
            mean = running_mean.astype(np.float64)
            var = running_var.astype(np.float64)
        invstd = np.empty(C, np.float64)
        _norm.inverse_std(invstd, var, eps)
        y = np.empty_like(x3)
        _norm.batch_norm_apply(y, x3, mean, invstd, w, b)
        self.x3, self.mean, self.invstd, self.w, self.training = x3, mean, invstd, w, training
        return y.reshape(x.shape)

    def backward(self, dy):
        x3 = self.x3
        dy3 = _channel_view(dy).astype(x3.dtype, copy=False)
        dx = np.empty_like(x3)
        C = x3.shape[1]
        dgamma, dbeta = np.empty(C, np.float64), np.empty(C, np.float64)
        _norm.batch_norm_bwd(dx, dgamma, dbeta, dy3, x3, self.mean, self.invstd, self.w,
                             self.training)
        dt = x3.dtype
        return (dx.reshape(dy.shape) if self.needs[0] else None,
                dgamma.astype(dt) if self.needs[1] else None,
                dbeta.astype(dt) if self.needs[2] else None)


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


# ---- dropout -------------------------------------------------------------------------------------
class _MaskMul(Function):
    """input * mask, mask a constant array broadcastable to input (dropout's kept/scaled
    cells); the gradient is dy * mask."""

    @classmethod
    def check(cls, input, mask):  # noqa: A002
        return (input,), {"mask": mask}

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, dy):
        return (dy * self.mask,)


def _dropout(op, input, p, training, mask_shape):  # noqa: A002
    """``input`` with cells of a Bernoulli(1 - p) mask of ``mask_shape`` (broadcast over the
    rest) kept and scaled by 1 / (1 - p), the others zeroed; the identity when not training or
    p == 0. Draws from minispore's global generator (``set_seed``)."""
    from ...common.seed import get_rng  # noqa: PLC0415
    prob = Problems(op)
    x = as_tensor(op, "input", input, prob)
    prob.raise_if_any()
    floats(prob, input=x)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        prob.add(f"'p' must be a float in [0, 1], but got {p!r}")
    prob.raise_if_any()
    if not training or p == 0:
        return x
    keep = get_rng().random(mask_shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return _MaskMul.apply(x, mask=(keep * scale).astype(x._data.dtype))


def dropout(input, p=0.5, training=True, seed=None):  # noqa: A002
    """Zero each element of ``input`` with probability ``p`` and scale the kept ones by
    1 / (1 - p), so the expectation is unchanged; the identity when ``training`` is False.
    ``seed`` is accepted for MindSpore's signature; the draw uses minispore's global
    generator (``minispore.set_seed``)."""
    return _dropout("dropout", input, p, training, tuple(input.shape))


def _channel_dropout(op, input, p, training, ranks):  # noqa: A002
    if not hasattr(input, "ndim") or input.ndim not in ranks:
        got = tuple(input.shape) if hasattr(input, "shape") else type(input).__name__
        raise ValueError(f"For '{op}', 'input' must have {' or '.join(map(str, ranks))} dims, "
                         f"but got {got}.")
    lead = 2 if input.ndim == ranks[-1] else 1
    return _dropout(op, input, p, training,
                    tuple(input.shape[:lead]) + (1,) * (input.ndim - lead))


def dropout1d(input, p=0.5, training=True):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) ``input`` with probability ``p`` (scaling
    the kept ones by 1 / (1 - p)); the identity when not ``training``."""
    return _channel_dropout("dropout1d", input, p, training, (2, 3))


def dropout2d(input, p=0.5, training=True):  # noqa: A002
    """Zero whole channels of (N, C, H, W) ``input`` with probability ``p`` (scaling the kept
    ones by 1 / (1 - p)); the identity when not ``training``."""
    return _channel_dropout("dropout2d", input, p, training, (4,))


def dropout3d(input, p=0.5, training=True):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) ``input`` with probability ``p`` (scaling the
    kept ones by 1 / (1 - p)); the identity when not ``training``."""
    return _channel_dropout("dropout3d", input, p, training, (5,))


__all__ += ["dropout", "dropout1d", "dropout2d", "dropout3d"]


# ---- activations ---------------------------------------------------------------------------------
class _Activation(Function):
    """An elementwise activation of one float ``input``; subclasses add scalar attributes."""

    @classmethod
    def _input(cls, input):  # noqa: A002
        p = Problems(cls.name)
        x = as_tensor(cls.name, "input", input, p)
        p.raise_if_any()
        floats(p, input=x)
        p.raise_if_any()
        return x

    @classmethod
    def check(cls, input):  # noqa: A002
        return (cls._input(input),), {}


def _real(op, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"For '{op}', '{name}' must be a float, but got "
                        f"{type(value).__name__}.")
    return float(value)


class GeLU(_Activation):
    """Gaussian error linear unit, x * Phi(x): ``approximate='none'`` uses the exact normal
    CDF (erf), ``'tanh'`` the approximation 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    (what the 1.x primitive ``GeLU`` and ``nn.GELU()``'s default compute)."""
    name = "gelu"
    primitives = {"GeLU": Primitive(call=lambda fn, p, x: fn(x, "tanh"))}

    @classmethod
    def check(cls, input, approximate="none"):  # noqa: A002
        x = cls._input(input)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"For 'gelu', 'approximate' must be 'none' or 'tanh', but got "
                             f"{approximate!r}.")
        return (x,), {"tanh_approx": approximate == "tanh"}

    def forward(self, x, tanh_approx):
        self.x, self.tanh_approx = np.ascontiguousarray(x), tanh_approx
        self.fast_erf = x.dtype == np.float32  # float32-precision erf for float32 input
        y = np.empty_like(self.x)
        _act.gelu_fwd(y.reshape(-1), self.x.reshape(-1), tanh_approx, self.fast_erf)
        return y

    def backward(self, dy):
        dx = np.empty_like(self.x)
        _act.gelu_bwd(dx.reshape(-1), np.ascontiguousarray(dy, self.x.dtype).reshape(-1),
                      self.x.reshape(-1), self.tanh_approx, self.fast_erf)
        return (dx,)


class LeakyReLU(_Activation):
    """x where x > 0, else alpha * x."""
    name = "leaky_relu"

    @classmethod
    def check(cls, input, alpha=0.2):  # noqa: A002
        return (cls._input(input),), {"alpha": _real("leaky_relu", "alpha", alpha)}

    def forward(self, x, alpha):
        self.positive, self.alpha = x > 0, alpha
        return np.where(self.positive, x, x * x.dtype.type(alpha))

    def backward(self, dy):
        return (np.where(self.positive, dy, dy * dy.dtype.type(self.alpha)),)


class ReLU6(_Activation):
    """min(max(x, 0), 6); the gradient is 1 on 0 < x < 6."""
    name, primitives = "relu6", {"ReLU6": Primitive()}

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return np.clip(x, 0, 6)

    def backward(self, dy):
        return (np.where(self.inside, dy, 0).astype(dy.dtype, copy=False),)


class ELU(_Activation):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    name = "elu"
    primitives = {"Elu": Primitive({"alpha": 1.0}, call=lambda fn, p, x: fn(x, p.alpha))}

    @classmethod
    def check(cls, input_x, alpha=1.0):
        return (cls._input(input_x),), {"alpha": _real("elu", "alpha", alpha)}

    def forward(self, x, alpha):
        self.positive, self.alpha = x > 0, x.dtype.type(alpha)
        self.expm = np.exp(np.minimum(x, 0))
        return np.where(self.positive, x, self.alpha * (self.expm - 1))

    def backward(self, dy):
        return (np.where(self.positive, dy, dy * self.alpha * self.expm),)


class SiLU(_Activation):
    """x * sigmoid(x) (swish)."""
    name = "silu"

    def forward(self, x):
        self.x = x
        self.s = (1.0 / (1.0 + np.exp(-x))).astype(x.dtype, copy=False)
        return x * self.s

    def backward(self, dy):
        s = self.s
        return (dy * s * (1 + self.x * (1 - s)),)


class PReLU(Function):
    """x where x > 0, else weight * x, with ``weight`` (C,) per channel of axis 1 of ``x``
    (N, C, ...) or (1,) shared."""
    name, primitives = "prelu", {"PReLU": Primitive()}

    @classmethod
    def check(cls, x, weight):
        p = Problems("prelu")
        x = as_tensor("prelu", "x", x, p)
        w = as_tensor("prelu", "weight", weight, p)
        p.raise_if_any()
        floats(p, x=x, weight=w)
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.ndim != 1 or w.shape[0] not in (1, channels):
            p.add(f"'weight' must have shape (1,) or ({channels},) (the channels of x "
                  f"{tuple(x.shape)}), but got {tuple(w.shape)}")
        p.raise_if_any()
        return (x, w), {}

    def forward(self, x, w):
        shape = (1, -1) + (1,) * (x.ndim - 2) if x.ndim >= 2 and w.shape[0] > 1 else (-1,)
        self.x, self.wb, self.w_size = x, w.reshape(shape), w.shape[0]
        self.positive = x > 0
        return np.where(self.positive, x, x * self.wb)

    def backward(self, dy):
        dx = np.where(self.positive, dy, dy * self.wb) if self.needs[0] else None
        dw = None
        if self.needs[1]:
            contrib = np.where(self.positive, 0, dy * self.x)
            if self.w_size == 1:
                dw = np.asarray(contrib.sum(), dy.dtype).reshape(1)
            else:
                dw = contrib.sum(axis=(0,) + tuple(range(2, contrib.ndim))).astype(dy.dtype)
        return dx, dw


class LayerNorm(Function):
    """Layer normalisation over the trailing dims ``normalized_shape`` of ``input``:
    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var per leading index.
    ``weight``/``bias`` have shape ``normalized_shape`` or a suffix of it (broadcast); None
    means ones/zeros."""
    name = "layer_norm"

    @classmethod
    def check(cls, input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
        op = "layer_norm"
        p = Problems(op)
        x = as_tensor(op, "input", input, p)
        p.raise_if_any()
        floats(p, input=x)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        try:
            norm = tuple(int(s) for s in normalized_shape)
        except (TypeError, ValueError):
            norm = None
        if not norm or len(norm) > x.ndim or tuple(x.shape[x.ndim - len(norm):]) != norm:
            p.add(f"'normalized_shape' {normalized_shape!r} must be the trailing dims of the "
                  f"input {tuple(x.shape)}")
            p.raise_if_any()
        dt = x._data.dtype
        params = []
        for arg, t, fill in (("weight", weight, np.ones), ("bias", bias, np.zeros)):
            if t is None:
                params.append(Tensor._make(fill(norm, dt)))
                continue
            t = as_tensor(op, arg, t, p)
            if t is not None and (t.ndim > len(norm) or tuple(t.shape) != norm[len(norm) - t.ndim:]
                                  or t.ndim == 0):
                p.add(f"'{arg}' must have shape {norm} (or a suffix of it), but got "
                      f"{tuple(t.shape)}")
            params.append(t)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            p.add(f"'eps' must be a float > 0, but got {eps!r}")
        p.raise_if_any()
        return (x, params[0], params[1]), {"norm_shape": norm, "eps": float(eps)}

    def forward(self, x, w, b, norm_shape, eps):
        K = int(np.prod(norm_shape))
        self.x2 = np.ascontiguousarray(x).reshape(-1, K)
        self.shapes = (x.shape, w.shape, b.shape, norm_shape)
        self.gamma = np.ascontiguousarray(np.broadcast_to(w, norm_shape), x.dtype).reshape(K)
        beta = np.ascontiguousarray(np.broadcast_to(b, norm_shape), x.dtype).reshape(K)
        M = self.x2.shape[0]
        self.mean, self.rstd = np.empty(M, np.float64), np.empty(M, np.float64)
        y = np.empty_like(self.x2)
        _norm.layer_norm_fwd(y, self.mean, self.rstd, self.x2, self.gamma, beta, eps)
        return y.reshape(x.shape)

    def backward(self, dy):
        x_shape, w_shape, b_shape, norm_shape = self.shapes
        dy2 = np.ascontiguousarray(dy, self.x2.dtype).reshape(self.x2.shape)
        dx = dw = db = None
        if self.needs[0]:
            dx = np.empty_like(self.x2)
            _norm.layer_norm_bwd_input(dx, dy2, self.x2, self.mean, self.rstd, self.gamma)
            dx = dx.reshape(x_shape)
        if self.needs[1] or self.needs[2]:
            K = self.x2.shape[1]
            dgamma, dbeta = np.empty(K, np.float64), np.empty(K, np.float64)
            _norm.layer_norm_bwd_params(dgamma, dbeta, dy2, self.x2, self.mean, self.rstd)
            lead = len(norm_shape)

            def fold(g, shape):  # sum the broadcast leading axes of a suffix-shaped parameter
                g = g.reshape(norm_shape).sum(axis=tuple(range(lead - len(shape))))
                return g.astype(self.x2.dtype).reshape(shape)
            dw = fold(dgamma, w_shape) if self.needs[1] else None
            db = fold(dbeta, b_shape) if self.needs[2] else None
        return dx, dw, db


# ---- embedding -----------------------------------------------------------------------------------
_emb = lazy("embedding")


class Embedding(Function):
    """Rows of ``weight`` (V, D) looked up by the integer ``input`` ids: output shape
    input.shape + (D,). The gradient adds each output row's gradient into the table row it
    came from; with ``padding_idx`` that row gets no gradient. Ids outside [0, V) raise."""
    name = "embedding"

    @classmethod
    def check(cls, input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False):
        op = "embedding"
        p = Problems(op)
        ids = as_tensor(op, "input", input, p)
        w = as_tensor(op, "weight", weight, p)
        p.raise_if_any()
        floats(p, weight=w)
        if ids._data.dtype.kind not in "iu":
            p.add(f"'input' must hold integer ids, but got {ids.dtype}", type_error=True)
        if w.ndim != 2:
            p.add(f"'weight' must be 2-D (vocab_size, embedding_size), but got shape "
                  f"{tuple(w.shape)}")
        p.raise_if_any()
        V = w.shape[0]
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
                    or not -V <= padding_idx < V:
                p.add(f"'padding_idx' must be an int in [-{V}, {V}), but got {padding_idx!r}")
            else:
                padding_idx = int(padding_idx) % V
        if max_norm is not None or scale_grad_by_freq:
            p.add("'max_norm' and 'scale_grad_by_freq' are not supported by minispore")
        arr = ids._data
        if arr.size and (arr.min() < 0 or arr.max() >= V):
            bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
            p.add(f"ids must be in [0, {V}) for a table of {V} rows, but got {bad}")
        p.raise_if_any()
        return (ids, w), {"padding_idx": padding_idx}

    def forward(self, ids, w, padding_idx):
        self.ids = np.ascontiguousarray(ids.reshape(-1), dtype=np.int64)
        self.w_shape, self.padding_idx = w.shape, padding_idx
        return np.take(w, self.ids, axis=0).reshape(ids.shape + (w.shape[1],))

    def backward(self, dy):
        if not self.needs[1]:
            return None, None
        dw = np.zeros(self.w_shape, dy.dtype)
        _emb.embedding_bwd(dw, np.ascontiguousarray(dy).reshape(-1, self.w_shape[1]), self.ids)
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return None, dw


# ---- 1-D and transposed convolution --------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0,  # noqa: A002
           dilation=1, groups=1):
    """1-D cross-correlation of ``input`` (N, C, L) with ``weight`` (O, C/groups, k) (or
    MindSpore nn.Conv1d's stored (O, C/groups, 1, k)), plus ``bias`` (O,): ``conv2d`` on a
    height-1 image. ``pad_mode`` 'valid', 'same' or 'pad' (``padding``: an int for both
    ends or a pair (left, right))."""
    for name, t, rank in (("input", input, 3), ("weight", weight, (3, 4))):
        if not hasattr(t, "ndim") or t.ndim not in ((rank,) if isinstance(rank, int) else rank):
            got = tuple(t.shape) if hasattr(t, "shape") else type(t).__name__
            raise ValueError(f"For 'conv1d', '{name}' must be {rank}-D, but got {got}.")
    n, c, length = input.shape
    w4 = weight if weight.ndim == 4 else Reshape.call(weight, weight.shape[:2] + (1,) +
                                                      weight.shape[2:])
    if isinstance(padding, (int, np.integer)):
        pads = (0, 0, int(padding), int(padding))
    else:
        pads = (0, 0) + tuple(int(v) for v in padding)
    def height_one(v):
        return (1, int(v)) if isinstance(v, (int, np.integer)) else (1, int(v[0]))
    y = Conv2D.call(Reshape.call(input, (n, c, 1, length)), w4, bias, height_one(stride),
                    pad_mode, pads, height_one(dilation), groups)
    return Reshape.call(y, (y.shape[0], y.shape[1], y.shape[3]))


class Conv2DTranspose(Function):
    """2-D transposed convolution (the input-gradient of ``conv2d``) of ``input``
    (N, C_in, H, W) with ``weight`` (C_in, C_out/groups, kh, kw), plus ``bias`` (C_out,):
    H_out = (H - 1) * stride - pad_top - pad_bottom + dilation * (kh - 1) + output_padding + 1.
    ``padding``: an int, (h, w) or (top, bottom, left, right); ``output_padding`` (< stride or
    dilation) adds rows/columns at the bottom/right."""
    name = "conv_transpose2d"

    @classmethod
    def check(cls, input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
              groups=1, dilation=1):
        op = "conv_transpose2d"
        p = Problems(op)
        x = as_tensor(op, "input", input, p)
        w = as_tensor(op, "weight", weight, p)
        p.raise_if_any()
        floats(p, input=x, weight=w)
        stride, dilation = pair(p, "stride", stride), pair(p, "dilation", dilation)
        out_pad = pair(p, "output_padding", output_padding, minimum=0)
        pads = pad4(p, padding)
        if not (ndim(p, "input", x, 4, "(N, C_in, H, W)") &
                ndim(p, "weight", w, 4, "(C_in, C_out/groups, kh, kw)")):
            p.raise_if_any()
        groups = int(groups)
        N, Cin, H, W = x.shape
        if x._data.dtype != w._data.dtype:
            p.add(f"the input ({x.dtype}) and the weight ({w.dtype}) must have the same dtype",
                  type_error=True)
        if groups < 1 or Cin % groups:
            p.add(f"the input channels {Cin} must be divisible by groups {groups}")
        if w.shape[0] != Cin:
            p.add(f"the weight {tuple(w.shape)} must have C_in = {Cin} rows for input "
                  f"{tuple(x.shape)}")
        for axis in range(2):
            if out_pad[axis] >= max(stride[axis], dilation[axis]):
                p.add(f"'output_padding' {out_pad} must be smaller than the stride {stride} or "
                      f"the dilation {dilation}")
                break
        Cout = w.shape[1] * groups
        if bias is not None and tuple(bias.shape) != (Cout,):
            p.add(f"'bias' must have shape ({Cout},), but got {tuple(bias.shape)}")
        p.raise_if_any()
        out_hw = tuple((size - 1) * s - pads[2 * a] - pads[2 * a + 1] + d * (k - 1) + op_ + 1
                       for a, (size, s, d, k, op_) in enumerate(zip(
                           (H, W), stride, dilation, w.shape[2:], out_pad)))
        if min(out_hw) < 1:
            raise ValueError(f"For 'conv_transpose2d', the output would be {out_hw}: the padding "
                             f"{pads} is too large for input {tuple(x.shape)} and weight "
                             f"{tuple(w.shape)}.")
        attrs = {"stride": stride, "padding": pads, "dilation": dilation, "group": groups,
                 "out_shape": (N, Cout) + out_hw}
        return (x, w), dict(attrs, bias=bias)

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        bias = attrs.pop("bias")
        out = cls.apply(*inputs, **attrs)
        return out if bias is None else BiasAdd.call(out, bias)

    def forward(self, x, w, stride, padding, dilation, group, out_shape):
        self.x, self.w = np.ascontiguousarray(x), np.ascontiguousarray(w)
        self.attrs = (stride, padding, dilation, group)
        return C.conv2d_backward_input(self.x, self.w, out_shape, *self.attrs)

    def backward(self, dy):
        dy = np.ascontiguousarray(dy)
        dx = dw = None
        if self.needs[0]:
            dx = C.conv2d_forward(dy, self.w, *self.attrs)
        if self.needs[1]:
            dw = C.conv2d_backward_weight(self.x, dy, self.w.shape, *self.attrs)
        return dx, dw


__all__ += ["conv1d"]


# ---- recurrent layers ----------------------------------------------------------------------------
def _sigmoid(a):
    return (1.0 / (1.0 + np.exp(-a))).astype(a.dtype, copy=False)


class RNNLayer(Function):
    """One direction of one recurrent layer over a whole sequence (the building block of
    ``nn.RNN``, ``nn.GRU``, ``nn.LSTM``), with PyTorch's and MindSpore's gate layout:
    ``x`` (T, B, I), ``h0`` (B, H), ``c0`` (B, H) (LSTM only), ``w_ih`` (G*H, I),
    ``w_hh`` (G*H, H), ``b_ih``/``b_hh`` (G*H,). ``mode``: 'LSTM' (gates i, f, g, o),
    'GRU' (r, z, n; n = tanh(x_n + r * (h W_hn + b_hn))), 'RNN_TANH', 'RNN_RELU'.
    ``reverse`` runs from the last step to the first (output stays in input order).
    Returns (y (T, B, H), h_T) and c_T for LSTM. The input projection of all steps is one
    GEMM; each step is one (B, H) x (H, G*H) GEMM; backward is backpropagation through time.
    No public functional name (MindSpore has none); the layers call it."""
    GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

    @classmethod
    def check(cls, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        return tuple(t for t in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if t is not None), \
            {"mode": mode, "reverse": bool(reverse), "has_c": c0 is not None,
             "has_bias": b_ih is not None}

    def forward(self, *arrays, mode, reverse, has_c, has_bias):
        arrays = list(arrays)
        x, h = arrays.pop(0), arrays.pop(0)
        c = arrays.pop(0) if has_c else None
        w_ih, w_hh = arrays[0], arrays[1]
        T, B, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        xw = _matmul(np.ascontiguousarray(x).reshape(T * B, -1), w_ih.T).reshape(T, B, -1)
        bias_hh = None
        if has_bias:
            xw += arrays[2]
            if mode == "GRU":
                bias_hh = arrays[3]  # stays inside r * (h W_hn + b_hn)
            else:
                xw += arrays[3]
        steps = range(T - 1, -1, -1) if reverse else range(T)
        y = np.empty((T, B, H), dt)
        saved = []
        for t in steps:
            gh = _matmul(h, w_hh.T)
            if bias_hh is not None:
                gh = gh + bias_hh
            g = xw[t]
            if mode == "LSTM":
                a = g + gh
                i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
                gg, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
                c_new = f * c + i * gg
                tc = np.tanh(c_new)
                h_new = o * tc
                saved.append((h, c, i, f, gg, o, tc))
                c = c_new
            elif mode == "GRU":
                r = _sigmoid(g[:, :H] + gh[:, :H])
                z = _sigmoid(g[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(g[:, 2 * H:] + r * gh[:, 2 * H:])
                h_new = (1 - z) * n + z * h
                saved.append((h, r, z, n, gh[:, 2 * H:]))
            else:
                a = g + gh
                h_new = np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0)
                saved.append((h, h_new))
            y[t] = h_new
            h = h_new
        self.x, self.w_ih, self.w_hh, self.saved = x, w_ih, w_hh, saved
        self.mode, self.steps, self.has_c, self.has_bias = mode, list(steps), has_c, has_bias
        return (y, h, c) if has_c else (y, h)

    def backward(self, dy, dh_last, dc_last=None):
        mode, H, T = self.mode, self.w_hh.shape[1], self.x.shape[0]
        dxw = np.empty((T,) + dh_last.shape[:1] + (self.w_hh.shape[0],), dy.dtype)
        dw_hh = np.zeros_like(self.w_hh)
        db_hh = np.zeros(self.w_hh.shape[0], dy.dtype) if mode == "GRU" else None
        dh = dh_last.copy()
        dc = dc_last.copy() if self.has_c else None
        for t, saved in zip(reversed(self.steps), reversed(self.saved)):
            dh = dh + dy[t]
            if mode == "LSTM":
                h_prev, c_prev, i, f, gg, o, tc = saved
                do = dh * tc
                dc = dc + dh * o * (1 - tc * tc)
                dg = np.concatenate([dc * gg * i * (1 - i), dc * c_prev * f * (1 - f),
                                     dc * i * (1 - gg * gg), do * o * (1 - o)], axis=1)
                dc = dc * f
                dgh = dg
                dh_direct = 0
            elif mode == "GRU":
                h_prev, r, z, n, gh_n = saved
                dan = dh * (1 - z) * (1 - n * n)
                dar = dan * gh_n * r * (1 - r)
                daz = dh * (h_prev - n) * z * (1 - z)
                dg = np.concatenate([dar, daz, dan], axis=1)
                dgh = np.concatenate([dar, daz, dan * r], axis=1)
                db_hh += dgh.sum(axis=0)
                dh_direct = dh * z
            else:
                h_prev, h_new = saved
                dg = dh * (1 - h_new * h_new) if mode == "RNN_TANH" else dh * (h_new > 0)
                dgh = dg
                dh_direct = 0
            dxw[t] = dg
            dw_hh += _matmul(dgh.T, h_prev)
            dh = dh_direct + _matmul(dgh, self.w_hh)
        flat = dxw.reshape(-1, dxw.shape[2])
        dx = _matmul(flat, self.w_ih).reshape(self.x.shape)
        dw_ih = _matmul(flat.T, np.ascontiguousarray(self.x).reshape(flat.shape[0], -1))
        grads = [dx, dh] + ([dc] if self.has_c else []) + [dw_ih, dw_hh]
        if self.has_bias:
            db_ih = flat.sum(axis=0)
            grads += [db_ih, db_hh if mode == "GRU" else db_ih.copy()]
        return tuple(g if need else None for g, need in zip(grads, self.needs))


class HSwish(_Activation):
    """Hard swish, x * relu6(x + 3) / 6."""
    name, primitives = "hardswish", {"HSwish": Primitive()}

    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(self, dy):
        x = self.x
        return (dy * np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)).astype(dy.dtype),)


class HSigmoid(_Activation):
    """Hard sigmoid, relu6(x + 3) / 6."""
    name, primitives = "hardsigmoid", {"HSigmoid": Primitive()}

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6

    def backward(self, dy):
        return (np.where(self.inside, dy / 6, 0).astype(dy.dtype),)


class Softplus(_Activation):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    name = "softplus"

    @classmethod
    def check(cls, input, beta=1, threshold=20):  # noqa: A002
        return (cls._input(input),), {"beta": _real("softplus", "beta", beta),
                                      "threshold": _real("softplus", "threshold", threshold)}

    def forward(self, x, beta, threshold):
        bx = x * x.dtype.type(beta)
        self.linear, self.s = bx > threshold, _sigmoid(bx)
        return np.where(self.linear, x, np.logaddexp(0, bx) / x.dtype.type(beta)).astype(x.dtype)

    def backward(self, dy):
        return (np.where(self.linear, dy, dy * self.s),)


class Mish(_Activation):
    """x * tanh(softplus(x))."""
    name, primitives = "mish", {"Mish": Primitive()}

    def forward(self, x):
        self.x = x
        self.t = np.tanh(np.logaddexp(0, x)).astype(x.dtype)
        return x * self.t

    def backward(self, dy):
        x, t = self.x, self.t
        return (dy * (t + x * (1 - t * t) * _sigmoid(x)),)
