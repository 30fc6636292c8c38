"""The metric base class (``mindspore.train.Metric``) and the input checks metrics share.

A metric accumulates over batches: ``clear()`` resets it, ``update(*inputs)`` adds one batch
(Tensors, numpy arrays or lists), ``eval()`` returns the value so far, as numpy values.
"""
import functools
from abc import ABCMeta, abstractmethod

import numpy as np

from ...common.tensor import Tensor

__all__ = ["Metric", "EvaluationBase", "rearrange_inputs"]


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




def rearrange_inputs(update):
    """Decorator for ``Metric.update``: pass only the inputs chosen by ``set_indexes`` (in that
    order), so a custom metric honours ``set_indexes`` as MindSpore's does."""
    @functools.wraps(update)
    def wrapper(self, *inputs):
        return update(self, *self._select(inputs))
    return wrapper


_EVAL_TYPES = ("classification", "multilabel")


class EvaluationBase(Metric):
    """Base of the metrics with an ``eval_type``: ``'classification'`` (``y_pred`` scores of
    shape (N, C), ``y`` class indexes (N,) or one-hot (N, C)) or ``'multilabel'`` (both 0/1 of
    shape (N, C)).

    Raises:
        ValueError: ``eval_type`` is not one of the two (as minispore's ``Accuracy``).
    """

    def __init__(self, eval_type):
        super().__init__()
        if eval_type not in _EVAL_TYPES:
            raise ValueError(f"The argument 'eval_type' must be in {list(_EVAL_TYPES)}, but got "
                            f"{eval_type!r}.")
        self._type = eval_type

    def _check_shape(self, y_pred, y):
        name = type(self).__name__
        if self._type == "classification":
            expected = (y_pred.shape[0],) + y_pred.shape[2:] if y_pred.ndim >= 2 else None
            if y_pred.ndim != y.ndim + 1 or y.shape != expected:
                raise ValueError(f"For '{name}.update', in classification case y (true value) must "
                                 f"have the shape of y_pred (predicted value) without axis 1, but "
                                 f"got y_pred shape {y_pred.shape} and y shape {y.shape}.")
        elif y_pred.shape != y.shape:
            raise ValueError(f"For '{name}.update', in multilabel case y_pred (predicted value) "
                             f"and y (true value) must have the same shape, but got "
                             f"{y_pred.shape} and {y.shape}.")

    def _check_value(self, y_pred, y):
        if self._type == "multilabel" and not (np.isin(y_pred, (0, 1)).all()
                                               and np.isin(y, (0, 1)).all()):
            raise ValueError(f"For '{type(self).__name__}.update', in multilabel case all elements "
                             f"of y_pred (predicted value) and y (true value) must be 0 or 1.")

    def clear(self):
        raise NotImplementedError

    def update(self, *inputs):
        raise NotImplementedError

    def eval(self):
        raise NotImplementedError


def is_one_hot(data):
    """Whether ``data`` (ndim > 1) holds only 0/1 and exactly one 1 along axis 1."""
    if data.ndim < 2 or not np.isin(data, (0, 1)).all():
        return False
    return bool((data.sum(axis=1) == 1).all())


def check_input_count(name, inputs, count, what):
    """Raise ValueError unless ``update`` got ``count`` inputs."""
    if len(inputs) != count:
        raise ValueError(f"For '{name}.update', it needs {count} inputs ({what}), but got "
                         f"{len(inputs)}.")


def check_class_num(metric, y_pred):
    """Remember the class count of the first batch; later batches must match it."""
    if y_pred.ndim < 2:
        raise ValueError(f"For '{type(metric).__name__}.update', the predicted value (inputs[0]) "
                         f"must have shape (N, C), but got shape {y_pred.shape}.")
    if metric._class_num == 0:
        metric._class_num = y_pred.shape[1]
    elif y_pred.shape[1] != metric._class_num:
        raise ValueError(f"For '{type(metric).__name__}.update', class number not match, last "
                         f"input predicted data contain {metric._class_num} classes, but current "
                         f"predicted data contain {y_pred.shape[1]} classes, please check your "
                         f"predicted value(inputs[0]).")
    return metric._class_num


def labels_to_one_hot(metric, y, class_num):
    """Integer class labels (any shape) -> float64 one-hot rows (M, class_num)."""
    labels = y.reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= class_num
                        or not np.equal(np.mod(labels, 1), 0).all()):
        raise ValueError(f"For '{type(metric).__name__}.update', the true value (inputs[1]) must "
                         f"hold class indexes in [0, {class_num}), but got values from "
                         f"{labels.min()} to {labels.max()}.")
    return np.eye(class_num)[labels.astype(np.int64)]
