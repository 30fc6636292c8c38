"""minispore: MindSpore's API on a small numba-jitted core.

``import minispore as ms`` gives the names a MindSpore script imports from ``mindspore``:
Tensor, Parameter, dtypes, set_seed, context, ops, nn, the checkpoint functions and Model.
Nothing is compiled at import; numba kernels compile (or load from the disk cache) on first use.
"""
from . import common
from .common import dtype
from .common import dtype as mstype
from .common.dtype import *  # noqa: F401,F403
from .common import Parameter, ParameterTuple, Tensor, get_seed, set_seed
from . import context, nn, ops
from .context import GRAPH_MODE, PYNATIVE_MODE, set_context, get_context
from .ops import value_and_grad, grad
from . import train
from .train import Model
from .train.serialization import (load_checkpoint, load_param_into_net, save_checkpoint,
                                  wait_async_saves)

__version__ = "0.1.0"
