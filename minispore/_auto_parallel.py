"""``set_auto_parallel_context`` and ``ParallelMode``: how a training step uses the ranks.

minispore implements two modes: ``stand_alone`` (the default: every process trains alone) and
``data_parallel`` (every rank holds all parameters, trains on its shard of the data, and
``TrainOneStepCell`` averages or sums the gradients over the ranks with
``nn.DistributedGradReducer``). The model-parallel modes are refused with a clear error.
"""
import numbers

__all__ = ["ParallelMode", "set_auto_parallel_context", "get_auto_parallel_context",
           "reset_auto_parallel_context"]


class ParallelMode:
    """MindSpore's parallel-mode names (``mindspore.ParallelMode``)."""

    STAND_ALONE = "stand_alone"
    DATA_PARALLEL = "data_parallel"
    HYBRID_PARALLEL = "hybrid_parallel"
    SEMI_AUTO_PARALLEL = "semi_auto_parallel"
    AUTO_PARALLEL = "auto_parallel"
    MODE_LIST = [STAND_ALONE, DATA_PARALLEL, HYBRID_PARALLEL, SEMI_AUTO_PARALLEL, AUTO_PARALLEL]


_IMPLEMENTED = (ParallelMode.STAND_ALONE, ParallelMode.DATA_PARALLEL)
_DEFAULTS = {"parallel_mode": ParallelMode.STAND_ALONE, "gradients_mean": False,
             "device_num": None, "global_rank": None, "parameter_broadcast": False}
_settings = dict(_DEFAULTS)


def _check(key, value):
    if key == "parallel_mode":
        if value not in ParallelMode.MODE_LIST:
            raise ValueError(f"For 'set_auto_parallel_context', 'parallel_mode' must be one of "
                             f"{ParallelMode.MODE_LIST}, but got {value!r}.")
        if value not in _IMPLEMENTED:
            raise ValueError(f"For 'set_auto_parallel_context', minispore implements "
                             f"parallel_mode {list(_IMPLEMENTED)} only, but got {value!r}.")
    elif key in ("gradients_mean", "parameter_broadcast"):
        if not isinstance(value, bool):
            raise TypeError(f"For 'set_auto_parallel_context', '{key}' must be bool, but got "
                            f"{type(value).__name__}.")
    elif key in ("device_num", "global_rank"):
        low = 1 if key == "device_num" else 0
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or \
                not low <= value <= 4096:
            raise ValueError(f"For 'set_auto_parallel_context', '{key}' must be an int in "
                             f"[{low}, 4096], but got {value!r}.")
        value = int(value)
    return value


def set_auto_parallel_context(**kwargs):
    """Set ``parallel_mode`` (``ParallelMode.STAND_ALONE`` or ``DATA_PARALLEL``),
    ``gradients_mean`` (average, not sum, the gradients over the ranks), ``device_num`` (the
    number of ranks; default: the group size after ``communication.init()``), ``global_rank``
    and ``parameter_broadcast`` (recorded; parameters are always broadcast from rank 0 in data
    parallel mode). All arguments are checked before any is applied."""
    unknown = sorted(set(kwargs) - set(_DEFAULTS))
    if unknown:
        raise ValueError(f"For 'set_auto_parallel_context', unknown or unsupported argument(s) "
                         f"{unknown}; supported: {sorted(_DEFAULTS)}.")
    checked = {key: _check(key, value) for key, value in kwargs.items()}
    _settings.update(checked)


def get_auto_parallel_context(attr_key):
    """The value of ``attr_key``. ``device_num`` / ``global_rank`` not set explicitly are the
    group size / rank after ``communication.init()`` (1 / 0 before)."""
    if attr_key not in _DEFAULTS:
        raise ValueError(f"For 'get_auto_parallel_context', unknown key {attr_key!r}; known: "
                         f"{sorted(_DEFAULTS)}.")
    value = _settings[attr_key]
    if value is None:
        from .communication import management  # noqa: PLC0415
        initialized = management.is_initialized()
        if attr_key == "device_num":
            return management.get_group_size() if initialized else 1
        return management.get_rank() if initialized else 0
    return value


def reset_auto_parallel_context():
    """Back to the defaults: stand_alone, gradients_mean False, device_num from the group."""
    _settings.clear()
    _settings.update(_DEFAULTS)
