"""nn.RMSProp (plain, momentum, centered) and nn.Adagrad against their closed forms (MindSpore's
kernels, float64 numpy) and torch.optim.RMSprop / Adagrad over several steps."""
import numpy as np
import pytest

from minispore import nn
from _optim_helpers import grad_steps, make_params, run, torch_run, values64

SHAPES, NAMES = [(3, 4), (5,), (2,)], ["w", "b", "bn.beta"]


def _rmsprop(start, grads_seq, lr, decay, momentum, eps, centered, wds):
    p = [s.copy() for s in start]
    ms = [np.ones_like(s) for s in start]
    mg = [np.zeros_like(s) for s in start]
    mom = [np.zeros_like(s) for s in start]
    for grads in grads_seq:
        for i, g in enumerate(grads):
            g = g.astype(np.float64) + wds[i] * p[i]
            ms[i] = decay * ms[i] + (1 - decay) * g * g
            mg[i] = decay * mg[i] + (1 - decay) * g
            den = ms[i] - mg[i] ** 2 if centered else ms[i]
            mom[i] = momentum * mom[i] + lr * g / np.sqrt(den + eps)
            p[i] = p[i] - mom[i]
    return p, ms, mg, mom


def _seed_torch_rmsprop(torch, centered, momentum):
    """torch keeps square_avg from zeros; MindSpore's mean_square starts at ones."""
    def prepare(opt, ts):
        for t in ts:
            state = opt.state[t]
            state["step"] = torch.tensor(0.0)
            state["square_avg"] = torch.ones_like(t)
            if momentum > 0:
                state["momentum_buffer"] = torch.zeros_like(t)
            if centered:
                state["grad_avg"] = torch.zeros_like(t)
    return prepare


@pytest.mark.parametrize("momentum,centered,wd", [
    (0.0, False, 0.0), (0.9, False, 0.01), (0.0, True, 0.0), (0.5, True, 0.02)])
def test_rmsprop_matches_closed_form_and_torch(momentum, centered, wd):
    rng = np.random.default_rng(11)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    opt = nn.RMSProp(params, learning_rate=0.01, decay=0.9, momentum=momentum, centered=centered,
                     weight_decay=wd)
    run(opt, grads_seq)
    wds = [wd, wd, 0.0]
    expected, ms, mg, mom = _rmsprop(start, grads_seq, 0.01, 0.9, momentum, 1e-10, centered, wds)
    for got, want in [(params, expected), (opt.ms, ms), (opt.moment, mom)] + (
            [(opt.mg, mg)] if centered else []):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.asnumpy(), b, rtol=2e-5, atol=1e-6, err_msg=a.name)
    torch = pytest.importorskip("torch")
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.RMSprop(
        [{"params": ts[:2], "weight_decay": wd}, {"params": ts[2:], "weight_decay": 0.0}],
        lr=0.01, alpha=0.9, eps=1e-10, momentum=momentum, centered=centered),
        _seed_torch_rmsprop(torch, centered, momentum))
    for a, b in zip(params, got):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=2e-5, atol=1e-6, err_msg=a.name)


def test_rmsprop_defaults_state_names_and_errors():
    params = make_params(np.random.default_rng(12), SHAPES[:1], NAMES[:1])
    opt = nn.RMSProp(params, centered=True)
    assert (opt.decay, opt.momentum, opt.epsilon) == (0.9, 0.0, 1e-10)
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(0.1)
    assert [p.name for p in opt.get_parameters()] == [
        "global_step", "learning_rate", "mean_grad.w", "mean_square.w", "moment.w"]
    assert opt.ms[0].asnumpy().tolist() == np.ones((3, 4)).tolist()
    with pytest.raises(ValueError, match="epsilon"):
        nn.RMSProp(params, epsilon=0.0)
    with pytest.raises(TypeError, match="decay"):
        nn.RMSProp(params, decay=1)


def _adagrad(start, grads_seq, lr, accum0, wds, update_slots=True):
    p = [s.copy() for s in start]
    h = [np.full_like(s, accum0) for s in start]
    for grads in grads_seq:
        for i, g in enumerate(grads):
            g = g.astype(np.float64) + wds[i] * p[i]
            if update_slots:
                h[i] = h[i] + g * g
            p[i] = p[i] - lr * g / np.sqrt(h[i] + 1e-6)
    return p, h


@pytest.mark.parametrize("wd,update_slots", [(0.0, True), (0.05, True), (0.0, False)])
def test_adagrad_matches_closed_form(wd, update_slots):
    rng = np.random.default_rng(13)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    opt = nn.Adagrad(params, accum=0.1, learning_rate=0.05, update_slots=update_slots,
                     weight_decay=wd)
    run(opt, grads_seq)
    expected, h = _adagrad(start, grads_seq, 0.05, 0.1, [wd, wd, 0.0], update_slots)
    for got, want in [(params, expected), (opt.accum, h)]:
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.asnumpy(), b, rtol=2e-5, atol=1e-6, err_msg=a.name)


def test_adagrad_matches_torch():
    """torch adds eps=1e-10 to sqrt(h); MindSpore's CPU kernel adds 1e-6 to h under the root:
    the two differ by < 1e-5 relative once h >= 0.1 (the default start)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    run(nn.Adagrad(params, accum=0.1, learning_rate=0.05, weight_decay=0.01), grads_seq)
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.Adagrad(
        [{"params": ts[:2], "weight_decay": 0.01}, {"params": ts[2:], "weight_decay": 0.0}],
        lr=0.05, initial_accumulator_value=0.1, eps=1e-10))
    for a, b in zip(params, got):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=2e-5, atol=1e-6, err_msg=a.name)


def test_adagrad_defaults_and_state():
    params = make_params(np.random.default_rng(15), SHAPES[:1], NAMES[:1])
    opt = nn.Adagrad(params)
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(1e-3) and opt.update_slots
    assert [p.name for p in opt.get_parameters()] == ["global_step", "learning_rate", "accum.w"]
    np.testing.assert_allclose(opt.accum[0].asnumpy(), np.full((3, 4), 0.1, np.float32))
    with pytest.raises(ValueError, match="accum"):
        nn.Adagrad(params, accum=-1.0)
