"""Small MNIST-layout IDX files written by the tests themselves, and the LeNet scripts loaded
by path (shared by the dataset, app, plot, benchmark and data-parallel tests)."""
import gzip
import importlib.util
import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENET = os.path.join(ROOT, "models", "lenet")
NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_bytes(array, magic):
    return struct.pack(">" + "I" * (1 + array.ndim), magic, *array.shape) + array.tobytes()


def write_mnist(folder, images, labels, split="train", gz=False, image_magic=2051,
                label_magic=2049):
    os.makedirs(folder, exist_ok=True)
    img_name, lbl_name = NAMES[split]
    for name, data in ((img_name, idx_bytes(images, image_magic)),
                       (lbl_name, idx_bytes(labels, label_magic))):
        path = os.path.join(folder, name + (".gz" if gz else ""))
        with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
            f.write(data)
    return str(folder)


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_idx(folder, n_train=96, n_test=32, seed=0):
    """MNIST-layout IDX files with blobby random digits: folder/train, folder/test."""
    rng = np.random.default_rng(seed)
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, lab in enumerate(labels):       # a class-dependent bright square
            r, c = 4 + 2 * (lab % 5), 4 + 8 * (lab // 5)
            images[i, r:r + 8, c:c + 8] = 250
        os.makedirs(os.path.join(folder, split), exist_ok=True)
        with open(os.path.join(folder, split, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        with open(os.path.join(folder, split, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels.tobytes())
    return str(folder)


def load_lenet(name):
    """models/lenet/<name>.py loaded by path (as a fresh module)."""
    spec = importlib.util.spec_from_file_location(f"lenet_app_{name}",
                                                  os.path.join(LENET, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
