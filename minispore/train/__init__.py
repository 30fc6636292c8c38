"""Training utilities: checkpoints (and, later, Model and callbacks). Re-exports only."""
from .serialization import save_checkpoint, load_checkpoint, load_param_into_net, wait_async_saves

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "wait_async_saves"]

# Model, callbacks and metrics (issue #4).
from . import callback
from .callback import (Callback, CheckpointConfig, History, LossMonitor, ModelCheckpoint,
                       RunContext, TimeMonitor)
from .model import Model
from ..nn.metrics import Accuracy, Loss, Metric

__all__ += ["Model", "Callback", "RunContext", "CheckpointConfig", "ModelCheckpoint", "LossMonitor",
            "TimeMonitor", "History", "Metric", "Accuracy", "Loss"]
