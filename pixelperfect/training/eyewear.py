"""Fit the glasses model (`pixelperfect/glasses.json`) on the UTKFace faces labelled by eye.

    python -m pixelperfect.training.eyewear [--labels benchmarks/labels/face_attributes.csv] [--shared ../shared]

Only the labels' UTKFace rows are used (the real photos stay held out for `benchmarks.checks`). Each face's eye band
(`eyewear.eye_band`) becomes its gradient histograms, averaged with its mirror image's; the model is principal components of those, then a logistic
regression weighted so both classes count alike. The number of components, the ridge and the threshold are chosen by
5-fold cross-validation on the same rows (the best area under the ROC curve, then the threshold with the best
balanced accuracy on the held-out folds), and the fitted chain is folded into one weight per histogram bin.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..eyewear import GLASSES_FILE, glasses_features
from .linear import fit_and_save, labelled_faces

COMPONENTS = (20, 30, 40, 60)
RIDGES = (100.0, 300.0, 1000.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("benchmarks/labels/face_attributes.csv"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=GLASSES_FILE)
    args = parser.parse_args(argv)
    faces = list(labelled_faces([args.labels], args.shared))
    features = np.array([glasses_features(geometry.eye_band) for _, geometry in faces])
    labels = np.array([row["glasses"] != "none" for row, _ in faces])
    print(fit_and_save(features, labels, COMPONENTS, RIDGES, args.output, lambda chosen: (
        f"Glasses (clear or tinted) from the eye band's gradient histograms, averaged with its mirror image's: "
        f"{chosen['components']} principal components, class-balanced logistic regression with ridge "
        f"{chosen['ridge']:g}, fitted on {len(labels)} UTKFace faces of benchmarks/labels ({int(labels.sum())} with "
        f"glasses) by pixelperfect.training.eyewear; 5-fold cross-validated AUC {chosen['cv_auc']:.3f}, balanced "
        f"accuracy {chosen['cv_balanced_accuracy']:.3f} at the threshold folded into the bias.")))


if __name__ == "__main__":
    main()
