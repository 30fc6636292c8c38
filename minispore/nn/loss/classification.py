"""Classification losses: CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss, BCELoss.

Each Cell holds MindSpore's constructor arguments and calls the matching ``ops`` function, where
the formula and its checks live."""
from ... import ops
from ..._checkparam import REDUCTIONS
from .loss import LossBase

__all__ = ["CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "BCELoss"]


def _check_smoothing(cls_name, label_smoothing):
    if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"For '{cls_name}', 'label_smoothing' must be a float in [0, 1], but "
                         f"got {label_smoothing!r}.")


class CrossEntropyLoss(LossBase):
    """Cross-entropy between logits (N, C, ...) and class indices (N, ...) or class
    probabilities (N, C, ...), see ``ops.cross_entropy``.

    Args:
        weight (Tensor): a (C,) rescaling weight per class. Default: ``None``.
        ignore_index (int): a class index that adds nothing to the loss or the mean's
            denominator. Default: ``-100``.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
        label_smoothing (float): in [0, 1]. Default: ``0.0``.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        _check_smoothing("CrossEntropyLoss", label_smoothing)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = float(label_smoothing)

    def construct(self, logits, labels):
        return ops.cross_entropy(logits, labels, self.weight, self.ignore_index, self.reduction,
                                 self.label_smoothing)


class NLLLoss(LossBase):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices (N, ...), see
    ``ops.nll_loss``.

    Args:
        weight (Tensor): a (C,) rescaling weight per class. Default: ``None``.
        ignore_index (int): a class index to leave out. Default: ``-100``.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def construct(self, logits, labels):
        return ops.nll_loss(logits, labels, self.weight, self.ignore_index, self.reduction)


class BCEWithLogitsLoss(LossBase):
    """Binary cross-entropy of logits, with a sigmoid folded in stably, see
    ``ops.binary_cross_entropy_with_logits``.

    Args:
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
        weight (Tensor): broadcast to the logits' shape. Default: ``None``.
        pos_weight (Tensor): the positive examples' weight, broadcast to the logits' shape.
            Default: ``None``.
    """

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def construct(self, logits, labels):
        return ops.binary_cross_entropy_with_logits(logits, labels, self.weight, self.pos_weight,
                                                    self.reduction)


class BCELoss(LossBase):
    """Binary cross-entropy of probabilities in [0, 1], see ``ops.binary_cross_entropy``.

    Args:
        weight (Tensor): broadcast to the input's shape. Default: ``None``.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
    """

    def __init__(self, weight=None, reduction="mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"For 'BCELoss', the 'reduction' must be in {list(REDUCTIONS)}, "
                             f"but got {reduction!r}.")
        super().__init__(reduction)
        self.weight = weight

    def construct(self, logits, labels):
        return ops.binary_cross_entropy(logits, labels, self.weight, self.reduction)
