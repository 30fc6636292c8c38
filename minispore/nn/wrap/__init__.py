"""Cell wrappers for training and evaluation."""
from .cell_wrapper import TrainOneStepCell, WithEvalCell, WithLossCell

__all__ = ["WithLossCell", "TrainOneStepCell", "WithEvalCell"]
