"""What the plateau callbacks (EarlyStopping, ReduceLROnPlateau) share: reading the monitored
value at an epoch's end, the improvement test, and the optimizer's learning-rate Parameter."""
import logging
import numbers

import numpy as np

from ...common.parameter import Parameter
from ...common.tensor import Tensor

logger = logging.getLogger("minispore")

# Metric names for which smaller is better ('auto' mode), as in MindSpore.
SMALLER_BETTER = frozenset({"hausdorff_distance", "mae", "mse", "loss", "perplexity",
                            "mean_surface_distance", "root_mean_square_distance", "eval_loss"})


def check_monitor_args(who, monitor, min_delta, patience, mode):
    """Validate the arguments both plateau callbacks take; return ``abs(min_delta)``."""
    if not isinstance(monitor, str):
        raise TypeError(f"For '{who}', the argument 'monitor' must be str, but got "
                        f"{type(monitor)}.")
    if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
        raise TypeError(f"For '{who}', the argument 'min_delta' must be float or int, but got "
                        f"{type(min_delta)}.")
    check_non_negative_int(who, "patience", patience)
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"For '{who}', mode should be 'auto', 'min' or 'max', but got {mode!r}.")
    return abs(float(min_delta))


def check_non_negative_int(who, name, value):
    """``value`` must be an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"For '{who}', the argument '{name}' must be an int >= 0, but got "
                         f"{value!r}.")
    return int(value)


def smaller_is_better(monitor, mode):
    """Whether a lower ``monitor`` value is an improvement under ``mode``."""
    return mode == "min" or (mode == "auto" and monitor in SMALLER_BETTER)


def loss_value(net_outputs):
    """The training loss of the last step as a float: the mean of the first output."""
    out = net_outputs
    if isinstance(out, (tuple, list)) and out:
        out = out[0]
    if isinstance(out, Tensor):
        out = out.asnumpy()
    if out is None:
        return None
    return float(np.mean(out))


def monitor_value(who, monitor, cb_params):
    """The epoch's value of ``monitor``: ``'loss'`` is the last step's training loss; any other
    name is looked up in ``cb_params.eval_results`` (set by ``Model.fit`` on evaluated epochs:
    the metrics and ``'eval_loss'``). None (with a warning) when it is not available."""
    candidates = {}
    if monitor == "loss":
        value = loss_value(cb_params.get("net_outputs"))
    else:
        candidates = cb_params.get("eval_results") or {}
        value = candidates.get(monitor)
    if value is None:
        logger.warning("%s is conditioned on %s, which is not available. Available choices "
                       "are: %s", who, monitor, sorted({"loss"} | set(candidates)))
        return None
    value = np.asarray(value)
    if value.shape != ():
        raise ValueError(f"{who} only supports scalar monitor now, but '{monitor}' has shape "
                         f"{value.shape}.")
    return float(value)


def learning_rate_parameter(who, cb_params):
    """The optimizer's scalar ``learning_rate`` Parameter, which these callbacks rewrite."""
    optimizer = cb_params.get("optimizer")
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who} needs the Model's optimizer and its 'learning_rate' Parameter, "
                         f"but the Model has optimizer {type(optimizer).__name__}.")
    lr = optimizer.learning_rate
    if not isinstance(lr, Parameter) or getattr(optimizer, "dynamic_lr", False) or \
            lr.shape != ():
        raise ValueError(f"{who} does not support dynamic learning rate and group learning rate "
                         f"now (the optimizer's learning_rate is a {type(lr).__name__}).")
    return lr


def set_learning_rate(parameter, value):
    """Write ``value`` into the learning-rate Parameter in place (float32)."""
    parameter.set_data(Tensor(np.float32(value)))
