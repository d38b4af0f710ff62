"""Fit the open-mouth model (`pixelperfect/mouth.json`) on UTKFace faces labelled by eye.

    python -m pixelperfect.training.mouth [--labels benchmarks/labels/face_attributes.csv benchmarks/labels/mouths.csv]
                                          [--shared ../shared]

The UTKFace rows of the label files: the 400 drawn at random and the 319 drawn by race, so that closed mouths with
full lips, which Face Mesh reads apart, are many (`benchmarks/labels/README.md`). The real photos and
``mouths_held_out.csv`` stay out, for `benchmarks.checks` and `benchmarks.skin_tones`. Each face becomes
`mouth.mouth_features` (the light across the lips, the inner lips' gap and the expression classifier's seven
log-probabilities); the model is fitted as the glasses' is (`training.linear`: components, ridge and threshold chosen
by 5-fold cross-validation) and folded into one weight per feature.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..expression import EXPRESSIONS
from ..mouth import ACROSS, MOUTH_FILE, SAMPLES, mouth_features
from .linear import fit_and_save, labelled_arrays

COMPONENTS = (10, 20, 40)  # and all the features
RIDGES = (1.0, 3.0, 10.0, 30.0)
LABELS = (Path("benchmarks/labels/face_attributes.csv"), Path("benchmarks/labels/mouths.csv"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=list(LABELS))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=MOUTH_FILE)
    args = parser.parse_args(argv)
    features, labels = labelled_arrays(
        args.labels, args.shared,
        lambda geometry: mouth_features(geometry.photo, geometry.mesh, geometry.mouth_opening,
                                        geometry.expression_log_probabilities),
        lambda row: row["mouth_open"] == "1")
    print(fit_and_save(features, labels, (*COMPONENTS, features.shape[1]), RIDGES, args.output, script=__spec__.name,
                       positives="open",
                       reads=f"Mouth open from the light across the lips ({len(ACROSS)} lines of {SAMPLES} "
                             f"samples), the inner lips' gap and the expression classifier's {len(EXPRESSIONS)} "
                             "log-probabilities"))


if __name__ == "__main__":
    main()
