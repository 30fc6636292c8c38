"""Write the per-step LeNet5 training losses of a minispore checkout as JSON.

Used to pin the loss curve before the speed work (issue #6): the golden file
``lenet_loss_curve_preopt.json`` came from commit 250ea58^ (the last commit before any kernel
speed-up), made with::

    git worktree add /tmp/preopt 250ea58^
    PYTHONPATH=/tmp/preopt python tests/golden/make_loss_curve.py /tmp/preopt 200 \\
        > tests/golden/lenet_loss_curve_preopt.json

Fixed seeds, the bundled 4,000 training digits, batch 32, Momentum(0.01, 0.9), as the tutorial.
"""
import json
import os
import sys


def loss_curve(checkout, steps):
    sys.path.insert(0, os.path.join(checkout, "models", "lenet"))
    from dataset_process import create_dataset
    from lenet import LeNet5
    from minispore import dataset, nn, set_seed

    set_seed(1)
    dataset.config.set_seed(1)
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, loss),
                                    nn.Momentum(net.trainable_params(), 0.01, 0.9))
    train_net.set_train()
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "datasets",
                        "mnist_5k", "train")
    ds = create_dataset(data, batch_size=32)
    losses = []
    while len(losses) < steps:
        for row in ds.create_dict_iterator():
            losses.append(float(train_net(row["image"], row["label"]).asnumpy()))
            if len(losses) == steps:
                break
    return losses


if __name__ == "__main__":
    print(json.dumps(loss_curve(sys.argv[1], int(sys.argv[2]))))
