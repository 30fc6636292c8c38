"""Batch normalisation over a (N, C, S) view (S = H*W, or D*H*W, or 1 for (N, C) input).

Statistics are per channel c, over the N*S values x[:, c, :]. Every kernel splits work by
channel (``prange`` over C), so each thread writes its own channel's outputs and sums; sums
accumulate in float64 whatever the input dtype, so a float32 batch of 10^6 values per channel
keeps its mean to ~1e-7 relative. The reductions are compiled with ``reduction=True`` (LLVM
may reassociate the float64 sums so they vectorise; the tests compare with tolerances).
"""
import math

import numpy as np

from ._jit import njit, prange


@njit(parallel=True, reduction=True)
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


@njit(parallel=True, reduction=True)
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


# ---- layer normalisation over the rows of an (M, K) view -----------------------------------------
@njit(parallel=True, reduction=True)
def layer_norm_fwd(y, mean, rstd, x, gamma, beta, eps):
    """y[m] = (x[m] - mean[m]) * rstd[m] * gamma + beta over x (M, K), gamma and beta (K,);
    mean, rstd (M,) (float64, rstd = 1/sqrt(biased var + eps)) are written too."""
    M, K = x.shape
    for m in prange(M):
        row = x[m]
        acc = 0.0
        for k in range(K):
            acc += row[k]
        mu = acc / K
        acc2 = 0.0
        for k in range(K):
            d = row[k] - mu
            acc2 += d * d
        r = 1.0 / math.sqrt(acc2 / K + eps)
        mean[m] = mu
        rstd[m] = r
        out = y[m]
        for k in range(K):
            out[k] = (row[k] - mu) * r * gamma[k] + beta[k]


@njit(parallel=True, reduction=True)
def layer_norm_bwd_input(dx, dy, x, mean, rstd, gamma):
    """dx[m] = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy[m] * gamma, per row."""
    M, K = x.shape
    for m in prange(M):
        mu = mean[m]
        r = rstd[m]
        sum_g = 0.0
        sum_g_xhat = 0.0
        for k in range(K):
            g = dy[m, k] * gamma[k]
            sum_g += g
            sum_g_xhat += g * (x[m, k] - mu) * r
        mean_g = sum_g / K
        mean_g_xhat = sum_g_xhat / K
        for k in range(K):
            xhat = (x[m, k] - mu) * r
            dx[m, k] = r * (dy[m, k] * gamma[k] - mean_g - xhat * mean_g_xhat)


@njit(parallel=True, reduction=True)
def layer_norm_bwd_params(dgamma, dbeta, dy, x, mean, rstd):
    """dgamma[k] = sum_m dy * xhat, dbeta[k] = sum_m dy. Each thread owns a block of 64
    columns and walks the rows in order, reading each row's block contiguously into local
    (non-aliased, so vectorised) accumulators."""
    M, K = x.shape
    block = 64
    for b in prange((K + block - 1) // block):
        lo = b * block
        width = min(K, lo + block) - lo
        acc_g = np.zeros(width)
        acc_b = np.zeros(width)
        for m in range(M):
            mu = mean[m]
            r = rstd[m]
            dy_row = dy[m, lo:lo + width]
            x_row = x[m, lo:lo + width]
            for j in range(width):
                g = dy_row[j]
                acc_b[j] += g
                acc_g[j] += g * (x_row[j] - mu) * r
        for j in range(width):
            dgamma[lo + j] = acc_g[j]
            dbeta[lo + j] = acc_b[j]
