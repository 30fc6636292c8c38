"""WithLossCell, TrainOneStepCell, WithEvalCell: wrappers that add no parameter-name prefix."""
import numpy as np

from ...ops._grad import _grad_arrays
from ..cell import Cell

__all__ = ["WithLossCell", "TrainOneStepCell", "WithEvalCell"]


class WithLossCell(Cell):
    """``loss_fn(backbone(data), label)``.

    Args:
        backbone (Cell): the network. loss_fn (Cell): the loss.
    """

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        if not isinstance(backbone, Cell) or not isinstance(loss_fn, Cell):
            raise TypeError(f"For 'WithLossCell', 'backbone' and 'loss_fn' must be Cells, but got "
                            f"{type(backbone)} and {type(loss_fn)}.")
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        return self._loss_fn(self._backbone(data), label)

    @property
    def backbone_network(self):
        return self._backbone


class TrainOneStepCell(Cell):
    """One training step: forward, gradients of the loss w.r.t. the optimizer's parameters,
    optimizer update. Returns the loss computed before the update.

    Args:
        network (Cell): returns the loss (e.g. a WithLossCell).
        optimizer (Cell): called with the tuple of gradients.
        sens (Union[float, None]): the initial gradient of the loss. Default: ``None`` (1.0).
        return_grad (bool): also return ``{name: gradient}``. Default: ``False``.
    """

    def __init__(self, network, optimizer, sens=None, return_grad=False):
        super().__init__(auto_prefix=False)
        if sens is not None and sens == 0:
            raise ValueError("For 'TrainOneStepCell', the 'sens' can not be 0.")
        self.network = network
        self.network.set_grad()
        self.optimizer = optimizer
        object.__setattr__(self, "weights", optimizer.parameters)
        self.sens = 1.0 if sens is None else float(sens)
        self.return_grad = return_grad

    def construct(self, *inputs):
        sens = None if self.sens == 1.0 else np.float32(self.sens)
        loss, _, grads = _grad_arrays(self.network, inputs, (), self.weights, sens)
        self.optimizer(grads)
        if self.return_grad:
            return loss, {w.name: g for w, g in zip(self.weights, grads)}
        return loss


class WithEvalCell(Cell):
    """Returns ``(loss, outputs, label)`` for evaluation.

    Args:
        network (Cell), loss_fn (Cell), add_cast_fp32 (bool): cast outputs to float32.
    """

    def __init__(self, network, loss_fn, add_cast_fp32=False):
        super().__init__(auto_prefix=False)
        self._network = network
        self._loss_fn = loss_fn
        self.add_cast_fp32 = add_cast_fp32

    def construct(self, data, label):
        outputs = self._network(data)
        if self.add_cast_fp32:
            outputs = outputs.astype(np.float32)
        return self._loss_fn(outputs, label), outputs, label

