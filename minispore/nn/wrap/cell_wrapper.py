"""WithLossCell, TrainOneStepCell, WithEvalCell: wrappers that add no parameter-name prefix."""
import numpy as np

from ... import ops
from ..._auto_parallel import ParallelMode, get_auto_parallel_context
from ...communication import management
from ..cell import Cell
from .grad_reducer import DistributedGradReducer, broadcast_parameters

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
    ``grad_reducer``, optimizer update. Returns the loss computed before the update.

    ``grad_reducer`` is the identity, except in data-parallel mode
    (``set_auto_parallel_context(parallel_mode=ParallelMode.DATA_PARALLEL)`` after
    ``communication.init()``; ``reducer_flag`` is then True, as in MindSpore): it is a
    :class:`DistributedGradReducer` summing the gradients over the ranks (averaging them when
    ``gradients_mean``), and the construction broadcasts every parameter of ``network`` from
    rank 0, so all replicas start identical.

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
        self.parallel_mode = get_auto_parallel_context("parallel_mode")
        self.reducer_flag = self.parallel_mode in (ParallelMode.DATA_PARALLEL,
                                                   ParallelMode.HYBRID_PARALLEL)
        if self.reducer_flag:
            self.grad_reducer = _data_parallel_reducer(self.network, self.weights)
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


def _data_parallel_reducer(network, weights):
    """The reducer of data-parallel training, after making every replica equal to rank 0's."""
    size = management.get_group_size()
    degree = get_auto_parallel_context("device_num")
    if degree != size:
        raise ValueError(f"For 'TrainOneStepCell', set_auto_parallel_context(device_num={degree})"
                         f" does not match the {size} processes of the job; leave device_num "
                         f"unset or set it to the number of ranks.")
    broadcast_parameters(network.get_parameters())
    return DistributedGradReducer(weights, get_auto_parallel_context("gradients_mean"), degree)


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

