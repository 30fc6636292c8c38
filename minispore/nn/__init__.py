"""Neural-network cells (``mindspore.nn``): Cell, layers, losses, optimizers, learning-rate
schedules, wrappers and metrics. Each subpackage re-exports its modules' ``__all__``, so a new
public name is added in its own module only."""
from . import layer, loss, optim, wrap
from .cell import Cell
from .layer import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .wrap import *  # noqa: F401,F403
from .metrics import Accuracy, Loss, Metric, get_metric_fn, get_metrics
from .learning_rate_schedule import *  # noqa: F401,F403
from .dynamic_lr import *  # noqa: F401,F403
from .metrics import (F1, MAE, MSE, ConfusionMatrix, Fbeta, Precision, Recall,  # noqa: F401
                      Top1CategoricalAccuracy, Top5CategoricalAccuracy, TopKCategoricalAccuracy,
                      rearrange_inputs)


def __getattr__(name):
    """A MindSpore cell minispore does not have: say so (no "did you mean" to another)."""
    from .._unsupported import not_supported  # noqa: PLC0415
    raise not_supported("mindspore.nn", name)
