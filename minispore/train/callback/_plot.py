"""TrainingCurves: a loss / accuracy PNG of the run, redrawn at every epoch end (any model)."""
import math
import os
import time

import numpy as np

from ... import _plotting
from ._callback import Callback
from ._epoch_report import _is_fraction_metric, read_metrics_log
from ._loss_monitor import _loss_value
from ._rank import is_main_rank

__all__ = ["TrainingCurves"]

_MAX_STEP_POINTS = 1500   # longer step curves are thinned before drawing (drawing cost)
_FIRST_DRAW_GUESS = 0.1   # seconds; the budget's estimate before the first drawing is timed


def smooth(values, weight):
    """Exponential moving average with bias correction (TensorBoard's smoothing): point ``i`` is
    ``sum_j<=i w^(i-j) v_j * (1 - w) / (1 - w^(i+1))``, so the first point is the first value."""
    out = np.empty(len(values))
    acc = 0.0
    for i, v in enumerate(values):
        acc = weight * acc + (1.0 - weight) * v
        out[i] = acc / (1.0 - weight ** (i + 1)) if weight > 0 else acc
    return out


class TrainingCurves(Callback):
    """Write a PNG with the training curves after every epoch; the file is replaced atomically,
    so a viewer that reloads it never sees half a picture.

    Left panel: the loss of every step (faint) and its smoothed curve, the mean training loss of
    each epoch (dots) and, when the learning rate changes during the run, the learning rate on a
    second axis. Right panel: the test metrics of each epoch (accuracy in %), when there are any.

    Args:
        png_path (str): the picture to write (its folder must exist when training starts).
        metrics_log (str): the JSON-lines log written by :class:`EpochReport`; the per-epoch
            points are read from it (so the picture shows exactly what the log holds), and this
            callback must come after the EpochReport in the callback list. None (default): the
            per-epoch mean loss is measured here and the test metrics are those ``Model.fit``
            puts in ``cb_params.metrics``.
        smoothing (float): weight of the exponential moving average over the step losses, in
            [0, 1). Default: 0.9.
        title (str): the figure title. Default: None (``"training curves"``).
        size (tuple): (width, height) in inches. Default: (8, 3.2).
        dpi (int): pixels per inch of the PNG. Default: 80 (640 x 256 pixels).
        stream: where the one-line hint goes when matplotlib is missing. Default: None, stdout.
        max_overhead (float): drawing may take at most this fraction of the training time: an
            epoch end whose drawing would exceed the budget (time of all drawings so far plus the
            last drawing's, against the training time so far) is skipped, and the last epoch is
            always drawn. Default: 0.05. None: draw after every epoch.

    Raises:
        ValueError: ``smoothing`` is outside [0, 1) or ``max_overhead`` is not None or > 0, or
            ``png_path``'s folder does not exist when training starts.

    Without matplotlib nothing is drawn: the hint ``pip install matplotlib ...`` is printed once
    when training starts and training runs as usual. After each drawing, ``plotted`` holds the
    values drawn (``epoch``, ``mean_loss``, the ``test_*`` metrics, ``steps``, ``lr``) and
    ``draw_seconds`` the time each drawing took.

    Example::

        report = EpochReport(model, ds_test, log_path="runs/m.jsonl")
        curves = TrainingCurves("runs/m.png", metrics_log="runs/m.jsonl")
        model.train(10, ds_train, callbacks=[report, curves])
    """

    _internal = True

    def __init__(self, png_path, metrics_log=None, smoothing=0.9, title=None, size=(8, 3.2),
                 dpi=80, stream=None, max_overhead=0.05):
        super().__init__()
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or \
                not 0 <= smoothing < 1:
            raise ValueError(f"TrainingCurves: 'smoothing' must be a number in [0, 1), got "
                             f"{smoothing!r}")
        if max_overhead is not None and (isinstance(max_overhead, bool) or
                                         not isinstance(max_overhead, (int, float)) or
                                         not max_overhead > 0):
            raise ValueError(f"TrainingCurves: 'max_overhead' must be None or a number > 0, got "
                             f"{max_overhead!r}")
        self.max_overhead = max_overhead
        self.png_path, self.metrics_log, self.smoothing = png_path, metrics_log, float(smoothing)
        self.title, self.size, self.dpi, self.stream = title, size, dpi, stream
        self.available = None
        self.plotted = None
        self.draw_seconds = []
        self.written = None

    def on_train_begin(self, run_context):
        if not is_main_rank():
            self.available = False  # rank 0 draws for a data-parallel job
            return
        folder = os.path.dirname(os.path.abspath(self.png_path))
        if not os.path.isdir(folder):
            raise ValueError(f"TrainingCurves: the folder of png_path {self.png_path!r} does "
                             f"not exist")
        if self.available is None:
            self.available = _plotting.load_matplotlib() is not None
            if not self.available:
                print(f"note: matplotlib is not installed, so no plot {self.png_path}; "
                      f"{_plotting.PLOT_HINT}", file=self.stream, flush=True)
        self._steps_x, self._losses, self._lrs = [], [], []
        self._epochs = {}      # epoch -> own record (used when there is no metrics log)
        self._begin, self._stale = time.perf_counter(), False
        optimizer = run_context.original_args().get("optimizer")
        self._get_lr = getattr(optimizer, "get_lr", None)

    def on_train_epoch_begin(self, run_context):
        self._epoch_loss, self._epoch_steps = 0.0, 0

    def on_train_step_begin(self, run_context):
        if self.available and self._get_lr is not None:
            try:
                self._lrs.append(float(np.mean(self._get_lr().asnumpy())))
            except Exception:   # noqa: BLE001 - a custom optimizer without a scalar lr: no lr
                self._get_lr = None
                self._lrs = []

    def on_train_step_end(self, run_context):
        if not self.available:
            return
        cb = run_context.original_args()
        loss = float(np.mean(_loss_value(cb.net_outputs)))
        step = (cb.cur_step_num - 1) % cb.batch_num + 1
        self._steps_x.append(cb.cur_epoch_num - 1 + step / cb.batch_num)
        self._losses.append(loss)
        self._epoch_loss += loss
        self._epoch_steps += 1

    def on_train_epoch_end(self, run_context):
        if not self.available:
            return
        cb = run_context.original_args()
        row = {"epoch": cb.cur_epoch_num,
               "mean_loss": self._epoch_loss / self._epoch_steps if self._epoch_steps else None}
        for name, value in (cb.get("metrics") or {}).items():
            row[f"test_{name.lower()}"] = float(value)
        self._epochs[cb.cur_epoch_num] = row
        self._stale = True
        last = cb.cur_epoch_num >= cb.get("initial_epoch", 0) + cb.epoch_num
        if last or self._within_budget():
            self.draw()

    def _within_budget(self):
        if self.max_overhead is None:
            return True
        spent = sum(self.draw_seconds)
        training = time.perf_counter() - self._begin - spent
        expected = self.draw_seconds[-1] if self.draw_seconds else _FIRST_DRAW_GUESS
        return spent + expected <= self.max_overhead * training

    def on_train_end(self, run_context):
        if not self.available:
            return
        if self._stale or (self.metrics_log is not None and self.plotted is not None and
                           len(self._epoch_rows()) != len(self.plotted["epoch"])):
            self.draw()     # training stopped early, or the log gained a row since the drawing

    def _epoch_rows(self):
        if self.metrics_log is None:
            return [self._epochs[e] for e in sorted(self._epochs)]
        if not os.path.isfile(self.metrics_log):
            return []
        by_epoch = {}
        for row in read_metrics_log(self.metrics_log):
            if "epoch" in row:
                by_epoch[row["epoch"]] = row     # a repeated epoch: the newest record wins
        return [by_epoch[e] for e in sorted(by_epoch)]

    def draw(self):
        """Redraw the PNG from the steps seen so far and the per-epoch records; returns its
        path, or None without matplotlib."""
        start = time.perf_counter()
        fig = _plotting.new_figure(*self.size, dpi=self.dpi)
        if fig is None:
            return None
        rows = self._epoch_rows()
        epochs = [r["epoch"] for r in rows]
        metric_names = sorted({k for r in rows for k in r if k.startswith("test_")})
        fractions = [k for k in metric_names if _is_fraction_metric(k)]
        others = [k for k in metric_names if k not in fractions]
        plotted = {"epoch": epochs, "mean_loss": [r.get("mean_loss") for r in rows],
                   "steps": len(self._losses), "lr": list(self._lrs)}
        for k in metric_names:
            plotted[k] = [r.get(k) for r in rows]

        axes = fig.subplots(1, 2) if fractions else [fig.subplots(1, 1)]
        ax = axes[0]
        x, y = np.asarray(self._steps_x), np.asarray(self._losses)
        if len(y):
            smoothed = smooth(y, self.smoothing)
            keep = slice(None, None, max(1, math.ceil(len(y) / _MAX_STEP_POINTS)))
            ax.plot(x[keep], y[keep], color="tab:blue", alpha=0.25, linewidth=0.8,
                    label="loss per step")
            ax.plot(x[keep], smoothed[keep], color="tab:blue", linewidth=1.5,
                    label=f"smoothed ({self.smoothing:g})")
        ax.plot(epochs, _nan(plotted["mean_loss"]), "o-", color="tab:orange", markersize=4,
                label="mean loss per epoch")
        for k in others:
            ax.plot(epochs, _nan(plotted[k]), "s--", markersize=4, label=k.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        lr_changes = bool(self._lrs) and max(self._lrs) != min(self._lrs) and \
            len(self._lrs) == len(x)
        if lr_changes:
            ax_lr = ax.twinx()
            ax_lr.plot(x, self._lrs, color="tab:gray", linewidth=1, linestyle=":")
            ax_lr.set_ylabel("learning rate", color="tab:gray")
            ax_lr.tick_params(axis="y", colors="tab:gray", labelsize=7)
        ax.legend(fontsize=7, loc="upper right")
        if fractions:
            ax = axes[1]
            for k in fractions:
                values = [100 * v if v is not None else math.nan for v in plotted[k]]
                line, = ax.plot(epochs, values, "o-", markersize=4, label=k.replace("_", " "))
                if values:
                    ax.annotate(f"{values[-1]:.2f}%", (epochs[-1], values[-1]),
                                textcoords="offset points", xytext=(-4, -12), ha="right",
                                fontsize=8, color=line.get_color())
            ax.set_xlabel("epoch")
            ax.set_ylabel("%")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="lower right")
        for a in axes:
            a.tick_params(labelsize=7)
            a.xaxis.get_major_locator().set_params(integer=True)
        fig.suptitle(self.title or "training curves", fontsize=9)
        fig.subplots_adjust(left=0.08, right=0.91 if lr_changes else 0.97, bottom=0.16,
                            top=0.88, wspace=0.3)
        _plotting.save_png(fig, self.png_path)
        self.plotted, self.written, self._stale = plotted, self.png_path, False
        self.draw_seconds.append(time.perf_counter() - start)
        return self.png_path


def _nan(values):
    return [math.nan if v is None else v for v in values]
