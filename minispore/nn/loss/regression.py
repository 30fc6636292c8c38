"""Regression and distribution losses: SmoothL1Loss, HuberLoss, KLDivLoss, RMSELoss, MAELoss
(each calls the matching ``ops`` function)."""
from ... import ops
from .loss import LossBase

__all__ = ["SmoothL1Loss", "HuberLoss", "KLDivLoss", "RMSELoss", "MAELoss"]


class SmoothL1Loss(LossBase):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = logits - labels).

    Args:
        beta (float): the switch point, > 0. Default: ``1.0``.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'none'``.
    """

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        if not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"For 'SmoothL1Loss', 'beta' must be a positive float, but got "
                             f"{beta!r}.")
        self.beta = float(beta)

    def construct(self, logits, labels):
        return ops.smooth_l1_loss(logits, labels, self.beta, self.reduction)


class HuberLoss(LossBase):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (d = logits - labels).

    Args:
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
        delta (float): the switch point, > 0. Default: ``1.0``.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if not isinstance(delta, (int, float)) or delta <= 0:
            raise ValueError(f"For 'HuberLoss', 'delta' must be a positive float, but got "
                             f"{delta!r}.")
        self.delta = float(delta)

    def construct(self, logits, labels):
        return ops.huber_loss(logits, labels, self.reduction, self.delta)


class KLDivLoss(LossBase):
    """KL divergence between log-probabilities (logits) and probabilities (labels), see
    ``ops.kl_div``.

    Args:
        reduction (str): ``'mean'``, ``'sum'``, ``'none'`` or ``'batchmean'``. Default:
            ``'mean'``.
    """

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"For 'KLDivLoss', 'reduction' must be one of ['mean', 'sum', "
                             f"'none', 'batchmean'], but got {reduction!r}.")
        super().__init__("none")
        self.reduction = reduction

    def construct(self, logits, labels):
        return ops.kl_div(logits, labels, self.reduction)


class RMSELoss(LossBase):
    """sqrt(mean((logits - labels)**2)): the root mean squared error, a scalar."""

    def __init__(self):
        super().__init__()

    def construct(self, logits, labels):
        return ops.sqrt(ops.mse_loss(logits, labels, "mean"))


class MAELoss(LossBase):
    """|logits - labels|, reduced (the mean absolute error by default).

    Args:
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``.
    """

    def construct(self, logits, labels):
        return ops.l1_loss(logits, labels, self.reduction)
