"""History: record the network outputs (the loss) and eval metrics of each epoch."""
import numpy as np

from ...common.tensor import Tensor
from ._callback import Callback

__all__ = ["History"]


class History(Callback):
    """Records per epoch ``history['net_output']`` (the mean loss of the epoch's last step) and,
    in ``Model.fit``, every metric of the evaluated epochs; ``epoch`` lists the epoch numbers.

    Example::

        history = History()
        model.train(2, ds, callbacks=history)
        history.history   # {'net_output': [np.float32(0.52), np.float32(0.31)]}
    """

    _internal = True

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, run_context):
        self.epoch = []

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        out = cb_params.get("net_outputs")
        if out is None:
            return
        self.epoch.append(cb_params.cur_epoch_num)
        if isinstance(out, (tuple, list)) and out and isinstance(out[0], Tensor):
            out = out[0]
        if isinstance(out, Tensor):
            out = np.mean(out.asnumpy())
        record = {"net_output": out}
        metrics = cb_params.get("metrics")
        if metrics:
            record.update(metrics)
        for key, value in record.items():
            self.history.setdefault(key, []).append(value)
