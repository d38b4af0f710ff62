"""Whether the mouth is open, read across the lips as well as from Face Mesh's inner-lip points.

Face Mesh places the inner lips apart on many closed mouths with full lips: on UTKFace faces labelled black the
median gap of a closed mouth is twice the others' (README, *Across skin tones*), so the gap alone flags them. The
light across the lips says more: an open mouth shows teeth or the dark inside between them, a closed one only the
line where the lips meet. `lip_profile` samples the luminance along three lines across the lips, from above the
upper lip to below the lower one; `open_mouth_score` is a linear model on those samples, the gap and what the
expression classifier reads of the whole face (`expression.expression_features`, already read for the `expression`
check: a laugh or surprise parts the lips), fitted by `pixelperfect.training.mouth` on UTKFace faces labelled by eye
(``mouth.json``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .linear_model import probability

MOUTH_FILE = Path(__file__).with_name("mouth.json")
UPPER_LIP_TOP, LOWER_LIP_BOTTOM, MOUTH_CORNERS = 0, 17, (61, 291)  # Face Mesh indices
ACROSS = (0.3, 0.5, 0.7)  # where the lines cross the mouth, from one corner to the other
SAMPLES = 32
BEYOND = 0.2  # each line reaches this share of the lips' height above and below them


def lip_profile(photo: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """The smoothed luminance at `SAMPLES` points along each of the lines across the lips (`ACROSS`), standardised
    over all of them so that neither the light nor the skin's tone counts, only the pattern across the lips."""
    top, bottom = mesh[UPPER_LIP_TOP, :2], mesh[LOWER_LIP_BOTTOM, :2]
    right, left = (mesh[corner, :2] for corner in MOUTH_CORNERS)
    span = bottom - top
    steps = np.linspace(-BEYOND, 1 + BEYOND, SAMPLES)
    points = np.concatenate([top + (left - right) * (share - 0.5) + steps[:, np.newaxis] * span for share in ACROSS])
    blur = max(0.5, float(np.linalg.norm(span)) / 40)
    margin = int(np.ceil(3 * blur)) + 2
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int) - margin, 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + margin + 1, photo.shape[1::-1])
    if x1 - x0 < 2 or y1 - y0 < 2:  # the mouth lies outside the photo
        return np.zeros(len(points), np.float32)
    grey = cv2.cvtColor(np.ascontiguousarray(photo[y0:y1, x0:x1, :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    smooth = cv2.GaussianBlur(grey, (0, 0), blur)
    local = (points - (x0, y0)).astype(np.float32)
    values = cv2.remap(smooth, local[np.newaxis, :, 0], local[np.newaxis, :, 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)[0]
    return (values - np.median(values)) / (values.std() + 1e-3)


def mouth_features(photo: np.ndarray, mesh: np.ndarray, gap: float,
                   expression_log_probabilities: np.ndarray) -> np.ndarray:
    """The lip profile, the inner lips' largest gap (in eyes-to-mouth distances) and the expression classifier's
    seven log-probabilities (`expression.expression_features`), as the model reads them."""
    return np.concatenate([lip_profile(photo, mesh), [gap], expression_log_probabilities])


def open_mouth_score(features: np.ndarray) -> float:
    """How likely the lips are apart, 0–1; 0.5 is the fitted threshold."""
    return probability(MOUTH_FILE, features)
