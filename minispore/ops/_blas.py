"""numpy GEMM on one BLAS thread, so BLAS's spinning worker threads never slow the kernels.

After a threaded GEMM, OpenBLAS's workers spin-wait for more work, and on the 2-core target
that spinning costs the numba kernels that follow more than the GEMM's second thread saves:
measured over whole LeNet steps at batch 32, serial kernels + 2-thread BLAS took 25.8 ms
against 6.3 ms with 1-thread BLAS, and with numba's own parallel pool both pools spinning
took 14-20 ms against 4.5-6.5 ms. minispore's GEMMs are small (dense layers, the im2col
convolution path, ``ops.matmul``), so they run BLAS on the calling thread only; the previous
thread count is restored after each call, so GEMMs in your own code keep theirs. Products too
small for OpenBLAS to thread skip the switch. Batch-1 steps showed why the bound is OpenBLAS's
GEMV one, not its GEMM one: an unguarded (1, 120) x (120, 400) product ran as a 2-thread GEMV,
and the dense layer's backward took 1 ms instead of a few microseconds.
"""
import numpy as np

__all__ = ["matmul"]

# OpenBLAS threads a GEMV above m*n = 2304 * 4 (and a GEMM only well above that, a dot above
# n = 10000); products with less work than this never use a second thread, so skip the switch.
_ALWAYS_SERIAL_WORK = 2304 * 4
_libs = None


def _blas_libraries():
    """threadpoolctl controllers of the loaded BLAS libraries ([] if it cannot tell)."""
    global _libs
    if _libs is None:
        try:
            from threadpoolctl import ThreadpoolController
            _libs = list(ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # noqa: BLE001 - without control, GEMMs simply keep BLAS's threads
            _libs = []
    return _libs


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` on one BLAS thread."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 == b.shape[0]:
        # An outer product (a batch-1 weight gradient): numpy's GEMM took 236-284 us for
        # (120, 1) x (1, 400); the broadcast product gives the same numbers in ~20 us.
        return np.multiply(a, b, out=out)
    if a.size * (b.shape[-1] if b.ndim >= 2 else 1) < _ALWAYS_SERIAL_WORK:
        return np.matmul(a, b, out=out)
    libs = _blas_libraries()
    previous = [lib.get_num_threads() for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        return np.matmul(a, b, out=out)
    finally:
        for lib, n in zip(libs, previous):
            lib.set_num_threads(n)
