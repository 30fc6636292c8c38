"""Evaluation metrics (``mindspore.train`` / ``mindspore.nn`` metrics) and the name registry
``Model(metrics={'acc', 'loss'})`` uses.

A metric accumulates over batches: ``clear()`` resets it, ``update(*inputs)`` adds one batch
(Tensors, numpy arrays or lists), ``eval()`` returns the value so far. Values are numpy values,
as in MindSpore: ``Accuracy`` gives ``np.float64``, ``Loss`` gives the dtype of the losses
(``np.float32`` for a float32 loss), Precision/Recall/Fbeta give per-class float64 arrays.
"""
from ._base import EvaluationBase, Metric, rearrange_inputs
from ._registry import get_metric_fn, get_metrics, names
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix
from .error import MAE, MSE
from .fbeta import F1, Fbeta
from .loss import Loss
from .precision_recall import Precision, Recall
from .topk import Top1CategoricalAccuracy, Top5CategoricalAccuracy, TopKCategoricalAccuracy

__all__ = ["Metric", "EvaluationBase", "rearrange_inputs", "Accuracy", "Loss", "Precision",
           "Recall", "Fbeta", "F1", "MAE", "MSE", "TopKCategoricalAccuracy",
           "Top1CategoricalAccuracy", "Top5CategoricalAccuracy", "ConfusionMatrix",
           "get_metric_fn", "get_metrics", "names"]
