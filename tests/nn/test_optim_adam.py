"""nn.Adam (plain, weight decay, Nesterov, amsgrad, groups) and nn.AdamWeightDecay against their
closed forms (MindSpore's kernels, float64 numpy) and torch.optim.Adam where it is the same
algorithm, over several steps."""
import numpy as np
import pytest

from minispore import Tensor, nn
from _optim_helpers import grad_steps, make_params, run, torch_run, values64

SHAPES, NAMES = [(3, 4), (5,), (2,)], ["w", "b", "bn.gamma"]


def _adam(start, grads_seq, lrs, wds, b1=0.9, b2=0.999, eps=1e-8, nesterov=False,
          amsgrad=False, loss_scale=1.0):
    """MindSpore's Adam: L2 decay into g, bias corrections folded into the step size, eps added
    to sqrt(v) (or sqrt(vhat) with amsgrad)."""
    p = [s.copy() for s in start]
    m = [np.zeros_like(s) for s in start]
    v = [np.zeros_like(s) for s in start]
    vhat = [np.zeros_like(s) for s in start]
    for t, grads in enumerate(grads_seq, start=1):
        for i, g in enumerate(grads):
            g = (g.astype(np.float64) + wds[i] * loss_scale * p[i]) / loss_scale
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vhat[i] = np.maximum(vhat[i], v[i])
            step = lrs[i] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            num = b1 * m[i] + (1 - b1) * g if nesterov else m[i]
            den = np.sqrt(vhat[i] if amsgrad else v[i]) + eps
            p[i] = p[i] - step * num / den
    return p, m, v, vhat


def _check(params, expected, rtol=2e-5, atol=1e-6):
    for param, want in zip(params, expected):
        np.testing.assert_allclose(param.asnumpy(), want, rtol=rtol, atol=atol, err_msg=param.name)


@pytest.mark.parametrize("wd,nesterov,amsgrad,loss_scale", [
    (0.0, False, False, 1.0), (0.01, False, False, 1.0), (0.0, True, False, 1.0),
    (0.02, False, True, 1.0), (0.01, False, False, 8.0),
])
def test_adam_matches_closed_form(wd, nesterov, amsgrad, loss_scale):
    rng = np.random.default_rng(5)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    opt = nn.Adam(params, learning_rate=0.01, weight_decay=wd, use_nesterov=nesterov,
                  use_amsgrad=amsgrad, loss_scale=loss_scale)
    run(opt, [[g * loss_scale for g in gs] for gs in grads_seq])
    wds = [wd, wd, 0.0]   # ungrouped: no decay for names with 'gamma'
    expected, m, v, vhat = _adam(start, grads_seq, [0.01] * 3, wds, nesterov=nesterov,
                                 amsgrad=amsgrad)
    _check(params, expected)
    _check(opt.moment1, m)
    _check(opt.moment2, v, rtol=1e-4, atol=1e-7)
    if amsgrad:
        _check(opt.vhat, vhat, rtol=1e-4, atol=1e-7)
    assert float(opt.beta1_power.asnumpy()) == pytest.approx(0.9 ** 6, rel=1e-6)
    assert float(opt.beta2_power.asnumpy()) == pytest.approx(0.999 ** 6, rel=1e-6)
    assert opt.global_step.asnumpy().tolist() == [6]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_torch_with_weight_decay_and_groups(amsgrad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    groups = [{"params": params[:1], "lr": 0.02, "weight_decay": 0.05},
              {"params": params[1:], "weight_decay": 0.01}]
    opt = nn.Adam(groups, learning_rate=0.01, use_amsgrad=amsgrad)
    run(opt, grads_seq)
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.Adam(
        [{"params": ts[:1], "lr": 0.02, "weight_decay": 0.05},
         {"params": ts[1:], "weight_decay": 0.01}], lr=0.01, eps=1e-8, amsgrad=amsgrad))
    # Same algorithm; eps sits before the bias correction in MindSpore (1e-8 * sqrt(1-b2^t)
    # in torch's terms), far below these tolerances for O(1) gradients.
    _check(params, got)


def test_adam_ungrouped_decay_skips_gamma_like_torch_groups():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 5)
    run(nn.Adam(params, learning_rate=0.01, weight_decay=0.1), grads_seq)
    got = torch_run(torch, start, grads_seq, lambda ts: torch.optim.Adam(
        [{"params": ts[:2], "weight_decay": 0.1}, {"params": ts[2:], "weight_decay": 0.0}],
        lr=0.01))
    _check(params, got)


def _adam_weight_decay(start, grads_seq, lr, wds, b1=0.9, b2=0.999, eps=1e-6):
    p = [s.copy() for s in start]
    m = [np.zeros_like(s) for s in start]
    v = [np.zeros_like(s) for s in start]
    for grads in grads_seq:
        for i, g in enumerate(grads):
            g = g.astype(np.float64)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p[i] = p[i] - lr * (m[i] / (np.sqrt(v[i]) + eps) + wds[i] * p[i])
    return p, m, v


def test_adam_weight_decay_matches_mindspore_formula():
    """MindSpore's AdamWeightDecay has no bias correction (so it is not torch's AdamW, which
    has one); decay is decoupled: p -= lr*(m/(sqrt(v)+eps) + wd*p), gamma excluded."""
    rng = np.random.default_rng(8)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 6)
    opt = nn.AdamWeightDecay(params, learning_rate=0.01, weight_decay=0.1)
    run(opt, grads_seq)
    expected, m, v = _adam_weight_decay(start, grads_seq, 0.01, [0.1, 0.1, 0.0])
    _check(params, expected)
    _check(opt.moments1, m)
    _check(opt.moments2, v, rtol=1e-4, atol=1e-7)
    assert [p.name for p in opt.get_parameters()][:4] == [
        "global_step", "learning_rate", "adam_m.w", "adam_m.b"]


def test_adam_weight_decay_groups_and_dynamic_lr():
    rng = np.random.default_rng(9)
    params = make_params(rng, SHAPES, NAMES)
    start = values64(params)
    grads_seq = grad_steps(rng, params, 4)
    lrs = [0.02, 0.01, 0.005, 0.001]
    groups = [{"params": params[:1], "weight_decay": 0.0}, {"params": params[1:],
                                                            "weight_decay": 0.2}]
    opt = nn.AdamWeightDecay(groups, learning_rate=lrs)
    for step, grads in enumerate(grads_seq):
        assert float(opt.get_lr().asnumpy()) == pytest.approx(lrs[step])
        opt(tuple(Tensor(g) for g in grads))
    p = [s.copy() for s in start]
    m = [np.zeros_like(s) for s in start]
    v = [np.zeros_like(s) for s in start]
    for lr, grads in zip(lrs, grads_seq):
        for i, g in enumerate(grads):
            wd = 0.0 if i == 0 else 0.2   # grouped: gamma decays too (its group says so)
            g = g.astype(np.float64)
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            p[i] = p[i] - lr * (m[i] / (np.sqrt(v[i]) + 1e-6) + wd * p[i])
    _check(params, p)


def test_adam_defaults_state_names_and_errors():
    rng = np.random.default_rng(10)
    params = make_params(rng, SHAPES[:2], NAMES[:2])
    opt = nn.Adam(params, use_amsgrad=True)
    assert (opt.beta1, opt.beta2, opt.eps) == (0.9, 0.999, 1e-8)
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(1e-3)
    assert [p.name for p in opt.get_parameters()] == [
        "global_step", "learning_rate", "beta1_power", "beta2_power", "moment1.w", "moment1.b",
        "moment2.w", "moment2.b", "vhat.w", "vhat.b"]
    assert nn.AdamWeightDecay(params).eps == 1e-6
    with pytest.raises(ValueError, match="beta1"):
        nn.Adam(params, beta1=1.0)
    with pytest.raises(TypeError, match="beta2"):
        nn.Adam(params, beta2=1)
    with pytest.raises(ValueError, match="eps"):
        nn.Adam(params, eps=0.0)
    with pytest.raises(TypeError, match="use_amsgrad"):
        nn.Adam(params, use_amsgrad="yes")
    with pytest.raises(ValueError, match="use_lazy"):
        nn.Adam(params, use_lazy=True, use_offload=True)
    with pytest.raises(TypeError, match="unexpected"):
        nn.Adam(params, amsgrad=True)
