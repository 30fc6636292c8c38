"""Model: the high-level train / eval / predict loop (``mindspore.train.Model``)."""
import logging
import numbers
import operator

import numpy as np

from ..common.tensor import Tensor
from ..nn.cell import Cell
from ..nn.metrics import Loss, get_metrics
from ..nn.wrap import TrainOneStepCell, WithEvalCell, WithLossCell
from .._auto_parallel import get_auto_parallel_context
from ._parallel_metrics import reduce_metrics
from .callback._callback import (CallbackManager, InternalCallbackParam, RunContext,
                                 check_methods_for_custom_callbacks)
from .callback._rank import data_parallel_world_size

__all__ = ["Model"]

logger = logging.getLogger("minispore")

_AMP_LEVELS = ("O0", "O1", "O2", "O3", "auto")
_BOOST_LEVELS = ("O0", "O1", "O2")
_KWARGS = ("keep_batchnorm_fp32", "loss_scale_manager", "boost_config_dict")


def _check_int(name, value, minimum, func):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For 'Model.{func}', the argument '{name}' must be int, but got "
                        f"{type(value)}.")
    if value < minimum:
        raise ValueError(f"For 'Model.{func}', the argument '{name}' must be int and >= "
                         f"{minimum}, but got {value}.")
    return int(value)


def _batches(dataset):
    """One epoch of ``dataset`` as sequences of Tensors (a fresh iterator per epoch).

    Columns that are not Tensors (a plain numpy source) are wrapped; when the first batch is all
    Tensors the iterator's batches are passed through untouched (no per-step cost).
    """
    it = iter(dataset.create_tuple_iterator(num_epochs=1, output_numpy=False))
    for batch in it:
        if all(isinstance(x, Tensor) for x in batch):
            yield batch
            yield from it
            return
        yield tuple(x if isinstance(x, Tensor) else Tensor(x) for x in batch)


def _dataset_size(dataset, func):
    if not hasattr(dataset, "get_dataset_size") or \
            not hasattr(dataset, "create_tuple_iterator"):
        raise TypeError(f"For 'Model.{func}', the dataset must provide get_dataset_size() and "
                        f"create_tuple_iterator(), but got {type(dataset)}.")
    size = dataset.get_dataset_size()
    if not size:
        raise ValueError("There is no valid data in dataset, please check dataset file firstly.")
    return size


class Model:
    """Wraps a network for training, evaluation and prediction.

    Args:
        network (Cell): the network. With ``loss_fn`` and ``optimizer`` it is trained as
            ``TrainOneStepCell(WithLossCell(network, loss_fn), optimizer)``; with an optimizer
            only, as ``TrainOneStepCell(network, optimizer)``; with a loss only, the
            ``WithLossCell`` is run (no update); with neither (the guide's ``Model(train_net)``)
            the network itself is called per step and must return the loss.
        loss_fn (Cell): the loss. Default: None.
        optimizer (Cell): the optimizer. Default: None.
        metrics (Union[dict, set]): names (``{'acc', 'loss'}``) or ``{name: Metric}``.
        eval_network (Cell): used by ``eval``; default ``WithEvalCell(network, loss_fn)`` whose
            outputs ``(loss, logits, label)`` are routed with ``eval_indexes = [0, 1, 2]``.
        eval_indexes (list): indexes of (loss, prediction, label) in the eval network's outputs.
        amp_level (str): only ``"O0"`` (and ``"auto"``, which is O0 on CPU) are implemented.
        boost_level (str): only ``"O0"``.

    ``train`` adds no per-step work beyond the callback hooks: the train network's loss Tensor
    (computed before that step's update) is stored in ``cb_params.net_outputs`` without a copy.

    Data-parallel training (``communication.init()`` and
    ``set_auto_parallel_context(parallel_mode=ParallelMode.DATA_PARALLEL)`` before the Model is
    built; each rank passes its shard of the dataset): the train network's
    ``TrainOneStepCell`` reduces the gradients over the ranks; ``eval`` sums the metrics'
    counters over the ranks, so every rank gets the figure of the whole (sharded) dataset;
    ``cb_params.device_number`` is the number of ranks. LossMonitor, TimeMonitor and
    ModelCheckpoint act on rank 0 only.
    """

    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None,
                 eval_indexes=None, amp_level="O0", boost_level="O0", **kwargs):
        if not isinstance(network, Cell):
            raise TypeError(f"For 'Model', the argument 'network' must be a Cell, but got "
                            f"{type(network)}.")
        for name, cell in (("loss_fn", loss_fn), ("optimizer", optimizer),
                           ("eval_network", eval_network)):
            if cell is not None and not isinstance(cell, Cell):
                raise TypeError(f"For 'Model', the argument '{name}' must be a Cell or None, but "
                                f"got {type(cell)}.")
        for arg in kwargs:
            if arg not in _KWARGS:
                raise ValueError(f"For 'Model', unsupported argument '{arg}'; supported are "
                                 f"{list(_KWARGS)}.")
        if kwargs.get("loss_scale_manager") is not None:
            raise NotImplementedError("minispore's Model does not implement loss scaling "
                                      "('loss_scale_manager').")
        if amp_level not in _AMP_LEVELS:
            raise ValueError(f"For 'Model', the argument 'amp_level' must be in {list(_AMP_LEVELS)}"
                             f", but got {amp_level!r}.")
        if amp_level not in ("O0", "auto"):
            raise NotImplementedError(f"minispore trains in float32 only: amp_level "
                                      f"{amp_level!r} is not implemented, use 'O0'.")
        if boost_level not in _BOOST_LEVELS:
            raise ValueError(f"For 'Model', the argument 'boost_level' must be in "
                             f"{list(_BOOST_LEVELS)}, but got {boost_level!r}.")
        if boost_level != "O0":
            raise NotImplementedError(f"minispore does not implement boost_level {boost_level!r}.")
        if eval_indexes is not None and not (isinstance(eval_indexes, list) and
                                             len(eval_indexes) == 3):
            raise ValueError("The argument 'eval_indexes' must be a list or None. If it's a list, "
                             "its length must be 3.")
        self._network = network
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._amp_level = amp_level
        self._boost_level = boost_level
        self._metric_fns = get_metrics(metrics)
        self._train_network = self._build_train_network()
        self._eval_network = eval_network
        self._eval_indexes = eval_indexes
        if self._metric_fns and eval_network is None:
            if loss_fn is None:
                raise ValueError("If `metrics` is set, `eval_network` must not be None. Do not set "
                                 "`metrics` if you don't want an evaluation. If evaluation is "
                                 "required, you need to specify `eval_network` or `loss_fn`.")
            self._eval_network = WithEvalCell(network, loss_fn)
            self._eval_indexes = [0, 1, 2]
        self._predict_network = network

    def _build_train_network(self):
        net = self._network
        if self._optimizer is not None:
            if self._loss_fn is not None:
                net = WithLossCell(net, self._loss_fn)
            return TrainOneStepCell(net, self._optimizer)
        if self._loss_fn is not None:
            return WithLossCell(net, self._loss_fn)
        return net

    train_network = property(lambda self: self._train_network, doc="The cell run per step.")
    eval_network = property(lambda self: self._eval_network, doc="The cell run by eval.")
    predict_network = property(lambda self: self._predict_network, doc="The cell run by predict.")

    # ---- train -----------------------------------------------------------------------------------
    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1,
              initial_epoch=0):
        """Train for epochs ``initial_epoch + 1 .. epoch``.

        Args:
            epoch (int): the epoch number to finish at (``cb_params.epoch_num`` is
                ``epoch - initial_epoch``, the number of epochs run).
            train_dataset: provides ``get_dataset_size()`` and ``create_tuple_iterator()``; each
                element's columns are passed to the train network.
            callbacks (Union[Callback, list[Callback]]): Default: None.
            dataset_sink_mode (bool): sinking is not available on CPU; True runs step by step, as
                MindSpore on CPU. Default: False.
            sink_size (int): -1 or > 0; only meaningful with sinking. Default: -1.
            initial_epoch (int): epochs already done (resume); the first epoch run is numbered
                ``initial_epoch + 1``. Default: 0.
        """
        self._train_checked(epoch, train_dataset, callbacks, dataset_sink_mode, sink_size,
                            initial_epoch, None, 1, "train")

    def fit(self, epoch, train_dataset, valid_dataset=None, valid_frequency=1, callbacks=None,
            dataset_sink_mode=False, valid_dataset_sink_mode=False, sink_size=-1,
            initial_epoch=0):
        """Train as ``train`` and evaluate ``valid_dataset`` after every ``valid_frequency``-th
        epoch (an int) or after the listed epochs (a list). The metrics are stored in
        ``cb_params.metrics`` before ``on_train_epoch_end`` (LossMonitor prints them) and the
        eval hooks of the callbacks run for each evaluation."""
        if isinstance(valid_frequency, bool) or not (
                isinstance(valid_frequency, int) and valid_frequency > 0 or
                isinstance(valid_frequency, list) and
                all(isinstance(v, int) and not isinstance(v, bool) for v in valid_frequency)):
            raise ValueError(f"For 'Model.fit', the argument 'valid_frequency' must be a positive "
                             f"int or a list of int, but got {valid_frequency!r}.")
        if valid_dataset is not None:
            if not self._metric_fns:
                raise ValueError("For 'Model.fit', 'metrics' must be set to evaluate "
                                 "'valid_dataset'.")
            _dataset_size(valid_dataset, "fit")
        self._train_checked(epoch, train_dataset, callbacks, dataset_sink_mode, sink_size,
                            initial_epoch, valid_dataset, valid_frequency, "fit")

    def _train_checked(self, epoch, dataset, callbacks, sink, sink_size, initial_epoch, valid,
                       frequency, func):
        epoch = _check_int("epoch", epoch, 1, func)
        initial_epoch = _check_int("initial_epoch", initial_epoch, 0, func)
        if initial_epoch >= epoch:
            raise ValueError(f"For 'Model.{func}', the parameter 'epoch' must bigger than "
                             f"parameter 'initial_epoch', but got the parameter 'epoch' is {epoch},"
                             f" 'initial_epoch' is {initial_epoch}.")
        if not isinstance(sink, bool):
            raise TypeError(f"For 'Model.{func}', the argument 'dataset_sink_mode' must be bool, "
                            f"but got {type(sink)}.")
        sink_size = _check_int("sink_size", sink_size, -1, func)
        if sink_size == 0:
            raise ValueError(f"For 'Model.{func}', The argument 'sink_size' must be -1 or "
                             f"positive, but got {sink_size}.")
        if sink:
            logger.info("minispore runs on CPU: dataset_sink_mode=True trains step by step.")
        batch_num = _dataset_size(dataset, func)
        _resume_step_count(self._train_network, initial_epoch * batch_num)
        check_methods_for_custom_callbacks(callbacks, "train")
        manager = CallbackManager(callbacks)
        cb_params = InternalCallbackParam(
            batch_num=batch_num, cur_step_num=0, dataset_sink_mode=False,
            device_number=data_parallel_world_size(),
            epoch_num=epoch - initial_epoch, initial_epoch=initial_epoch, initial_step=0,
            last_save_ckpt_step=None, latest_ckpt_file=None, list_callback=manager,
            loss_fn=self._loss_fn, loss_scale_mananger=None, mode="train",
            network=self._network, optimizer=self._optimizer,
            parallel_mode=get_auto_parallel_context("parallel_mode"),
            train_dataset=dataset, train_dataset_element=None, train_network=self._train_network)
        with manager:
            self._train_process(epoch, initial_epoch, dataset, manager, cb_params, valid,
                                frequency)

    def _train_process(self, epoch, initial_epoch, dataset, manager, cb_params, valid, frequency):
        train_net = self._train_network
        train_net.set_train(True)
        # A callback may evaluate (Model.eval / predict, or another Model sharing the backbone),
        # which leaves the shared cells in inference mode; as MindSpore's per-step mode check,
        # every step first puts them back in training mode (an O(cells) flag read when nothing
        # changed).
        cells = [cell for _, cell in train_net.cells_and_names()]
        flag = operator.attrgetter("training")
        run_context = RunContext(cb_params)
        manager.on_train_begin(run_context)
        step_begin, step_end = manager.on_train_step_begin, manager.on_train_step_end
        for i in range(initial_epoch, epoch):
            cb_params.cur_epoch_num = i + 1
            cb_params.pop("metrics", None)
            cb_params.pop("eval_results", None)
            manager.on_train_epoch_begin(run_context)
            for inputs in _batches(dataset):
                cb_params["cur_step_num"] += 1
                cb_params["train_dataset_element"] = inputs
                step_begin(run_context)
                if not all(map(flag, cells)):
                    train_net.set_train(True)
                cb_params["net_outputs"] = train_net(*inputs)
                step_end(run_context)
                if run_context._stop_requested:
                    break
            if valid is not None and (i + 1 in frequency if isinstance(frequency, list)
                                      else (i + 1) % frequency == 0):
                eval_loss = Loss() if self._eval_indexes is not None else None
                cb_params.metrics = self._run_eval(valid, manager, eval_loss)
                # What EarlyStopping / ReduceLROnPlateau monitor: the metrics plus 'eval_loss'.
                cb_params.eval_results = dict(cb_params.metrics)
                if eval_loss is not None:
                    cb_params.eval_results["eval_loss"] = eval_loss.eval()
                train_net.set_train(True)
            manager.on_train_epoch_end(run_context)
            if run_context._stop_requested:
                break
        manager.on_train_end(run_context)

    # ---- eval / predict ----------------------------------------------------------------------
    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """Evaluate the metrics over one pass of ``valid_dataset``.

        Returns:
            dict: metric name -> value, e.g. ``{'Accuracy': np.float64(0.96875)}``.
        """
        if not self._metric_fns:
            raise ValueError("For Model.eval, the model argument 'metrics' can not be None or "
                             "empty, you should set the argument 'metrics' for model.")
        if not isinstance(dataset_sink_mode, bool):
            raise TypeError(f"For 'Model.eval', the argument 'dataset_sink_mode' must be bool, "
                            f"but got {type(dataset_sink_mode)}.")
        _dataset_size(valid_dataset, "eval")
        check_methods_for_custom_callbacks(callbacks, "eval")
        manager = CallbackManager(callbacks)
        with manager:
            return self._run_eval(valid_dataset, manager)

    def _run_eval(self, dataset, manager, eval_loss=None):
        net = self._eval_network
        net.set_train(False)
        cb_params = InternalCallbackParam(
            batch_num=dataset.get_dataset_size(), cur_step_num=0, dataset_sink_mode=False,
            eval_network=net, list_callback=manager, mode="eval", network=self._network,
            valid_dataset=dataset, net_outputs=None)
        run_context = RunContext(cb_params)
        for metric in self._metric_fns.values():
            metric.clear()
        manager.on_eval_begin(run_context)
        manager.on_eval_epoch_begin(run_context)
        for inputs in _batches(dataset):
            cb_params["cur_step_num"] += 1
            manager.on_eval_step_begin(run_context)
            outputs = net(*inputs)
            cb_params["net_outputs"] = outputs
            manager.on_eval_step_end(run_context)
            self._update_metrics(outputs)
            if eval_loss is not None:
                eval_loss.update(outputs[self._eval_indexes[0]])
            if run_context._stop_requested:
                break
        if data_parallel_world_size() > 1:
            reduce_metrics(self._metric_fns)
        metrics = {name: metric.eval() for name, metric in self._metric_fns.items()}
        cb_params.metrics = metrics
        manager.on_eval_epoch_end(run_context)
        manager.on_eval_end(run_context)
        return metrics

    def _update_metrics(self, outputs):
        if not isinstance(outputs, (tuple, list)):
            outputs = (outputs,)
        idx = self._eval_indexes
        for metric in self._metric_fns.values():
            if idx is None:
                metric.update(*outputs)
            elif isinstance(metric, Loss):
                metric.update(outputs[idx[0]])
            else:
                metric.update(outputs[idx[1]], outputs[idx[2]])

    def predict(self, *predict_data):
        """Run the network in inference mode on ``predict_data`` (Tensors or arrays)."""
        net = self._predict_network
        net.set_train(False)
        data = tuple(x if isinstance(x, Tensor) or not isinstance(x, np.ndarray) else Tensor(x)
                     for x in predict_data)
        return net(*data)


def _resume_step_count(train_network, steps_done):
    """Start a fresh optimizer's step count at the resumed step, so a per-step learning-rate
    schedule continues where the checkpoint left off. MindSpore restores its ``global_step``
    Parameter from the checkpoint instead; minispore's checkpoints follow the guide's 18
    entries, which have none, and ``initial_epoch`` says the same thing."""
    optimizer = getattr(train_network, "optimizer", None)
    if steps_done and optimizer is not None and getattr(optimizer, "step_count", None) == 0:
        optimizer.step_count = steps_done
