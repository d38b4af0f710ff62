"""Fit the expression model (`pixelperfect/expression.json`) on the UTKFace faces labelled by eye.

    python -m pixelperfect.training.expression [--labels benchmarks/labels/face_attributes.csv ...] [--shared ../shared]

Only the labels' UTKFace rows are used (the real photos stay held out for `benchmarks.checks`): each face's
`expression.expression_probabilities` (the classifier's seven, as logarithms) against whether its expression is not
neutral (a smile, laughter or another). The model is fitted as the glasses' is (`training.linear`: components, ridge
and threshold chosen by 5-fold cross-validation) and folded into one weight per expression.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..expression import EXPRESSION_FILE, EXPRESSIONS, expression_features, expression_probabilities
from .linear import fit_and_save, labelled_faces

COMPONENTS = (2, 4, 7)
RIDGES = (0.1, 1.0, 10.0)


def labelled_features(labels: list[Path], shared: Path) -> tuple[np.ndarray, np.ndarray]:
    """`expression.expression_features` and whether the expression is not neutral, for every UTKFace row with
    landmarks (the checks run only where they are read)."""
    faces = list(labelled_faces(labels, shared))
    return (np.array([expression_features(expression_probabilities(geometry.photo, geometry.face))
                      for _, geometry in faces]),
            np.array([row["expression"] != "neutral" for row, _ in faces]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=[Path("benchmarks/labels/face_attributes.csv")])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=EXPRESSION_FILE)
    args = parser.parse_args(argv)
    features, labels = labelled_features(args.labels, args.shared)
    print(fit_and_save(features, labels, COMPONENTS, RIDGES, args.output, lambda chosen: (
        f"A face's expression not neutral, from the log-probabilities of the fer classifier's "
        f"{len(EXPRESSIONS)} expressions ({', '.join(EXPRESSIONS)}): {chosen['components']} principal components, "
        f"class-balanced logistic regression with ridge {chosen['ridge']:g}, fitted on {len(labels)} UTKFace faces "
        f"of benchmarks/labels ({int(labels.sum())} smiling or otherwise not neutral) by "
        f"pixelperfect.training.expression; "
        f"5-fold cross-validated AUC {chosen['cv_auc']:.3f}, balanced accuracy {chosen['cv_balanced_accuracy']:.3f} at "
        f"the threshold folded into the bias.")))


if __name__ == "__main__":
    main()
