"""Losses (issue 12): forward against naive numpy loops of MindSpore's formulas, backward
against float64 central differences, and against torch.nn.functional (skipped without torch)."""
import numpy as np
import pytest

from minispore import Tensor, nn, ops
from gradcheck import check_grad

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

R = np.random.default_rng(3)


def T(a):
    return Tensor(np.asarray(a))


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def naive_nll(logp, t, w, ignore, reduction, eps):
    """One loop over samples of MindSpore's nll_loss formula for (N, C) inputs."""
    n, c = logp.shape
    w = np.ones(c) if w is None else w
    losses, smooths, weights = [], [], []
    for i in range(n):
        if t[i] == ignore:
            losses.append(0.0), smooths.append(0.0), weights.append(0.0)
            continue
        losses.append(-w[t[i]] * logp[i, t[i]])
        smooths.append(-sum(w[k] * logp[i, k] for k in range(c)))
        weights.append(w[t[i]])
    losses, smooths = np.array(losses), np.array(smooths)
    if reduction == "mean":
        losses, smooths = losses.sum() / sum(weights), smooths.sum() / sum(weights)
    elif reduction == "sum":
        losses, smooths = losses.sum(), smooths.sum()
    return (1 - eps) * losses + eps / c * smooths


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices_vs_naive(reduction, weighted, smoothing):
    x = R.standard_normal((6, 4))
    t = np.array([0, 3, -100, 1, 2, 3])
    w = R.uniform(0.5, 2.0, 4) if weighted else None
    expected = naive_nll(log_softmax(x, 1), t, w, -100, reduction, smoothing)
    loss = nn.CrossEntropyLoss(weight=None if w is None else T(w), reduction=reduction,
                               label_smoothing=smoothing)
    np.testing.assert_allclose(loss(T(x), T(t)).asnumpy(), expected, rtol=1e-12, atol=1e-12)


def test_cross_entropy_probabilities_and_spatial_vs_naive():
    x = R.standard_normal((3, 4))
    p = R.dirichlet(np.ones(4), 3)
    w = np.array([1.0, 2.0, 0.5, 1.5])
    eps = 0.1
    q = p * (1 - eps) + eps / 4
    per = -(log_softmax(x, 1) * q * w).sum(1)
    got = ops.cross_entropy(T(x), T(p), T(w), label_smoothing=eps)
    np.testing.assert_allclose(got.asnumpy(), per.mean(), rtol=1e-12)
    np.testing.assert_allclose(ops.cross_entropy(T(x), T(p), reduction="none").asnumpy(),
                               -(log_softmax(x, 1) * p).sum(1), rtol=1e-12)
    x4 = R.standard_normal((2, 3, 2, 2))
    t3 = R.integers(0, 3, (2, 2, 2))
    lp = log_softmax(x4, 1)
    expected = -np.mean([lp[n, t3[n, i, j], i, j] for n in range(2) for i in range(2)
                         for j in range(2)])
    np.testing.assert_allclose(ops.cross_entropy(T(x4), T(t3)).asnumpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(ops.cross_entropy(T(x[0]), T(np.array(2))).asnumpy(),
                               -log_softmax(x[0], 0)[2], rtol=1e-12)


def test_nll_loss_vs_naive():
    logp = log_softmax(R.standard_normal((5, 3)), 1)
    t = np.array([2, 0, 1, 1, 7])
    w = np.array([0.2, 1.0, 3.0])
    got = nn.NLLLoss(weight=T(w), ignore_index=7)(T(logp), T(t))
    np.testing.assert_allclose(got.asnumpy(), naive_nll(logp, t, w, 7, "mean", 0.0), rtol=1e-12)


def test_binary_losses_vs_naive():
    x = R.standard_normal((3, 4)) * 3
    y = R.uniform(0, 1, (3, 4))
    w = R.uniform(0.5, 1.5, (4,))
    pw = R.uniform(0.5, 3.0, (4,))
    naive = np.empty_like(x)
    for i in np.ndindex(x.shape):
        sig = 1 / (1 + np.exp(-x[i]))
        naive[i] = -w[i[1]] * (pw[i[1]] * y[i] * np.log(sig) + (1 - y[i]) * np.log(1 - sig))
    got = nn.BCEWithLogitsLoss("none", T(w), T(pw))(T(x), T(y))
    np.testing.assert_allclose(got.asnumpy(), naive, rtol=1e-10)
    p = 1 / (1 + np.exp(-x))
    eps = 1e-12
    naive = -w * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
    np.testing.assert_allclose(nn.BCELoss(T(w), "sum")(T(p), T(y)).asnumpy(), naive.sum(),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="binary_cross_entropy.*\\[0, 1\\]"):
        nn.BCELoss()(T(x), T(y))


def test_regression_losses_vs_naive():
    x, y = R.standard_normal((4, 5)) * 2, R.standard_normal((4, 5))
    d = x - y
    smooth = np.where(np.abs(d) < 0.5, 0.5 * d ** 2 / 0.5, np.abs(d) - 0.25)
    np.testing.assert_allclose(nn.SmoothL1Loss(beta=0.5)(T(x), T(y)).asnumpy(), smooth)
    huber = np.where(np.abs(d) < 1.5, 0.5 * d ** 2, 1.5 * (np.abs(d) - 0.75))
    np.testing.assert_allclose(nn.HuberLoss(delta=1.5)(T(x), T(y)).asnumpy(), huber.mean())
    np.testing.assert_allclose(nn.MSELoss("sum")(T(x), T(y)).asnumpy(), (d ** 2).sum())
    np.testing.assert_allclose(ops.l1_loss(T(x), T(y), "none").asnumpy(), np.abs(d))
    np.testing.assert_allclose(nn.MSELoss()(T(x), T(y[:1])).asnumpy(), ((x - y[:1]) ** 2).mean())


def test_kl_div_vs_naive():
    logp = log_softmax(R.standard_normal((3, 4)), 1)
    q = R.dirichlet(np.ones(4), 3)
    q[0, 1] = 0.0
    naive = np.where(q > 0, q * (np.log(np.where(q > 0, q, 1)) - logp), 0)
    np.testing.assert_allclose(nn.KLDivLoss("none")(T(logp), T(q)).asnumpy(), naive)
    np.testing.assert_allclose(nn.KLDivLoss("batchmean")(T(logp), T(q)).asnumpy(),
                               naive.sum() / 3)
    np.testing.assert_allclose(ops.kl_div(T(logp), T(np.log(q + 1e-3)), "sum",
                                          log_target=True).asnumpy(),
                               ((q + 1e-3) * (np.log(q + 1e-3) - logp)).sum())


def test_shape_and_argument_errors_name_the_loss():
    with pytest.raises(ValueError, match="For 'MSELoss'.*\\(4, 3\\).*\\(2, 3\\)"):
        nn.MSELoss()(T(np.zeros((4, 3))), T(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="For 'L1Loss'"):
        nn.L1Loss()(T(np.zeros((4, 3))), T(np.zeros((3, 4))))
    with pytest.raises(ValueError, match="cross_entropy.*\\[0, 3\\)"):
        nn.CrossEntropyLoss()(T(np.zeros((2, 3))), T(np.array([0, 3])))
    with pytest.raises(ValueError, match="cross_entropy.*target.*\\(2,\\)"):
        nn.CrossEntropyLoss()(T(np.zeros((2, 3))), T(np.array([[0], [1]])))
    with pytest.raises(ValueError, match="CrossEntropyLoss.*label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction"):
        nn.NLLLoss(reduction="avg")


@pytest.mark.parametrize("name,fn,arrays", [
    ("cross_entropy", lambda x: ops.cross_entropy(x, T(np.array([0, 2, -100, 1])),
                                                  T(np.array([1.0, 2.0, 0.5])),
                                                  label_smoothing=0.1),
     [R.standard_normal((4, 3))]),
    ("cross_entropy probs", lambda x, p: ops.cross_entropy(x, p, reduction="sum"),
     [R.standard_normal((3, 4)), R.dirichlet(np.ones(4), 3)]),
    ("nll_loss none", lambda x: ops.nll_loss(x, T(np.array([1, 0, 2])), reduction="none"),
     [R.standard_normal((3, 3))]),
    ("bce_with_logits", lambda x, y, w, pw: ops.binary_cross_entropy_with_logits(x, y, w, pw),
     [R.standard_normal((3, 4)), R.uniform(0, 1, (3, 4)), R.uniform(0.5, 1.5, (4,)),
      R.uniform(0.5, 2, (1, 4))]),
    ("bce", lambda p, y: ops.binary_cross_entropy(p, y, reduction="sum"),
     [R.uniform(0.1, 0.9, (3, 4)), R.uniform(0, 1, (3, 4))]),
    ("smooth_l1", lambda x, y: ops.smooth_l1_loss(x, y, 0.7), [R.standard_normal((3, 4)) * 2,
                                                               R.standard_normal((3, 4))]),
    ("huber", lambda x, y: ops.huber_loss(x, y, "sum", 0.8), [R.standard_normal((3, 4)) * 2,
                                                              R.standard_normal((3, 4))]),
    ("kl_div", lambda x, q: ops.kl_div(x, q, "none"), [R.standard_normal((3, 4)),
                                                       R.dirichlet(np.ones(4), 3)]),
    ("mse", lambda x, y: ops.mse_loss(x, y), [R.standard_normal((3, 4)),
                                              R.standard_normal((1, 4))]),
])
def test_gradients_match_finite_differences(name, fn, arrays):
    check_grad(fn, arrays, name=name)


def test_bce_with_logits_gradient_at_zero_logits():
    """At x = 0 the gradient is sigmoid(0) - y = 0.5 - y exactly (zero-initialised heads)."""
    y = np.array([0.0, 1.0, 0.3])
    g = ops.grad(lambda x: ops.binary_cross_entropy_with_logits(x, T(y), reduction="sum"))(
        T(np.zeros(3)))
    np.testing.assert_allclose(g.asnumpy(), 0.5 - y, rtol=1e-15)


@needs_torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_against_torch(reduction):
    x = R.standard_normal((5, 4))
    t = np.array([0, 3, 1, -100, 2])
    w = R.uniform(0.5, 2.0, 4)
    tx, tt, tw = torch.tensor(x, requires_grad=True), torch.tensor(t), torch.tensor(w)
    pairs = [
        (lambda a: ops.cross_entropy(a, T(t), T(w), reduction=reduction, label_smoothing=0.1),
         lambda a: TF.cross_entropy(a, tt, tw, reduction=reduction, label_smoothing=0.1)),
        (lambda a: ops.cross_entropy(a, T(np.abs(x) / np.abs(x).sum(1, keepdims=True)),
                                     reduction=reduction, label_smoothing=0.2),
         lambda a: TF.cross_entropy(a, torch.tensor(np.abs(x) / np.abs(x).sum(1, keepdims=True)),
                                    reduction=reduction, label_smoothing=0.2)),
        (lambda a: ops.nll_loss(a, T(t), T(w), reduction=reduction),
         lambda a: TF.nll_loss(a, tt, tw, reduction=reduction)),
        (lambda a: ops.binary_cross_entropy_with_logits(a, T(np.abs(np.sin(x))), T(w), T(w * 2),
                                                        reduction=reduction),
         lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(np.abs(np.sin(x))), tw,
                                                       pos_weight=tw * 2, reduction=reduction)),
        (lambda a: ops.smooth_l1_loss(a, T(x[::-1].copy()), 0.5, reduction),
         lambda a: TF.smooth_l1_loss(a, torch.tensor(x[::-1].copy()), reduction=reduction,
                                     beta=0.5)),
        (lambda a: ops.huber_loss(a, T(x[::-1].copy()), reduction, 0.5),
         lambda a: TF.huber_loss(a, torch.tensor(x[::-1].copy()), reduction=reduction,
                                 delta=0.5)),
        (lambda a: ops.kl_div(a, T(np.abs(x)), reduction),
         lambda a: TF.kl_div(a, torch.tensor(np.abs(x)), reduction=reduction)),
    ]
    for ours, theirs in pairs:
        seed = R.standard_normal((5, 4)) if reduction == "none" else np.array(1.0)
        if reduction == "none" and ours(T(x)).ndim == 1:
            seed = R.standard_normal(5)
        out = ours(T(x))
        ref = theirs(tx)
        np.testing.assert_allclose(out.asnumpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = ops.grad(lambda a: ops.reduce_sum(ours(a) * T(seed)))(T(x))
        tx.grad = None
        (ref * torch.tensor(seed)).sum().backward()
        np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_rmse_and_mae_losses():
    x, y = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    np.testing.assert_allclose(nn.RMSELoss()(T(x), T(y)).asnumpy(),
                               np.sqrt(((x - y) ** 2).mean()))
    np.testing.assert_allclose(nn.MAELoss("sum")(T(x), T(y)).asnumpy(), np.abs(x - y).sum())
    check_grad(lambda a, b: nn.RMSELoss()(a, b), [x, y], name="RMSELoss")
