"""MnistDataset, sources and pipeline nodes on IDX files the tests write themselves."""
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minispore
import minispore.dataset as ds
from minispore.common import dtype as mstype
from minispore.common.tensor import Tensor
from minispore.dataset import transforms, vision

from _idx import NAMES, make_data, write_mnist  # noqa: F401

SHARED = os.path.normpath(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "..",
                                       "shared", "datasets"))


def collect(dataset, column=1, **kw):
    return [int(row[column]) for row in dataset.create_tuple_iterator(output_numpy=True,
                                                                      num_epochs=1, **kw)]


# ---------------------------------------------------------------------------- MnistDataset
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_plain_and_gz(tmp_path, gz):
    images, labels = make_data(7)
    folder = write_mnist(tmp_path, images, labels, gz=gz)
    data = ds.MnistDataset(folder, shuffle=False)
    assert data.get_col_names() == ["image", "label"] and data.get_dataset_size() == 7
    rows = list(data.create_dict_iterator(output_numpy=True, num_epochs=1))
    assert rows[3]["image"].shape == (28, 28, 1) and rows[3]["image"].dtype == np.uint8
    assert rows[3]["label"].shape == () and rows[3]["label"].dtype == np.uint32
    np.testing.assert_array_equal(np.stack([r["image"][..., 0] for r in rows]), images)
    assert [int(r["label"]) for r in rows] == labels.tolist()


def test_mnist_usage_and_splits(tmp_path):
    tr_img, tr_lbl = make_data(5)
    te_img, te_lbl = make_data(3, seed=1)
    write_mnist(tmp_path, tr_img, tr_lbl, "train")
    write_mnist(tmp_path, te_img, te_lbl + 100, "test", gz=True)
    assert ds.MnistDataset(str(tmp_path), usage="train").get_dataset_size() == 5
    assert ds.MnistDataset(str(tmp_path), usage="test").get_dataset_size() == 3
    both = ds.MnistDataset(str(tmp_path), shuffle=False)
    assert collect(both) == tr_lbl.tolist() + (te_lbl + 100).tolist()
    only_train = write_mnist(tmp_path / "t", tr_img, tr_lbl)
    assert ds.MnistDataset(only_train, usage="all").get_dataset_size() == 5
    with pytest.raises(RuntimeError, match="t10k-images-idx3-ubyte"):
        ds.MnistDataset(only_train, usage="test")
    with pytest.raises(ValueError, match="usage"):
        ds.MnistDataset(only_train, usage="valid")


def test_mnist_missing_folder_message(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(ValueError) as err:
        ds.MnistDataset(missing)
    assert str(err.value) == (f"The folder {missing} does not exist or is not a directory or "
                              f"permission denied!")
    with pytest.raises(RuntimeError, match="no MNIST files"):
        ds.MnistDataset(str(tmp_path))


def _corrupt(tmp_path, kind):
    images, labels = make_data(4)
    if kind == "image_magic":
        return write_mnist(tmp_path, images, labels, image_magic=2457), "should be 2051"
    if kind == "label_magic":
        return write_mnist(tmp_path, images, labels, label_magic=2051), "should be 2049"
    if kind == "count":
        return write_mnist(tmp_path, images, labels[:3]), "equal to the labels number"
    if kind == "dims":
        return write_mnist(tmp_path, np.zeros((4, 28, 27), np.uint8), labels), "28x27"
    if kind == "truncated":
        folder = write_mnist(tmp_path, images, labels)
        path = os.path.join(folder, NAMES["train"][0])
        with open(path, "r+b") as f:
            f.truncate(16 + 3 * 784 + 5)
        return folder, "truncated"
    if kind == "short_header":
        folder = write_mnist(tmp_path, images, labels)
        with open(os.path.join(folder, NAMES["train"][1]), "wb") as f:
            f.write(b"\x00\x00\x08")
        return folder, "header needs 8 bytes"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["image_magic", "label_magic", "count", "dims", "truncated",
                                  "short_header"])
def test_mnist_bad_files_raise_at_construction(tmp_path, kind):
    folder, message = _corrupt(tmp_path, kind)
    with pytest.raises(RuntimeError, match=message) as err:
        ds.MnistDataset(folder)
    assert "ubyte" in str(err.value)  # names the file


@pytest.mark.parametrize("cut", [10, 600, -9])
def test_mnist_truncated_gz_raises_when_read(tmp_path, cut):
    images, labels = make_data(4)
    folder = write_mnist(tmp_path, images, labels, gz=True)
    path = os.path.join(folder, NAMES["train"][0] + ".gz")
    raw = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(raw[:cut])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz"):
        data = ds.MnistDataset(folder)
        list(data.create_tuple_iterator(num_epochs=1))


@given(st.binary(max_size=900), st.booleans())
def test_mnist_hostile_bytes_never_raw_errors(tmp_path_factory, blob, as_images):
    folder = tmp_path_factory.mktemp("hostile")
    images, labels = make_data(1)
    write_mnist(folder, images, labels)
    name = NAMES["train"][0 if as_images else 1]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(blob)
    try:
        data = ds.MnistDataset(str(folder))
        rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    except RuntimeError as e:
        assert name in str(e)
    else:
        assert len(rows) == 1


# ---------------------------------------------------------------------------- order, seeds
def test_shuffle_reproducible_with_seed_and_new_each_epoch(tmp_path):
    folder = write_mnist(tmp_path, *make_data(200))

    def epochs(seed_fn):
        seed_fn(7)
        data = ds.MnistDataset(folder).shuffle(50)
        it = data.create_tuple_iterator(num_epochs=2, output_numpy=True)
        return [[int(r[1]) for r in it] for _ in range(2)], data

    (e1, e2), data = epochs(ds.config.set_seed)
    (f1, f2), _ = epochs(ds.config.set_seed)
    assert (e1, e2) == (f1, f2)
    assert e1 != e2 and sorted(e1) == sorted(e2)
    (g1, _), _ = epochs(minispore.set_seed)
    assert g1 == e1  # minispore.set_seed seeds the pipeline too
    assert collect(data) != e1  # a third epoch of the same object: yet another order
    assert collect(ds.MnistDataset(folder, shuffle=False)) == (np.arange(200) % 10).tolist()


def test_seed_last_setter_wins():
    minispore.set_seed(3)
    ds.config.set_seed(11)
    assert ds.config.get_seed() == 11
    minispore.set_seed(5)
    assert ds.config.get_seed() == 5


def test_shards_partition_and_num_samples(tmp_path):
    images, _ = make_data(10)
    folder = write_mnist(tmp_path, images, np.arange(10, dtype=np.uint8))
    ds.config.set_seed(1)
    parts = [collect(ds.MnistDataset(folder, num_shards=3, shard_id=i)) for i in range(3)]
    assert [len(p) for p in parts] == [4, 4, 4]  # ceil(10/3), wrapping like MindSpore
    assert set(sum(parts, [])) == set(range(10))
    assert ds.MnistDataset(folder, num_shards=3, shard_id=2).get_dataset_size() == 4
    assert collect(ds.MnistDataset(folder, shuffle=False, num_samples=4)) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="together"):
        ds.MnistDataset(folder, num_shards=2)
    with pytest.raises(ValueError, match="shard_id"):
        ds.MnistDataset(folder, num_shards=2, shard_id=2)


# ---------------------------------------------------------------------------- pipeline
def tutorial_pipeline(folder, batch, repeat=1, drop=True):
    data = ds.MnistDataset(folder)
    data = data.map(transforms.TypeCast(mstype.int32), input_columns="label")
    data = data.map([vision.Resize((32, 32), vision.Inter.LINEAR), vision.Rescale(1 / 255, 0),
                     vision.Rescale(1 / 0.3081, -0.1307 / 0.3081), vision.HWC2CHW()],
                    input_columns="image")
    return data.shuffle(buffer_size=10000).batch(batch, drop_remainder=drop).repeat(repeat)


def test_batch_shapes_counts_and_repeat(tmp_path):
    folder = write_mnist(tmp_path, *make_data(70))
    data = tutorial_pipeline(folder, 32)
    assert data.get_dataset_size() == 2 and data.get_batch_size() == 32
    batches = list(data.create_tuple_iterator(num_epochs=1))
    assert len(batches) == 2
    image, label = batches[0]
    assert isinstance(image, Tensor) and image.shape == (32, 1, 32, 32)
    assert image.dtype == mstype.float32 and label.shape == (32,) and label.dtype == mstype.int32
    assert tutorial_pipeline(folder, 32, repeat=3).get_dataset_size() == 6
    assert len(list(tutorial_pipeline(folder, 32, repeat=3))) == 6
    keep = tutorial_pipeline(folder, 32, drop=False)
    assert keep.get_dataset_size() == 3
    assert [b[1].shape for b in keep.create_tuple_iterator(output_numpy=True, num_epochs=1)] \
        == [(32,), (32,), (6,)]


def test_fast_path_matches_row_path(tmp_path):
    """The vectorised map equals per-row application of the same operations."""
    images, labels = make_data(20)
    folder = write_mnist(tmp_path, images, labels)
    ops = [vision.Resize((32, 32)), vision.Rescale(1 / 255, 0),
           vision.Rescale(1 / 0.3081, -0.1307 / 0.3081), vision.HWC2CHW()]
    fast = ds.MnistDataset(folder, shuffle=False).map(ops, input_columns="image").batch(8)
    assert fast.children[0]._columnar()
    gen = ds.GeneratorDataset(lambda: ((images[i][..., None], labels[i]) for i in range(20)),
                              ["image", "label"])
    slow = gen.map(ops, input_columns="image").batch(8)
    assert not slow.children[0]._columnar()
    for a, b in zip(fast.create_tuple_iterator(output_numpy=True, num_epochs=1),
                    slow.create_tuple_iterator(output_numpy=True, num_epochs=1)):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_numpy_slices_scalar_labels_and_column_forms():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    data = ds.NumpySlicesDataset({"data": x, "label": y}, shuffle=False)
    rows = list(data.create_dict_iterator(output_numpy=True, num_epochs=1))
    assert rows[2]["label"].shape == () and int(rows[2]["label"]) == 2
    batch = next(iter(data.batch(4)))
    assert batch[0].shape == (4, 2) and batch[1].shape == (4,)
    assert ds.NumpySlicesDataset((x, y)).get_col_names() == ["column_0", "column_1"]
    assert ds.NumpySlicesDataset([1, 2, 3], column_names=["a"]).get_col_names() == ["a"]
    with pytest.raises(ValueError, match="different lengths"):
        ds.NumpySlicesDataset({"a": x, "b": y[:3]})


def test_generator_sources_and_row_map():
    class Source:
        def __getitem__(self, i):
            return np.full((2,), i, np.float32), np.array(i, np.int32)

        def __len__(self):
            return 5

    data = ds.GeneratorDataset(Source(), ["x", "y"], shuffle=False)
    data = data.map(lambda v: v * 2, input_columns="x", output_columns="x2")
    assert data.get_col_names() == ["x2", "y"]
    assert [int(r[0][0]) for r in data.create_tuple_iterator(output_numpy=True,
                                                               num_epochs=1)] == [0, 2, 4, 6, 8]
    it = ds.GeneratorDataset(lambda: iter(range(4)), "n")
    assert it.get_dataset_size() == 4
    assert [b[0].tolist() for b in it.batch(3).create_tuple_iterator(output_numpy=True,
                                                                      num_epochs=1)] \
        == [[0, 1, 2], [3]]
    with pytest.raises(RuntimeError, match="2 columns"):
        list(ds.GeneratorDataset(lambda: iter([(1, 2)]), ["a"]))
    with pytest.raises(ValueError, match="random-access"):
        ds.GeneratorDataset(lambda: iter([1]), ["a"], shuffle=True)


def test_take_skip_iterators_and_errors():
    data = ds.NumpySlicesDataset({"v": np.arange(10)}, shuffle=False)
    assert collect(data.skip(3).take(4), column=0) == [3, 4, 5, 6]
    assert data.skip(3).take(4).get_dataset_size() == 4
    row = next(data.create_dict_iterator(num_epochs=1))
    assert isinstance(row["v"], Tensor)
    it = data.create_tuple_iterator(columns=["v"], num_epochs=2, output_numpy=True)
    assert len(list(it)) == 10 and len(list(it)) == 10 and list(it) == []
    with pytest.raises(ValueError, match="not found"):
        data.map(transforms.TypeCast(np.int32), input_columns="w")
    with pytest.raises(ValueError, match="batch_size"):
        data.batch(0)
    with pytest.raises(RuntimeError, match="different shapes"):
        list(ds.GeneratorDataset(lambda: iter([np.zeros(2), np.zeros(3)]), "a").batch(2))


def test_create_dataset_tutorial(tmp_path):
    from dataset_process import create_dataset
    folder = write_mnist(tmp_path, *make_data(100))
    data = create_dataset(folder, batch_size=32, repeat_size=2)
    assert data.get_dataset_size() == 6
    image, label = next(iter(data))
    assert image.shape == (32, 1, 32, 32) and label.dtype == mstype.int32
    assert abs(float(image.asnumpy().mean()) - (127.5 / 255 - 0.1307) / 0.3081) < 0.1


def test_default_mnist_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINISPORE_DATASETS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="download"):
        ds.default_mnist_dir()
    write_mnist(tmp_path / "mnist_5k" / "train", *make_data(3), gz=True)
    assert ds.default_mnist_dir().endswith(os.path.join("mnist_5k", "train"))
    assert "5k" in capsys.readouterr().err
    write_mnist(tmp_path / "MNIST_Data" / "train", *make_data(3))
    assert ds.default_mnist_dir().endswith(os.path.join("MNIST_Data", "train"))


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED, "mnist_5k")),
                    reason=f"{SHARED} (the shared real-digit sets) is not on this machine")
def test_real_mnist_5k():
    from dataset_process import create_dataset
    train = create_dataset(os.path.join(SHARED, "mnist_5k", "train"))
    assert train.get_dataset_size() == 125
    labels = np.concatenate([b[1] for b in train.create_tuple_iterator(output_numpy=True,
                                                                        num_epochs=1)])
    assert len(labels) == 4000 and np.bincount(labels).tolist() == [400] * 10
