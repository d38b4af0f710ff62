"""The metric bars: fast, explainable measurements of a face photo, each scored 0–100.

`MEASURES` names every measure once: its unit, which way is better, the defects it watches and
the function that computes its raw value. Raw values become scores through anchors fitted on the
shared faces and their degraded copies (`calibrate`, stored in ``calibration.json``):

* ``poor`` — the raw value that best separates good photos from photos with the watched defects
  (Youden's J), moved if needed so that at most 10 % of good photos fall below it; a score below 40
  is *poor*;
* ``good`` — the value that 75 % of good photos reach (or, where that is not better than ``poor``,
  halfway from ``poor`` to the median good photo); a score of 70 or more is *good*;
* ``worst`` / ``best`` — the 5th percentile of the defective photos and the median of the good
  ones, which map to 0 and 100.

Re-fit with ``python -m pixelperfect.training.calibration --calibrate data/faces``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

ANALYSIS_SIDE = 200  # measures look at the face at the training faces' size, so they do not depend on it
# Sharpness and JPEG blocks are judged on the face at its own pixels, so a big face that holds little detail
# (an enlarged thumbnail, an old scan) reads as soft, as it looks; only faces larger than this are shrunk first.
NATIVE_SIDE = 384
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
POOR_BELOW, GOOD_FROM = 40.0, 70.0


@dataclass(frozen=True)
class Inputs:
    """What every measure needs, computed once per photo."""
    rgb: np.ndarray  # face at ANALYSIS_SIDE, float32 0..1
    grey: np.ndarray  # its luma, float32 0..1
    centre: np.ndarray  # the grey face without its border (background, hair), for light and colour
    native_grey: np.ndarray  # luma at the face's own resolution (at most NATIVE_SIDE): sharpness, JPEG blocks
    face_pixels: int  # the face's side in the original photo


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    unit: str
    better: str  # "higher", "lower", or "middle" (both extremes are bad)
    watches: tuple[str, ...]  # defects whose photos calibrate it
    description: str
    compute: Callable[[Inputs], float]
    # Judges softness: its poor band makes a photo bad (`verdict`) and sets the dataset's quality floor for
    # originals, so re-fitting keeps its anchors (fitted on a floored dataset they would rise with every build).
    decides: bool = False


# ---------------------------------------------------------------- skin colour

# Mean CIELAB a*, b* of skin in the middle of a face crop (UTKFace's good faces); calibration refines it.
SKIN_AB = np.array([15.4, 17.1], np.float32)


def middle_of(image: np.ndarray) -> np.ndarray:
    """The middle half of a face crop in each direction, where the skin is."""
    height, width = image.shape[:2]
    return image[height // 4: 3 * height // 4, width // 4: 3 * width // 4]


def mean_ab(rgb: np.ndarray) -> np.ndarray:
    """Mean CIELAB a*, b* of an RGB image (uint8, or float 0..1)."""
    lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2Lab).astype(np.float32)
    offset = 128 if rgb.dtype == np.uint8 else 0  # OpenCV stores 8-bit a*, b* shifted by 128
    return lab[..., 1:].reshape(-1, 2).mean(0) - offset


def distance_from_skin(ab: np.ndarray, skin_ab=SKIN_AB) -> float:
    return float(np.linalg.norm(ab - np.asarray(skin_ab, np.float32)))


def face_ab(image: np.ndarray) -> np.ndarray:
    """Mean CIELAB a*, b* of the middle of a face crop (uint8, or float 0..1), where the skin is."""
    return mean_ab(middle_of(image))


def skin_distance(image: np.ndarray, skin_ab=SKIN_AB) -> float:
    """How far (CIELAB a*b*) the middle of a face crop is from natural skin colour."""
    return distance_from_skin(face_ab(image), skin_ab)


# ---------------------------------------------------------------- the measures


_SECOND_DERIVATIVES = [np.array(k, np.float32) for k in (
    [[0, 0, 0], [1, -2, 1], [0, 0, 0]], [[0, 1, 0], [0, -2, 0], [0, 1, 0]],
    [[1, 0, 0], [0, -2, 0], [0, 0, 1]], [[0, 0, 1], [0, -2, 0], [1, 0, 0]])]


def clarity(x: Inputs) -> float:
    """Laplacian-style variance relative to the face's own contrast, in the blurriest direction, at the
    face's own resolution.

    Motion blur removes detail along one direction only, so the weakest of four directional
    second derivatives is used rather than the isotropic Laplacian.
    """
    smooth = cv2.GaussianBlur(x.native_grey, (0, 0), 0.7)
    weakest = min(cv2.filter2D(smooth, cv2.CV_32F, kernel).var() for kernel in _SECOND_DERIVATIVES)
    return float(weakest / (x.native_grey.var() + 1e-4) * 100)


def brightness(x: Inputs) -> float:
    return float(x.centre.mean() * 255)


def noise(x: Inputs) -> float:
    """Immerkær's noise sigma (grey levels), over the flattest 60 % of the face so texture is not counted."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(cv2.filter2D(x.grey, cv2.CV_32F, kernel))[1:-1, 1:-1]
    gradient = np.abs(cv2.Sobel(x.grey, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(x.grey, cv2.CV_32F, 0, 1))
    flat = gradient[1:-1, 1:-1] <= np.percentile(gradient, 60)
    return float(np.sqrt(np.pi / 2) / 6 * response[flat].mean() * 255)


def contrast(x: Inputs) -> float:
    """RMS contrast of the face's luma (0–100)."""
    return float(x.centre.std() * 100)


def exposure(x: Inputs) -> float:
    """Percent of the face that is clipped: crushed shadows or blown highlights."""
    return float(((x.centre <= 6 / 255) | (x.centre >= 249 / 255)).mean() * 100)


def color(x: Inputs) -> float:
    """Distance (CIELAB a*b*) of the face's mean colour from natural skin colour."""
    return skin_distance(x.rgb, calibration().get("skin_lab", SKIN_AB))


def compression(x: Inputs) -> float:
    """JPEG blockiness: edge strength on the strongest 8-pixel grid over the average elsewhere (1 = none)."""
    ratios = []
    for grey in (x.native_grey, x.native_grey.T):
        steps = np.abs(np.diff(grey, axis=1)).mean(axis=0)
        usable = len(steps) // 8 * 8
        if usable < 16:
            return 1.0
        phase = steps[:usable].reshape(-1, 8).mean(axis=0)
        strongest = int(phase.argmax())
        ratios.append(phase[strongest] / (np.delete(phase, strongest).mean() + 1e-6))
    return float(np.mean(ratios))


_DETAIL_REFERENCE = 0.35  # median detail ratio of the shared good faces (calibration overwrites it)


def detail_ratio(grey: np.ndarray) -> float:
    """Share of the image's local contrast that lives at the finest scale (1-2 pixels)."""
    fine = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.0)).mean()
    coarse = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 4.0)).mean()
    return float(fine / (coarse + 1e-4))


def resolution(x: Inputs) -> float:
    """Effective pixels across the face: its size in the photo, discounted when fine detail is missing.

    A small photo blown up has pixels but no detail at the pixel scale, so its fine-to-coarse
    contrast ratio falls below that of a typical good face.
    """
    reference = calibration().get("detail_reference", _DETAIL_REFERENCE)
    present = min(1.0, detail_ratio(x.grey) / reference)
    return float(min(x.face_pixels, ANALYSIS_SIDE) * present)


MEASURES: dict[str, Measure] = {m.name: m for m in [
    Measure("clarity", "Clarity", "directional Laplacian variance / contrast", "higher", ("blur", "low_resolution"),
            "How sharp the face is, at its own resolution.", clarity, decides=True),
    Measure("brightness", "Brightness", "mean luma (0-255)", "middle", ("exposure",),
            "How light the face is; too dark and too bright both score low.", brightness),
    Measure("noise", "Noise", "sigma (grey levels)", "lower", ("noise",),
            "Grain and speckle, measured where the face is smooth.", noise),
    Measure("contrast", "Contrast", "RMS contrast (%)", "higher", ("exposure",),
            "Difference between light and dark parts of the face; low means flat or washed out.", contrast),
    Measure("exposure", "Exposure", "% clipped pixels", "lower", ("exposure",),
            "Share of the face lost to pure black or pure white.", exposure),
    Measure("color", "Colour", "Delta a*b* from skin", "lower", ("color",),
            "How far the face's colour is from natural skin tones.", color),
    Measure("compression", "Compression", "8x8 blockiness ratio", "lower", ("compression",),
            "Visible JPEG blocks at the 8x8 grid.", compression),
    Measure("resolution", "Resolution", "effective pixels across the face", "higher", ("low_resolution",),
            "How many real pixels of detail the face has.", resolution, decides=True),
]}


# ---------------------------------------------------------------- scoring

_cache: dict = {}


def calibration() -> dict:
    """The anchors and references in use: ``calibration.json``, unless `use_calibration` replaced them."""
    if "data" not in _cache:
        _cache["data"] = json.loads(CALIBRATION_FILE.read_text()) if CALIBRATION_FILE.is_file() else {}
    return _cache["data"]


def use_calibration(data: dict) -> None:
    _cache["data"] = data


def prepare(image, face_pixels: int | None = None) -> Inputs:
    from PIL import Image

    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    native = image
    if max(image.shape[:2]) > NATIVE_SIDE:
        scale = NATIVE_SIDE / max(image.shape[:2])
        native = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                            interpolation=cv2.INTER_AREA)
    native_grey = cv2.cvtColor(native, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    side = ANALYSIS_SIDE
    interpolation = cv2.INTER_AREA if min(native.shape[:2]) > side else cv2.INTER_CUBIC
    # From the already shrunk face: a second pass over a large photo would cost more than every bar together.
    rgb = cv2.resize(native, (side, side), interpolation=interpolation).astype(np.float32) / 255
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return Inputs(rgb=rgb, grey=grey, centre=grey[side // 5: 4 * side // 5, side // 5: 4 * side // 5],
                  native_grey=native_grey, face_pixels=int(face_pixels or min(image.shape[:2])))


def _oriented(measure: Measure, value: float, anchors: dict) -> float:
    """The value turned so that higher is always better."""
    if measure.better == "middle":
        return -abs(value - anchors["centre"])
    return value if measure.better == "higher" else -value


def score(name: str, value: float) -> float:
    measure, anchors = MEASURES[name], calibration()["measures"][name]
    points = [(_oriented(measure, anchors[k], anchors), s)
              for k, s in (("worst", 0.0), ("poor", POOR_BELOW), ("good", GOOD_FROM), ("best", 100.0))]
    xs, ys = zip(*points)
    return float(np.interp(_oriented(measure, value, anchors), xs, ys))


def level(score_: float) -> str:
    return "good" if score_ >= GOOD_FROM else "fair" if score_ >= POOR_BELOW else "poor"


def raw_values(image, face_pixels: int | None = None) -> dict[str, float]:
    inputs = prepare(image, face_pixels)
    return {name: measure.compute(inputs) for name, measure in MEASURES.items()}


def measure(image, face_pixels: int | None = None) -> dict[str, dict]:
    """Every measure of a face image (RGB uint8 array or PIL image): raw value, 0–100 score and level."""
    result = {}
    for name, value in raw_values(image, face_pixels).items():
        s = score(name, value)
        result[name] = {"value": round(value, 3), "score": round(s, 1), "level": level(s)}
    return result
