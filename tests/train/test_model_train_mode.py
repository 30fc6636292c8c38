"""Evaluating from a callback during Model.train does not leave the training steps in eval mode."""
import pytest

import minispore as ms
from minispore import nn
from minispore.train import Model
from minispore.train.callback import Callback

from _train_helpers import make_data, make_dataset


class ModeRecorder(nn.Cell):
    """A Dense whose construct records its ``training`` flag (a Dropout/BatchNorm stand-in)."""

    def __init__(self):
        super().__init__()
        ms.set_seed(1)
        self.dense = nn.Dense(4, 3)
        self.seen = []              # (phase, training) per call
        self.phase = "train"

    def construct(self, x):
        self.seen.append((self.phase, self.training))
        return self.dense(x)


class EvalEvery(Callback):
    def __init__(self, net, hook, evaluate):
        super().__init__()
        self.net, self.hook, self.evaluate = net, hook, evaluate

    def _run(self):
        self.net.phase = "callback"
        self.evaluate()
        self.net.phase = "train"

    def on_train_step_end(self, run_context):
        if self.hook == "step":
            self._run()

    def on_train_epoch_end(self, run_context):
        if self.hook == "epoch":
            self._run()


def _setup():
    net = ModeRecorder()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    model = Model(net, loss, opt, metrics={"acc"})
    x, y = make_data(8)
    return net, loss, model, make_dataset(x, y)      # 2 steps per epoch


@pytest.mark.parametrize("hook", ["step", "epoch"])
@pytest.mark.parametrize("who", ["same_model", "other_model", "predict"])
def test_training_steps_run_in_training_mode_after_callback_eval(hook, who):
    net, loss, model, data = _setup()
    other = Model(net, loss, metrics={"acc"})          # shares the backbone (a common pattern)
    x, _ = make_data(8)
    evaluate = {"same_model": lambda: model.eval(data),
                "other_model": lambda: other.eval(data),
                "predict": lambda: model.predict(ms.Tensor(x))}[who]
    model.train(3, data, callbacks=EvalEvery(net, hook, evaluate))
    train_flags = [t for phase, t in net.seen if phase == "train"]
    assert train_flags == [True] * 6, train_flags              # 3 epochs x 2 steps
    assert not any(t for phase, t in net.seen if phase == "callback")   # eval ran in eval mode


def test_eval_still_leaves_the_network_in_inference_mode():
    net, _, model, data = _setup()
    model.train(1, data)
    assert net.training
    model.eval(data)
    assert not net.training                           # as MindSpore; train() switches back
    model.train(2, data, initial_epoch=1)
    assert net.training
