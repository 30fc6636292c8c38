"""How many threads each parallel kernel call uses: measured, per call site, not assumed.

Why: numba's OpenMP pool is fastest on an idle machine (LeNet train step b32: 1.5 ms on two
threads, 2.3 ms on one), but next to one busy process on a 2-core machine its workers fight that
process for the second core: every parallel region ends in a barrier that waits for the
descheduled worker, and the step went from 1.5 to 84 ms (56x; PyTorch slows 2.2-5.8x there). One
thread is immune (2.3 ms busy or idle). Neither fixed choice is right everywhere, and nothing in
the environment says reliably which applies (a cgroup quota, a neighbour that comes and goes),
so the choice is made by timing.

How: each parallel kernel is wrapped in :class:`Governed`. A call *site* is the kernel and the
shapes of its first array arguments, per Python thread. A site's first call compiles and is not
timed; the next six alternate one thread and the full thread count; then the site runs the count
with the lower running mean time, and re-measures the other one now and then (see
:class:`_Site`). Idle, the cost is a few one-thread probe calls (under 1 % of calls); under
contention, a few full-pool calls.

Results never depend on the thread count (every parallel kernel writes disjoint slices and sums
in a fixed order), so the choice only changes speed. The thread count is numba's own setting
of the calling thread (``numba.set_num_threads`` is thread-local): other threads and other
libraries' pools are untouched. Set the most threads minispore's kernels may use with
``minispore.runtime.set_num_threads(n)`` or ``MINISPORE_NUM_THREADS`` (default: numba's thread
count in the first thread that runs a kernel, i.e. ``NUMBA_NUM_THREADS`` unless
``numba.set_num_threads`` lowered it before); ``MINISPORE_ADAPTIVE_THREADS=0`` (or
``runtime.set_adaptive_threads(False)``) always uses that many. After that, numba's thread count
in a thread that runs minispore kernels is minispore's to set.
"""
import os
import threading
import time

import numba

__all__ = ["Governed", "set_num_threads", "get_num_threads", "set_adaptive", "adaptive",
           "site_choices"]

_PROBE_CALLS = 3      # timed calls per thread count when comparing
_FIRST_INTERVAL = 50  # calls between probes of the other thread count ...
_MAX_INTERVAL = 1600  # ... doubling each time the probe loses, up to this
_EMA = 0.1            # weight of the newest call in a thread count's running mean time
_SWITCH_MARGIN = 1.25  # the count in use is left when its mean exceeds the other's by this
_MAX_SITES = 4096     # call sites remembered per thread
_SERIAL_EDGE = 1.1    # one thread is chosen only when at least this much faster than the pool:
                      # a site on one thread lets the pool's workers fall asleep, and the next
                      # site's pool call pays for waking them, which no single site can see


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
    if _settings["max"] is None:  # numba's count in this thread: NUMBA_NUM_THREADS unless set
        current = numba.get_num_threads()
        _settings["max"] = max(1, min(current, _env_int("MINISPORE_NUM_THREADS", current)))
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


class _Site:
    """The thread choice of one kernel at one input shape, in one Python thread.

    Each thread count has a running mean call time (a mean, not a median: next to a busy
    process most pool calls are as fast as on an idle machine, but one in four or five waits a
    whole scheduler time slice, 4-8 ms, for the worker that lost its core; the median hides
    that and the mean does not). The site runs one count and updates its mean with every call;
    when that mean exceeds the other count's by a quarter (``_SWITCH_MARGIN``; a neighbour
    started: the pool's mean overtakes one thread's within a call or two) the site switches.
    The count not in use is re-measured (three calls) every ``interval`` calls, because its
    mean only goes stale: the interval doubles each time the probe loses, or wins only to lose
    again before the next probe, and starts over after any other switch (conditions changed,
    or a passing hiccup made the faster count look slow: either way, look again soon). After a
    comparison one thread wins only if it is at least 10 % faster (``_SERIAL_EDGE``): a site
    left on one thread lets the pool's workers fall asleep (waking them cost 11-90 us, measured
    on ReLU), a cost the next site pays and this one cannot see."""

    generation = 0  # bumped by the settings: every site starts over
    __slots__ = ("gen", "most", "plan", "probe", "mean", "choice", "calls", "interval",
                 "compiled", "probed_switch")

    def __init__(self, most):
        self.gen = _Site.generation
        self.most = most
        self.compiled = False
        self.choice = most
        self.mean = {}
        self.plan = [1, most] * _PROBE_CALLS
        self.probe = {}
        self.calls = 0
        self.interval = _FIRST_INTERVAL
        self.probed_switch = False

    def next_threads(self):
        return self.plan[0] if self.plan else self.choice

    def record(self, n, seconds):
        if not self.compiled:  # the first call compiled the kernel (or loaded it from disk)
            self.compiled = True
            return
        if self.plan:
            self.plan.pop(0)
            self.probe.setdefault(n, []).append(seconds)
            if not self.plan:
                self._end_probe()
            return
        self.calls += 1
        mean = self.mean[n] = (1.0 - _EMA) * self.mean[n] + _EMA * seconds
        other = self._other()
        if mean > _SWITCH_MARGIN * self.mean.get(other, float("inf")):
            if self.probed_switch and self.calls < self.interval:  # a probe's win did not last
                self.interval = min(2 * self.interval, _MAX_INTERVAL)
            else:  # conditions changed, or a passing hiccup: look at this count again soon
                self.interval = _FIRST_INTERVAL
            self.choice, self.calls, self.probed_switch = other, 0, False
        elif self.calls >= self.interval:
            self.plan = [other] * _PROBE_CALLS

    def _other(self):
        return 1 if self.choice != 1 else self.most

    def _end_probe(self):
        for n, times in self.probe.items():
            self.mean[n] = sum(times) / len(times)
        self.probe = {}
        best = self.most
        if 1 in self.mean and self.mean[1] * _SERIAL_EDGE < self.mean.get(self.most, 0.0):
            best = 1
        if self.calls and best == self.choice:  # a probe lost: look again later than before
            self.interval = min(2 * self.interval, _MAX_INTERVAL)
        self.probed_switch = bool(self.calls) and best != self.choice
        self.choice, self.calls = best, 0


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
        most = _settings["max"] or get_num_threads()
        if most == 1 or not _settings["adaptive"]:
            _use_threads(most)
            return self.dispatcher(*args)
        tls = _tls
        try:
            sites = tls.sites
        except AttributeError:
            sites = tls.sites = {}
            tls.threads = None
        try:
            key = (self, args[0].shape, args[1].shape)
        except AttributeError:
            key = (self,) + tuple(getattr(a, "shape", None) for a in args[:3])
        site = sites.get(key)
        if site is None or site.gen != _Site.generation:
            if len(sites) >= _MAX_SITES:  # inputs of ever new shapes: start over, stay small
                sites.clear()
            site = sites[key] = _Site(most)
        n = site.plan[0] if site.plan else site.choice
        if tls.threads != n:
            numba.set_num_threads(n)
            tls.threads = n
        start = time.perf_counter()
        result = self.dispatcher(*args)
        site.record(n, time.perf_counter() - start)
        return result


def site_choices():
    """{kernel name: {threads: number of sites}} for the calling thread (for ``runtime.status``)."""
    summary = {}
    for key, site in getattr(_tls, "sites", {}).items():
        counts = summary.setdefault(key[0].__name__, {})
        counts[site.choice] = counts.get(site.choice, 0) + 1
    return summary
