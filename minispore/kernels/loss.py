"""Fused softmax cross-entropy: per-row loss and d(loss_i)/d(logits_i) in one pass.

loss_i = logsumexp(z_i) - sum_k t_ik z_ik and grad_ik = softmax(z_i)_k * sum_k t_ik - t_ik, with
logsumexp taken after subtracting the row max (stable for any finite logits).
"""
import math

from ._jit import njit


@njit
def _exp_row(grad_row, z_row):
    """grad_row = exp(z_row - max(z_row)); returns (max, sum of the exponentials)."""
    C = z_row.shape[0]
    m = z_row[0]
    for k in range(1, C):
        if z_row[k] > m:
            m = z_row[k]
    s = 0.0
    for k in range(C):
        e = math.exp(z_row[k] - m)
        grad_row[k] = e
        s += e
    return m, s


@njit
def softmax_xent_sparse(loss, grad, z, labels, scale):
    """loss (N,), grad (N,C) = scale * (softmax(z) - onehot(labels)); labels already validated."""
    N, C = z.shape
    for n in range(N):
        m, s = _exp_row(grad[n], z[n])
        y = labels[n]
        loss[n] = m + math.log(s) - z[n, y]
        inv = scale / s
        for k in range(C):
            grad[n, k] = grad[n, k] * inv
        grad[n, y] -= scale


@njit
def softmax_xent_dense(loss, grad, z, t, scale):
    """loss (N,), grad (N,C) = scale * (softmax(z) * sum(t) - t) for target rows t (N,C)."""
    N, C = z.shape
    for n in range(N):
        m, s = _exp_row(grad[n], z[n])
        tsum = 0.0
        tz = 0.0
        for k in range(C):
            tsum += t[n, k]
            tz += t[n, k] * z[n, k]
        loss[n] = (m + math.log(s)) * tsum - tz
        inv = scale * tsum / s
        for k in range(C):
            grad[n, k] = grad[n, k] * inv - scale * t[n, k]
