"""Elementwise activations on flat (1-D, contiguous) views.

ReLU runs on the calling thread. Parallel 16K-element chunks were 2x faster on LeNet's conv1
activations (14 against 28 us at batch 32, 0.9 % of a training step; 1.4 % at batch 256), but
their two parallel kernels took 0.33 s (LeNet) and 0.74 s (ResNet) of a cold first step's compile,
which has to stay under 10 s. In GRAPH_MODE the ReLU before a 2x2 pool is fused into the pool.
"""
import math

from ._jit import njit, prange

CHUNK = 16384  # GELU's parallel work items (GELU is compute-bound, unlike ReLU)


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


_SQRT_HALF = 0.7071067811865476          # 1 / sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327       # 1 / sqrt(2 pi)
_TANH_K = 0.7978845608028654             # sqrt(2 / pi)
_TANH_C = 0.044715


@njit
def erfc_fast(u):
    """erfc(u) from the Chebyshev fit of Numerical Recipes' erfcc (fractional error below
    1.2e-7: float32 precision): one exp and a polynomial, ~3x faster here than numba's
    math.erfc. Used for float32 inputs only."""
    z = abs(u)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    ans = t * math.exp(-z * z + poly)
    return ans if u >= 0 else 2.0 - ans


@njit
def _tanh(u):
    """tanh through one exp (numba's math.tanh was 1.3x slower than the whole erf path);
    absolute error ~1e-16, and the result is only ever used as 1 + tanh."""
    return 1.0 - 2.0 / (math.exp(2.0 * u) + 1.0)


@njit
def _cdf(v, tanh_approx, fast_erf):
    """Phi(v) = 0.5 * erfc(-v / sqrt(2)) (no cancellation for negative v), or the tanh form."""
    if tanh_approx:
        return 0.5 * (1.0 + _tanh(_TANH_K * (v + _TANH_C * v * v * v)))
    u = -v * _SQRT_HALF
    return 0.5 * (erfc_fast(u) if fast_erf else math.erfc(u))


@njit(parallel=True)
def gelu_fwd(out, x, tanh_approx, fast_erf):
    """out = x * Phi(x) over flat arrays: Phi exact (erf; ``fast_erf``: the float32-precision
    ``erf_fast``) or, with ``tanh_approx``, 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))."""
    n = x.shape[0]
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        for i in range(chunk * CHUNK, min(n, chunk * CHUNK + CHUNK)):
            v = x[i]
            out[i] = v * _cdf(v, tanh_approx, fast_erf)


@njit(parallel=True)
def gelu_bwd(dx, dy, x, tanh_approx, fast_erf):
    """dx = dy * d(gelu)/dx over flat arrays (same forms as ``gelu_fwd``)."""
    n = x.shape[0]
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        for i in range(chunk * CHUNK, min(n, chunk * CHUNK + CHUNK)):
            v = x[i]
            if tanh_approx:
                t = _tanh(_TANH_K * (v + _TANH_C * v * v * v))
                d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _TANH_K * \
                    (1.0 + 3.0 * _TANH_C * v * v)
            else:
                d = _cdf(v, False, fast_erf) + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v)
            dx[i] = dy[i] * d
