"""The Optimizer base: parameter groups (per-group lr, weight_decay, grad_centralization,
order_params), learning rates as a float, list, Tensor or LearningRateSchedule, global_step,
get_lr, the checkpoint layout of the state, and argument errors."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from _optim_helpers import grad_steps, make_params, run, torch_run, values64


def _momentum(start, grads_seq, lrs, wds, momentum=0.9, gc=None, lr_of_step=None):
    p = [s.copy() for s in start]
    v = [np.zeros_like(s) for s in start]
    for step, grads in enumerate(grads_seq):
        for i, g in enumerate(grads):
            g = g.astype(np.float64) + wds[i] * p[i]
            if gc and gc[i] and g.ndim >= 2 and g.shape[1] % 16 == 0:
                g = g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True)
            v[i] = momentum * v[i] + g
            lr = lr_of_step(step, i) if lr_of_step else lrs[i]
            p[i] = p[i] - lr * v[i]
    return p, v


def test_momentum_groups_match_closed_form_and_torch():
    rng = np.random.default_rng(21)
    params = make_params(rng, [(4, 3), (4,), (6,)], ["fc.weight", "fc.bias", "bn.gamma"])
    start = values64(params)
    grads_seq = grad_steps(rng, params, 5)
    groups = [{"params": [params[0]], "weight_decay": 0.05},
              {"params": [params[1], params[2]], "lr": 0.02}]
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    run(opt, grads_seq)
    # grouped: gamma decays with its group's weight decay (0.01), fc.weight with 0.05
    expected, v = _momentum(start, grads_seq, [0.1, 0.02, 0.02], [0.05, 0.01, 0.01])
    for got, want in zip(list(params) + list(opt.moments), expected + v):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6, err_msg=got.name)
    assert [p.name for p in opt.get_parameters()] == [
        "global_step", "learning_rate", "learning_rate_group_1", "momentum",
        "moments.fc.weight", "moments.fc.bias", "moments.bn.gamma"]
    lrs = opt.get_lr()
    assert [float(x.asnumpy()) for x in lrs] == pytest.approx([0.1, 0.02, 0.02])
    assert opt.get_lr_parameter(params[1]).name == "learning_rate_group_1"
    torch = pytest.importorskip("torch")
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.SGD(
        [{"params": ts[:1], "weight_decay": 0.05}, {"params": ts[1:], "lr": 0.02,
                                                    "weight_decay": 0.01}],
        lr=0.1, momentum=0.9))
    for param, want in zip(params, got):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_order_params_orders_parameters_and_state():
    rng = np.random.default_rng(22)
    params = make_params(rng, [(2,), (3,), (4,)], ["a", "b", "c"])
    groups = [{"params": [params[2], params[0]], "lr": 0.5}, {"params": [params[1]]},
              {"order_params": params}]
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.0)
    assert [p.name for p in opt.parameters] == ["a", "b", "c"]
    assert [m.name for m in opt.moments] == ["moments.a", "moments.b", "moments.c"]
    start = values64(params)
    grads = [np.ones(s, np.float32) for s in [(2,), (3,), (4,)]]
    opt(tuple(Tensor(g) for g in grads))      # gradients follow the order_params order
    np.testing.assert_allclose(params[0].asnumpy(), start[0] - 0.5, rtol=1e-6)
    np.testing.assert_allclose(params[1].asnumpy(), start[1] - 0.1, rtol=1e-6)
    np.testing.assert_allclose(params[2].asnumpy(), start[2] - 0.5, rtol=1e-6)


def test_grad_centralization_per_group():
    """MindSpore's centralization: minus the mean over all axes but the first, for gradients
    whose second dimension is a multiple of 16; a (4, 5) weight stays as it is."""
    rng = np.random.default_rng(23)
    params = make_params(rng, [(4, 16, 3, 3), (4, 5), (4, 32)], ["conv.weight", "fc.weight",
                                                                 "fc2.weight"])
    start = values64(params)
    grads_seq = grad_steps(rng, params, 3)
    groups = [{"params": params[:2], "grad_centralization": True}, {"params": params[2:]}]
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    run(opt, grads_seq)
    expected, _ = _momentum(start, grads_seq, [0.1] * 3, [0.01] * 3, gc=[True, True, False])
    for param, want in zip(params, expected):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)
    moved = expected[0] - start[0]
    assert np.allclose(moved.mean(axis=(1, 2, 3)), 0.0, atol=1e-6) and \
        not np.allclose((expected[2] - start[2]).mean(axis=1), 0.0, atol=1e-6)


@pytest.mark.parametrize("kind", ["list", "tensor", "schedule"])
def test_dynamic_learning_rates_follow_global_step(kind):
    rng = np.random.default_rng(24)
    params = make_params(rng, [(3,), (2, 2)], ["w", "b"])
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    schedule = [0.1 * 0.8 ** i for i in range(4)]           # shorter than the run: last held
    lr = {"list": schedule, "tensor": Tensor(np.array(schedule, np.float32)),
          "schedule": nn.ExponentialDecayLR(0.1, 0.8, 1)}[kind]
    opt = nn.Momentum(params, learning_rate=lr, momentum=0.9)
    seen = []
    for grads in grads_seq:
        seen.append(float(opt.get_lr().asnumpy()))
        opt(tuple(Tensor(g) for g in grads))
    want = [0.1 * 0.8 ** min(i, 3) for i in range(6)] if kind != "schedule" else \
        [0.1 * 0.8 ** i for i in range(6)]
    assert seen == pytest.approx(want, rel=1e-6)
    assert opt.global_step.asnumpy().tolist() == [6]
    expected, _ = _momentum(start, grads_seq, None, [0.0, 0.0],
                            lr_of_step=lambda step, i: want[step])
    for param, w in zip(params, expected):
        np.testing.assert_allclose(param.asnumpy(), w, rtol=1e-5, atol=1e-6)


def test_group_dynamic_lr_mixes_fixed_and_list():
    rng = np.random.default_rng(25)
    params = make_params(rng, [(3,), (2,)], ["w", "b"])
    start = values64(params)
    grads_seq = grad_steps(rng, params, 3)
    opt = nn.SGD([{"params": params[:1], "lr": [0.3, 0.2, 0.1]}, {"params": params[1:]}],
                 learning_rate=0.05)
    run(opt, grads_seq)
    want_w = start[0] - sum(lr * g[0] for lr, g in zip([0.3, 0.2, 0.1], grads_seq))
    want_b = start[1] - sum(0.05 * g[1] for g in grads_seq)
    np.testing.assert_allclose(params[0].asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(params[1].asnumpy(), want_b, rtol=1e-5, atol=1e-6)
    names = [p.name for p in opt.get_parameters()]
    assert names[:2] == ["global_step", "momentum"]
    assert set(names[-2:]) == {"learning_rate", "learning_rate_group_0"}


def test_list_learning_rate_is_saved_after_the_moments(tmp_path):
    """Observed in MindSpore 2.10 for a top-level Dense: weight, bias, global_step, momentum,
    moments.weight, moments.bias, learning_rate (the list lives in a sub-cell)."""
    net = nn.Dense(3, 2)
    opt = nn.Momentum(net.trainable_params(), [0.1, 0.01], 0.9)
    path = str(tmp_path / "t.ckpt")
    ms.save_checkpoint(_Both(net, opt), path)
    assert list(ms.load_checkpoint(path)) == ["weight", "bias", "global_step", "momentum",
                                              "moments.weight", "moments.bias", "learning_rate"]


class _Both(nn.Cell):
    """The network and its optimizer under one non-prefixing cell, as TrainOneStepCell."""

    def __init__(self, net, opt):
        super().__init__(auto_prefix=False)
        self.net, self.opt = net, opt


@pytest.mark.parametrize("build,error,match", [
    (lambda p: nn.Momentum([{"params": p, "momentum": 0.1}], 0.1, 0.9), KeyError, "keys"),
    (lambda p: nn.Momentum([{"params": p[:1]}, {"order_params": p[1:]}], 0.1, 0.9), ValueError,
     "order_params"),
    (lambda p: nn.Momentum([{"params": p}, {"params": p[:1]}], 0.1, 0.9), RuntimeError,
     "more than once"),
    (lambda p: nn.Momentum([], 0.1, 0.9), ValueError, "empty"),
    (lambda p: nn.Momentum(p, Tensor(np.ones((2, 2), np.float32)), 0.9), ValueError, "dimension"),
    (lambda p: nn.Momentum(p, "0.1", 0.9), TypeError, "learning_rate"),
    (lambda p: nn.Momentum(p, -0.1, 0.9), ValueError, "learning_rate"),
    (lambda p: nn.Momentum(p, 0.1, 0.9, weight_decay=-1.0), ValueError, "weight_decay"),
    (lambda p: nn.Momentum(p, 0.1, 0.9, loss_scale=0.0), ValueError, "loss_scale"),
    (lambda p: nn.Momentum([{"params": p[:1], "lr": [0.1, 0.2]}, {"params": p[1:]}], [0.1] * 3,
                           0.9), ValueError, "same length"),
    (lambda p: nn.Momentum([{"params": p, "grad_centralization": 1}], 0.1, 0.9), TypeError,
     "grad_centralization"),
    (lambda p: nn.Momentum(p + [3], 0.1, 0.9), TypeError, "Parameter"),
])
def test_argument_errors_name_the_problem(build, error, match):
    params = make_params(np.random.default_rng(26), [(2,), (3,)], ["a", "b"])
    with pytest.raises(error, match=match):
        build(params)


def test_wrong_gradients_are_reported():
    params = make_params(np.random.default_rng(27), [(2,), (3,)], ["a", "b"])
    opt = nn.Adam(params)
    with pytest.raises(ValueError, match="got 1 gradients for 2 parameters"):
        opt((Tensor(np.zeros(2, np.float32)),))
    with pytest.raises(ValueError, match=r"'b' has shape \(2,\)"):
        opt((Tensor(np.zeros(2, np.float32)), Tensor(np.zeros(2, np.float32))))
    assert opt.global_step.asnumpy().tolist() == [0]       # nothing happened


class _HalvingDecay(nn.Cell):
    """A weight-decay schedule: 0.1 * 0.5**step."""

    def construct(self, global_step):
        return Tensor(np.float32(0.1 * 0.5 ** float(global_step.asnumpy().reshape(-1)[0])))


def test_dynamic_weight_decay_cell_is_called_with_global_step():
    rng = np.random.default_rng(28)
    params = make_params(rng, [(3,), (2,)], ["w", "bn.gamma"])
    start = values64(params)
    grads_seq = grad_steps(rng, params, 4)
    opt = nn.Momentum(params, 0.1, 0.9, weight_decay=_HalvingDecay())
    seen = []
    for grads in grads_seq:
        seen.append(opt.get_weight_decay())
        opt(tuple(Tensor(g) for g in grads))
    assert seen == pytest.approx([0.1, 0.05, 0.025, 0.0125], rel=1e-6)
    p = [s.copy() for s in start]
    v = [np.zeros_like(s) for s in start]
    for step, grads in enumerate(grads_seq):
        for i, g in enumerate(grads):
            wd = 0.1 * 0.5 ** step if i == 0 else 0.0      # gamma: no decay when ungrouped
            v[i] = 0.9 * v[i] + g + wd * p[i]
            p[i] = p[i] - 0.1 * v[i]
    for param, want in zip(params, p):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="dynamic weight decay"):
        nn.SGD(params, weight_decay=_HalvingDecay())
