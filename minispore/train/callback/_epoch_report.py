"""EpochReport: after each epoch, score a test set, print one line, append one JSON line to a
metrics log (any model: the metrics are whatever ``Model(metrics=...)`` was given)."""
import json
import os
import time

import numpy as np

from ._callback import Callback
from ._rank import is_main_rank
from ._loss_monitor import _loss_value

__all__ = ["EpochReport", "read_metrics_log"]


def read_metrics_log(path):
    """The records of a metrics log written by :class:`EpochReport` (JSON lines), in file order.

    Raises:
        ValueError: a line is not JSON (names the file and line number).
    """
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}, line {number}: not a JSON record ({e.msg})") from None
    return rows


def _is_fraction_metric(name):
    return "acc" in name.lower() or "precision" in name.lower() or "recall" in name.lower()


class EpochReport(Callback):
    """After each training epoch: ``model.eval(eval_dataset)``, one summary line, one JSON line.

    Args:
        model (Model): a Model built with ``metrics=...``; every metric it returns is recorded as
            ``test_<name in lower case>`` (``{'Accuracy': nn.Accuracy()}`` -> ``test_accuracy``).
        eval_dataset: the dataset ``model.eval`` scores after each epoch.
        progress (ProgressBar): optional; when given, the epoch's loss, time and samples/s come
            from it (it must come before this callback in the list). Otherwise this callback
            measures the mean loss and the training time of the epoch itself.
        log_path (str): the metrics log (JSON lines, appended; the folder must exist). None: no
            file, only ``rows``.
        ckpt_name (callable): ``ckpt_name(epoch, steps)`` -> the checkpoint file of that epoch,
            stored as ``checkpoint``. Default: None.
        test_images (int): size of the test set, for the ``(971/1000)`` count after an accuracy.
        stream: where the summary line goes. Default: None, ``sys.stdout`` at print time.

    Each record holds ``epoch``, ``steps``, ``loss`` (last step), ``mean_loss``, ``seconds``,
    ``images_per_second`` (with a ProgressBar), the ``test_*`` metrics and ``checkpoint``;
    ``rows`` keeps every epoch's record. The line printed::

        epoch 3/10: mean loss 0.1234, test accuracy 97.10% (971/1000), 0.8 s, 5,012 img/s
    """

    _internal = True

    def __init__(self, model, eval_dataset, progress=None, log_path=None, ckpt_name=None,
                 test_images=None, stream=None):
        super().__init__()
        if not hasattr(model, "eval"):
            raise TypeError(f"EpochReport: 'model' must be a Model (with an eval method), "
                            f"got {type(model).__name__}")
        if log_path is not None:
            folder = os.path.dirname(os.path.abspath(log_path))
            if not os.path.isdir(folder):
                raise ValueError(f"EpochReport: the folder of log_path {log_path!r} does not "
                                 f"exist")
        self.model, self.eval_dataset, self.progress = model, eval_dataset, progress
        self.log_path, self.ckpt_name, self.test_images = log_path, ckpt_name, test_images
        self.stream = stream
        self.rows = []

    def on_train_epoch_begin(self, run_context):
        self._start = time.perf_counter()
        self._loss_sum, self._steps, self._loss = 0.0, 0, None

    def on_train_step_end(self, run_context):
        if self.progress is None:
            self._loss = float(np.mean(_loss_value(run_context.original_args().net_outputs)))
            self._loss_sum += self._loss
            self._steps += 1

    def _own_epoch(self, epoch):
        n = self._steps
        return {"epoch": epoch, "steps": n, "loss": self._loss,
                "mean_loss": self._loss_sum / n if n else None,
                "seconds": time.perf_counter() - self._start}

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        if self.progress is not None:
            row = dict(self.progress.last_epoch or {"epoch": cb.cur_epoch_num})
        else:
            row = self._own_epoch(cb.cur_epoch_num)
        metrics = self.model.eval(self.eval_dataset)
        for name, value in metrics.items():
            row[f"test_{name.lower()}"] = float(value)
        if self.ckpt_name is not None:
            row["checkpoint"] = self.ckpt_name(cb.cur_epoch_num, cb.batch_num)
        self.rows.append(row)
        if not is_main_rank():  # evaluation is collective; the report is rank 0's
            return
        if self.log_path is not None:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        print(self._line(cb, row, metrics), file=self.stream, flush=True)

    def _line(self, cb, row, metrics):
        parts = []
        if row.get("mean_loss") is not None:
            parts.append(f"mean loss {row['mean_loss']:.4f}")
        for name, value in metrics.items():
            value = float(value)
            if _is_fraction_metric(name):
                text = f"test {name.lower()} {100 * value:.2f}%"
                if self.test_images and "acc" in name.lower():
                    text += f" ({round(value * self.test_images)}/{self.test_images})"
            else:
                text = f"test {name.lower()} {value:.4f}"
            parts.append(text)
        parts.append(f"{row.get('seconds', 0):.1f} s")
        if row.get("images_per_second") is not None:
            parts.append(f"{row['images_per_second']:,.0f} img/s")
        epochs = cb.initial_epoch + cb.epoch_num if "initial_epoch" in cb else cb.epoch_num
        return f"epoch {cb.cur_epoch_num}/{epochs}: " + ", ".join(parts)
