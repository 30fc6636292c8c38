"""Normalisation primitives: batch normalisation (MindSpore's momentum convention, moving
statistics) and layer normalisation, on the ``norm`` kernels."""
import numpy as np

from ...common.tensor import Tensor
from ...kernels import lazy
from .._function import Function
from ..._checkparam import Problems, as_tensor, floats

__all__ = []


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
