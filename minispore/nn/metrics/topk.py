"""Top-k categorical accuracy: a sample counts when its label is among the k highest scores."""
import numbers

import numpy as np

from ._base import Metric, check_input_count, is_one_hot, rearrange_inputs

__all__ = ["TopKCategoricalAccuracy", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy"]


class TopKCategoricalAccuracy(Metric):
    """Fraction of samples whose true class is among the ``k`` largest scores of ``y_pred``.

    Args:
        k (int): how many of the top scores count, >= 1.

    ``update(y_pred, y)``: ``y_pred`` of shape (N, C); ``y`` class indexes (N,) or one-hot
    (N, C). Among equal scores the lower class index ranks first (a stable descending sort, as
    MindSpore's ``argsort(-y_pred)``). ``eval()`` returns ``np.float64``.

    Raises:
        TypeError: ``k`` is not an int.
        ValueError: ``k`` < 1.
    """

    def __init__(self, k):
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"For '{type(self).__name__}', the type of the argument 'k' should be "
                            f"int, but got 'k' type: {type(k)}.")
        if k < 1:
            raise ValueError(f"For '{type(self).__name__}', the argument 'k' must be at least 1, "
                             f"but got 'k' value: {k}.")
        self.k = int(k)
        self.clear()

    def clear(self):
        """Reset the counts."""
        self._correct_num = 0
        self._samples_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Add one batch ``(y_pred, y)``."""
        name = type(self).__name__
        check_input_count(name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y_pred.ndim != 2:
            raise ValueError(f"For '{name}.update', the predicted value (inputs[0]) must have "
                             f"shape (N, C), but got shape {y_pred.shape}.")
        if y.ndim == 2 and is_one_hot(y):
            y = y.argmax(axis=1)
        if y.shape != (y_pred.shape[0],):
            raise ValueError(f"For '{name}.update', the true value (inputs[1]) must have shape "
                             f"({y_pred.shape[0]},) or be one-hot {y_pred.shape}, but got shape "
                             f"{y.shape}.")
        top = np.argsort(-y_pred, axis=1, kind="stable")[:, :self.k]
        self._correct_num += int((top == y.reshape(-1, 1)).any(axis=1).sum())
        self._samples_num += y_pred.shape[0]

    def eval(self):
        """The top-k accuracy so far (``np.float64``)."""
        if self._samples_num == 0:
            raise RuntimeError(f"The '{type(self).__name__}' can not be calculated, because the "
                               f"number of samples is 0, please check whether your inputs "
                               f"(predicted value, true value) are empty, or has called update "
                               f"method before calling eval method.")
        return np.float64(self._correct_num) / self._samples_num


class Top1CategoricalAccuracy(TopKCategoricalAccuracy):
    """``TopKCategoricalAccuracy(1)``."""

    def __init__(self):
        super().__init__(1)


class Top5CategoricalAccuracy(TopKCategoricalAccuracy):
    """``TopKCategoricalAccuracy(5)``."""

    def __init__(self):
        super().__init__(5)
