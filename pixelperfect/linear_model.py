"""The small linear models the checks read, each a JSON file of ``weights`` and a ``bias`` (the threshold folded in)
that `pixelperfect.training.linear` writes: the glasses (`eyewear`), the open mouth (`mouth`) and the expression
(`expression`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np


@cache
def _weights(path: Path) -> tuple[np.ndarray, float]:
    model = json.loads(path.read_text())
    return np.asarray(model["weights"], np.float64), float(model["bias"])


def probability(path: Path, features: np.ndarray) -> float:
    """The model in ``path`` on ``features``, 0–1; 0.5 is its fitted threshold."""
    weights, bias = _weights(path)
    return float(1 / (1 + np.exp(-(features @ weights + bias))))
