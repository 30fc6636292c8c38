"""Large op buffers reused from step to step, so a training step does not fault in fresh pages.

A LeNet step at batch 32 allocates and frees a few dozen arrays of 50 KB - 2 MB (activations,
their gradients, max-pool argmax planes). glibc serves those with fresh pages (``mmap`` or a heap
top it trimmed back to the OS), and touching fresh pages costs a page fault per 4 KB: measured
here, ~500 minor faults per step, 0.5-1 ms of a ~1.5 ms step. Tuning malloc (``mallopt``) would
fix that for the whole host process; this pool fixes it for minispore's own buffers only.

``empty(shape, dtype)`` hands out an array from a per-thread pool keyed by shape and dtype: one
that nothing but the pool references any more (its reference count says so: a Tensor, a view,
an autograd node or a caller's variable that still holds it keeps it out of reach), or a new one.
Arrays below ``MIN_BYTES`` come straight from numpy (the heap serves them without faults); the
pool keeps at most ``MAX_BYTES`` per thread, beyond which arrays are plain numpy ones too.
``clear()`` drops this thread's pool (its memory returns to the allocator).
"""
import sys
import threading

import numpy as np

__all__ = ["empty", "empty_like", "clear", "MIN_BYTES", "MAX_BYTES"]

MIN_BYTES = 64 << 10
MAX_BYTES = 256 << 20
_local = threading.local()


def _pool():
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {"arrays": {}, "bytes": 0}
    return pool


def _probe_unreferenced_count():
    """The reference count ``empty`` sees for an array held only by a pool list."""
    held = [np.empty(1)]
    for array in held:
        return sys.getrefcount(array)


_UNREFERENCED = _probe_unreferenced_count()


def empty(shape, dtype=np.float32):
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, reused when possible."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    pool = _pool()
    arrays = pool["arrays"].setdefault((shape, dtype.str), [])
    for array in arrays:
        if sys.getrefcount(array) == _UNREFERENCED:
            return array
    array = np.empty(shape, dtype)
    if pool["bytes"] + nbytes <= MAX_BYTES:
        arrays.append(array)
        pool["bytes"] += nbytes
    return array


def empty_like(a, dtype=None):
    """``empty(a.shape, dtype or a.dtype)``."""
    return empty(a.shape, a.dtype if dtype is None else dtype)


def clear():
    """Forget this thread's pooled arrays (those still in use stay valid: they are ordinary
    numpy arrays)."""
    _local.pool = None
