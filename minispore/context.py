"""``mindspore.context``: run-mode settings, on the CPU.

``set_context(mode=GRAPH_MODE)`` makes every top-level Cell call go through the planner of
``ms.jit`` (:mod:`minispore.common.api`): traced once per input signature into a static plan,
replayed after that; ``PYNATIVE_MODE`` (the default) runs eagerly. A device other than CPU is
refused.
"""

__all__ = ["GRAPH_MODE", "PYNATIVE_MODE", "set_context", "get_context"]

GRAPH_MODE = 0
PYNATIVE_MODE = 1

_settings = {"mode": PYNATIVE_MODE, "device_target": "CPU", "device_id": 0}


def set_context(**kwargs):
    """Record settings (``mode``, ``device_target``, ...); ``device_target`` must be 'CPU'."""
    target = kwargs.get("device_target", "CPU")
    if target not in ("CPU", "cpu"):
        raise ValueError(f"For 'set_context', minispore runs on the CPU only, but got "
                         f"device_target={target!r}.")
    if "mode" in kwargs and kwargs["mode"] not in (GRAPH_MODE, PYNATIVE_MODE):
        raise ValueError(f"For 'set_context', 'mode' must be GRAPH_MODE or PYNATIVE_MODE, but "
                         f"got {kwargs['mode']!r}.")
    _settings.update(kwargs)


def get_context(key):
    if key not in _settings:
        raise ValueError(f"For 'get_context', unknown key {key!r}; known: {sorted(_settings)}.")
    return _settings[key]


# Data-parallel settings live in their own module; MindSpore exposes them from `context` too.
from ._auto_parallel import (ParallelMode, get_auto_parallel_context,  # noqa: E402
                             reset_auto_parallel_context, set_auto_parallel_context)

__all__ += ["ParallelMode", "set_auto_parallel_context", "get_auto_parallel_context",
            "reset_auto_parallel_context"]
