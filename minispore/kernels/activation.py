"""Elementwise activations on flat (1-D, contiguous) views.

Parallel over fixed 16K-element chunks (1.5-2x faster than one thread on LeNet's conv1
activations); each element is computed independently, so the chunking never changes a result.
"""
from ._jit import njit, prange

CHUNK = 16384


@njit(parallel=True)
def relu_fwd(out, x):
    """out = max(x, 0); NaN propagates."""
    n = x.shape[0]
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        lo = chunk * CHUNK
        hi = min(n, lo + CHUNK)
        o = out[lo:hi]
        s = x[lo:hi]
        for i in range(hi - lo):
            v = s[i]
            o[i] = v if (v > 0.0 or v != v) else 0.0


@njit(parallel=True)
def relu_bwd(dx, dy, y):
    """dx = dy where y > 0 else 0 (y = relu(x), so the gradient is 0 wherever x <= 0)."""
    n = dy.shape[0]
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        lo = chunk * CHUNK
        hi = min(n, lo + CHUNK)
        d = dx[lo:hi]
        g = dy[lo:hi]
        v = y[lo:hi]
        for i in range(hi - lo):
            d[i] = g[i] if v[i] > 0.0 else 0.0
