"""WithLossCell, TrainOneStepCell, WithEvalCell: wrappers that add no parameter-name prefix."""
import numpy as np

from ... import ops
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
    ``grad_reducer`` (identity here; the all-reduce of data-parallel training), optimizer
    update. Returns the loss computed before the update.

    Args:
        network (Cell): returns the loss (e.g. a WithLossCell).
        optimizer (Cell): called with the tuple of gradients.
        sens (Union[float, None]): the initial gradient of the loss. Default: ``None`` (1.0).
        return_grad (bool): also return ``{name: gradient}``. Default: ``False``.

    The gradients come from the public ``ops.value_and_grad``; the returned loss is cut from
    the tape, so no activation of the step outlives it.
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
        self.grad_reducer = _identity
        self.grad_fn = ops.value_and_grad(self.network, None, tuple(self.weights))

    def _graph_call(self, inputs, kwargs):
        """GRAPH_MODE: forward, backward and update as one plan (see ``_graph_step``)."""
        from ._graph_step import run_train_step  # noqa: PLC0415
        return run_train_step(self, inputs, kwargs)

    def construct(self, *inputs):
        loss, grads = self.grad_fn(*inputs)
        if self.sens != 1.0:
            grads = tuple(g * self.sens for g in grads)
        grads = self.grad_reducer(grads)
        self.optimizer(grads)
        if self.return_grad:
            return loss, {w.name: g for w, g in zip(self.weights, grads)}
        return loss


def _identity(grads):
    return grads


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

