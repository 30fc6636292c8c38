"""Loss functions (``ops.cross_entropy``, ``ops.mse_loss``, ...): declarations and composites."""

__all__ = []
