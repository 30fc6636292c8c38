"""ops.value_and_grad / ops.grad (also ms.grad, ms.value_and_grad): every grad_position form,
weights as one Parameter / list / ParameterTuple, has_aux, return_ids, against float64 central
finite differences of the same function, and the argument errors."""
import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, ParameterTuple, Tensor, nn, ops
from gradcheck import numeric_grad

R = np.random.default_rng(31)


class _Affine(nn.Cell):
    """loss = sum(tanh(x @ w + b) * y); returns (loss, x @ w) so has_aux has something to carry."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(R.standard_normal((3, 2))), name="w")
        self.b = Parameter(Tensor(R.standard_normal((2,))), name="b")

    def construct(self, x, y):
        h = ops.matmul(x, self.w)
        return ops.reduce_sum(ops.tanh(h + self.b) * y), h


def _setup():
    net = _Affine()
    x = R.standard_normal((4, 3))
    y = R.standard_normal((4, 2))
    return net, x, y


def _loss_np(x, y, w, b):
    return float((np.tanh(x @ w + b) * y).sum())


def _numeric(net, x, y):
    """Finite-difference gradients w.r.t. x, y, w, b."""
    arrays = [x.copy(), y.copy(), net.w.asnumpy().copy(), net.b.asnumpy().copy()]
    return [numeric_grad(_loss_np, arrays, i) for i in range(4)]


def _close(got, want):
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-8)


def test_grad_positions_and_weights_forms():
    net, x, y = _setup()
    gx, gy, gw, gb = _numeric(net, x, y)
    loss = lambda a, c: net(a, c)[0]   # noqa: E731
    X, Y = Tensor(x), Tensor(y)
    _close(ops.grad(loss)(X, Y), gx)                                   # default position 0
    a, c = ops.grad(loss, (0, 1))(X, Y)
    _close(a, gx), _close(c, gy)
    (only,) = ops.grad(loss, (1,))(X, Y)
    _close(only, gy)
    g_w = ops.grad(loss, None, net.w)(X, Y)                            # one Parameter: itself
    assert isinstance(g_w, Tensor) and g_w.shape == (3, 2)
    _close(g_w, gw)
    ws = ops.grad(loss, None, net.trainable_params())(X, Y)
    assert isinstance(ws, tuple) and len(ws) == 2
    _close(ws[0], gw), _close(ws[1], gb)
    ins, ws = ops.grad(loss, (0, 1), ParameterTuple(net.trainable_params()))(X, Y)
    _close(ins[0], gx), _close(ins[1], gy), _close(ws[0], gw), _close(ws[1], gb)
    g_in, g_b = ops.grad(loss, 1, net.b)(X, Y)
    _close(g_in, gy), _close(g_b, gb)
    _close(ops.grad(loss, -1)(X, Y), gy)                               # negative index


def test_value_and_grad_with_aux():
    net, x, y = _setup()
    gx, _, gw, gb = _numeric(net, x, y)
    X, Y = Tensor(x), Tensor(y)
    (loss, h), (g_x, (g_w, g_b)) = ops.value_and_grad(net, 0, net.trainable_params(),
                                                      has_aux=True)(X, Y)
    assert float(loss.asnumpy()) == pytest.approx(_loss_np(x, y, net.w.asnumpy(),
                                                           net.b.asnumpy()), rel=1e-12)
    np.testing.assert_allclose(h.asnumpy(), x @ net.w.asnumpy(), rtol=1e-12)
    _close(g_x, gx), _close(g_w, gw), _close(g_b, gb)        # h (the aux) is not differentiated
    grads, aux = ms.grad(net, None, net.w, has_aux=True)(X, Y)
    assert isinstance(aux, tuple) and len(aux) == 1
    np.testing.assert_allclose(aux[0].asnumpy(), h.asnumpy())
    _close(grads, gw)


def test_without_aux_every_output_is_differentiated():
    """MindSpore sums the gradients of all outputs (sens of ones) when has_aux is False."""
    net, x, y = _setup()
    X, Y = Tensor(x), Tensor(y)
    w = net.w.asnumpy()
    both = lambda a: _loss_np(a, y, w, net.b.asnumpy()) + float((a @ w).sum())   # noqa: E731
    want = numeric_grad(both, [x.copy()], 0)
    _close(ms.value_and_grad(net)(X, Y)[1], want)


def test_return_ids_pairs_gradients_with_their_ids():
    net, x, y = _setup()
    gx, gy, gw, gb = _numeric(net, x, y)
    loss = lambda a, c: net(a, c)[0]   # noqa: E731
    ins, ws = ops.grad(loss, (0, 1), net.trainable_params(), return_ids=True)(Tensor(x),
                                                                             Tensor(y))
    assert [i for i, _ in ins] == [0, 1] and [n for n, _ in ws] == ["w", "b"]
    _close(ins[1][1], gy), _close(ws[0][1], gw)
    name, g = ops.grad(loss, None, net.b, return_ids=True)(Tensor(x), Tensor(y))
    assert name == "b"
    _close(g, gb)


@pytest.mark.parametrize("call,error,match", [
    (lambda f, n: ops.grad(f, None, None), ValueError, "both be None"),
    (lambda f, n: ops.value_and_grad(f, 1.5), TypeError, "grad_position"),
    (lambda f, n: ops.grad(f, (0, 5))(Tensor(np.ones(2)), Tensor(np.ones(2))), ValueError,
     "out of range"),
    (lambda f, n: ops.grad(f, 0, [n.w, np.ones(2)]), TypeError, "weights"),
    (lambda f, n: ops.grad(f, 0, has_aux=1), TypeError, "has_aux"),
    (lambda f, n: ops.grad(f, has_aux=True)(Tensor(np.ones(2)), Tensor(np.ones(2))), ValueError,
     "more than one output"),
    (lambda f, n: ops.grad(f)(np.ones(2), Tensor(np.ones(2))), TypeError, "must be a Tensor"),
])
def test_argument_errors(call, error, match):
    net = _Affine()
    with pytest.raises(error, match=match):
        call(lambda a, c: ops.reduce_sum(a * c), net)
