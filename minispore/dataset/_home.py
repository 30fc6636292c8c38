"""Where the MNIST files live: ``datasets/`` at the repository root (the data home).

``datasets/MNIST_Data/{train,test}`` holds full MNIST once downloaded
(``python -m minispore.dataset.download mnist datasets/MNIST_Data``); otherwise the bundled
real-digit sample ``datasets/mnist_5k/{train,test}`` (4,000 / 1,000 digits) is used.
Set ``MINISPORE_DATASETS`` to use another data home.
"""
import os
import sys
from pathlib import Path

from .mnist import SPLITS, _find


def data_home():
    """The data home folder (``$MINISPORE_DATASETS`` or ``<repo>/datasets``)."""
    env = os.environ.get("MINISPORE_DATASETS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "datasets"


def _complete(folder, split):
    return all(_find(str(folder), name) for name in SPLITS[split])


def default_mnist_dir(split="train", verbose=True):
    """Folder of the MNIST ``split`` ('train' or 'test'): full MNIST if downloaded, else the
    bundled 5k sample. With ``verbose`` it says on stderr which one it picked."""
    if split not in SPLITS:
        raise ValueError(f"split should be 'train' or 'test', got {split!r}.")
    home = data_home()
    full, sample = home / "MNIST_Data" / split, home / "mnist_5k" / split
    if _complete(full, split):
        chosen, what = full, "full MNIST"
    elif _complete(sample, split):
        chosen, what = sample, ("the bundled 5k-digit MNIST sample (for full MNIST run "
                                "`python -m minispore.dataset.download mnist "
                                f"{home / 'MNIST_Data'}`)")
    else:
        raise FileNotFoundError(f"No MNIST {split} files in {full} or {sample}; run "
                                f"`python -m minispore.dataset.download mnist "
                                f"{home / 'MNIST_Data'}`.")
    if verbose:
        print(f"minispore: MNIST {split} data from {chosen}: {what}", file=sys.stderr)
    return str(chosen)
