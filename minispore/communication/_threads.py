"""Threads per rank: the host's cores shared out among the ranks on that host.

Left alone, every rank of ``mpiexec -n 2`` on a 2-core machine would run a 2-thread numba pool
and a 2-thread OpenBLAS pool: four spinning threads per core pair, each rank slowing the other.
:func:`apply` sets this process's numba thread count (``numba.set_num_threads``) and every
loaded BLAS library's thread count (OpenBLAS's C API, threadpoolctl for others; see
:func:`minispore.ops._blas.blas_thread_control`) to ``cores // ranks_on_host`` (at least 1).

This is a process-wide change made only by an explicit call: ``communication.init()`` calls
it when more than one rank shares the host, and says so in its docstring. A single process is
never touched. ``MINISPORE_THREADS_PER_RANK=N`` chooses N instead; ``=0`` leaves the thread
counts alone.
"""
import os

__all__ = ["host_cores", "threads_per_rank", "apply"]


def host_cores():
    """Cores this process may run on (its affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_rank(cores, ranks_on_host):
    """``cores // ranks_on_host``, at least 1."""
    return max(1, cores // max(1, ranks_on_host))


def apply(ranks_on_host):
    """Set numba's and BLAS's thread counts for one of ``ranks_on_host`` ranks; returns the
    count set, or None when nothing was changed."""
    override = os.environ.get("MINISPORE_THREADS_PER_RANK", "").strip()
    if override:
        try:
            n = int(override)
        except ValueError:
            raise ValueError(f"MINISPORE_THREADS_PER_RANK must be an int >= 0, but got "
                             f"{override!r}.") from None
        if n < 0:
            raise ValueError(f"MINISPORE_THREADS_PER_RANK must be an int >= 0, but got {n}.")
        if n == 0:
            return None
    elif ranks_on_host <= 1:
        return None
    else:
        n = threads_per_rank(host_cores(), ranks_on_host)
    import numba  # noqa: PLC0415  (only when a count is actually set)
    from ..kernels import _threads  # noqa: PLC0415
    n_numba = max(1, min(n, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n_numba)
    _threads.set_num_threads(n_numba)  # the cap of minispore's adaptive thread choice
    from ..ops._blas import blas_thread_control  # noqa: PLC0415
    for lib in blas_thread_control():
        lib.set_num_threads(n)
    return n
