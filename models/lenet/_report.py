"""Per-epoch test accuracy, the metrics log, the loss/accuracy plot and the confusion matrix
(private helper of ``train.py`` and ``eval.py``)."""
import json
import os

import numpy as np

from minispore import Tensor
from minispore.train.callback import Callback


def predict_labels(network, dataset):
    """``(true, predicted)`` int arrays over one pass of ``dataset`` (columns image, label)."""
    network.set_train(False)
    true, pred = [], []
    for image, label in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True):
        logits = network(Tensor(image)).asnumpy()
        pred.append(logits.argmax(axis=1))
        true.append(np.asarray(label))
    return np.concatenate(true).astype(np.int64), np.concatenate(pred).astype(np.int64)


def confusion_matrix(true, pred, num_classes=10):
    """``m[t, p]`` = number of images of class ``t`` predicted as ``p``."""
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (true, pred), 1)
    return m


def format_confusion(m):
    """The confusion matrix as a text table: rows = true class, columns = predicted class, and
    each class's recall on the right."""
    n = m.shape[0]
    w = max(4, len(str(int(m.max()))) + 1)
    lines = ["true \\ pred " + "".join(f"{j:>{w}}" for j in range(n)) + "   recall"]
    lines.append("-" * len(lines[0]))
    for i in range(n):
        total = int(m[i].sum())
        recall = f"{100.0 * m[i, i] / total:6.2f}%" if total else "     -"
        lines.append(f"{i:>11} " + "".join(f"{int(v):>{w}}" for v in m[i]) + f"  {recall}")
    return "\n".join(lines)


class EpochReport(Callback):
    """After each epoch: test accuracy, one summary line, one JSON line in the metrics log.

    Args:
        model (Model): its ``eval`` (metric ``'Accuracy'``) scores ``eval_dataset``.
        eval_dataset: the test split (see ``_data.create_eval_dataset``).
        progress (ProgressBar): provides the epoch's loss, time and images/s.
        log_path (str): the metrics log (JSON lines, appended).
        ckpt_name (callable): ``ckpt_name(epoch, steps)`` -> the checkpoint file of that epoch.
        test_images (int): size of the test split (for the "(971/1000)" count).

    ``rows`` keeps every epoch's record (also written to the log). With ``quiet`` (ranks
    other than 0 of a data-parallel run) it still evaluates, since evaluation is collective,
    but writes and prints nothing.
    """

    def __init__(self, model, eval_dataset, progress, log_path, ckpt_name=None, test_images=None,
                 quiet=False):
        super().__init__()
        self.quiet = quiet
        self.model, self.eval_dataset, self.progress = model, eval_dataset, progress
        self.log_path, self.ckpt_name, self.test_images = log_path, ckpt_name, test_images
        self.rows = []

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        acc = float(self.model.eval(self.eval_dataset)["Accuracy"])
        row = dict(self.progress.last_epoch or {"epoch": cb.cur_epoch_num})
        row["test_accuracy"] = acc
        if self.ckpt_name is not None:
            row["checkpoint"] = self.ckpt_name(cb.cur_epoch_num, cb.batch_num)
        self.rows.append(row)
        if self.quiet:
            return
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        count = f" ({round(acc * self.test_images)}/{self.test_images})" if self.test_images else ""
        epochs = cb.initial_epoch + cb.epoch_num
        print(f"epoch {cb.cur_epoch_num}/{epochs}: mean loss {row.get('mean_loss', 0):.4f}, "
              f"test accuracy {100 * acc:.2f}%{count}, {row.get('seconds', 0):.1f} s, "
              f"{row.get('images_per_second', 0):,.0f} img/s", flush=True)


def read_log(path):
    """The records of a metrics log (JSON lines)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def plot(rows, png_path):
    """Loss and test accuracy per epoch as a PNG; returns the path, or None without matplotlib."""
    try:
        import matplotlib   # noqa: PLC0415 - optional dependency
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt   # noqa: PLC0415
    except ImportError:
        return None
    epochs = [r["epoch"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [r.get("mean_loss") for r in rows], marker="o")
    ax1.set(xlabel="epoch", ylabel="mean training loss", title="loss")
    ax2.plot(epochs, [100 * r["test_accuracy"] for r in rows], marker="o", color="tab:green")
    ax2.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path


def default_png(log_path):
    return os.path.splitext(log_path)[0] + ".png"
