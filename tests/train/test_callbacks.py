"""Callbacks: hook order and counts, request_stop, LossMonitor / TimeMonitor text, History."""
import logging
import re

import numpy as np
import pytest

from minispore.train import callback as cbmod
from minispore.train.callback import (Callback, History, LossMonitor, RunContext, TimeMonitor)
from minispore.train.callback._callback import CallbackManager, InternalCallbackParam

from _train_helpers import make_data, make_dataset, make_model, make_net


class Recorder(Callback):
    """Records every 2.x hook with (epoch, step)."""

    def __init__(self, stop_at=None):
        self.calls = []
        self.stop_at = stop_at

    def _rec(self, name, rc):
        p = rc.original_args()
        self.calls.append((name, p.get("cur_epoch_num"), p.get("cur_step_num")))

    def on_train_begin(self, rc):
        self._rec("train_begin", rc)

    def on_train_epoch_begin(self, rc):
        self._rec("epoch_begin", rc)

    def on_train_step_begin(self, rc):
        self._rec("step_begin", rc)

    def on_train_step_end(self, rc):
        self._rec("step_end", rc)
        if self.stop_at is not None and rc.original_args().cur_step_num == self.stop_at:
            rc.request_stop()

    def on_train_epoch_end(self, rc):
        self._rec("epoch_end", rc)

    def on_train_end(self, rc):
        self._rec("train_end", rc)


def _two_by_two(callbacks, epoch=2, initial_epoch=0):
    model, _ = make_model()
    x, y = make_data(8)
    model.train(epoch, make_dataset(x, y, 4), callbacks=callbacks, initial_epoch=initial_epoch)
    return model


def test_call_order_two_epochs_two_steps():
    rec = Recorder()
    _two_by_two(rec)
    assert rec.calls == [
        ("train_begin", None, 0),
        ("epoch_begin", 1, 0), ("step_begin", 1, 1), ("step_end", 1, 1),
        ("step_begin", 1, 2), ("step_end", 1, 2), ("epoch_end", 1, 2),
        ("epoch_begin", 2, 2), ("step_begin", 2, 3), ("step_end", 2, 3),
        ("step_begin", 2, 4), ("step_end", 2, 4), ("epoch_end", 2, 4),
        ("train_end", 2, 4)]


def test_old_names_are_called_through_new_ones_and_warned(caplog):
    class Old(Callback):
        def __init__(self):
            self.counts = {}

        def _bump(self, name):
            self.counts[name] = self.counts.get(name, 0) + 1

        def begin(self, rc):
            self._bump("begin")

        def epoch_begin(self, rc):
            self._bump("epoch_begin")

        def step_begin(self, rc):
            self._bump("step_begin")

        def step_end(self, rc):
            self._bump("step_end")

        def epoch_end(self, rc):
            self._bump("epoch_end")

        def end(self, rc):
            self._bump("end")

    old = Old()
    with caplog.at_level(logging.WARNING, logger="minispore"):
        _two_by_two(old)
    assert old.counts == {"begin": 1, "epoch_begin": 2, "step_begin": 4, "step_end": 4,
                          "epoch_end": 2, "end": 1}
    text = caplog.text
    assert "For Old callback, {" in text
    assert "methods may not be supported in later version, Use methods prefixed with " \
           "'on_train' or 'on_eval' instead when using customized callbacks." in text
    for name in ("'begin'", "'end'", "'step_end'", "'epoch_begin'"):
        assert name in text


def test_builtin_callbacks_do_not_warn(caplog, capsys):
    with caplog.at_level(logging.WARNING, logger="minispore"):
        _two_by_two([LossMonitor(0), TimeMonitor(), History()])
    assert "may not be supported" not in caplog.text


def test_cb_params_fields():
    seen = {}

    class Grab(Callback):
        def on_train_begin(self, rc):
            seen["begin"] = set(rc.original_args())

        def on_train_step_end(self, rc):
            seen["step"] = dict(rc.original_args())

    model = _two_by_two(Grab(), epoch=3, initial_epoch=1)
    assert {"batch_num", "cur_step_num", "dataset_sink_mode", "device_number", "epoch_num",
            "initial_step", "last_save_ckpt_step", "latest_ckpt_file", "list_callback",
            "loss_fn", "loss_scale_mananger", "mode", "network", "optimizer", "parallel_mode",
            "train_dataset", "train_dataset_element", "train_network"} <= seen["begin"]
    p = seen["step"]
    assert p["mode"] == "train" and p["batch_num"] == 2 and p["epoch_num"] == 2
    assert p["cur_epoch_num"] == 3 and p["cur_step_num"] == 4       # global, restarted at 0
    assert p["train_network"] is model.train_network and p["network"] is model._network
    assert p["net_outputs"].shape == () and p["dataset_sink_mode"] is False


def test_request_stop_stops_after_the_current_step():
    rec = Recorder(stop_at=3)
    _two_by_two(rec, epoch=5)
    names = [c[0] for c in rec.calls]
    assert names.count("step_end") == 3
    assert names[-3:] == ["step_end", "epoch_end", "train_end"]
    assert rec.calls[-1] == ("train_end", 2, 3)


def test_bad_callbacks_raise_type_error():
    with pytest.raises(TypeError, match="is not a Callback or a list of Callback"):
        _two_by_two(object())
    with pytest.raises(TypeError, match="the elements in 'callbacks' must be Callback"):
        _two_by_two([LossMonitor(), 3])
    with pytest.raises(TypeError, match="should be dict type"):
        RunContext([1])


def test_run_context_and_cb_params():
    p = InternalCallbackParam(a=1)
    p.b = 2
    rc = RunContext(p)
    assert rc.original_args() is p and p["b"] == 2 and p.a == 1
    assert not rc.get_stop_requested()
    rc.request_stop()
    assert rc.get_stop_requested()
    with pytest.raises(AttributeError, match="no field 'zz'"):
        _ = p.zz
    assert CallbackManager(None).callbacks == []


def test_loss_monitor_text(capsys):
    model, _ = make_model(make_net(zeros=True))
    x, y = make_data(12)
    model.train(2, make_dataset(x, y, 4), callbacks=LossMonitor(2))
    lines = capsys.readouterr().out.splitlines()
    # every 2 steps of the global count: steps 2, 4 (= epoch 2 step 1), 6 (= epoch 2 step 3)
    assert [ln.split(",")[0] for ln in lines] == ["epoch: 1 step: 2", "epoch: 2 step: 1",
                                                  "epoch: 2 step: 3"]
    for ln in lines:
        value = ln.split("loss is ")[1]
        assert value == str(np.float32(value))     # numpy float32 str, not the float repr


def test_loss_monitor_first_loss_is_ln3(capsys):
    model, _ = make_model(make_net(zeros=True))
    x, y = make_data(8)
    model.train(1, make_dataset(x, y, 4), callbacks=LossMonitor())
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "epoch: 1 step: 1, loss is " + str(np.float32(np.log(3.0)))
    assert first == "epoch: 1 step: 1, loss is 1.0986123"


def test_loss_monitor_zero_never_prints_and_validates(capsys):
    _two_by_two(LossMonitor(0))
    assert capsys.readouterr().out == ""
    for bad in (-1, 1.5, "2"):
        with pytest.raises(ValueError, match="'per_print_times' must be int and >= 0"):
            LossMonitor(bad)


def test_loss_monitor_nan_raises_with_mindspore_message():
    model, _ = make_model()
    x, y = make_data(12)
    x[9] = np.nan                                   # third batch of the first epoch
    with pytest.raises(ValueError) as err:
        model.train(1, make_dataset(x, y, 4), callbacks=LossMonitor(100))
    assert str(err.value) == ("In epoch: 1 step: 3, loss is NAN or INF, training process cannot "
                              "continue, terminating training.")


class _Clock:
    def __init__(self, times):
        self._times = list(times)

    def time(self):
        return self._times.pop(0)


def test_time_monitor_format(monkeypatch, capsys):
    monkeypatch.setattr(cbmod._time_monitor, "time", _Clock([0.0, 100.0, 100.654272]))
    tm = TimeMonitor()
    p = InternalCallbackParam(batch_num=2, mode="train")
    tm.on_train_epoch_begin(RunContext(p))
    tm.on_train_epoch_end(RunContext(p))
    assert capsys.readouterr().out == \
        "Train epoch time: 654.272 ms, per step time: 327.136 ms\n"


def test_time_monitor_in_training_and_validation(capsys):
    _two_by_two(TimeMonitor(data_size=7))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for ln in lines:
        assert re.fullmatch(r"Train epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms", ln)
    with pytest.raises(ValueError, match="must be int and must > 0, but got '0'"):
        TimeMonitor(0)


def test_history_records_epoch_losses():
    hist, rec_losses = History(), []

    class Last(Callback):
        def on_train_epoch_end(self, rc):
            rec_losses.append(np.mean(rc.original_args().net_outputs.asnumpy()))

    _two_by_two([hist, Last()], epoch=3)
    assert hist.epoch == [1, 2, 3]
    assert hist.history["net_output"] == rec_losses
