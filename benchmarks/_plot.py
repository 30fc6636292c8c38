"""One chart per benchmark, drawn from the report each script prints and writes with --json.

    python benchmarks/train_lenet.py --plot lenet.png      # measure, print, draw
    python benchmarks/_plot.py report.json chart.png       # redraw a saved --json report

Bars per peer (minispore, PyTorch, MindSpore when it ran; numpy / raw disk where the script
measures them), each non-reference bar labelled with its ratio to the reference, and the machine
and date under the chart. Needs matplotlib; without it ``write_chart`` prints the hint once and
returns None (the tables are printed regardless).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from minispore import _plotting  # noqa: E402

COLORS = {"minispore": "tab:blue", "ms-graph": "tab:cyan", "torch": "tab:orange",
          "mindspore": "tab:green", "processes": "tab:purple", "threads": "tab:olive",
          "serial": "tab:gray", "empty": "tab:red", "warm": "tab:green",
          "numpy": "tab:gray", "raw": "tab:gray"}
_hinted = []


def caption(machine, extra=""):
    """``<cpu>, <n> CPUs, Python x, numpy y, <date>`` plus ``extra``."""
    machine = machine or {}
    text = (f"{machine.get('processor', '?')}, {machine.get('cpus', '?')} CPUs, Python "
            f"{machine.get('python', '?')}, numpy {machine.get('numpy', '?')}, measured "
            f"{machine.get('date', '?')}")
    return text + (f"; {extra}" if extra else "")


def _grouped_bars(ax, groups, series, labels, unit, log=False):
    """Horizontal bars: one group per entry of ``groups``, one bar per peer of ``series``
    ({peer: [value or None per group]}); ``labels`` ({peer: [text or None]}) go after the bars;
    ``log``: logarithmic value axis (the caller sets its limits)."""
    peers = [p for p in series if any(v is not None for v in series[p])]
    height = 0.8 / max(1, len(peers))
    top = max((v for p in peers for v in series[p] if v is not None), default=1.0)
    for k, peer in enumerate(peers):
        for g, value in enumerate(series[peer]):
            if value is None:
                continue
            y = g + (k - (len(peers) - 1) / 2) * height
            ax.barh(y, value, height=height * 0.92, color=COLORS.get(peer, None),
                    label=peer if g == next(i for i, v in enumerate(series[peer])
                                            if v is not None) else None)
            text = labels.get(peer, [None] * len(groups))[g]
            if text:
                ax.text(value * 1.08 if log else value + top * 0.01, y, text, va="center",
                        fontsize=6.5)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels(groups, fontsize=7.5)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    else:
        ax.set_xlim(0, top * 1.3)
    ax.set_xlabel(unit, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="best")


def lenet_figure(report):
    """train_lenet.py: images/s per peer for each training / inference batch size; labels give
    each peer's time per step relative to PyTorch's (paired ratio, > 1 = slower)."""
    rows = [(kind, batch, res) for kind in ("train", "inference")
            for batch, res in sorted(report.get(kind, {}).items(), key=lambda kv: int(kv[0]))]
    if not rows:
        raise ValueError("train_lenet report: no 'train' or 'inference' results to draw")
    peers = [p for p in ("minispore", "ms-graph", "torch", "mindspore")
             if any(p in r for *_, r in rows)]
    groups = [f"{kind} batch {batch}" for kind, batch, _ in rows]
    series = {p: [r[p]["images_per_s"] if p in r else None for *_, r in rows] for p in peers}
    labels = {}
    for p in peers:
        labels[p] = []
        for *_, r in rows:
            cell = r.get(p)
            ratio = cell and (cell.get("paired_ratio_to_torch") or cell.get("ratio_to_torch"))
            labels[p].append(f"{cell['images_per_s']:,.0f}/s" +
                             (f", {ratio:.2f}x torch's time" if ratio and p != "torch" else "")
                             if cell else None)
    fig = _plotting.new_figure(7.5, 0.45 * len(rows) * max(1, len(peers)) + 1.3, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, groups, series, labels, "images per second (higher is better)")
    ax.set_title("LeNet5 step speed: minispore vs PyTorch"
                 + (" vs MindSpore" if "mindspore" in peers else ""), fontsize=9)
    threads = report.get("threads", {})
    extra = f"numba {threads.get('numba', {}).get('threads', '?')} threads"
    if "torch" in threads:
        extra += f", torch {threads['torch'].get('version')} {threads['torch'].get('threads')} threads"
    return fig, caption(report.get("machine"), extra)


def kernels_figure(report):
    """kernels.py: each op's median time relative to PyTorch (log scale, 1 = PyTorch's time)
    for minispore and the numpy reference; without PyTorch, the median times in microseconds."""
    results = report.get("results")
    if not results:
        raise ValueError("kernels report: no 'results' to draw")
    has_torch = any("torch" in r for r in results)
    peers = ("minispore", "numpy")
    groups = [r["op"] for r in results]
    if has_torch:
        series = {p: [r.get(p, {}).get("vs_torch") for r in results] for p in peers}
        labels = {p: [f"{v:.3g}x" if v else None for v in series[p]] for p in peers}
        unit = "time relative to PyTorch (log scale; < 1 = faster than PyTorch)"
    else:
        series = {p: [r.get(p, {}).get("median_us") for r in results] for p in peers}
        labels = {p: [f"{v:,.0f} us" if v else None for v in series[p]] for p in peers}
        unit = "median time per call (us)"
    fig = _plotting.new_figure(7.5, 0.2 * len(results) * len(peers) + 1.4, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, groups, series, labels, unit, log=has_torch)
    if has_torch:
        values = [v for p in peers for v in series[p] if v]
        ax.set_xlim(min(values + [1.0]) / 1.5, max(values + [1.0]) * 3)
        ax.axvline(1.0, color="tab:orange", linewidth=1.5, label="PyTorch (= 1)")
        ax.legend(fontsize=7, loc="best")
    ax.set_title("Kernels at LeNet's batch-32 shapes: minispore and numpy vs PyTorch",
                 fontsize=9)
    info = report.get("info", {})
    return fig, caption(info.get("machine"), f"{info.get('minispore', '')}; torch "
                                             f"{info.get('torch', 'not installed')}")


def checkpoint_figure(report):
    """checkpoint_io.py: save and load MB/s per case for minispore, the raw disk limit,
    PyTorch and MindSpore; labels give each one's fraction of the raw limit."""
    rows = report.get("rows")
    if not rows:
        raise ValueError("checkpoint_io report: no 'rows' to draw")
    fig = _plotting.new_figure(8, 0.9 * len(rows) + 2.0, dpi=80)
    axes = fig.subplots(1, 2)
    for ax, op in zip(axes, ("save", "load")):
        keys = {"minispore": f"{op}_MBps", "raw": f"raw_{op}_MBps",
                "torch": f"torch_{op}_MBps", "mindspore": f"mindspore_{op}_MBps"}
        series = {p: [r.get(k) for r in rows] for p, k in keys.items()}
        labels = {p: [(f"{r[k]:,.0f}" + (f" ({r[k] / r[keys['raw']]:.2f} raw)"
                                         if p != "raw" and r.get(keys["raw"]) else ""))
                      if r.get(k) else None for r in rows] for p, k in keys.items()}
        _grouped_bars(ax, [f"{r['case']} ({r['tensor_MB']:g} MB)" for r in rows], series,
                      labels, f"{op} MB/s (higher is better)")
        ax.set_title(f"checkpoint {op}", fontsize=9)
    return fig, caption(report.get("machine"), "warm page cache for loads; raw = write+fsync / "
                                               "readinto of the same bytes")


def resnet_figure(report):
    """resnet.py: training images/s (epochs 2+) and final test accuracy per framework."""
    summary = {k: v for k, v in report.get("summary", {}).items() if isinstance(v, dict)}
    if not summary:
        raise ValueError("resnet report: no 'summary' to draw")
    peers = [p for p in ("minispore", "torch") if p in summary]
    fig = _plotting.new_figure(8, 2.4, dpi=80)
    axes = fig.subplots(1, 2)
    for ax, key, unit, fmt in ((axes[0], "images_per_second", "training images/s (epochs 2+)",
                                "{:,.0f}/s"),
                               (axes[1], "final_test_accuracy", "final test accuracy (%)",
                                "{:.2f}%")):
        scale = 100.0 if key == "final_test_accuracy" else 1.0
        series = {p: [summary[p][key] * scale] for p in peers}
        labels = {p: [fmt.format(summary[p][key] * scale)] for p in peers}
        _grouped_bars(ax, ["ResNet"], series, labels, unit)
    ratio = report.get("summary", {}).get("speed_ratio_minispore_over_torch")
    axes[0].set_title("speed" + (f" (minispore {ratio:.2f}x PyTorch's images/s)" if ratio
                                 else ""), fontsize=9)
    axes[1].set_title("accuracy, same recipe and seed", fontsize=9)
    args = report.get("args", {})
    return fig, caption(report.get("machine"), f"{args.get('epochs', '?')} epochs, batch "
                                               f"{args.get('batch_size', '?')}, width "
                                               f"{args.get('width', '?')}")


def dataset_workers_figure(report):
    """dataset_workers.py: rows/s per pipeline for serial, threads and processes; labels give
    the speed-up over serial."""
    results = report.get("results")
    if not results:
        raise ValueError("dataset_workers report: no 'results' to draw")
    pipelines = list(dict.fromkeys(r["pipeline"] for r in results))
    kinds = ("serial", "threads", "processes")
    cell = {(r["pipeline"], r["kind"]): r for r in results}
    series = {k: [cell[(p, k)]["rows_per_s"] if (p, k) in cell else None for p in pipelines]
              for k in kinds}
    labels = {k: [(f"{cell[(p, k)]['rows_per_s']:,.0f}/s" +
                   (f", {cell[(p, k)]['ratio_to_serial']:.2f}x serial"
                    if "ratio_to_serial" in cell[(p, k)] else "")) if (p, k) in cell else None
                  for p in pipelines] for k in kinds}
    fig = _plotting.new_figure(8, 0.5 * len(pipelines) * len(kinds) + 1.3, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, pipelines, series, labels, "rows per second (higher is better)")
    ax.set_title("dataset pipelines: num_parallel_workers as threads or processes", fontsize=9)
    return fig, caption(report.get("machine"), f"{report.get('args', {}).get('rows', '?')} rows")


def cliffs_figure(report):
    """cliffs.py: each peer's slowdown against its own default-scenario time (1 = unchanged);
    without a default scenario in the run, the median step times."""
    all_rows = report.get("rows", [])
    rows = [r for r in all_rows if r.get("slowdown") is not None and r["scenario"] != "default"]
    relative = bool(rows)
    rows = rows or all_rows
    if not rows:
        raise ValueError("cliffs report: no rows to draw")
    key = "slowdown" if relative else "median_ms"
    groups = list(dict.fromkeys(f"{r['scenario']}: {r['kind']} b{r['batch']}" for r in rows))
    peers = list(dict.fromkeys(r["peer"] for r in rows))
    cell = {(f"{r['scenario']}: {r['kind']} b{r['batch']}", r["peer"]): r[key] for r in rows}
    series = {p: [cell.get((g, p)) for g in groups] for p in peers}
    fmt = "{:.2f}x" if relative else "{:.2f} ms"
    labels = {p: [fmt.format(v) if v else None for v in series[p]] for p in peers}
    fig = _plotting.new_figure(8, 0.22 * len(groups) * len(peers) + 1.4, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, groups, series, labels,
                  "step time / same peer's default time (lower is better)" if relative
                  else "median ms per step (lower is better)")
    if relative:
        ax.axvline(1.0, color="black", linewidth=1)
    ax.set_title("Off the happy path: slowdown of each peer", fontsize=9)
    machine = next(iter(report.get("reports", {}).values()), {}).get("machine")
    return fig, caption(machine)


def optimizers_figure(report):
    """optimizers.py: ms per update step of each optimizer, minispore against torch.optim, on
    LeNet's parameters and on one large tensor (log scale); labels give the paired ratio."""
    rows = report.get("rows", [])
    if not rows:
        raise ValueError("optimizers report: no rows to draw")
    groups = [f"{r['optimizer']} ({r['params']})" for r in rows]
    peers = [p for p in ("minispore", "torch") if any(p in r for r in rows)]
    series = {p: [r[p]["median_ms"] if p in r else None for r in rows] for p in peers}
    labels = {"minispore": [f"{r['ratio_minispore_over_torch']:.2f}x torch"
                            if r.get("ratio_minispore_over_torch") else None for r in rows]}
    fig = _plotting.new_figure(8, 0.3 * len(rows) * len(peers) + 1.4, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, groups, series, labels, "ms per update step (log scale, lower is better)",
                  log=True)
    ax.set_title("Optimizer update steps", fontsize=9)
    return fig, caption(report.get("machine"))


def data_parallel_figure(report):
    """data_parallel.py: images/s of one rank on two threads against two MPI ranks on one
    thread each (minispore and PyTorch), and Allreduce time per payload (MPI against gloo)."""
    jobs = report.get("jobs", {})
    if not jobs:
        raise ValueError("data_parallel report: no jobs to draw")
    names = list(jobs)
    groups = [f"{jobs[n]['ranks']} rank x {jobs[n]['threads_per_rank']} thread" for n in names]
    peers = [p for p in ("minispore", "torch") if any(f"{p}_images_per_s" in jobs[n]
                                                      for n in names)]
    series = {p: [jobs[n].get(f"{p}_images_per_s") for n in names] for p in peers}
    labels = {p: [f"{v:,.0f}" if v else None for v in series[p]] for p in peers}
    rows = report.get("allreduce", [])
    fig = _plotting.new_figure(8, 3.2 if rows else 2.2, dpi=80)
    axes = fig.subplots(1, 2) if rows else [fig.subplots()]
    _grouped_bars(axes[0], groups, series, labels, "images/s (higher is better)")
    axes[0].set_title("LeNet5 training", fontsize=9)
    if rows:
        sizes = [f"{r['bytes'] / 1e6:g} MB" if r["bytes"] >= 1e6 else f"{r['bytes'] / 1e3:g} kB"
                 for r in rows]
        times = {"minispore": [r.get("minispore_mpi_us") for r in rows],
                 "torch": [r.get("torch_gloo_us") for r in rows]}
        _grouped_bars(axes[1], sizes, times, {}, "us per Allreduce (log scale)", log=True)
        axes[1].set_title("Allreduce: MPI (minispore) / gloo (torch)", fontsize=9)
    return fig, caption(report.get("machine"), report.get("note", ""))


def cold_start_figure(report):
    """cold_start.py: seconds from ``import`` to the end of the first training step, each case
    with an empty numba cache and with the cache the first process left."""
    rows = report.get("rows", [])
    if not rows:
        raise ValueError("cold_start report: no rows to draw")
    groups = list(dict.fromkeys(f"{r['model']} {r['case']}" for r in rows))
    caches = list(dict.fromkeys(r["cache"] for r in rows))
    cell = {(f"{r['model']} {r['case']}", r["cache"]): r["import_s"] + r["first_s"] for r in rows}
    series = {c: [cell.get((g, c)) for g in groups] for c in caches}
    labels = {c: [f"{v:.1f} s" if v is not None else None for v in series[c]] for c in caches}
    fig = _plotting.new_figure(8, 0.3 * len(groups) * len(caches) + 1.4, dpi=80)
    ax = fig.subplots()
    _grouped_bars(ax, groups, series, labels,
                  "s from import to the end of step 1 (lower is better)")
    ax.set_title("Cold start: the first training step", fontsize=9)
    return fig, caption(report.get("machine"))


FIGURES = {"train_lenet": lenet_figure, "kernels": kernels_figure,
           "checkpoint_io": checkpoint_figure, "resnet": resnet_figure,
           "dataset_workers": dataset_workers_figure, "cliffs": cliffs_figure,
           "optimizers": optimizers_figure, "data_parallel": data_parallel_figure,
           "cold_start": cold_start_figure}


def kind_of(report):
    """Which benchmark wrote ``report`` (a loaded --json file)."""
    if "summary" in report:
        return "resnet"
    if "results" in report:
        return "dataset_workers" if report["results"][:1] and "pipeline" in \
            report["results"][0] else "kernels"
    if "jobs" in report:
        return "data_parallel"
    if "rows" in report:
        first = report["rows"][0] if report["rows"] else {}
        if "scenario" in first:
            return "cliffs"
        if "optimizer" in first:
            return "optimizers"
        if "cache" in first:
            return "cold_start"
        return "checkpoint_io"
    if "train" in report or "inference" in report:
        return "train_lenet"
    raise ValueError("not a report of a benchmarks/ script")


def write_chart(kind, report, path):
    """Draw ``report`` of benchmark ``kind`` into the PNG ``path``; returns the path, or None
    (and prints the hint, once per process) without matplotlib."""
    if _plotting.load_matplotlib() is None:
        if not _hinted:
            print(f"note: matplotlib is not installed, so no chart; {_plotting.PLOT_HINT}")
            _hinted.append(True)
        return None
    fig, text = FIGURES[kind](report)
    fig.text(0.01, 0.01, text, fontsize=6.5, color="dimgray", ha="left", va="bottom", wrap=True)
    left = {"train_lenet": 0.2, "kernels": 0.26, "checkpoint_io": 0.13, "resnet": 0.13,
            "dataset_workers": 0.3, "cliffs": 0.3, "optimizers": 0.3, "data_parallel": 0.2,
            "cold_start": 0.2}[kind]
    fig.subplots_adjust(left=left, right=0.97,
                        bottom=min(0.45, 0.5 / fig.get_figheight() + 0.08), top=1 - 0.35 /
                        fig.get_figheight(), wspace=0.55)
    _plotting.save_png(fig, path)
    print(f"wrote chart {path}")
    return path


def default_path(script, json_path):
    """``--plot`` without a file name: next to ``--json`` (same name, .png), else
    ``<script>.png`` in the working directory."""
    if json_path:
        return os.path.splitext(json_path)[0] + ".png"
    return f"{script}.png"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python benchmarks/_plot.py REPORT.json CHART.png", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            report = json.load(f)
        kind = kind_of(report)
    except (OSError, ValueError) as e:
        print(f"_plot.py: error: {argv[0]}: {e}", file=sys.stderr)
        return 2
    write_chart(kind, report, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
