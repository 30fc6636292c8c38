"""TimeMonitor: print the wall time of each epoch and per step."""
import time

from ._callback import Callback
from ._rank import is_main_rank

__all__ = ["TimeMonitor"]


class TimeMonitor(Callback):
    """Print ``Train epoch time: 654.272 ms, per step time: 327.136 ms`` at each epoch end.

    Args:
        data_size (int): steps per epoch used for the per-step time when the Model does not know
            the dataset size (``cb_params.batch_num``, which takes precedence). Default: None.
        data_time (bool): accepted for MindSpore compatibility; data-loading time is not measured
            separately. Default: False.

    The first word is the mode (``Train`` / ``Eval``), as in MindSpore 2.x (1.x printed
    ``epoch time: ...``). In data-parallel training only rank 0 prints (its own time).
    """

    _internal = True

    def __init__(self, data_size=None, data_time=False):
        super().__init__()
        if data_size is not None and (isinstance(data_size, bool) or
                                      not isinstance(data_size, int) or data_size <= 0):
            raise ValueError(f"The input value must be int and must > 0, but got '{data_size}' "
                             f"with type '{type(data_size).__name__}'.")
        if not isinstance(data_time, bool):
            raise TypeError(f"For 'TimeMonitor', the argument 'data_time' must be bool, but got "
                            f"{type(data_time)}.")
        self.data_size = data_size
        self.data_time = data_time
        self.epoch_time = time.time()

    def _begin(self, run_context):
        self.epoch_time = time.time()

    def _end(self, run_context):
        epoch_ms = (time.time() - self.epoch_time) * 1000
        cb_params = run_context.original_args()
        steps = self.data_size
        batch_num = cb_params.get("batch_num")
        if isinstance(batch_num, int) and batch_num > 0:
            steps = batch_num
        if not steps:
            raise ValueError("For 'TimeMonitor', the number of steps per epoch is unknown: pass "
                             "'data_size' or use a dataset with a size.")
        mode = cb_params.get("mode", "")
        if not is_main_rank():
            return
        print("{} epoch time: {:5.3f} ms, per step time: {:5.3f} ms".format(
            mode.title(), epoch_ms, epoch_ms / steps), flush=True)

    on_train_epoch_begin = on_eval_epoch_begin = _begin
    on_train_epoch_end = on_eval_epoch_end = _end
