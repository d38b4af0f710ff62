"""Every defect at every severity damages a face the way its name says, and more as severity grows."""

import cv2
import numpy as np
import pytest

from pixelperfect.advice import DEFECT_ADVICE
from pixelperfect.defects import DEFECT_NAMES, DEFECTS
from pixelperfect.measures import skin_distance
from pixelperfect.training.degradations import DEGRADATIONS, SEVERITIES, apply_defect, benign, degrade

SEEDS = (0, 1, 2)


def grey(image):
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def sharpness(image):
    return float(cv2.Laplacian(grey(image), cv2.CV_32F).var())


def noise_sigma(image):  # Immerkær's estimator, written independently of pixelperfect.measures
    response = cv2.filter2D(grey(image), cv2.CV_32F, np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32))
    return float(np.sqrt(np.pi / 2) / 6 * np.abs(response[1:-1, 1:-1]).mean())


def chroma_shift(image, original):
    lab, ref = (cv2.cvtColor(i, cv2.COLOR_RGB2Lab).astype(np.float32) for i in (image, original))
    return float(np.hypot(*(lab[..., c].mean() - ref[..., c].mean() for c in (1, 2)))
                 + np.abs(lab[..., 1:] - ref[..., 1:]).mean())


def blockiness(image):
    steps = np.abs(np.diff(grey(image), axis=1)).mean(axis=0)
    phase = steps[: len(steps) // 8 * 8].reshape(-1, 8).mean(axis=0)
    return float(phase[7] / np.delete(phase, 7).mean())


def fine_detail(image):
    g = grey(image)
    return float(np.abs(g - cv2.GaussianBlur(g, (0, 0), 1.0)).mean())


def damage(image, original):
    return float(np.abs(image.astype(np.int16) - original).mean())


def mean_over_seeds(face, defect, variant, level, property_, *args):
    return np.mean([property_(apply_defect(face, defect, level, np.random.default_rng(s), variant)[0], *args)
                    for s in SEEDS])


# (defect, variant, property, direction): the property of the image must move in that direction with severity.
DIRECTIONAL = [
    ("blur", "motion", sharpness, -1), ("blur", "defocus", sharpness, -1), ("blur", "gaussian", sharpness, -1),
    ("noise", "gaussian", noise_sigma, +1), ("noise", "sensor", noise_sigma, +1), ("noise", "chroma", noise_sigma, +1),
    ("exposure", "under", lambda i: i.mean(), -1), ("exposure", "over", lambda i: i.mean(), +1),
    ("exposure", "flat", lambda i: grey(i).std(), -1),
    ("exposure", "backlight", lambda i: grey(i)[70:130, 70:130].mean(), -1),
    ("compression", "jpeg", blockiness, +1),
    ("low_resolution", "nearest", fine_detail, None), ("low_resolution", "bilinear", fine_detail, -1),
    ("low_resolution", "bicubic", fine_detail, -1),
    ("other", "haze", lambda i: grey(i).std(), -1), ("other", "vignetting", lambda i: grey(i)[:, :20].mean(), -1),
]


@pytest.mark.parametrize("defect,variant,property_,direction", DIRECTIONAL,
                         ids=[f"{d}-{v}" for d, v, *_ in DIRECTIONAL])
def test_defect_moves_its_property_with_severity(face_crops, defect, variant, property_, direction):
    for face in face_crops.values():
        original = property_(face)
        values = [mean_over_seeds(face, defect, variant, level, property_) for level in range(len(SEVERITIES))]
        if direction is None:  # nearest-neighbour upscaling adds hard pixel edges: check damage instead
            continue
        signed = [direction * (v - original) for v in values]
        assert signed[0] > 0, f"{defect}/{variant} mild did not move {property_} ({original} → {values})"
        assert signed[0] < signed[1] < signed[2], f"{defect}/{variant} not monotone: {original} → {values}"


@pytest.mark.parametrize("defect", DEFECT_NAMES)
def test_every_variant_is_visible_and_worse_when_severe(face_crops, defect):
    face = face_crops["grace_hopper"]
    for variant in DEGRADATIONS[defect].variants:
        mild = mean_over_seeds(face, defect, variant.name, 0, damage, face)
        severe = mean_over_seeds(face, defect, variant.name, 2, damage, face)
        assert mild >= 1.5, f"{defect}/{variant.name} mild is invisible ({mild:.2f})"
        assert severe > mild, f"{defect}/{variant.name}: severe ({severe:.1f}) not worse than mild ({mild:.1f})"


def test_colour_defects_shift_colour_more_as_severity_grows(face_crops):
    face = face_crops["grace_hopper"]
    for variant in ("white_balance", "hue"):
        shifts = [mean_over_seeds(face, "color", variant, level, chroma_shift, face) for level in range(3)]
        assert 3 < shifts[0] < shifts[2], (variant, shifts)


def test_a_colour_cast_leaves_natural_skin_tones_even_on_a_warm_face(face_crops):
    """Blue gains that turn a pale face blue only neutralise a face lit by a warm lamp: no defect to see."""
    for face in face_crops.values():
        warm = np.clip(face * np.array([1.12, 1.0, 0.78]), 0, 255).astype(np.uint8)
        for photo in (face, warm):
            for seed in range(6):
                out, recipe = apply_defect(photo, "color", 0, np.random.default_rng(seed), "white_balance")
                assert skin_distance(out) >= 18, recipe  # 95 % of the test split's good faces are nearer
                assert skin_distance(out) >= skin_distance(photo) + 6, recipe


def test_transmission_errors_touch_more_of_the_image_as_severity_grows(face_crops):
    face = face_crops["grace_hopper"]
    for variant in ("truncated", "rows", "blocks", "streaks"):
        touched = [mean_over_seeds(face, "transmission", variant, level,
                                   lambda i: float((np.abs(i.astype(int) - face).max(2) > 24).mean())) for level in range(3)]
        assert 0.005 < touched[0] < touched[2], (variant, touched)


def test_truncated_file_leaves_a_grey_bottom(face_crops):
    out, recipe = apply_defect(face_crops["grace_hopper"], "transmission", 2, np.random.default_rng(0), "truncated")
    bottom = out[-20:].astype(int)
    assert np.abs(bottom - 128).max() <= 8, recipe


def test_same_seed_same_image_and_recipe(face_crops):
    face = face_crops["astronaut"]
    for defect in DEFECT_NAMES:
        first = apply_defect(face, defect, 1, np.random.default_rng(42))
        again = apply_defect(face, defect, 1, np.random.default_rng(42))
        other = apply_defect(face, defect, 1, np.random.default_rng(43))
        assert np.array_equal(first[0], again[0]) and first[1] == again[1]
        assert not np.array_equal(first[0], other[0])


def test_combination_applies_both_in_capture_order(face_crops):
    face = face_crops["grace_hopper"]
    out, recipe = degrade(face, ("noise", "exposure"), 1, np.random.default_rng(0))
    assert recipe.startswith("exposure/") and " + noise/" in recipe
    assert damage(out, face) > 10 and noise_sigma(out) > noise_sigma(face)


def test_benign_processing_never_looks_defective(face_crops):
    for face in face_crops.values():
        mild_blur = min(sharpness(apply_defect(face, "blur", 0, np.random.default_rng(s))[0]) for s in SEEDS)
        mild_noise = max(noise_sigma(apply_defect(face, "noise", 0, np.random.default_rng(s))[0]) for s in SEEDS)
        for seed in range(12):
            out, recipe = benign(face, np.random.default_rng(seed))
            assert recipe.startswith("benign")
            reference = face[:, ::-1] if "flip" in recipe else face
            assert damage(out, reference) < 40, recipe
            assert sharpness(out) > mild_blur and noise_sigma(out) < mild_noise, recipe
            assert abs(out.mean() - face.mean()) < 40, recipe
        dark = apply_defect(face, "exposure", 0, np.random.default_rng(0), "under")[0]
        assert face.mean() - dark.mean() > 45  # the mildest under-exposure is well beyond any benign change


def test_every_defect_has_a_meaning_recipes_and_advice():
    assert DEFECT_NAMES == ("blur", "noise", "exposure", "compression", "low_resolution", "color",
                            "transmission", "other")
    assert set(DEGRADATIONS) == set(DEFECT_ADVICE) == set(DEFECT_NAMES)
    for name in DEFECT_NAMES:
        assert DEFECTS[name] and len(DEGRADATIONS[name].variants) >= 3


def test_recipes_handle_odd_sizes():
    rng = np.random.default_rng(0)
    for shape in ((37, 53, 3), (256, 180, 3)):
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        for defect in DEFECT_NAMES:
            for variant in DEGRADATIONS[defect].variants:
                out, _ = apply_defect(image, defect, 2, np.random.default_rng(1), variant.name)
                assert out.shape == shape and out.dtype == np.uint8, (defect, variant.name)
