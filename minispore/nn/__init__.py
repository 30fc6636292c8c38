"""Neural-network cells (``mindspore.nn``): Cell, layers, losses, optimizers, wrappers."""
from . import loss, optim
from .cell import Cell
from .layer import (CellList, Conv2d, Dense, Flatten, LogSoftmax, MaxPool2d, ReLU,
                    SequentialCell, Sigmoid, Softmax, Tanh)
from .loss import L1Loss, LossBase, MSELoss, SoftmaxCrossEntropyWithLogits
from .optim import Momentum, Optimizer
from .wrap import TrainOneStepCell, WithEvalCell, WithLossCell
from .metrics import Accuracy, Loss, Metric, get_metric_fn, get_metrics
