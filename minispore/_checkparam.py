"""Argument checks shared across layers (MindSpore keeps its own in ``_checkparam.py`` too):
the primitives' ``check`` methods, the loss cells' reductions.

Each ``check`` collects what is wrong into one :class:`Problems` and raises once, so the user sees
every problem of a call in one message that names the op, the argument, what was expected and
what was received (with the shapes), never a traceback from inside numpy or numba.
"""
import numbers

import numpy as np

from .common.tensor import Tensor

__all__ = ["Problems", "FLOAT_DTYPES", "REDUCTIONS", "pair", "pad4", "check_reduction",
           "check_sparse_labels", "as_tensor", "floats"]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
REDUCTIONS = ("mean", "sum", "none")


class Problems:
    """Collects the problems of one call; ``raise_if_any`` raises them as one error."""

    def __init__(self, op):
        self.op = op
        self.items = []
        self.type_error = False

    def add(self, message, type_error=False):
        self.items.append(message)
        self.type_error |= type_error

    def raise_if_any(self):
        if not self.items:
            return
        exc = TypeError if self.type_error else ValueError
        if len(self.items) == 1:
            raise exc(f"For '{self.op}', {self.items[0]}.")
        lines = "".join(f"\n  - {m}" for m in self.items)
        raise exc(f"For '{self.op}', {len(self.items)} problems:{lines}")


def as_tensor(op, name, x, problems=None, like=None):
    """``x`` as a Tensor; Python/numpy numbers become constants of ``like``'s dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, numbers.Number, np.generic)) and like is not None:
        return Tensor._make(np.asarray(x, dtype=np.result_type(like._data, x)))
    if isinstance(x, (numbers.Number, np.generic, np.ndarray, list, tuple)):
        try:
            return Tensor(x)
        except (TypeError, ValueError) as e:
            msg = f"'{name}' cannot be converted to a Tensor ({e})"
    else:
        msg = f"'{name}' must be a Tensor, but got {type(x).__name__}"
    if problems is None:
        raise TypeError(f"For '{op}', {msg}.")
    problems.add(msg, type_error=True)
    return None


def floats(problems, **tensors):
    """Record a problem for each tensor that is not float32/float64."""
    for name, t in tensors.items():
        if t is not None and t._data.dtype not in FLOAT_DTYPES:
            problems.add(f"'{name}' must be Float32 or Float64, but got {t.dtype} with shape "
                         f"{tuple(t.shape)}", type_error=True)


def ndim(problems, name, t, n, layout):
    if t is not None and t.ndim != n:
        problems.add(f"'{name}' must be {n}-D {layout}, but got shape {tuple(t.shape)}")
        return False
    return t is not None


def pair(problems, name, value, minimum=1):
    """An int or a pair (or MindSpore's 4-tuple (1, 1, h, w)) of ints -> a pair."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 4:
        value = tuple(value[2:])
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        problems.add(f"'{name}' must be an int or a pair of ints, but got {value!r}",
                     type_error=True)
        return (minimum, minimum)
    if a < minimum or b < minimum:
        problems.add(f"'{name}' must be >= {minimum}, but got {(a, b)}")
    return a, b


def pad4(problems, padding):
    """An int or (top, bottom, left, right) of non-negative ints (or (h, w) pairs)."""
    if isinstance(padding, (int, np.integer)):
        padding = (padding,) * 4
    try:
        pad = tuple(int(p) for p in padding)
    except (TypeError, ValueError):
        pad = ()
    if len(pad) == 2:
        pad = (pad[0], pad[0], pad[1], pad[1])
    if len(pad) != 4 or min(pad) < 0:
        problems.add(f"'padding' must be a non-negative int or (top, bottom, left, right), but "
                     f"got {padding!r}")
        return (0, 0, 0, 0)
    return pad


def check_reduction(problems, reduction):
    if reduction not in REDUCTIONS:
        problems.add(f"'reduction' must be one of {list(REDUCTIONS)}, but got {reduction!r}")


def check_sparse_labels(problems, labels, n, n_classes, ignore_index=None):
    """Class-index labels: Int32/Int64, shape (n,), every value in [0, n_classes) (or
    ``ignore_index``). MindSpore leaves out-of-range labels unchecked; minispore names the first."""
    if labels is None:
        return
    arr = labels._data
    if arr.dtype not in (np.int32, np.int64):
        problems.add(f"'labels' must be Int32 or Int64 class indices, but got {labels.dtype} "
                     f"with shape {tuple(labels.shape)}", type_error=True)
        return
    if arr.shape != (n,):
        problems.add(f"'labels' must have shape ({n},) to match the logits' batch, but got "
                     f"{tuple(arr.shape)}")
        return
    bad = (arr < 0) | (arr >= n_classes)
    if ignore_index is not None:
        bad &= arr != ignore_index
    bad = np.flatnonzero(bad)
    if bad.size:
        i = int(bad[0])
        problems.add(f"labels must be in [0, {n_classes}) for {n_classes} classes, but "
                     f"labels[{i}] = {int(arr[i])} ({bad.size} out of range)")
