"""Loss cells: SoftmaxCrossEntropyWithLogits, MSELoss, L1Loss."""
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


class MSELoss(LossBase):
    """(x - y)**2, reduced."""

    def construct(self, logits, labels):
        d = ops.sub(logits, labels)
        return self.get_loss(ops.mul(d, d))


class L1Loss(LossBase):
    """|x - y|, reduced."""

    def construct(self, logits, labels):
        return self.get_loss(ops.abs(ops.sub(logits, labels)))
