"""The same ResNetSmall in PyTorch (for the side-by-side benchmark and the tests), and the
weight copy from a minispore network. Needs torch; import it only when torch is installed.

The module layout mirrors ``resnet.py`` so that parameter names map one to one:
minispore ``gamma``/``beta``/``moving_mean``/``moving_variance`` are torch's
``weight``/``bias``/``running_mean``/``running_var``; torch's BatchNorm ``momentum`` 0.1 is
MindSpore's ``momentum`` 0.9. One difference remains: torch updates ``running_var`` with the
unbiased batch variance, MindSpore's CPU kernel (and minispore) with the biased one.
"""
import numpy as np
import torch
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 conv + BatchNorm layers with an identity or 1x1 strided conv + BN shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.down_sample = None
        if stride != 1 or in_channels != out_channels:
            self.down_sample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        identity = x if self.down_sample is None else self.down_sample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + identity)


class ResNetSmall(nn.Module):
    """PyTorch twin of ``resnet.ResNetSmall``."""

    def __init__(self, num_classes=10, width=16, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = BasicBlock(width, width)
        self.layer2 = BasicBlock(width, 2 * width, 2)
        self.layer3 = BasicBlock(2 * width, 4 * width, 2)
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


_BN_NAMES = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
             "moving_variance": "running_var"}


def torch_name(name):
    """minispore parameter name -> the torch state_dict key."""
    head, _, leaf = name.rpartition(".")
    return f"{head}.{_BN_NAMES.get(leaf, leaf)}" if head else _BN_NAMES.get(leaf, leaf)


def copy_from_minispore(torch_net, ms_net):
    """Load every parameter (and BatchNorm statistic) of ``ms_net`` into ``torch_net``."""
    state = torch_net.state_dict()
    loaded = set()
    for p in ms_net.get_parameters():
        key = torch_name(p.name)
        if key not in state:
            raise KeyError(f"{p.name} -> {key}: not a parameter of the torch network")
        state[key] = torch.from_numpy(np.array(p.asnumpy(), copy=True))
        loaded.add(key)
    missing = [k for k in state if k not in loaded and not k.endswith("num_batches_tracked")]
    if missing:
        raise KeyError(f"torch parameters without a minispore value: {missing}")
    torch_net.load_state_dict(state)
    return torch_net
