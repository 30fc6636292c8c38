"""Precision and Recall, per class ('classification') or per sample ('multilabel').

'classification': ``y_pred`` (N, C) scores become the one-hot of their argmax, ``y`` (labels or
one-hot) becomes one-hot; true positives, predicted positives and actual positives are summed
per class over all batches, so ``eval()`` is an array of C values.

'multilabel': ``y_pred`` and ``y`` are 0/1 of shape (N, C); the counts are taken per sample
(over its C labels) and kept for every sample seen, so ``eval()`` has one value per sample.
``eval(average=True)`` is the mean over classes (classification) or samples (multilabel).
A class or sample with no positives scores 0 (the denominator gets ``sys.float_info.min``).
"""
import numbers
import sys

import numpy as np

from ._base import (EvaluationBase, check_class_num, check_input_count, is_one_hot,
                    labels_to_one_hot, rearrange_inputs)

__all__ = ["Precision", "Recall"]

_EPS = sys.float_info.min


class _PerClassRate(EvaluationBase):
    """Shared machinery: ``true_positives / denominator`` where the subclass chooses the
    denominator (predicted positives for precision, actual positives for recall)."""

    def __init__(self, eval_type="classification"):
        super().__init__(eval_type)
        self.eps = _EPS
        self.clear()

    def clear(self):
        """Reset the counts."""
        self._class_num = 0
        empty = np.empty(0) if self._type == "multilabel" else 0
        self._true_positives = empty
        self._denominators = empty

    def _denominator(self, y_pred, y):
        raise NotImplementedError

    @rearrange_inputs
    def update(self, *inputs):
        """Add one batch ``(y_pred, y)``."""
        name = type(self).__name__
        check_input_count(name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if self._type == "classification" and y_pred.ndim == y.ndim and is_one_hot(y):
            y = y.argmax(axis=1)
        self._check_shape(y_pred, y)
        self._check_value(y_pred, y)
        class_num = check_class_num(self, y_pred)
        if self._type == "classification":
            y = labels_to_one_hot(self, y, class_num)
            y_pred = np.eye(class_num)[y_pred.argmax(axis=1).reshape(-1)]
            axis = 0
        else:
            y_pred = np.moveaxis(y_pred, 1, -1).reshape(-1, class_num).astype(np.float64)
            y = np.moveaxis(y, 1, -1).reshape(-1, class_num).astype(np.float64)
            axis = 1
        true_positives = (y * y_pred).sum(axis=axis)
        denominators = self._denominator(y_pred, y).sum(axis=axis)
        if self._type == "multilabel":
            self._true_positives = np.concatenate((self._true_positives, true_positives))
            self._denominators = np.concatenate((self._denominators, denominators))
        else:
            self._true_positives = self._true_positives + true_positives
            self._denominators = self._denominators + denominators

    def eval(self, average=False):
        """Per-class (classification) or per-sample (multilabel) values as a float64 array;
        their mean (``np.float64``) with ``average=True``."""
        name = type(self).__name__
        if not isinstance(average, bool):
            raise TypeError(f"For '{name}.eval', the argument 'average' must be bool, but got "
                            f"{type(average)}.")
        if self._class_num == 0:
            raise RuntimeError(f"The '{name}' can not be calculated, because the number of "
                               f"samples is 0, please check whether your inputs (predicted value, "
                               f"true value) are empty, or has called update method before "
                               f"calling eval method.")
        result = self._true_positives / (self._denominators + self.eps)
        return result.mean() if average else result


class Precision(_PerClassRate):
    """Precision ``TP / (TP + FP)`` (``mindspore.train.Precision``).

    Args:
        eval_type (str): ``'classification'`` or ``'multilabel'``. Default: ``'classification'``.

    Example: scores ``[[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]`` with labels ``[1, 0, 1]`` give
    ``[0.5, 1.0]``.
    """

    def _denominator(self, y_pred, y):
        return y_pred


class Recall(_PerClassRate):
    """Recall ``TP / (TP + FN)`` (``mindspore.train.Recall``).

    Args:
        eval_type (str): ``'classification'`` or ``'multilabel'``. Default: ``'classification'``.

    Example: scores ``[[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]]`` with labels ``[1, 0, 1]`` give
    ``[1.0, 0.5]``.
    """

    def _denominator(self, y_pred, y):
        return y


def check_beta(beta):
    """``beta`` must be a real number > 0."""
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta > 0:
        raise ValueError(f"For 'Fbeta', the argument 'beta' must be greater than 0, but got "
                         f"{beta!r}.")
    return beta
