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

COLORS = {"minispore": "tab:blue", "torch": "tab:orange", "mindspore": "tab:green",
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
    peers = [p for p in ("minispore", "torch", "mindspore") if any(p in r for *_, r in rows)]
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


FIGURES = {"train_lenet": lenet_figure, "kernels": kernels_figure,
           "checkpoint_io": checkpoint_figure}


def kind_of(report):
    """Which benchmark wrote ``report`` (a loaded --json file)."""
    if "results" in report:
        return "kernels"
    if "rows" in report:
        return "checkpoint_io"
    if "train" in report or "inference" in report:
        return "train_lenet"
    raise ValueError("not a report of train_lenet.py, kernels.py or checkpoint_io.py")


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
    left = {"train_lenet": 0.2, "kernels": 0.26, "checkpoint_io": 0.13}[kind]
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
