"""nn.SGD against its closed form (MindSpore's SGD kernel) and torch.optim.SGD, over several
steps, with momentum, dampening, Nesterov, weight decay, loss scale and parameter groups."""
import numpy as np
import pytest

from minispore import nn
from _optim_helpers import grad_steps, make_params, run, torch_run, values64

SHAPES, NAMES = [(3, 4), (5,), (2,)], ["w", "b", "bn.gamma"]


def _closed_form(start, grads_seq, lrs, momentum, dampening, wds, nesterov, loss_scale=1.0):
    p = [s.copy() for s in start]
    accum = [np.zeros_like(s) for s in start]
    first = [True] * len(start)
    for grads in grads_seq:
        for i, g in enumerate(grads):
            g = g.astype(np.float64) / loss_scale + wds[i] * p[i]
            if momentum > 0:
                accum[i] = g if first[i] else momentum * accum[i] + (1 - dampening) * g
                first[i] = False
                g = g + momentum * accum[i] if nesterov else accum[i]
            p[i] = p[i] - lrs[i] * g
    return p, accum


@pytest.mark.parametrize("momentum,dampening,wd,nesterov,loss_scale", [
    (0.0, 0.0, 0.0, False, 1.0), (0.9, 0.0, 0.0, False, 1.0), (0.9, 0.3, 0.01, False, 1.0),
    (0.8, 0.0, 0.05, True, 1.0), (0.9, 0.0, 0.01, False, 4.0),
])
def test_sgd_matches_closed_form_and_torch(momentum, dampening, wd, nesterov, loss_scale):
    rng = np.random.default_rng(1)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 5)
    opt = nn.SGD(params, learning_rate=0.05, momentum=momentum, dampening=dampening,
                 weight_decay=wd, nesterov=nesterov, loss_scale=loss_scale)
    run(opt, [[g * loss_scale for g in gs] for gs in grads_seq])
    # SGD's kernel takes the weight decay itself: every parameter decays, gamma included.
    expected, accum = _closed_form(start, grads_seq, [0.05] * 3, momentum, dampening, [wd] * 3,
                                   nesterov)
    for param, want in zip(params, expected):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)
    if momentum > 0:
        for a, want in zip(opt.accum, accum):
            np.testing.assert_allclose(a.asnumpy(), want, rtol=1e-5, atol=1e-6)
        assert all(not s.asnumpy().any() for s in opt.stat)
    torch = pytest.importorskip("torch")
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.SGD(
        ts, lr=0.05, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov))
    for param, want in zip(params, got):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_sgd_groups_match_torch_param_groups():
    rng = np.random.default_rng(2)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 4)
    groups = [{"params": [params[0]], "lr": 0.02, "weight_decay": 0.1},
              {"params": params[1:]}]
    opt = nn.SGD(groups, learning_rate=0.05, momentum=0.9, weight_decay=0.01)
    run(opt, grads_seq)
    expected, _ = _closed_form(start, grads_seq, [0.02, 0.05, 0.05], 0.9, 0.0, [0.1, 0.01, 0.01],
                               False)
    for param, want in zip(params, expected):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)
    torch = pytest.importorskip("torch")
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.SGD(
        [{"params": ts[:1], "lr": 0.02, "weight_decay": 0.1}, {"params": ts[1:]}],
        lr=0.05, momentum=0.9, weight_decay=0.01))
    for param, want in zip(params, got):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_sgd_defaults_state_names_and_errors():
    rng = np.random.default_rng(3)
    params = make_params(rng, SHAPES[:2], NAMES[:2])
    opt = nn.SGD(params)
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(0.1)
    assert float(opt.momentum.asnumpy()) == 0.0 and opt.dampening == 0.0 and not opt.nesterov
    assert [p.name for p in opt.get_parameters()] == [
        "global_step", "learning_rate", "momentum", "accum.w", "accum.b", "stat.w", "stat.b"]
    assert all(s.asnumpy().all() for s in opt.stat)
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD(params, momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match="dampening"):
        nn.SGD(params, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        nn.SGD(params, momentum=-0.1)
    with pytest.raises(TypeError, match="nesterov"):
        nn.SGD(params, momentum=0.9, nesterov=1)
    with pytest.raises(ValueError, match=r"gradient 1 of 'b' has shape \(4,\)"):
        opt((_zeros((3, 4)), _zeros((4,))))


def _zeros(shape):
    from minispore import Tensor
    return Tensor(np.zeros(shape, np.float32))


def test_sgd_stat_is_per_element():
    """``stat`` marks first steps element by element (e.g. a checkpoint edited by hand): an
    element with stat 1 takes accum = g, the others accum = momentum*accum + (1-dampening)*g."""
    rng = np.random.default_rng(4)
    params = make_params(rng, [(6,)], ["w"])
    opt = nn.SGD(params, learning_rate=0.1, momentum=0.9, dampening=0.2)
    opt.accum[0].set_data(_zeros((6,)) + 0.5)
    stat = np.array([1, 0, 1, 0, 0, 1], np.float32)
    opt.stat[0].set_data(_zeros((6,)) + stat)
    p0 = params[0].asnumpy().astype(np.float64)
    g = rng.standard_normal(6).astype(np.float32)
    opt((_zeros((6,)) + g,))
    accum = np.where(stat > 0, g, 0.9 * 0.5 + 0.8 * g.astype(np.float64))
    np.testing.assert_allclose(opt.accum[0].asnumpy(), accum, rtol=1e-6)
    np.testing.assert_allclose(params[0].asnumpy(), p0 - 0.1 * accum, rtol=1e-6, atol=1e-7)
    assert not opt.stat[0].asnumpy().any()
