"""benchmarks/optimizers.py still runs end to end (tiny settings) and writes its JSON report.
Speed itself is not asserted: the script measures it as a ratio against torch.optim."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_optimizers_benchmark_runs(tmp_path):
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "optimizers.py"),
                           "--repeats", "1", "--inner", "1", "--big", "1000", "--settle", "0",
                           "--json", str(out), "--plot"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    names = {row["optimizer"] for row in report["rows"]}
    assert {"Momentum", "Adam", "RMSProp", "Adagrad"} <= names
    assert all(row["minispore"]["median_ms"] > 0 for row in report["rows"])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert proc.stdout.count("pip install matplotlib") == 1
    else:
        from _png import check_png
        check_png(str(tmp_path / "report.png"))
