"""Neural-network primitives on the numba kernels: ReLU, convolution (2-D, 1-D, transposed),
bias, dense, softmax, softmax cross-entropy, dropout and embedding. Pooling, activations,
normalisation and recurrent layers have their own families (``pooling_func``,
``activation_func``, ``normalization_func``, ``rnn_func``)."""
import numpy as np

from ...kernels import lazy
from .. import _buffers
from .. import _conv_ops as C
from .._blas import matmul as _matmul
from .._dense import dense as _dense
from .._function import Function, Primitive
from .array_func import Reshape
from ..._checkparam import (Problems, as_tensor, check_reduction, check_sparse_labels, floats, ndim,
                         pad4, pair)

__all__ = []

_act, _loss = lazy("activation"), lazy("loss")


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
        return _dense(x, w, b)

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
