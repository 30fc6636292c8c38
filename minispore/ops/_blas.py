"""numpy GEMM on one BLAS thread, so BLAS's spinning worker threads never slow the kernels.

After a threaded GEMM, OpenBLAS's workers spin-wait for more work, and on the 2-core target
that spinning costs the numba kernels that follow more than the GEMM's second thread saves:
measured over whole LeNet steps at batch 32, serial kernels + 2-thread BLAS took 25.8 ms
against 6.3 ms with 1-thread BLAS, and with numba's own parallel pool both pools spinning
took 14-20 ms against 4.5-6.5 ms. minispore's GEMMs are small (dense layers, the im2col
convolution path, ``ops.matmul``), so they run BLAS on the calling thread only (a dense layer's
forward product of a million multiply-adds or more runs on numba's threads instead, see
:mod:`._dense`); the previous
thread count is restored after each call, so GEMMs in your own code keep theirs. Products too
small for OpenBLAS to thread skip the switch. Batch-1 steps showed why the bound is OpenBLAS's
GEMV one, not its GEMM one: an unguarded (1, 120) x (120, 400) product ran as a 2-thread GEMV,
and the dense layer's backward took 1 ms instead of a few microseconds.
"""
import ctypes
import os
import threading
import warnings

import numpy as np

__all__ = ["matmul", "blas_thread_control"]

# OpenBLAS threads a GEMV above m*n = 2304 * 4 (and a GEMM only well above that, a dot above
# n = 10000); products with less work than this never use a second thread, so skip the switch.
_ALWAYS_SERIAL_WORK = 2304 * 4
_OPENBLAS_SYMBOLS = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                     ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                     ("openblas_get_num_threads", "openblas_set_num_threads"))
_lock = threading.Lock()
_controllers = None


class _OpenBLAS:
    """get/set of one loaded OpenBLAS's thread count through its C API."""

    def __init__(self, path, get, set_):
        self.path, self._get, self._set = path, get, set_

    def get_num_threads(self):
        return self._get()

    def set_num_threads(self, n):
        self._set(n)


def _loaded_openblas():
    """OpenBLAS libraries mapped into this process (Linux: /proc/self/maps)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return []
    found = []
    for path in sorted(p for p in paths if os.path.isabs(p)):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                get, set_ = getattr(lib, get_name), getattr(lib, set_name)
                get.restype, get.argtypes = ctypes.c_int, ()
                set_.restype, set_.argtypes = None, (ctypes.c_int,)
                found.append(_OpenBLAS(path, get, set_))
                break
    return found


def _threadpoolctl_blas(skip_openblas):
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    try:
        libs = ThreadpoolController().select(user_api="blas").lib_controllers
    except Exception:  # noqa: BLE001 - an unreadable library: the OpenBLAS path still works
        return []
    return [lib for lib in libs if not (skip_openblas and lib.internal_api == "openblas")]


def blas_thread_control():
    """The controllers that keep minispore's GEMMs on one BLAS thread (found once).

    Warns once when numpy's BLAS is threaded and none could be found."""
    global _controllers
    if _controllers is None:
        controllers = _loaded_openblas()
        others = _threadpoolctl_blas(skip_openblas=bool(controllers))
        controllers += others or []
        if not controllers and others is None and os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            warnings.warn("minispore cannot keep its matrix products on one BLAS thread (no "
                          "OpenBLAS found in this process and threadpoolctl is not installed): "
                          "BLAS's spinning threads may slow training several times. Install "
                          "threadpoolctl or set OPENBLAS_NUM_THREADS=1 / MKL_NUM_THREADS=1.",
                          RuntimeWarning, stacklevel=3)
        _controllers = controllers
    return _controllers


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` on one BLAS thread."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 == b.shape[0]:
        # An outer product (a batch-1 weight gradient): numpy's GEMM took 236-284 us for
        # (120, 1) x (1, 400); the broadcast product gives the same numbers in ~20 us.
        return np.multiply(a, b, out=out)
    if a.size * (b.shape[-1] if b.ndim >= 2 else 1) < _ALWAYS_SERIAL_WORK:
        return np.matmul(a, b, out=out)
    libs = blas_thread_control()
    with _lock:
        previous = [lib.get_num_threads() for lib in libs]
        for lib in libs:
            lib.set_num_threads(1)
        try:
            return np.matmul(a, b, out=out)
        finally:
            for lib, n in zip(libs, previous):
                lib.set_num_threads(n)
