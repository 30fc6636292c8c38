"""Momentum against its closed form, and a LeNet training step against independent references."""
import numpy as np
import pytest

from minispore import Parameter, Tensor, nn
from lenet import LeNet5
import lenet_reference as ref

R = np.random.default_rng(11)


def _params(*shapes, names=None):
    names = names or [f"p{i}" for i in range(len(shapes))]
    return [Parameter(Tensor(R.standard_normal(s).astype(np.float32)), name=n)
            for s, n in zip(shapes, names)]


@pytest.mark.parametrize("weight_decay,loss_scale,nesterov", [
    (0.0, 1.0, False), (0.01, 1.0, False), (0.0, 8.0, False), (0.05, 4.0, True),
])
def test_momentum_matches_closed_form_over_steps(weight_decay, loss_scale, nesterov):
    params = _params((3, 4), (5,), (2,), names=["w", "b", "bn.gamma"])
    start = [p.asnumpy().astype(np.float64).copy() for p in params]
    opt = nn.Momentum(params, 0.1, 0.9, weight_decay=weight_decay, loss_scale=loss_scale,
                      use_nesterov=nesterov)
    v = [np.zeros_like(s) for s in start]
    p = [s.copy() for s in start]
    for _ in range(4):
        grads = [R.standard_normal(s.shape).astype(np.float32) for s in start]
        opt(tuple(Tensor(g) for g in grads))
        for i, g in enumerate(grads):
            g = g.astype(np.float64)
            if weight_decay > 0 and "gamma" not in params[i].name:
                g = g + weight_decay * loss_scale * p[i]
            g = g / loss_scale
            v[i] = 0.9 * v[i] + g
            p[i] = p[i] - (0.1 * g + 0.1 * 0.9 * v[i] if nesterov else 0.1 * v[i])
    for param, expected, moment, vv in zip(params, p, opt.moments, v):
        np.testing.assert_allclose(param.asnumpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(moment.asnumpy(), vv, rtol=1e-5, atol=1e-6)


def test_momentum_keeps_parameter_arrays_in_place():
    params = _params((4,))
    before = params[0].asnumpy()
    nn.Momentum(params, 0.1, 0.0)((Tensor(np.ones(4, np.float32)),))
    assert params[0].asnumpy() is before


def test_learning_rate_schedule_steps_through_the_list():
    params = _params((2,))
    x0 = params[0].asnumpy().copy()
    opt = nn.Momentum(params, [0.1, 0.01], 0.0)
    g = (Tensor(np.ones(2, np.float32)),)
    opt(g), opt(g), opt(g)
    np.testing.assert_allclose(params[0].asnumpy(), x0 - 0.1 - 0.01 - 0.01, rtol=1e-6)


def _lenet_step_setup(batch=4):
    net = LeNet5()
    x = R.standard_normal((batch, 1, 32, 32)).astype(np.float32)
    y = R.integers(0, 10, batch).astype(np.int32)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    return net, nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt), x, y


def test_two_lenet_steps_match_an_independent_numpy_lenet():
    net, train_net, x, y = _lenet_step_setup()
    p = {q.name: q.asnumpy().astype(np.float64).copy() for q in net.get_parameters()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    for step in range(2):
        loss = float(train_net(Tensor(x), Tensor(y)))
        expected_loss, grads, _ = ref.forward_backward(p, x.astype(np.float64), y)
        assert loss == pytest.approx(expected_loss, rel=1e-5), f"loss at step {step}"
        for k in p:
            v[k] = 0.9 * v[k] + grads[k]
            p[k] = p[k] - 0.01 * v[k]
    for q in net.get_parameters():
        np.testing.assert_allclose(q.asnumpy(), p[q.name], atol=1e-6, err_msg=q.name)


def test_one_lenet_step_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    net, train_net, x, y = _lenet_step_setup(batch=8)
    w = {q.name: torch.tensor(q.asnumpy().copy(), requires_grad=True) for q in net.get_parameters()}
    F = torch.nn.functional
    h = F.max_pool2d(F.relu(F.conv2d(torch.tensor(x), w["conv1.weight"])), 2, 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w["conv2.weight"])), 2, 2).flatten(1)
    h = F.relu(F.linear(h, w["fc1.weight"], w["fc1.bias"]))
    h = F.relu(F.linear(h, w["fc2.weight"], w["fc2.bias"]))
    loss = F.cross_entropy(F.linear(h, w["fc3.weight"], w["fc3.bias"]),
                           torch.tensor(y, dtype=torch.long))
    loss.backward()
    ours = float(train_net(Tensor(x), Tensor(y)))
    assert ours == pytest.approx(loss.item(), abs=1e-6)
    for q in net.get_parameters():
        expected = (w[q.name] - 0.01 * w[q.name].grad).detach().numpy()
        np.testing.assert_allclose(q.asnumpy(), expected, atol=1e-6, err_msg=q.name)
