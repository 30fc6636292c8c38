"""EarlyStopping, ReduceLROnPlateau, LearningRateScheduler and LambdaCallback inside Model.train /
Model.fit on a small Dense network.

The plateau logic is driven by a scripted monitored value (a callback placed before the one under
test writes ``cb_params.eval_results``), and the expected epochs / learning rates are worked out
by hand in the comments.
"""
import numpy as np
import pytest

import minispore as ms
from minispore import nn
from minispore.train import (Callback, EarlyStopping, LambdaCallback, LearningRateScheduler,
                             ReduceLROnPlateau)
from _train_helpers import make_data, make_dataset, make_model, make_net


class Script(Callback):
    """Sets ``eval_results[key]`` to the next scripted value at every epoch end and records the
    epochs it saw (so the test knows how many epochs ran)."""

    def __init__(self, values, key="eval_loss"):
        self.values, self.key, self.epochs = list(values), key, []

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        self.epochs.append(cb.cur_epoch_num)
        cb.eval_results = {self.key: self.values[cb.cur_epoch_num - 1]}


def _run(callbacks, epochs, lr=0.1):
    x, y = make_data()
    model, net = make_model(lr=lr)
    model.train(epochs, make_dataset(x, y), callbacks=callbacks)
    return model, net


def test_early_stopping_min_delta_and_patience():
    # best 1.0 (e1); 0.95 is not < 1.0-0.1 (wait 1); 0.8 is (wait 0); 0.85 (wait 1);
    # 0.79 is not < 0.8-0.1 (wait 2 = patience) -> stop after epoch 5.
    script = Script([1.0, 0.95, 0.8, 0.85, 0.79, 0.5, 0.4, 0.3])
    stop = EarlyStopping(min_delta=0.1, patience=2)
    _run([script, stop], 8)
    assert script.epochs == [1, 2, 3, 4, 5]
    assert stop.stopped_epoch == 5 and stop.best == 0.8


def test_early_stopping_max_mode_for_metrics_and_baseline():
    # 'acc' is maximised in 'auto' mode. Improvements that do not beat baseline 0.5 do not reset
    # the wait: e1 wait 1, e2 wait 2, e3 0.6 beats it (wait 0), e4..e6 wait 1..3 -> stop at 6.
    script = Script([0.3, 0.4, 0.6, 0.55, 0.55, 0.55, 0.9, 0.9], key="acc")
    stop = EarlyStopping(monitor="acc", patience=3, baseline=0.5)
    _run([script, stop], 8)
    assert script.epochs == [1, 2, 3, 4, 5, 6] and stop.best == 0.6
    # patience 0: stop at the first epoch whose wait is not reset (0.3 misses the baseline)
    script = Script([0.3, 0.9], key="acc")
    _run([script, EarlyStopping(monitor="acc", baseline=0.5)], 2)
    assert script.epochs == [1]


def test_early_stopping_restores_best_weights():
    snapshots = {}

    def snapshot(run_context):
        cb = run_context.original_args()
        snapshots[cb.cur_epoch_num] = {k: p.asnumpy().copy() for k, p in
                                       cb.train_network.parameters_dict().items()}
    script = Script([3.0, 1.0, 2.0, 2.5, 0.1])
    stop = EarlyStopping(patience=2, restore_best_weights=True, verbose=True)
    _, net = _run([script, LambdaCallback(on_train_epoch_end=snapshot), stop], 5)
    assert script.epochs == [1, 2, 3, 4]
    assert not np.array_equal(snapshots[2]["weight"], snapshots[4]["weight"])
    np.testing.assert_array_equal(net.weight.asnumpy(), snapshots[2]["weight"])
    np.testing.assert_array_equal(net.bias.asnumpy(), snapshots[2]["bias"])


def test_early_stopping_on_eval_loss_from_fit():
    """Model.fit puts 'eval_loss' (mean of the eval batches' losses) in cb_params.eval_results."""
    x, y = make_data(n=12)
    model, net = make_model(metrics={"acc"})
    seen = []

    def record(run_context):
        cb = run_context.original_args()
        logits = net(ms.Tensor(x)).asnumpy().astype(np.float64)
        log_p = logits - logits.max(1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
        per_sample = -log_p[np.arange(len(y)), y]
        expected = per_sample.reshape(3, 4).mean(1).mean()   # 3 batches of 4
        seen.append((cb.eval_results["eval_loss"], expected, cb.eval_results["acc"]))
    stop = EarlyStopping(monitor="eval_loss", patience=1)
    model.fit(3, make_dataset(x, y), make_dataset(x, y),
              callbacks=[LambdaCallback(on_train_epoch_end=record), stop])
    assert len(seen) == 3   # the training loss falls every epoch: no stop
    for got, expected, _ in seen:
        assert got == pytest.approx(expected, rel=1e-5)
    assert stop.best == pytest.approx(seen[-1][0])


def test_reduce_lr_on_plateau_factor_cooldown_min_lr():
    # lr 0.1, factor 0.5, patience 1, cooldown 1, min_lr 0.02 (see the docstring's rules):
    # e1 best 1; e2 no gain -> 0.05 (cooldown 1); e3 cooldown ends, wait 1 -> 0.025;
    # e4 -> max(0.0125, 0.02) = 0.02; e5 lr is not above min_lr: unchanged; e6 0.5 improves;
    # e7 no gain, still 0.02.
    script = Script([1, 1, 1, 1, 1, 0.5, 0.5])
    rates = []
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.02)
    record = LambdaCallback(on_train_epoch_end=lambda rc: rates.append(
        float(rc.original_args().optimizer.learning_rate.asnumpy())))
    _run([script, reduce, record], 7)
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.025, 0.02, 0.02, 0.02, 0.02], rtol=1e-6)


def test_reduce_lr_on_training_loss_in_model_train():
    """monitor='loss' needs no evaluation; a plateau (patience 0: every epoch without a 1e9
    improvement) cuts the rate each epoch."""
    rates = []
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)
    record = LambdaCallback(on_train_epoch_end=lambda rc: rates.append(
        float(rc.original_args().optimizer.learning_rate.asnumpy())))
    _run([reduce, record], 3, lr=0.08)
    # e1: the first value always improves on +inf; e2, e3: halved
    np.testing.assert_allclose(rates, [0.08, 0.04, 0.02], rtol=1e-6)


def test_learning_rate_scheduler_matches_a_dynamic_lr_list():
    """Changing the rate after each step equals giving the optimizer the per-step list."""
    calls = []

    def halve_every_two(lr, step):
        calls.append((lr, step))
        return lr * 0.5 if step % 2 == 0 else lr
    _, net_a = _run([LearningRateScheduler(halve_every_two)], 2)   # 2 epochs x 2 steps
    assert calls == [(0.1, 1), (0.1, 2), (0.05, 3), (0.05, 4)]
    net_b = make_net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net_b.trainable_params(), learning_rate=[0.1, 0.1, 0.05, 0.05],
                      momentum=0.9)
    x, y = make_data()
    ms.train.Model(net_b, loss, opt).train(2, make_dataset(x, y))
    np.testing.assert_allclose(net_a.weight.asnumpy(), net_b.weight.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(net_a.bias.asnumpy(), net_b.bias.asnumpy(), rtol=1e-6)


def test_learning_rate_zero_freezes_the_weights():
    weights = []
    record = LambdaCallback(on_train_step_end=lambda rc: weights.append(
        rc.original_args().network.weight.asnumpy().copy()))
    _run([LearningRateScheduler(lambda lr, step: 0.0), record], 2)
    assert not np.array_equal(weights[0], make_net().weight.asnumpy())   # step 1 used 0.1
    for w in weights[1:]:
        np.testing.assert_array_equal(w, weights[0])


def test_lambda_callback_runs_hooks_in_order():
    events = []
    names = ["on_train_begin", "on_train_epoch_begin", "on_train_step_begin",
             "on_train_step_end", "on_train_epoch_end", "on_train_end", "on_eval_begin",
             "on_eval_epoch_begin", "on_eval_step_begin", "on_eval_step_end",
             "on_eval_epoch_end", "on_eval_end"]
    cb = LambdaCallback(**{n: (lambda n: lambda rc: events.append(n))(n) for n in names})
    x, y = make_data()
    model, _ = make_model(metrics={"acc"})
    model.fit(1, make_dataset(x, y), make_dataset(x, y, batch_size=8), callbacks=cb)
    assert events == ["on_train_begin", "on_train_epoch_begin",
                      "on_train_step_begin", "on_train_step_end",
                      "on_train_step_begin", "on_train_step_end",
                      "on_eval_begin", "on_eval_epoch_begin", "on_eval_step_begin",
                      "on_eval_step_end", "on_eval_epoch_end", "on_eval_end",
                      "on_train_epoch_end", "on_train_end"]


def test_bad_arguments_and_unsupported_optimizers():
    with pytest.raises(ValueError, match="mode should be"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="'patience'"):
        EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="'baseline'"):
        EarlyStopping(baseline="0.5")
    with pytest.raises(ValueError, match="'factor'"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(TypeError, match="'min_delta'"):
        ReduceLROnPlateau(min_delta="small")
    with pytest.raises(TypeError, match="'on_train_end'"):
        LambdaCallback(on_train_end=3)
    with pytest.raises(TypeError, match="callable"):
        LearningRateScheduler(0.1)
    x, y = make_data()
    net = make_net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=[0.1, 0.05], momentum=0.9)
    model = ms.train.Model(net, loss, opt)
    with pytest.raises(ValueError, match="dynamic learning rate"):
        model.train(1, make_dataset(x, y), callbacks=LearningRateScheduler(lambda lr, s: lr))
    train_net = nn.WithLossCell(make_net(), loss)
    with pytest.raises(ValueError, match="optimizer"):
        ms.train.Model(train_net).train(1, make_dataset(x, y),
                                        callbacks=ReduceLROnPlateau(monitor="loss"))


def test_missing_monitor_is_skipped_with_a_warning(caplog):
    stop = EarlyStopping(monitor="acc")     # Model.train has no evaluation results
    with caplog.at_level("WARNING", logger="minispore"):
        _run([stop], 2)
    assert stop.stopped_epoch == 0 and "not available" in caplog.text
