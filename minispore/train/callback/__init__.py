"""Training callbacks (``mindspore.train.callback``): re-exports only."""
from ._callback import Callback, CallbackManager, InternalCallbackParam, RunContext
from ._checkpoint import CheckpointConfig, ModelCheckpoint
from ._early_stop import EarlyStopping
from ._lambda import LambdaCallback
from ._lr_scheduler import LearningRateScheduler
from ._reduce_lr import ReduceLROnPlateau
from ._epoch_report import EpochReport, read_metrics_log
from ._history import History
from ._loss_monitor import LossMonitor
from ._plot import TrainingCurves
from ._progress import ProgressBar
from ._time_monitor import TimeMonitor

_CallbackManager = CallbackManager
_InternalCallbackParam = InternalCallbackParam

__all__ = ["Callback", "RunContext", "CallbackManager", "CheckpointConfig", "ModelCheckpoint",
           "LossMonitor", "TimeMonitor", "History", "EarlyStopping", "ReduceLROnPlateau",
           "LambdaCallback", "LearningRateScheduler"]
__all__ += ["ProgressBar", "EpochReport", "read_metrics_log", "TrainingCurves"]  # minispore's own
