"""Fused in-place Momentum update (MindSpore's ApplyMomentum with weight decay and loss scale).

Per element, in the parameter's dtype (scalars are cast by the caller so float32 stays
float32 throughout, matching MindSpore):
``g = grad + wd_ls*p`` (when ``decay``), ``g = g / loss_scale`` (when ``scaled``),
``v = momentum*v + g``, ``p = p - lr*v`` or, Nesterov, ``p = p - (lr*g + lr*momentum*v)``.
"""
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
