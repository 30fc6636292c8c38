"""Dataset iterators: rows as lists or dicts of Tensors (or numpy arrays).

An iterator runs ``num_epochs`` epochs (-1: no limit). Each ``for`` loop over it consumes one
epoch: ``StopIteration`` ends the epoch and the next ``next()`` starts the following one, which
is how ``Model.train`` walks a dataset ``epoch`` times with one iterator.
"""
import numpy as np

from ..common.tensor import Tensor


class _Iterator:
    def __init__(self, dataset, columns, num_epochs, output_numpy):
        if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or (
                num_epochs < 1 and num_epochs != -1):
            raise ValueError(f"num_epochs should be -1 or a positive int, got {num_epochs!r}.")
        names = dataset.get_col_names()
        if columns is None:
            self._pick = None
            self._names = names
        else:
            columns = [columns] if isinstance(columns, str) else list(columns)
            missing = [c for c in columns if c not in names]
            if missing:
                raise ValueError(f"columns {missing} not found; the dataset has {names}.")
            self._pick = [names.index(c) for c in columns]
            self._names = columns
        self.dataset = dataset
        self.num_epochs = num_epochs
        self.output_numpy = output_numpy
        self._epochs_done = 0
        self._rows = None

    def __iter__(self):
        return self

    def __next__(self):
        if self._rows is None:
            if self.num_epochs != -1 and self._epochs_done >= self.num_epochs:
                raise StopIteration
            self._rows = self.dataset._start_epoch()
        try:
            row = next(self._rows)
        except StopIteration:
            self._rows = None
            self._epochs_done += 1
            raise
        if self._pick is not None:
            row = [row[i] for i in self._pick]
        if self.output_numpy:
            return self._pack(list(row))
        return self._pack([Tensor._make(_contiguous(a)) for a in row])

    def stop(self):
        """End iteration now (releases the epoch's generator)."""
        self._rows = None
        self._epochs_done = self.num_epochs if self.num_epochs != -1 else self._epochs_done

    def get_col_names(self):
        return list(self._names)


def _contiguous(array):
    """C-contiguous without adding a dimension (``np.ascontiguousarray`` turns a 0-d array
    into shape (1,), which made scalar columns (1,)-shaped Tensors)."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


class TupleIterator(_Iterator):
    """Rows as lists, in column order (MindSpore's tuple iterator yields lists)."""

    def _pack(self, values):
        return values


class DictIterator(_Iterator):
    """Rows as ``{column name: value}``."""

    def _pack(self, values):
        return dict(zip(self._names, values))
