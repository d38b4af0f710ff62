"""Fit the open-mouth model (`pixelperfect/mouth.json`) on UTKFace faces labelled by eye.

    python -m pixelperfect.training.mouth [--labels benchmarks/labels/face_attributes.csv benchmarks/labels/mouths.csv]
                                          [--shared ../shared]

The UTKFace rows of the label files: the 400 drawn at random and the 319 drawn by race, so that closed mouths with
full lips, which Face Mesh reads apart, are many (`benchmarks/labels/README.md`). The real photos and
``mouths_held_out.csv`` stay out, for `benchmarks.checks` and `benchmarks.skin_tones`. Each face becomes
`mouth.mouth_features` (the light across the lips and the inner lips' gap); the model is fitted as the glasses' is
(`training.linear`: components, ridge and threshold chosen by 5-fold cross-validation) and folded into one weight per
feature.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..mouth import MOUTH_FILE, mouth_features
from .linear import fit_and_save, labelled_faces

COMPONENTS = (10, 20, 40, 97)
RIDGES = (1.0, 3.0, 10.0, 30.0)
LABELS = (Path("benchmarks/labels/face_attributes.csv"), Path("benchmarks/labels/mouths.csv"))


def labelled_features(labels: list[Path], shared: Path) -> tuple[np.ndarray, np.ndarray]:
    """`mouth.mouth_features` and ``mouth_open`` of every UTKFace row with landmarks."""
    faces = list(labelled_faces(labels, shared))
    return (np.array([mouth_features(geometry.photo, geometry.mesh, geometry.mouth_opening) for _, geometry in faces]),
            np.array([row["mouth_open"] == "1" for row, _ in faces]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=list(LABELS))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=MOUTH_FILE)
    args = parser.parse_args(argv)
    features, labels = labelled_features(args.labels, args.shared)
    print(fit_and_save(features, labels, COMPONENTS, RIDGES, args.output, lambda chosen: (
        f"Mouth open from the light across the lips (3 lines of {(features.shape[1] - 1) // 3} samples) and the "
        f"inner lips' gap: {chosen['components']} principal components, class-balanced logistic regression with "
        f"ridge {chosen['ridge']:g}, fitted on {len(labels)} UTKFace faces of benchmarks/labels ({int(labels.sum())} "
        f"open) by pixelperfect.training.mouth; 5-fold cross-validated AUC {chosen['cv_auc']:.3f}, balanced "
        f"accuracy {chosen['cv_balanced_accuracy']:.3f} at the threshold folded into the bias.")))


if __name__ == "__main__":
    main()
