"""The tutorial's data pipeline (MindSpore quick start ``dataset_process.py``) on minispore.

Used as in the checkpoint guide, from this folder::

    from dataset_process import create_dataset
    ds_train = create_dataset("./datasets/MNIST_Data/train")

It keeps the 1.x ``c_transforms`` imports the guide's file has; minispore provides them as
aliases of ``minispore.dataset.vision`` / ``minispore.dataset.transforms``.
"""
import minispore.dataset as ds
import minispore.dataset.transforms.c_transforms as C
import minispore.dataset.vision.c_transforms as CV
from minispore.common import dtype as mstype
from minispore.dataset.vision import Inter


def create_dataset(data_path, batch_size=32, repeat_size=1, num_parallel_workers=1,
                   num_shards=None, shard_id=None):
    """MNIST from ``data_path`` as LeNet5 wants it: shuffled batches of
    image (batch_size, 1, 32, 32) float32, standardised, and label (batch_size,) int32.
    ``num_shards``/``shard_id`` (data-parallel training) read one of ``num_shards`` equal
    parts of the shuffled images."""
    # define dataset
    mnist_ds = ds.MnistDataset(data_path, num_shards=num_shards, shard_id=shard_id)

    resize_height, resize_width = 32, 32
    rescale = 1.0 / 255.0
    shift = 0.0
    rescale_nml = 1 / 0.3081
    shift_nml = -1 * 0.1307 / 0.3081

    # define map operations
    resize_op = CV.Resize((resize_height, resize_width), interpolation=Inter.LINEAR)
    rescale_nml_op = CV.Rescale(rescale_nml, shift_nml)  # standardise with MNIST mean/std
    rescale_op = CV.Rescale(rescale, shift)  # pixels to [0, 1]
    hwc2chw_op = CV.HWC2CHW()
    type_cast_op = C.TypeCast(mstype.int32)  # the loss wants int32 labels

    # apply map operations on images
    mnist_ds = mnist_ds.map(operations=type_cast_op, input_columns="label",
                            num_parallel_workers=num_parallel_workers)
    mnist_ds = mnist_ds.map(operations=[resize_op, rescale_op, rescale_nml_op, hwc2chw_op],
                            input_columns="image", num_parallel_workers=num_parallel_workers)

    # apply DatasetOps
    buffer_size = 10000
    mnist_ds = mnist_ds.shuffle(buffer_size=buffer_size)
    mnist_ds = mnist_ds.batch(batch_size, drop_remainder=True)
    mnist_ds = mnist_ds.repeat(repeat_size)

    return mnist_ds
