"""Normalisation layers (``mindspore.nn.BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``)."""
import numbers

from ... import ops
from ...common import dtype as mstype
from ...common.initializer import initializer
from ...common.parameter import Parameter
from ..cell import Cell
from ._validation import check_positive_int

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Cell):
    """Shared body of the BatchNorm layers: parameters, mode switch and the call.

    Parameters (their checkpoint names, as MindSpore's): ``gamma`` and ``beta`` (trainable when
    ``affine``), ``moving_mean`` and ``moving_variance`` (``requires_grad=False``, saved in
    ``.ckpt`` files and updated in place while training).

    Which statistics normalise: ``use_batch_statistics=None`` follows the cell's mode (batch
    statistics and a moving-average update after ``set_train(True)``, the moving statistics
    after ``set_train(False)``, the default of a new cell); ``True`` always the batch's (and
    updates); ``False`` always the moving ones. The update is MindSpore's:
    moving = momentum * moving + (1 - momentum) * batch, with the biased batch variance as
    MindSpore's CPU kernel (see ``ops.batch_norm``).
    """

    _ranks = (4,)
    _layout = "(N, C, H, W)"

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones",
                 beta_init="zeros", moving_mean_init="zeros", moving_var_init="ones",
                 use_batch_statistics=None, data_format="NCHW", dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", name)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or \
                not 0.0 <= momentum <= 1.0:
            raise ValueError(f"For '{name}', 'momentum' must be a float in [0, 1], but got "
                             f"{momentum!r}.")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"For '{name}', 'eps' must be a float > 0, but got {eps!r}.")
        if use_batch_statistics is not None and not isinstance(use_batch_statistics, bool):
            raise ValueError(f"For '{name}', 'use_batch_statistics' must be a bool or None, but "
                             f"got {use_batch_statistics!r}.")
        if data_format not in ("NCHW", "NHWC"):
            raise ValueError(f"For '{name}', 'data_format' must be 'NCHW' or 'NHWC', but got "
                             f"{data_format!r}.")
        if data_format == "NHWC" and self._ranks != (4,):
            raise ValueError(f"For '{name}', data_format 'NHWC' is for BatchNorm2d only.")
        self.eps, self.momentum, self.affine = float(eps), float(momentum), affine
        self.use_batch_statistics, self.format = use_batch_statistics, data_format
        shape = (num_features,)
        self.moving_mean = Parameter(initializer(moving_mean_init, shape, dtype),
                                     requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, shape, dtype),
                                         requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype), requires_grad=affine)
        self.beta = Parameter(initializer(beta_init, shape, dtype), requires_grad=affine)

    def _check_input(self, x):
        if not hasattr(x, "ndim") or x.ndim not in self._ranks:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"For '{type(self).__name__}', the input must be {self._layout}, "
                             f"but got {got}.")

    def construct(self, x):
        self._check_input(x)
        batch = self.training if self.use_batch_statistics is None else \
            self.use_batch_statistics
        nhwc = self.format == "NHWC"
        if nhwc:
            x = ops.transpose(x, (0, 3, 1, 2))
        y = ops.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                           batch, 1.0 - self.momentum, self.eps)
        return ops.transpose(y, (0, 2, 3, 1)) if nhwc else y

    def extend_repr(self):
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"gamma={self.gamma}, beta={self.beta}, moving_mean={self.moving_mean}, "
                f"moving_variance={self.moving_variance}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over each of the C features.

    Args:
        num_features (int): C.
        eps (float): added to the variance. Default: ``1e-5``.
        momentum (float): weight of the old moving statistics in each update. Default: ``0.9``.
        affine (bool): whether ``gamma``/``beta`` are trained. Default: ``True``.
        gamma_init, beta_init, moving_mean_init, moving_var_init: initializers (str, number,
            Tensor or Initializer). Defaults: ``'ones'``, ``'zeros'``, ``'zeros'``, ``'ones'``.
        use_batch_statistics (bool): ``None`` follows ``set_train``. Default: ``None``.
        dtype: parameter dtype. Default: ``mstype.float32``.

    See :class:`_BatchNorm` for the parameter names and the update rule.
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over each of the C channels.

    Args: as :class:`BatchNorm1d`, plus ``data_format`` (``'NCHW'`` or ``'NHWC'``).
    Default: ``'NCHW'``.
    """

    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input over each of the C channels.

    Args: as :class:`BatchNorm1d`.
    """

    _ranks = (5,)
    _layout = "(N, C, D, H, W)"
