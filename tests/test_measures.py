"""The metric bars move the right way as a photo gets worse, and take any image."""

import numpy as np
import pytest
from PIL import Image

from pixelperfect.measures import MEASURES, level, measure
from pixelperfect.training.degradations import apply_defect

# (measure, defect, variant): the measure's score must fall as the defect grows, to "poor" when severe.
WATCHES = [
    ("clarity", "blur", "gaussian"), ("clarity", "blur", "defocus"),
    ("noise", "noise", "gaussian"), ("noise", "noise", "sensor"), ("noise", "noise", "chroma"),
    ("contrast", "exposure", "flat"), ("exposure", "exposure", "over"),
    ("compression", "compression", "jpeg"),
    ("resolution", "low_resolution", "bicubic"), ("resolution", "low_resolution", "bilinear"),
]


def scores(face, name, defect, variant):
    values = [measure(face)[name]["score"]]
    for severity in range(3):
        damaged, _ = apply_defect(face, defect, severity, np.random.default_rng(severity), variant)
        values.append(measure(damaged)[name]["score"])
    return values


@pytest.mark.parametrize("name,defect,variant", WATCHES, ids=[f"{m}-{d}-{v}" for m, d, v in WATCHES])
def test_score_falls_as_the_defect_grows(face_crops, name, defect, variant):
    for face_name, face in face_crops.items():
        values = scores(face, name, defect, variant)
        assert all(a >= b - 1.0 for a, b in zip(values, values[1:])), (face_name, values)
        assert values[-1] < values[0] - 5 and values[-1] < 40, (face_name, values)  # severe is "poor"


def test_motion_blur_lowers_clarity(face_crops):
    # Shake leaves some detail across its path, so severe motion blur reaches "fair", not always "poor".
    for face_name, face in face_crops.items():
        values = scores(face, "clarity", "blur", "motion")
        assert all(a >= b - 1.0 for a, b in zip(values, values[1:])), (face_name, values)
        assert values[-1] < values[0] - 25 and values[-1] < 70, (face_name, values)


@pytest.mark.parametrize("variant,sign", [("under", -1), ("over", +1)])
def test_exposure_moves_brightness_and_severe_is_poor(face_crops, variant, sign):
    for face in face_crops.values():
        results = [measure(face)["brightness"]] + [
            measure(apply_defect(face, "exposure", s, np.random.default_rng(s), variant)[0])["brightness"]
            for s in range(3)]
        values = [sign * r["value"] for r in results]
        assert values == sorted(values), values
        assert results[-1]["level"] == "poor"


def test_colour_cast_lowers_colour_score(face_crops):
    for face in face_crops.values():
        blue = np.clip(face * np.array([0.5, 0.8, 1.4]), 0, 255).astype(np.uint8)
        green = np.clip(face * np.array([0.7, 1.15, 0.7]), 0, 255).astype(np.uint8)
        original = measure(face)["color"]["score"]
        assert measure(blue)["color"]["score"] < original and measure(blue)["color"]["level"] == "poor"
        assert measure(green)["color"]["score"] < original and measure(green)["color"]["level"] == "poor"
        hue = [measure(apply_defect(face, "color", s, np.random.default_rng(s), "hue")[0])["color"] for s in range(3)]
        assert all(h["score"] < original for h in hue) and hue[-1]["level"] == "poor"


def test_darker_photo_lowers_brightness_lighter_photo_too(face_crops):
    face = face_crops["grace_hopper"]
    normal = measure(face)["brightness"]
    dark = measure((face * 0.3).astype(np.uint8))["brightness"]
    bright = measure(np.clip(face * 1.0 + 120, 0, 255).astype(np.uint8))["brightness"]
    assert dark["value"] < normal["value"] < bright["value"]
    assert dark["score"] < normal["score"] and bright["score"] < normal["score"]


def test_good_photo_scores_well_and_result_shape(face_crops):
    result = measure(face_crops["grace_hopper"])
    assert set(result) == set(MEASURES)
    for name, entry in result.items():
        assert set(entry) == {"value", "score", "level"}
        assert 0 <= entry["score"] <= 100 and entry["level"] == level(entry["score"])
    assert sum(entry["level"] != "poor" for entry in result.values()) >= 6


@pytest.mark.parametrize("make", [
    lambda f: Image.fromarray(f),  # PIL
    lambda f: Image.fromarray(f).convert("L"),  # grey PIL
    lambda f: np.asarray(Image.fromarray(f).convert("L")),  # 2-D array
    lambda f: np.asarray(Image.fromarray(f).convert("RGBA")),  # with alpha
    lambda f: f[:9, :7],  # tiny
    lambda f: np.asarray(Image.fromarray(f).resize((3000, 3000))),  # huge
], ids=["pil", "grey-pil", "grey-array", "rgba", "tiny", "huge"])
def test_odd_images_are_measured(face_crops, make):
    result = measure(make(face_crops["grace_hopper"]))
    assert set(result) == set(MEASURES)
    assert all(np.isfinite(entry["value"]) and 0 <= entry["score"] <= 100 for entry in result.values())


def test_grey_photo_flags_colour(face_crops):
    grey = np.asarray(Image.fromarray(face_crops["grace_hopper"]).convert("L").convert("RGB"))
    assert measure(grey)["color"]["score"] < measure(face_crops["grace_hopper"])["color"]["score"]


def test_small_face_has_low_resolution(face_crops):
    face = face_crops["grace_hopper"]
    assert measure(face, face_pixels=40)["resolution"]["level"] == "poor"
    assert measure(face, face_pixels=400)["resolution"]["score"] > measure(face, face_pixels=40)["resolution"]["score"]
