"""Elementwise activations on flat (1-D, contiguous) views.

ReLU runs on the calling thread. Parallel 16K-element chunks were 2x faster on LeNet's conv1
activations (14 against 28 us at batch 32, 0.9 % of a training step; 1.4 % at batch 256), but
their two parallel kernels took 0.33 s (LeNet) and 0.74 s (ResNet) of a cold first step's compile,
which has to stay under 10 s. In GRAPH_MODE the ReLU before a 2x2 pool is fused into the pool.
GELU lives in :mod:`.gelu`.
"""
from ._jit import njit


@njit
def relu_fwd_serial(out, x):
    """out = max(x, 0); NaN propagates."""
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if (v > 0.0 or v != v) else 0.0


@njit
def relu_bwd_serial(dx, dy, y):
    """dx = dy where y > 0 else 0 (y = relu(x), so the gradient is 0 wherever x <= 0)."""
    for i in range(dy.shape[0]):
        dx[i] = dy[i] if y[i] > 0.0 else 0.0


def relu_fwd(out, x):
    """out = max(x, 0) over flat arrays; NaN propagates."""
    relu_fwd_serial(out, x)


def relu_bwd(dx, dy, y):
    """dx = dy where y > 0 else 0, over flat arrays."""
    relu_bwd_serial(dx, dy, y)
