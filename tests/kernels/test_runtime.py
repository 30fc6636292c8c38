"""Process-level settings: results independent of the thread count, BLAS's thread count
restored after minispore's GEMMs (without threadpoolctl), no host-process change unless asked for
(malloc tuning, compile helper), op buffers reused only when nothing else references them."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from minispore.ops import _array_api as A
from minispore.ops import _blas, _buffers, _malloc


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


def _blas_threads():
    return [lib.get_num_threads() for lib in _blas.blas_thread_control()]


def test_minispore_gemm_runs_blas_single_threaded_and_restores_the_count():
    """Through OpenBLAS's own entry points: no threadpoolctl needed (it is not imported)."""
    libs = _blas.blas_thread_control()
    if not libs:
        pytest.skip("no controllable BLAS in this numpy")
    before = _blas_threads()
    seen = []
    real = np.matmul

    def spy(a, b, out=None):
        seen.append(_blas_threads())
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
    assert _blas_threads() == before


def test_blas_control_found_without_threadpoolctl():
    """With threadpoolctl made unimportable, numpy's OpenBLAS is still found (or, for another
    BLAS, the user is warned once, never left with a silent slowdown)."""
    code = ("import sys, warnings\nsys.modules['threadpoolctl'] = None\n"
            "warnings.simplefilter('error')\n"
            "import numpy as np\nfrom minispore.ops import _blas\n"
            "libs = _blas.blas_thread_control()\n"
            "print(len(libs), type(libs[0]).__name__ if libs else '-')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if "openblas" not in str(info.get("name", "")).lower():
        assert out.returncode != 0 and "cannot keep its matrix products" in out.stderr
        return
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "_OpenBLAS"]


def test_missing_blas_control_is_said_once(monkeypatch):
    monkeypatch.setattr(_blas, "_controllers", None)
    monkeypatch.setattr(_blas, "_loaded_openblas", lambda: [])
    monkeypatch.setattr(_blas, "_threadpoolctl_blas", lambda skip_openblas: None)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with pytest.warns(RuntimeWarning, match="OPENBLAS_NUM_THREADS=1"):
        assert _blas.blas_thread_control() == []
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _blas.blas_thread_control() == []  # said once


def _tuning_state(env):
    code = ("import numpy as np, minispore.ops._malloc as m, minispore.ops._array_api as A\n"
            "A.conv2d_forward(np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 1, 3, 3), "
            "np.float32), 1, 0, 1, 1)\nprint(m._state['applied'])")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_malloc_tuning_only_when_asked_for():
    assert _tuning_state({"MINISPORE_MALLOC_TUNING": "0"}) == "False"
    env = {k: v for k, v in os.environ.items() if k != "MINISPORE_MALLOC_TUNING"}
    code = ("import numpy as np, minispore.ops._malloc as m, minispore.ops._array_api as A\n"
            "A.conv2d_forward(np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 1, 3, 3), "
            "np.float32), 1, 0, 1, 1)\nprint(m.applied())\n"
            "import minispore.runtime as r\nprint(r.tune_malloc(), r.status()['malloc_tuned'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "True", "True"]  # default off; runtime switch on
    assert _tuning_state({"MINISPORE_MALLOC_TUNING": "1"}) == "True"


def test_no_compile_helper_unless_asked_for(tmp_path):
    code = ("import numpy as np, minispore.ops._array_api as A, minispore.ops._warmup as W\n"
            "A.conv2d_forward(np.zeros((1, 1, 8, 8), np.float32), np.zeros((2, 1, 3, 3), "
            "np.float32), 1, 0, 1, 1)\nprint(W.started())\n")
    env = {k: v for k, v in os.environ.items() if k != "MINISPORE_WARMUP"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert not list(tmp_path.rglob("minispore-warmup.claim"))


def test_warmup_helper_fills_a_cold_cache(tmp_path):
    """In a process with an empty numba cache the first convolution starts the helper, and the
    helper's compiled backward kernels land in that cache (index files appear)."""
    code = ("import numpy as np, minispore.ops._array_api as A, minispore.ops._warmup as W\n"
            "x = np.zeros((1, 1, 8, 8), np.float32); w = np.zeros((2, 1, 3, 3), np.float32)\n"
            "A.conv2d_forward(x, w, 1, 0, 1, 1)\n"
            "print(W._state['started'])\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "MINISPORE_NUMBA_PARALLEL": "1",
           "MINISPORE_WARMUP": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"
    helper = subprocess.run([sys.executable, "-m", "minispore.ops._warmup"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert helper.returncode == 0, helper.stderr[-2000:]
    names = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"conv_flat.conv2d_bwd_weight_flat", "conv_flat.conv2d_bwd_input_flat",
            "pool.max_pool2d_bwd", "optim.momentum_update"} <= names, names
    assert len(list(tmp_path.glob("minispore-warmup-*.done"))) == 1
    again = subprocess.run([sys.executable, "-c", "import minispore.ops._warmup as W\n"
                            "print(W._cold(), W.start_if_cold())"], env=env,
                           capture_output=True, text=True, check=True)
    assert again.stdout.split() == ["None", "None"]  # the done file says warm: no new helper


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


def test_pooled_buffer_is_reused_only_when_nothing_references_it():
    _buffers.clear()
    shape = (64, 1024)  # 256 KB of float32: pooled
    a = _buffers.empty(shape)
    a_id = id(a)
    view = a.reshape(-1)
    b = _buffers.empty(shape)
    assert b is not a  # a is held by `a` and by its view
    del a
    c = _buffers.empty(shape)
    assert id(c) != a_id  # the view still holds the first buffer
    del view, c
    d = _buffers.empty(shape)
    assert id(d) == a_id and d.shape == shape and d.dtype == np.float32
    assert _buffers.empty((4, 4)) is not _buffers.empty((4, 4))  # small: plain numpy
    _buffers.clear()


def test_pooled_outputs_held_by_tensors_are_never_overwritten():
    """Two forward passes whose outputs the caller keeps get distinct buffers, and the first
    output keeps its values after the second pass."""
    import minispore as ms
    from minispore import ops
    rng = np.random.default_rng(3)
    x1 = ms.Tensor(rng.standard_normal((8, 4, 64, 64)).astype(np.float32))
    x2 = ms.Tensor(rng.standard_normal((8, 4, 64, 64)).astype(np.float32))
    y1 = ops.relu(x1)
    kept = y1.asnumpy().copy()
    y2 = ops.relu(x2)
    np.testing.assert_array_equal(y1.asnumpy(), kept)
    np.testing.assert_array_equal(y2.asnumpy(), np.maximum(x2.asnumpy(), 0))


def test_serial_switch_is_honoured_even_with_a_warm_parallel_cache():
    """numba's disk cache does not tell flags apart, so MINISPORE_NUMBA_PARALLEL=0 must not load
    the parallel kernels an earlier run cached: after a max-pool, no parallel region has run."""
    code = ("import numpy as np, numba\nfrom minispore.ops import _array_api as A\n"
            "x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)\n"
            "A.max_pool2d_forward(x, 2, 2)\n"
            "try:\n    print(numba.threading_layer())\nexcept ValueError:\n    print('serial')\n")
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "MINISPORE_NUMBA_PARALLEL": "1"}, check=True)
    serial = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "MINISPORE_NUMBA_PARALLEL": "0"}, check=True)
    assert warm.stdout.strip() != "serial"  # the parallel run used a threading layer
    assert serial.stdout.strip() == "serial"
