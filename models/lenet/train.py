"""Train LeNet5 on MNIST with minispore, the way the checkpoint guide does it.

    python models/lenet/train.py                      # bundled 4,000-digit sample, 10 epochs
    python models/lenet/train.py --data datasets/MNIST_Data --epochs 1
    python models/lenet/train.py --resume runs/lenet/lenet-3_125.ckpt --epochs 10

The network, loss, optimizer and pipeline are the guide's: ``LeNet5``,
``SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')``, ``Momentum(0.01, 0.9)``,
``create_dataset`` (resize 32x32, standardise, shuffle, batch 32). ``Model.train`` runs the epochs
with ``ModelCheckpoint`` (one checkpoint per epoch, the whole train network plus ``epoch_num`` /
``step_num`` so that ``--resume`` can continue), ``LossMonitor`` (stops on NaN/Inf), a live
progress line and a test-accuracy report after each epoch. The metrics go to
``<ckpt-dir>/<prefix>_metrics.jsonl``; ``TrainingCurves`` redraws ``<prefix>_metrics.png`` from
it after every epoch when matplotlib is installed (``--no-plot`` turns it off).

Same seed and same data give the same final checkpoint, byte for byte; a run resumed from
epoch k's checkpoint ends with the same bytes as an uninterrupted one.

Data-parallel: ``mpiexec -n 2 python models/lenet/train.py`` (needs ``pip install
'minispore[dist]'``). The script calls ``communication.init()``; with more than one rank it
trains in ``ParallelMode.DATA_PARALLEL`` with ``gradients_mean=True``, each rank reading its
shard of the training and test images; ``--batch-size`` is per rank (a step uses
ranks x batch images). Rank 0 alone prints, writes the checkpoints, the metrics log and the plot.
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
from minispore.communication import get_group_size, get_rank, init      # noqa: E402
from minispore.train.callback import (CheckpointConfig, EpochReport,    # noqa: E402
                                      LossMonitor, ModelCheckpoint, ProgressBar,
                                      TrainingCurves)
from minispore.train.callback._progress import fmt_time                 # noqa: E402

import _data                                                            # noqa: E402
from dataset_process import create_dataset                              # noqa: E402
from lenet import LeNet5                                                # noqa: E402

PREFIX = "lenet"


class UsageError(Exception):
    """A problem with the command line or its files: printed as one line, exit status 2."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="train.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Output: one checkpoint per epoch <ckpt-dir>/lenet-<epoch>_<steps>.ckpt (the "
               "newest --keep-max are kept), the metrics log <ckpt-dir>/lenet_metrics.jsonl and, "
               "with matplotlib, lenet_metrics.png. If the folder already holds lenet-*.ckpt "
               "files, the prefix becomes lenet_1, lenet_2, ... (MindSpore's rule), so earlier "
               "runs are never overwritten.")
    p.add_argument("--data", metavar="DIR",
                   help="MNIST-format folder with train/ and test/ subfolders holding the IDX "
                        "files (plain or .gz). Default: datasets/MNIST_Data when present, else "
                        "the bundled 4,000/1,000-digit sample datasets/mnist_5k.")
    p.add_argument("--epochs", type=int, default=10,
                   help="train until this epoch (with --resume: the total, counting the epochs "
                        "already done). Default: 10.")
    p.add_argument("--batch-size", type=int, default=32, help="images per step. Default: 32.")
    p.add_argument("--lr", type=float, default=0.01,
                   help="Momentum learning rate (with --resume the checkpoint's value is used). "
                        "Default: 0.01.")
    p.add_argument("--momentum", type=float, default=0.9,
                   help="Momentum coefficient (with --resume the checkpoint's value is used). "
                        "Default: 0.9.")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the initial weights and the shuffling order. Default: 1.")
    p.add_argument("--ckpt-dir", default=os.path.join(".", "runs", "lenet"), metavar="DIR",
                   help="where checkpoints and the metrics log go. Default: ./runs/lenet.")
    p.add_argument("--resume", metavar="CKPT",
                   help="continue from a checkpoint written by this script: restores the weights, "
                        "the optimizer moments, learning rate and momentum, and the epoch "
                        "(its epoch_num entry); training goes on until --epochs.")
    p.add_argument("--async-save", action="store_true",
                   help="write checkpoints in a background thread (CheckpointConfig(async_save="
                        "True)); the values are still taken at the end of the epoch.")
    p.add_argument("--keep-max", type=int, default=5, metavar="N",
                   help="keep only the newest N checkpoints of this run. Default: 5.")
    p.add_argument("--loss-every", type=int, default=0, metavar="N",
                   help="also print MindSpore's LossMonitor line 'epoch: E step: S, loss is L' "
                        "every N steps (the progress line then prints plain lines). Default: 0, "
                        "off (LossMonitor still stops training on a NaN/Inf loss).")
    p.add_argument("--plain", action="store_true",
                   help="print progress as plain lines even on a terminal.")
    p.add_argument("--no-plot", action="store_true",
                   help="do not draw <ckpt-dir>/<prefix>_metrics.png (the loss / accuracy curves "
                        "redrawn after every epoch; needs matplotlib).")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "keep_max"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.seed < 0 or args.loss_every < 0:
        p.error("--seed and --loss-every must be >= 0")
    return args


def restore(train_net, path, epochs):
    """Load ``path`` into the train network; return the number of epochs it had finished."""
    if not os.path.isfile(path):
        raise UsageError(f"--resume {path}: no such file")
    try:
        params = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as e:
        raise UsageError(f"--resume {path}: not a readable checkpoint ({e})") from None
    done = params.pop("epoch_num", None)
    params.pop("step_num", None)
    not_loaded, _ = load_param_into_net(train_net, params)
    weights = [n for n in not_loaded if not n.startswith("moments.") and
               n not in ("global_step", "learning_rate", "momentum")]
    if weights:
        raise UsageError(f"--resume {path}: not a LeNet5 checkpoint (missing {', '.join(weights)})")
    if not_loaded:
        print(f"note: {path} has no optimizer state ({', '.join(not_loaded)}); those start fresh")
    if done is None:
        print(f"note: {path} records no epoch_num; continuing as if 0 epochs were done")
        return 0
    done = int(done.asnumpy())
    if done >= epochs:
        raise UsageError(f"--resume {path}: that checkpoint already finished epoch {done}; "
                         f"pass --epochs larger than {done}")
    return done


def _show(path):
    """``path`` relative to the working directory when it is below it, else absolute."""
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel


def _join_ranks():
    """``(rank, ranks)``: under mpiexec the data-parallel job's, else ``(0, 1)``."""
    init()
    rank, ranks = get_rank(), get_group_size()
    if ranks > 1:
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                     gradients_mean=True)
    return rank, ranks


def run(args):
    """Train as ``args`` says; returns a dict with the final accuracy, checkpoint and wall time."""
    start = time.perf_counter()
    rank, ranks = _join_ranks()
    main_rank = rank == 0
    say = print if main_rank else (lambda *a, **k: None)
    train_dir, test_dir, described = _data.resolve(args.data)
    say(f"Data: {described}", flush=True)
    ms.set_seed(args.seed)

    network = LeNet5()
    net_loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    net_opt = nn.Momentum(network.trainable_params(), learning_rate=args.lr,
                          momentum=args.momentum)
    model = Model(network, net_loss, net_opt, metrics={"Accuracy": nn.Accuracy()})

    shard = {"num_shards": ranks, "shard_id": rank} if ranks > 1 else {}
    ds_train = create_dataset(train_dir, batch_size=args.batch_size, **shard)
    steps = ds_train.get_dataset_size()
    if steps < 1:
        raise UsageError(f"{train_dir} has fewer images than one batch of {args.batch_size}"
                         + (f" per rank ({ranks} ranks)" if ranks > 1 else ""))
    ds_test = _data.create_eval_dataset(test_dir, **shard)
    test_images = _data.count_images(test_dir, "test")
    train_images = _data.count_images(train_dir, "train")

    initial_epoch = 0
    if args.resume:
        initial_epoch = restore(model.train_network, args.resume, args.epochs)
        _data.set_pipeline_epoch(ds_train, initial_epoch)
        say(f"Resuming from {args.resume} after epoch {initial_epoch}", flush=True)
    per_step = f"{args.batch_size}" if ranks == 1 else \
        f"{ranks} ranks x {args.batch_size} = {ranks * args.batch_size}"
    say(f"LeNet5: {train_images:,} training images ({steps} steps of {per_step}), "
        f"{test_images:,} test images; epochs {initial_epoch + 1}..{args.epochs}, "
        f"Momentum(lr={args.lr}, momentum={args.momentum}), seed {args.seed}", flush=True)

    config = CheckpointConfig(save_checkpoint_steps=steps, keep_checkpoint_max=args.keep_max,
                              async_save=args.async_save,
                              append_info=["epoch_num", "step_num",
                                           {"step_num": initial_epoch * steps}])
    ckpoint = ModelCheckpoint(prefix=PREFIX, directory=args.ckpt_dir, config=config)
    prefix = ckpoint.prefix
    log_path = os.path.join(ckpoint.directory, f"{prefix}_metrics.jsonl")
    progress = ProgressBar(ranks * args.batch_size,
                           live=False if (args.plain or args.loss_every) else None)
    report = EpochReport(model, ds_test, progress, log_path, test_images=test_images,
                         ckpt_name=lambda e, s: f"{prefix}-{e}_{s}.ckpt")
    callbacks = [ckpoint, LossMonitor(args.loss_every), progress, report]
    curves = None
    if not args.no_plot:
        curves = TrainingCurves(os.path.splitext(log_path)[0] + ".png", metrics_log=log_path,
                                title=f"LeNet5 on {os.path.basename(os.path.dirname(train_dir))}: "
                                      f"{train_images:,} train / {test_images:,} test images, "
                                      f"batch {args.batch_size}, Momentum({args.lr}, "
                                      f"{args.momentum}), seed {args.seed}")
        callbacks.append(curves)
    model.train(args.epochs, ds_train, callbacks=callbacks, initial_epoch=initial_epoch)

    wall = time.perf_counter() - start
    png = curves.written if curves is not None else None
    final = report.rows[-1]["test_accuracy"]
    if not main_rank:
        return {"accuracy": final, "checkpoint": None, "log": None, "wall": wall,
                "rows": report.rows}
    ckpt_path = ckpoint.latest_ckpt_file_name
    print(f"Final test accuracy: {100 * final:.2f}% ({round(final * test_images)}/{test_images}) "
          f"after epoch {args.epochs}; wall time {fmt_time(wall)} ({wall:.1f} s)")
    print(f"Checkpoint: {_show(ckpt_path)}")
    print(f"Metrics log: {_show(log_path)}" + (f", plot: {_show(png)}" if png else ""))
    return {"accuracy": final, "checkpoint": ckpt_path, "log": log_path, "wall": wall,
            "rows": report.rows, "png": png, "curves": curves}


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except (UsageError, _data.DataError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\ninterrupted; the newest checkpoint in --ckpt-dir can be passed to --resume",
              file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
