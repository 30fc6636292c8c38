"""Evaluation metrics (``mindspore.nn.Metric``, ``Accuracy``, ``Loss``) and the name registry
``Model(metrics={'acc', 'loss'})`` uses.

A metric accumulates over batches: ``clear()`` resets it, ``update(*inputs)`` adds one batch
(Tensors, numpy arrays or lists), ``eval()`` returns the value so far. Values are numpy scalars,
as in MindSpore: ``Accuracy`` gives ``np.float64``, ``Loss`` gives the dtype of the losses
(``np.float32`` for a float32 loss).
"""
from abc import ABCMeta, abstractmethod

import numpy as np

from ..common.tensor import Tensor

__all__ = ["Metric", "Accuracy", "Loss", "get_metric_fn", "get_metrics", "names"]


class Metric(metaclass=ABCMeta):
    """Base class of metrics: subclasses implement ``clear``, ``update`` and ``eval``.

    Calling a metric (``metric(y_pred, y)``) clears it, updates it once and returns ``eval()``.
    """

    def __init__(self):
        self._indexes = None

    @staticmethod
    def _convert_data(data):
        """Tensor / list / ndarray -> ndarray (the metric works on numpy)."""
        if isinstance(data, Tensor):
            return data.asnumpy()
        if isinstance(data, list):
            return np.array(data)
        if isinstance(data, (np.ndarray, np.generic)):
            return np.asarray(data)
        raise TypeError(f"For 'Metric' and its derived classes, the input data type must be "
                        f"tensor, list or numpy.ndarray, but got {type(data)}.")

    @property
    def indexes(self):
        """Which of the eval network's outputs ``update`` receives (None: all, in order)."""
        return self._indexes

    def set_indexes(self, indexes):
        """Choose the eval-network outputs passed to ``update``, e.g. ``[0, 2]``; returns self."""
        if not isinstance(indexes, list) or not all(isinstance(i, int) for i in indexes):
            raise ValueError(f"For 'set_indexes', the argument 'indexes' must be a list of int, "
                             f"but got {indexes!r}.")
        self._indexes = indexes
        return self

    def _select(self, inputs):
        return inputs if self._indexes is None else tuple(inputs[i] for i in self._indexes)

    def __call__(self, *inputs):
        self.clear()
        self.update(*inputs)
        return self.eval()

    @abstractmethod
    def clear(self):
        """Reset the accumulated state."""

    @abstractmethod
    def update(self, *inputs):
        """Accumulate one batch."""

    @abstractmethod
    def eval(self):
        """The metric over everything seen since ``clear``."""


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


class Loss(Metric):
    """Mean of the per-batch losses (each batch's loss is first averaged over its elements).

    ``update(loss)``: a scalar or 1-D loss (Tensor / ndarray).
    """

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        self._sum_loss = 0
        self._total_num = 0

    def update(self, *inputs):
        inputs = self._select(inputs)
        if len(inputs) != 1:
            raise ValueError(f"For 'Loss.update', it needs 1 input (loss), but got {len(inputs)}.")
        loss = self._convert_data(inputs[0])
        if loss.ndim == 0:
            loss = loss.reshape(1)
        if loss.ndim != 1:
            raise ValueError(f"For 'Loss.update', the dimension of your input (loss) must be 1, "
                             f"but got {loss.ndim}.")
        self._sum_loss += loss.mean(-1)
        self._total_num += 1

    def eval(self):
        if self._total_num == 0:
            raise RuntimeError("The 'Loss' can not be calculated, because the number of samples "
                               "is 0, please check whether has called update method before "
                               "calling eval method.")
        return self._sum_loss / self._total_num


_FACTORY = {"accuracy": Accuracy, "acc": Accuracy, "loss": Loss}


def names():
    """The metric names accepted as strings, sorted."""
    return sorted(_FACTORY)


def get_metric_fn(name, *args, **kwargs):
    """A new metric object for a registered name (``'acc'``, ``'accuracy'``, ``'loss'``)."""
    if name not in _FACTORY:
        raise KeyError(f"Unsupported metric {name}, the supported metrics are {names()}.")
    return _FACTORY[name](*args, **kwargs)


def get_metrics(metrics):
    """``None`` -> None; a set of names -> {name: new metric}; a dict name -> Metric as given."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        for name, metric in metrics.items():
            if not isinstance(name, str) or not isinstance(metric, Metric):
                raise TypeError(f"For 'Model', the 'metrics' dict must map str to Metric, but got "
                                f"{name!r}: {type(metric)}.")
        return dict(metrics)
    if isinstance(metrics, set):
        return {name: get_metric_fn(name) for name in sorted(metrics)}
    raise TypeError(f"For 'Model', the argument 'metrics' should be None, dict or set, but got "
                    f"{type(metrics)}.")
