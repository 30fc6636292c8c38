"""In-place optimizer updates on flat arrays (MindSpore's CPU optimizer kernels).

Every kernel updates the parameter and its state arrays in place, element by element, in the
parameter's dtype (the caller casts the scalars, so float32 stays float32 throughout, as in
MindSpore). ``momentum_update`` is ApplyMomentum fused with weight decay and loss scale:
``g = grad + wd_ls*p`` (when ``decay``), ``g = g / loss_scale`` (when ``scaled``),
``v = momentum*v + g``, ``p = p - lr*v`` or, Nesterov, ``p = p - (lr*g + lr*momentum*v)``.
The others take gradients already decayed and scaled by the optimizer.
"""
import numpy as np

from ._jit import njit


@njit
def momentum_update(p, v, grad, lr, momentum, wd_ls, loss_scale, decay, scaled, nesterov):
    """Update flat p and v in place from flat grad."""
    for i in range(p.shape[0]):
        g = grad[i]
        if decay:
            g = g + wd_ls * p[i]
        if scaled:
            g = g / loss_scale
        vi = momentum * v[i] + g
        v[i] = vi
        if nesterov:
            p[i] = p[i] - (lr * g + lr * momentum * vi)
        else:
            p[i] = p[i] - lr * vi


@njit
def sgd_update(p, accum, stat, grad, lr, momentum, dampening, weight_decay, nesterov):
    """MindSpore's SGD kernel, in place on flat arrays: g += weight_decay*p; with momentum > 0
    the first step sets accum = g (stat 1 -> 0), later accum = momentum*accum + (1-dampening)*g,
    and g becomes accum (Nesterov: g + momentum*accum); p -= lr*g."""
    first_steps = 0
    if momentum > 0:
        for i in range(stat.shape[0]):   # an integer count vectorizes; an early exit does not
            first_steps += 1 if stat[i] > 0 else 0
    if momentum > 0 and first_steps == 0:
        _sgd_momentum(p, accum, grad, lr, momentum, dampening, weight_decay, nesterov)
        return
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        if weight_decay > 0:
            g = g + p[i] * weight_decay
        if momentum > 0:
            if stat[i] > 0:
                accum[i] = g
                stat[i] = 0
            else:
                accum[i] = accum[i] * momentum + (one - dampening) * g
            if nesterov:
                g = g + accum[i] * momentum
            else:
                g = accum[i]
        p[i] = p[i] - lr * g


@njit
def _sgd_momentum(p, accum, grad, lr, momentum, dampening, weight_decay, nesterov):
    """sgd_update's loop once no element is on its first step (every stat is 0): the same
    arithmetic without the per-element branch, so it vectorizes."""
    one = p.dtype.type(1.0)
    keep = one - dampening
    if nesterov:
        for i in range(p.shape[0]):
            g = grad[i] + p[i] * weight_decay if weight_decay > 0 else grad[i]
            a = accum[i] * momentum + keep * g
            accum[i] = a
            p[i] = p[i] - lr * (g + a * momentum)
    else:
        for i in range(p.shape[0]):
            g = grad[i] + p[i] * weight_decay if weight_decay > 0 else grad[i]
            a = accum[i] * momentum + keep * g
            accum[i] = a
            p[i] = p[i] - lr * a


@njit
def adam_update(p, m, v, grad, lr_t, beta1, beta2, eps, nesterov):
    """MindSpore's Adam kernel: m += (g-m)(1-beta1); v += (g*g-v)(1-beta2);
    p -= lr_t*m/(sqrt(v)+eps) (Nesterov: numerator beta1*m + (1-beta1)*g), where the caller
    folds the bias corrections into lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t)."""
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        m[i] = m[i] + (g - m[i]) * (one - beta1)
        v[i] = v[i] + (g * g - v[i]) * (one - beta2)
        denom = np.sqrt(v[i]) + eps
        if nesterov:
            p[i] = p[i] - lr_t * (m[i] * beta1 + (one - beta1) * g) / denom
        else:
            p[i] = p[i] - lr_t * m[i] / denom


@njit
def amsgrad_update(p, m, v, vhat, grad, lr_t, beta1, beta2, eps):
    """MindSpore's ApplyAdamWithAmsgrad kernel: as Adam, with vhat = max(vhat, v) in the
    denominator."""
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        m[i] = m[i] + (g - m[i]) * (one - beta1)
        v[i] = v[i] + (g * g - v[i]) * (one - beta2)
        if v[i] > vhat[i]:
            vhat[i] = v[i]
        p[i] = p[i] - lr_t * m[i] / (np.sqrt(vhat[i]) + eps)


@njit
def adam_weight_decay_update(p, m, v, grad, lr, beta1, beta2, eps, weight_decay):
    """MindSpore's AdamWeightDecay (no bias correction, decoupled decay):
    m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g;
    p -= lr*(m/(sqrt(v)+eps) + weight_decay*p)."""
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        m[i] = beta1 * m[i] + (one - beta1) * g
        v[i] = beta2 * v[i] + (one - beta2) * g * g
        update = m[i] / (eps + np.sqrt(v[i]))
        if weight_decay > 0:
            update = weight_decay * p[i] + update
        p[i] = p[i] - lr * update


@njit
def rmsprop_update(p, mean_square, moment, grad, lr, decay, momentum, eps):
    """MindSpore's ApplyRMSProp: s += (g*g - s)(1-decay); mom = momentum*mom +
    lr*g/sqrt(s+eps); p -= mom."""
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        mean_square[i] = mean_square[i] + (g * g - mean_square[i]) * (one - decay)
        moment[i] = moment[i] * momentum + lr * g / np.sqrt(mean_square[i] + eps)
        p[i] = p[i] - moment[i]


@njit
def centered_rmsprop_update(p, mean_grad, mean_square, moment, grad, lr, decay, momentum, eps):
    """MindSpore's ApplyCenteredRMSProp: as RMSProp with the running mean gradient mg
    subtracted: mom = momentum*mom + lr*g/sqrt(s - mg*mg + eps)."""
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):
        g = grad[i]
        mean_grad[i] = mean_grad[i] + (g - mean_grad[i]) * (one - decay)
        mean_square[i] = mean_square[i] + (g * g - mean_square[i]) * (one - decay)
        denom = mean_square[i] - mean_grad[i] * mean_grad[i] + eps
        moment[i] = moment[i] * momentum + lr * g / np.sqrt(denom)
        p[i] = p[i] - moment[i]


@njit
def adagrad_update(p, accum, grad, lr, update_slots):
    """MindSpore's ApplyAdagrad (CPU): accum += g*g (if update_slots);
    p -= lr*g/sqrt(accum + 1e-6)."""
    eps = p.dtype.type(1e-6)
    for i in range(p.shape[0]):
        g = grad[i]
        if update_slots:
            accum[i] = accum[i] + g * g
        p[i] = p[i] - lr * g / np.sqrt(accum[i] + eps)
