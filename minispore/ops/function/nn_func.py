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
