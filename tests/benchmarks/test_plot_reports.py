"""benchmarks/_plot.py recognises the reports of optimizers.py, data_parallel.py and
cold_start.py and draws them (the scripts' --plot); reports written here, shaped as the scripts
write them, so no benchmark has to run."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import _plot  # noqa: E402

MACHINE = {"processor": "test cpu", "cpus": 2, "python": "3", "numpy": "2", "date": "today"}
REPORTS = {
    "optimizers": {"machine": MACHINE, "rows": [
        {"optimizer": "Momentum", "params": "lenet5", "minispore": {"median_ms": 0.07},
         "torch": {"median_ms": 0.17}, "ratio_minispore_over_torch": 0.4},
        {"optimizer": "Adam", "params": "1x1000", "minispore": {"median_ms": 0.03},
         "ratio_minispore_over_torch": None}]},
    "data_parallel": {"machine": MACHINE, "note": "n", "jobs": {
        "1x2": {"ranks": 1, "threads_per_rank": 2, "minispore_images_per_s": 9984.0,
                "torch_images_per_s": 7957.0},
        "2x1": {"ranks": 2, "threads_per_rank": 1, "minispore_images_per_s": 18836.0}},
        "allreduce": [{"bytes": 1024, "minispore_mpi_us": 5.0, "torch_gloo_us": 900.0},
                      {"bytes": 4 << 20, "minispore_mpi_us": 1745.8}]},
    "cold_start": {"machine": MACHINE, "rows": [
        {"model": "lenet", "case": case, "cache": cache, "import_s": 0.2, "first_s": first,
         "second_s": 0.0, "third_s": 0.002, "to_steady_s": first + 0.2}
        for case in ("pynative", "graph") for cache, first in (("empty", 9.1), ("warm", 0.5))]},
}


@pytest.mark.parametrize("kind", list(REPORTS))
def test_report_kind_is_recognised_and_drawn(kind, tmp_path):
    report = REPORTS[kind]
    assert _plot.kind_of(report) == kind
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    png = tmp_path / "chart.png"
    pytest.importorskip("matplotlib", reason="drawing needs matplotlib (the plot extra)")
    _plot.main([str(path), str(png)])
    from _png import check_png
    check_png(str(png))
