"""models/lenet/train.py and eval.py on a tiny generated IDX dataset (96 train / 32 test images):
same seed -> same checkpoint bytes, resume == uninterrupted run, the metrics log, clear errors."""
import json
import os

import numpy as np
import pytest

from _idx import write_idx
from _idx import load_lenet as _load


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_idx(tmp_path_factory.mktemp("idx"))


@pytest.fixture(scope="module")
def train():
    return _load("train")


def _run(train, data, ckpt_dir, *extra):
    return train.main(["--data", data, "--ckpt-dir", str(ckpt_dir), "--plain", *extra])


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def test_same_seed_same_bytes_and_resume(train, data, tmp_path, capsys):
    a = _run(train, data, tmp_path / "a", "--epochs", "2")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Data: {data}"
    assert "epoch 1/2: mean loss" in out and "Final test accuracy:" in out
    assert os.path.basename(a["checkpoint"]) == "lenet-2_3.ckpt"
    b = _run(train, data, tmp_path / "b", "--epochs", "2")
    assert _read(a["checkpoint"]) == _read(b["checkpoint"])
    assert [r["mean_loss"] for r in a["rows"]] == [r["mean_loss"] for r in b["rows"]]

    # the metrics log: one JSON line per epoch
    rows = [json.loads(line) for line in open(a["log"], encoding="utf-8")]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[-1]["checkpoint"] == "lenet-2_3.ckpt"
    assert 0.0 <= rows[-1]["test_accuracy"] <= 1.0 and rows[0]["steps"] == 3

    # a different seed gives different weights
    c = _run(train, data, tmp_path / "c", "--epochs", "1", "--seed", "2")
    assert _read(c["checkpoint"]) != _read(os.path.join(tmp_path / "a", "lenet-1_3.ckpt"))

    # resume from epoch 1's checkpoint (weights, moments, epoch) == the uninterrupted run
    r = _run(train, data, tmp_path / "a", "--epochs", "2", "--async-save",
             "--resume", os.path.join(tmp_path / "a", "lenet-1_3.ckpt"))
    out = capsys.readouterr().out
    assert "Resuming from" in out and "after epoch 1" in out
    assert os.path.basename(r["checkpoint"]) == "lenet_1-2_3.ckpt"   # MindSpore's prefix rule
    assert _read(r["checkpoint"]) == _read(a["checkpoint"])
    assert r["accuracy"] == a["accuracy"]


def test_resume_errors_and_keep_max(train, data, tmp_path, capsys):
    done = _run(train, data, tmp_path, "--epochs", "3", "--keep-max", "2")
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith(".ckpt"))
    assert files == ["lenet-2_3.ckpt", "lenet-3_3.ckpt"]
    with pytest.raises(SystemExit) as e:
        _run(train, data, tmp_path / "x", "--epochs", "3", "--resume", done["checkpoint"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "already finished epoch 3" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        _run(train, data, tmp_path / "x", "--resume", str(tmp_path / "missing.ckpt"))
    assert "no such file" in capsys.readouterr().err


def test_bad_data_folder_is_one_line(train, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "absent"):
        with pytest.raises(SystemExit) as e:
            train.main(["--data", str(folder), "--ckpt-dir", str(tmp_path / "ck")])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(folder) in err
        assert "train-images-idx3-ubyte" in err and "t10k-labels-idx1-ubyte" in err
    assert not (tmp_path / "ck").exists()


def test_eval_confusion_matrix(train, data, tmp_path, capsys):
    done = _run(train, data, tmp_path, "--epochs", "1")
    ev = _load("eval")
    result = ev.main([done["checkpoint"], "--data", data, "--batch-size", "7"])
    out = capsys.readouterr().out
    assert result["matrix"].sum() == 32 and result["matrix"].shape == (10, 10)
    assert result["accuracy"] == pytest.approx(done["accuracy"])
    assert "true \\ pred" in out and "recall" in out
    with pytest.raises(SystemExit):
        ev.main([done["log"], "--data", data])
    assert "not a readable checkpoint" in capsys.readouterr().err


class _Stream:
    def __init__(self, tty):
        self.tty, self.parts = tty, []

    def isatty(self):
        return self.tty

    def write(self, s):
        self.parts.append(s)

    def flush(self):
        pass


def _drive(progress, epochs=1, steps=4):
    from minispore import Tensor
    from minispore.train.callback import RunContext
    from minispore.train.callback._callback import InternalCallbackParam
    cb = InternalCallbackParam(batch_num=steps, cur_step_num=0, epoch_num=epochs,
                               initial_epoch=0)
    ctx = RunContext(cb)
    progress.on_train_begin(ctx)
    for e in range(1, epochs + 1):
        cb.cur_epoch_num = e
        progress.on_train_epoch_begin(ctx)
        for _ in range(steps):
            cb.cur_step_num += 1
            cb.net_outputs = Tensor(np.float32(0.5))
            progress.on_train_step_end(ctx)
        progress.on_train_epoch_end(ctx)


def test_progress_line_tty_and_plain():
    from minispore.train.callback import ProgressBar
    tty = _Stream(True)
    bar = ProgressBar(32, stream=tty, min_interval=0.0)
    _drive(bar)
    text = "".join(tty.parts)
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "4/4" in text and "loss 0.5000" in text and "img/s" in text and "ETA" in text
    assert bar.last_epoch["steps"] == 4 and bar.last_epoch["mean_loss"] == 0.5

    plain = _Stream(False)
    _drive(ProgressBar(32, stream=plain, plain_lines=2))
    text = "".join(plain.parts)
    assert "\r" not in text and text.count("epoch 1/1") == 2   # steps 2 and 4
