"""ReduceLROnPlateau: multiply the learning rate by ``factor`` when a quantity plateaus."""
import numbers

import numpy as np

from ._callback import Callback
from ._monitor_value import (check_monitor_args, check_non_negative_int, learning_rate_parameter,
                             monitor_value, set_learning_rate, smaller_is_better)

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(Callback):
    """Reduce the optimizer's learning rate when ``monitor`` stops improving
    (``mindspore.train.ReduceLROnPlateau``).

    At each epoch end: during a cooldown the counter ``cooldown_counter`` counts down and the
    wait is reset; a value better than the best by more than ``min_delta`` becomes the best and
    resets the wait; otherwise, outside a cooldown, the wait grows and when it reaches
    ``patience`` the learning rate becomes ``max(lr * factor, min_lr)`` (if it is above
    ``min_lr``), the cooldown starts and the wait is reset. The rate is the optimizer's scalar
    ``learning_rate`` Parameter, rewritten in place (so it is saved in checkpoints).

    Args:
        monitor (str): ``'loss'`` (training loss of the epoch's last step), ``'eval_loss'`` or a
            metric name of ``Model.fit``. Default: ``'eval_loss'``.
        factor (float): in (0, 1). Default: ``0.1``.
        patience (int): Default: ``10``.
        verbose (bool): print each reduction. Default: ``False``.
        mode (str): ``'auto'``, ``'min'`` or ``'max'``. Default: ``'auto'``.
        min_delta (float): Default: ``1e-4``.
        cooldown (int): epochs to wait after a reduction. Default: ``0``.
        min_lr (float): lower bound of the rate. Default: ``0``.

    Raises:
        ValueError: bad arguments; at an epoch end, an optimizer without a scalar learning rate
            (a per-step list/schedule).
    """

    def __init__(self, monitor="eval_loss", factor=0.1, patience=10, verbose=False, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0):
        super().__init__()
        self.min_delta = check_monitor_args("ReduceLROnPlateau", monitor, min_delta, patience,
                                            mode)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or \
                not 0.0 < factor < 1.0:
            raise ValueError(f"For 'ReduceLROnPlateau', the argument 'factor' must be a float in "
                             f"(0.0, 1.0), but got {factor!r}.")
        if not isinstance(verbose, bool):
            raise TypeError(f"For 'ReduceLROnPlateau', the argument 'verbose' must be bool, but "
                            f"got {type(verbose)}.")
        if isinstance(min_lr, bool) or not isinstance(min_lr, numbers.Real):
            raise TypeError(f"For 'ReduceLROnPlateau', the argument 'min_lr' must be float or "
                            f"int, but got {type(min_lr)}.")
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.verbose, self.mode, self.min_lr = verbose, mode, min_lr
        self.cooldown = check_non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        self._minimize = smaller_is_better(monitor, mode)
        self._reset()

    def _reset(self):
        self.cooldown_counter = 0
        self.wait = 0
        self.best = np.inf if self._minimize else -np.inf

    def _is_improvement(self, current):
        if self._minimize:
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, run_context):
        """Reset the counters."""
        self._reset()

    def on_train_epoch_end(self, run_context):
        """Track the monitored value; reduce the learning rate on a plateau."""
        cb_params = run_context.original_args()
        lr_param = learning_rate_parameter("ReduceLROnPlateau", cb_params)
        current = monitor_value("ReduceLROnPlateau", self.monitor, cb_params)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                lr = float(lr_param.asnumpy())
                if lr > self.min_lr:
                    new_lr = max(lr * self.factor, self.min_lr)
                    set_learning_rate(lr_param, new_lr)
                    if self.verbose:
                        print(f"Epoch {cb_params.cur_epoch_num:05d}: ReduceLROnPlateau reducing "
                              f"learning rate to {new_lr}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0
