"""Optimizers (``mindspore.nn.optim``)."""
from .momentum import Momentum
from .optimizer import Optimizer

__all__ = ["Optimizer", "Momentum"]
