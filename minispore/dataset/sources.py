"""In-memory and Python sources: ``NumpySlicesDataset``, ``GeneratorDataset``.

``ArraySource`` is the shared base of sources whose rows are slices of whole arrays (also
``MnistDataset``): it implements shuffle, ``num_samples`` and sharding as an index order, so
everything downstream can stay vectorised.
"""

import numpy as np

from . import config
from ._parallel import ordered_map
from ._random import check_int
from .engine import Dataset


def check_sampling(shuffle, sampler, num_samples, num_shards, shard_id):
    """Validate the sampling arguments every source shares; return ``num_samples``."""
    if sampler is not None:
        raise ValueError("sampler is not supported by minispore; use shuffle, num_samples, "
                         "num_shards and shard_id.")
    if shuffle is not None and not isinstance(shuffle, bool):
        raise TypeError(f"Argument shuffle with value {shuffle!r} is not of type bool.")
    if num_samples is not None:
        check_int(num_samples, "num_samples", 0)
    if (num_shards is None) != (shard_id is None):
        raise RuntimeError("num_shards and shard_id need to be passed in together.")
    if num_shards is not None:
        check_int(num_shards, "num_shards", 1)
        check_int(shard_id, "shard_id", 0, num_shards - 1)
    return num_samples or None  # MindSpore: 0 means all rows


class ArraySource(Dataset):
    """A source whose columns are whole arrays; rows are chosen by a per-epoch index order.

    Sharding follows MindSpore's DistributedSampler: every shard gets ``ceil(n / num_shards)``
    rows, ``order[k * num_shards + shard_id]`` (wrapping around), from an order all shards agree
    on (seed from ``config``, 0 if unset). ``num_samples`` then keeps the first rows.
    """

    def __init__(self, num_parallel_workers, shuffle, sampler, num_samples, num_shards,
                 shard_id, default_shuffle=True):
        super().__init__((), num_parallel_workers)
        self.num_samples = check_sampling(shuffle, sampler, num_samples, num_shards, shard_id)
        self.shuffle_flag = default_shuffle if shuffle is None else shuffle
        self.num_shards, self.shard_id = num_shards, shard_id

    def _num_rows(self):
        raise NotImplementedError

    def _columnar(self):
        return True

    def _size(self):
        n = self._num_rows()
        if self.num_shards is not None:
            n = -(-n // self.num_shards)
        return n if self.num_samples is None else min(n, self.num_samples)

    def _order(self, ctx):
        n = self._num_rows()
        order = np.arange(n, dtype=np.int64)
        if self.shuffle_flag and n:
            rng = ctx.shared() if self.num_shards is not None else ctx.spawn()
            order = rng.permutation(n)
        if self.num_shards is not None and n:
            per = -(-n // self.num_shards)
            order = order[(np.arange(per) * self.num_shards + self.shard_id) % n]
        if self.num_samples is not None:
            order = order[:self.num_samples]
        return order


class NumpySlicesDataset(ArraySource):
    """Rows sliced along the first axis of in-memory data.

    ``data`` is a dict (columns named by its keys), a tuple (one column per element) or a
    list / array (one column). Columns must share their first dimension; scalar labels work.
    """

    def __init__(self, data, column_names=None, num_samples=None, num_parallel_workers=1,
                 shuffle=None, sampler=None, num_shards=None, shard_id=None):
        super().__init__(num_parallel_workers, shuffle, sampler, num_samples, num_shards,
                         shard_id)
        if isinstance(data, dict):
            names, cols = list(data), list(data.values())
        elif isinstance(data, tuple):
            names, cols = [f"column_{i}" for i in range(len(data))], list(data)
        else:
            names, cols = ["column_0"], [data]
        if column_names is not None and not isinstance(data, dict):
            column_names = [column_names] if isinstance(column_names, str) else list(column_names)
            if len(column_names) != len(cols):
                raise ValueError(f"NumpySlicesDataset: {len(column_names)} column_names for "
                                 f"{len(cols)} columns of data.")
            names = column_names
        arrays = [np.ascontiguousarray(c) for c in cols]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("NumpySlicesDataset: every column needs a first dimension to slice, "
                             f"got shapes {[a.shape for a in arrays]}.")
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"NumpySlicesDataset: columns {names} have different lengths "
                             f"{[len(a) for a in arrays]}.")
        self._names, self._data = names, arrays

    def get_col_names(self):
        return list(self._names)

    def _num_rows(self):
        return len(self._data[0])

    def _arrays(self):
        return self._data


class GeneratorDataset(ArraySource):
    """Rows from Python: a random-access source (``__getitem__`` + ``__len__``), an iterable,
    or a callable returning an iterator (called once per epoch).

    Each item is a tuple of arrays/scalars (one per column) or a single array; numpy scalars
    stay 0-d. Random-access sources are shuffled by default; iterables cannot be shuffled or
    sharded. With ``num_parallel_workers`` > 1 a random-access source is read by that many
    threads, in order (an iterable source is always read sequentially).
    ``python_multiprocessing`` is accepted (MindSpore's default True) but minispore reads with
    threads: forked processes measured 2-3x slower here (``benchmarks/dataset_workers.py``);
    ``map(python_multiprocessing=True)`` is where processes can be asked for.
    """

    def __init__(self, source, column_names=None, column_types=None, schema=None,
                 num_samples=None, num_parallel_workers=1, shuffle=None, sampler=None,
                 num_shards=None, shard_id=None, python_multiprocessing=True,
                 max_rowsize=None):
        self._random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        if not self._random_access and (shuffle or num_shards is not None):
            raise ValueError("GeneratorDataset: shuffle and sharding need a random-access source "
                             "(with __getitem__ and __len__).")
        super().__init__(num_parallel_workers, shuffle, sampler, num_samples, num_shards,
                         shard_id, default_shuffle=self._random_access)
        if not (self._random_access or callable(source) or hasattr(source, "__iter__")):
            raise TypeError(f"GeneratorDataset: source should be callable, iterable or "
                            f"random-accessible, got {type(source).__name__}.")
        if column_names is None:
            raise ValueError("GeneratorDataset: column_names is required.")
        self._names = [column_names] if isinstance(column_names, str) else list(column_names)
        if not isinstance(python_multiprocessing, bool):
            raise TypeError(f"Argument python_multiprocessing with value "
                            f"{python_multiprocessing!r} is not of type bool.")
        self.python_multiprocessing = python_multiprocessing
        self.source = source
        self._count = None

    def get_col_names(self):
        return list(self._names)

    def _columnar(self):
        return False

    def _num_rows(self):
        if self._random_access:
            return len(self.source)
        if self._count is None:  # MindSpore also walks a plain generator once to count it
            self._count = sum(1 for _ in self._iterate())
        return self._count

    def _iterate(self):
        return iter(self.source()) if callable(self.source) else iter(self.source)

    def _to_row(self, item):
        values = item if isinstance(item, tuple) else (item,)
        if len(values) != len(self._names):
            raise RuntimeError(f"GeneratorDataset: the source gave {len(values)} columns per row "
                               f"but column_names is {self._names}.")
        return tuple(np.asarray(v) for v in values)

    def _rows(self, ctx):
        if self._random_access:
            yield from ordered_map(_fetch_chunk, self, self._order(ctx).tolist(),
                                   self.num_parallel_workers or
                                   config.get_num_parallel_workers(), processes=False)
            return
        for k, item in enumerate(self._iterate()):
            if self.num_samples is not None and k >= self.num_samples:
                return
            yield self._to_row(item)


def _fetch_chunk(dataset, index, indices):
    """Rows ``source[i]`` for one chunk of indices (module level for worker processes)."""
    return [dataset._to_row(dataset.source[i]) for i in indices]


__all__ = ["NumpySlicesDataset", "GeneratorDataset", "ArraySource"]
