"""Training utilities: checkpoints (and, later, Model and callbacks). Re-exports only."""
from .serialization import save_checkpoint, load_checkpoint, load_param_into_net, wait_async_saves

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "wait_async_saves"]
