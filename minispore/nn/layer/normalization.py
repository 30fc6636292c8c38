"""Normalisation layers (``mindspore.nn.BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``,
``LayerNorm``)."""
import numbers

from ... import ops
from ...common import dtype as mstype
from ...common.initializer import initializer
from ...common.parameter import Parameter
from ..cell import Cell
from ._validation import check_positive_int

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]


class _BatchNorm(Cell):
    """Shared body of the BatchNorm layers: parameters, mode switch and the call.

    Parameters (attributes and, inside a network, checkpoint names ``<cell>.gamma`` etc., as
    MindSpore's): ``gamma`` and ``beta`` (trainable when ``affine``), ``moving_mean`` and
    ``moving_variance`` (``requires_grad=False``, saved in ``.ckpt`` files and updated in
    place while training; a standalone layer names them ``mean`` and ``variance``).

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
        # Standalone names as MindSpore's ("mean", "variance"); inside a network each becomes
        # its attribute path ("bn1.moving_mean"), the checkpoint key.
        self.moving_mean = Parameter(initializer(moving_mean_init, shape, dtype), name="mean",
                                     requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, shape, dtype),
                                         name="variance", requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype), name="gamma",
                               requires_grad=affine)
        self.beta = Parameter(initializer(beta_init, shape, dtype), name="beta",
                              requires_grad=affine)

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


class LayerNorm(Cell):
    """Layer normalisation: each sample normalised over its axes ``begin_norm_axis`` .. end,
    then scaled by ``gamma`` and shifted by ``beta`` (same in training and inference).

    Args:
        normalized_shape (Union[tuple[int], list[int]]): the shape of ``gamma``/``beta``: the
            input's dims from ``begin_params_axis`` on.
        begin_norm_axis (int): first axis normalised over, in [-1, rank). Default: ``-1``.
        begin_params_axis (int): first axis ``gamma``/``beta`` span, in [-1, rank); must not
            come before ``begin_norm_axis``. Default: ``-1``.
        gamma_init, beta_init: initializers. Default: ``'ones'``, ``'zeros'``.
        epsilon (float): added to the variance. Default: ``1e-7`` (MindSpore's; PyTorch's
            is 1e-5).
        dtype: parameter dtype. Default: ``mstype.float32``.

    Parameters ``gamma`` and ``beta`` (checkpoint names ``<cell>.gamma``, ``<cell>.beta``).
    """

    def __init__(self, normalized_shape, begin_norm_axis=-1, begin_params_axis=-1,
                 gamma_init="ones", beta_init="zeros", epsilon=1e-7, dtype=mstype.float32):
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s > 0
                for s in normalized_shape):
            raise TypeError(f"For 'LayerNorm', 'normalized_shape' must be a tuple or list of "
                            f"positive ints, but got {normalized_shape!r}.")
        for arg, value in (("begin_norm_axis", begin_norm_axis),
                           ("begin_params_axis", begin_params_axis)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"For 'LayerNorm', '{arg}' must be an int, but got "
                                f"{type(value).__name__}.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, float) or not epsilon > 0:
            raise TypeError(f"For 'LayerNorm', 'epsilon' must be a float > 0, but got "
                            f"{epsilon!r}.")
        self.normalized_shape = tuple(normalized_shape)
        self.begin_norm_axis, self.begin_params_axis = begin_norm_axis, begin_params_axis
        self.epsilon = epsilon
        self.gamma = Parameter(initializer(gamma_init, self.normalized_shape, dtype),
                               name="gamma")
        self.beta = Parameter(initializer(beta_init, self.normalized_shape, dtype), name="beta")

    def construct(self, input_x):
        rank = input_x.ndim
        axes = []
        for arg, axis in (("begin_norm_axis", self.begin_norm_axis),
                          ("begin_params_axis", self.begin_params_axis)):
            if not -1 <= axis < rank:
                raise ValueError(f"For 'LayerNorm', '{arg}' must be in [-1, {rank}) for the "
                                 f"input {tuple(input_x.shape)}, but got {axis}.")
            axes.append(axis % rank)
        norm_axis, params_axis = axes
        if params_axis < norm_axis:
            raise ValueError(f"For 'LayerNorm', minispore needs begin_params_axis "
                             f"({self.begin_params_axis}) at or after begin_norm_axis "
                             f"({self.begin_norm_axis}).")
        if tuple(input_x.shape[params_axis:]) != self.normalized_shape:
            raise ValueError(f"For 'LayerNorm', the input's dims from begin_params_axis "
                             f"{tuple(input_x.shape[params_axis:])} must equal normalized_shape "
                             f"{self.normalized_shape} (input {tuple(input_x.shape)}).")
        return ops.layer_norm(input_x, tuple(input_x.shape[norm_axis:]), self.gamma, self.beta,
                              self.epsilon)

    def extend_repr(self):
        return (f"normalized_shape={self.normalized_shape}, begin_norm_axis="
                f"{self.begin_norm_axis}, begin_params_axis={self.begin_params_axis}, "
                f"gamma={self.gamma}, beta={self.beta}")
