"""Every numba flag minispore uses, in one place.

Kernels are decorated with :func:`njit` from this module, never with ``numba.njit`` directly
(``tests/test_kernels.py`` fails on a hard-coded flag elsewhere). Compilation is lazy: no
signatures are given, so nothing compiles at import and each dtype compiles on first call.

Threading choice: kernels are **serial** (no ``parallel=True``, no numba thread pool); the only
multi-threaded code is BLAS GEMM reached through numpy's ``@``. Measured on the 2-core target:
a numba OpenMP/workqueue pool and OpenBLAS's pool spin against each other, so a 46 us GEMM
took 11-16 ms right after a numba parallel region, while either pool alone behaves. At LeNet
sizes the numba kernels (im2col, col2im, pooling, ReLU, fused loss, fused Momentum) are small
and memory bound, so the big FLOPs go to one BLAS call per conv and one pool is ever awake.
``MINISPORE_NUMBA_PARALLEL=1`` re-enables ``parallel=True`` on the kernels that use
``prange`` (only where iterations write disjoint slices) for experiments on bigger machines.

Environment overrides (read once, at import):

* ``MINISPORE_NUMBA_CACHE=0``  -- do not cache compiled code on disk (default: cache, so a
  second process starts warm; numba's own ``NUMBA_CACHE_DIR`` chooses where).
* ``MINISPORE_FASTMATH=1`` or a comma list such as ``contract,reassoc`` -- off by default:
  reassociation changes summation order against the reference. ``nnan``/``ninf`` are never
  sensible here because max-pool relies on ``-inf`` and NaN must propagate.
* ``MINISPORE_NUMBA_PARALLEL=1`` -- see above.
* ``NUMBA_DISABLE_JIT=1`` (numba's own) runs every kernel as plain Python, for coverage.
"""
import os

import numba

__all__ = ["njit", "prange", "CACHE", "FASTMATH", "PARALLEL"]


def _flag(name, default):
    value = os.environ.get(name, default).strip().lower()
    return value not in ("", "0", "false", "no", "off")


def _fastmath_from_env():
    value = os.environ.get("MINISPORE_FASTMATH", "0").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return {"contract", "reassoc", "arcp", "nsz"}
    return set(part.strip() for part in value.split(",") if part.strip())


CACHE = _flag("MINISPORE_NUMBA_CACHE", "1")
FASTMATH = _fastmath_from_env()
PARALLEL = _flag("MINISPORE_NUMBA_PARALLEL", "0")
prange = numba.prange


REDUCTION_FASTMATH = {"reassoc", "contract"}


def njit(fn=None, *, parallel=False, reduction=False):
    """Compile ``fn`` lazily with minispore's flags.

    ``parallel=True`` marks a kernel whose ``prange`` loop writes disjoint slices; it only
    takes effect when ``MINISPORE_NUMBA_PARALLEL`` is set (see the module docstring).
    ``reduction=True`` lets LLVM reassociate (and fuse) a floating-point sum so a dot product
    vectorises; only for kernels whose tests compare against the reference with a tolerance
    (the weight-gradient reduction: 3.6x faster at LeNet's conv1, same result to ~1e-7
    relative). The order stays fixed, so results are still deterministic.
    ``error_model='numpy'`` drops the per-division zero check (kernels never divide by a
    value that can be zero without it being a real inf/nan), ``nogil`` lets callers thread.
    """
    fastmath = FASTMATH
    if reduction:
        fastmath = REDUCTION_FASTMATH | (FASTMATH if isinstance(FASTMATH, set) else set())

    def wrap(f):
        return numba.njit(cache=CACHE, fastmath=fastmath, parallel=bool(parallel and PARALLEL),
                          nogil=True, error_model="numpy", boundscheck=False)(f)
    return wrap if fn is None else wrap(fn)
