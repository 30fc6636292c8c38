"""The pipeline: ``Dataset`` and its map / shuffle / batch / repeat / take / skip nodes.

Each node can produce one epoch of rows (``_rows(ctx)``, a generator of tuples of arrays). On
top of that there is a *columnar* fast path: a node whose rows are fixed arrays indexed by a
per-epoch order (array sources, deterministic vectorised maps, shuffles, repeats) exposes
``_arrays()`` (whole columns, computed once and cached) and ``_order(ctx)`` (this epoch's row
indices). ``batch`` on a columnar child then gathers ``column[indices]`` per batch, so an epoch
costs one permutation plus one fancy-index per batch and column, with no per-row Python work.
"""
import itertools

import numpy as np

from . import config
from ._parallel import ordered_map
from ._random import EpochContext, buffer_shuffle, buffer_shuffle_indices, check_int
from .iterators import DictIterator, TupleIterator
from .transforms.transforms import TensorOperation, apply_operations

_CHUNK = 8192  # rows per vectorised map call: bounds temporaries (float64 in Rescale)


class Dataset:
    """Base of every dataset node (``mindspore.dataset.Dataset``)."""

    def __init__(self, children=(), num_parallel_workers=None):
        self.children = list(children)
        if num_parallel_workers is not None:
            check_int(num_parallel_workers, "num_parallel_workers", 1)
        self.num_parallel_workers = num_parallel_workers  # threads for row work (map, generator)
        self._epochs_started = 0   # epochs this node has started as the pipeline's top
        self._skip_rows = 0        # rows to drop at the start of the next epoch (set_init_step)

    # ---- what subclasses provide ------------------------------------------------------------
    def get_col_names(self):
        return self.children[0].get_col_names()

    def _size(self):
        return self.children[0]._size()

    def _columnar(self):
        return False

    def _arrays(self):
        raise NotImplementedError

    def _order(self, ctx):
        raise NotImplementedError

    def _rows(self, ctx):
        arrays, order = self._arrays(), self._order(ctx)
        for i in order.tolist():
            yield tuple(a[i].copy() if a.ndim > 1 else np.asarray(a[i]) for a in arrays)

    # ---- pipeline operations ----------------------------------------------------------------
    def map(self, operations, input_columns=None, output_columns=None, num_parallel_workers=None,
            python_multiprocessing=False, **kwargs):
        """Apply ``operations`` in order to ``input_columns`` (default: the first column).

        Deterministic vectorisable operations run once on the whole column. Otherwise rows are
        processed one by one; ``num_parallel_workers`` > 1 spreads them over that many threads
        (or forked processes with ``python_multiprocessing=True``), keeping the row order.
        Random operations (RandomCrop, ...) draw from the pipeline seed per chunk of rows, so a
        seeded pipeline gives the same rows with any number of workers.
        """
        if not isinstance(python_multiprocessing, bool):
            raise TypeError(f"Argument python_multiprocessing with value "
                            f"{python_multiprocessing!r} is not of type bool.")
        return MapDataset(self, operations, input_columns, output_columns, num_parallel_workers,
                          python_multiprocessing)

    def shuffle(self, buffer_size):
        """Shuffle rows through a buffer of ``buffer_size`` rows; a new order every epoch."""
        return ShuffleDataset(self, buffer_size)

    def batch(self, batch_size, drop_remainder=False, num_parallel_workers=None):
        """Stack ``batch_size`` consecutive rows per column (the last partial batch is kept
        unless ``drop_remainder``)."""
        return BatchDataset(self, batch_size, drop_remainder, num_parallel_workers)

    def repeat(self, count=None):
        """Run the pipeline ``count`` times per epoch (None or -1: endlessly)."""
        return RepeatDataset(self, count)

    def take(self, count=-1):
        """The first ``count`` rows (-1: all)."""
        return TakeDataset(self, count)

    def skip(self, count):
        """All rows after the first ``count``."""
        return SkipDataset(self, count)

    # ---- information ------------------------------------------------------------------------
    def get_dataset_size(self):
        """Rows (batches after ``batch``) per epoch; -1 for an endless ``repeat``."""
        return self._size()

    def get_batch_size(self):
        return self.children[0].get_batch_size() if self.children else 1

    def get_repeat_count(self):
        return self.children[0].get_repeat_count() if self.children else 1

    def output_shapes(self):
        row = next(self.create_tuple_iterator(num_epochs=1, output_numpy=True))
        return [list(a.shape) for a in row]

    def output_types(self):
        row = next(self.create_tuple_iterator(num_epochs=1, output_numpy=True))
        return [a.dtype for a in row]

    # ---- iteration --------------------------------------------------------------------------
    def set_init_step(self, init_step):
        """Resume this pipeline at global step ``init_step`` (MindSpore's ``set_init_step``).

        Every epoch's shuffle order is drawn from ``(seed, epoch index)``, the index counted by
        the pipeline object iterated (call this on that top node, e.g. the ``batch``). A resumed
        run builds a new pipeline whose count starts at 0, so without this its first epoch would
        repeat epoch 1's order. With ``steps = get_dataset_size()`` (rows, i.e. batches after
        ``batch``, per epoch) and ``k, r = divmod(init_step, steps)``, the next epoch iterated is
        epoch ``k + 1`` with exactly the order an uninterrupted run gives it, and its first ``r``
        rows are skipped (as MindSpore does; they are still produced and dropped, so the order
        of the rest is unchanged). The epochs after it follow as in the uninterrupted run.
        ``init_step=0`` restarts at epoch 1. Takes effect for the next epoch started, by a new
        iterator or by a running one between epochs.

        Raises:
            TypeError: ``init_step`` is not an int.
            ValueError: ``init_step`` is negative, or it is positive and the pipeline is endless
                (``repeat()`` without a count) or has no rows, so steps cannot be mapped to
                epochs.
        """
        init_step = check_int(init_step, "init_step", 0, 2**63 - 1)
        epoch = skip = 0
        if init_step:
            steps = self.get_dataset_size()
            if steps is None or steps <= 0:
                what = "no end (repeat without a count)" if steps and steps < 0 else "no rows"
                raise ValueError(f"set_init_step({init_step}): the pipeline has {what}, so a step "
                                 f"cannot be mapped to an epoch; only 0 is accepted.")
            epoch, skip = divmod(init_step, steps)
        self._epochs_started, self._skip_rows = epoch, skip

    def _start_epoch(self):
        """A row generator for the next epoch of this pipeline (reshuffled each time)."""
        ctx = EpochContext(config.get_seed(), self._epochs_started)
        self._epochs_started += 1
        rows = self._rows(ctx)
        skip, self._skip_rows = getattr(self, "_skip_rows", 0), 0
        return itertools.islice(rows, skip, None) if skip else rows

    def create_tuple_iterator(self, columns=None, num_epochs=-1, output_numpy=False,
                              do_copy=True):
        """Iterator of rows as lists (Tensors, or numpy arrays with ``output_numpy``)."""
        return TupleIterator(self, columns, num_epochs, output_numpy)

    def create_dict_iterator(self, num_epochs=-1, output_numpy=False, do_copy=True):
        """Iterator of rows as ``{column name: Tensor or numpy array}``."""
        return DictIterator(self, None, num_epochs, output_numpy)

    def __iter__(self):
        return iter(self.create_tuple_iterator(num_epochs=1))


class MapDataset(Dataset):
    """``map``: vectorised over the whole column (once, cached) when every operation allows."""

    def __init__(self, child, operations, input_columns, output_columns, num_parallel_workers,
                 python_multiprocessing=False):
        super().__init__([child], num_parallel_workers)
        self.python_multiprocessing = python_multiprocessing
        ops = list(operations) if isinstance(operations, (list, tuple)) else [operations]
        if not ops or not all(callable(op) for op in ops):
            raise TypeError(f"map: operations should be a callable or a list of callables, "
                            f"got {operations!r}.")
        names = child.get_col_names()
        ins = [input_columns] if isinstance(input_columns, str) else input_columns
        ins = list(ins) if ins is not None else names[:1]
        missing = [c for c in ins if c not in names]
        if missing or not ins:
            raise ValueError(f"map: input_columns {missing or ins} not found; the dataset has "
                             f"columns {names}.")
        outs = [output_columns] if isinstance(output_columns, str) else output_columns
        outs = list(outs) if outs is not None else list(ins)
        self.operations, self.input_columns, self.output_columns = ops, ins, outs
        self._in_pos = [names.index(c) for c in ins]
        first = min(self._in_pos)
        rest = [c for i, c in enumerate(names) if i not in self._in_pos]
        self._names = rest[:first] + outs + rest[first:]
        self._cache = None

    def get_col_names(self):
        return list(self._names)

    def _columnar(self):
        return (self.children[0]._columnar() and len(self.input_columns) == 1
                and len(self.output_columns) == 1
                and all(getattr(op, "batchable", False) and getattr(op, "deterministic", False)
                        for op in self.operations))

    def _apply_batched(self, column):
        def run(x):
            for op in self.operations:
                try:
                    x = op._batched(x)
                except Exception as e:
                    raise RuntimeError(f"map: {type(op).__name__} failed on column "
                                       f"'{self.input_columns[0]}' (rows of shape "
                                       f"{x.shape[1:]}, {x.dtype}): {e}") from e
            return x
        n = len(column)
        if n <= _CHUNK:
            return np.ascontiguousarray(run(column))
        first = run(column[:_CHUNK])
        out = np.empty((n,) + first.shape[1:], first.dtype)
        out[:_CHUNK] = first
        for s in range(_CHUNK, n, _CHUNK):
            out[s:s + _CHUNK] = run(column[s:s + _CHUNK])
        return out

    def _arrays(self):
        if self._cache is None:
            arrays = self.children[0]._arrays()
            pos = self._in_pos[0]
            rest = [a for i, a in enumerate(arrays) if i != pos]
            result = self._apply_batched(arrays[pos])
            first = min(self._in_pos)
            self._cache = rest[:first] + [result] + rest[first:]
        return self._cache

    def _order(self, ctx):
        return self.children[0]._order(ctx)

    def _rows(self, ctx):
        if self._columnar():
            yield from super()._rows(ctx)
            return
        # Its own stream (not drawn from ctx, so shuffles keep their orders), distinct per map
        # node by its depth in the pipeline.
        depth, node = 0, self
        while node.children:
            depth, node = depth + 1, node.children[0]
        entropy = None if ctx.seed is None else [ctx.seed, ctx.epoch, 0x6D6170, depth]
        seed = int(np.random.default_rng(entropy).integers(2**63))
        workers = self.num_parallel_workers or config.get_num_parallel_workers()
        yield from ordered_map(_map_chunk, (self, seed), self.children[0]._rows(ctx), workers,
                               self.python_multiprocessing)

    def _chunk_vectorisable(self):
        return (len(self.input_columns) == 1 and len(self.output_columns) == 1 and
                all(isinstance(op, TensorOperation) and
                    (hasattr(op, "_random_batched") if op.random else op.batchable)
                    for op in self.operations))

    def _map_row(self, row, rng):
        values = apply_operations(self.operations, tuple(row[i] for i in self._in_pos), rng)
        if len(values) != len(self.output_columns):
            raise RuntimeError(f"map: the operations returned {len(values)} columns but "
                               f"output_columns is {self.output_columns}.")
        first = min(self._in_pos)
        rest = [v for i, v in enumerate(row) if i not in self._in_pos]
        return tuple(rest[:first]) + tuple(np.asarray(v) for v in values) + tuple(rest[first:])


def _map_chunk(state, index, rows):
    """One chunk of a map's rows (module level so worker processes can run it).

    When every operation has a vectorised form (``_batched``, or ``_random_batched`` for random
    ones) and the chunk's input images share one shape, the chunk is stacked and transformed in
    one call per operation; otherwise row by row. Either way the random draws come from the
    chunk's own generator."""
    node, seed = state
    rng = np.random.default_rng([seed, index])
    if node._chunk_vectorisable():
        pos = node._in_pos[0]
        column = [row[pos] for row in rows]
        if len({(c.shape, c.dtype) for c in column}) == 1:
            stack = np.stack(column)
            for op in node.operations:
                stack = op._random_batched(stack, rng) if op.random else op._batched(stack)
            return [row[:pos] + (out,) + row[pos + 1:] for row, out in zip(rows, stack)]
    return [node._map_row(row, rng) for row in rows]


class ShuffleDataset(Dataset):
    def __init__(self, child, buffer_size):
        super().__init__([child])
        self.buffer_size = check_int(buffer_size, "buffer_size", 2)

    def _columnar(self):
        return self.children[0]._columnar()

    def _arrays(self):
        return self.children[0]._arrays()

    def _order(self, ctx):
        order = self.children[0]._order(ctx)
        return buffer_shuffle_indices(order, self.buffer_size, ctx.spawn())

    def _rows(self, ctx):
        if self._columnar():
            return super()._rows(ctx)
        return buffer_shuffle(self.children[0]._rows(ctx), self.buffer_size, ctx.spawn())


class BatchDataset(Dataset):
    def __init__(self, child, batch_size, drop_remainder, num_parallel_workers):
        super().__init__([child], num_parallel_workers)
        self.batch_size = check_int(batch_size, "batch_size", 1)
        if not isinstance(drop_remainder, bool):
            raise TypeError(f"Argument drop_remainder with value {drop_remainder!r} is not of "
                            f"type bool.")
        self.drop_remainder = drop_remainder

    def get_batch_size(self):
        return self.batch_size

    def _size(self):
        n = self.children[0]._size()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def _rows(self, ctx):
        child, bs = self.children[0], self.batch_size
        if child._columnar():
            arrays, order = child._arrays(), child._order(ctx)
            stop = len(order) - len(order) % bs if self.drop_remainder else len(order)
            for s in range(0, stop, bs):
                idx = order[s:s + bs]
                yield tuple(a[idx] for a in arrays)
            return
        rows = child._rows(ctx)
        while True:
            chunk = list(itertools.islice(rows, bs))
            if not chunk or (self.drop_remainder and len(chunk) < bs):
                return
            yield tuple(self._stack(col, [r[col] for r in chunk]) for col in range(len(chunk[0])))

    def _stack(self, col, values):
        shapes = {np.shape(v) for v in values}
        if len(shapes) > 1:
            name = self.get_col_names()[col]
            raise RuntimeError(f"batch: rows of column '{name}' have different shapes "
                               f"{sorted(shapes)}; resize them to one shape before batch.")
        return np.stack(values)


class RepeatDataset(Dataset):
    def __init__(self, child, count):
        super().__init__([child])
        if count is None or count == -1:
            count = -1
        else:
            count = check_int(count, "count", 1)
        self.count = count

    def get_repeat_count(self):
        return self.count

    def _size(self):
        n = self.children[0]._size()
        return -1 if self.count == -1 or n < 0 else n * self.count

    def _columnar(self):
        return self.count > 0 and self.children[0]._columnar()

    def _arrays(self):
        return self.children[0]._arrays()

    def _order(self, ctx):
        return np.concatenate([self.children[0]._order(ctx) for _ in range(self.count)])

    def _rows(self, ctx):
        if self._columnar():
            yield from super()._rows(ctx)
            return
        reps = itertools.count() if self.count == -1 else range(self.count)
        for _ in reps:
            yield from self.children[0]._rows(ctx)


class TakeDataset(Dataset):
    def __init__(self, child, count):
        super().__init__([child])
        self.count = -1 if count == -1 else check_int(count, "count", 1)

    def _size(self):
        n = self.children[0]._size()
        return n if self.count == -1 else (self.count if n < 0 else min(n, self.count))

    def _columnar(self):
        return self.children[0]._columnar()

    def _arrays(self):
        return self.children[0]._arrays()

    def _order(self, ctx):
        order = self.children[0]._order(ctx)
        return order if self.count == -1 else order[:self.count]

    def _rows(self, ctx):
        if self._columnar():
            return super()._rows(ctx)
        rows = self.children[0]._rows(ctx)
        return rows if self.count == -1 else itertools.islice(rows, self.count)


class SkipDataset(Dataset):
    def __init__(self, child, count):
        super().__init__([child])
        self.count = check_int(count, "count", 0)

    def _size(self):
        n = self.children[0]._size()
        return n if n < 0 else max(0, n - self.count)

    def _columnar(self):
        return self.children[0]._columnar()

    def _arrays(self):
        return self.children[0]._arrays()

    def _order(self, ctx):
        return self.children[0]._order(ctx)[self.count:]

    def _rows(self, ctx):
        if self._columnar():
            return super()._rows(ctx)
        return itertools.islice(self.children[0]._rows(ctx), self.count, None)
