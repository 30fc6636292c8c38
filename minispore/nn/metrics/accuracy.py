"""``Accuracy``: the fraction of correctly classified samples."""
import numpy as np

from ._base import Metric

__all__ = ["Accuracy"]


class Accuracy(Metric):
    """Fraction of correctly classified samples.

    Args:
        eval_type (str): ``'classification'`` (argmax of ``y_pred`` against a label or one-hot
            ``y``) or ``'multilabel'`` (``y_pred`` already 0/1, a sample counts when all its
            labels match). Default: ``'classification'``.

    ``update(y_pred, y)``: ``y_pred`` of shape (N, C); ``y`` of shape (N,) (labels) or (N, C).
    """

    def __init__(self, eval_type="classification"):
        super().__init__()
        if eval_type not in ("classification", "multilabel"):
            raise ValueError(f"The argument 'eval_type' must be in ['classification', "
                             f"'multilabel'], but got {eval_type}.")
        self._type = eval_type
        self.clear()

    def clear(self):
        self._correct_num = 0
        self._total_num = 0
        self._class_num = 0

    def update(self, *inputs):
        inputs = self._select(inputs)
        if len(inputs) != 2:
            raise ValueError(f"For 'Accuracy.update', it needs 2 inputs (predicted value, true "
                             f"value), but got {len(inputs)}.")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y_pred.ndim < 2:
            raise ValueError(f"For 'Accuracy.update', the predicted value (inputs[0]) must have "
                             f"shape (N, C), but got shape {y_pred.shape}.")
        if self._type == "classification" and y.ndim == y_pred.ndim:
            y = y.argmax(axis=1)          # one-hot labels
        expected = y_pred.shape[:1] + y_pred.shape[2:] if self._type == "classification" \
            else y_pred.shape
        if y.shape != expected:
            raise ValueError(f"For 'Accuracy.update', the true value (inputs[1]) must have shape "
                             f"{expected} to match the predicted value of shape {y_pred.shape}, "
                             f"but got {y.shape}.")
        if self._class_num == 0:
            self._class_num = y_pred.shape[1]
        elif y_pred.shape[1] != self._class_num:
            raise ValueError(f"For 'Accuracy.update', class number not match, last input "
                             f"predicted data contain {self._class_num} classes, but current "
                             f"predicted data contain {y_pred.shape[1]} classes, please check your "
                             f"predicted value(inputs[0]).")
        if self._type == "classification":
            result = (y_pred.argmax(axis=1) == y).reshape(-1)
        else:
            last = y_pred.ndim - 1
            flat_pred = y_pred.swapaxes(1, last).reshape(-1, self._class_num)
            flat_y = y.swapaxes(1, last).reshape(-1, self._class_num)
            result = (flat_pred == flat_y).all(axis=1)
        self._correct_num += int(result.sum())
        self._total_num += result.shape[0]

    def eval(self):
        if self._total_num == 0:
            raise RuntimeError("The 'Accuracy' can not be calculated, because the number of "
                               "samples is 0, please check whether your inputs(predicted value, "
                               "true value) are empty, or has called update method before calling "
                               "eval method.")
        return np.float64(self._correct_num) / self._total_num
