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

from ..eyewear import GLASSES_FILE, glasses_features
from .linear import fit_and_save, labelled_arrays

COMPONENTS = (20, 30, 40, 60)
RIDGES = (100.0, 300.0, 1000.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("benchmarks/labels/face_attributes.csv"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=GLASSES_FILE)
    args = parser.parse_args(argv)
    features, labels = labelled_arrays([args.labels], args.shared,
                                       lambda geometry: glasses_features(geometry.eye_band),
                                       lambda row: row["glasses"] != "none")
    print(fit_and_save(features, labels, COMPONENTS, RIDGES, args.output, script=__spec__.name, positives="with glasses",
                       reads="Glasses (clear or tinted) from the eye band's gradient histograms, averaged with its "
                             "mirror image's"))


if __name__ == "__main__":
    main()
