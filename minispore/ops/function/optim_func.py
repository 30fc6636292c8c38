"""Optimizer update primitives: in place on Parameters, not differentiable."""
import numpy as np

from ...kernels import lazy
from ..._checkparam import FLOAT_DTYPES, Problems

__all__ = ["apply_momentum"]

_optim = lazy("optim")


def apply_momentum(params, grads, moments, lr, momentum, weight_decay=0.0, loss_scale=1.0,
                   use_nesterov=False, decay_flags=None):
    """MindSpore's Momentum step, in place, over lists of Parameters (and their moments).

    Per parameter p with gradient g: g += weight_decay * loss_scale * p where its decay flag is
    set; g /= loss_scale; v = momentum * v + g; p -= lr * v (Nesterov: p -= lr*g + lr*momentum*v).
    Scalars are cast to each parameter's dtype so float32 stays float32.
    """
    p = Problems("apply_momentum")
    params, moments = list(params), list(moments)
    grads = [g._data if hasattr(g, "_data") else np.asarray(g) for g in grads]
    n = len(params)
    flags = [True] * n if decay_flags is None else [bool(f) for f in decay_flags]
    if not len(grads) == len(moments) == len(flags) == n:
        p.add(f"params ({n}), grads ({len(grads)}), moments ({len(moments)}) and decay_flags "
              f"({len(flags)}) must have the same length")
    for i, (w, g, v) in enumerate(zip(params, grads, moments)):
        if w.shape != v.shape or g.shape != w.shape:
            p.add(f"[{i}] {getattr(w, 'name', i)}: shapes param {tuple(w.shape)}, grad "
                  f"{g.shape}, moment {tuple(v.shape)}")
        elif w._data.dtype not in FLOAT_DTYPES or v._data.dtype != w._data.dtype:
            p.add(f"[{i}] dtypes param {w._data.dtype}, moment {v._data.dtype}")
    p.raise_if_any()
    scaled = float(loss_scale) != 1.0
    decay = float(weight_decay) > 0.0
    for w, g, v, flag in zip(params, grads, moments, flags):
        t = w._data.dtype.type
        g = np.ascontiguousarray(g, dtype=w._data.dtype)
        _optim.momentum_update(w._data.reshape(-1), v._data.reshape(-1), g.reshape(-1), t(lr),
                               t(momentum), t(float(weight_decay) * float(loss_scale)),
                               t(loss_scale), decay and flag, scaled, bool(use_nesterov))
