"""``minispore.runtime``: every change minispore can make to its host process, in one place.

By default minispore changes nothing outside its own objects: no allocator tuning, no helper
processes, and BLAS's thread count is switched to one only around minispore's own matrix products
(under a lock; see :mod:`minispore.ops._blas`). Its parallel kernels choose their thread count
per call site by timing (:mod:`minispore.kernels._threads`: the full pool on an idle machine, one
thread next to a busy process, where the pool's barriers made a LeNet step 30-50x slower); that
count is numba's thread-local setting of the thread running the kernel, nothing wider. Its large op buffers are reused from step to step
instead (:mod:`minispore.ops._buffers`), which removed the page faults that malloc tuning was
once needed for. What remains is opt-in:

* :func:`tune_malloc` -- tell glibc's malloc to keep freed memory (may keep ~1 GiB mapped, for
  every library in the process); ``MINISPORE_MALLOC_TUNING=1`` does it at the first convolution.
* :func:`set_num_threads` -- the most threads minispore's kernels may use (``MINISPORE_NUM_THREADS``);
  :func:`set_adaptive_threads` -- ``False`` always uses that many (``MINISPORE_ADAPTIVE_THREADS=0``).
* :func:`start_compile_helper` -- with an empty numba cache, compile the backward kernels in a
  helper process while this one compiles the forward pass (a cold first step ~1.5 s shorter here);
  ``MINISPORE_WARMUP=1`` does it at the first convolution.

:func:`status` reports what is in effect, including numba's and BLAS's thread settings.
"""
import numba

from .kernels import _jit, _threads
from .ops import _blas, _buffers, _malloc, _warmup

__all__ = ["tune_malloc", "start_compile_helper", "status", "release_buffers",
           "set_num_threads", "set_adaptive_threads"]


def set_num_threads(n):
    """Cap the threads of minispore's parallel kernels at ``n`` (1: always serial), between 1
    and numba's pool size. minispore sets numba's (thread-local) count before its own kernels,
    so other numba code in a thread that runs minispore kernels sees the count last set."""
    _threads.set_num_threads(n)


def set_adaptive_threads(enabled=True):
    """``True`` (default): each kernel call site times the full thread count against one thread
    and keeps the faster, re-checking as conditions change. ``False``: always use the cap."""
    _threads.set_adaptive(enabled)


def tune_malloc():
    """Apply glibc's malloc tuning to this process now; returns whether it applied (False off
    glibc). Process-wide and not undone: other libraries' freed memory stays mapped too."""
    return _malloc.tune_once()


def start_compile_helper():
    """Start the compile helper process now if the numba cache is cold; returns whether one was
    started (at most one per process, and one per cold cache directory)."""
    return _warmup.start_if_cold() is not None


def release_buffers():
    """Drop the calling thread's pool of reusable op buffers (their memory returns to the
    allocator once no Tensor uses it)."""
    _buffers.clear()


def status():
    """What minispore does to its process right now, as a dict."""
    blas = _blas.blas_thread_control()
    return {
        "numba_parallel": _jit.PARALLEL,
        "numba_threads": numba.get_num_threads(),
        "max_kernel_threads": _threads.get_num_threads(),
        "adaptive_threads": _threads.adaptive(),
        "thread_choices": _threads.site_choices(),
        "numba_cache": _jit.CACHE,
        "blas_thread_control": [getattr(c, "path", None) or getattr(c, "filepath", "?")
                                for c in blas],
        "malloc_tuned": _malloc.applied(),
        "compile_helper_started": _warmup.started(),
        "buffer_pool_limit_bytes": _buffers.MAX_BYTES,
    }
