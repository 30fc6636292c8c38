"""Shared pieces of the optimizer tests: random parameters and gradient sequences, a float64
loop runner for closed forms, and a PyTorch runner over the same gradients."""
import numpy as np

from minispore import Parameter, Tensor


def make_params(rng, shapes, names):
    """Float32 Parameters with random values."""
    return [Parameter(Tensor(rng.standard_normal(s).astype(np.float32)), name=n)
            for s, n in zip(shapes, names)]


def grad_steps(rng, params, steps):
    """``steps`` tuples of random float32 gradients shaped like ``params``."""
    return [[rng.standard_normal(p.shape).astype(np.float32) for p in params]
            for _ in range(steps)]


def run(opt, grads_seq):
    """Feed each gradient tuple to the optimizer."""
    for grads in grads_seq:
        assert opt(tuple(Tensor(g) for g in grads))


def values64(params):
    return [p.asnumpy().astype(np.float64).copy() for p in params]


def torch_run(torch, start, grads_seq, make_opt, prepare=None):
    """Run a torch optimizer from ``start`` (float32 arrays) over the same gradients; returns the
    final parameter arrays. ``make_opt(tensors)`` builds it; ``prepare(opt, tensors)`` may seed
    its state before the first step."""
    ts = [torch.tensor(s.astype(np.float32), requires_grad=True) for s in start]
    opt = make_opt(ts)
    if prepare is not None:
        prepare(opt, ts)
    for grads in grads_seq:
        for t, g in zip(ts, grads):
            t.grad = torch.tensor(g)
        opt.step()
    return [t.detach().numpy() for t in ts]
