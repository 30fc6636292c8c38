"""Central-difference gradient checks in float64 (torch.autograd.gradcheck's tolerances)."""
import numpy as np

from minispore import Tensor, ops


def numeric_grad(fn, arrays, index, eps=1e-6):
    """d sum(fn(*arrays) * seed) / d arrays[index], one element at a time."""
    x = arrays[index]
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = fn(*arrays)
        flat[i] = old - eps
        minus = fn(*arrays)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return g


def check_grad(op, arrays, positions=None, atol=1e-5, rtol=1e-3, seed=0, name=None):
    """Compare ops-level autograd gradients of ``sum(op(*tensors) * w)`` with finite differences.

    ``w`` is a fixed random weighting, so every output element's gradient path is exercised.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    positions = range(len(arrays)) if positions is None else positions
    out_shape = op(*[Tensor(a) for a in arrays]).shape
    w = np.random.default_rng(seed).standard_normal(out_shape)

    def scalar(*arrs):
        return float((op(*[Tensor(a) for a in arrs]).asnumpy() * w).sum())

    def weighted(*tensors):
        return ops.reduce_sum(ops.mul(op(*tensors), Tensor(w)))

    grads = ops.grad(weighted, grad_position=tuple(positions))(*[Tensor(a) for a in arrays])
    for pos, g in zip(positions, grads):
        expected = numeric_grad(scalar, arrays, pos)
        np.testing.assert_allclose(
            g.asnumpy(), expected, atol=atol, rtol=rtol,
            err_msg=f"gradient of {name or getattr(op, '__name__', op)} w.r.t. input {pos} "
                    f"(shapes {[a.shape for a in arrays]})")
