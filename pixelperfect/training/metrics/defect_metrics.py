"""evaluate module: per-defect F1, macro- and micro-F1 and calibration of a multi-label defect classifier."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """Scores a multi-label defect classifier from its per-defect probabilities: F1 of every defect,
their macro and micro averages, exact-match accuracy, and the expected calibration error over all
(photo, defect) probabilities."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per photo, the probability of each defect (lists of floats in 0..1).
    references: per photo, the multi-hot truth (lists of 0/1).
    label_names: names of the defects, in column order (used to name the per-defect F1 keys).
    threshold: probability above which a defect is called present (default 0.5).
Returns:
    f1_<defect> for every defect, macro_f1, micro_f1, exact_match, ece.
"""


def _f1(called, truth):
    tp = float((called & truth).sum())
    return 2 * tp / max(float(called.sum() + truth.sum()), 1e-12)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DefectMetrics(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float32")),
                                        "references": datasets.Sequence(datasets.Value("int32"))}))

    def _compute(self, predictions, references, label_names=None, threshold=0.5, bins=15):
        probabilities = np.asarray(predictions, dtype=np.float64)
        truth = np.asarray(references) == 1
        called = probabilities >= threshold
        names = label_names or [str(i) for i in range(truth.shape[1])]
        per_defect = {f"f1_{name}": _f1(called[:, i], truth[:, i]) for i, name in enumerate(names)}
        confidence = np.where(called, probabilities, 1 - probabilities).ravel()
        correct = (called == truth).ravel().astype(float)
        edges = np.linspace(0, 1, bins + 1)
        index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
        ece = sum(abs(correct[index == b].mean() - confidence[index == b].mean()) * (index == b).mean()
                  for b in range(bins) if (index == b).any())
        return {**per_defect,
                "macro_f1": float(np.mean(list(per_defect.values()))),
                "micro_f1": _f1(called, truth),
                "exact_match": float((called == truth).all(axis=1).mean()),
                "ece": float(ece)}
