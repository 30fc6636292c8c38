"""LambdaCallback: a callback made of plain functions, one per hook."""
from ._callback import Callback

__all__ = ["LambdaCallback"]

_HOOKS = ("on_train_epoch_begin", "on_train_epoch_end", "on_train_step_begin",
          "on_train_step_end", "on_train_begin", "on_train_end", "on_eval_epoch_begin",
          "on_eval_epoch_end", "on_eval_step_begin", "on_eval_step_end", "on_eval_begin",
          "on_eval_end")


class LambdaCallback(Callback):
    """Build a callback from functions (``mindspore.train.LambdaCallback``).

    Each argument (default None) is a function ``f(run_context)`` run at that hook; hooks left
    None do nothing.

    Example::

        losses = []
        cb = LambdaCallback(on_train_step_end=lambda rc: losses.append(
            rc.original_args().net_outputs.asnumpy()))

    Raises:
        TypeError: an argument is neither None nor callable.
    """

    def __init__(self, on_train_epoch_begin=None, on_train_epoch_end=None,
                 on_train_step_begin=None, on_train_step_end=None, on_train_begin=None,
                 on_train_end=None, on_eval_epoch_begin=None, on_eval_epoch_end=None,
                 on_eval_step_begin=None, on_eval_step_end=None, on_eval_begin=None,
                 on_eval_end=None):
        super().__init__()
        given = dict(zip(_HOOKS, (on_train_epoch_begin, on_train_epoch_end, on_train_step_begin,
                                  on_train_step_end, on_train_begin, on_train_end,
                                  on_eval_epoch_begin, on_eval_epoch_end, on_eval_step_begin,
                                  on_eval_step_end, on_eval_begin, on_eval_end)))
        for name, func in given.items():
            if func is None:
                continue
            if not callable(func):
                raise TypeError(f"For 'LambdaCallback', the argument '{name}' must be callable "
                                f"or None, but got {type(func)}.")
            setattr(self, name, func)   # an instance attribute shadows the no-op method
