"""The NN primitives on arrays (minispore.ops._array_api: one Function node's forward or
backward each) against naive references, central differences and torch; their argument checks
through the functional forms."""
import pathlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minispore import Parameter, Tensor
from minispore import ops as mops
from minispore.ops import _array_api as ops
from minispore.ops import _conv_ops
try:
    from tests import reference as ref
except ImportError:  # tests/ is not a package
    import reference as ref

SETTINGS = settings(deadline=None, max_examples=25, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
KERNEL_DIR = pathlib.Path(ops.__file__).resolve().parent.parent / "kernels"


def rand(rng, shape, dtype=np.float32):
    return rng.uniform(-1, 1, size=shape).astype(dtype)


def central_diff(f, x, eps=1e-6):
    """d f(x) / dx for scalar f by float64 central differences."""
    x = x.astype(np.float64).copy()
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f(x)
        flat[i] = old - eps
        lo = f(x)
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return grad


@pytest.fixture(params=["direct", "gemm"])
def strategy(request, monkeypatch):
    """Run a conv test through both code paths regardless of the patch-size heuristic."""
    monkeypatch.setattr(_conv_ops, "DIRECT_MAX_PATCH",
                        10**9 if request.param == "direct" else -1)
    return request.param


def test_no_hard_coded_numba_flags():
    offenders = []
    for path in KERNEL_DIR.glob("*.py"):
        if path.name == "_jit.py":
            continue
        text = path.read_text()
        if re.search(r"fastmath\s*=|numba\.(n)?jit|from numba import|cache\s*=", text):
            offenders.append(path.name)
    assert not offenders, f"numba flags outside kernels/_jit.py: {offenders}"


# ----------------------------------------------------------------------------- convolution
# (N, C, H, W, O, KH, KW, stride, padding, dilation, group)
CONV_CASES = [
    (2, 1, 12, 12, 3, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (2, 3, 9, 8, 4, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (1, 4, 10, 11, 6, 3, 2, (2, 3), (0, 1, 2, 0), (1, 1), 2),
    (2, 2, 11, 9, 2, 3, 3, (1, 2), (2, 1, 0, 1), (2, 3), 1),
    (1, 6, 7, 7, 6, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 6),
    (3, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (1, 2, 5, 5, 3, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (1, 2, 4, 6, 2, 1, 1, (3, 2), (0, 0, 0, 0), (1, 1), 1),
]


def _conv_args(case, rng, dtype=np.float32):
    N, C, H, W, O, KH, KW, stride, padding, dilation, group = case
    x = rand(rng, (N, C, H, W), dtype)
    w = rand(rng, (O, C // group, KH, KW), dtype)
    return x, w, stride, padding, dilation, group


def _check_conv(case, rng, strategy):
    x, w, stride, padding, dilation, group = _conv_args(case, rng)
    y = ops.conv2d_forward(x, w, stride, padding, dilation, group)
    expect = ref.conv2d(x, w, stride, padding, dilation, group)
    assert y.dtype == np.float32 and y.shape == expect.shape
    np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-5, err_msg=f"{case} {strategy}")
    dy = rand(rng, y.shape)
    dx = ops.conv2d_backward_input(dy, w, x.shape, stride, padding, dilation, group)
    np.testing.assert_allclose(dx, ref.conv2d_backward_input(dy, w, x.shape, stride, padding,
                                                             dilation, group),
                               rtol=1e-5, atol=1e-5, err_msg=f"dx {case} {strategy}")
    dw = ops.conv2d_backward_weight(dy, x, w.shape, stride, padding, dilation, group)
    np.testing.assert_allclose(dw, ref.conv2d_backward_weight(dy, x, w.shape, stride, padding,
                                                              dilation, group),
                               rtol=1e-4, atol=1e-4, err_msg=f"dw {case} {strategy}")
    assert dx.dtype == dw.dtype == np.float32


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_reference(case, strategy):
    _check_conv(case, np.random.default_rng(0), strategy)


@pytest.mark.parametrize("case", [c for c in CONV_CASES if c[7] == (1, 1)])
def test_conv2d_flat_workspace_is_written_before_read(case):
    """The stride-1 kernels' scratch comes from a reused pool: a NaN-filled workspace (a pool
    array's old contents at their worst) must not reach any result."""
    from minispore.kernels import conv

    def nan_empty(shape, dtype):
        return np.full(shape, np.nan, dtype)

    x, w, stride, padding, dilation, group = _conv_args(case, np.random.default_rng(3))
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[1]), (padding[2], padding[3])))
    expect = ref.conv2d(x, w, stride, padding, dilation, group)
    y = np.full(expect.shape, np.nan, np.float32)
    conv.conv2d_fwd_direct(y, xp, w, dilation[0], dilation[1], group, nan_empty)
    np.testing.assert_allclose(y, expect, rtol=1e-5, atol=1e-5)
    dy = rand(np.random.default_rng(4), expect.shape)
    dxp = np.full(xp.shape, np.nan, np.float32)
    conv.conv2d_bwd_input_direct(dxp, dy, w, dilation[0], dilation[1], group, nan_empty)
    top, left = padding[0], padding[2]
    dx = dxp[:, :, top:top + x.shape[2], left:left + x.shape[3]]
    np.testing.assert_allclose(dx, ref.conv2d_backward_input(dy, w, x.shape, stride, padding,
                                                             dilation, group),
                               rtol=1e-5, atol=1e-5)
    dw = np.full(w.shape, np.nan, np.float32)
    conv.conv2d_bwd_weight_direct(dw, dy, xp, dilation[0], dilation[1], group, nan_empty)
    np.testing.assert_allclose(dw, ref.conv2d_backward_weight(dy, x, w.shape, stride, padding,
                                                              dilation, group),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[2], CONV_CASES[3]])
def test_conv2d_gradients_central_difference(case, strategy):
    rng = np.random.default_rng(1)
    x, w, stride, padding, dilation, group = _conv_args(case, rng, np.float64)
    x, w = x[:1, :, :7, :7], w[:, :, :2, :2]
    dy = rand(rng, ref.conv2d(x, w, stride, padding, dilation, group).shape, np.float64)
    num_dx = central_diff(lambda a: np.sum(ref.conv2d(a, w, stride, padding, dilation, group)
                                           * dy), x)
    num_dw = central_diff(lambda a: np.sum(ref.conv2d(x, a, stride, padding, dilation, group)
                                           * dy), w)
    dx = ops.conv2d_backward_input(dy, w, x.shape, stride, padding, dilation, group)
    dw = ops.conv2d_backward_weight(dy, x, w.shape, stride, padding, dilation, group)
    assert dx.dtype == np.float64
    np.testing.assert_allclose(dx, num_dx, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(dw, num_dw, rtol=1e-3, atol=1e-5)


@st.composite
def conv_cases(draw):
    group = draw(st.sampled_from([1, 1, 2, 3]))
    C, O = group * draw(st.integers(1, 3)), group * draw(st.integers(1, 3))
    KH, KW = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(4))
    H = draw(st.integers(max(1, dilation[0] * (KH - 1) + 1 - padding[0] - padding[1]), 9))
    W = draw(st.integers(max(1, dilation[1] * (KW - 1) + 1 - padding[2] - padding[3]), 9))
    return (draw(st.integers(1, 3)), C, H, W, O, KH, KW, stride, padding, dilation, group)


@SETTINGS
@given(case=conv_cases(), direct=st.booleans())
def test_conv2d_hypothesis_shapes(case, direct):
    saved = _conv_ops.DIRECT_MAX_PATCH
    _conv_ops.DIRECT_MAX_PATCH = 10**9 if direct else -1
    try:
        _check_conv(case, np.random.default_rng(2), "direct" if direct else "gemm")
    finally:
        _conv_ops.DIRECT_MAX_PATCH = saved


def test_conv2d_padding_rules():
    assert ops.conv2d_padding((32, 32), (5, 5), (1, 1), (1, 1), "valid", 0) == (0, 0, 0, 0)
    assert ops.conv2d_padding((8, 8), (4, 4), (1, 1), (1, 1), "same", 0) == (1, 2, 1, 2)
    assert ops.conv2d_padding((8, 8), (3, 3), (1, 1), (1, 1), "pad", 2) == (2, 2, 2, 2)
    assert ops.conv2d_padding((8, 8), (3, 3), 1, 1, "pad", (1, 2, 3, 4)) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="pad_mode"):
        ops.conv2d_padding((8, 8), (3, 3), 1, 1, "full", 0)


@SETTINGS
@given(size=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_conv2d_same_gives_ceil(size, k, s, d):
    pad = ops.conv2d_padding((size, size), (k, k), (s, s), (d, d), "same", 0)
    assert pad[0] == pad[2] and pad[1] - pad[0] in (0, 1)
    assert ops.conv2d_output_hw((size, size), (k, k), (s, s), pad, (d, d)) == (-(-size // s),) * 2


def test_conv2d_errors_name_op_and_shapes():
    """The primitive's one check (ops.conv2d) names the op, the argument and both shapes."""
    x, w = Tensor(np.zeros((32, 3, 32, 32), np.float32)), Tensor(np.zeros((6, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"For 'conv2d', the input \(32, 3, 32, 32\) has 3 "
                                         r"channels but the weight \(6, 1, 5, 5\) expects 1"):
        mops.conv2d(x, w)
    with pytest.raises(ValueError, match="smaller than the"):
        mops.conv2d(Tensor(np.zeros((1, 1, 3, 3), np.float32)),
                    Tensor(np.zeros((1, 1, 5, 5), np.float32)))
    with pytest.raises(TypeError, match="'input' must be Float32 or Float64, but got Int64"):
        mops.conv2d(Tensor(np.zeros((1, 1, 5, 5), np.int64)), w[:, :1])
    with pytest.raises(ValueError, match="(?s)2 problems:.*'stride' must be >= 1.*'pad_mode'"):
        mops.conv2d(x[:, :1], w, stride=0, pad_mode="full")


# ----------------------------------------------------------------------------- pooling
POOL_CASES = [  # (shape, kernel, stride, padding)
    ((2, 3, 28, 28), (2, 2), (2, 2), (0, 0, 0, 0)),
    ((1, 2, 9, 7), (3, 3), (2, 2), (1, 1, 1, 1)),
    ((2, 1, 8, 8), (3, 2), (1, 2), (0, 1, 1, 0)),
    ((1, 2, 5, 5), (3, 3), (3, 3), ops.pool2d_padding((5, 5), 3, 3, "same")),
]


def _distinct(rng, shape, dtype=np.float32):
    """Values with no ties, so argmax (and hence the gradient) is unambiguous."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0).astype(dtype)


@pytest.mark.parametrize("shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_reference(shape, kernel, stride, padding):
    rng = np.random.default_rng(3)
    x = _distinct(rng, shape)
    y, arg = ops.max_pool2d_forward(x, kernel, stride, padding)
    ey, earg = ref.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(arg, earg)
    assert arg.dtype.kind == "i" and y.dtype == np.float32
    dy = rand(rng, y.shape)
    dx = ops.max_pool2d_backward(dy, arg, x.shape)
    np.testing.assert_allclose(dx, ref.max_pool2d_backward(dy, earg, x.shape), rtol=1e-6)
    if x.size > 200:
        return  # central differences through the loop reference are too slow for big planes
    x64 = x.astype(np.float64)
    num = central_diff(lambda a: np.sum(ref.max_pool2d(a, kernel, stride, padding)[0] * dy), x64,
                       eps=1e-3)
    np.testing.assert_allclose(ops.max_pool2d_backward(dy.astype(np.float64), arg, x.shape), num,
                               rtol=1e-6, atol=1e-6)


@SETTINGS
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9),
       k=st.integers(1, 3), s=st.integers(1, 3), mode=st.sampled_from(["valid", "same"]))
def test_max_pool2d_hypothesis(n, c, h, w, k, s, mode):
    k = min(k, h, w)
    pad = ops.pool2d_padding((h, w), k, s, mode)
    x = np.random.default_rng(4).normal(size=(n, c, h, w)).astype(np.float32)
    y, arg = ops.max_pool2d_forward(x, k, s, pad)
    ey, earg = ref.max_pool2d(x, (k, k), (s, s), pad)
    np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(arg, earg)
    if mode == "same":
        assert y.shape[2:] == (-(-h // s), -(-w // s))


def test_max_pool2d_ties_and_errors():
    x = np.zeros((1, 1, 2, 2), np.float32)
    y, arg = ops.max_pool2d_forward(x, 2, 2, 0)
    assert arg.item() == 0 and y.item() == 0.0
    with pytest.raises(ValueError, match=r"For 'max_pool2d', 'x' must be 4-D"):
        mops.max_pool2d(Tensor(np.zeros((2, 2), np.float32)), 2, 2)


# ----------------------------------------------------------------------------- relu, dense
def test_relu():
    x = np.array([[-2.0, -0.0, 0.0, 1e-30, 3.0, np.nan]], np.float32)
    y = ops.relu_forward(x)
    np.testing.assert_array_equal(y[:, :5], ref.relu(x)[:, :5])
    assert np.isnan(y[0, 5])
    dx = ops.relu_backward(np.ones_like(x), y)
    np.testing.assert_array_equal(dx, [[0, 0, 0, 1, 1, 0]])
    big = np.random.default_rng(5).normal(size=(32, 6, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(ops.relu_forward(big), ref.relu(big))


@pytest.mark.parametrize("bias", [True, False])
def test_dense(bias):
    rng = np.random.default_rng(6)
    x, w = rand(rng, (5, 7)), rand(rng, (3, 7))
    b = rand(rng, (3,)) if bias else None
    y = ops.dense_forward(x, w, b)
    np.testing.assert_allclose(y, ref.dense(x, w, b), rtol=1e-5, atol=1e-6)
    dy = rand(rng, y.shape, np.float64)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    dx, dw, db = ops.dense_backward(dy, x64, w64)
    np.testing.assert_allclose(dx, central_diff(lambda a: np.sum(ref.dense(a, w64) * dy), x64),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, central_diff(lambda a: np.sum(ref.dense(x64, a) * dy), w64),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, dy.sum(0))
    assert ops.dense_backward(dy, x64, w64, need_dx=False, need_db=False)[::2] == (None, None)
    with pytest.raises(ValueError, match=r"the input has 7 features but the weight expects 4"):
        mops.dense(Tensor(x), Tensor(w[:, :4]))



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 301, 101), (4, 1024, 256), (32, 400, 120)])
def test_dense_on_the_numba_kernel(shape, dtype):
    """Products large enough for the numba kernel (rows and outputs not multiples of 4, a
    single block of rows): against a float64 product, the bias added after the product."""
    from minispore.ops._dense import dense, uses_kernel
    M, K, N = shape
    rng = np.random.default_rng(7)
    x, w = rand(rng, (M, K), dtype), rand(rng, (N, K), dtype)
    b = rand(rng, (N,), dtype)
    assert uses_kernel(x.shape, w.shape, x.dtype, w.dtype)
    want = x.astype(np.float64) @ w.T.astype(np.float64)
    tol = dict(rtol=1e-5, atol=1e-5 * np.abs(want).max()) if dtype == np.float32 else \
        dict(rtol=1e-12, atol=1e-12 * np.abs(want).max())
    np.testing.assert_allclose(dense(x, w), want, **tol)
    np.testing.assert_allclose(dense(x, w, b), want + b, **tol)
    y = dense(x, w)
    np.testing.assert_array_equal(dense(x, w, b), (y + b).astype(dtype))
    np.testing.assert_array_equal(dense(np.asfortranarray(x), w), y)  # layout never matters
    assert dense(x, w).dtype == dtype


def test_dense_stays_with_blas_for_small_or_huge_weights():
    from minispore.ops._dense import uses_kernel
    f32 = np.dtype(np.float32)
    assert not uses_kernel((32, 120), (84, 120), f32, f32)  # 0.3M multiply-adds: BLAS wins
    assert not uses_kernel((512, 4096), (4096, 4096), f32, f32)  # a 64 MB weight
    assert not uses_kernel((64, 4096), (1000, 4096), np.dtype(np.float16), np.dtype(np.float16))
    assert uses_kernel((32, 400), (120, 400), f32, f32)

# ----------------------------------------------------------------------------- softmax CE
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_sparse(reduction):
    rng = np.random.default_rng(7)
    logits = (rand(rng, (6, 10)) * 5).astype(np.float32)
    logits[0] += 1e4  # stability: a naive exp would overflow
    labels = rng.integers(0, 10, 6).astype(np.int32)
    loss, grad = ops.softmax_cross_entropy_sparse(logits, labels, reduction)
    eloss, egrad = ref.softmax_cross_entropy(logits, np.eye(10)[labels])
    n = {"mean": 6, "sum": 1, "none": 1}[reduction]
    expect = {"mean": eloss.mean(), "sum": eloss.sum(), "none": eloss}[reduction]
    assert loss.dtype == grad.dtype == np.float32 and loss.shape == np.shape(expect)
    np.testing.assert_allclose(loss, expect, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad, egrad / n, rtol=1e-5, atol=1e-6)
    dloss, dgrad = ops.softmax_cross_entropy_dense(logits, np.eye(10, dtype=np.float32)[labels],
                                                   reduction)
    np.testing.assert_allclose(dloss, loss, rtol=1e-6)
    np.testing.assert_allclose(dgrad, grad, rtol=1e-6, atol=1e-7)


def test_softmax_cross_entropy_gradient_central_difference():
    rng = np.random.default_rng(8)
    z = rng.normal(size=(4, 5))
    t = rng.dirichlet(np.ones(5), size=4)
    _, grad = ops.softmax_cross_entropy_dense(z, t, "mean")
    num = central_diff(lambda a: ref.softmax_cross_entropy(a, t)[0].mean(), z)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)


def test_softmax_cross_entropy_label_errors():
    z = Tensor(np.zeros((3, 10), np.float32))

    def xent(labels, reduction="mean"):
        return mops.cross_entropy_with_logits(z, Tensor(labels), True, reduction)

    with pytest.raises(ValueError, match=r"labels\[2\] = 10"):
        xent(np.array([1, 2, 10], np.int32))
    with pytest.raises(ValueError, match=r"labels\[0\] = -1"):
        xent(np.array([-1, 2, 3], np.int64))
    with pytest.raises(TypeError, match="Int32 or Int64 class indices, but got Float32"):
        xent(np.array([1, 2, 3], np.float32))
    with pytest.raises(ValueError, match="reduction"):
        xent(np.array([1, 2, 3], np.int32), "avg")


# ----------------------------------------------------------------------------- momentum
@pytest.mark.parametrize("wd, ls, nesterov", [(0.0, 1.0, False), (1e-2, 1.0, False),
                                              (1e-2, 128.0, False), (0.0, 3.0, True)])
def test_momentum_matches_closed_form_over_steps(wd, ls, nesterov):
    rng = np.random.default_rng(9)
    shapes = [(6, 1, 5, 5), (120,), (3, 4)]
    params = [rand(rng, s) for s in shapes]
    moments = [np.zeros(s, np.float32) for s in shapes]
    views = [p[...] for p in params]
    flags = [True, False, True]
    exp_p = [p.copy() for p in params]
    exp_v = [v.copy() for v in moments]
    for step in range(5):
        grads = [rand(rng, s) * np.float32(ls) for s in shapes]
        ops.momentum_apply(params, grads, moments, 0.01, 0.9, wd, ls, nesterov, flags)
        for i in range(3):
            exp_p[i], exp_v[i] = ref.momentum_step(exp_p[i], grads[i], exp_v[i], 0.01, 0.9, wd,
                                                   ls, nesterov, flags[i])
        for i in range(3):
            np.testing.assert_allclose(params[i], exp_p[i], rtol=0, atol=1e-7)
            np.testing.assert_allclose(moments[i], exp_v[i], rtol=0, atol=1e-7)
            if step == 0 and wd == 0 and ls == 1:
                np.testing.assert_array_equal(moments[i], grads[i])  # v == g after step 1
    assert all(np.shares_memory(v, p) for v, p in zip(views, params))
    np.testing.assert_array_equal(views[0], params[0])


def test_momentum_errors():
    p = Parameter(np.zeros((2, 3), np.float32), name="w")
    m = Parameter(np.zeros((2, 3), np.float32), name="m")
    with pytest.raises(ValueError, match=r"\[0\] w: shapes param \(2, 3\), grad \(3,\)"):
        mops.apply_momentum([p], [np.zeros(3, np.float32)], [m], 0.1, 0.9)


# ----------------------------------------------------------------------------- torch peer
def test_against_torch_functional():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(10)
    x, w = rand(rng, (4, 6, 14, 14)), rand(rng, (16, 3, 5, 5))
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = F.conv2d(F.pad(tx, (2, 1, 1, 0)), tw, stride=(1, 2), dilation=(1, 2), groups=2)
    y = ops.conv2d_forward(x, w, (1, 2), (1, 0, 2, 1), (1, 2), 2)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    dy = rand(rng, y.shape)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(ops.conv2d_backward_input(dy, w, x.shape, (1, 2), (1, 0, 2, 1),
                                                         (1, 2), 2), tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(ops.conv2d_backward_weight(dy, x, w.shape, (1, 2), (1, 0, 2, 1),
                                                          (1, 2), 2), tw.grad.numpy(), atol=1e-4)
    tp, targ = F.max_pool2d(torch.tensor(x), 2, 2, return_indices=True)
    p, arg = ops.max_pool2d_forward(x, 2, 2, 0)
    np.testing.assert_array_equal(p, tp.numpy())
    np.testing.assert_array_equal(arg, targ.numpy())
    z, labels = rand(rng, (32, 10)) * 4, rng.integers(0, 10, 32)
    tz = torch.tensor(z, requires_grad=True)
    tl = F.cross_entropy(tz, torch.tensor(labels))
    tl.backward()
    loss, grad = ops.softmax_cross_entropy_sparse(z, labels, "mean")
    np.testing.assert_allclose(loss, tl.item(), rtol=1e-6)
    np.testing.assert_allclose(grad, tz.grad.numpy(), atol=1e-7)
