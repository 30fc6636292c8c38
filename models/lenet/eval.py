"""Score a LeNet5 checkpoint on the test split and print its confusion matrix.

    python models/lenet/eval.py runs/lenet/lenet-10_125.ckpt
    python models/lenet/eval.py lenet-1_1875.ckpt --data /path/to/fashion-mnist

Any checkpoint holding LeNet5's eight weights works: the whole train network written by
``train.py`` / ``ModelCheckpoint`` (optimizer entries are ignored) or the network-only file of
``CheckpointConfig(saved_network=network)`` or ``save_checkpoint(network, ...)``.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from minispore import load_checkpoint, load_param_into_net             # noqa: E402

import _data                                                           # noqa: E402
from _report import confusion_matrix, format_confusion, predict_labels  # noqa: E402
from lenet import LeNet5                                               # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="eval.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", metavar="CKPT", help="the .ckpt file to score.")
    p.add_argument("--data", metavar="DIR",
                   help="MNIST-format folder with train/ and test/ subfolders (the test/ split "
                        "is scored). Default: datasets/MNIST_Data when present, else the bundled "
                        "sample datasets/mnist_5k.")
    p.add_argument("--batch-size", type=int, default=256,
                   help="images per forward pass (does not change the result). Default: 256.")
    return p.parse_args(argv)


def load_network(path):
    """A LeNet5 with the weights of ``path``; raises ValueError with one readable line."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        params = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as e:
        raise ValueError(f"{path}: not a readable checkpoint ({e})") from None
    network = LeNet5()
    not_loaded, _ = load_param_into_net(network, params)
    if not_loaded:
        raise ValueError(f"{path}: not a LeNet5 checkpoint (missing {', '.join(not_loaded)})")
    return network


def main(argv=None):
    args = parse_args(argv)
    try:
        _, test_dir, described = _data.resolve(args.data)
        network = load_network(args.ckpt)
    except (ValueError, _data.DataError) as e:
        print(f"eval.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"Data: {described}")
    start = time.perf_counter()
    true, pred = predict_labels(network, _data.create_eval_dataset(test_dir, args.batch_size))
    seconds = time.perf_counter() - start
    correct = int((true == pred).sum())
    matrix = confusion_matrix(true, pred)
    print(f"{args.ckpt}: test accuracy {100.0 * correct / len(true):.2f}% "
          f"({correct}/{len(true)}) in {seconds:.1f} s\n")
    print("Confusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(matrix))
    return {"accuracy": correct / len(true), "matrix": matrix}


if __name__ == "__main__":
    main()
