"""Elementwise activations on flat (1-D, contiguous) views."""
from ._jit import njit


@njit
def relu_fwd(out, x):
    """out = max(x, 0); NaN propagates."""
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if (v > 0.0 or v != v) else 0.0


@njit
def relu_bwd(dx, dy, y):
    """dx = dy where y > 0 else 0 (y = relu(x), so the gradient is 0 wherever x <= 0)."""
    for i in range(dy.shape[0]):
        dx[i] = dy[i] if y[i] > 0.0 else 0.0
