"""Dataset.set_init_step: a resumed pipeline replays the epochs an uninterrupted run would see."""
import numpy as np
import pytest

import minispore.dataset as ds

ROWS, BATCH = 20, 3                    # 6 full batches per epoch (drop_remainder)


def _pipeline(kind):
    x = np.arange(ROWS, dtype=np.int32)
    if kind == "columnar":             # array source + shuffle: the vectorised path
        d = ds.NumpySlicesDataset({"x": x}, shuffle=True)
    elif kind == "rows":               # a Python map: the row-by-row path
        d = ds.NumpySlicesDataset({"x": x}, shuffle=True).map(lambda v: v * 10, ["x"])
    else:                              # generator source, buffer shuffle
        d = ds.GeneratorDataset(lambda: ((np.int32(i),) for i in range(ROWS)), ["x"],
                                shuffle=False).shuffle(7)
    return d.batch(BATCH, drop_remainder=True)


def _epoch(d):
    """One epoch the way Model.train reads it (a fresh one-epoch iterator)."""
    return [b[0].tolist() for b in d.create_tuple_iterator(num_epochs=1, output_numpy=True)]


def _uninterrupted(kind, epochs):
    ds.config.set_seed(5)
    d = _pipeline(kind)
    return [_epoch(d) for _ in range(epochs)]


@pytest.mark.parametrize("kind", ["columnar", "rows", "generator"])
def test_resume_at_an_epoch_boundary_continues_the_shuffle_sequence(kind):
    full = _uninterrupted(kind, 4)
    assert full[0] != full[2]          # epochs really differ, so the check means something
    ds.config.set_seed(5)
    d = _pipeline(kind)
    steps = d.get_dataset_size()
    assert steps == ROWS // BATCH
    assert d.set_init_step(2 * steps) is None
    assert [_epoch(d), _epoch(d)] == full[2:4]       # epochs 3 and 4, not 1 and 2


def test_a_step_inside_an_epoch_skips_that_many_batches():
    full = _uninterrupted("columnar", 3)
    ds.config.set_seed(5)
    d = _pipeline("columnar")
    d.set_init_step(d.get_dataset_size() + 2)        # epoch 2, after its 2nd batch
    assert _epoch(d) == full[1][2:]
    assert _epoch(d) == full[2]                      # then whole epochs again


def test_a_running_multi_epoch_iterator_and_zero():
    full = _uninterrupted("columnar", 3)
    ds.config.set_seed(5)
    d = _pipeline("columnar")
    it = d.create_tuple_iterator(num_epochs=3, output_numpy=True)
    first = [b[0].tolist() for b in it]
    d.set_init_step(0)                               # back to epoch 1 for the next epoch
    again = [b[0].tolist() for b in it]
    assert first == full[0] and again == full[0]


def test_set_init_step_errors():
    d = _pipeline("columnar")
    with pytest.raises(TypeError, match="init_step"):
        d.set_init_step(1.0)
    with pytest.raises(TypeError, match="init_step"):
        d.set_init_step(True)
    with pytest.raises(ValueError, match="init_step"):
        d.set_init_step(-1)
    endless = _pipeline("columnar").repeat()
    endless.set_init_step(0)
    with pytest.raises(ValueError, match="no end"):
        endless.set_init_step(5)
