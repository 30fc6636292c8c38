"""``ConfusionMatrix``: counts of (true class, predicted class) pairs."""
import numbers

import numpy as np

from ._base import Metric, check_input_count, rearrange_inputs

__all__ = ["ConfusionMatrix"]

_NORMALIZE = ("no_norm", "target", "prediction", "all")


class ConfusionMatrix(Metric):
    """``matrix[i, j]`` = samples of true class ``i`` predicted as ``j``
    (``mindspore.train.ConfusionMatrix``).

    Args:
        num_classes (int): the number of classes.
        normalize (str): ``'no_norm'`` (counts), ``'target'`` (each row sums to 1),
            ``'prediction'`` (each column sums to 1) or ``'all'`` (the matrix sums to 1); an
            empty row/column gives 0. Default: ``'no_norm'``.
        threshold (float): when ``y_pred`` is a float array of ``y``'s shape (scores of a binary
            problem), ``y_pred >= threshold`` is the predicted class. Default: ``0.5``.

    ``update(y_pred, y)``: ``y_pred`` class scores (N, C, ...) (argmax over axis 1) or
    predicted classes (N, ...); ``y`` true classes (N, ...). ``eval()`` returns a float64
    (num_classes, num_classes) array.
    """

    def __init__(self, num_classes, normalize="no_norm", threshold=0.5):
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
            raise TypeError(f"For 'ConfusionMatrix', the argument 'num_classes' must be int, but "
                            f"got {type(num_classes)}.")
        if num_classes < 1:
            raise ValueError(f"For 'ConfusionMatrix', the argument 'num_classes' must be >= 1, "
                             f"but got {num_classes}.")
        if normalize not in _NORMALIZE:
            raise ValueError(f"For 'ConfusionMatrix', the argument 'normalize' must be in "
                             f"{list(_NORMALIZE)}, but got {normalize!r}.")
        if not isinstance(threshold, float):
            raise TypeError(f"For 'ConfusionMatrix', the argument 'threshold' must be float, but "
                            f"got {type(threshold)}.")
        self.num_classes = int(num_classes)
        self.normalize = normalize
        self.threshold = threshold
        self.clear()

    def clear(self):
        """Reset the counts."""
        self.confusion_matrix = np.zeros((self.num_classes, self.num_classes))
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs):
        """Add one batch ``(y_pred, y)``."""
        check_input_count("ConfusionMatrix", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y_pred.ndim == y.ndim + 1:
            y_pred = y_pred.argmax(axis=1)
        elif y_pred.ndim == y.ndim:
            if y_pred.dtype.kind == "f":
                y_pred = (y_pred >= self.threshold).astype(np.int64)
        else:
            raise ValueError(f"For 'ConfusionMatrix.update', predicted value (input[0]) and true "
                             f"value (input[1]) should have same dimensions, or the dimension of "
                             f"predicted value equals the dimension of true value add 1, but got "
                             f"predicted value ndim: {y_pred.ndim}, true value ndim: {y.ndim}.")
        if y_pred.shape != y.shape:
            raise ValueError(f"For 'ConfusionMatrix.update', the predicted classes have shape "
                             f"{y_pred.shape} but the true value (input[1]) has shape {y.shape}.")
        n = self.num_classes
        for what, arr in (("true value (input[1])", y), ("predicted classes", y_pred)):
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                raise ValueError(f"For 'ConfusionMatrix.update', the {what} must lie in [0, {n}), "
                                 f"but got values from {arr.min()} to {arr.max()}.")
        pairs = y.reshape(-1).astype(np.int64) * n + y_pred.reshape(-1).astype(np.int64)
        self.confusion_matrix += np.bincount(pairs, minlength=n * n).reshape(n, n)
        self._is_update = True

    def eval(self):
        """The (normalised) confusion matrix, float64 (num_classes, num_classes)."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        matrix = self.confusion_matrix.astype(np.float64)
        if self.normalize == "no_norm":
            return matrix
        if self.normalize == "target":
            total = matrix.sum(axis=1, keepdims=True)
        elif self.normalize == "prediction":
            total = matrix.sum(axis=0, keepdims=True)
        else:
            total = matrix.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = matrix / total
        out[np.isnan(out)] = 0
        return out
