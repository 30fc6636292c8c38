"""Autograd: every differentiable op against float64 central differences, plus the engine's
bookkeeping (broadcast reduction, shared subexpressions, GradOperation/value_and_grad forms)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minispore import Parameter, Tensor, nn, ops
from gradcheck import check_grad

R = np.random.default_rng(7)


def randn(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("op,shapes", [
    (ops.add, [(3, 4), (4,)]),
    (ops.sub, [(3, 1), (1, 4)]),
    (ops.mul, [(2, 3, 4), (3, 1)]),
    (ops.matmul, [(3, 4), (4, 5)]),
    (ops.matmul, [(2, 3, 4), (4, 2)]),
    (ops.maximum, [(3, 4), (3, 4)]),
])
def test_binary_ops_match_finite_differences(op, shapes):
    check_grad(op, [randn(*s) for s in shapes], name=op.__name__)


def test_div_matches_finite_differences():
    check_grad(ops.div, [randn(3, 4), 2.0 + np.abs(randn(3, 4))])


@pytest.mark.parametrize("op", [ops.exp, ops.tanh, ops.sigmoid, ops.neg, ops.relu,
                                ops.softmax, ops.log_softmax, ops.square])
def test_unary_ops_match_finite_differences(op):
    x = randn(4, 5)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from relu's kink
    check_grad(op, [x], name=op.__name__)


def test_log_sqrt_pow_on_positive_inputs():
    x = 0.5 + np.abs(randn(3, 3))
    check_grad(ops.log, [x])
    check_grad(ops.sqrt, [x])
    check_grad(lambda t: ops.pow(t, 3), [x], name="pow3")


@pytest.mark.parametrize("fn,name", [
    (lambda t: ops.reduce_sum(t, 1), "sum axis 1"),
    (lambda t: ops.reduce_mean(t, (0, 2), True), "mean keepdims"),
    (lambda t: ops.reshape(t, (6, 4)), "reshape"),
    (lambda t: ops.transpose(t, (2, 0, 1)), "transpose"),
    (lambda t: t[1:, ::2], "getitem slice"),
    (lambda t: t[np.array([0, 0, 1])], "getitem repeated index"),
    (lambda t: ops.concat([t, t * 2.0], axis=1), "concat"),
    (lambda t: ops.flatten(t), "flatten"),
])
def test_shape_ops_match_finite_differences(fn, name):
    check_grad(fn, [randn(2, 3, 4)], name=name)


def test_shared_subexpression_accumulates():
    """y = x*x + x uses x three times; the tape must add all three contributions."""
    x = randn(5)
    g = ops.grad(lambda t: ops.reduce_sum(t * t + t))(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), 2 * x + 1, rtol=1e-12)


def test_scalars_mix_in_with_the_tensor_dtype():
    t = Tensor(np.ones(3, np.float32))
    assert (t * 2.5).dtype.name == "Float32"
    assert (1.0 - t).dtype.name == "Float32"
    g = ops.grad(lambda a: ops.reduce_sum(3.0 * a - 1.0))(t)
    np.testing.assert_array_equal(g.asnumpy(), np.full(3, 3.0, np.float32))


def test_no_tape_outside_gradient_computation():
    p = Parameter(Tensor(np.ones(3, np.float32)), name="p")
    y = p * 2.0
    assert y._node is None


class _Affine(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])), name="w")
        self.b = Parameter(Tensor(np.array([0.5, -0.5])), name="b")
        self.unused = Parameter(Tensor(np.array([1.0])), name="unused")

    def construct(self, x):
        return ops.reduce_sum(ops.matmul(x, self.w) + self.b)


def test_grad_operation_forms_against_hand_computed_values():
    net = _Affine()
    x = Tensor(np.array([[1.0, 1.0], [2.0, 0.0]]))
    weights = [net.w, net.b, net.unused]
    by_list = ops.GradOperation(get_by_list=True)(net, weights)(x)
    # d/dw sum(x @ w) = x.T @ ones; d/db = N; unused -> zeros
    np.testing.assert_allclose(by_list[0].asnumpy(), [[3.0, 3.0], [1.0, 1.0]])
    np.testing.assert_allclose(by_list[1].asnumpy(), [2.0, 2.0])
    np.testing.assert_allclose(by_list[2].asnumpy(), [0.0])
    gx = ops.GradOperation()(net)(x)
    np.testing.assert_allclose(gx.asnumpy(), [[3.0, 7.0], [3.0, 7.0]])
    both = ops.GradOperation(get_all=True, get_by_list=True)(net, weights)(x)
    assert len(both) == 2 and len(both[0]) == 1 and len(both[1]) == 3
    sens = ops.GradOperation(get_by_list=True, sens_param=True)(net, weights)(x, Tensor(2.0))
    np.testing.assert_allclose(sens[1].asnumpy(), [4.0, 4.0])


def test_value_and_grad_forms():
    net = _Affine()
    x = Tensor(np.array([[1.0, 1.0]]))
    value, (gx, gw) = ops.value_and_grad(net, 0, [net.w, net.b])(x)
    assert float(value) == pytest.approx(1 + 3 + 2 + 4 + 0.5 - 0.5)
    np.testing.assert_allclose(gx.asnumpy(), [[3.0, 7.0]])
    np.testing.assert_allclose(gw[1].asnumpy(), [1.0, 1.0])
    _, only_w = ops.value_and_grad(net, None, [net.w])(x)
    assert len(only_w) == 1
    (aux_value, aux), g = ops.value_and_grad(lambda t: (ops.reduce_sum(t * t), t), has_aux=True)(
        Tensor(np.array([1.0, 2.0])))
    np.testing.assert_allclose(g.asnumpy(), [2.0, 4.0])
    with pytest.raises(ValueError, match="cannot both be None"):
        ops.value_and_grad(net, None, None)


def test_frozen_parameter_gets_gradient_only_when_asked():
    p = Parameter(Tensor(np.array([2.0])), name="p", requires_grad=False)
    g = ops.GradOperation(get_by_list=True)(lambda x: ops.reduce_sum(x * p), [p])(
        Tensor(np.array([3.0])))
    np.testing.assert_allclose(g[0].asnumpy(), [3.0])
    assert p.requires_grad is False


@given(st.lists(st.integers(1, 3), min_size=1, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3))
def test_broadcast_gradients_sum_back_to_input_shape(shape, squash):
    """For any broadcast of b against a, d sum(a*b)/db = a summed over the broadcast axes."""
    a = randn(*shape)
    b_shape = tuple(1 if squash[i] else n for i, n in enumerate(shape))
    b = randn(*b_shape)
    ga, gb = ops.grad(lambda x, y: ops.reduce_sum(x * y), (0, 1))(Tensor(a), Tensor(b))
    np.testing.assert_allclose(gb.asnumpy(), (a * np.ones_like(b)).sum(
        axis=tuple(i for i, s in enumerate(b_shape) if s == 1 and shape[i] != 1),
        keepdims=True).reshape(b_shape) if any(squash) else a, rtol=1e-10)
    np.testing.assert_allclose(ga.asnumpy(), np.broadcast_to(b, a.shape), rtol=1e-10)


# ---- ReLU's backward fused into a following max-pool's (ops/_functions.py) ----------------
def _relu_pool_reference_grad(x, dy_fn, kernel, stride):
    """Gradient of sum(dy * f(x)) by float64 central differences, f built from numpy only."""
    import reference as ref

    def f(a):
        return dy_fn(ref.max_pool2d(np.maximum(a, 0.0), kernel, stride)[0], np.maximum(a, 0.0))

    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1e-6
        g[i] = (f(x + e) - f(x - e)) / 2e-6
    return g


@pytest.mark.parametrize("kernel,stride", [((2, 2), (2, 2)), ((3, 3), (2, 2))])
@pytest.mark.parametrize("second_consumer", [False, True])
def test_relu_then_max_pool_gradient_matches_finite_differences(kernel, stride, second_consumer):
    """The pool applies ReLU's mask while routing and ReLU skips its own pass; with a second
    consumer of the ReLU output (summed gradient, a new array) ReLU must mask as usual.
    Overlapping windows (3x3 stride 2) route several windows to one cell."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 7))
    x[np.abs(x) < 1e-2] = 0.3  # keep away from relu's kink
    dy = rng.standard_normal(x.shape)[:, :, :3, :3]
    w = rng.standard_normal(x.shape)

    def dy_fn(pooled, relu_out):
        extra = np.sum(w * relu_out) if second_consumer else 0.0
        return np.sum(dy * pooled) + extra

    def net(t):
        r = ops.relu(t)
        out = ops.reduce_sum(ops.max_pool2d(r, kernel, stride) * Tensor(dy))
        return out + ops.reduce_sum(r * Tensor(w)) if second_consumer else out

    got = ops.GradOperation()(net)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, _relu_pool_reference_grad(x, dy_fn, kernel, stride),
                               atol=1e-6, rtol=1e-6)


def test_max_pool_backward_positive_routes_only_positive_windows():
    import reference as ref
    from minispore.ops import _array_api as A
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    y, argmax = A.max_pool2d_forward(x, (2, 2), (2, 2))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    expect = ref.max_pool2d_backward(np.where(y > 0, dy, 0), argmax, x.shape)
    np.testing.assert_array_equal(A.max_pool2d_backward(dy, argmax, x.shape, positive=y), expect)
