"""``mindspore.dataset``: MNIST and in-memory sources, map/shuffle/batch/repeat, iterators.

``import minispore.dataset as ds`` then ``ds.MnistDataset(path)``, ``ds.vision.Resize``,
``ds.transforms.TypeCast``, ``ds.config.set_seed``. The 1.x paths
``minispore.dataset.vision.c_transforms`` and ``minispore.dataset.transforms.c_transforms`` work too.
"""
from . import config, transforms, vision
from ._home import default_mnist_dir
from .engine import Dataset
from .mnist import MnistDataset
from .sources import GeneratorDataset, NumpySlicesDataset

__all__ = ["Dataset", "MnistDataset", "GeneratorDataset", "NumpySlicesDataset", "config",
           "transforms", "vision", "default_mnist_dir"]
