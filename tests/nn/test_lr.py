"""Learning-rate lists (nn.*_lr) and schedule cells (nn.*LR) against MindSpore's documented
formulas, written out here independently, and the outputs printed in MindSpore's docstrings."""
import math

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn


def test_documented_examples():
    assert nn.piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01]) == \
        [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]
    assert nn.exponential_decay_lr(0.1, 0.9, 6, 2, 1) == pytest.approx(
        [0.1, 0.1, 0.09, 0.09, 0.081, 0.081], rel=1e-12)
    assert nn.natural_exp_decay_lr(0.1, 0.9, 6, 2, 2, True) == pytest.approx(
        [0.1, 0.1, 0.1, 0.1, 0.016529888822158657, 0.016529888822158657], rel=1e-12)
    assert nn.inverse_decay_lr(0.1, 0.5, 6, 1, 1, True) == pytest.approx(
        [0.1, 0.06666666666666667, 0.05, 0.04, 0.03333333333333333, 0.028571428571428574],
        rel=1e-12)
    assert nn.cosine_decay_lr(0.01, 0.1, 6, 2, 2) == pytest.approx(
        [0.1, 0.1, 0.055, 0.055, 0.01, 0.01], rel=1e-12)
    assert nn.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5) == pytest.approx(
        [0.1, 0.1, 0.07363961030678928, 0.07363961030678928, 0.01, 0.01], rel=1e-12)
    assert nn.warmup_lr(0.1, 6, 2, 2) == pytest.approx([0.0, 0.0, 0.05, 0.05, 0.1, 0.1])


@pytest.mark.parametrize("total,per_epoch,decay_epoch,stair", [
    (20, 3, 2, False), (20, 3, 2, True), (7, 1, 3, False), (9, 4, 1, True)])
def test_epoch_lists_follow_the_formulas(total, per_epoch, decay_epoch, stair):
    epochs = [i // per_epoch for i in range(total)]
    e_exp = [math.floor(e / decay_epoch) if stair else e / decay_epoch for e in epochs]
    assert nn.exponential_decay_lr(0.2, 0.7, total, per_epoch, decay_epoch, stair) == \
        pytest.approx([0.2 * 0.7 ** p for p in e_exp], rel=1e-12)
    assert nn.inverse_decay_lr(0.2, 0.7, total, per_epoch, decay_epoch, stair) == \
        pytest.approx([0.2 / (1 + 0.7 * p) for p in e_exp], rel=1e-12)
    e_nat = [e // decay_epoch * decay_epoch if stair else e for e in epochs]
    assert nn.natural_exp_decay_lr(0.2, 0.7, total, per_epoch, decay_epoch, stair) == \
        pytest.approx([0.2 * math.exp(-0.7 * e) for e in e_nat], rel=1e-12)
    assert nn.cosine_decay_lr(0.001, 0.2, total, per_epoch, decay_epoch) == pytest.approx(
        [0.001 + 0.5 * 0.199 * (1 + math.cos(math.pi * min(e, decay_epoch) / decay_epoch))
         for e in epochs], rel=1e-12)
    assert nn.warmup_lr(0.2, total, per_epoch, decay_epoch) == pytest.approx(
        [0.2 * min(e, decay_epoch) / decay_epoch for e in epochs], rel=1e-12)
    plain = [(0.2 - 0.01) * (1 - min(e, decay_epoch) / decay_epoch) ** 2.0 + 0.01 for e in epochs]
    assert nn.polynomial_decay_lr(0.2, 0.01, total, per_epoch, decay_epoch, 2.0) == \
        pytest.approx(plain, rel=1e-12)
    updated = [(0.2 - 0.01) * (1 - e / (decay_epoch * max(math.ceil(e / decay_epoch), 1))) ** 2.0
               + 0.01 for e in epochs]
    assert nn.polynomial_decay_lr(0.2, 0.01, total, per_epoch, decay_epoch, 2.0, True) == \
        pytest.approx(updated, rel=1e-12)


def _at(cell, step):
    out = cell(Tensor(np.array([step], np.int32), ms.int32))
    assert out.shape == () and out.dtype == ms.float32
    return float(out.asnumpy())


@pytest.mark.parametrize("stair", [False, True])
def test_schedule_cells_follow_the_formulas(stair):
    steps = range(0, 25)
    for cell, formula in [
        (nn.ExponentialDecayLR(0.1, 0.9, 4, stair),
         lambda s: 0.1 * 0.9 ** (s // 4 if stair else s / 4)),
        (nn.NaturalExpDecayLR(0.1, 0.9, 4, stair),
         lambda s: 0.1 * math.exp(-0.9 * (s // 4 if stair else s / 4))),
        (nn.InverseDecayLR(0.1, 0.9, 4, stair),
         lambda s: 0.1 / (1 + 0.9 * (s // 4 if stair else s / 4))),
    ]:
        for s in steps:
            assert _at(cell, s) == pytest.approx(formula(s), rel=1e-6), (type(cell), s)
    cosine = nn.CosineDecayLR(0.01, 0.1, 10)
    poly = nn.PolynomialDecayLR(0.1, 0.01, 10, 0.5, update_decay_steps=stair)
    warm = nn.WarmUpLR(0.1, 6)
    for s in steps:
        assert _at(cosine, s) == pytest.approx(
            0.01 + 0.045 * (1 + math.cos(math.pi * min(s, 10) / 10)), rel=1e-6)
        if stair:
            d = 10 * max(math.ceil(s / 10), 1)
            want = 0.09 * (1 - s / d) ** 0.5 + 0.01
        else:
            want = 0.09 * (1 - min(s, 10) / 10) ** 0.5 + 0.01
        assert _at(poly, s) == pytest.approx(want, rel=1e-6)
        assert _at(warm, s) == pytest.approx(0.1 * min(s, 6) / 6, rel=1e-6)


def test_schedule_cells_accept_scalar_steps():
    assert float(nn.WarmUpLR(0.1, 4)(Tensor(2, ms.int32)).asnumpy()) == pytest.approx(0.05)
    assert float(nn.CosineDecayLR(0.0, 1.0, 2)(1).asnumpy()) == pytest.approx(0.5)


@pytest.mark.parametrize("call,error,match", [
    (lambda: nn.exponential_decay_lr(0.1, 0.9, 0, 1, 1), ValueError, "total_step"),
    (lambda: nn.exponential_decay_lr(1, 0.9, 5, 1, 1), TypeError, "learning_rate"),
    (lambda: nn.cosine_decay_lr(0.1, 0.1, 5, 1, 1), ValueError, "max_lr"),
    (lambda: nn.piecewise_constant_lr([2, 1], [0.1, 0.2]), ValueError, "milestone"),
    (lambda: nn.piecewise_constant_lr([2], [0.1, 0.2]), ValueError, "size"),
    (lambda: nn.polynomial_decay_lr(0.1, 0.01, 5, 1, 1, 0.0), ValueError, "power"),
    (lambda: nn.warmup_lr(0.1, 5, 1, 1.5), TypeError, "warmup_epoch"),
    (lambda: nn.ExponentialDecayLR(0.1, 0.9, 0), ValueError, "decay_steps"),
    (lambda: nn.CosineDecayLR(0.2, 0.1, 3), ValueError, "max_lr"),
    (lambda: nn.PolynomialDecayLR(0.1, 0.01, 3, 1.0, update_decay_steps=1), TypeError,
     "update_decay_steps"),
    (lambda: nn.WarmUpLR(0.1, 2)("x"), TypeError, "global_step"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
