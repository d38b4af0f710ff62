"""Faces are found (or not) with clear outcomes, cropped like training faces; advice is ordered, unique and
follows the verdict's reasons."""

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from PIL import Image

from pixelperfect.advice import MORE_LIGHT, STEADY, suggestions
from pixelperfect.verdict import Reason
from pixelperfect.faces import crop_face, find_face


def test_faces_found_in_portraits_and_not_in_cat_or_coffee(astronaut, grace_hopper, cat, coffee):
    for photo in (astronaut, grace_hopper):
        result = find_face(photo)
        assert result.outcome == "one" and result.usable
        assert 0 < result.main.confidence <= 1
    for photo in (cat, coffee):
        result = find_face(photo)
        assert result.outcome == "none" and "No face" in result.message and not result.usable


def test_two_people_give_several(grace_hopper):
    result = find_face(np.concatenate([grace_hopper, grace_hopper[:, ::-1]], axis=1))
    assert result.outcome == "several" and "2 faces" in result.message


def test_a_face_in_a_phone_sized_photo_is_found_where_it_is(grace_hopper):
    """The detectors see a big photo averaged in whole blocks first (`landmarks.DETECTOR_HEADROOM`); the face they
    find is where it is in the portrait the photo was enlarged from."""
    small = find_face(grace_hopper).main
    enlarged = cv2.resize(grace_hopper, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    frame = np.full((enlarged.shape[0], 3000, 3), 118, np.uint8)  # a landscape phone photo, 5.4 MP
    frame[:, 700:700 + enlarged.shape[1]] = enlarged
    big = find_face(frame)
    assert big.outcome == "one"
    # Face Mesh's key points, which place the crop, within 3 % of the face's width; the box within 15 %, as full
    # range, which reads a face this small in its frame, draws it taller than short range does.
    assert np.abs((np.array(big.main.keypoints) - [700, 0]) / 3 - small.keypoints).max() <= 0.03 * small.width
    assert np.abs((np.array(big.main.corners) - [700, 0, 700, 0]) / 3 - small.corners).max() <= 0.15 * small.width


def _placed(canvas: np.ndarray, photo: np.ndarray, face_width: int, left: int, top: int) -> None:
    """``photo`` shrunk so its face is ``face_width`` pixels wide, its face's corner put at (left, top)."""
    face = find_face(photo).main
    scale = face_width / face.width
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x, y = left - round(face.x * scale), top - round(face.y * scale)
    canvas[y:y + small.shape[0], x:x + small.shape[1]] = small[:canvas.shape[0] - y, :canvas.shape[1] - x]


@pytest.mark.parametrize("first, second", [(200, 180), (240, 170)])
def test_two_small_faces_in_a_big_photo_give_several(astronaut, grace_hopper, first, second):
    # Faces an eighth of the photo across: short range alone found the first and missed the second.
    photo = np.full((1600, 1200, 3), 200, np.uint8)
    _placed(photo, astronaut, first, 650, 300)
    _placed(photo, grace_hopper, second, 200, 900)
    result = find_face(photo)
    assert result.outcome == "several" and "2 faces" in result.message


def test_small_face_and_cut_off_face(grace_hopper):
    small = np.full((1000, 1000, 3), 200, np.uint8)
    tiny = grace_hopper[::4, ::4]
    small[400:400 + tiny.shape[0], 400:400 + tiny.shape[1]] = tiny
    result = find_face(small)
    assert result.outcome == "too_small" and "pixels wide" in result.message
    face = find_face(grace_hopper).main
    cut = grace_hopper[:, face.x + face.width // 2:]  # the left half of the face is outside the photo
    assert find_face(cut).outcome in ("cut_off", "none")
    cut_bottom = grace_hopper[: face.y + face.height // 2]
    assert find_face(cut_bottom).outcome in ("cut_off", "none")


def test_crop_is_square_training_size_and_centred_on_the_face(grace_hopper):
    face = find_face(grace_hopper).main
    crop = crop_face(grace_hopper, face)
    assert crop.shape == (200, 200, 3)
    again = find_face(crop).main  # the face fills the crop as in UTKFace
    assert again is not None and 0.8 < again.width / 200 < 1.2
    assert crop_face(grace_hopper[:50, :80], None).shape == (200, 200, 3)


def test_a_photo_already_framed_like_a_face_crop_is_analysed_as_it_is(face_crops):
    """Re-cropping a tight face crop resamples it and softens pixelation and compression blocks."""
    framed = face_crops["grace_hopper"]
    assert np.array_equal(crop_face(framed, find_face(framed).main), framed)
    larger = np.asarray(Image.fromarray(framed).resize((400, 400), Image.Resampling.BICUBIC))
    assert np.abs(crop_face(larger, find_face(larger).main).astype(int) - framed).mean() < 3  # same framing


def _reason(kind, name, weight, blocking=True):
    return Reason(kind, name, weight, blocking, name)


def test_suggestions_strongest_first_without_duplicates():
    measures = {"clarity": {"value": 0.05, "score": 10, "level": "poor"},
                "brightness": {"value": 40.0, "score": 30, "level": "poor"},
                "noise": {"value": 3.0, "score": 50, "level": "fair"}}
    reasons = [_reason("defect", "noise", 0.7), _reason("defect", "blur", 0.95), _reason("measure", "clarity", 0.9)]
    advice = suggestions(reasons, measures)
    assert advice == [STEADY.text, MORE_LIGHT.text]  # blur and a poor clarity bar are one fix, said once, first


def test_suggestions_follow_the_reasons_only():
    dark = {"brightness": {"value": 30.0, "score": 20, "level": "poor"},
            "color": {"value": 40.0, "score": 5, "level": "poor"}}
    assert suggestions([_reason("defect", "exposure", 0.9)], dark) == [MORE_LIGHT.text]  # not the poor colour bar
    bright = {"brightness": {"value": 240.0, "score": 20, "level": "poor"}}
    assert "too bright" in suggestions([_reason("defect", "exposure", 0.9)], bright)[0]
    assert suggestions([], dark) == []
    assert suggestions([Reason("face", "none", 1.0, True, "No face found.")]) == ["No face found."]


def test_faces_are_found_from_many_threads_at_once(astronaut, grace_hopper, face_crops):
    # The app analyses several uploads at once: detection must give each thread the answer it gives alone.
    photos = [astronaut, grace_hopper, face_crops["astronaut"], face_crops["grace_hopper"]] * 40
    alone = [find_face(photo).faces for photo in photos]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda photo: find_face(photo).faces, photos))
    assert together == alone
