"""The pictures: TrainingCurves (any model), LeNet train.py / eval.py --plot, benchmarks --plot.

Every PNG a script writes is opened: PNG signature, pixel size from its IHDR header, decoded by
matplotlib.image.imread, and not blank (pixel variance above a threshold). The values drawn are
compared with the metrics log they come from. Without matplotlib (simulated by replacing the
soft import) the scripts still run and print the hint exactly once.
"""
import json
import os
import sys

import numpy as np
import pytest

import minispore as ms
from minispore import _plotting, nn
from minispore.train.callback import (Callback, EpochReport, TrainingCurves,
                                      read_metrics_log)
from minispore.train.callback._plot import smooth

from _png import check_png
from _train_helpers import make_data, make_dataset, make_net
from _idx import load_lenet as _load, write_idx

pytest.importorskip("matplotlib", reason="the picture paths need matplotlib (the plot extra)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HINT = "pip install matplotlib"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_idx(tmp_path_factory.mktemp("idx"))


@pytest.fixture(scope="module")
def train():
    return _load("train")


def _no_matplotlib(monkeypatch):
    monkeypatch.setattr(_plotting, "load_matplotlib", lambda: None)


def test_smooth_is_debiased_ema():
    v = [4.0, 2.0, 6.0]
    w = 0.5
    # by hand: a1 = 0.5*4 = 2 -> 2/0.5 = 4; a2 = 0.5*2 + 0.5*2 = 2 -> 2/0.75;
    # a3 = 0.5*2 + 0.5*6 = 4 -> 4/0.875
    assert smooth(v, w) == pytest.approx([4.0, 2.0 / 0.75, 4.0 / 0.875])
    assert smooth(v, 0.0) == pytest.approx(v)


class _CheckEachEpoch(Callback):
    """After TrainingCurves: the PNG on disk is complete and shows every epoch so far."""

    def __init__(self, curves):
        super().__init__()
        self.curves, self.seen = curves, []

    def on_train_epoch_end(self, run_context):
        epoch = run_context.original_args().cur_epoch_num
        check_png(self.curves.png_path, size=(640, 256))
        assert self.curves.plotted["epoch"] == list(range(1, epoch + 1))
        folder = os.path.dirname(self.curves.png_path)
        assert not [f for f in os.listdir(folder) if f.endswith(".tmp")]
        self.seen.append(epoch)


def test_curves_any_model_every_epoch_with_lr_schedule(tmp_path):
    """A Dense classifier with a decaying learning-rate list: the PNG is complete after every
    epoch, the drawn points are the log's, and the learning rate drawn is the schedule's."""
    x, y = make_data(16)
    net = make_net()
    lr = [0.1, 0.1, 0.05, 0.05, 0.02, 0.02]
    model = ms.train.Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                           nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=0.9),
                           metrics={"Accuracy": nn.Accuracy()})
    log, png = str(tmp_path / "m.jsonl"), str(tmp_path / "m.png")
    report = EpochReport(model, make_dataset(x, y, 8), log_path=log)
    curves = TrainingCurves(png, metrics_log=log, max_overhead=None)
    check = _CheckEachEpoch(curves)
    model.train(3, make_dataset(x, y, 8), callbacks=[report, curves, check])
    assert check.seen == [1, 2, 3] and len(curves.draw_seconds) == 3
    rows = read_metrics_log(log)
    assert curves.plotted["epoch"] == [r["epoch"] for r in rows] == [1, 2, 3]
    assert curves.plotted["mean_loss"] == [r["mean_loss"] for r in rows]
    assert curves.plotted["test_accuracy"] == [r["test_accuracy"] for r in rows]
    assert curves.plotted["steps"] == 6
    assert curves.plotted["lr"] == pytest.approx(lr)


def test_curves_without_log_use_own_epoch_means(tmp_path):
    x, y = make_data(8)
    net = make_net()
    model = ms.train.Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                           nn.Momentum(net.trainable_params(), 0.1, 0.9))
    losses = []

    class Losses(Callback):
        def on_train_step_end(self, run_context):
            losses.append(float(run_context.original_args().net_outputs.asnumpy()))

    curves = TrainingCurves(str(tmp_path / "c.png"))
    model.train(2, make_dataset(x, y, 4), callbacks=[Losses(), curves])
    assert curves.plotted["epoch"] == [1, 2]
    assert curves.plotted["mean_loss"] == pytest.approx([np.mean(losses[:2]),
                                                         np.mean(losses[2:])])
    check_png(curves.written, size=(640, 256))


def test_curves_budget_skips_but_always_draws_the_last_epoch(tmp_path):
    x, y = make_data(8)
    net = make_net()
    model = ms.train.Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                           nn.Momentum(net.trainable_params(), 0.1, 0.9))
    curves = TrainingCurves(str(tmp_path / "c.png"), max_overhead=1e-9)
    model.train(3, make_dataset(x, y, 4), callbacks=[curves])
    assert len(curves.draw_seconds) == 1 and curves.plotted["epoch"] == [1, 2, 3]


def test_curves_bad_arguments(tmp_path):
    for bad in (1.0, -0.1, True, "0.5"):
        with pytest.raises(ValueError, match="smoothing"):
            TrainingCurves("x.png", smoothing=bad)
    with pytest.raises(ValueError, match="max_overhead"):
        TrainingCurves("x.png", max_overhead=0)
    x, y = make_data(8)
    net = make_net()
    model = ms.train.Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                           nn.Momentum(net.trainable_params(), 0.1, 0.9))
    with pytest.raises(ValueError, match="folder of png_path"):
        model.train(1, make_dataset(x, y), callbacks=[TrainingCurves(str(tmp_path / "a" / "b.png"))])


def test_curves_leave_the_users_matplotlib_alone(tmp_path):
    import matplotlib
    before = (matplotlib.rcParams._get_backend_or_none(), "matplotlib.pyplot" in sys.modules)
    fig = _plotting.new_figure(2, 2)
    fig.subplots().plot([0, 1], [1, 0])
    _plotting.save_png(fig, str(tmp_path / "p.png"))
    assert (matplotlib.rcParams._get_backend_or_none(), "matplotlib.pyplot" in sys.modules) == before
    check_png(str(tmp_path / "p.png"), size=(200, 200))
    assert oct(os.stat(tmp_path / "p.png").st_mode & 0o777) == "0o644"


def test_train_script_draws_the_log(train, data, tmp_path, capsys):
    done = train.main(["--data", data, "--ckpt-dir", str(tmp_path), "--plain", "--epochs", "2"])
    out = capsys.readouterr().out
    assert done["png"] == os.path.join(str(tmp_path), "lenet_metrics.png")
    assert "plot: " in out and HINT not in out
    check_png(done["png"], size=(640, 256))
    rows = read_metrics_log(done["log"])
    plotted = done["curves"].plotted
    assert len(plotted["epoch"]) == len(rows) == 2
    assert plotted["mean_loss"] == [r["mean_loss"] for r in rows]
    assert plotted["test_accuracy"] == [r["test_accuracy"] for r in rows]
    assert plotted["steps"] == 2 * rows[0]["steps"]
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_eval_plot_pictures(train, data, tmp_path, capsys):
    done = train.main(["--data", data, "--ckpt-dir", str(tmp_path), "--plain", "--epochs", "1",
                       "--no-plot"])
    assert done["png"] is None and not os.path.exists(tmp_path / "lenet_metrics.png")
    ev = _load("eval")
    result = ev.main([done["checkpoint"], "--data", data, "--plot", "--mistakes", "5"])
    confusion, mistakes = result["pictures"]
    assert confusion == str(tmp_path / "lenet-1_3_confusion.png")
    check_png(confusion, size=(416, 368))
    check_png(mistakes)
    # the grid shows the most confident mistakes: recompute the choice independently
    true, pred, conf = result["true"], result["pred"], result["confidence"]
    wrong = [i for i in range(len(true)) if true[i] != pred[i]]
    expected = sorted(wrong, key=lambda i: (-conf[i], i))[:5]
    from _report import worst_mistakes
    assert list(worst_mistakes(true, pred, conf, 5)) == expected
    assert "Pictures: " in capsys.readouterr().out


def test_without_matplotlib_scripts_run_and_hint_once(train, data, tmp_path, capsys,
                                                      monkeypatch):
    _no_matplotlib(monkeypatch)
    done = train.main(["--data", data, "--ckpt-dir", str(tmp_path), "--plain", "--epochs", "2"])
    out = capsys.readouterr().out
    assert out.count(HINT) == 1 and "Final test accuracy" in out
    assert done["png"] is None and not os.path.exists(tmp_path / "lenet_metrics.png")
    assert len(read_metrics_log(done["log"])) == 2
    ev = _load("eval")
    result = ev.main([done["checkpoint"], "--data", data, "--plot"])
    out = capsys.readouterr().out
    assert out.count(HINT) == 1 and "recall" in out and result["pictures"] == []
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".png")]


def _benchmark_plot():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import _plot
    return _plot


def _bar_widths(ax):
    return sorted(round(p.get_width(), 6) for p in ax.patches)


def test_benchmark_charts_draw_the_report_values(tmp_path):
    """Each chart's bars are the report's numbers (after a JSON round trip, as --json writes)."""
    plot = _benchmark_plot()
    machine = {"processor": "Test CPU", "cpus": 2, "python": "3", "numpy": "2",
               "date": "2026-12-04"}
    lenet = {"machine": machine, "threads": {}, "train": {"32": {
        "minispore": {"images_per_s": 900.0, "ratio_to_torch": 1.5, "paired_ratio_to_torch": 1.4},
        "torch": {"images_per_s": 1300.0, "ratio_to_torch": 1.0}}}, "inference": {}}
    kernels = {"info": {"machine": machine}, "results": [
        {"op": "conv1 forward", "minispore": {"median_us": 50, "vs_torch": 0.5},
         "numpy": {"median_us": 200, "vs_torch": 2.0}, "torch": {"median_us": 100}}]}
    ckpt = {"machine": machine, "rows": [{"case": "lenet", "tensor_MB": 0.5, "save_MBps": 80.0,
                                          "raw_save_MBps": 100.0, "load_MBps": 900.0,
                                          "raw_load_MBps": 1000.0}]}
    expected = {"train_lenet": [[900.0, 1300.0]], "kernels": [[0.5, 2.0]],
                "checkpoint_io": [[80.0, 100.0], [900.0, 1000.0]]}
    for kind, report in (("train_lenet", lenet), ("kernels", kernels), ("checkpoint_io", ckpt)):
        report = json.loads(json.dumps(report))
        assert plot.kind_of(report) == kind
        fig, caption = plot.FIGURES[kind](report)
        assert "Test CPU" in caption and "2026-12-04" in caption
        bars = [ax for ax in fig.axes if ax.patches]
        assert [_bar_widths(ax) for ax in bars] == expected[kind]
        texts = " ".join(t.get_text() for ax in bars for t in ax.texts)
        assert {"train_lenet": "1.40x torch's time", "kernels": "0.5x",
                "checkpoint_io": "(0.80 raw)"}[kind] in texts
        path = str(tmp_path / f"{kind}.png")
        assert plot.write_chart(kind, report, path) == path
        check_png(path)
        assert os.path.getsize(path) < 100_000
    # the CLI redraws a saved report
    (tmp_path / "r.json").write_text(json.dumps(ckpt))
    assert plot.main([str(tmp_path / "r.json"), str(tmp_path / "again.png")]) == 0
    check_png(str(tmp_path / "again.png"))
    (tmp_path / "bad.json").write_text("{}")
    assert plot.main([str(tmp_path / "bad.json"), str(tmp_path / "x.png")]) == 2


def test_benchmark_chart_without_matplotlib_hints_once(tmp_path, capsys, monkeypatch):
    plot = _benchmark_plot()
    _no_matplotlib(monkeypatch)
    monkeypatch.setattr(plot, "_hinted", [])
    report = {"rows": [{"case": "lenet", "tensor_MB": 0.5, "save_MBps": 1.0}]}
    assert plot.write_chart("checkpoint_io", report, str(tmp_path / "a.png")) is None
    assert plot.write_chart("checkpoint_io", report, str(tmp_path / "b.png")) is None
    assert capsys.readouterr().out.count(HINT) == 1
    assert not list(tmp_path.iterdir())
