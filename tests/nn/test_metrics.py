"""Metrics against naive per-sample Python references and MindSpore's documented examples."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, train

SCORES = np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]])
LABELS = np.array([1, 0, 1])


def _batches(rng, n_batches=3, n=17, c=4):
    for _ in range(n_batches):
        yield rng.standard_normal((n, c)), rng.integers(0, c, n)


def _counts(pairs, c):
    """Naive per-class TP / predicted / actual counts by looping over samples."""
    tp, pred, actual = [0] * c, [0] * c, [0] * c
    for scores, label in pairs:
        p = max(range(c), key=lambda j: (scores[j], -j))
        pred[p] += 1
        actual[label] += 1
        tp[p] += p == label
    return np.array(tp, float), np.array(pred, float), np.array(actual, float)


def test_documented_examples():
    """The outputs printed in MindSpore's docstrings for the same inputs."""
    for metric, expected in ((nn.Precision(), [0.5, 1.0]), (nn.Recall(), [1.0, 0.5]),
                             (nn.F1(), [2 / 3, 2 / 3]), (nn.Fbeta(1), [2 / 3, 2 / 3])):
        metric.update(Tensor(SCORES), Tensor(LABELS))
        np.testing.assert_allclose(metric.eval(), expected)
    mae = nn.MAE()
    mae.update(Tensor(np.array([0.1, 0.2, 0.6, 0.9], np.float32)),
               Tensor(np.array([0.1, 0.25, 0.7, 0.9], np.float32)))
    assert mae.eval() == 0.037499990314245224
    mse = nn.MSE()
    mse.update(Tensor(np.array([0.1, 0.2, 0.6, 0.9], np.float32)),
               Tensor(np.array([0.1, 0.25, 0.5, 0.9], np.float32)))
    assert mse.eval() == 0.0031250009778887033
    x = np.array([[0.2, 0.5, 0.3, 0.6, 0.2], [0.1, 0.35, 0.5, 0.2, 0.],
                  [0.9, 0.6, 0.2, 0.01, 0.3]], np.float32)
    y = np.array([2, 0, 1], np.float32)
    assert nn.Top1CategoricalAccuracy()(x, y) == 0.0
    assert nn.TopKCategoricalAccuracy(3)(x, y) == pytest.approx(2 / 3)
    assert nn.Top5CategoricalAccuracy()(x, y) == 1.0
    cm = nn.ConfusionMatrix(num_classes=2)
    cm.update(Tensor(np.array([1, 0, 1, 0])), Tensor(np.array([1, 0, 0, 1])))
    np.testing.assert_array_equal(cm.eval(), [[1, 1], [1, 1]])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_topk_matches_naive_ranking_over_batches(k):
    rng = np.random.default_rng(k)
    metric = nn.TopKCategoricalAccuracy(k)
    hits = total = 0
    for scores, labels in _batches(rng):
        metric.update(Tensor(scores.astype(np.float32)), labels)
        for s, lab in zip(scores.astype(np.float32), labels):
            higher = sum(1 for v in s if v > s[lab])   # classes ranked strictly above the label
            hits += higher < k
            total += 1
    assert metric.eval() == pytest.approx(hits / total)
    assert isinstance(metric.eval(), np.float64)


def test_precision_recall_fbeta_classification_match_naive_counts():
    rng = np.random.default_rng(0)
    batches = list(_batches(rng))
    pairs = [(s, int(lab)) for scores, labels in batches for s, lab in zip(scores, labels)]
    tp, pred, actual = _counts(pairs, 4)
    precision, recall = nn.Precision(), nn.Recall()
    fbeta, f1 = nn.Fbeta(0.5), nn.F1()
    for scores, labels in batches:
        one_hot = np.eye(4)[labels]   # one-hot labels are accepted too
        for metric in (precision, recall, fbeta, f1):
            metric.update(scores, one_hot if metric is recall else labels)
    p, r = tp / pred, tp / actual
    np.testing.assert_allclose(precision.eval(), p)
    np.testing.assert_allclose(recall.eval(), r)
    np.testing.assert_allclose(f1.eval(), 2 * p * r / (p + r))
    np.testing.assert_allclose(fbeta.eval(), 1.25 * p * r / (0.25 * p + r))
    assert precision.eval(average=True) == pytest.approx(p.mean())
    assert f1.eval(True) == pytest.approx((2 * p * r / (p + r)).mean())


def test_multilabel_precision_recall_are_per_sample():
    y_pred = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    y = np.array([[1, 1, 0], [0, 1, 0], [1, 1, 1]])
    precision, recall = nn.Precision("multilabel"), nn.Recall("multilabel")
    for metric in (precision, recall):
        metric.update(y_pred[:2], y[:2])
        metric.update(y_pred[2:], y[2:])
    # sample 0: TP 1 of 2 predicted, 2 actual; sample 1: none predicted; sample 2: 2/2, 2/3
    np.testing.assert_allclose(precision.eval(), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(recall.eval(), [0.5, 0.0, 2 / 3])
    assert recall.eval(average=True) == pytest.approx((0.5 + 2 / 3) / 3)
    with pytest.raises(ValueError, match="0 or 1"):
        nn.Precision("multilabel").update(np.array([[0.3, 1]]), np.array([[0, 1]]))


def test_class_without_predictions_scores_zero_not_nan():
    metric = nn.Precision()
    metric.update(np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0]]), np.array([0, 2]))
    np.testing.assert_allclose(metric.eval(), [0.5, 0.0, 0.0])


def test_mae_mse_divide_by_samples_not_elements():
    rng = np.random.default_rng(1)
    mae, mse = nn.MAE(), nn.MSE()
    abs_sum = sq_sum = n = 0.0
    for _ in range(3):
        pred, true = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        mae.update(pred, true)
        mse.update(Tensor(pred), list(true.tolist()))
        for a, b in zip(pred.ravel(), true.ravel()):
            abs_sum += abs(a - b)
            sq_sum += (a - b) ** 2
        n += 5
    assert mae.eval() == pytest.approx(abs_sum / n)
    assert mse.eval() == pytest.approx(sq_sum / n)


@pytest.mark.parametrize("normalize", ["no_norm", "target", "prediction", "all"])
def test_confusion_matrix_matches_naive_counts(normalize):
    rng = np.random.default_rng(2)
    scores, labels = rng.standard_normal((40, 3)), rng.integers(0, 3, 40)
    labels[labels == 2] = 1    # class 2 never true: its 'target' row is empty -> 0
    metric = nn.ConfusionMatrix(3, normalize=normalize)
    metric.update(scores[:25], labels[:25])
    metric.update(scores[25:], labels[25:])
    counts = np.zeros((3, 3))
    for s, lab in zip(scores, labels):
        counts[lab, int(np.argmax(s))] += 1
    if normalize == "target":
        sums = counts.sum(axis=1, keepdims=True)
        counts = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
    elif normalize == "prediction":
        sums = counts.sum(axis=0, keepdims=True)
        counts = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
    elif normalize == "all":
        counts /= counts.sum()
    np.testing.assert_allclose(metric.eval(), counts)


def test_confusion_matrix_threshold_on_binary_scores():
    metric = nn.ConfusionMatrix(2, threshold=0.7)
    metric.update(np.array([0.9, 0.69, 0.7, 0.1]), np.array([1, 1, 0, 0]))
    np.testing.assert_array_equal(metric.eval(), [[1, 1], [1, 1]])


def test_set_indexes_selects_inputs():
    metric = nn.Precision().set_indexes([2, 0])
    metric.update(Tensor(LABELS), "ignored", Tensor(SCORES))
    np.testing.assert_allclose(metric.eval(), [0.5, 1.0])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="'k'"):
        nn.TopKCategoricalAccuracy(2.0)
    with pytest.raises(ValueError, match="'k' must be at least 1"):
        nn.TopKCategoricalAccuracy(0)
    with pytest.raises(ValueError, match="'beta'"):
        nn.Fbeta(0)
    with pytest.raises(ValueError, match="'eval_type'"):
        nn.Recall("binary")
    with pytest.raises(ValueError, match="'normalize'"):
        nn.ConfusionMatrix(2, normalize="rows")
    with pytest.raises(TypeError, match="'threshold'"):
        nn.ConfusionMatrix(2, threshold=1)
    with pytest.raises(RuntimeError, match="number of samples is 0"):
        nn.Precision().eval()
    with pytest.raises(RuntimeError, match="update"):
        nn.ConfusionMatrix(2).eval()
    with pytest.raises(ValueError, match="2 inputs"):
        nn.MAE().update(np.zeros(3))
    with pytest.raises(ValueError, match=r"class indexes in \[0, 2\)"):
        nn.Precision().update(SCORES, np.array([1, 0, 2]))
    precision = nn.Precision()
    precision.update(SCORES, LABELS)
    with pytest.raises(ValueError, match="class number not match"):
        precision.update(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        nn.Top1CategoricalAccuracy().update(SCORES, np.array([0, 1]))
    with pytest.raises(TypeError, match="'average' must be bool"):
        precision.eval(average=1)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        nn.ConfusionMatrix(2).update(np.array([0, 1]), np.array([0, 5]))


def test_names_and_model_metrics_by_name():
    assert {"precision", "recall", "F1", "mae", "mse", "top_1_accuracy", "top_5_accuracy",
            "topk", "confusion_matrix", "acc", "loss"} <= set(nn.metrics.names())
    assert isinstance(nn.get_metric_fn("topk", 3), nn.TopKCategoricalAccuracy)
    assert train.Precision is nn.Precision
    ms.set_seed(0)
    net = nn.Dense(4, 3)
    x = np.random.default_rng(0).standard_normal((12, 4)).astype(np.float32)
    y = (np.arange(12) % 3).astype(np.int32)
    data = ms.dataset.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(4)
    model = ms.Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                     metrics={"top_1_accuracy", "acc", "precision"})
    result = model.eval(data)
    logits = net(Tensor(x)).asnumpy()
    assert result["top_1_accuracy"] == result["acc"] == np.mean(logits.argmax(1) == y)
    tp, pred, _ = _counts([(s, int(lab)) for s, lab in zip(logits, y)], 3)
    np.testing.assert_allclose(result["precision"], tp / np.maximum(pred, 1e-300))
