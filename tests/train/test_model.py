"""Model: train-network construction, train/eval/predict/fit, metrics, resume from a checkpoint."""
import numpy as np
import pytest

import minispore as ms
from minispore import nn
from minispore.nn import Accuracy, Loss
from minispore.train import Model, load_checkpoint, load_param_into_net
from minispore.train.callback import (Callback, CheckpointConfig, History, LossMonitor,
                                      ModelCheckpoint)

from _train_helpers import make_data, make_dataset, make_model, make_net, values


def _softmax_ce(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


# ---- metrics ------------------------------------------------------------------------------------
def test_accuracy_and_loss_metrics_by_hand():
    acc = Accuracy()
    acc.update(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1]))
    acc.update(ms.Tensor(np.array([[1.0, 0.0]], np.float32)), np.array([[1, 0]]))   # one-hot
    assert acc.eval() == np.float64(3 / 4) and isinstance(acc.eval(), np.float64)
    loss = Loss()
    loss.update(ms.Tensor(np.float32(2.0)))
    loss.update(np.array([1.0, 3.0], np.float32))
    assert loss.eval() == np.float32(2.0) and isinstance(loss.eval(), np.float32)
    acc.clear()
    with pytest.raises(RuntimeError, match="the number of samples is 0"):
        acc.eval()
    with pytest.raises(ValueError, match="it needs 2 inputs"):
        acc.update(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="class number not match"):
        acc.update(np.zeros((2, 2)), np.zeros(2))
        acc.update(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="'eval_type' must be in"):
        Accuracy("regression")
    multi = Accuracy("multilabel")
    multi.update(np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1, 0, 1], [0, 1, 0]]))
    assert multi.eval() == 0.5
    assert Accuracy()(np.array([[0.0, 1.0]]), np.array([1])) == 1.0


def test_metric_names_and_types():
    model, _ = make_model(metrics={"acc", "loss", "accuracy"})
    assert sorted(model._metric_fns) == ["acc", "accuracy", "loss"]
    with pytest.raises(KeyError, match="Unsupported metric top9"):
        make_model(metrics={"top9"})
    with pytest.raises(TypeError, match="'metrics' should be None, dict or set"):
        make_model(metrics=["acc"])
    with pytest.raises(TypeError, match="must map str to Metric"):
        make_model(metrics={"a": 3})


def test_eval_against_hand_computed_accuracy_and_loss():
    model, net = make_model(metrics={"acc", "loss"})
    x, y = make_data(12, seed=3)
    model.train(2, make_dataset(x, y))
    w, b = net.weight.asnumpy(), net.bias.asnumpy()
    logits = x @ w.T + b
    result = model.eval(make_dataset(x, y))
    assert list(result) == ["acc", "loss"]
    assert result["acc"] == np.float64(np.mean(logits.argmax(1) == y))
    batch_losses = [_softmax_ce(logits[i:i + 4], y[i:i + 4]) for i in (0, 4, 8)]
    np.testing.assert_allclose(result["loss"], np.mean(batch_losses), rtol=1e-5)
    assert not net.training                       # eval put the network in inference mode


def test_eval_with_dict_metric_and_eval_callbacks():
    model, net = make_model(metrics={"Accuracy": Accuracy()})
    x, y = make_data(8)
    seen = []

    class Rec(Callback):
        def on_eval_step_end(self, rc):
            p = rc.original_args()
            seen.append((p.mode, p.cur_step_num, len(p.net_outputs)))

        def on_eval_end(self, rc):
            seen.append(("end", rc.original_args().metrics))

    res = model.eval(make_dataset(x, y), callbacks=Rec())
    logits = x @ net.weight.asnumpy().T + net.bias.asnumpy()
    assert res == {"Accuracy": np.mean(logits.argmax(1) == y)}
    assert seen == [("eval", 1, 3), ("eval", 2, 3), ("end", res)]


def test_eval_without_metrics_raises():
    model, _ = make_model()
    x, y = make_data(8)
    with pytest.raises(ValueError, match="'metrics' can not be None or empty"):
        model.eval(make_dataset(x, y))
    with pytest.raises(ValueError, match="If `metrics` is set, `eval_network` must not be None"):
        Model(make_net(), metrics={"acc"})


# ---- train ----------------------------------------------------------------------------------------
def test_train_matches_a_hand_loop():
    """Model.train == calling TrainOneStepCell on the same batches; losses are pre-update."""
    x, y = make_data(8)
    losses = []

    class Grab(Callback):
        def on_train_step_end(self, rc):
            losses.append(float(rc.original_args().net_outputs.asnumpy()))

    model, net = make_model(make_net(seed=5))
    model.train(2, make_dataset(x, y), callbacks=Grab())
    ref = make_net(seed=5)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(ref.trainable_params(), learning_rate=0.1, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(ref, loss), opt)
    w0, b0 = ref.weight.asnumpy().copy(), ref.bias.asnumpy().copy()
    np.testing.assert_allclose(losses[0], _softmax_ce(x[:4] @ w0.T + b0, y[:4]), rtol=1e-6)
    ref_losses = [float(step(ms.Tensor(x[i:i + 4]), ms.Tensor(y[i:i + 4])).asnumpy())
                  for _ in range(2) for i in (0, 4)]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-6)
    np.testing.assert_allclose(net.weight.asnumpy(), ref.weight.asnumpy(), rtol=1e-6)


def test_model_of_a_train_cell_and_network_building():
    net = make_net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    assert Model(train_net).train_network is train_net
    assert isinstance(Model(net, loss).train_network, nn.WithLossCell)
    built = Model(net, loss, opt).train_network
    assert isinstance(built, nn.TrainOneStepCell) and isinstance(built.network, nn.WithLossCell)
    before = net.weight.asnumpy().copy()
    x, y = make_data(8)
    Model(train_net).train(1, make_dataset(x, y))
    assert not np.array_equal(before, net.weight.asnumpy())
    assert net.training


def test_train_argument_errors():
    model, _ = make_model()
    x, y = make_data(8)
    ds = make_dataset(x, y)
    with pytest.raises(ValueError, match="'epoch' must bigger than parameter 'initial_epoch'"):
        model.train(2, ds, initial_epoch=2)
    with pytest.raises(ValueError, match="'sink_size' must be -1 or positive"):
        model.train(1, ds, sink_size=0)
    with pytest.raises(TypeError, match="'epoch' must be int"):
        model.train(1.5, ds)
    with pytest.raises(TypeError, match="must be a Cell"):
        Model("net")
    with pytest.raises(NotImplementedError, match="amp_level"):
        Model(make_net(), amp_level="O2")
    with pytest.raises(ValueError, match="'eval_indexes' must be a list or None"):
        Model(make_net(), eval_indexes=[0, 1])


def test_predict_and_fit(capsys):
    model, net = make_model(metrics={"acc"})
    x, y = make_data(8)
    out = model.predict(ms.Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), x @ net.weight.asnumpy().T + net.bias.asnumpy(),
                               rtol=1e-5)
    hist = History()
    model.fit(4, make_dataset(x, y), make_dataset(x, y), valid_frequency=2,
              callbacks=[LossMonitor(2), hist])
    lines = capsys.readouterr().out.splitlines()
    evals = [ln for ln in lines if ln.startswith("Eval result")]
    assert [ln.split(",")[0] for ln in evals] == ["Eval result: epoch 2", "Eval result: epoch 4"]
    assert evals[1].endswith(f"metrics: {{'acc': {model.eval(make_dataset(x, y))['acc']!r}}}")
    assert hist.epoch == [1, 2, 3, 4] and len(hist.history["acc"]) == 2
    with pytest.raises(ValueError, match="'valid_frequency' must be a positive int"):
        model.fit(1, make_dataset(x, y), make_dataset(x, y), valid_frequency=0)


# ---- resume ---------------------------------------------------------------------------------------
def test_resume_from_checkpoint_equals_uninterrupted_training(tmp_path):
    """4 epochs straight == 2 epochs, save (weights, moments, epoch/step), restore into a fresh
    model, and train(4, initial_epoch=2)."""
    x, y = make_data(12, seed=7)
    straight, _ = make_model(make_net(seed=11))
    straight.train(4, make_dataset(x, y))

    first, _ = make_model(make_net(seed=11))
    cfg = CheckpointConfig(save_checkpoint_steps=3, append_info=["epoch_num", "step_num"])
    ck = ModelCheckpoint("run", directory=str(tmp_path), config=cfg)
    first.train(2, make_dataset(x, y), callbacks=ck)
    assert ck.latest_ckpt_file_name.endswith("run-2_3.ckpt")

    params = load_checkpoint(ck.latest_ckpt_file_name)
    epoch_done = int(params["epoch_num"].asnumpy())
    assert epoch_done == 2 and int(params["step_num"].asnumpy()) == 6
    resumed, _ = make_model(make_net(seed=99))       # different init: everything must be loaded
    not_loaded, ckpt_not_loaded = load_param_into_net(resumed.train_network, params)
    assert not_loaded == [] and sorted(ckpt_not_loaded) == ["epoch_num", "step_num"]
    epochs = []

    class Epochs(Callback):
        def on_train_epoch_begin(self, rc):
            epochs.append((rc.original_args().cur_epoch_num, rc.original_args().epoch_num))

    resumed.train(4, make_dataset(x, y), callbacks=Epochs(), initial_epoch=epoch_done)
    assert epochs == [(3, 2), (4, 2)]
    want = values(straight.train_network.get_parameters())
    got = values(resumed.train_network.get_parameters())
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_resume_continues_a_per_step_learning_rate_schedule(tmp_path):
    """With a list learning rate the step count matters: train(4, initial_epoch=2) must pick
    the schedule up at step 6, not restart it at step 0."""
    x, y = make_data(12, seed=3)
    schedule = [0.2 * 0.7 ** i for i in range(12)]
    straight, _ = make_model(make_net(seed=5), lr=schedule)
    straight.train(4, make_dataset(x, y))
    first, _ = make_model(make_net(seed=5), lr=schedule)
    first.train(2, make_dataset(x, y))
    resumed, _ = make_model(make_net(seed=6), lr=schedule)
    load_param_into_net(resumed.train_network,
                        {p.name: p for p in first.train_network.get_parameters()})
    resumed.train(4, make_dataset(x, y), initial_epoch=2)
    want = values(straight.train_network.get_parameters())
    for name, got in values(resumed.train_network.get_parameters()).items():
        np.testing.assert_allclose(got, want[name], rtol=1e-6, atol=1e-7, err_msg=name)
