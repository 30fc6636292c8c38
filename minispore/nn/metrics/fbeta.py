"""F-beta and F1 scores per class (single-label classification)."""
import sys

import numpy as np

from ._base import (Metric, check_class_num, check_input_count, is_one_hot, labels_to_one_hot,
                    rearrange_inputs)
from .precision_recall import check_beta

__all__ = ["Fbeta", "F1"]


class Fbeta(Metric):
    """Per-class ``(1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)`` (``mindspore.train.Fbeta``).

    Args:
        beta (Union[float, int]): weight of recall against precision, > 0.

    ``update(y_pred, y)``: ``y_pred`` (N, C) scores (their argmax is the prediction), ``y``
    class indexes (N,) or one-hot (N, C). ``eval(average=False)`` gives one value per class,
    ``average=True`` their mean. A class never predicted nor present scores 0.
    """

    def __init__(self, beta):
        super().__init__()
        self.eps = sys.float_info.min
        self.beta = check_beta(beta)
        self.clear()

    def clear(self):
        """Reset the counts."""
        self._true_positives = 0
        self._actual_positives = 0
        self._positives = 0
        self._class_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Add one batch ``(y_pred, y)``."""
        name = type(self).__name__
        check_input_count(name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y_pred.ndim == y.ndim and is_one_hot(y):
            y = y.argmax(axis=1)
        class_num = check_class_num(self, y_pred)
        if y_pred.ndim != 2 or y.shape != (y_pred.shape[0],):
            raise ValueError(f"For '{name}.update', y_pred must be (N, C) and y (N,) or one-hot "
                             f"(N, C), but got shapes {y_pred.shape} and {y.shape}.")
        y = labels_to_one_hot(self, y, class_num)
        y_pred = np.eye(class_num)[y_pred.argmax(axis=1)]
        self._true_positives = self._true_positives + (y * y_pred).sum(axis=0)
        self._positives = self._positives + y_pred.sum(axis=0)
        self._actual_positives = self._actual_positives + y.sum(axis=0)

    def eval(self, average=False):
        """Per-class F-beta (float64 array), or their mean with ``average=True``."""
        if not isinstance(average, bool):
            raise TypeError(f"For '{type(self).__name__}.eval', the argument 'average' must be "
                            f"bool, but got {type(average)}.")
        if self._class_num == 0:
            raise RuntimeError(f"The '{type(self).__name__}' can not be calculated, because the "
                               f"number of samples is 0, please check whether your inputs "
                               f"(predicted value, true value) are empty, or has called update "
                               f"method before calling eval method.")
        b2 = self.beta ** 2
        fbeta = (1.0 + b2) * self._true_positives / (
            b2 * self._actual_positives + self._positives + self.eps)
        return fbeta.mean() if average else fbeta


class F1(Fbeta):
    """``Fbeta(1.0)``: the harmonic mean of precision and recall, per class."""

    def __init__(self):
        super().__init__(1.0)
