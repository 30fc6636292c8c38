"""Training: Model, callbacks, metrics, checkpoints and converters. Re-exports only."""
from . import callback, converters
from ..nn.metrics import Accuracy, Loss, Metric
from .callback import (Callback, CheckpointConfig, History, LossMonitor, ModelCheckpoint,
                       RunContext, TimeMonitor)
from .converters import pytorch2mindspore
from .model import Model
from .serialization import load_checkpoint, load_param_into_net, save_checkpoint, wait_async_saves

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "wait_async_saves",
           "Model", "Callback", "RunContext", "CheckpointConfig", "ModelCheckpoint", "LossMonitor",
           "TimeMonitor", "History", "Metric", "Accuracy", "Loss", "converters",
           "pytorch2mindspore"]
