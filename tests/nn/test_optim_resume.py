"""Resume from a checkpoint alone: train k steps, save the train network (network + optimizer
state incl. global_step), load it into a freshly built network and optimizer, continue; the
final checkpoint must be byte-identical to an uninterrupted run's, for every optimizer and for
learning rates that depend on the step (list, schedule cell, groups)."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.train.callback import CheckpointConfig, ModelCheckpoint
from _train_helpers import make_dataset

STEPS, STOP = 7, 3


def _net(seed):
    ms.set_seed(seed)
    return nn.SequentialCell([nn.Dense(6, 8), nn.ReLU(), nn.Dense(8, 3)])


def _batches():
    rng = np.random.default_rng(0)
    return [(Tensor(rng.standard_normal((5, 6)).astype(np.float32)),
             Tensor(rng.integers(0, 3, 5).astype(np.int32))) for _ in range(STEPS)]


def _grouped(params):
    return [{"params": params[:2], "lr": [0.05 * 0.9 ** i for i in range(STEPS)],
             "weight_decay": 0.01}, {"params": params[2:]}]


OPTIMIZERS = {
    "momentum_list_lr": lambda p: nn.Momentum(p, [0.1 * 0.8 ** i for i in range(STEPS)], 0.9),
    "sgd_nesterov_groups": lambda p: nn.SGD(_grouped(p), 0.05, momentum=0.9, nesterov=True),
    "adam_amsgrad_schedule": lambda p: nn.Adam(p, nn.CosineDecayLR(0.001, 0.01, 5),
                                               weight_decay=0.01, use_amsgrad=True),
    "adam_weight_decay_warmup": lambda p: nn.AdamWeightDecay(p, nn.WarmUpLR(0.01, 4),
                                                             weight_decay=0.1),
    "rmsprop_centered": lambda p: nn.RMSProp(p, nn.ExponentialDecayLR(0.01, 0.5, 2),
                                             momentum=0.5, centered=True),
    "adagrad_groups": lambda p: nn.Adagrad(_grouped(p), learning_rate=0.1),
}


def _train_net(name, seed):
    net = _net(seed)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), OPTIMIZERS[name](
        net.trainable_params()))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_from_checkpoint_alone_is_byte_identical(tmp_path, name):
    batches = _batches()
    straight = _train_net(name, seed=1)
    for x, y in batches:
        straight(x, y)
    ms.save_checkpoint(straight, str(tmp_path / "straight.ckpt"))

    first = _train_net(name, seed=1)
    for x, y in batches[:STOP]:
        first(x, y)
    ms.save_checkpoint(first, str(tmp_path / "stop.ckpt"))
    del first

    resumed = _train_net(name, seed=99)          # different initial values: all must load
    not_loaded, _ = ms.load_param_into_net(resumed, ms.load_checkpoint(
        str(tmp_path / "stop.ckpt")), strict_load=True)
    assert not_loaded == []
    assert resumed.optimizer.global_step.asnumpy().tolist() == [STOP]
    for x, y in batches[STOP:]:
        resumed(x, y)
    ms.save_checkpoint(resumed, str(tmp_path / "resumed.ckpt"))
    assert (tmp_path / "resumed.ckpt").read_bytes() == (tmp_path / "straight.ckpt").read_bytes()


def test_model_resume_after_epoch_k_from_modelcheckpoint_file(tmp_path):
    """Model.train saving each epoch; a fresh Model loads the epoch-2 file and trains on with
    initial_epoch=2: its last checkpoint equals the uninterrupted run's, byte for byte."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 6)).astype(np.float32)
    y = (np.arange(12) % 3).astype(np.int32)
    schedule = nn.polynomial_decay_lr(0.05, 0.001, 12, 3, 4, 2.0)   # 3 steps per epoch

    def model(seed):
        net = _net(seed)
        loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
        opt = nn.Adam(net.trainable_params(), learning_rate=schedule, weight_decay=0.001)
        return ms.train.Model(net, loss, opt)

    def saver(prefix):
        return ModelCheckpoint(prefix=prefix, directory=str(tmp_path),
                               config=CheckpointConfig(save_checkpoint_steps=3,
                                                       keep_checkpoint_max=10))

    model(1).train(4, make_dataset(x, y, batch_size=4), callbacks=[saver("a")])
    resumed = model(7)
    ms.load_param_into_net(resumed.train_network, ms.load_checkpoint(str(tmp_path / "a-2_3.ckpt")))
    resumed.train(4, make_dataset(x, y, batch_size=4), callbacks=[saver("b")], initial_epoch=2)
    assert (tmp_path / "b-4_3.ckpt").read_bytes() == (tmp_path / "a-4_3.ckpt").read_bytes()
