"""Data for the ResNet scripts: where Fashion-MNIST is, and the train / eval pipelines (named
apart from models/lenet/_data.py so that both scripts can run in one process).

``--data DIR`` names a folder with ``train/`` and ``test/`` subfolders holding the IDX files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, plain or ``.gz``). Without it: ``../shared/datasets/fashion-mnist``
next to the repository when present, else the bundled MNIST sample ``datasets/mnist_5k``.
"""
import os

import numpy as np

import minispore.dataset as ds
from minispore.common import dtype as mstype
from minispore.dataset import transforms, vision

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION = os.path.join(os.path.dirname(REPO), "shared", "datasets", "fashion-mnist")
SAMPLE = os.path.join(REPO, "datasets", "mnist_5k")
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

# Fashion-MNIST's pixel mean and standard deviation (of x / 255 over the 60k training images).
MEAN, STD = 0.2860, 0.3530


class DataError(Exception):
    """The data folder is missing or incomplete (reported as one line)."""


def _has(folder, split):
    return all(os.path.isfile(os.path.join(folder, n)) or
               os.path.isfile(os.path.join(folder, n + ".gz")) for n in FILES[split])


def resolve(data=None):
    """``(train_dir, test_dir, description)`` for ``--data`` (None: Fashion-MNIST, else the
    bundled sample)."""
    candidates = [data] if data is not None else [FASHION, SAMPLE]
    for folder in candidates:
        train, test = os.path.join(folder, "train"), os.path.join(folder, "test")
        if _has(train, "train") and _has(test, "test"):
            what = "Fashion-MNIST" if folder == FASHION else (
                "the bundled MNIST sample (4,000 / 1,000 digits; Fashion-MNIST not found at "
                f"{FASHION})" if folder == SAMPLE else folder)
            return train, test, f"{what} from {os.path.abspath(folder)}"
    raise DataError(f"--data {data}: expected {os.path.join(str(data), 'train')} and "
                    f"{os.path.join(str(data), 'test')} with the four IDX files" if data else
                    f"neither {FASHION} nor {SAMPLE} holds train/ and test/ IDX files")


def create_dataset(data_dir, batch_size=64, training=True, augment=True, num_samples=None,
                   num_parallel_workers=1):
    """(N, 1, 28, 28) float32 standardised images and int32 labels.

    Training: shuffled (order from ``dataset.config`` / ``minispore.set_seed``), random
    2-pixel-padded 28x28 crops and horizontal flips when ``augment``, partial last batch dropped.
    Evaluation: in file order, every image once.
    """
    data = ds.MnistDataset(data_dir, shuffle=training, num_samples=num_samples)
    data = data.map(transforms.TypeCast(mstype.int32), "label")
    ops = [vision.RandomCrop(28, padding=2), vision.RandomHorizontalFlip()] \
        if training and augment else []
    ops += [vision.ToTensor(), vision.Normalize([MEAN], [STD], is_hwc=False)]
    data = data.map(ops, "image", num_parallel_workers=num_parallel_workers)
    return data.batch(batch_size, drop_remainder=training)


def count(dataset):
    """Images in one pass of a batched dataset."""
    return sum(len(np.asarray(b[1])) for b in dataset.create_tuple_iterator(num_epochs=1,
                                                                           output_numpy=True))
