"""Metrics of a data-parallel evaluation: each rank scored its shard, the job reports the whole.

A metric's result is a ratio of counters (``Accuracy``: correct / total; ``Loss``: summed loss
/ batches), so the counters are summed over the ranks with one Allreduce and ``eval()`` then
gives the figure of the union of the shards, identical on every rank. A metric whose counters
are not known here keeps its rank-local value (a warning says so once).
"""
import logging

import numpy as np

from ..communication import _collective
from ..nn.metrics import Accuracy, Loss

__all__ = ["reduce_metrics"]

logger = logging.getLogger("minispore")

COUNTERS = ((Accuracy, ("_correct_num", "_total_num")), (Loss, ("_sum_loss", "_total_num")))
_warned = set()


def _counters(metric):
    for cls, names in COUNTERS:
        if isinstance(metric, cls):
            return names
    return None


def reduce_metrics(metrics):
    """Sum the counters of every metric in ``{name: Metric}`` over all ranks, in place (one
    Allreduce for all of them). Every rank must call it."""
    known = [(m, _counters(m)) for m in metrics.values()]
    for name, (metric, names) in zip(metrics, known):
        if names is None and type(metric) not in _warned:
            _warned.add(type(metric))
            logger.warning("Metric %r (%s): its state is not reduced across ranks; in data "
                           "parallel evaluation it reports this rank's shard only.", name,
                           type(metric).__name__)
    known = [(m, names) for m, names in known if names is not None]
    values = np.array([float(getattr(m, n)) for m, names in known for n in names], np.float64)
    if not values.size:
        return
    _collective.allreduce(values, "sum")
    it = iter(values.tolist())
    for metric, names in known:
        for n in names:
            total = next(it)
            setattr(metric, n, int(round(total)) if n != "_sum_loss" else total)
