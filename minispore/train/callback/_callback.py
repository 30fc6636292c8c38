"""Callback base class, RunContext, and the manager that calls a list of callbacks.

MindSpore 2.x hook names are ``on_train_begin``, ``on_train_epoch_begin``, ``on_train_step_begin``,
``on_train_step_end``, ``on_train_epoch_end``, ``on_train_end`` and the ``on_eval_*`` equivalents.
The 1.x names (``begin``, ``epoch_begin``, ``step_begin``, ``step_end``, ``epoch_end``, ``end``)
still work: every default ``on_train_X`` / ``on_eval_X`` calls the old ``X``, as in MindSpore.
"""
import logging

__all__ = ["Callback", "RunContext", "CallbackManager", "InternalCallbackParam",
           "check_methods_for_custom_callbacks"]

logger = logging.getLogger("minispore")

_OLD_NAMES = frozenset({"begin", "end", "epoch_begin", "epoch_end", "step_begin", "step_end"})


class Callback:
    """Base class of training / evaluation callbacks; override the hooks you need.

    Each hook receives a :class:`RunContext`; ``run_context.original_args()`` is the ``cb_params``
    dict of the running ``Model`` (attribute access works: ``cb_params.cur_step_num``).
    """

    _internal = False   # minispore's own callbacks: exempt from the old-name warning

    def __enter__(self):
        return self

    def __exit__(self, *err):
        return None

    # 1.x names: kept because the 2.x defaults below call them.
    def begin(self, run_context):
        """Called once before training / evaluation starts (1.x name)."""

    def epoch_begin(self, run_context):
        """Called before each epoch (1.x name)."""

    def epoch_end(self, run_context):
        """Called after each epoch (1.x name)."""

    def step_begin(self, run_context):
        """Called before each step (1.x name)."""

    def step_end(self, run_context):
        """Called after each step (1.x name)."""

    def end(self, run_context):
        """Called once after training / evaluation (1.x name)."""

    # 2.x names.
    def on_train_begin(self, run_context):
        self.begin(run_context)

    def on_train_epoch_begin(self, run_context):
        self.epoch_begin(run_context)

    def on_train_epoch_end(self, run_context):
        self.epoch_end(run_context)

    def on_train_step_begin(self, run_context):
        self.step_begin(run_context)

    def on_train_step_end(self, run_context):
        self.step_end(run_context)

    def on_train_end(self, run_context):
        self.end(run_context)

    def on_eval_begin(self, run_context):
        self.begin(run_context)

    def on_eval_epoch_begin(self, run_context):
        self.epoch_begin(run_context)

    def on_eval_epoch_end(self, run_context):
        self.epoch_end(run_context)

    def on_eval_step_begin(self, run_context):
        self.step_begin(run_context)

    def on_eval_step_end(self, run_context):
        self.step_end(run_context)

    def on_eval_end(self, run_context):
        self.end(run_context)


_HOOKS = ("begin", "epoch_begin", "epoch_end", "step_begin", "step_end", "end",
          "on_train_begin", "on_train_epoch_begin", "on_train_epoch_end", "on_train_step_begin",
          "on_train_step_end", "on_train_end", "on_eval_begin", "on_eval_epoch_begin",
          "on_eval_epoch_end", "on_eval_step_begin", "on_eval_step_end", "on_eval_end")


def _fan_out(name):
    def hook(self, run_context):
        for method in self._bound[name]:
            method(run_context)
    hook.__name__ = name
    hook.__doc__ = f"Call ``{name}`` of every callback, in list order."
    return hook


class CallbackManager(Callback):
    """Runs a list of callbacks in order (``mindspore.train.callback._CallbackManager``).

    Args:
        callbacks (Union[None, Callback, list[Callback]]): what to run.

    Raises:
        TypeError: ``callbacks`` is not None, a Callback or a list of Callbacks.

    The bound hook methods are looked up once here, so a step costs one Python call per callback
    that overrides nothing beyond the defaults' own chain.
    """

    def __init__(self, callbacks):
        if isinstance(callbacks, Callback):
            cbs = [callbacks]
        elif isinstance(callbacks, list):
            for cb in callbacks:
                if not isinstance(cb, Callback):
                    raise TypeError(f"When the 'callbacks' is a list, the elements in 'callbacks' "
                                    f"must be Callback functions, but got {type(cb)}.")
            cbs = list(callbacks)
        elif callbacks is None:
            cbs = []
        else:
            raise TypeError(f"The 'callbacks' is not a Callback or a list of Callback, but got "
                            f"{type(callbacks)}.")
        self._callbacks = cbs
        self._bound = {name: [getattr(cb, name) for cb in cbs] for name in _HOOKS}

    @property
    def callbacks(self):
        return list(self._callbacks)

    def __enter__(self):
        for cb in self._callbacks:
            cb.__enter__()
        return self

    def __exit__(self, *err):
        for cb in reversed(self._callbacks):
            cb.__exit__(*err)


for _name in _HOOKS:
    setattr(CallbackManager, _name, _fan_out(_name))
del _name


class InternalCallbackParam(dict):
    """The ``cb_params`` dict; its keys are also attributes (``cb_params.cur_step_num``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"cb_params has no field {key!r}; it has {sorted(self)}.") \
                from None

    def __setattr__(self, key, value):
        self[key] = value


class RunContext:
    """What a callback hook receives: the ``cb_params`` and a way to stop the loop.

    Args:
        original_args (dict): the cb_params of the running Model.
    """

    def __init__(self, original_args):
        if not isinstance(original_args, dict):
            raise TypeError(f"The argument 'original_args' of RunContext should be dict type, but "
                            f"got {type(original_args)}.")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self):
        """The cb_params dict (attribute access works)."""
        return self._original_args

    def request_stop(self):
        """Ask the Model to stop after the current step (and run the epoch/train end hooks)."""
        self._stop_requested = True

    def get_stop_requested(self):
        """Whether ``request_stop`` was called."""
        return self._stop_requested


def check_methods_for_custom_callbacks(callbacks, mode):
    """Warn, as MindSpore's Model does, when a user callback overrides 1.x hook names."""
    if callbacks is None:
        return
    for cb in callbacks if isinstance(callbacks, list) else [callbacks]:
        if getattr(cb, "_internal", False):
            continue
        own = set()
        for klass in type(cb).__mro__:
            if klass is Callback or klass is object:
                break
            own |= set(vars(klass))
        old = own & _OLD_NAMES
        if old:
            logger.warning("For %s callback, %s methods may not be supported in later version, Use "
                           "methods prefixed with 'on_train' or 'on_eval' instead when using "
                           "customized callbacks.", type(cb).__name__, old)
