"""Elementwise and matrix ops added for issue 12: forward against numpy, backward against
float64 central differences, PyTorch where it has the same op, and errors that name the op."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, ops
from minispore.common import dtype as mstype
from gradcheck import check_grad

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

R = np.random.default_rng(5)


def randn(*shape):
    return R.standard_normal(shape)


def T(a):
    return Tensor(np.asarray(a))


def test_clamp_forms_forward():
    x = randn(3, 4)
    np.testing.assert_array_equal(ops.clamp(T(x), -0.5, 0.5).asnumpy(), np.clip(x, -0.5, 0.5))
    np.testing.assert_array_equal(ops.clip(T(x), max=0.1).asnumpy(), np.minimum(x, 0.1))
    np.testing.assert_array_equal(ops.clip_by_value(T(x), T(np.full(4, -0.2))).asnumpy(),
                                  np.maximum(x, -0.2))
    np.testing.assert_array_equal(T(x).clip(0, 1).asnumpy(), np.clip(x, 0, 1))
    with pytest.raises(ValueError, match="clamp"):
        ops.clamp(T(x))


def test_remainder_pow_sign_round():
    x, y = randn(3, 4) * 5, np.array([1.5, -2.0, 3.0, -0.7])
    np.testing.assert_allclose((T(x) % T(y)).asnumpy(), np.mod(x, y))
    np.testing.assert_allclose(ops.floor_mod(T(x), 2.0).asnumpy(), np.mod(x, 2.0))
    np.testing.assert_allclose((2 ** T(x)).asnumpy(), 2.0 ** x)
    np.testing.assert_allclose(ops.pow(T(np.abs(x)), T(y)).asnumpy(), np.abs(x) ** y)
    np.testing.assert_array_equal(ops.sign(T(x)).asnumpy(), np.sign(x))
    np.testing.assert_array_equal(ops.round(T(np.array([0.5, 1.5, -2.5, 2.4]))).asnumpy(),
                                  [0.0, 2.0, -2.0, 2.0])


def test_comparison_aliases():
    x, y = randn(5), randn(5)
    for fn, ref in ((ops.eq, np.equal), (ops.gt, np.greater), (ops.ge, np.greater_equal),
                    (ops.lt, np.less), (ops.le, np.less_equal), (ops.not_equal, np.not_equal)):
        out = fn(T(x), T(y))
        assert out.dtype == mstype.bool_
        np.testing.assert_array_equal(out.asnumpy(), ref(x, y))


def test_norm_forms():
    x = randn(3, 4)
    np.testing.assert_allclose(ops.norm(T(x)).asnumpy(), np.linalg.norm(x))
    np.testing.assert_allclose(ops.norm(T(x), dim=1).asnumpy(), np.linalg.norm(x, axis=1))
    np.testing.assert_allclose(ops.norm(T(x), 1, dim=0, keepdim=True).asnumpy(),
                               np.abs(x).sum(0, keepdims=True))
    np.testing.assert_allclose(ops.norm(T(x), float("inf")).asnumpy(), np.abs(x).max())
    np.testing.assert_allclose(ops.norm(T(x), 3, dim=1).asnumpy(),
                               (np.abs(x) ** 3).sum(1) ** (1 / 3))
    with pytest.raises(ValueError, match="not supported by minispore"):
        ops.norm(T(x), "nuc")


def test_bmm_and_its_shape_error():
    a, b = randn(2, 3, 4), randn(2, 4, 5)
    np.testing.assert_allclose(ops.bmm(T(a), T(b)).asnumpy(), a @ b)
    with pytest.raises(ValueError, match="For 'bmm'.*\\(2, 3, 4\\) and \\(2, 5, 4\\)"):
        ops.bmm(T(a), T(b.transpose(0, 2, 1)))


def test_depend_returns_the_value():
    x = T(randn(2))
    assert ops.depend(x, ops.add(x, 1)) is x


@pytest.mark.parametrize("name,fn,shapes", [
    ("clamp", lambda a: ops.clamp(a, -0.5, 0.7), [(4, 5)]),
    ("clamp tensor bounds", lambda a, lo: ops.clamp(a, lo, 1.0), [(4, 5), (5,)]),
    ("remainder", lambda a, b: ops.remainder(a, b), [(3, 4), (4,)]),
    ("pow tensor exponent", lambda a, b: ops.pow(ops.abs(a) + 0.5, b), [(3, 4), (3, 4)]),
    ("rpow", lambda a: 3.0 ** a, [(3, 4)]),
    ("norm", lambda a: ops.norm(a, dim=1), [(3, 4)]),
    ("norm p", lambda a: ops.norm(a, 3), [(3, 4)]),
    ("bmm", ops.bmm, [(2, 3, 4), (2, 4, 2)]),
])
def test_gradients_match_finite_differences(name, fn, shapes):
    arrays = [randn(*s) for s in shapes]
    if name == "clamp tensor bounds":
        arrays[0][np.abs(arrays[0] - 1.0) < 1e-2] = 0.3
    if name == "remainder":
        arrays[1] = np.array([1.3, -1.7, 2.1, 0.9])
        arrays[0] = arrays[0] * 3
        q = arrays[0] / arrays[1]
        arrays[0][np.abs(q - np.round(q)) < 1e-3] += 0.1  # away from the jumps
    check_grad(fn, arrays, name=name)


def test_bfloat16_arithmetic_computes_on_values_not_bits():
    a = Tensor(np.array([1.5, -2.0, 3.0], np.float32), mstype.bfloat16)
    b = Tensor(np.array([0.25, 4.0, 1.0], np.float32), mstype.bfloat16)
    for fn, ref in ((ops.add, np.add), (ops.mul, np.multiply), (ops.sub, np.subtract),
                    (ops.div, np.divide)):
        out = fn(a, b)
        assert out.dtype == mstype.bfloat16
        np.testing.assert_array_equal(ops.cast(out, mstype.float32).asnumpy(),
                                      ref([1.5, -2.0, 3.0], [0.25, 4.0, 1.0]).astype(np.float32))
    assert ops.cast(a * 2, mstype.float32).asnumpy().tolist() == [3.0, -4.0, 6.0]
    assert (a > b).asnumpy().tolist() == [True, False, True]
    assert ops.cast(ops.exp(ops.zeros((2,), mstype.bfloat16)),
                    mstype.float32).asnumpy().tolist() == [1.0, 1.0]


def test_binary_and_matmul_shape_errors_name_the_op():
    for fn, name in ((ops.add, "add"), (ops.mul, "mul"), (ops.maximum, "maximum"),
                     (ops.remainder, "remainder"), (ops.pow, "pow")):
        with pytest.raises(ValueError, match=f"For '{name}'.*\\(2, 3\\).*\\(4,\\)"):
            fn(T(randn(2, 3)), T(randn(4)))
    with pytest.raises(ValueError, match="For 'matmul'"):
        ops.matmul(T(randn(2, 3)), T(randn(2, 3)))
    with pytest.raises(ValueError, match="For 'matmul'"):
        T(randn(2, 3)) @ T(randn(2, 3))


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_against_torch():
    x, y = randn(3, 4) * 4, np.array([1.5, -2.0, 3.0, -0.7])
    np.testing.assert_allclose(ops.remainder(T(x), T(y)).asnumpy(),
                               torch.remainder(torch.tensor(x), torch.tensor(y)).numpy())
    np.testing.assert_allclose(ops.norm(T(x), 3, dim=0).asnumpy(),
                               torch.linalg.vector_norm(torch.tensor(x), 3, dim=0).numpy())
    np.testing.assert_array_equal(ops.round(T(x)).asnumpy(), torch.round(torch.tensor(x)))
    tx = torch.tensor(x, requires_grad=True)
    torch.clamp(tx, -1, 2).pow(2).sum().backward()
    g = ops.grad(lambda t: (ops.clamp(t, -1, 2) ** 2).sum())(T(x))
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy())


def test_more_elementwise_and_reductions_forward():
    x = np.array([[1.0, 2.0, 0.0], [3.0, -4.0, 5.0]])
    np.testing.assert_allclose(ops.square(T(x)).asnumpy(), x ** 2)
    np.testing.assert_allclose(ops.Square()(T(x)).asnumpy(), x ** 2)
    np.testing.assert_allclose(ops.rsqrt(T(np.abs(x) + 1)).asnumpy(), 1 / np.sqrt(np.abs(x) + 1))
    np.testing.assert_allclose(ops.sin(T(x)).asnumpy(), np.sin(x))
    np.testing.assert_allclose(ops.cos(T(x)).asnumpy(), np.cos(x))
    np.testing.assert_allclose(ops.log1p(T(np.abs(x))).asnumpy(), np.log1p(np.abs(x)))
    np.testing.assert_array_equal((T(x) // 2).asnumpy(), x // 2)
    np.testing.assert_allclose(ops.prod(T(x), 1).asnumpy(), x.prod(1))
    np.testing.assert_allclose(ops.ReduceProd(keep_dims=True)(T(x), 0).asnumpy(),
                               x.prod(0, keepdims=True))
    np.testing.assert_allclose(ops.logsumexp(T(x), 1).asnumpy(),
                               np.log(np.exp(x).sum(1)))
    np.testing.assert_allclose(ops.std(T(x), 1, ddof=1).asnumpy(), x.std(1, ddof=1))
    np.testing.assert_allclose(ops.var(T(x)).asnumpy(), x.var())
    np.testing.assert_allclose(ops.amax(T(x), 0).asnumpy(), x.max(0))
    np.testing.assert_allclose(ops.mm(T(x), T(x.T)).asnumpy(), x @ x.T)
    b = R.standard_normal((2, 3, 4))
    np.testing.assert_allclose(ops.BatchMatMul(transpose_b=True)(T(b), T(b)).asnumpy(),
                               b @ b.transpose(0, 2, 1))
    assert ops.logical_and(T(x) > 0, T(x) < 3).asnumpy().tolist() == \
        np.logical_and(x > 0, x < 3).tolist()
    assert ops.logical_not(T(x) > 0).dtype == mstype.bool_
    y = np.array([1.0, np.nan, np.inf])
    assert ops.isnan(T(y)).asnumpy().tolist() == [False, True, False]
    assert ops.isinf(T(y)).asnumpy().tolist() == [False, False, True]
    assert ops.isfinite(T(y)).asnumpy().tolist() == [True, False, False]


@pytest.mark.parametrize("name,fn,arrays", [
    ("square", ops.square, [randn(3, 4)]),
    ("rsqrt", lambda a: ops.rsqrt(ops.abs(a) + 0.5), [randn(3, 4)]),
    ("sin cos", lambda a: ops.sin(a) * ops.cos(a), [randn(3, 4)]),
    ("log1p", lambda a: ops.log1p(ops.abs(a)), [randn(3, 4)]),
    ("prod", lambda a: ops.prod(a, 1), [randn(3, 4)]),
    ("prod with a zero", lambda a: ops.prod(a), [np.array([[2.0, 0.0], [1.5, -3.0]])]),
    ("logsumexp", lambda a: ops.logsumexp(a, 0), [randn(3, 4)]),
    ("std", lambda a: ops.std(a, 1, ddof=1), [randn(3, 4)]),
])
def test_more_gradients_match_finite_differences(name, fn, arrays):
    check_grad(fn, arrays, name=name)


def test_random_ops_follow_the_seed():
    ms.set_seed(11)
    a = ops.rand(2, 3)
    ms.set_seed(11)
    b = ops.rand((2, 3))
    assert a.dtype == mstype.float32 and a.shape == (2, 3)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert 0 <= a.asnumpy().min() and a.asnumpy().max() < 1
    n = ops.randn(20000, seed=3).asnumpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    r = ops.randint(2, 5, (1000,))
    assert r.dtype == mstype.int64 and set(r.asnumpy().tolist()) == {2, 3, 4}
    assert sorted(ops.randperm(6).asnumpy().tolist()) == list(range(6))


def test_ceil_reciprocal_logs():
    x = np.abs(randn(3, 4)) + 0.5
    np.testing.assert_array_equal(ops.ceil(T(x)).asnumpy(), np.ceil(x))
    np.testing.assert_allclose(ops.reciprocal(T(x)).asnumpy(), 1 / x)
    np.testing.assert_allclose(ops.log2(T(x)).asnumpy(), np.log2(x))
    np.testing.assert_allclose(ops.log10(T(x)).asnumpy(), np.log10(x))
    for fn in (ops.reciprocal, ops.log2, ops.log10):
        check_grad(fn, [x], name=fn.__name__)
