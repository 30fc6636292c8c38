"""Optimizer update primitives: in place on lists of Parameters (and their state), not
differentiable. Each checks every list once (lengths, shapes, dtypes) and raises one error naming
the op, then runs its kernel per parameter. Learning rates (and, where it applies, weight decay)
may be one number or one per parameter."""
import numpy as np

from ...kernels import lazy
from ..._checkparam import FLOAT_DTYPES, Problems

__all__ = ["apply_momentum", "apply_sgd", "apply_adam", "apply_adam_with_amsgrad",
           "apply_adam_weight_decay", "apply_rms_prop", "apply_centered_rms_prop", "apply_adagrad"]

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
    lrs = _per_param(lr, n, "lr", p)
    wds = _per_param(weight_decay, n, "weight_decay", p)
    p.raise_if_any()
    scaled = float(loss_scale) != 1.0
    for w, g, v, flag, lr_i, wd in zip(params, grads, moments, flags, lrs, wds):
        t = w._data.dtype.type
        g = np.ascontiguousarray(g, dtype=w._data.dtype)
        _optim.momentum_update(w._data.reshape(-1), v._data.reshape(-1), g.reshape(-1), t(lr_i),
                               t(momentum), t(wd * float(loss_scale)),
                               t(loss_scale), wd > 0.0 and flag, scaled, bool(use_nesterov))


def _per_param(value, n, name, problems):
    """One float per parameter from a number or a sequence of n numbers."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            problems.add(f"'{name}' has {len(value)} values for {n} parameters")
            return [0.0] * n
        return [float(v) for v in value]
    return [float(value)] * n


def _checked(op, params, grads, states, scalars=None):
    """Flat views of params and states and flat contiguous grads, after checking that every
    list has one entry per parameter with the parameter's shape and float dtype."""
    p = Problems(op)
    params = list(params)
    n = len(params)
    grads = [g._data if hasattr(g, "_data") else np.asarray(g) for g in grads]
    states = {k: list(v) for k, v in states.items()}
    lengths = {"grads": len(grads), **{k: len(v) for k, v in states.items()}}
    bad = {k: m for k, m in lengths.items() if m != n}
    if bad:
        p.add(f"every list needs one entry per parameter ({n}), but got "
              + ", ".join(f"{k} {m}" for k, m in bad.items()))
    p.raise_if_any()
    for i, w in enumerate(params):
        if w._data.dtype not in FLOAT_DTYPES:
            p.add(f"[{i}] {getattr(w, 'name', i)}: parameter dtype {w._data.dtype} is not float")
            continue
        if grads[i].shape != w.shape:
            p.add(f"[{i}] {getattr(w, 'name', i)}: grad shape {grads[i].shape} != parameter "
                  f"shape {tuple(w.shape)}")
        for k, lst in states.items():
            s = lst[i]
            if tuple(s.shape) != tuple(w.shape) or s._data.dtype != w._data.dtype:
                p.add(f"[{i}] {getattr(w, 'name', i)}: {k} is {s._data.dtype} {tuple(s.shape)}, "
                      f"parameter {w._data.dtype} {tuple(w.shape)}")
    lrs = {k: _per_param(v, n, k, p) for k, v in (scalars or {}).items()}
    p.raise_if_any()
    flat = []
    for i, w in enumerate(params):
        g = np.ascontiguousarray(grads[i], dtype=w._data.dtype).reshape(-1)
        flat.append((w._data.dtype.type, w._data.reshape(-1), g,
                     [lst[i]._data.reshape(-1) for lst in states.values()],
                     {k: v[i] for k, v in lrs.items()}))
    return flat


def apply_sgd(params, grads, accum, stat, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
              nesterov=False):
    """MindSpore's SGD step in place: g += weight_decay*p; with momentum > 0, accum = g on a
    parameter's first step (``stat`` 1 -> 0), else accum = momentum*accum + (1-dampening)*g, and
    g = accum (Nesterov: g + momentum*accum); p -= lr*g."""
    for t, w, g, (a, s), k in _checked("apply_sgd", params, grads, {"accum": accum, "stat": stat},
                                       {"lr": lr, "weight_decay": weight_decay}):
        _optim.sgd_update(w, a, s, g, t(k["lr"]), t(momentum), t(dampening),
                          t(k["weight_decay"]), bool(nesterov))


def _adam_lr(lr, beta1_power, beta2_power):
    """lr * sqrt(1 - beta2^t) / (1 - beta1^t), in float32 as MindSpore's kernel computes it."""
    one = np.float32(1.0)
    return np.float32(lr) * np.sqrt(one - np.float32(beta2_power)) / \
        (one - np.float32(beta1_power))


def apply_adam(params, grads, moment1, moment2, lr, beta1_power, beta2_power, beta1=0.9,
               beta2=0.999, eps=1e-8, use_nesterov=False):
    """MindSpore's Adam step in place, given this step's ``beta1_power = beta1**t`` and
    ``beta2_power``: m += (g-m)(1-beta1); v += (g*g-v)(1-beta2);
    p -= lr*sqrt(1-beta2^t)/(1-beta1^t) * m/(sqrt(v)+eps) (Nesterov: beta1*m + (1-beta1)*g)."""
    if float(beta1_power) == 1.0:
        raise ValueError("For 'apply_adam', the 'beta1_power' can't be 1 (take beta1**t, t >= 1).")
    for t, w, g, (m, v), k in _checked("apply_adam", params, grads,
                                       {"moment1": moment1, "moment2": moment2}, {"lr": lr}):
        _optim.adam_update(w, m, v, g, t(_adam_lr(k["lr"], beta1_power, beta2_power)), t(beta1),
                           t(beta2), t(eps), bool(use_nesterov))


def apply_adam_with_amsgrad(params, grads, moment1, moment2, vhat, lr, beta1_power, beta2_power,
                            beta1=0.9, beta2=0.999, eps=1e-8):
    """MindSpore's ApplyAdamWithAmsgrad in place: Adam with vhat = max(vhat, v) in the
    denominator."""
    if float(beta1_power) == 1.0:
        raise ValueError("For 'apply_adam_with_amsgrad', the 'beta1_power' can't be 1.")
    for t, w, g, (m, v, vh), k in _checked("apply_adam_with_amsgrad", params, grads,
                                           {"moment1": moment1, "moment2": moment2, "vhat": vhat},
                                           {"lr": lr}):
        _optim.amsgrad_update(w, m, v, vh, g, t(_adam_lr(k["lr"], beta1_power, beta2_power)),
                              t(beta1), t(beta2), t(eps))


def apply_adam_weight_decay(params, grads, moment1, moment2, lr, beta1=0.9, beta2=0.999,
                            eps=1e-6, weight_decay=0.0):
    """MindSpore's AdamWeightDecay step in place (no bias correction, decoupled decay):
    m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g;
    p -= lr*(m/(sqrt(v)+eps) + weight_decay*p)."""
    for t, w, g, (m, v), k in _checked("apply_adam_weight_decay", params, grads,
                                       {"moment1": moment1, "moment2": moment2},
                                       {"lr": lr, "weight_decay": weight_decay}):
        _optim.adam_weight_decay_update(w, m, v, g, t(k["lr"]), t(beta1), t(beta2), t(eps),
                                        t(k["weight_decay"]))


def apply_rms_prop(params, grads, mean_square, moment, lr, decay=0.9, momentum=0.0,
                   epsilon=1e-10):
    """MindSpore's ApplyRMSProp in place: s += (g*g-s)(1-decay);
    mom = momentum*mom + lr*g/sqrt(s+epsilon); p -= mom."""
    for t, w, g, (s, mom), k in _checked("apply_rms_prop", params, grads,
                                         {"mean_square": mean_square, "moment": moment},
                                         {"lr": lr}):
        _optim.rmsprop_update(w, s, mom, g, t(k["lr"]), t(decay), t(momentum), t(epsilon))


def apply_centered_rms_prop(params, grads, mean_grad, mean_square, moment, lr, decay=0.9,
                            momentum=0.0, epsilon=1e-10):
    """MindSpore's ApplyCenteredRMSProp in place: mg += (g-mg)(1-decay); s as RMSProp;
    mom = momentum*mom + lr*g/sqrt(s - mg*mg + epsilon); p -= mom."""
    for t, w, g, (mg, s, mom), k in _checked("apply_centered_rms_prop", params, grads,
                                             {"mean_grad": mean_grad, "mean_square": mean_square,
                                              "moment": moment}, {"lr": lr}):
        _optim.centered_rmsprop_update(w, mg, s, mom, g, t(k["lr"]), t(decay), t(momentum),
                                       t(epsilon))


def apply_adagrad(params, grads, accum, lr, update_slots=True):
    """MindSpore's ApplyAdagrad (CPU) in place: accum += g*g (if ``update_slots``);
    p -= lr*g/sqrt(accum + 1e-6)."""
    for t, w, g, (a,), k in _checked("apply_adagrad", params, grads, {"accum": accum},
                                     {"lr": lr}):
        _optim.adagrad_update(w, a, g, t(k["lr"]), bool(update_slots))
