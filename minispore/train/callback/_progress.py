"""ProgressBar: a live progress line for ``Model.train`` (any model, any dataset).

On a terminal it rewrites one line with ``\\r``::

    epoch 3/10 [#########...........]  58/125  loss 0.1234  1,530 img/s  ETA 0:00:05 (run 0:02:51)

When stdout is not a terminal (a log file, a pipe, CI) it prints the same text as plain lines a
few times per epoch instead, so logs stay readable.
"""
import io
import sys
import time

import numpy as np

from ._callback import Callback
from ._loss_monitor import _loss_value
from ._rank import is_main_rank

__all__ = ["ProgressBar", "fmt_time"]


def fmt_time(seconds):
    """``h:mm:ss`` for a duration in seconds."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar(Callback):
    """Step/total, loss, samples per second and ETA, updated every step.

    Args:
        batch_size (int): samples per step (for the ``img/s`` rate).
        stream: where to write. Default: ``sys.stdout``.
        live (bool): rewrite one line with ``\\r``; None (default) means "when ``stream`` is a
            terminal".
        min_interval (float): seconds between two redraws of the live line.
        plain_lines (int): lines per epoch when not live.

    After each epoch ``last_epoch`` holds ``{'epoch', 'steps', 'loss' (last step), 'mean_loss',
    'seconds', 'images_per_second'}`` (``seconds`` covers the training steps only), which
    :class:`EpochReport` reads. The loss is the mean of the network's first output.

    Example::

        model.train(10, ds_train, callbacks=[ProgressBar(32)])
    """

    _internal = True

    def __init__(self, batch_size, stream=None, live=None, min_interval=0.2, plain_lines=4):
        super().__init__()
        self.batch_size = batch_size
        self.stream = stream if stream is not None else sys.stdout
        self.live = live
        self.min_interval = min_interval
        self.plain_lines = plain_lines
        self.last_epoch = None
        self._width = 0

    def on_train_begin(self, run_context):
        if not is_main_rank():
            self.stream = io.StringIO()  # rank 0 speaks for a data-parallel job
        if self.live is None:
            isatty = getattr(self.stream, "isatty", None)
            self.live = bool(isatty and isatty())
        self._run_start = time.perf_counter()
        self._steps_done = 0

    def on_train_epoch_begin(self, run_context):
        self._epoch_start = self._last_draw = time.perf_counter()
        self._loss_sum, self._n = 0.0, 0

    def on_train_step_end(self, run_context):
        cb = run_context.original_args()
        loss = float(np.mean(_loss_value(cb.net_outputs)))
        self._loss_sum += loss
        self._n += 1
        self._steps_done += 1
        self._loss = loss
        total = cb.batch_num
        step = (cb.cur_step_num - 1) % total + 1
        now = time.perf_counter()
        if self.live:
            if step == total or now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self._draw(self._line(cb, step, total, now))
        else:
            every = max(1, -(-total // self.plain_lines))
            if step % every == 0 or step == total:
                print(self._line(cb, step, total, now), file=self.stream, flush=True)

    def _line(self, cb, step, total, now):
        elapsed = now - self._epoch_start
        rate = self._n * self.batch_size / elapsed if elapsed > 0 else 0.0
        per_step = elapsed / self._n
        epochs = cb.initial_epoch + cb.epoch_num if "initial_epoch" in cb else cb.epoch_num
        left_run = (total - step) + (epochs - cb.cur_epoch_num) * total
        bar = ""
        if self.live:
            filled = int(20 * step / total)
            bar = " [" + "#" * filled + "." * (20 - filled) + "]"
        return (f"epoch {cb.cur_epoch_num}/{epochs}{bar} {step:>{len(str(total))}}/{total}  "
                f"loss {self._loss:.4f}  {rate:,.0f} img/s  ETA {fmt_time((total - step) * per_step)}"
                f" (run {fmt_time(left_run * per_step)})")

    def _draw(self, line):
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        seconds = time.perf_counter() - self._epoch_start
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
        self.last_epoch = {
            "epoch": cb.cur_epoch_num, "steps": self._n,
            "loss": self._loss if self._n else None,
            "mean_loss": self._loss_sum / self._n if self._n else None,
            "seconds": seconds,
            "images_per_second": self._n * self.batch_size / seconds if seconds > 0 else None}
