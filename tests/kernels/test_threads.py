"""The adaptive thread choice of parallel kernels (minispore/kernels/_threads.py).

The policy is driven here with synthetic call times shaped like the ones measured on the 2-core
target: idle, the pool is ~2x faster than one thread; next to a busy process most pool calls are
still fast but one in five waits a scheduler slice (~40x the fast time).
"""
import numpy as np
import pytest

from minispore import runtime
from minispore.kernels import _threads

FAST, SERIAL, SLICE = 100e-6, 200e-6, 4e-3


def drive(site, calls, time_of):
    """Run ``calls`` calls through ``site``; ``time_of(n, i)`` is call i's time on n threads.
    Returns the thread count used by each call."""
    used = []
    for i in range(calls):
        n = site.next_threads()
        site.record(n, time_of(n, i))
        used.append(n)
    return used


def idle(n, i):
    return FAST if n == 2 else SERIAL


def busy(n, i):
    if n == 1:
        return SERIAL
    return SLICE if i % 5 == 0 else FAST


def test_idle_keeps_the_pool_and_probes_rarely():
    used = drive(_threads._Site(2), 5000, idle)
    assert used[-1] == 2
    serial_calls = used[7:].count(1)  # after the first comparison
    assert serial_calls / len(used) < 0.01, serial_calls


def test_busy_neighbour_moves_to_one_thread():
    """The median of pool calls is fast, so a median-based choice would keep the pool; the
    mean includes the slices and picks one thread."""
    used = drive(_threads._Site(2), 5000, busy)
    assert used[-1] == 1
    pool_calls = used[7:].count(2)
    assert pool_calls / len(used) < 0.03, pool_calls
    mean_time = np.mean([busy(n, i) for i, n in enumerate(used)])
    assert mean_time < 1.1 * SERIAL  # the probes cost under 10 %


def test_neighbour_that_starts_is_noticed_within_a_few_calls():
    site = _threads._Site(2)
    drive(site, 3000, idle)
    assert site.choice == 2
    used = drive(site, 20, lambda n, i: SLICE if n == 2 else SERIAL)
    assert used[-1] == 1 and used.index(1) <= 2


def test_neighbour_that_leaves_is_noticed_by_a_probe():
    site = _threads._Site(2)
    drive(site, 5000, busy)
    assert site.choice == 1
    used = drive(site, 2 * _threads._MAX_INTERVAL + 10, idle)
    assert used[-1] == 2


def test_a_passing_hiccup_is_undone_soon():
    """One slow pool call on an idle machine may switch to one thread; a probe soon after
    switches back (not only after the longest interval)."""
    site = _threads._Site(2)
    drive(site, 3000, idle)
    drive(site, 1, lambda n, i: 30 * FAST)
    used = drive(site, 3 * _threads._FIRST_INTERVAL, idle)
    assert used[-1] == 2


def test_first_call_is_not_timed():
    """The first call compiles the kernel: its time must not count against its thread count."""
    site = _threads._Site(2)
    first = site.next_threads()
    site.record(first, 10.0)
    used = drive(site, 10, idle)
    assert used[-1] == 2


def test_results_do_not_depend_on_the_thread_count():
    from minispore.kernels import conv
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    fc_x = rng.standard_normal((37, 301)).astype(np.float32)
    fc_w = rng.standard_normal((101, 301)).astype(np.float32)
    results = []
    try:
        for n in (1, 2, 1):
            runtime.set_num_threads(min(n, _threads.numba.config.NUMBA_NUM_THREADS))
            y = np.empty((5, 6, 10, 10), np.float32)
            conv.conv2d_fwd_direct(y, x, w, 1, 1, 1)
            dw = np.empty_like(w)
            conv.conv2d_bwd_weight_direct(dw, y, x, 1, 1, 1)
            fc = np.empty((37, 101), np.float32)
            conv.dense_fwd(fc, fc_x, fc_w)
            results.append((y, dw, fc))
    finally:
        runtime.set_num_threads(_threads.numba.config.NUMBA_NUM_THREADS)
    for later in results[1:]:
        for got, want in zip(later, results[0]):
            np.testing.assert_array_equal(got, want)


def test_set_num_threads_checks_its_argument():
    pool = _threads.numba.config.NUMBA_NUM_THREADS
    for bad in (0, pool + 1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"set_num_threads: n must be an int in \[1, "):
            runtime.set_num_threads(bad)


def test_status_reports_the_thread_settings():
    status = runtime.status()
    assert status["adaptive_threads"] is True
    assert 1 <= status["max_kernel_threads"] <= _threads.numba.config.NUMBA_NUM_THREADS
    runtime.set_adaptive_threads(False)
    try:
        assert runtime.status()["adaptive_threads"] is False
    finally:
        runtime.set_adaptive_threads(True)


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("MINISPORE_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="MINISPORE_NUM_THREADS='two'"):
        _threads._env_int("MINISPORE_NUM_THREADS", 2)


def test_sites_stay_bounded_with_ever_new_shapes(monkeypatch):
    """A model fed inputs of always new shapes must not grow the per-thread site table
    without bound."""
    from minispore.kernels import pool
    monkeypatch.setattr(_threads, "_MAX_SITES", 8)
    runtime.set_adaptive_threads(True)
    for n in range(1, 41):
        x = np.ones((n, 1, 4, 4), np.float32)
        out, argmax = np.empty((n, 1, 2, 2), np.float32), np.empty((n, 1, 2, 2), np.int32)
        pool.max_pool2d_fwd_2x2(out, argmax, x)
    assert 1 <= len(_threads._tls.sites) <= 8
