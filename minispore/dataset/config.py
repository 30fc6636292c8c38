"""``mindspore.dataset.config``: the seed that makes dataset shuffles reproducible.

``minispore.dataset.config.set_seed(s)`` and ``minispore.set_seed(s)`` both seed the pipeline;
whichever was called last wins. With no seed, every epoch is shuffled from fresh OS entropy.
"""
from ..common import seed as _global

__all__ = ["set_seed", "get_seed", "set_num_parallel_workers", "get_num_parallel_workers"]

_state = {"seed": None, "global_at_set": None, "workers": 1}


def set_seed(seed):
    """Seed the dataset pipeline (shuffles, sampling); epoch ``e`` then draws from ``(seed, e)``."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed given is not within the required range [0, 4294967295], "
                         f"got {seed!r}.")
    _state["seed"] = seed
    _state["global_at_set"] = _global.get_rng()  # replaced by every minispore.set_seed call


def get_seed():
    """The pipeline seed: the last of ``config.set_seed`` / ``minispore.set_seed``, else None."""
    if _state["seed"] is None or _global.get_rng() is not _state["global_at_set"]:
        return _global.get_seed()
    return _state["seed"]


def set_num_parallel_workers(num):
    """Default worker threads of ``map`` and ``GeneratorDataset`` when they are given
    ``num_parallel_workers=None`` (minispore's default is 1: no threads unless asked for)."""
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise ValueError(f"num_parallel_workers should be a positive int, got {num!r}.")
    _state["workers"] = num


def get_num_parallel_workers():
    """The default set by ``set_num_parallel_workers`` (1 unless changed)."""
    return _state["workers"]
