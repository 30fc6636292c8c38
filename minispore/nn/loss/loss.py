"""Loss cells: LossBase, SoftmaxCrossEntropyWithLogits, MSELoss, L1Loss."""
import numpy as np

from ... import ops
from ..._checkparam import REDUCTIONS
from ..cell import Cell

__all__ = ["LossBase", "SoftmaxCrossEntropyWithLogits", "MSELoss", "L1Loss"]


class LossBase(Cell):
    """Base class of losses: ``get_loss`` applies the reduction ('mean', 'sum' or 'none')."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"For '{type(self).__name__}', the 'reduction' must be in "
                             f"{list(REDUCTIONS)}, but got {reduction!r}.")
        self.reduction = reduction

    def get_loss(self, x):
        if self.reduction == "mean":
            return ops.reduce_mean(x)
        if self.reduction == "sum":
            return ops.reduce_sum(x)
        return x


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Softmax cross-entropy between logits (N, C) and labels.

    Args:
        sparse (bool): labels are class indices (N,) of dtype Int32/Int64 rather than (N, C)
            distributions. Default: ``False``.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'none'``.

    Unlike MindSpore, labels outside [0, C) are refused with an error naming the first bad one.
    """

    def __init__(self, sparse=False, reduction="none"):
        super().__init__(reduction)
        self.sparse = sparse

    def construct(self, logits, labels):
        return ops.cross_entropy_with_logits(logits, labels, self.sparse, self.reduction)


def _broadcast_pair(cell, logits, labels):
    """MindSpore's MSELoss/L1Loss broadcast logits and labels; shapes that cannot broadcast get
    an error naming the loss and both shapes."""
    try:
        np.broadcast_shapes(tuple(logits.shape), tuple(labels.shape))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"For '{type(cell).__name__}', the logits' shape "
                         f"{tuple(getattr(logits, 'shape', ()))} and the labels' shape "
                         f"{tuple(getattr(labels, 'shape', ()))} cannot be broadcast "
                         f"together.") from None


class MSELoss(LossBase):
    """(logits - labels)**2, reduced; the shapes broadcast against each other."""

    def construct(self, logits, labels):
        _broadcast_pair(self, logits, labels)
        return ops.mse_loss(logits, labels, self.reduction)


class L1Loss(LossBase):
    """|logits - labels|, reduced; the shapes broadcast against each other."""

    def construct(self, logits, labels):
        _broadcast_pair(self, logits, labels)
        return ops.l1_loss(logits, labels, self.reduction)
