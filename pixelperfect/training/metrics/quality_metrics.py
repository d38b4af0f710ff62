"""evaluate module: accuracy, F1 (bad is the positive class) and calibration of a good/bad classifier."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """Scores a binary good/bad photo-quality classifier from its probabilities of "bad":
accuracy and F1 at a threshold, and the expected calibration error (ECE) over equal-width bins."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: probability that each photo is bad (floats in 0..1).
    references: true labels, 0 good and 1 bad.
    threshold: probability above which a photo is called bad (default 0.5).
    bins: number of bins for the calibration error (default 15).
Returns:
    accuracy, f1, precision, recall, ece.
"""


def expected_calibration_error(confidence, correct, bins=15):
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class QualityMetrics(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("float32"),
                                        "references": datasets.Value("int32")}))

    def _compute(self, predictions, references, threshold=0.5, bins=15):
        p_bad = np.asarray(predictions, dtype=np.float64)
        truth = np.asarray(references) == 1
        called_bad = p_bad >= threshold
        tp = float((called_bad & truth).sum())
        precision = tp / max(called_bad.sum(), 1)
        recall = tp / max(truth.sum(), 1)
        confidence = np.where(called_bad, p_bad, 1 - p_bad)
        return {
            "accuracy": float((called_bad == truth).mean()),
            "f1": float(2 * precision * recall / max(precision + recall, 1e-12)),
            "precision": float(precision),
            "recall": float(recall),
            "ece": expected_calibration_error(confidence, (called_bad == truth).astype(float), bins),
        }
