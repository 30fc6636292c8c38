"""CheckpointConfig validation and ModelCheckpoint: names, when it saves, rotation, async, what
is saved (append_info, saved_network)."""
import os
import re

import numpy as np
import pytest

import minispore as ms
from minispore import nn
from minispore.train import load_checkpoint
from minispore.train import serialization
from minispore.train.callback import Callback, CheckpointConfig, LossMonitor, ModelCheckpoint
from minispore.train.callback import _checkpoint as ckmod

from _train_helpers import make_data, make_dataset, make_model, make_net, values


def _train(tmp_path, prefix="A", epochs=3, n=8, batch=4, callbacks=(), before=(), **cfg):
    """Train epochs x (n / batch) steps with a ModelCheckpoint; returns (callback, model)."""
    model, _ = make_model()
    x, y = make_data(n)
    ck = ModelCheckpoint(prefix, directory=str(tmp_path), config=CheckpointConfig(**cfg))
    model.train(epochs, make_dataset(x, y, batch), callbacks=[*before, ck, *callbacks])
    return ck, model


class _StepClock(Callback):
    """A fake ``time.time`` for the checkpoint module: ``seconds_per_step * (step - 1)``, set
    before ModelCheckpoint's step end runs (so it does not matter how often time is read)."""

    def __init__(self, monkeypatch, seconds_per_step, start=0.0):
        self.now = start
        self.per_step = seconds_per_step
        monkeypatch.setattr(ckmod, "time", self)

    def time(self):
        return self.now

    def on_train_step_end(self, rc):
        self.now = self.per_step * rc.original_args().cur_step_num


def _ckpts(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".ckpt"))


# ---- CheckpointConfig --------------------------------------------------------------------------
def test_config_defaults_and_policy():
    cfg = CheckpointConfig()
    assert cfg.get_checkpoint_policy() == {
        "save_checkpoint_steps": 1, "save_checkpoint_seconds": None, "keep_checkpoint_max": 5,
        "keep_checkpoint_per_n_minutes": None, "saved_network": None}
    assert cfg.async_save is False and cfg.integrated_save is True and cfg.append_dict is None
    seconds = CheckpointConfig(save_checkpoint_steps=0, save_checkpoint_seconds=10,
                               keep_checkpoint_max=0, keep_checkpoint_per_n_minutes=2)
    assert seconds.get_checkpoint_policy() == {
        "save_checkpoint_steps": 0, "save_checkpoint_seconds": 10, "keep_checkpoint_max": 0,
        "keep_checkpoint_per_n_minutes": 2, "saved_network": None}
    assert CheckpointConfig(keep_checkpoint_max=0).keep_checkpoint_max == 1


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"save_checkpoint_steps": -1}, ValueError,
     "The input value must be int and must >= 0, but got '-1' with type 'int'."),
    ({"keep_checkpoint_max": 1.5}, TypeError,
     "The input value must be int and must >= 0, but got '1.5' with type 'float'."),
    ({"save_checkpoint_steps": 0, "save_checkpoint_seconds": 0, "keep_checkpoint_max": 0,
      "keep_checkpoint_per_n_minutes": 0}, ValueError,
     "For 'CheckpointConfig', the input arguments 'save_checkpoint_steps', "
     "'save_checkpoint_seconds', 'keep_checkpoint_max' and 'keep_checkpoint_per_n_minutes' "
     "can't be all None or 0."),
    ({"saved_network": 3}, TypeError,
     "For 'CheckpointConfig', the type of 'saved_network' must be None or Cell, but got "
     "<class 'int'>."),
    ({"append_info": ["foo"]}, ValueError,
     "For 'CheckpointConfig', the value of element in the argument 'append_info' must be in "
     "['epoch_num', 'step_num'], but got foo."),
    ({"append_info": "epoch_num"}, TypeError, "the type of 'append_info' must be list"),
    ({"append_info": [{"a": 1}, {"b": 2}]}, TypeError, "must has only one dict, but got 2"),
    ({"append_info": [{"a": [1]}]}, TypeError, "the key type of the dict 'append_info'"),
    ({"async_save": "fork"}, ValueError, "'async_save' must be bool, 'thread' or 'process'"),
    ({"enc_key": b"0123456789abcdef"}, NotImplementedError, "encrypted"),
])
def test_config_validation_messages(kwargs, exc, msg):
    with pytest.raises(exc) as err:
        CheckpointConfig(**kwargs)
    assert msg in str(err.value)


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError) as err:
        ModelCheckpoint("a/b", directory=str(tmp_path))
    assert str(err.value) == ("For 'ModelCheckpoint', the argument 'prefix' for checkpoint file "
                              "name is invalid, it must be callable or string that does not "
                              "contain '/', but got a/b.")
    with pytest.raises(TypeError, match="must be 'CheckpointConfig'"):
        ModelCheckpoint("a", directory=str(tmp_path), config={"save_checkpoint_steps": 1})
    ModelCheckpoint("a", directory=str(tmp_path / "new" / "dir"))
    assert (tmp_path / "new" / "dir").is_dir()


# ---- names and when saves happen ---------------------------------------------------------------
def test_file_names_every_step_keep_5(tmp_path):
    ck, _ = _train(tmp_path, "B", epochs=4)         # 8 steps, default config
    assert _ckpts(tmp_path) == ["B-2_2.ckpt", "B-3_1.ckpt", "B-3_2.ckpt", "B-4_1.ckpt",
                                "B-4_2.ckpt"]
    assert ck.latest_ckpt_file_name == str(tmp_path / "B-4_2.ckpt")


def test_steps_four_over_six_forces_the_last_save(tmp_path):
    _train(tmp_path, "A", epochs=3, save_checkpoint_steps=4)
    assert _ckpts(tmp_path) == ["A-2_2.ckpt", "A-3_2.ckpt"]


def test_steps_two_over_six_has_no_extra_file(tmp_path):
    _train(tmp_path, "A", epochs=3, save_checkpoint_steps=2)
    assert _ckpts(tmp_path) == ["A-1_2.ckpt", "A-2_2.ckpt", "A-3_2.ckpt"]


def test_step_in_epoch_with_three_steps_per_epoch(tmp_path):
    _train(tmp_path, "C", epochs=2, n=12, save_checkpoint_steps=2)
    assert _ckpts(tmp_path) == ["C-1_2.ckpt", "C-2_1.ckpt", "C-2_3.ckpt"]


def test_seconds_based_saving(tmp_path, monkeypatch):
    # constructor at t=0; step ends at t = 4, 8, 12, 16, 20, 24: save when > 10 s since last save
    clock = _StepClock(monkeypatch, 4.0)
    _train(tmp_path, "S", epochs=3, save_checkpoint_steps=0, save_checkpoint_seconds=10,
           before=[clock])
    # saved at 12 s (step 3 = 2_1) and 24 s (step 6 = 3_2); the end save is not repeated
    assert _ckpts(tmp_path) == ["S-2_1.ckpt", "S-3_2.ckpt"]


def test_prefix_collision_rule(tmp_path):
    (tmp_path / "lenet-2_2.ckpt").write_bytes(b"")
    (tmp_path / "lenetx-1_1.ckpt").write_bytes(b"")          # letter after prefix: ignored
    (tmp_path / "lenet_7-1_1_breakpoint.ckpt").write_bytes(b"")
    (tmp_path / "lenet_9-1_1.txt").write_bytes(b"")
    assert ModelCheckpoint("lenet", directory=str(tmp_path)).prefix == "lenet_1"
    (tmp_path / "lenet_1-1_2.ckpt").write_bytes(b"")
    assert ModelCheckpoint("lenet", directory=str(tmp_path)).prefix == "lenet_2"
    assert ModelCheckpoint("other", directory=str(tmp_path)).prefix == "other"
    # decided when the first file is written (issue 15.10): files appearing before that count
    ck = ModelCheckpoint("late", directory=str(tmp_path))
    (tmp_path / "late-9_9.ckpt").write_bytes(b"")
    assert ck.prefix == "late_1"


@pytest.mark.parametrize("async_save", [False, True])
def test_two_callbacks_made_before_training_share_no_prefix(tmp_path, async_save):
    """Two ModelCheckpoints created before either trains, same folder and prefix: each gets its
    own prefix and neither rotates the other's files away (keep 2 of 4 saves each)."""
    cks = [ModelCheckpoint("net", directory=str(tmp_path),
                           config=CheckpointConfig(keep_checkpoint_max=2, async_save=async_save))
           for _ in range(2)]
    for ck in cks:
        model, _ = make_model()
        x, y = make_data(8)
        model.train(2, make_dataset(x, y, 4), callbacks=[ck])
    assert [ck.prefix for ck in cks] == ["net", "net_1"]
    assert _ckpts(tmp_path) == ["net-2_1.ckpt", "net-2_2.ckpt", "net_1-2_1.ckpt", "net_1-2_2.ckpt"]


def test_two_processes_claim_distinct_prefixes(tmp_path):
    """The lock file serializes processes: 4 processes started together, each saving once."""
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = ("import sys; sys.path.insert(0, %r); sys.path.insert(0, %r)\n"
            "from minispore.train.callback import ModelCheckpoint, CheckpointConfig\n"
            "from _train_helpers import make_data, make_dataset, make_model\n"
            "ck = ModelCheckpoint('p', directory=%r, config=CheckpointConfig(keep_checkpoint_max=1))\n"
            "model, _ = make_model(); x, y = make_data(4)\n"
            "model.train(1, make_dataset(x, y, 4), callbacks=[ck]); print(ck.prefix)\n"
            ) % (root, os.path.join(root, "tests"), str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    prefixes = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(prefixes) == ["p", "p_1", "p_2", "p_3"]
    assert len(_ckpts(tmp_path)) == 4


def test_interrupted_async_training_leaves_keep_max_files(tmp_path):
    """Training interrupted (KeyboardInterrupt from a callback, as Ctrl-C would) with async saves:
    the last file is rotated by the writer itself, so keep_checkpoint_max holds once it ends."""
    class Interrupt(Callback):
        def on_train_step_end(self, rc):
            if rc.original_args().cur_step_num == 5:
                raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, "I", epochs=4, keep_checkpoint_max=2, async_save=True,
               callbacks=[Interrupt()])
    serialization.wait_async_saves()                   # what interpreter exit does
    assert _ckpts(tmp_path) == ["I-2_2.ckpt", "I-3_1.ckpt"]


def test_second_run_in_same_folder_uses_prefix_1(tmp_path):
    _train(tmp_path, "lenet", epochs=2, keep_checkpoint_max=1)
    assert _ckpts(tmp_path) == ["lenet-2_2.ckpt"]
    _train(tmp_path, "lenet", epochs=1, save_checkpoint_steps=2)
    assert _ckpts(tmp_path) == ["lenet-2_2.ckpt", "lenet_1-1_2.ckpt"]


def test_callable_prefix(tmp_path):
    model, _ = make_model()
    x, y = make_data(8)
    ck = ModelCheckpoint(lambda p: f"net_e{p.cur_epoch_num}_s{p.cur_step_num}",
                         directory=str(tmp_path), config=CheckpointConfig(save_checkpoint_steps=2))
    model.train(2, make_dataset(x, y), callbacks=ck)
    assert _ckpts(tmp_path) == ["net_e1_s2.ckpt", "net_e2_s4.ckpt"]


# ---- rotation -----------------------------------------------------------------------------------
def test_rotation_touches_only_own_files_and_orders_by_epoch_step(tmp_path):
    foreign = ["notes-1_1.ckpt", "weights.ckpt"]
    for name in foreign:
        (tmp_path / name).write_bytes(b"foreign")

    class Meddler(Callback):
        """After every step: plant a foreign file with our prefix, and make our newest files
        look oldest by mtime (MindSpore would delete them first)."""

        def on_train_step_end(self, rc):
            p = rc.original_args()
            plant = tmp_path / f"R-0_{p.cur_step_num}.ckpt"
            plant.write_bytes(b"not ours")
            for i, f in enumerate(sorted(tmp_path.glob("R-[1-9]*.ckpt"), reverse=True)):
                os.utime(f, (1000 + i, 1000 + i))

    _train(tmp_path, "R", epochs=3, keep_checkpoint_max=2, callbacks=[Meddler()])
    ours = [f for f in _ckpts(tmp_path) if re.fullmatch(r"R-[1-9]_\d\.ckpt", f)]
    assert ours == ["R-3_1.ckpt", "R-3_2.ckpt"]
    for name in foreign + [f"R-0_{i}.ckpt" for i in range(1, 7)]:
        assert (tmp_path / name).exists(), name


def test_old_file_is_deleted_only_after_the_new_one_is_written(tmp_path, monkeypatch):
    real = ckmod.save_checkpoint
    calls = []

    def failing(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ckmod, "save_checkpoint", failing)
    with pytest.raises(OSError, match="disk full"):
        _train(tmp_path, "K", epochs=2, keep_checkpoint_max=1)
    assert _ckpts(tmp_path) == ["K-1_2.ckpt"]     # the last good file survives the failed save


def test_keep_one_per_n_minutes(tmp_path, monkeypatch):
    # saves at 20, 40, ..., 120 s; 1-minute windows start at the saves at 20 s (step 1) and
    # 80 s (step 4): each window keeps its first and its newest file
    clock = _StepClock(monkeypatch, 20.0)
    _train(tmp_path, "M", epochs=3, keep_checkpoint_max=0, keep_checkpoint_per_n_minutes=1,
           before=[clock])
    assert _ckpts(tmp_path) == ["M-1_1.ckpt", "M-2_1.ckpt", "M-2_2.ckpt", "M-3_2.ckpt"]


# ---- what is saved ------------------------------------------------------------------------------
def test_append_info_entries(tmp_path):
    _train(tmp_path, "I", epochs=2, save_checkpoint_steps=4,
           append_info=["epoch_num", "step_num", {"lr": 0.5, "tag": "run1", "flag": True}])
    params = load_checkpoint(str(tmp_path / "I-2_2.ckpt"))
    assert list(params) == ["weight", "bias", "global_step", "learning_rate", "momentum",
                            "moments.weight",
                            "moments.bias", "epoch_num", "step_num", "lr", "tag", "flag"]
    assert params["epoch_num"].dtype == ms.int64 and params["epoch_num"].shape == ()
    assert int(params["epoch_num"].asnumpy()) == 2 and int(params["step_num"].asnumpy()) == 4
    assert params["lr"].dtype == ms.float32 and float(params["lr"].asnumpy()) == 0.5
    assert params["tag"] == "run1" and bool(params["flag"].asnumpy()) is True


def test_saved_network_only_saves_that_cell(tmp_path):
    """The guide's flow: Model(train_net) with saved_network=network."""
    net = make_net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    model = ms.train.Model(train_net)
    x, y = make_data(8)
    ck = ModelCheckpoint(prefix="lenet", directory=str(tmp_path),
                         config=CheckpointConfig(saved_network=net))
    model.train(1, make_dataset(x, y), callbacks=[ck, LossMonitor(625)])
    files = _ckpts(tmp_path)
    assert files == ["lenet-1_1.ckpt", "lenet-1_2.ckpt"]
    saved = values(load_checkpoint(str(tmp_path / "lenet-1_2.ckpt")))
    assert list(saved) == ["weight", "bias"]
    np.testing.assert_array_equal(saved["weight"], net.weight.asnumpy())
    full = ModelCheckpoint("full", directory=str(tmp_path))
    assert full.prefix == "full"


def test_values_are_those_after_the_step(tmp_path):
    class Snap(Callback):
        def __init__(self):
            self.weights = []

        def on_train_step_end(self, rc):
            self.weights.append(rc.original_args().network.weight.asnumpy().copy())

    snap = Snap()
    _train(tmp_path, "V", epochs=1, callbacks=[snap])
    for i, name in enumerate(["V-1_1.ckpt", "V-1_2.ckpt"]):
        np.testing.assert_array_equal(
            load_checkpoint(str(tmp_path / name))["weight"].asnumpy(), snap.weights[i])


# ---- async ---------------------------------------------------------------------------------------
def test_async_save_matches_sync(tmp_path):
    sync_dir, async_dir = tmp_path / "sync", tmp_path / "async"
    ck_s, _ = _train(sync_dir, "A", epochs=3, keep_checkpoint_max=3,
                     append_info=["epoch_num", "step_num"])
    ck_a, _ = _train(async_dir, "A", epochs=3, keep_checkpoint_max=3, async_save=True,
                     append_info=["epoch_num", "step_num"])
    assert _ckpts(sync_dir) == _ckpts(async_dir) == ["A-2_2.ckpt", "A-3_1.ckpt", "A-3_2.ckpt"]
    for name in _ckpts(sync_dir):
        assert (sync_dir / name).read_bytes() == (async_dir / name).read_bytes()
    assert ck_a.latest_ckpt_file_name == str(async_dir / "A-3_2.ckpt")


def test_async_save_error_surfaces_in_training(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("simulated write failure")

    monkeypatch.setattr(serialization, "_write_file", broken)
    with pytest.raises(OSError, match="simulated write failure"):
        _train(tmp_path, "E", epochs=1, async_save=True)
    assert _ckpts(tmp_path) == []
