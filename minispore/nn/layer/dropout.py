"""Dropout layers and Identity (``mindspore.nn.Dropout``, ``Dropout1d/2d/3d``, ``Identity``).

All of them are the identity in inference mode (a new cell, or after ``set_train(False)``) and
drop in training mode (after ``set_train(True)``), scaling what they keep by 1 / (1 - p), as
MindSpore 2.x does. The mask is drawn from minispore's global generator (``set_seed``).
"""
import numbers
import warnings

from ... import ops
from ...common import dtype as mstype
from ..cell import Cell

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Identity"]


def _check_p(cls_name, p, upper_open):
    ok = not isinstance(p, bool) and isinstance(p, numbers.Real) and \
        (0 <= p < 1 if upper_open else 0 <= p <= 1)
    if not ok:
        span = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"For '{cls_name}', the 'p' must be a float in range {span}, but got "
                         f"{p!r}.")
    return float(p)


class Dropout(Cell):
    """Zero each element with probability ``p`` in training, scaling the rest by 1 / (1 - p).

    Args:
        keep_prob (float): MindSpore 1.x's argument, the probability to keep, in (0, 1];
            deprecated (a warning), p = 1 - keep_prob. Default: ``None``.
        p (float): the probability to drop, in [0, 1). Default: ``None``, meaning 0.5 when
            ``keep_prob`` is not given either.
        dtype: accepted for MindSpore's signature. Default: ``mstype.float32``.
    """

    def __init__(self, keep_prob=None, p=None, dtype=mstype.float32):
        super().__init__()
        if keep_prob is not None and p is None:
            ok = not isinstance(keep_prob, bool) and isinstance(keep_prob, numbers.Real) and \
                0 < keep_prob <= 1
            if not ok:
                raise ValueError(f"For 'Dropout', the 'keep_prob' must be a float in range "
                                 f"(0, 1], but got {keep_prob!r}.")
            warnings.warn("For 'Dropout', 'keep_prob' is deprecated; use 'p' (= 1 - keep_prob).",
                          DeprecationWarning, stacklevel=2)
            p = 1.0 - float(keep_prob)
        self.p = 0.5 if p is None else _check_p("Dropout", p, upper_open=True)
        self.keep_prob = 1.0 - self.p

    def construct(self, x):
        if not self.training or self.p == 0:
            return x
        return ops.dropout(x, self.p, True)

    def extend_repr(self):
        return f"p={self.p}"


class _ChannelDropout(Cell):
    """Zero whole channels with probability ``p`` in training (scaling the kept ones by
    1 / (1 - p)).

    Args:
        p (float): the probability to drop a channel, in [0, 1]. Default: ``0.5``.
    """

    _function = None

    def __init__(self, p=0.5):
        super().__init__()
        self.p = _check_p(type(self).__name__, p, upper_open=False)

    def construct(self, x):
        return type(self)._function(x, self.p, self.training)

    def extend_repr(self):
        return f"p={self.p}"


class Dropout1d(_ChannelDropout):
    """Channel dropout on (N, C, L) or (C, L) input; see :class:`_ChannelDropout`."""
    _function = staticmethod(ops.dropout1d)


class Dropout2d(_ChannelDropout):
    """Channel dropout on (N, C, H, W) input; see :class:`_ChannelDropout`."""
    _function = staticmethod(ops.dropout2d)


class Dropout3d(_ChannelDropout):
    """Channel dropout on (N, C, D, H, W) input; see :class:`_ChannelDropout`."""
    _function = staticmethod(ops.dropout3d)


class Identity(Cell):
    """Returns its input unchanged (a placeholder layer)."""

    def construct(self, x):
        return x
