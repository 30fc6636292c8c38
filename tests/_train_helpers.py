"""Tiny deterministic networks and datasets for the Model / callback / checkpoint tests."""
import numpy as np

import minispore as ms
from minispore import nn
from minispore.dataset import NumpySlicesDataset


def make_data(n=8, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = (np.arange(n) % classes).astype(np.int32)
    return x, y


def make_dataset(x, y, batch_size=4):
    """Unshuffled, so two runs see the same batches in the same order."""
    return NumpySlicesDataset({"data": x, "label": y}, shuffle=False).batch(batch_size)


def make_net(seed=1, zeros=False):
    ms.set_seed(seed)
    if zeros:
        return nn.Dense(4, 3, weight_init="zeros", bias_init="zeros")
    return nn.Dense(4, 3)


def make_model(net=None, lr=0.1, metrics=None):
    net = net if net is not None else make_net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=0.9)
    return ms.train.Model(net, loss, opt, metrics=metrics), net


def values(params):
    """{name: ndarray} of a load_checkpoint dict or a list of Parameters."""
    if isinstance(params, dict):
        return {k: (v if isinstance(v, str) else v.asnumpy()) for k, v in params.items()}
    return {p.name: p.asnumpy().copy() for p in params}
