"""minispore: MindSpore's API on a small numba-jitted core.

``import minispore as ms`` gives the names a MindSpore script imports from ``mindspore``:
Tensor, Parameter, dtypes, set_seed, context, ops, nn, the checkpoint functions and Model.

``ops`` is imported here: it installs the Tensor methods derived from the primitives'
declarations, and imports no numba (kernels bind lazily). The heavier ``nn``, ``train`` and
``dataset`` load on first use through a module ``__getattr__``, so ``import minispore`` and the
checkpoint CLI start in a fraction of a second; numba kernels compile (or load from the disk
cache) on their first call.
"""
import importlib

from . import common, context, ops
from ._unsupported import not_supported
from .common import dtype
from .common import dtype as mstype
from .common.dtype import *  # noqa: F401,F403
from .common import Parameter, ParameterTuple, Tensor, get_seed, set_seed
from .common.tensor import tensor
from .context import GRAPH_MODE, PYNATIVE_MODE, get_context, set_context
from .context import (ParallelMode, get_auto_parallel_context, reset_auto_parallel_context,
                      set_auto_parallel_context)
from .common.api import JitConfig, jit

__version__ = "0.1.0"

_LAZY = {
    "nn": ("minispore.nn", None),
    "train": ("minispore.train", None),
    "dataset": ("minispore.dataset", None),
    "value_and_grad": ("minispore.ops", "value_and_grad"),
    "grad": ("minispore.ops", "grad"),
    "Model": ("minispore.train.model", "Model"),
    "save_checkpoint": ("minispore.train.serialization", "save_checkpoint"),
    "load_checkpoint": ("minispore.train.serialization", "load_checkpoint"),
    "load_param_into_net": ("minispore.train.serialization", "load_param_into_net"),
    "wait_async_saves": ("minispore.train.serialization", "wait_async_saves"),
    "communication": ("minispore.communication", None),
}


def __getattr__(name):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise not_supported("mindspore", name) from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
