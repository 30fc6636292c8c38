"""The benchmark scripts still run end to end (tiny settings) and write their JSON reports.

Speed itself is never asserted here: the scripts measure it as ratios against peers.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(script, *args, tmp_path):
    """Run with --json and --plot; the chart (report.png) is checked when matplotlib imports,
    else the one-line hint."""
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", script), *args,
                           "--json", str(out), "--plot"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert proc.stdout.count("pip install matplotlib") == 1
    else:
        from _png import check_png
        check_png(str(tmp_path / "report.png"))
    return json.loads(out.read_text()), proc.stdout


def test_train_lenet_benchmark_runs(tmp_path):
    report, stdout = _run("train_lenet.py", "--repeats", "1", "--inner", "1",
                          "--train-batches", "8", "--infer-batches", "8", tmp_path=tmp_path)
    assert report["train"]["8"]["minispore"]["median_ms"] > 0
    assert "minispore" in stdout and "numpy_blas" in report["threads"]


def test_kernels_benchmark_runs(tmp_path):
    report, stdout = _run("kernels.py", "--rounds", "1", "--min-time", "0.001", "--settle", "0",
                          "--no-compile", tmp_path=tmp_path)
    assert "conv1 forward" in stdout
    ops = {row["op"]: row for row in report["results"]}
    assert ops["conv1 forward"]["minispore"]["median_us"] > 0


def test_checkpoint_io_benchmark_runs(tmp_path):
    report, _ = _run("checkpoint_io.py", "--mb", "4", "--repeat", "1", "--dir", str(tmp_path),
                     tmp_path=tmp_path)
    cases = {row["case"]: row for row in report["rows"]}
    assert cases["lenet"]["save_MBps"] > 0 and cases["lenet"]["load_MBps"] > 0


def test_train_lenet_pipeline_epoch_runs(tmp_path):
    """The full-epoch comparison (fetch + train vs train, in the same epoch) on 96 IDX digits
    written here."""
    from _idx import make_data, write_mnist
    images, labels = make_data(96)
    data = write_mnist(tmp_path / "mnist", images, labels)
    report, stdout = _run("train_lenet.py", "--repeats", "1", "--inner", "1",
                          "--train-batches", "8", "--infer-batches", "8", "--data", data,
                          tmp_path=tmp_path)
    epoch = report["pipeline_epoch"]
    assert epoch["steps"] == 3  # 96 digits, batch 32
    assert epoch["fetch_s"] > 0 and epoch["compute_s"] > 0
    assert epoch["ratio"] == (epoch["fetch_s"] + epoch["compute_s"]) / epoch["compute_s"]
    assert "(fetch + train) / train" in stdout


def test_dataset_workers_benchmark_runs(tmp_path):
    report, stdout = _run("dataset_workers.py", "--rows", "256", tmp_path=tmp_path)
    kinds = {(r["pipeline"], r["kind"]) for r in report["results"]}
    assert ("map Python function", "processes") in kinds and "serial" in stdout


def test_resnet_benchmark_runs(tmp_path):
    from _idx import write_idx
    data = write_idx(tmp_path / "idx", n_train=64, n_test=16)
    report, stdout = _run("resnet.py", "--data", data, "--epochs", "1", "--width", "4",
                          "--batch-size", "16", tmp_path=tmp_path)
    assert report["summary"]["minispore"]["images_per_second"] > 0
    assert "epoch 1 minispore" in stdout


def test_cliffs_benchmark_runs(tmp_path):
    """The adverse-condition scenarios run (here the one without threadpoolctl) and report
    every peer's step time."""
    report, stdout = _run("cliffs.py", "--scenarios", "no-threadpoolctl", "--rounds", "1",
                          "--repeats", "1",
                          "--inner", "1", tmp_path=tmp_path)
    peers = {row["peer"] for row in report["rows"] if row["scenario"] == "no-threadpoolctl"}
    assert {"minispore", "ms-graph"} <= peers and "no-threadpoolctl" in stdout


def test_cold_start_benchmark_runs(tmp_path):
    """A cold and a warm LeNet process: the warm one must not compile again (its first step is
    much shorter), which is what the benchmark's table rests on."""
    out = tmp_path / "cold.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "cold_start.py"),
                           "--models", "lenet", "--cases", "pynative", "--json", str(out),
                           "--plot"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {row["cache"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["warm"]["first_s"] < rows["empty"]["first_s"] / 3, rows
    assert "lenet" in proc.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert proc.stdout.count("pip install matplotlib") == 1
    else:
        from _png import check_png
        check_png(str(tmp_path / "cold.png"))
