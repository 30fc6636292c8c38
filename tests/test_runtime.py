"""Process-level speed settings: results independent of the thread count, BLAS's thread count
restored after minispore's GEMMs, glibc malloc tuning applied once and switchable off."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from minispore.ops import _array_api as A
from minispore.ops import _blas, _malloc


def _lenet_like_ops(rng):
    """Every parallel kernel on LeNet-like shapes (odd channel counts and batch on purpose)."""
    x = rng.standard_normal((5, 3, 13, 13)).astype(np.float32)
    w = rng.standard_normal((7, 3, 5, 5)).astype(np.float32)
    y = A.conv2d_forward(x, w, 1, 0, 1, 1)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    r = A.relu_forward(rng.standard_normal((300, 200)).astype(np.float32))
    p, arg = A.max_pool2d_forward(y, 2, 2)
    return [y, A.conv2d_backward_input(dy, w, x.shape, 1, 0, 1, 1),
            A.conv2d_backward_weight(dy, x, w.shape, 1, 0, 1, 1), r,
            A.relu_backward(r, r), p, arg, A.max_pool2d_backward(p, arg, y.shape, positive=p)]


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
def test_results_do_not_depend_on_the_thread_count():
    """Kernels split work by sample or output channel and keep every sum's order."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _lenet_like_ops(np.random.default_rng(0))
        numba.set_num_threads(2)
        two = _lenet_like_ops(np.random.default_rng(0))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_minispore_gemm_runs_blas_single_threaded_and_restores_the_count():
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info
    libs = _blas._blas_libraries()
    if not libs:
        pytest.skip("threadpoolctl sees no BLAS library here")
    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    seen = []
    real = np.matmul

    def spy(a, b, out=None):
        seen.append([lib.get_num_threads() for lib in libs])
        return real(a, b, out=out)

    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((64, 400)), rng.standard_normal((120, 400))
    _blas.np.matmul = spy
    try:
        y = _blas.matmul(x, w.T)
    finally:
        _blas.np.matmul = real
    np.testing.assert_allclose(y, np.einsum("ik,jk->ij", x, w), rtol=1e-9)
    assert seen == [[1] * len(libs)]
    assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == before


def _tuning_state(env):
    code = ("import numpy as np, minispore.ops._malloc as m, minispore.ops._array_api as A\n"
            "A.conv2d_forward(np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 1, 3, 3), "
            "np.float32), 1, 0, 1, 1)\nprint(m._state['applied'])")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_malloc_tuning_applies_at_the_first_convolution_and_can_be_switched_off():
    assert _tuning_state({}) == "True"
    assert _tuning_state({"MINISPORE_MALLOC_TUNING": "0"}) == "False"
    assert _malloc.tune_once() is True  # idempotent in this process


def test_warmup_helper_fills_a_cold_cache(tmp_path):
    """In a process with an empty numba cache the first convolution starts the helper, and the
    helper's compiled backward kernels land in that cache (index files appear)."""
    code = ("import numpy as np, minispore.ops._array_api as A, minispore.ops._warmup as W\n"
            "x = np.zeros((1, 1, 8, 8), np.float32); w = np.zeros((2, 1, 3, 3), np.float32)\n"
            "A.conv2d_forward(x, w, 1, 0, 1, 1)\n"
            "print(W._state['started'])\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "MINISPORE_NUMBA_PARALLEL": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"
    helper = subprocess.run([sys.executable, "-m", "minispore.ops._warmup"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert helper.returncode == 0, helper.stderr[-2000:]
    names = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"conv_flat.conv2d_bwd_weight_flat", "conv_flat.conv2d_bwd_input_flat",
            "pool.max_pool2d_bwd", "optim.momentum_update"} <= names, names


def test_one_warmup_helper_per_cold_cache(tmp_path):
    from minispore.ops import _warmup
    assert _warmup._claim(str(tmp_path)) is True
    assert _warmup._claim(str(tmp_path)) is False  # a second process on the same cold cache
    claim = tmp_path / "minispore-warmup.claim"
    old = claim.stat().st_mtime - 10 * _warmup._CLAIM_SECONDS
    os.utime(claim, (old, old))
    assert _warmup._claim(str(tmp_path)) is True  # a stale claim (dead helper) is taken over


def test_outer_product_and_small_products_match_numpy():
    """The batch-1 weight gradient (K = 1) takes the broadcast path; small products skip the
    thread switch; all give numpy's numbers."""
    rng = np.random.default_rng(2)
    for a_shape, b_shape in (((120, 1), (1, 400)), ((3, 4), (4, 5)), ((1, 120), (120, 400))):
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        np.testing.assert_allclose(_blas.matmul(a, b), np.einsum("ik,kj->ij", a, b), rtol=1e-12)
    out = np.empty((120, 400))
    a, b = rng.standard_normal((120, 1)), rng.standard_normal((1, 400))
    assert _blas.matmul(a, b, out=out) is out
