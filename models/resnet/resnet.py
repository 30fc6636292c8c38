"""A small ResNet for 28x28 grey images (Fashion-MNIST / MNIST).

    stem   conv3x3(1 -> w) + BatchNorm + ReLU                      28x28
    stage1 BasicBlock(w -> w)                                      28x28
    stage2 BasicBlock(w -> 2w, stride 2), 1x1 strided shortcut     14x14
    stage3 BasicBlock(2w -> 4w, stride 2), 1x1 strided shortcut     7x7
    head   global average pool -> Dense(4w, num_classes)

A BasicBlock is ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``, as in He et al. (2016);
convolutions have no bias (the BatchNorm after them has one). ``width`` w = 16 by default
(about 75k parameters).
"""
import minispore.nn as nn
from minispore import ops


def conv3x3(in_channels, out_channels, stride=1):
    """3x3 convolution, padding 1, no bias."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, pad_mode="pad", padding=1,
                     has_bias=False)


class BasicBlock(nn.Cell):
    """Two 3x3 conv + BatchNorm layers with an identity (or 1x1 strided conv + BN) shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.down_sample = None
        if stride != 1 or in_channels != out_channels:
            self.down_sample = nn.SequentialCell([
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, pad_mode="valid",
                          has_bias=False),
                nn.BatchNorm2d(out_channels)])

    def construct(self, x):
        identity = x if self.down_sample is None else self.down_sample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNetSmall(nn.Cell):
    """ResNet with three stages of one BasicBlock each for (N, 1, 28, 28) inputs.

    Args:
        num_classes (int): Default: 10.
        width (int): channels of the first stage (doubled at each later stage). Default: 16.
        in_channels (int): Default: 1.
    """

    def __init__(self, num_classes=10, width=16, in_channels=1):
        super().__init__()
        self.conv1 = conv3x3(in_channels, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.layer1 = BasicBlock(width, width)
        self.layer2 = BasicBlock(width, 2 * width, stride=2)
        self.layer3 = BasicBlock(2 * width, 4 * width, stride=2)
        self.fc = nn.Dense(4 * width, num_classes)

    def construct(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = ops.mean(x, (2, 3))          # global average pool: (N, C, H, W) -> (N, C)
        return self.fc(x)
