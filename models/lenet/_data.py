"""Where the MNIST-format data is, and the evaluation pipeline (private helper of the LeNet scripts).

``--data DIR`` of ``train.py`` / ``eval.py`` / ``tutorial.py`` names a folder laid out like the
guide's ``./datasets/MNIST_Data``: ``DIR/train`` holds ``train-images-idx3-ubyte`` and
``train-labels-idx1-ubyte``, ``DIR/test`` holds ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte`` (plain or ``.gz``). Passing ``DIR/train`` itself works too.
Without ``--data`` the repository's data home is used: ``datasets/MNIST_Data`` when it is
complete, else the bundled 4,000/1,000-digit sample ``datasets/mnist_5k``.
"""
import os
import sys

import minispore.dataset as ds
import minispore.dataset.transforms as C
import minispore.dataset.vision as CV
from minispore.common import dtype as mstype
from minispore.dataset.vision import Inter

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:          # so that `from dataset_process import create_dataset` works
    sys.path.insert(0, HERE)

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class DataError(Exception):
    """The data folder is missing or lacks the IDX files (reported as one line, no traceback)."""


def _has(folder, split):
    return all(os.path.isfile(os.path.join(folder, n)) or
               os.path.isfile(os.path.join(folder, n + ".gz")) for n in FILES[split])


def _expected(folder):
    return (f"expected {os.path.join(folder, 'train')}/{{{', '.join(FILES['train'])}}} and "
            f"{os.path.join(folder, 'test')}/{{{', '.join(FILES['test'])}}} (plain or .gz)")


def resolve(data=None):
    """``(train_dir, test_dir, description)`` for ``--data`` (None: the repository's default).

    Raises:
        DataError: the folder does not exist or lacks the four IDX files.
    """
    if data is None:
        from minispore.dataset._home import data_home   # noqa: PLC0415
        home = data_home()
        full = os.path.join(home, "MNIST_Data")
        if _has(os.path.join(full, "train"), "train") and _has(os.path.join(full, "test"), "test"):
            return (os.path.join(full, "train"), os.path.join(full, "test"),
                    f"full MNIST from {full}")
        sample = os.path.join(home, "mnist_5k")
        if _has(os.path.join(sample, "train"), "train") and \
                _has(os.path.join(sample, "test"), "test"):
            return (os.path.join(sample, "train"), os.path.join(sample, "test"),
                    f"the bundled MNIST sample {sample} (4,000 train / 1,000 test digits; for full "
                    f"MNIST run `python -m minispore.dataset.download mnist {full}`)")
        raise DataError(f"no MNIST data in {full} or {sample}: {_expected(full)}; run "
                        f"`python -m minispore.dataset.download mnist {full}` or pass --data DIR")
    folder = os.path.abspath(data)
    if not os.path.isdir(folder):
        raise DataError(f"--data {data}: no such folder ({_expected(folder)})")
    train, test = os.path.join(folder, "train"), os.path.join(folder, "test")
    if _has(train, "train") and _has(test, "test"):
        return train, test, f"{folder}"
    parent = os.path.dirname(folder)
    if _has(folder, "train") and _has(os.path.join(parent, "test"), "test"):
        return folder, os.path.join(parent, "test"), f"{parent}"
    raise DataError(f"--data {data}: the MNIST IDX files are not there ({_expected(folder)})")


def count_images(split_dir, split):
    """Number of images in a split folder, from the IDX header."""
    from minispore.dataset.mnist import _find, read_header   # noqa: PLC0415
    return read_header(_find(split_dir, FILES[split][0]), True)[0]


def create_eval_dataset(data_path, batch_size=256, num_shards=None, shard_id=None):
    """The test split with ``create_dataset``'s transforms but no shuffle and no dropped
    remainder, so that every test image is scored exactly once (with ``num_shards``, once
    over all shards when ``num_shards`` divides the count; else the shards are padded to equal
    sizes by repeating up to ``num_shards - 1`` images, as MindSpore does)."""
    mnist_ds = ds.MnistDataset(data_path, shuffle=False, num_shards=num_shards,
                               shard_id=shard_id)
    mnist_ds = mnist_ds.map(operations=C.TypeCast(mstype.int32), input_columns="label")
    mnist_ds = mnist_ds.map(operations=[CV.Resize((32, 32), interpolation=Inter.LINEAR),
                                        CV.Rescale(1.0 / 255.0, 0.0),
                                        CV.Rescale(1 / 0.3081, -1 * 0.1307 / 0.3081),
                                        CV.HWC2CHW()], input_columns="image")
    return mnist_ds.batch(batch_size, drop_remainder=False)


def set_pipeline_epoch(dataset, epochs_done):
    """Make the next epoch of ``dataset`` shuffle as epoch ``epochs_done + 1`` of a fresh run.

    minispore's pipeline draws epoch ``e``'s order from ``(seed, e)`` with ``e`` counted per
    pipeline object; a resumed run builds a new pipeline, so without this its first epoch would
    repeat epoch 1's order. ``Dataset.set_init_step`` (as in MindSpore) takes the global step
    to resume at: ``epochs_done`` whole epochs of ``get_dataset_size()`` steps.
    """
    dataset.set_init_step(epochs_done * dataset.get_dataset_size())
