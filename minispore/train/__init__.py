"""Training: Model, callbacks, metrics, checkpoints and converters. Re-exports only.

``Model`` and the metrics need ``minispore.nn`` (and so numba); they load on first use so that
checkpoint tools importing ``minispore.train.*`` start fast.
"""
import importlib

from . import callback, converters
from .callback import (Callback, CheckpointConfig, History, LossMonitor, ModelCheckpoint,
                       RunContext, TimeMonitor)
from .callback import EarlyStopping, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau
from .converters import pytorch2mindspore
from .serialization import load_checkpoint, load_param_into_net, save_checkpoint, wait_async_saves

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "wait_async_saves",
           "Model", "Callback", "RunContext", "CheckpointConfig", "ModelCheckpoint", "LossMonitor",
           "TimeMonitor", "History", "Metric", "Accuracy", "Loss", "converters",
           "pytorch2mindspore", "EarlyStopping", "ReduceLROnPlateau", "LambdaCallback",
           "LearningRateScheduler"]

_LAZY = {"Model": "minispore.train.model", "Metric": "minispore.nn.metrics",
         "Accuracy": "minispore.nn.metrics", "Loss": "minispore.nn.metrics"}
# MindSpore 2.x also exports the other metrics from mindspore.train.
_LAZY.update(dict.fromkeys(["Precision", "Recall", "Fbeta", "F1", "MAE", "MSE",
                            "TopKCategoricalAccuracy", "Top1CategoricalAccuracy",
                            "Top5CategoricalAccuracy", "ConfusionMatrix", "names",
                            "get_metric_fn", "rearrange_inputs"], "minispore.nn.metrics"))


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'minispore.train' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
