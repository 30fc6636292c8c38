"""Per-epoch randomness and the shuffle buffer of the pipeline."""
import itertools
import numbers

import numpy as np


class EpochContext:
    """Randomness for one epoch: ``seed``/``epoch`` for reproducibility, ``spawn()`` per use."""

    def __init__(self, seed, epoch):
        self.seed, self.epoch = seed, epoch
        self._rng = np.random.default_rng(None if seed is None else [seed, epoch])
        self._uses = 0

    def spawn(self):
        return np.random.default_rng(self._rng.integers(2**63))

    def shared(self):
        """A generator every shard of a sharded source agrees on (seed 0 when none is set)."""
        self._uses += 1
        return np.random.default_rng([self.seed or 0, self.epoch, self._uses])


def check_int(value, name, low, high=2**31 - 1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"Argument {name} with value {value!r} is not of type int.")
    if not low <= value <= high:
        raise ValueError(f"Input {name} is not within the required interval of [{low}, {high}], "
                         f"got {value}.")
    return int(value)


def buffer_shuffle(items, buffer_size, rng):
    """MindSpore's shuffle buffer: emit a random buffered row, refill its slot from the input."""
    buf = []
    it = iter(items)
    for item in itertools.islice(it, buffer_size):
        buf.append(item)
    for item in it:
        j = int(rng.integers(len(buf)))
        yield buf[j]
        buf[j] = item
    order = rng.permutation(len(buf)).tolist()
    for j in order:
        yield buf[j]


def buffer_shuffle_indices(order, buffer_size, rng):
    """``buffer_shuffle`` on an index array, with its random draws made up front."""
    n = len(order)
    if buffer_size >= n:
        return order[rng.permutation(n)]
    src = order.tolist()
    buf, out = src[:buffer_size], []
    picks = rng.integers(0, buffer_size, n - buffer_size).tolist()
    for j, nxt in zip(picks, src[buffer_size:]):
        out.append(buf[j])
        buf[j] = nxt
    out.extend(buf[j] for j in rng.permutation(buffer_size).tolist())
    return np.array(out, dtype=np.int64)
