"""General data transforms (``mindspore.dataset.transforms``) and the operation base class.

Every operation is a callable on one row (``op(array)``). Operations that can also run on a
whole stacked column set ``batchable = True`` and implement ``_batched(stack)``, where the first
axis indexes rows; ``Dataset.map`` uses that form to transform a column in one vectorised call.
"""
import numpy as np

from ...common import dtype as mstype

__all__ = ["TensorOperation", "TypeCast"]


class TensorOperation:
    """Base of the dataset operations.

    ``batchable`` marks operations with a vectorised ``_batched``; ``deterministic`` ones give the
    same output for the same input, so a pipeline may compute them once and reuse the result
    across epochs.
    """

    batchable = False
    deterministic = True

    def __call__(self, *arrays):
        if len(arrays) != 1:
            raise TypeError(f"{type(self).__name__} takes one input column, got {len(arrays)}.")
        return self._row(np.asarray(arrays[0]))

    def _row(self, array):
        return self._batched(array[None])[0]

    def _batched(self, stack):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


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
