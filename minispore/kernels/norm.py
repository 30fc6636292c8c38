"""Batch normalisation over a (N, C, S) view (S = H*W, or D*H*W, or 1 for (N, C) input).

Statistics are per channel c, over the N*S values x[:, c, :]. Every kernel splits work by
channel (``prange`` over C), so each thread writes its own channel's outputs and sums; sums
accumulate in float64 whatever the input dtype, so a float32 batch of 10^6 values per channel
keeps its mean to ~1e-7 relative.
"""
import math

from ._jit import njit, prange


@njit(parallel=True)
def batch_norm_stats(mean, var, x):
    """mean[c], var[c] (biased: divided by N*S) of x (N, C, S); two passes for accuracy."""
    N, C, S = x.shape
    count = N * S
    for c in prange(C):
        acc = 0.0
        for n in range(N):
            for s in range(S):
                acc += x[n, c, s]
        m = acc / count
        acc2 = 0.0
        for n in range(N):
            for s in range(S):
                d = x[n, c, s] - m
                acc2 += d * d
        mean[c] = m
        var[c] = acc2 / count


@njit(parallel=True)
def batch_norm_apply(y, x, mean, invstd, gamma, beta):
    """y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c] over x (N, C, S); y overwritten."""
    N, C, S = x.shape
    for c in prange(C):
        scale = invstd[c] * gamma[c]
        shift = beta[c] - mean[c] * scale
        for n in range(N):
            for s in range(S):
                y[n, c, s] = x[n, c, s] * scale + shift


@njit(parallel=True)
def batch_norm_bwd(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, batch_stats):
    """Gradients of ``batch_norm_apply``: dgamma[c] = sum(dy * xhat), dbeta[c] = sum(dy).

    With ``batch_stats`` the mean and invstd were computed from x itself, so
    dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)); otherwise (moving
    statistics, constants) dx = dy * gamma * invstd. dx, dgamma, dbeta are overwritten."""
    N, C, S = x.shape
    count = N * S
    for c in prange(C):
        m = mean[c]
        r = invstd[c]
        sum_dy = 0.0
        sum_dy_xhat = 0.0
        for n in range(N):
            for s in range(S):
                g = dy[n, c, s]
                sum_dy += g
                sum_dy_xhat += g * (x[n, c, s] - m) * r
        dgamma[c] = sum_dy_xhat
        dbeta[c] = sum_dy
        k = gamma[c] * r
        if batch_stats:
            mean_dy = sum_dy / count
            mean_dy_xhat = sum_dy_xhat / count
            for n in range(N):
                for s in range(S):
                    xhat = (x[n, c, s] - m) * r
                    dx[n, c, s] = k * (dy[n, c, s] - mean_dy - xhat * mean_dy_xhat)
        else:
            for n in range(N):
                for s in range(S):
                    dx[n, c, s] = k * dy[n, c, s]


@njit
def inverse_std(out, var, eps):
    """out = 1 / sqrt(var + eps)."""
    for c in range(var.shape[0]):
        out[c] = 1.0 / math.sqrt(var[c] + eps)
