"""Loss cells: SoftmaxCrossEntropyWithLogits, MSELoss, L1Loss."""
from ... import ops
from ...common.tensor import Tensor
from ..cell import Cell

__all__ = ["LossBase", "SoftmaxCrossEntropyWithLogits", "MSELoss", "L1Loss"]

_REDUCTIONS = ("mean", "sum", "none")


class LossBase(Cell):
    """Base class of losses: ``get_loss`` applies the reduction ('mean', 'sum' or 'none')."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"For '{type(self).__name__}', the 'reduction' must be in "
                             f"{list(_REDUCTIONS)}, but got {reduction!r}.")
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
        if not isinstance(labels, Tensor):
            labels = Tensor(labels)
        if logits.ndim != 2:
            raise ValueError(f"For 'SoftmaxCrossEntropyWithLogits', the logits must be 2-D "
                             f"(N, C), but got {tuple(logits.shape)}.")
        if self.sparse:
            if labels.dtype.name not in ("Int32", "Int64"):
                raise TypeError(f"For 'SoftmaxCrossEntropyWithLogits' with sparse=True, the labels "
                                f"must be Int32 or Int64 class indices, but got "
                                f"Tensor[{labels.dtype}].")
            if labels.shape != logits.shape[:1]:
                raise ValueError(f"For 'SoftmaxCrossEntropyWithLogits', the labels must have "
                                 f"shape ({logits.shape[0]},) to match logits "
                                 f"{tuple(logits.shape)}, but got {tuple(labels.shape)}.")
        elif labels.shape != logits.shape:
            raise ValueError(f"For 'SoftmaxCrossEntropyWithLogits' with sparse=False, the labels "
                             f"must have the logits' shape {tuple(logits.shape)}, but got "
                             f"{tuple(labels.shape)}.")
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
