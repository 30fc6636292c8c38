"""Layers (``mindspore.nn.layer``)."""
from .basic import Dense, Flatten, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import CellList, SequentialCell
from .conv import Conv2d
from .pooling import MaxPool2d

__all__ = ["Dense", "Flatten", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
           "SequentialCell", "CellList", "Conv2d", "MaxPool2d"]
