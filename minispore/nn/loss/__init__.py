"""Loss functions (``mindspore.nn.loss``)."""
from .loss import L1Loss, LossBase, MSELoss, SoftmaxCrossEntropyWithLogits

__all__ = ["LossBase", "SoftmaxCrossEntropyWithLogits", "MSELoss", "L1Loss"]
