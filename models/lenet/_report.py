"""Predictions, the confusion matrix (text and heat map) and the most confident mistakes
(private helper of ``eval.py``). Pictures need matplotlib: without it the ``*_figure``
functions return None."""
from minispore import _plotting

import numpy as np

from minispore import Tensor


def predict_labels(network, dataset, keep_images=False):
    """``(true, predicted, confidence, images)`` over one pass of ``dataset`` (columns image,
    label): int64 labels, the softmax probability of the predicted class, and the input images
    (None unless ``keep_images``)."""
    network.set_train(False)
    true, pred, conf, images = [], [], [], []
    for image, label in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True):
        logits = network(Tensor(image)).asnumpy().astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        pred.append(prob.argmax(axis=1))
        conf.append(prob.max(axis=1))
        true.append(np.asarray(label))
        if keep_images:
            images.append(np.asarray(image))
    return (np.concatenate(true).astype(np.int64), np.concatenate(pred).astype(np.int64),
            np.concatenate(conf), np.concatenate(images) if keep_images else None)


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


def confusion_figure(m, title):
    """The confusion matrix as a heat map with the count in every cell (rows: true class,
    columns: predicted class; the colour scale is logarithmic so that the few mistakes show
    next to the large diagonal), or None without matplotlib."""
    fig = _plotting.new_figure(5.2, 4.6, dpi=80)
    if fig is None:
        return None
    n = m.shape[0]
    ax = fig.subplots()
    shown = np.log1p(m.astype(np.float64))
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=max(shown.max(), 1e-9))
    for t in range(n):
        for p in range(n):
            if m[t, p]:
                dark = shown[t, p] > 0.6 * shown.max()
                ax.text(p, t, str(int(m[t, p])), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(labelsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04).set_label("log(1 + count)", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.subplots_adjust(left=0.1, right=0.92, bottom=0.1, top=0.9)
    return fig


def worst_mistakes(true, pred, conf, count):
    """Indices of the ``count`` misclassified images with the highest confidence, most confident
    first (ties: lower index first)."""
    wrong = np.flatnonzero(true != pred)
    order = np.lexsort((wrong, -conf[wrong]))
    return wrong[order[:count]]


def mistakes_figure(images, true, pred, conf, title, count=24, columns=8):
    """A grid of the ``count`` most confidently misclassified images, each titled
    ``4 -> 9 (97%)`` (true -> predicted, confidence), or None without matplotlib (or when nothing is misclassified, a
    figure saying so)."""
    chosen = worst_mistakes(true, pred, conf, count)
    rows = max(1, -(-len(chosen) // columns))
    fig = _plotting.new_figure(columns * 0.95, rows * 1.1 + 0.4, dpi=80)
    if fig is None:
        return None
    if len(chosen) == 0:
        fig.text(0.5, 0.5, "no misclassified image", ha="center", va="center")
    axes = fig.subplots(rows, columns, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(chosen):
            i = chosen[k]
            ax.imshow(images[i].reshape(images[i].shape[-2:]), cmap="gray_r")
            ax.set_title(f"{true[i]} \u2192 {pred[i]} ({100 * conf[i]:.0f}%)", fontsize=8,
                         color="tab:red")
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.45 / (rows * 1.1 + 0.4),
                        wspace=0.05, hspace=0.35)
    return fig
