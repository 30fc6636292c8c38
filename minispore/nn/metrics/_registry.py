"""The metric names ``Model(metrics={'acc', 'loss'})`` accepts (MindSpore's ``names()``)."""
from ._base import Metric
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix
from .error import MAE, MSE
from .fbeta import F1
from .loss import Loss
from .precision_recall import Precision, Recall
from .topk import Top1CategoricalAccuracy, Top5CategoricalAccuracy, TopKCategoricalAccuracy

__all__ = ["names", "get_metric_fn", "get_metrics"]

_FACTORY = {"accuracy": Accuracy, "acc": Accuracy, "precision": Precision, "recall": Recall,
            "F1": F1, "topk": TopKCategoricalAccuracy, "top_1_accuracy": Top1CategoricalAccuracy,
            "top_5_accuracy": Top5CategoricalAccuracy, "mae": MAE, "mse": MSE, "loss": Loss,
            "confusion_matrix": ConfusionMatrix}


def names():
    """The metric names accepted as strings, sorted."""
    return sorted(_FACTORY)


def get_metric_fn(name, *args, **kwargs):
    """A new metric object for a registered name (``'acc'``, ``'precision'``, ``'loss'``, ...);
    ``args``/``kwargs`` go to its constructor (``get_metric_fn('topk', 3)``)."""
    if name not in _FACTORY:
        raise KeyError(f"Unsupported metric {name}, the supported metrics are {names()}.")
    return _FACTORY[name](*args, **kwargs)


def get_metrics(metrics):
    """``None`` -> None; a set of names -> {name: new metric}; a dict name -> Metric as given."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        for name, metric in metrics.items():
            if not isinstance(name, str) or not isinstance(metric, Metric):
                raise TypeError(f"For 'Model', the 'metrics' dict must map str to Metric, but got "
                                f"{name!r}: {type(metric)}.")
        return dict(metrics)
    if isinstance(metrics, set):
        return {name: get_metric_fn(name) for name in sorted(metrics)}
    raise TypeError(f"For 'Model', the argument 'metrics' should be None, dict or set, but got "
                    f"{type(metrics)}.")
