"""How many threads each parallel kernel call uses: measured, per call site, not assumed.

Why: numba's OpenMP pool is fastest on an idle machine (LeNet train step b32: 1.5 ms on two
threads, 2.3 ms on one), but next to one busy process on a 2-core machine its workers fight that
process for the second core: every parallel region ends in a barrier that waits for the
descheduled worker, and the step went from 1.5 to 84 ms (56x; PyTorch slows 2.3-2.9x there). One
thread is immune (2.3 ms busy or idle). Neither fixed choice is right everywhere, and nothing in
the environment says reliably which applies (a cgroup quota, a neighbour that comes and goes),
so the choice is made by timing.

How: each parallel kernel is wrapped in :class:`Governed`. A call *site* is the kernel and the
shapes of its first array arguments, per Python thread. A site's first call compiles and is not
timed; the next six alternate the full thread count and one thread; the faster median wins. The
site then keeps its choice and watches its time: three calls in a row over twice the time it was
chosen at (a neighbour started), or a probe every 50 calls (doubling to 1,600 while the choice
holds; a neighbour that left), re-open the comparison. Idle, the cost is the few one-thread probe
calls (under 1 % of calls); under contention, the same few full-pool calls.

Results never depend on the thread count (every parallel kernel writes disjoint slices and sums
in a fixed order), so the choice only changes speed. The thread count is numba's own setting
of the calling thread (``numba.set_num_threads`` is thread-local): other threads and other
libraries' pools are untouched. Set the most threads minispore's kernels may use with
``minispore.runtime.set_num_threads(n)`` or ``MINISPORE_NUM_THREADS`` (default: numba's pool
size, ``NUMBA_NUM_THREADS``); ``MINISPORE_ADAPTIVE_THREADS=0`` (or
``runtime.set_adaptive_threads(False)``) always uses that many.
"""
import os
import threading
import time

import numba

__all__ = ["Governed", "set_num_threads", "get_num_threads", "set_adaptive", "adaptive",
           "site_choices"]

_PROBE_CALLS = 3      # timed calls per thread count when comparing
_FIRST_INTERVAL = 50  # calls between probes right after a choice changed
_MAX_INTERVAL = 1600  # ... doubling while the choice holds, up to this
_SLOW_FACTOR = 2.0    # a call this much slower than the time the choice was made at ...
_SLOW_CALLS = 3       # ... this many times in a row re-opens the comparison


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number of threads") from None


_settings = {
    "max": None,  # resolved on first use, after numba's pool size is known
    "adaptive": os.environ.get("MINISPORE_ADAPTIVE_THREADS", "1").strip().lower() not in (
        "0", "false", "no", "off"),
}
_tls = threading.local()


def get_num_threads():
    """The most threads a minispore kernel call may use."""
    if _settings["max"] is None:
        pool = numba.config.NUMBA_NUM_THREADS
        _settings["max"] = max(1, min(pool, _env_int("MINISPORE_NUM_THREADS", pool)))
    return _settings["max"]


def set_num_threads(n):
    """Cap the threads of minispore's parallel kernels at ``n`` (1 = always serial); between
    1 and numba's pool size (``NUMBA_NUM_THREADS``, fixed when numba starts its pool)."""
    pool = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= pool:
        raise ValueError(f"set_num_threads: n must be an int in [1, {pool}] (numba's pool size, "
                         f"NUMBA_NUM_THREADS), got {n!r}")
    _settings["max"] = n
    _reset_sites()


def set_adaptive(on):
    """Choose each call site's thread count by timing (True, the default) or always use
    :func:`get_num_threads` threads (False)."""
    _settings["adaptive"] = bool(on)
    _reset_sites()


def adaptive():
    return _settings["adaptive"]


def _reset_sites():
    _Site.generation += 1


def _use_threads(n):
    """numba's thread count for this thread, set only when it differs from the last one set."""
    if getattr(_tls, "threads", None) != n:
        numba.set_num_threads(n)
        _tls.threads = n


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


class _Site:
    """The thread choice of one kernel at one input shape, in one Python thread."""

    generation = 0  # bumped by the settings: every site starts over
    __slots__ = ("gen", "plan", "times", "choice", "chosen_at", "calls", "interval", "slow",
                 "compiled")

    def __init__(self, most):
        self.gen = _Site.generation
        self.compiled = False
        self.choice = most
        self.chosen_at = None
        self.plan = self._comparison(most, 1)
        self.times = {}
        self.calls = 0
        self.interval = _FIRST_INTERVAL
        self.slow = 0

    @staticmethod
    def _comparison(current, other):
        return [other, current] * _PROBE_CALLS

    def next_threads(self):
        return self.plan[0] if self.plan else self.choice

    def record(self, n, seconds):
        if not self.compiled:  # the first call compiled the kernel (or loaded it from disk)
            self.compiled = True
            return
        if self.plan:
            self.plan.pop(0)
            self.times.setdefault(n, []).append(seconds)
            if not self.plan:
                self._decide()
            return
        self.calls += 1
        self.slow = self.slow + 1 if seconds > _SLOW_FACTOR * self.chosen_at else 0
        if self.slow >= _SLOW_CALLS or self.calls >= self.interval:
            other = 1 if self.choice != 1 else get_num_threads()
            self.plan = self._comparison(self.choice, other)

    def _decide(self):
        medians = {n: _median(ts) for n, ts in self.times.items()}
        best = min(medians, key=lambda n: (medians[n], n))  # a tie goes to fewer threads
        held = best == self.choice
        self.interval = min(2 * self.interval, _MAX_INTERVAL) if held else _FIRST_INTERVAL
        self.choice, self.chosen_at = best, medians[best]
        self.times = {}
        self.calls = self.slow = 0


class Governed:
    """A parallel numba kernel whose every call runs on the thread count its site chose.

    Behaves as the dispatcher it wraps (attributes pass through); only calls from Python are
    governed, so parallel kernels are never called from other kernels."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.__wrapped__ = dispatcher
        self.__doc__ = getattr(dispatcher, "__doc__", None)
        self.__name__ = getattr(dispatcher, "__name__", repr(dispatcher))

    def __getattr__(self, name):
        return getattr(self.dispatcher, name)

    def __repr__(self):
        return f"<governed parallel kernel {self.__name__}>"

    def __call__(self, *args):
        most = get_num_threads()
        if most == 1 or not _settings["adaptive"]:
            _use_threads(most)
            return self.dispatcher(*args)
        sites = getattr(_tls, "sites", None)
        if sites is None:
            sites = _tls.sites = {}
        key = (self, tuple(getattr(a, "shape", None) for a in args[:3]))
        site = sites.get(key)
        if site is None or site.gen != _Site.generation:
            site = sites[key] = _Site(most)
        n = site.next_threads()
        _use_threads(n)
        start = time.perf_counter()
        result = self.dispatcher(*args)
        site.record(n, time.perf_counter() - start)
        return result


def site_choices():
    """{kernel name: {threads: number of sites}} for the calling thread (for ``runtime.status``)."""
    summary = {}
    for (kernel, _shapes), site in getattr(_tls, "sites", {}).items():
        counts = summary.setdefault(kernel.__name__, {})
        counts[site.choice] = counts.get(site.choice, 0) + 1
    return summary
