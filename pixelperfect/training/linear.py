"""Small linear models on hand-made features, as the glasses, open-mouth and expression models are: standardised,
projected on principal components, a class-balanced logistic regression by Newton's method, with the number of
components, the ridge and the threshold chosen by cross-validation, all folded into one weight per feature and a
bias, written as the JSON file `pixelperfect.linear_model` reads.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..checks import Geometry, face_geometry
from ..faces import find_face
from ..images import load_image

FOLDS = 5


def labelled_faces(labels: list[Path], shared: Path) -> Iterator[tuple[dict, Geometry]]:
    """Each UTKFace row of the label files whose landmarks are read, with what the checks read of its face: the
    faces these models are fitted on (the real photos stay held out)."""
    for path in labels:
        with path.open() as labels_file:
            for row in csv.DictReader(labels_file):
                if row["file"].startswith("utkface/"):
                    photo = load_image(shared / row["file"])
                    if (geometry := face_geometry(photo, find_face(photo))) is not None:
                        yield row, geometry


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


def choose(features: np.ndarray, labels: np.ndarray, components_tried, ridges_tried, seed: int = 0) -> dict:
    """The components and ridge with the best cross-validated area under the ROC curve, and the threshold with the
    best balanced accuracy on the held-out folds."""
    folds = np.random.default_rng(seed).permutation(len(labels)) % FOLDS
    tried = []
    for components in components_tried:
        for ridge in ridges_tried:
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


def labelled_arrays(labels: list[Path], shared: Path, features_of, is_positive) -> tuple[np.ndarray, np.ndarray]:
    """``features_of(geometry)`` and ``is_positive(row)`` for every face `labelled_faces` gives."""
    faces = list(labelled_faces(labels, shared))
    return (np.array([features_of(geometry) for _, geometry in faces]),
            np.array([is_positive(row) for row, _ in faces]))


def fit_and_save(features: np.ndarray, labels: np.ndarray, components_tried, ridges_tried, output: Path, reads: str,
                 positives: str, script: str) -> str:
    """Choose the settings (`choose`), fit on all rows with them and write the weights and the bias, the threshold
    folded into it, to ``output`` with what the model ``reads``, the settings and what it was fitted on as its
    ``about``, which is returned."""
    chosen = choose(features, labels, components_tried, ridges_tried)
    weights, bias = fit(features, labels, chosen["components"], chosen["ridge"])
    about = (f"{reads}: {chosen['components']} principal components, class-balanced logistic regression with ridge "
             f"{chosen['ridge']:g}, fitted on {len(labels)} UTKFace faces of benchmarks/labels ({int(labels.sum())} "
             f"{positives}) by {script}; 5-fold cross-validated AUC {chosen['cv_auc']:.3f}, balanced accuracy "
             f"{chosen['cv_balanced_accuracy']:.3f} at the threshold folded into the bias.")
    output.write_text(json.dumps({"about": about, "weights": np.round(weights, 6).tolist(),
                                  "bias": round(bias - chosen["threshold"], 6)}) + "\n")
    return about
