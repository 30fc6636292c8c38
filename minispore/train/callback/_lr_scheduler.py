"""LearningRateScheduler: set the learning rate from a function of (lr, step) after each step."""
import logging
import math

import numpy as np

from ._callback import Callback
from ._monitor_value import learning_rate_parameter, set_learning_rate

__all__ = ["LearningRateScheduler"]

logger = logging.getLogger("minispore")


class LearningRateScheduler(Callback):
    """Change the learning rate during training (``mindspore.train.LearningRateScheduler``).

    Args:
        learning_rate_function (Callable): ``f(lr, cur_step_num) -> new_lr``, called at every
            step end with the current rate (a Python float, as numpy prints the float32 value)
            and the global step number (1 after the first step). A result that differs from
            ``lr`` (relative tolerance 1e-10) is written into the optimizer's ``learning_rate``
            Parameter, so it takes effect from the next step.

    Example::

        def halve_every_100(lr, step):
            return lr * 0.5 if step % 100 == 0 else lr

        model.train(3, ds, callbacks=[LearningRateScheduler(halve_every_100)])

    Raises:
        TypeError: ``learning_rate_function`` is not callable.
        ValueError: at a step end, the optimizer has no scalar learning rate.
    """

    def __init__(self, learning_rate_function):
        super().__init__()
        if not callable(learning_rate_function):
            raise TypeError(f"For 'LearningRateScheduler', the argument 'learning_rate_function' "
                            f"must be callable, but got {type(learning_rate_function)}.")
        self.learning_rate_function = learning_rate_function

    def on_train_step_end(self, run_context):
        """Ask the function for the next rate and store it when it changed."""
        cb_params = run_context.original_args()
        lr_param = learning_rate_parameter("LearningRateScheduler", cb_params)
        lr = float(np.array2string(lr_param.asnumpy()))
        new_lr = self.learning_rate_function(lr, cb_params.cur_step_num)
        if not math.isclose(lr, new_lr, rel_tol=1e-10):
            set_learning_rate(lr_param, new_lr)
            logger.info("At step %s, learning_rate change to %s", cb_params.cur_step_num, new_lr)
