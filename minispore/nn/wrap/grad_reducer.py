"""``DistributedGradReducer``: sum or average the gradients over the ranks, a few Allreduces
per step.

Data-parallel training keeps a full replica of the network on every rank; each rank computes
gradients on its own shard of the batch, and before the optimizer runs every rank must hold the
same gradients. Sending one Allreduce per parameter costs one latency each (LeNet has 10);
instead the gradients are packed into flat buckets of at most ``BUCKET_BYTES`` (one dtype per
bucket, in parameter order) and each bucket is reduced with one Allreduce, in place. The bytes a
rank sends per step are therefore exactly the gradients' bytes.
"""
import numpy as np

from ...common.tensor import Tensor
from ...communication import _collective, management
from ...communication.management import GlobalComm
from ..cell import Cell

__all__ = ["DistributedGradReducer"]

BUCKET_BYTES = 32 << 20  # 32 MiB: LeNet's 0.25 MB of gradients is one bucket


def plan_buckets(shapes_and_dtypes, bucket_bytes=BUCKET_BYTES):
    """Group tensors into buckets: a list of ``(dtype, [(index, offset, size, shape), ...],
    total_elements)``; consecutive tensors of one dtype share a bucket until it would exceed
    ``bucket_bytes`` (a tensor larger than that gets a bucket of its own)."""
    buckets = []
    for index, (shape, dtype) in enumerate(shapes_and_dtypes):
        dtype = np.dtype(dtype)
        size = int(np.prod(shape, dtype=np.int64))
        last = buckets[-1] if buckets else None
        if last is None or last[0] != dtype or \
                (last[2] + size) * dtype.itemsize > bucket_bytes and last[2]:
            last = [dtype, [], 0]
            buckets.append(last)
        last[1].append((index, last[2], size, tuple(shape)))
        last[2] += size
    return [tuple(b) for b in buckets]


def broadcast_parameters(parameters, root=0, bucket_bytes=None):
    """Overwrite every parameter's value, in place, with rank ``root``'s (packed into buckets,
    one Broadcast each), so that all replicas start identical."""
    parameters = list(parameters)
    if management.get_group_size() == 1 or not parameters:
        return
    plan = plan_buckets([(p.shape, p._data.dtype) for p in parameters],
                        BUCKET_BYTES if bucket_bytes is None else bucket_bytes)
    for dtype, entries, total in plan:
        flat = np.empty(total, dtype)
        for index, offset, size, _ in entries:
            flat[offset:offset + size] = parameters[index]._data.reshape(-1)
        _collective.broadcast(flat, root)
        for index, offset, size, shape in entries:
            np.copyto(parameters[index]._data, flat[offset:offset + size].reshape(shape))


class DistributedGradReducer(Cell):
    """Sum (or average, when ``mean``) the gradients of ``parameters`` over all ranks.

    Args:
        parameters (list[Parameter]): the parameters whose gradients ``construct`` receives, in
            the same order (``optimizer.parameters``).
        mean (bool): divide the sum by ``degree``. Default: None, i.e.
            ``get_auto_parallel_context("gradients_mean")``.
        degree (int): the divisor of the mean. Default: None, i.e. the group size.
        fusion_type (int): accepted for MindSpore compatibility; the buckets below are the
            fusion. Default: 1.
        group (str): the communication group (only the world group exists).
            Default: ``GlobalComm.WORLD_COMM_GROUP``.

    ``construct(grads)`` returns new gradient Tensors (views of this step's bucket buffers);
    ``grads`` themselves are left unchanged. ``communication.init()`` must have been called.
    """

    def __init__(self, parameters, mean=None, degree=None, fusion_type=1,
                 group=GlobalComm.WORLD_COMM_GROUP):
        super().__init__(auto_prefix=False)
        size = management._check_group(group, "DistributedGradReducer").size
        if mean is None:
            from ..._auto_parallel import get_auto_parallel_context  # noqa: PLC0415
            mean = get_auto_parallel_context("gradients_mean")
        if not isinstance(mean, bool):
            raise TypeError(f"For 'DistributedGradReducer', 'mean' must be bool, but got "
                            f"{type(mean).__name__}.")
        degree = size if degree is None else degree
        if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
            raise ValueError(f"For 'DistributedGradReducer', 'degree' must be a positive int, "
                             f"but got {degree!r}.")
        parameters = list(parameters)
        self.mean, self.degree, self.fusion_type, self.group = mean, degree, fusion_type, group
        object.__setattr__(self, "_reduced_params", parameters)
        self.buckets = plan_buckets([(p.shape, p._data.dtype) for p in parameters],
                                    BUCKET_BYTES)

    @property
    def gradient_bytes(self):
        """Bytes of all gradients: what one step sends to the Allreduces."""
        return sum(total * dtype.itemsize for dtype, _, total in self.buckets)

    def construct(self, grads):
        grads = tuple(grads)
        if len(grads) != len(self._reduced_params):
            raise ValueError(f"For 'DistributedGradReducer', expected "
                             f"{len(self._reduced_params)} "
                             f"gradients (one per parameter), but got {len(grads)}.")
        out = [None] * len(grads)
        for dtype, entries, total in self.buckets:
            flat = np.empty(total, dtype)
            for index, offset, size, shape in entries:
                g = grads[index]
                array = g._data if isinstance(g, Tensor) else np.asarray(g)
                if array.shape != shape:
                    raise ValueError(f"For 'DistributedGradReducer', the gradient of "
                                     f"{self._reduced_params[index].name!r} has shape "
                                     f"{array.shape}, "
                                     f"but the parameter has shape {shape}.")
                flat[offset:offset + size] = array.reshape(-1)
            _collective.allreduce(flat, "sum")
            if self.mean:
                flat *= dtype.type(1.0 / self.degree)
            for index, offset, size, shape in entries:
                out[index] = Tensor._make(flat[offset:offset + size].reshape(shape))
        return tuple(out)
