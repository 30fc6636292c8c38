"""Every numba flag minispore uses, in one place.

Kernels are decorated with :func:`njit` from this module, never with ``numba.njit`` directly
(``tests/kernels/test_kernels.py`` fails on a hard-coded flag elsewhere). Compilation is lazy: no
signatures are given, so nothing compiles at import and each dtype compiles on first call.

Threading choice: kernels whose ``prange`` loop writes disjoint slices are compiled with
``parallel=True`` (numba's thread pool, OpenMP layer when available) and split work by sample
or by output channel, never by a reduction, so results do not depend on the thread count;
how many threads each call uses is measured, per call site, by :mod:`._threads` (the full pool
on an idle machine, one thread next to a busy process).
BLAS (numpy's ``@``) is the other thread pool in the process, and two spinning pools on a
2-core machine fight: measured here, a 46 us GEMM took 11-16 ms right after a numba parallel
region and a LeNet step went from 4.5 to 14-20 ms. So while numba runs parallel, minispore's
own GEMMs run BLAS single-threaded (:mod:`minispore.ops._blas`); BLAS calls of your own
code keep their thread count. ``MINISPORE_NUMBA_PARALLEL=0`` makes every kernel serial and
leaves BLAS alone.

Environment overrides (read once, at import):

* ``MINISPORE_NUMBA_CACHE=0``  -- do not cache compiled code on disk (default: cache, so a
  second process starts warm; numba's own ``NUMBA_CACHE_DIR`` chooses where). Only the default
  flags are cached: numba's cache does not tell kernels compiled with other flags apart, so
  ``MINISPORE_NUMBA_PARALLEL=0`` or ``MINISPORE_FASTMATH`` compile in every process.
* ``MINISPORE_FASTMATH=1`` or a comma list such as ``contract,reassoc`` -- off by default:
  reassociation changes summation order against the reference. ``nnan``/``ninf`` are never
  sensible here because max-pool relies on ``-inf`` and NaN must propagate.
* ``MINISPORE_NUMBA_PARALLEL=0`` -- serial kernels (default 1: parallel); see above.
* ``NUMBA_DISABLE_JIT=1`` (numba's own) runs every kernel as plain Python, for coverage.
"""
import os

import numba

from ._threads import Governed

__all__ = ["njit", "prange", "CACHE", "FASTMATH", "PARALLEL", "DEFAULT_FLAGS"]


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


FASTMATH = _fastmath_from_env()
PARALLEL = _flag("MINISPORE_NUMBA_PARALLEL", "1")
# numba's on-disk cache is keyed by the function and its argument types, not by the flags it was
# compiled with: a cache filled by a parallel run would be loaded, parallel, by a run that asked
# for serial kernels (measured: MINISPORE_NUMBA_PARALLEL=0 still ran max-pool in OpenMP). So
# only the default flags use the disk cache; any other setting compiles afresh in each process.
DEFAULT_FLAGS = PARALLEL and not FASTMATH
CACHE = _flag("MINISPORE_NUMBA_CACHE", "1") and DEFAULT_FLAGS
prange = numba.prange


REDUCTION_FASTMATH = {"reassoc", "contract"}
CONTRACT_FASTMATH = {"contract"}


def njit(fn=None, *, parallel=False, reduction=False, contract=False, inline="never"):
    """Compile ``fn`` lazily with minispore's flags.

    ``parallel=True`` marks a kernel whose ``prange`` loop writes disjoint slices; it takes
    effect unless ``MINISPORE_NUMBA_PARALLEL=0`` (see the module docstring).
    ``reduction=True`` lets LLVM reassociate (and fuse) a floating-point sum so a dot product
    vectorises; only for kernels whose tests compare against the reference with a tolerance
    (the weight-gradient reduction: 3.6x faster at LeNet's conv1, same result to ~1e-7
    relative). The order stays fixed, so results are still deterministic.
    ``contract=True`` only lets LLVM fuse a multiply and an add into one FMA (one rounding
    instead of two; the order of the sums is unchanged).
    ``inline="always"`` inlines a small helper into its one caller at numba's level (measured:
    0.25 s less compile for the convolution forward; a whole per-sample helper inlined into a
    parallel loop compiled slower, so that stays a call).
    ``error_model='numpy'`` drops the per-division zero check (kernels never divide by a
    value that can be zero without it being a real inf/nan), ``nogil`` lets callers thread.
    """
    fastmath = FASTMATH
    extra = REDUCTION_FASTMATH if reduction else CONTRACT_FASTMATH if contract else None
    if extra:
        fastmath = extra | (FASTMATH if isinstance(FASTMATH, set) else set())

    def wrap(f):
        kernel = numba.njit(cache=CACHE, fastmath=fastmath, parallel=bool(parallel and PARALLEL),
                            nogil=True, error_model="numpy", boundscheck=False,
                            inline=inline)(f)
        return Governed(kernel) if parallel and PARALLEL else kernel
    return wrap if fn is None else wrap(fn)


def exact_njit(fn):
    """Compile ``fn`` with fastmath forced off whatever ``MINISPORE_FASTMATH`` says, for kernels
    whose results must be bit-exact (the data pipeline's resize and normalise)."""
    return numba.njit(cache=CACHE, fastmath=False, nogil=True, error_model="numpy")(fn)
