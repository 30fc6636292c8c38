"""Neural-network cells (``mindspore.nn``): Cell, layers, losses, optimizers, wrappers."""
from . import loss, optim
from .cell import Cell
from .layer import *  # noqa: F401,F403
from .loss import L1Loss, LossBase, MSELoss, SoftmaxCrossEntropyWithLogits
from .optim import Momentum, Optimizer
from .wrap import TrainOneStepCell, WithEvalCell, WithLossCell
from .metrics import Accuracy, Loss, Metric, get_metric_fn, get_metrics
