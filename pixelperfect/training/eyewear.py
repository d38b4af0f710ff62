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
import csv
import json
from pathlib import Path

import numpy as np

from ..eyewear import GLASSES_FILE, eye_band, glasses_features
from ..faces import find_face
from ..images import load_image

COMPONENTS = (20, 30, 40, 60)
RIDGES = (100.0, 300.0, 1000.0)
FOLDS = 5


def logistic(features: np.ndarray, labels: np.ndarray, ridge: float, steps: int = 30) -> np.ndarray:
    """Weights (last one the bias) of a class-balanced logistic regression, by Newton's method."""
    x = np.hstack([features, np.ones((len(features), 1))])
    weight = np.where(labels, 0.5 / labels.mean(), 0.5 / (1 - labels.mean()))
    penalty = ridge * np.diag(np.r_[np.ones(x.shape[1] - 1), 0.0])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        hessian = (x * (weight * p * (1 - p))[:, np.newaxis]).T @ x + penalty
        w -= np.linalg.solve(hessian, x.T @ (weight * (p - labels)) + penalty @ w)
    return w


def fit(features: np.ndarray, labels: np.ndarray, components: int, ridge: float) -> tuple[np.ndarray, float]:
    """Standardise, project on the leading components, standardise again, logistic: folded into (weights, bias)."""
    mean, spread = features.mean(axis=0), features.std(axis=0) + 1e-9
    standard = (features - mean) / spread
    projection = np.linalg.svd(standard, full_matrices=False)[2][:components].T
    projected = standard @ projection
    centre, scale = projected.mean(axis=0), projected.std(axis=0) + 1e-9
    w = logistic((projected - centre) / scale, labels.astype(float), ridge)
    weights = (projection @ (w[:-1] / scale)) / spread
    return weights, float(w[-1] - (w[:-1] / scale) @ centre - weights @ mean)


def area_under_curve(scores: np.ndarray, labels: np.ndarray) -> float:
    positives, negatives = scores[labels], scores[~labels]
    return float((positives[:, np.newaxis] > negatives).mean() + 0.5 * (positives[:, np.newaxis] == negatives).mean())


def balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    return float((predicted[labels].mean() + (~predicted[~labels]).mean()) / 2)


def choose(features: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    folds = np.random.default_rng(seed).permutation(len(labels)) % FOLDS
    tried = []
    for components in COMPONENTS:
        for ridge in RIDGES:
            held_out = np.zeros(len(labels))
            for fold in range(FOLDS):
                weights, bias = fit(features[folds != fold], labels[folds != fold], components, ridge)
                held_out[folds == fold] = features[folds == fold] @ weights + bias
            thresholds = np.quantile(held_out, np.linspace(0.01, 0.99, 197))
            threshold = max(thresholds, key=lambda t: balanced_accuracy(labels, held_out > t))
            tried.append({"components": components, "ridge": ridge, "cv_auc": area_under_curve(held_out, labels),
                          "threshold": float(threshold),
                          "cv_balanced_accuracy": balanced_accuracy(labels, held_out > threshold)})
    return max(tried, key=lambda row: row["cv_auc"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("benchmarks/labels/face_attributes.csv"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--output", type=Path, default=GLASSES_FILE)
    args = parser.parse_args(argv)
    features, labels = [], []
    with args.labels.open() as labels_file:
        rows = [row for row in csv.DictReader(labels_file) if row["file"].startswith("utkface/")]
    for row in rows:
        photo = load_image(args.shared / row["file"])
        found = find_face(photo)
        if found.mesh is not None:
            features.append(glasses_features(eye_band(photo, found.mesh)))
            labels.append(row["glasses"] != "none")
    features, labels = np.array(features), np.array(labels)
    chosen = choose(features, labels)
    weights, bias = fit(features, labels, chosen["components"], chosen["ridge"])
    about = (f"Glasses (clear or tinted) from the eye band's gradient histograms, averaged with its mirror image's: "
             f"{chosen['components']} principal "
             f"components, class-balanced logistic regression with ridge {chosen['ridge']:g}, fitted on "
             f"{len(labels)} UTKFace faces of benchmarks/labels ({int(labels.sum())} with glasses) by "
             f"pixelperfect.training.eyewear; 5-fold cross-validated AUC {chosen['cv_auc']:.3f}, balanced accuracy "
             f"{chosen['cv_balanced_accuracy']:.3f} at the threshold folded into the bias.")
    args.output.write_text(json.dumps({"about": about, "weights": np.round(weights, 6).tolist(),
                                       "bias": round(bias - chosen["threshold"], 6)}) + "\n")
    print(about)


if __name__ == "__main__":
    main()
