"""Train the small ResNet on Fashion-MNIST (or the bundled MNIST sample) with minispore.

    python models/resnet/train.py                          # 5 epochs, Fashion-MNIST if present
    python models/resnet/train.py --data datasets/mnist_5k --epochs 2
    python models/resnet/train.py --resume runs/resnet/resnet-2_937.ckpt --epochs 5

``ResNetSmall`` (BatchNorm, residual adds, strided convs, global average pool),
``SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')``, ``Momentum(lr, 0.9)`` and
``Model.train`` with ``ModelCheckpoint`` (one checkpoint per epoch holding the weights, the
BatchNorm moving statistics, the optimizer moments and ``epoch_num`` / ``step_num``) and a
test-accuracy line after every epoch. Same seed and data give the same final checkpoint, byte for
byte; a run resumed from epoch k's checkpoint alone ends with the same bytes as an uninterrupted
one (the pipeline is restarted at that epoch with ``set_init_step``).
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import minispore as ms                                                  # noqa: E402
import minispore.nn as nn                                               # noqa: E402
from minispore import Model, load_checkpoint, load_param_into_net       # noqa: E402
from minispore.train.callback import (CheckpointConfig, EpochReport,    # noqa: E402
                                      LossMonitor, ModelCheckpoint, ProgressBar,
                                      TrainingCurves)

import resnet_data as _data                                             # noqa: E402
from resnet import ResNetSmall                                          # noqa: E402

PREFIX = "resnet"


class UsageError(Exception):
    """A problem with the command line or its files: one line, exit status 2."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="train.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", metavar="DIR", help="folder with train/ and test/ IDX files. "
                   "Default: ../shared/datasets/fashion-mnist, else datasets/mnist_5k.")
    p.add_argument("--epochs", type=int, default=5, help="train until this epoch. Default: 5.")
    p.add_argument("--batch-size", type=int, default=64, help="Default: 64.")
    p.add_argument("--lr", type=float, default=0.05, help="Momentum learning rate. Default: 0.05.")
    p.add_argument("--momentum", type=float, default=0.9, help="Default: 0.9.")
    p.add_argument("--width", type=int, default=16, help="channels of the first stage. "
                   "Default: 16.")
    p.add_argument("--train-images", type=int, default=None, metavar="N",
                   help="use only N training images per epoch (a shuffled subset). Default: all.")
    p.add_argument("--no-augment", action="store_true",
                   help="no random crops / flips (only ToTensor + Normalize).")
    p.add_argument("--workers", type=int, default=1,
                   help="num_parallel_workers of the augmentation map. Default: 1.")
    p.add_argument("--seed", type=int, default=1, help="weights and data order. Default: 1.")
    p.add_argument("--ckpt-dir", default=os.path.join(".", "runs", "resnet"), metavar="DIR",
                   help="checkpoints go here. Default: ./runs/resnet.")
    p.add_argument("--keep-max", type=int, default=5, help="checkpoints kept. Default: 5.")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint of this script.")
    p.add_argument("--no-plot", action="store_true",
                   help="do not draw <ckpt-dir>/resnet_metrics.png (loss / accuracy curves; "
                        "needs matplotlib)")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "width", "keep_max", "workers"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.train_images is not None and args.train_images < args.batch_size:
        p.error("--train-images must be at least --batch-size")
    return args


def restore(train_net, path, epochs):
    """Load ``path`` into the train network; return the epochs it had finished."""
    if not os.path.isfile(path):
        raise UsageError(f"--resume {path}: no such file")
    try:
        params = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as e:
        raise UsageError(f"--resume {path}: not a readable checkpoint ({e})") from None
    done = params.pop("epoch_num", None)
    params.pop("step_num", None)
    try:
        not_loaded, _ = load_param_into_net(train_net, params)
    except (RuntimeError, ValueError) as e:     # shapes of another --width
        first = str(e).strip().splitlines()[-1].strip(" -")
        raise UsageError(f"--resume {path}: not a checkpoint of this ResNet ({first[:160]})") \
            from None
    if not_loaded:
        raise UsageError(f"--resume {path}: not a checkpoint of this ResNet (missing "
                         f"{', '.join(not_loaded[:5])}{' ...' if len(not_loaded) > 5 else ''})")
    if done is None:
        raise UsageError(f"--resume {path}: no epoch_num entry (not written by this script)")
    done = int(done.asnumpy())
    if done >= epochs:
        raise UsageError(f"--resume {path}: it already finished epoch {done}; pass --epochs "
                         f"larger than {done}")
    return done


def run(args):
    """Train as ``args`` says; returns the final accuracy, checkpoint path and per-epoch rows."""
    train_dir, test_dir, described = _data.resolve(args.data)
    print(f"Data: {described}", flush=True)
    ms.set_seed(args.seed)
    network = ResNetSmall(width=args.width)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Momentum(network.trainable_params(), learning_rate=args.lr,
                            momentum=args.momentum)
    model = Model(network, loss, optimizer, metrics={"accuracy"})
    train_data = _data.create_dataset(train_dir, args.batch_size, True, not args.no_augment,
                                      args.train_images, args.workers)
    test_data = _data.create_dataset(test_dir, 256, training=False)
    steps = train_data.get_dataset_size()
    initial_epoch = 0
    if args.resume:
        initial_epoch = restore(model.train_network, args.resume, args.epochs)
        train_data.set_init_step(initial_epoch * steps)
        print(f"Resuming from {args.resume} after epoch {initial_epoch}", flush=True)
    print(f"ResNetSmall(width={args.width}): {steps} steps of {args.batch_size} per epoch, "
          f"epochs {initial_epoch + 1}..{args.epochs}, Momentum(lr={args.lr}, "
          f"momentum={args.momentum}), seed {args.seed}", flush=True)
    config = CheckpointConfig(save_checkpoint_steps=steps, keep_checkpoint_max=args.keep_max,
                              append_info=["epoch_num", "step_num",
                                           {"step_num": initial_epoch * steps}])
    checkpoint = ModelCheckpoint(prefix=PREFIX, directory=args.ckpt_dir, config=config)
    log_path = os.path.join(checkpoint.directory, f"{checkpoint.prefix}_metrics.jsonl")
    progress = ProgressBar(args.batch_size, live=False)
    report = EpochReport(model, test_data, progress, log_path,
                         ckpt_name=lambda e, s: f"{checkpoint.prefix}-{e}_{s}.ckpt")
    callbacks = [checkpoint, LossMonitor(0), progress, report]
    if not args.no_plot:
        callbacks.append(TrainingCurves(os.path.splitext(log_path)[0] + ".png",
                                        metrics_log=log_path,
                                        title=f"ResNetSmall(width={args.width}), batch "
                                              f"{args.batch_size}, Momentum({args.lr}, "
                                              f"{args.momentum}), seed {args.seed}"))
    start = time.perf_counter()
    model.train(args.epochs, train_data, callbacks=callbacks, initial_epoch=initial_epoch)
    final = report.rows[-1]["test_accuracy"]
    print(f"Final test accuracy {100 * final:.2f}% after epoch {args.epochs}; "
          f"{time.perf_counter() - start:.1f} s; checkpoint {checkpoint.latest_ckpt_file_name}")
    return {"accuracy": final, "checkpoint": checkpoint.latest_ckpt_file_name,
            "rows": report.rows}


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except (UsageError, _data.DataError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
