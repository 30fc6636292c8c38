"""Compose, OneHot, Pad, RandomCrop, RandomHorizontalFlip, ToTensor; 0-d generator scalars;
parallel workers keep order and seeded randomness. References are per-element loops."""
import numpy as np
import pytest

import minispore as ms
import minispore.dataset as ds
from minispore.dataset import transforms, vision
from minispore.dataset.vision import Border


def images(n=6, h=5, w=7, c=1, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


# ------------------------------------------------------------------------------ references
def reference_index(i, size, mode):
    """Source index for padded coordinate ``i`` (relative to the image origin)."""
    if 0 <= i < size:
        return i
    if mode is Border.EDGE:
        return min(max(i, 0), size - 1)
    period = 2 * size - 2 if mode is Border.REFLECT else 2 * size
    j = i % period
    if mode is Border.REFLECT:
        return j if j < size else period - j
    return j if j < size else period - 1 - j


def reference_pad(img, left, top, right, bottom, fill, mode):
    h, w, c = img.shape
    out = np.zeros((h + top + bottom, w + left + right, c), img.dtype)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            sy, sx = y - top, x - left
            if mode is Border.CONSTANT and not (0 <= sy < h and 0 <= sx < w):
                out[y, x] = fill
            else:
                out[y, x] = img[reference_index(sy, h, mode), reference_index(sx, w, mode)]
    return out


# ------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("mode", list(Border))
@pytest.mark.parametrize("padding,sides", [(2, (2, 2, 2, 2)), ((1, 3), (1, 3, 1, 3)),
                                           ((0, 1, 2, 3), (0, 1, 2, 3))])
def test_pad_matches_per_pixel_reference(mode, padding, sides):
    img = images(1, 5, 6, 3)[0]
    got = vision.Pad(padding, fill_value=(9, 8, 7), padding_mode=mode)(img)
    np.testing.assert_array_equal(got, reference_pad(img, *sides, (9, 8, 7), mode))
    grey = img[..., 0]
    np.testing.assert_array_equal(vision.Pad(padding, 5, mode)(grey),
                                  reference_pad(grey[..., None], *sides, 5, mode)[..., 0])


def test_one_hot_dtype_smoothing_and_batches():
    labels = np.array([3, 0, 4, 1], np.int64)
    out = transforms.OneHot(5)(labels)
    assert out.dtype == np.int64 and out.shape == (4, 5)
    for row, label in zip(out, labels):
        assert row.tolist() == [1 if j == label else 0 for j in range(5)]
    smooth = transforms.OneHot(5, smoothing_rate=0.1)(np.int32(2))
    np.testing.assert_allclose(smooth, [0.02, 0.02, 0.92, 0.02, 0.02], rtol=1e-6)
    data = ds.NumpySlicesDataset({"label": labels.astype(np.int32)}, shuffle=False)
    rows = [r[0] for r in data.map(transforms.OneHot(5), "label")
            .batch(2).create_tuple_iterator(output_numpy=True)]
    np.testing.assert_array_equal(np.concatenate(rows), out.astype(np.int32))
    assert rows[0].dtype == np.int32
    with pytest.raises(RuntimeError, match="int type"):
        transforms.OneHot(5)(np.array([0.5]))
    with pytest.raises(RuntimeError, match=r"\[0, 5\)"):
        transforms.OneHot(5)(np.array([5]))
    with pytest.raises(ValueError, match="smoothing_rate"):
        transforms.OneHot(5, smoothing_rate=1.5)
    with pytest.raises(TypeError, match="num_classes"):
        transforms.OneHot(5.0)


def test_to_tensor_is_chw_over_255():
    img = images(1, 3, 4, 3)[0]
    out = vision.ToTensor()(img)
    assert out.shape == (3, 3, 4) and out.dtype == np.float32
    for c in range(3):
        for y in range(3):
            for x in range(4):
                assert out[c, y, x] == np.float32(img[y, x, c]) / np.float32(255)
    assert vision.ToTensor(np.float64)(img[..., 0]).shape == (1, 3, 4)
    with pytest.raises(TypeError, match="float"):
        vision.ToTensor(np.int32)


def test_compose_equals_applying_in_turn():
    img = images(1, 6, 6, 1)[0]
    ops = [vision.Pad(1), vision.ToTensor(), vision.Normalize([0.5], [0.25], is_hwc=False)]
    expected = img
    for op in ops:
        expected = op(expected)
    np.testing.assert_array_equal(transforms.Compose(ops)(img), expected)
    data = ds.NumpySlicesDataset({"image": images(4, 6, 6, 1)}, shuffle=False)
    piped = data.map(transforms.Compose(ops + [lambda x: x * 2]), "image")
    for row, original in zip(piped.create_tuple_iterator(output_numpy=True), images(4, 6, 6, 1)):
        np.testing.assert_array_equal(row[0], transforms.Compose(ops)(original) * 2)
    with pytest.raises(TypeError, match="non-empty list"):
        transforms.Compose([])


def _windows(padded, h, w):
    return {(t, l): padded[t:t + h, l:l + w] for t in range(padded.shape[0] - h + 1)
            for l in range(padded.shape[1] - w + 1)}


@pytest.mark.parametrize("workers", [1, 2])
def test_random_crop_outputs_are_windows_and_cover_all_offsets(workers):
    img = np.arange(5 * 6, dtype=np.uint8).reshape(5, 6, 1)   # distinct pixels: offset decodable
    padded = reference_pad(img, 2, 1, 2, 1, 0, Border.CONSTANT)
    windows = _windows(padded, 4, 5)
    ds.config.set_seed(3)
    data = ds.NumpySlicesDataset({"image": np.repeat(img[None], 600, 0)}, shuffle=False)
    crop = vision.RandomCrop((4, 5), padding=(2, 1))
    out = [r[0] for r in data.map(crop, "image", num_parallel_workers=workers)
           .create_tuple_iterator(output_numpy=True)]
    seen = set()
    for o in out:
        match = [k for k, v in windows.items() if np.array_equal(v, o)]
        assert len(match) == 1
        seen.add(match[0])
    assert seen == set(windows)     # 4 x 7 = 28 offsets, 600 draws
    eager = crop(img)               # direct call: one window too
    assert any(np.array_equal(v, eager) for v in windows.values())


def test_random_crop_pad_if_needed_and_errors():
    img = images(1, 3, 3, 1)[0]
    out = vision.RandomCrop(5, pad_if_needed=True, padding_mode=Border.EDGE)(img)
    assert out.shape == (5, 5, 1)
    assert any(np.array_equal(v, out) for v in
               _windows(reference_pad(img, 2, 2, 2, 2, 0, Border.EDGE), 5, 5).values())
    with pytest.raises(RuntimeError, match="larger than"):
        vision.RandomCrop(5)(img)
    with pytest.raises(TypeError, match="padding"):
        vision.RandomCrop(2, padding=(1, 2, 3))
    with pytest.raises(TypeError, match="padding_mode"):
        vision.Pad(1, padding_mode="edge")


def test_random_horizontal_flip_probability():
    img = images(1, 4, 5, 1)[0]
    assert np.array_equal(vision.RandomHorizontalFlip(1.0)(img), img[:, ::-1])
    assert np.array_equal(vision.RandomHorizontalFlip(0.0)(img), img)
    ds.config.set_seed(5)
    data = ds.NumpySlicesDataset({"image": np.repeat(img[None], 2000, 0)}, shuffle=False)
    flips = 0
    for row in data.map(vision.RandomHorizontalFlip(0.3), "image") \
            .create_tuple_iterator(output_numpy=True):
        flipped = np.array_equal(row[0], img[:, ::-1])
        assert flipped or np.array_equal(row[0], img)
        flips += flipped
    assert abs(flips - 600) < 5 * np.sqrt(2000 * 0.3 * 0.7)   # binomial(2000, 0.3), 5 sigma
    with pytest.raises(ValueError, match="prob"):
        vision.RandomHorizontalFlip(1.5)


def _augmented(seed, workers, processes=False, n=300):
    ds.config.set_seed(seed)
    data = ds.NumpySlicesDataset({"image": images(n, 8, 8, 1), "label": np.arange(n)},
                                 shuffle=True)
    data = data.map([vision.RandomCrop(6, padding=1), vision.RandomHorizontalFlip()], "image",
                    num_parallel_workers=workers, python_multiprocessing=processes)
    data = data.map([lambda x: x.astype(np.int32) + 1], "image", num_parallel_workers=workers)
    return [tuple(r) for r in data.batch(16).create_tuple_iterator(output_numpy=True)]


def test_parallel_map_keeps_order_and_seeded_randomness():
    serial = _augmented(11, 1)
    for workers, processes in ((2, False), (3, False), (2, True)):
        parallel = _augmented(11, workers, processes)
        assert len(parallel) == len(serial)
        for (a_img, a_lab), (b_img, b_lab) in zip(serial, parallel):
            np.testing.assert_array_equal(a_lab, b_lab)
            np.testing.assert_array_equal(a_img, b_img)
    other = _augmented(12, 2)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(serial, other))


def test_parallel_generator_keeps_order_and_zero_d_scalars():
    class Source:
        def __getitem__(self, i):
            return np.full((2, 2), i, np.float32), np.int32(i)

        def __len__(self):
            return 200

    ds.config.set_seed(4)
    serial = [r for r in ds.GeneratorDataset(Source(), ["x", "y"])
              .create_tuple_iterator(output_numpy=True)]
    ds.config.set_seed(4)
    parallel = ds.GeneratorDataset(Source(), ["x", "y"], num_parallel_workers=3)
    rows = list(parallel.create_tuple_iterator())
    assert [int(r[1].asnumpy()) for r in rows] == [int(r[1]) for r in serial]
    assert sorted(int(r[1]) for r in serial) == list(range(200))
    assert rows[0][1].shape == () and serial[0][1].shape == ()
    assert rows[0][1].dtype == ms.int32
    batch = next(iter(parallel.batch(8).create_tuple_iterator()))
    assert batch[1].shape == (8,) and batch[0].shape == (8, 2, 2)


def test_map_worker_errors_reach_the_caller():
    data = ds.NumpySlicesDataset({"image": images(200)}, shuffle=False)
    bad = data.map([vision.RandomCrop(50)], "image", num_parallel_workers=2)
    with pytest.raises(RuntimeError, match="larger than"):
        list(bad.create_tuple_iterator())
    with pytest.raises(TypeError, match="python_multiprocessing"):
        data.map([vision.ToTensor()], "image", python_multiprocessing="yes")


def test_workers_run_on_threads_and_config_sets_the_default():
    import threading
    seen = set()

    def record(x):
        seen.add(threading.current_thread().name.split("_")[0])
        return x
    data = ds.NumpySlicesDataset({"image": images(300)}, shuffle=False)
    list(data.map([record], "image").create_tuple_iterator())
    assert seen == {"MainThread"}
    ds.config.set_num_parallel_workers(2)
    try:
        seen.clear()
        list(data.map([record], "image").create_tuple_iterator())
        assert seen == {"minispore-dataset"}
    finally:
        ds.config.set_num_parallel_workers(1)
