"""Keep freed array memory in the process so each training step does not page-fault it back.

A LeNet step allocates and frees dozens of arrays of 100 KB - 2 MB (activations, gradients,
argmax planes). glibc serves blocks above its mmap threshold with fresh ``mmap`` pages and
trims the heap top back to the OS, so every step touched new zero pages: measured on the
2-core target, 8.5 ms per training step at batch 32 against 6.4 ms with the settings below
(interleaved processes, median of medians). This is the job PyTorch users hand to
jemalloc/tcmalloc via ``LD_PRELOAD``; here three ``mallopt`` calls do it in-process:

* ``M_MMAP_THRESHOLD`` 32 MiB (glibc's maximum): arrays below it come from the heap;
* ``M_TRIM_THRESHOLD`` 1 GiB: freed heap is kept for reuse instead of returned at once;
* ``M_TOP_PAD`` 64 MiB: the heap grows in large steps.

Cost: up to ~1 GiB of freed memory may stay mapped to the process, for every library in it.
So it is opt-in, never done behind the user's back: ``minispore.runtime.tune_malloc()`` applies
it at once, ``MINISPORE_MALLOC_TUNING=1`` at the first convolution; glibc only. minispore's own
large buffers no longer need it (:mod:`minispore.ops._buffers` reuses them), so it helps only
with other allocations (numpy temporaries, your own arrays).
"""
import ctypes
import ctypes.util
import os

__all__ = ["tune_once", "tune_if_requested", "requested", "applied"]

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_SETTINGS = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 64 << 20))
_state = {"done": False, "applied": False}


def requested():
    """Whether ``MINISPORE_MALLOC_TUNING`` asks for the tuning (default: no)."""
    switch = os.environ.get("MINISPORE_MALLOC_TUNING", "0").strip().lower()
    return switch not in ("", "0", "false", "no", "off")


def tune_if_requested():
    """``tune_once()`` if the environment asks for it; returns whether the tuning is applied."""
    return tune_once() if requested() else _state["applied"]


def tune_once():
    """Apply the malloc settings the first time it is called; returns whether they applied."""
    if _state["done"]:
        return _state["applied"]
    _state["done"] = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt, Windows)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _state["applied"] = all(mallopt(param, value) == 1 for param, value in _SETTINGS)
    return _state["applied"]


def applied():
    """Whether the tuning is in effect in this process."""
    return _state["applied"]
