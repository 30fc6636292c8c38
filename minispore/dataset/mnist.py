"""``MnistDataset``: the four MNIST IDX files, plain or ``.gz``, decoded in one numpy call.

IDX layout (big-endian): images ``magic=2051, count, rows=28, cols=28`` then ``count*784``
pixel bytes; labels ``magic=2049, count`` then ``count`` label bytes. Headers are checked when
the dataset is built (cheap: 16 bytes per file, plus the file size for plain files); the pixels
are read on the first epoch and kept for the next ones.
"""
import gzip
import os
import struct
import zlib

import numpy as np

from .sources import ArraySource

SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
IMAGE_MAGIC, LABEL_MAGIC, ROWS, COLS = 2051, 2049, 28, 28


def _find(folder, name):
    """Path of ``name`` or ``name.gz`` in ``folder`` (plain preferred), or None."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def _open(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_header(path, image):
    """``(count, header_size)`` of an IDX file after checking magic and dimensions."""
    size = 16 if image else 8
    try:
        with _open(path) as f:
            head = f.read(size)
    except (OSError, EOFError, zlib.error) as e:
        raise RuntimeError(f"Invalid mnist file {path}: cannot read it ({e}).") from e
    if len(head) < size:
        raise RuntimeError(f"Invalid mnist file {path}: the header needs {size} bytes, the file "
                           f"has {len(head)}.")
    magic, count = struct.unpack(">II", head[:8])
    want = IMAGE_MAGIC if image else LABEL_MAGIC
    if magic != want:
        kind = "image" if image else "label"
        raise RuntimeError(f"Invalid mnist file {path}: the {kind} magic number should be "
                           f"{want}, but got {magic}.")
    if image:
        rows, cols = struct.unpack(">II", head[8:16])
        if (rows, cols) != (ROWS, COLS):
            raise RuntimeError(f"Invalid mnist file {path}: images should be {ROWS}x{COLS}, but "
                               f"the header says {rows}x{cols}.")
    if not path.endswith(".gz"):
        expected = size + count * (ROWS * COLS if image else 1)
        actual = os.path.getsize(path)
        if actual != expected:
            raise RuntimeError(f"Invalid mnist file {path}: the header promises {count} items "
                               f"({expected} bytes) but the file has {actual} bytes "
                               f"(truncated or corrupt).")
    return count, size


_CHUNK = 1 << 22


def read_payload(path, count, header, item_size):
    """The ``count * item_size`` bytes after the header as a uint8 array.

    Streamed into an array of exactly the declared size, one chunk at a time, and one byte more
    is asked for at the end: a small ``.gz`` that inflates to gigabytes is refused after reading
    at most the declared size + 1 byte, and memory grows only with the data actually present
    (``np.empty`` pages are not touched until written).
    """
    expected = count * item_size
    try:
        out = np.empty(expected, dtype=np.uint8)
    except (MemoryError, ValueError):
        raise RuntimeError(f"Invalid mnist file {path}: the header promises {count} items "
                           f"({expected} bytes), more than can be allocated.") from None
    view, got = memoryview(out), 0
    try:
        with _open(path) as f:
            if len(f.read(header)) != header:
                got = -1
            while 0 <= got < expected:
                n = f.readinto(view[got:got + _CHUNK])
                if not n:
                    break
                got += n
            extra = f.read(1) if got == expected else b""
    except (OSError, EOFError, zlib.error) as e:
        raise RuntimeError(f"Invalid mnist file {path}: cannot decompress or read it ({e}).") \
            from e
    if got != expected or extra:
        held = "more" if extra else f"{max(got, 0)}"
        raise RuntimeError(f"Invalid mnist file {path}: the header promises {count} items "
                           f"({expected} bytes after the header) but it holds {held}.")
    return out


class MnistDataset(ArraySource):
    """MNIST from ``dataset_dir``: columns ``image`` (uint8, 28x28x1 HWC), ``label`` (uint32).

    Args:
        dataset_dir (str): folder holding the IDX files directly (plain or ``.gz``).
        usage (str): 'train', 'test' or 'all' (None = 'all': train then test, a split whose
            files are absent gives no rows).
        num_samples (int): keep only this many rows (None or 0: all).
        shuffle (bool): None = shuffled; reproducible with ``minispore.dataset.config.set_seed``.
        num_shards, shard_id (int): read one of ``num_shards`` equal parts.
        num_parallel_workers, sampler, cache: accepted for compatibility (sampler must be None).
    """

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None,
                 shuffle=None, sampler=None, num_shards=None, shard_id=None, cache=None):
        super().__init__(num_parallel_workers, shuffle, sampler, num_samples, num_shards,
                         shard_id)
        dataset_dir = os.fspath(dataset_dir)
        if not os.path.isdir(dataset_dir) or not os.access(dataset_dir, os.R_OK | os.X_OK):
            raise ValueError(f"The folder {dataset_dir} does not exist or is not a directory or "
                             f"permission denied!")
        usage = "all" if usage is None else usage
        if usage not in ("train", "test", "all"):
            raise ValueError(f"Input usage is not within the valid set of ['train', 'test', "
                             f"'all'], got {usage!r}.")
        self.dataset_dir, self.usage = dataset_dir, usage
        self._files = []  # (images path, labels path, count)
        for split in (["train", "test"] if usage == "all" else [usage]):
            img_name, lbl_name = SPLITS[split]
            img, lbl = _find(dataset_dir, img_name), _find(dataset_dir, lbl_name)
            if img is None and lbl is None and usage == "all":
                continue
            if img is None or lbl is None:
                missing = img_name if img is None else lbl_name
                raise RuntimeError(f"MnistDataset: {missing} (or {missing}.gz) is missing in "
                                   f"{dataset_dir} (usage={usage!r}).")
            n_img, _ = read_header(img, image=True)
            n_lbl, _ = read_header(lbl, image=False)
            if n_img != n_lbl:
                raise RuntimeError(f"Invalid mnist file: the images number of {img} ({n_img}) "
                                   f"should be equal to the labels number of {lbl} ({n_lbl}).")
            self._files.append((img, lbl, n_img))
        if not self._files:
            raise RuntimeError(f"MnistDataset: no MNIST files in {dataset_dir}; expected "
                               f"{', '.join(SPLITS['train'] + SPLITS['test'])} (optionally .gz).")
        self._data = None

    def get_col_names(self):
        return ["image", "label"]

    def _num_rows(self):
        return sum(n for _, _, n in self._files)

    def _arrays(self):
        if self._data is None:
            images, labels = [], []
            for img, lbl, n in self._files:
                pixels = read_payload(img, n, 16, ROWS * COLS)
                images.append(pixels.reshape(n, ROWS, COLS, 1))
                labels.append(read_payload(lbl, n, 8, 1).astype(np.uint32))
            if len(images) == 1:
                self._data = [np.ascontiguousarray(images[0]), labels[0]]
            else:
                self._data = [np.concatenate(images), np.concatenate(labels)]
        return self._data
