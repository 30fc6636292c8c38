"""The library's training UI callbacks (ProgressBar, EpochReport) on a model that is not LeNet:
a Dense(4, 3) classifier on 8 generated samples."""
import json

import numpy as np
import pytest

from minispore import nn
from minispore.train.callback import EpochReport, ProgressBar, read_metrics_log

from _train_helpers import make_data, make_dataset, make_model


def _mean_loss_by_hand(net, x, y):
    """Softmax cross-entropy of the current weights, in float64 numpy."""
    z = x.astype(np.float64) @ net.weight.asnumpy().T.astype(np.float64) + net.bias.asnumpy()
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def test_epoch_report_without_progress_bar(tmp_path, capsys):
    x, y = make_data(8)
    model, net = make_model(metrics={"Accuracy": nn.Accuracy(), "Loss": nn.Loss()})
    log = tmp_path / "m.jsonl"
    report = EpochReport(model, make_dataset(x, y, batch_size=8), log_path=str(log))
    model.train(2, make_dataset(x, y, batch_size=8), callbacks=[report])
    rows = read_metrics_log(str(log))
    assert rows == json.loads(json.dumps(report.rows))
    assert [r["epoch"] for r in rows] == [1, 2] and rows[0]["steps"] == 1
    # test metrics are the model's own at the end of the epoch: recompute them by hand
    assert rows[-1]["test_loss"] == pytest.approx(_mean_loss_by_hand(net, x, y), rel=1e-5)
    pred = (x @ net.weight.asnumpy().T + net.bias.asnumpy()).argmax(axis=1)
    assert rows[-1]["test_accuracy"] == pytest.approx(float((pred == y).mean()))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch 1/2: mean loss ") and "test accuracy" in out[0]
    assert "test loss" in out[0] and "img/s" not in out[0]


def test_epoch_report_with_progress_bar_uses_its_epoch(tmp_path, capsys):
    x, y = make_data(8)
    model, _ = make_model(metrics={"Accuracy": nn.Accuracy()})
    bar = ProgressBar(4, live=False)
    report = EpochReport(model, make_dataset(x, y), progress=bar, test_images=8)
    model.train(1, make_dataset(x, y), callbacks=[bar, report])
    row = report.rows[0]
    assert row["steps"] == 2 and row["mean_loss"] == bar.last_epoch["mean_loss"]
    out = capsys.readouterr().out
    assert f"({round(row['test_accuracy'] * 8)}/8)" in out and "img/s" in out


def test_bad_arguments_and_bad_log(tmp_path):
    x, y = make_data(8)
    model, _ = make_model()
    with pytest.raises(TypeError, match="EpochReport: 'model' must be a Model"):
        EpochReport("model", None)
    with pytest.raises(ValueError, match="does not exist"):
        EpochReport(model, make_dataset(x, y), log_path=str(tmp_path / "no" / "m.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"epoch": 1}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl, line 2"):
        read_metrics_log(str(bad))
