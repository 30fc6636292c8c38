"""numpy GEMM on one BLAS thread, so BLAS's spinning worker threads never slow the kernels.

After a threaded GEMM, OpenBLAS's workers spin-wait for more work, and on the 2-core target
that spinning costs the numba kernels that follow more than the GEMM's second thread saves:
measured over whole LeNet steps at batch 32, serial kernels + 2-thread BLAS took 25.8 ms
against 6.3 ms with 1-thread BLAS, and with numba's own parallel pool both pools spinning
took 14-20 ms against 4.5-6.5 ms. minispore's GEMMs are small (dense layers, the im2col
convolution path, ``ops.matmul``), so they run BLAS on the calling thread only; the previous
thread count is restored after each call, so GEMMs in your own code keep theirs. Small GEMMs,
which OpenBLAS never threads, skip the switch.
"""
import numpy as np

__all__ = ["matmul"]

# OpenBLAS runs a GEMM on one thread below M*N*K = 65536 * GEMM_MULTITHREAD_THRESHOLD (4).
_ALWAYS_SERIAL_MNK = 65536 * 4
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
    if a.ndim < 2 or b.ndim < 2 or (
            a.shape[-2] * a.shape[-1] * b.shape[-1] < _ALWAYS_SERIAL_MNK):
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
