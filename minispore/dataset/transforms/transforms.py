"""General data transforms (``mindspore.dataset.transforms``) and the operation base class.

Every operation is a callable on one row (``op(array)``). Operations that can also run on a
whole stacked column set ``batchable = True`` and implement ``_batched(stack)``, where the first
axis indexes rows; ``Dataset.map`` uses that form to transform a column in one vectorised call.
"""
import numbers

import numpy as np

from ...common import dtype as mstype

__all__ = ["TensorOperation", "TypeCast", "Compose", "OneHot"]


class TensorOperation:
    """Base of the dataset operations.

    ``batchable`` marks operations with a vectorised ``_batched``; ``deterministic`` ones give the
    same output for the same input, so a pipeline may compute them once and reuse the result
    across epochs.
    """

    batchable = False
    deterministic = True
    random = False   # random operations implement ``_random_row(array, rng)`` instead

    def __call__(self, *arrays):
        if len(arrays) != 1:
            raise TypeError(f"{type(self).__name__} takes one input column, got {len(arrays)}.")
        if self.random:
            return self._random_row(np.asarray(arrays[0]), eager_rng())
        return self._row(np.asarray(arrays[0]))

    def apply(self, values, rng):
        """Run on one row's input columns (a tuple); random operations draw from ``rng``.
        Returns a tuple of output columns."""
        if self.random:
            out = self._random_row(np.asarray(values[0]), rng) if len(values) == 1 \
                else self(*values)
        else:
            out = self(*values)
        return out if isinstance(out, tuple) else (out,)

    def _row(self, array):
        return self._batched(array[None])[0]

    def _batched(self, stack):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


_EAGER = {"seed": object(), "rng": None}


def eager_rng():
    """The generator random operations use when called directly (``op(image)``): seeded from
    ``dataset.config`` / ``minispore.set_seed`` (re-seeded when the seed changes), else fresh."""
    from .. import config  # noqa: PLC0415 (config imports nothing from here; keeps the order)
    seed = config.get_seed()
    if _EAGER["rng"] is None or seed != _EAGER["seed"]:
        _EAGER["seed"], _EAGER["rng"] = seed, np.random.default_rng(seed)
    return _EAGER["rng"]


def apply_operations(operations, values, rng):
    """Run ``operations`` in order on one row's columns (a tuple) -> tuple of outputs."""
    for op in operations:
        if isinstance(op, TensorOperation):
            values = op.apply(values, rng)
        else:
            values = op(*values)
            values = values if isinstance(values, tuple) else (values,)
    return values


def to_numpy_dtype(data_type, name="data_type"):
    """numpy dtype of a minispore dtype (``mstype.int32``) or of anything numpy accepts."""
    if isinstance(data_type, mstype.Type):
        if data_type.np_dtype is None or data_type is mstype.bfloat16:
            raise TypeError(f"Argument {name} {data_type} has no numpy equivalent.")
        return data_type.np_dtype
    try:
        return np.dtype(data_type)
    except TypeError:
        raise TypeError(f"Argument {name} with value {data_type!r} is not a minispore or numpy "
                        f"dtype.") from None


class TypeCast(TensorOperation):
    """Cast a column to ``data_type`` (e.g. ``mstype.int32``); numpy's C-style cast.

    The tutorial casts MNIST's uint32 labels to int32 because the loss wants int32 labels.
    """

    batchable = True

    def __init__(self, data_type):
        self.data_type = data_type
        self._np_dtype = to_numpy_dtype(data_type)

    def _row(self, array):
        return array.astype(self._np_dtype)

    def _batched(self, stack):
        return stack.astype(self._np_dtype)


class Compose(TensorOperation):
    """Run ``transforms`` one after another as one operation (``mindspore.dataset.transforms
    .Compose``); each may be a minispore operation or any Python callable.

    Raises:
        TypeError: ``transforms`` is not a non-empty list of callables.
    """

    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)) or not transforms or \
                not all(callable(t) for t in transforms):
            raise TypeError(f"Compose: transforms should be a non-empty list of callables, got "
                            f"{transforms!r}.")
        self.transforms = list(transforms)
        ours = all(isinstance(t, TensorOperation) for t in self.transforms)
        self.batchable = ours and all(t.batchable and not t.random for t in self.transforms)
        self.deterministic = ours and all(t.deterministic for t in self.transforms)
        self.random = not self.deterministic

    def __call__(self, *arrays):
        out = apply_operations(self.transforms, tuple(np.asarray(a) for a in arrays), eager_rng())
        return out[0] if len(out) == 1 else out

    def apply(self, values, rng):
        return apply_operations(self.transforms, values, rng)

    def _batched(self, stack):
        for t in self.transforms:
            stack = t._batched(stack)
        return stack


class OneHot(TensorOperation):
    """Integer labels -> one-hot rows: a scalar gives (num_classes,), a 1-D array (N, num_classes).

    Args:
        num_classes (int): the number of classes (> every label).
        smoothing_rate (float): label smoothing in [0, 1]: the result is
            ``(1 - smoothing_rate) * one_hot + smoothing_rate / num_classes``. Default: ``0.0``.

    Without smoothing the output keeps the label dtype (int64 labels give int64, as MindSpore);
    with smoothing it is float32.

    Raises:
        TypeError / ValueError: bad arguments; RuntimeError for non-integer or out-of-range
        labels, or labels of more than one dimension.
    """

    batchable = True

    def __init__(self, num_classes, smoothing_rate=0.0):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
            raise TypeError(f"Argument num_classes with value {num_classes!r} is not of type "
                            f"int.")
        if num_classes < 1:
            raise ValueError(f"Input num_classes is not within the required interval of [1, "
                             f"2147483647], got {num_classes}.")
        if isinstance(smoothing_rate, bool) or not isinstance(smoothing_rate, numbers.Real):
            raise TypeError(f"Argument smoothing_rate with value {smoothing_rate!r} is not of "
                            f"type float.")
        if not 0.0 <= smoothing_rate <= 1.0:
            raise ValueError(f"Input smoothing_rate is not within the required interval of "
                             f"[0.0, 1.0], got {smoothing_rate}.")
        self.num_classes = int(num_classes)
        self.smoothing_rate = float(smoothing_rate)

    def _encode(self, labels, max_ndim):
        if labels.dtype.kind not in "ui":
            raise RuntimeError(f"OneHot: the label should be of int type, got {labels.dtype}.")
        if labels.ndim > max_ndim:
            raise RuntimeError(f"OneHot: the label should be a scalar or 1-D, got shape "
                               f"{labels.shape[max_ndim - 1:] if max_ndim > 1 else labels.shape}.")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise RuntimeError(f"OneHot: labels should lie in [0, {self.num_classes}), got "
                               f"values from {labels.min()} to {labels.max()}.")
        out = (labels[..., None] == np.arange(self.num_classes)).astype(labels.dtype)
        if self.smoothing_rate:
            out = ((1.0 - self.smoothing_rate) * out
                   + self.smoothing_rate / self.num_classes).astype(np.float32)
        return out

    def _row(self, array):
        return self._encode(np.asarray(array), 1)

    def _batched(self, stack):
        return self._encode(np.asarray(stack), 2)
