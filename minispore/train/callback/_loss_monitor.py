"""LossMonitor: print the training loss every ``per_print_times`` steps; stop on NaN/Inf."""
import numpy as np

from ...common.tensor import Tensor
from ._callback import Callback
from ._rank import is_main_rank

__all__ = ["LossMonitor"]


def _loss_value(outputs):
    """The mean of the loss (first output when the train network returns a tuple), as a numpy
    scalar of the loss dtype; non-Tensor outputs are returned unchanged."""
    if isinstance(outputs, (tuple, list)) and outputs and isinstance(outputs[0], Tensor):
        outputs = outputs[0]
    if isinstance(outputs, Tensor):
        arr = outputs.asnumpy()
        return arr[()] if arr.ndim == 0 else np.mean(arr)   # arr[()]: a numpy scalar, cheaply
    return outputs


class LossMonitor(Callback):
    """Print ``epoch: 1 step: 625, loss is 0.116291314`` every ``per_print_times`` steps.

    Args:
        per_print_times (int): print when at least this many steps passed since the last print;
            0 never prints. Default: 1.

    Raises:
        ValueError: ``per_print_times`` is not an int >= 0; or, during training, the loss is NaN
            or Inf (``In epoch: 1 step: 3, loss is NAN or INF, training process cannot continue,
            terminating training.``).

    ``step`` is the step within the epoch. The loss is printed the way the guide shows it, as a
    numpy float32 (``0.116291314``); MindSpore 2.10 prints the Python float repr
    (``0.11629131436347961``). In ``Model.fit`` it also prints ``Eval result: epoch %d, metrics:
    %s`` at the end of an epoch that was evaluated. It only watches training steps.

    In data-parallel training only rank 0 prints (every rank still stops on NaN/Inf); the loss
    printed is rank 0's, computed on its shard of the batch.
    """

    _internal = True

    def __init__(self, per_print_times=1):
        super().__init__()
        if isinstance(per_print_times, bool) or not isinstance(per_print_times, int) or \
                per_print_times < 0:
            raise ValueError(f"The argument 'per_print_times' must be int and >= 0, but got "
                             f"{per_print_times}")
        self._per_print_times = per_print_times
        self._last_print_time = 0

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        loss = _loss_value(cb_params.net_outputs)
        cur_step = cb_params.cur_step_num
        step_in_epoch = (cur_step - 1) % cb_params.batch_num + 1
        if isinstance(loss, (float, np.floating)) and not np.isfinite(loss):
            raise ValueError(f"In epoch: {cb_params.cur_epoch_num} step: {step_in_epoch}, loss is "
                             f"NAN or INF, training process cannot continue, terminating "
                             f"training.")
        if self._per_print_times == 0 or not is_main_rank():
            return
        if cur_step <= self._last_print_time:    # a new Model.train restarted the step count
            self._last_print_time = 0
        if cur_step - self._last_print_time >= self._per_print_times:
            self._last_print_time = cur_step
            # "%s" gives numpy's str (0.116291314); an f-string would print the Python float repr.
            print("epoch: %s step: %s, loss is %s"
                  % (cb_params.cur_epoch_num, step_in_epoch, loss),
                  flush=True)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        metrics = cb_params.get("metrics")
        if metrics and is_main_rank():
            print(f"Eval result: epoch {cb_params.cur_epoch_num}, metrics: {metrics}", flush=True)
