"""Fit the expression model (`pixelperfect/expression.json`) on the UTKFace faces labelled by eye.

    python -m pixelperfect.training.expression [--labels benchmarks/labels/face_attributes.csv ...] [--shared ../shared]

Only the labels' UTKFace rows are used (the real photos stay held out for `benchmarks.checks`): each face's
`expression.expression_features` (the classifier's seven, as logarithms, averaged over three squares round the face)
against whether its expression is not neutral (a smile, laughter or another). The model is fitted as the glasses' is
(`training.linear`: components, ridge and threshold chosen by 5-fold cross-validation) and folded into one weight per
expression.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..expression import EXPRESSION_FILE, EXPRESSIONS, expression_features
from .linear import fit_and_save, labelled_arrays

COMPONENTS = (2, 4, 7)
RIDGES = (0.1, 1.0, 10.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=[Path("benchmarks/labels/face_attributes.csv")])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=EXPRESSION_FILE)
    args = parser.parse_args(argv)
    features, labels = labelled_arrays(
        args.labels, args.shared,
        lambda geometry: expression_features(geometry.photo, geometry.face, geometry.mesh),
        lambda row: row["expression"] != "neutral")
    print(fit_and_save(features, labels, COMPONENTS, RIDGES, args.output, script=__spec__.name,
                       positives="smiling or otherwise not neutral",
                       reads=f"A face's expression not neutral, from the log-probabilities of the fer classifier's "
                             f"{len(EXPRESSIONS)} expressions ({', '.join(EXPRESSIONS)}), averaged over three squares "
                             f"round the face"))


if __name__ == "__main__":
    main()
