"""Score a ResNetSmall checkpoint on the test split: accuracy, per-class precision / recall and
the confusion matrix (minispore's metrics).

    python models/resnet/eval.py runs/resnet/resnet-5_937.ckpt
    python models/resnet/eval.py resnet-2_62.ckpt --data datasets/mnist_5k --width 8
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np                                                     # noqa: E402

import minispore.nn as nn                                              # noqa: E402
from minispore import Model, load_checkpoint, load_param_into_net      # noqa: E402

import resnet_data as _data                                             # noqa: E402
from resnet import ResNetSmall                                         # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="eval.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", metavar="CKPT", help="the .ckpt file to score.")
    p.add_argument("--data", metavar="DIR", help="folder with train/ and test/ IDX files "
                   "(test/ is scored). Default: as train.py.")
    p.add_argument("--width", type=int, default=16, help="the network's width. Default: 16.")
    p.add_argument("--batch-size", type=int, default=256, help="Default: 256.")
    return p.parse_args(argv)


def load_network(path, width):
    """A ResNetSmall with the weights and BatchNorm statistics of ``path``."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        params = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as e:
        raise ValueError(f"{path}: not a readable checkpoint ({e})") from None
    network = ResNetSmall(width=width)
    try:
        not_loaded, _ = load_param_into_net(network, params)
    except (RuntimeError, ValueError) as e:     # shapes of another width
        first = str(e).strip().splitlines()[-1].strip(" -")
        raise ValueError(f"{path}: not a ResNetSmall(width={width}) checkpoint ({first[:160]})") \
            from None
    if not_loaded:
        raise ValueError(f"{path}: not a ResNetSmall(width={width}) checkpoint (missing "
                         f"{', '.join(not_loaded[:5])})")
    return network


def main(argv=None):
    args = parse_args(argv)
    try:
        _, test_dir, described = _data.resolve(args.data)
        network = load_network(args.ckpt, args.width)
    except (ValueError, _data.DataError) as e:
        print(f"eval.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"Data: {described}")
    metrics = {"accuracy": nn.Accuracy(), "precision": nn.Precision(), "recall": nn.Recall(),
               "confusion": nn.ConfusionMatrix(10)}
    model = Model(network, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  metrics=metrics)
    start = time.perf_counter()
    result = model.eval(_data.create_dataset(test_dir, args.batch_size, training=False))
    matrix = result["confusion"].astype(np.int64)
    print(f"{args.ckpt}: test accuracy {100 * result['accuracy']:.2f}% "
          f"({int(np.trace(matrix))}/{int(matrix.sum())}) in {time.perf_counter() - start:.1f} s")
    print("class  precision  recall")
    for c, (p, r) in enumerate(zip(result["precision"], result["recall"])):
        print(f"{c:>5}  {100 * p:8.2f}%  {100 * r:6.2f}%")
    print("Confusion matrix (rows: true class, columns: predicted class)")
    for row in matrix:
        print(" ".join(f"{int(v):5d}" for v in row))
    return result


if __name__ == "__main__":
    main()
