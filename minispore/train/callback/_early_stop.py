"""EarlyStopping: stop training when a monitored quantity stops improving."""
import numbers

import numpy as np

from ._callback import Callback
from ._monitor_value import (check_monitor_args, monitor_value, smaller_is_better)

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs
    (``mindspore.train.EarlyStopping``).

    At each epoch end the monitored value is read (``'loss'``: the last step's training loss;
    otherwise a key of the evaluation results of ``Model.fit``: a metric name given to ``Model``
    or ``'eval_loss'``). An epoch whose value beats the best so far by more than ``min_delta``
    is an improvement. The wait counter grows by one every epoch and is reset by an improvement
    that also beats ``baseline`` (when given); when it reaches ``patience`` the training stops
    after this epoch. Epochs without the value (not evaluated) are skipped.

    Args:
        monitor (str): Default: ``'eval_loss'``.
        min_delta (float): the margin an improvement needs (its absolute value). Default: ``0``.
        patience (int): epochs without improvement before stopping. Default: ``0`` (stop at the
            first epoch without an improvement after the baseline).
        verbose (bool): print when stopping. Default: ``False``.
        mode (str): ``'min'``, ``'max'`` or ``'auto'`` (min for losses and errors, max for
            others). Default: ``'auto'``.
        baseline (float): the value an improvement must also beat to reset the wait. Default:
            ``None``.
        restore_best_weights (bool): when stopping, load the train network's parameters (the
            network's and the optimizer's, as MindSpore copies ``train_network``) saved at the
            best epoch. Default: ``False``.

    Attributes: ``best``, ``wait``, ``stopped_epoch`` (0 if it did not stop).
    """

    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, verbose=False, mode="auto",
                 baseline=None, restore_best_weights=False):
        super().__init__()
        self.min_delta = check_monitor_args("EarlyStopping", monitor, min_delta, patience, mode)
        for name, flag in (("verbose", verbose), ("restore_best_weights", restore_best_weights)):
            if not isinstance(flag, bool):
                raise TypeError(f"For 'EarlyStopping', the argument '{name}' must be bool, but "
                                f"got {type(flag)}.")
        if baseline is not None and (isinstance(baseline, bool)
                                     or not isinstance(baseline, numbers.Real)):
            raise TypeError(f"For 'EarlyStopping', the argument 'baseline' must be float, int or "
                            f"None, but got {type(baseline)}.")
        self.monitor, self.patience, self.verbose, self.mode = monitor, patience, verbose, mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self._minimize = smaller_is_better(monitor, mode)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self._minimize else -np.inf
        self._best_weights = None

    def _is_improvement(self, current, reference):
        if self._minimize:
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def on_train_begin(self, run_context):
        """Reset the counters: a callback can be reused for a new training."""
        self._reset()

    def on_train_epoch_end(self, run_context):
        """Compare this epoch's value with the best; request a stop when patience runs out."""
        cb_params = run_context.original_args()
        current = monitor_value("EarlyStopping", self.monitor, cb_params)
        if current is None:
            return
        params = cb_params.train_network.parameters_dict()
        if self.restore_best_weights and self._best_weights is None:
            self._best_weights = _snapshot(params)
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            if self.restore_best_weights:
                self._best_weights = _snapshot(params)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = cb_params.cur_epoch_num
            run_context.request_stop()
            if self.restore_best_weights and self._best_weights is not None:
                if self.verbose:
                    print("Restoring model weights from the end of the best epoch.")
                for name, value in self._best_weights.items():
                    params[name].set_data(value)

    def on_train_end(self, run_context):
        """Print the epoch it stopped at (with ``verbose``)."""
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch:05d}: early stopping")


def _snapshot(params):
    return {name: p.asnumpy().copy() for name, p in params.items()}
