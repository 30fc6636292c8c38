"""The loss/accuracy plot and the confusion matrix (private helper of ``train.py`` and
``eval.py``); the per-epoch report itself is ``minispore.train.callback.EpochReport``."""
import os

import numpy as np

from minispore import Tensor


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
