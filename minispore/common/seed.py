"""The global random state: ``set_seed`` makes initializers and dataset shuffles reproducible."""
import numpy as np

__all__ = ["set_seed", "get_seed", "get_rng"]

_state = {"seed": None, "rng": np.random.default_rng()}


def set_seed(seed):
    """Seed every random source minispore uses (initializers, dropout, dataset shuffling) and
    numpy's global RNG, as ``mindspore.set_seed`` does."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"For 'set_seed', the argument 'seed' must be a non-negative int, "
                         f"but got {seed!r}.")
    _state["seed"] = seed
    _state["rng"] = np.random.default_rng(seed)
    np.random.seed(seed % 2**32)


def get_seed():
    return _state["seed"]


def get_rng():
    """The generator initializers draw from (re-created by ``set_seed``)."""
    return _state["rng"]
