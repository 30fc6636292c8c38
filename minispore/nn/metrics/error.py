"""Regression errors: MAE and MSE, summed over all elements and divided by the sample count.

As in MindSpore, the sum of ``|y - y_pred|`` (or its square) over *every element* is divided by
the number of *samples* (the first dimension of ``y``), so for a (N, D) output the value is D
times the per-element mean.
"""
import numpy as np

from ._base import Metric, check_input_count, rearrange_inputs

__all__ = ["MAE", "MSE"]


class _ErrorSum(Metric):
    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        """Reset the sums."""
        self._error_sum = 0
        self._samples_num = 0

    def _error(self, diff):
        raise NotImplementedError

    @rearrange_inputs
    def update(self, *inputs):
        """Add one batch ``(y_pred, y)``; ``y`` must have as many elements as ``y_pred``."""
        name = type(self).__name__
        check_input_count(name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y.size != y_pred.size or y.ndim == 0:
            raise ValueError(f"For '{name}.update', the true value (inputs[1]) must have the "
                             f"elements of the predicted value (inputs[0]) and a batch axis, but "
                             f"got shapes {y.shape} and {y_pred.shape}.")
        self._error_sum += self._error(y.reshape(y_pred.shape) - y_pred).sum()
        self._samples_num += y.shape[0]

    def eval(self):
        """The error so far as ``np.float64`` (the sum is accumulated in the inputs' dtype, as
        MindSpore does, then divided in float64)."""
        if self._samples_num == 0:
            raise RuntimeError(f"The '{type(self).__name__}' can not be calculated, because the "
                               f"number of samples is 0, please check whether your inputs"
                               f"(predicted value, true value) are empty, or has called update "
                               f"method before calling eval method.")
        return np.float64(self._error_sum) / self._samples_num


class MAE(_ErrorSum):
    """Mean absolute error ``sum |y - y_pred| / N`` (``mindspore.train.MAE``)."""

    def _error(self, diff):
        return np.abs(diff)


class MSE(_ErrorSum):
    """Mean squared error ``sum (y - y_pred)^2 / N`` (``mindspore.train.MSE``)."""

    def _error(self, diff):
        return np.square(diff)
