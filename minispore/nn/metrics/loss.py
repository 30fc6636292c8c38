"""``Loss``: the mean of the per-batch losses an eval network returns."""
from ._base import Metric

__all__ = ["Loss"]


class Loss(Metric):
    """Mean of the per-batch losses (each batch's loss is first averaged over its elements).

    ``update(loss)``: a scalar or 1-D loss (Tensor / ndarray).
    """

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        self._sum_loss = 0
        self._total_num = 0

    def update(self, *inputs):
        inputs = self._select(inputs)
        if len(inputs) != 1:
            raise ValueError(f"For 'Loss.update', it needs 1 input (loss), but got {len(inputs)}.")
        loss = self._convert_data(inputs[0])
        if loss.ndim == 0:
            loss = loss.reshape(1)
        if loss.ndim != 1:
            raise ValueError(f"For 'Loss.update', the dimension of your input (loss) must be 1, "
                             f"but got {loss.ndim}.")
        self._sum_loss += loss.mean(-1)
        self._total_num += 1

    def eval(self):
        if self._total_num == 0:
            raise RuntimeError("The 'Loss' can not be calculated, because the number of samples "
                               "is 0, please check whether has called update method before "
                               "calling eval method.")
        return self._sum_loss / self._total_num
