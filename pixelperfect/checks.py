"""ID-photo checks from the face's landmarks: pose, eyes, mouth, expression, size, position, one face, plain background,
the light on the face (even on both sides, full tonal range, no burnt-out or black areas), head size, dark lenses, and
glasses (named, never failing).

Each check is one `Check` in `CHECKS`: what it measures on a `Geometry` (the main face's Face Mesh points in the
photo's pixels), its limit with the standard the limit comes from, and advice for when it fails. The ID profile
(`Analyzer(profile="id")`) makes every failed check a reason the photo is not usable.

Sources: ISO/IEC 19794-5:2011 §7.2.2 (pose) and §8.3 (geometry of the full-frontal image, as ICAO Doc 9303
part 3 uses it); ISO/IEC 29794-5 as implemented by BSI's OFIQ (inter-eye distance, crop margins), where OFIQ maps a
raw value to quality 50 we take that value as the limit; head size from passport rules. Eyes, mouth, expression,
lighting, glasses and dark lenses have limits of ours, measured on the faces labelled by eye in ``benchmarks/labels``;
the background and shadows limits are ours too (the README's check table). Each check names the OFIQ measure(s) it
corresponds to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import cv2
import numpy as np

from . import expression, eyewear, landmarks, mouth
from .faces import (FACE_OUTLINE, SURE_WITHOUT_MESH, Face, FaceResult, as_rgb, head_outline, read_mesh,
                    subject_mask)
from .images import grey_region
from .pose import head_pose, mirror_pairs

# Face Mesh indices. "Right" is the person's right, on the left of the photo.
# The iris model's lid points facing each other (upper, lower), and its two eye corners.
LID_PAIRS, EYE_CORNER_POINTS = ((12, 4), (11, 3), (13, 5)), (0, 8)
INNER_LIPS = ((13, 14), (82, 87), (312, 317), (81, 178), (311, 402))
EYELID_LOOP = (*range(9), *range(15, 8, -1))  # the lower lid from corner to corner, back along the upper
INNER_LIP_LOOP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
BACKGROUND_SCALE = 40  # the background is read with the face scaled to this many pixels (`Face.scale`)
LUMINANCE_SCALE = 64  # and the light on the face with the face scaled to this many (or at its own size if smaller)
LIGHT_BLUR = 0.05  # light is compared between the two sides smoothed over this share of the face scale
DARK, BRIGHT = 25, 247  # grey levels from which a face pixel is black or burnt out (OFIQ's exposure ranges)
CHIN = 152
# Under the ID profile any other face counts, however small or blurred, as ISO/IEC 19794-5 asks, if BlazeFace is
# this sure of it (and, below `faces.SURE_WITHOUT_MESH`, Face Mesh reads it): faces pasted beside the 179 good real
# portraits, sharp or defocused, read 0.53 and more, 98 in 100 of them 0.61 and more; hair curls in a UTKFace crop
# read 0.53 (`benchmarks.bystanders`).
OTHER_FACE_CONFIDENCE = 0.6
# Face Mesh cannot read a face turned far to the side; BlazeFace still finds it, its nose then off its ears' midpoint
# by this share of the face's width or more. On AFLW2000-3D 40 of the 41 faces found without landmarks read 0.45-0.84
# (yaw 55-105°; the other, at 50°, 0.25), while 9 in 10 faces within 15° of frontal read under 0.2 (chosen looking at
# those photos' angles, the only profiles we have; `benchmarks.headpose` prints these figures).
PROFILE_TURN = 0.4
# The glasses model reads a band cut level across both eyes; on a face turned far the band is askew, and 9 in 10 of
# the glasses it names there are on bare faces (AFLW2000, labelled for glasses: turned beyond 30° of yaw or 20° of
# pitch, 89 of 244 bare faces named against 8 of 12 pairs; within, 14 of 271 against 2 of 4). 30° is the split
# `benchmarks.checks` already made, here on pose's own yaw alone; named only within it, 24 bare faces of the 515 are
# named instead of 103, and 5 pairs of 16 instead of 10 (the real photos' 13 pairs are all within it). Chosen looking
# at those photos, so their glasses figures are no longer held out.
GLASSES_YAW = 30.0
NO_LANDMARKS = "The face's landmarks could not be read, so pose, eyes and framing cannot be checked."
TURNED_AWAY = ("The head is turned to the side, so its landmarks cannot be read: face the camera, so that pose, eyes "
               "and framing can be checked.")


@dataclass
class Geometry:
    """The main face (its key points taken from the mesh) and its landmarks in a photo, and what the checks
    derive from them. Distances are the `Face`'s own; the pose is fitted to the whole mesh, depth included."""

    face: Face
    mesh: np.ndarray  # 468 × 3, photo pixels (z on the same scale)
    width: int
    height: int
    faces: int  # faces in the photo, the main one included
    photo: np.ndarray  # RGB, for the background

    @cached_property
    def eye_midpoint(self) -> np.ndarray:
        return (self.face.point("right_eye") + self.face.point("left_eye")) / 2

    @cached_property
    def pose(self) -> tuple[float, float, float]:
        """(roll, yaw, pitch) in degrees (`pose.head_pose`): roll positive when the person's left eye is lower, yaw
        positive when the nose points to the photo's right, pitch positive when the chin is up."""
        return head_pose(self.mesh)

    def largest_gap(self, pairs) -> float:
        return max(float(np.linalg.norm((self.mesh[a] - self.mesh[b])[:2])) for a, b in pairs)

    @cached_property
    def eyelids(self) -> dict[str, np.ndarray]:
        """Each eye's 16 lid points from the iris model (`landmarks.eyelids`), photo pixels."""
        return {side: landmarks.eyelids(self.photo, self.mesh, side) for side in landmarks.EYE_CORNERS}

    @cached_property
    def eye_opening(self) -> float:
        """The less open eye's largest lid gap, in widths of that eye (OFIQ's EyesOpen divides by a face-height
        distance instead; this ratio and its limit are ours)."""
        return min(max(float(np.linalg.norm(lids[upper] - lids[lower])) for upper, lower in LID_PAIRS)
                   / float(np.linalg.norm(lids[EYE_CORNER_POINTS[0]] - lids[EYE_CORNER_POINTS[1]]))
                   for lids in self.eyelids.values())

    @cached_property
    def mouth_opening(self) -> float:
        """The largest gap between the inner lips, in eyes-to-mouth distances (OFIQ's MouthClosed)."""
        return self.largest_gap(INNER_LIPS) / self.face.eyes_to_mouth

    @cached_property
    def expression_log_probabilities(self) -> np.ndarray:
        """The expression classifier's seven log-probabilities (`expression.expression_features`): the expression
        check reads them, and so does the open-mouth model."""
        return expression.expression_features(self.photo, self.face, self.mesh)

    @cached_property
    def mouth_open(self) -> float:
        """How likely the lips are apart, from the light across them, the inner lips' gap and the expression
        (`mouth`)."""
        return mouth.open_mouth_score(mouth.mouth_features(self.photo, self.mesh, self.mouth_opening,
                                                           self.expression_log_probabilities))

    @cached_property
    def not_neutral(self) -> float:
        """How likely the expression is not neutral (`expression`)."""
        return expression.non_neutral_score(self.expression_log_probabilities)

    @cached_property
    def off_centre(self) -> float:
        """How far the eyes' midpoint is from the photo's vertical centre line, as a share of its width."""
        return abs(float(self.eye_midpoint[0]) / self.width - 0.5)

    @cached_property
    def crop_margin(self) -> float:
        """The tightest margin around the head as a share of the one OFIQ asks for (≥ 1 fits): 0.9 eye distances
        beside each eye, 1.4 eyes-to-mouth distances above the eyes, 1.8 below them."""
        y = float(self.eye_midpoint[1])
        right_x, left_x = float(self.face.point("right_eye")[0]), float(self.face.point("left_eye")[0])
        eye_distance, eyes_to_mouth = self.face.eye_distance, self.face.eyes_to_mouth
        return min(min(right_x, left_x) / (0.9 * eye_distance),
                   (self.width - max(right_x, left_x)) / (0.9 * eye_distance),
                   y / (1.4 * eyes_to_mouth), (self.height - y) / (1.8 * eyes_to_mouth))

    @cached_property
    def background_busyness(self) -> float:
        """Mean luminance gradient (grey levels per pixel) beside and above the head, outside the face and hair,
        with the face scaled to `BACKGROUND_SCALE` pixels: OFIQ's BackgroundUniformity without its face parser."""
        scale = self.face.scale
        x, y = self.eye_midpoint
        # The region read, in face scales from the eyes' midpoint: 2.6 to each side, 2.4 above, 0.6 below.
        x0, y0 = max(0, int(x - 2.6 * scale)), max(0, int(y - 2.4 * scale))
        x1, y1 = min(self.width, int(x + 2.6 * scale) + 1), min(self.height, int(y + 0.6 * scale) + 1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return 0.0
        shrink = BACKGROUND_SCALE / scale
        grey = cv2.cvtColor(np.ascontiguousarray(self.photo[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
        size = (max(2, round((x1 - x0) * shrink)), max(2, round((y1 - y0) * shrink)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if shrink < 1 else cv2.INTER_LINEAR)
        gradient = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(grey, cv2.CV_32F, 0, 1) / 8)
        points = self.mesh.copy()
        points[:, :2] = (points[:, :2] - (x0, y0)) * shrink
        inside = subject_mask(grey.shape, points) == 0  # not the head with its hair, nor neck and shoulders
        return float(gradient[inside].mean()) if inside.any() else 0.0

    @cached_property
    def face_light(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The luminance (BT.601 grey levels) of the box around the face's outline with the face scaled to
        `LUMINANCE_SCALE` pixels, the outline's mask in it, the mesh's points in its pixels, and the face scale
        there."""
        outline = self.mesh[list(FACE_OUTLINE), :2]
        x0, y0 = np.clip(np.floor(outline.min(axis=0)).astype(int), 0, (self.width - 2, self.height - 2))
        x1, y1 = np.clip(np.ceil(outline.max(axis=0)).astype(int) + 1, (x0 + 2, y0 + 2), (self.width, self.height))
        shrink = min(1.0, LUMINANCE_SCALE / self.face.scale)
        grey, to_region = grey_region(self.photo, (x0, y0, x1, y1), shrink, smallest=2)
        points = to_region(self.mesh)
        mask = np.zeros(grey.shape, np.uint8)
        cv2.fillPoly(mask, [np.round(points[list(FACE_OUTLINE)]).astype(np.int32)], 1)
        return grey, mask.astype(bool), points, self.face.scale * shrink

    @cached_property
    def face_pixels(self) -> np.ndarray:
        grey, mask, _, _ = self.face_light
        return grey[mask] if mask.any() else grey.ravel()

    @cached_property
    def dynamic_range(self) -> float:
        """Entropy of the face's luminance histogram in bits, 0 (one grey) to 8 (all 256 equally): OFIQ's
        DynamicRange, read inside the face's outline."""
        share = np.bincount(self.face_pixels, minlength=256) / self.face_pixels.size
        share = share[share > 0]
        return float(-(share * np.log2(share)).sum())

    @cached_property
    def lighting_balance(self) -> float:
        """How bright the face's darker side is as a share of its brighter side (1 when evenly lit): the median
        ratio over pairs of Face Mesh points that mirror each other (cheeks, brows, eyes, temples; not the outline,
        which borders the background). OFIQ's IlluminationUniformity compares histograms of two boxes instead;
        mirrored points read the same skin on both sides when the head is turned."""
        grey, _, points, scale = self.face_light
        smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), max(0.5, LIGHT_BLUR * scale))
        height, width = smooth.shape
        spots = np.round(points).astype(int)
        inside = (spots[:, 0] >= 0) & (spots[:, 0] < width) & (spots[:, 1] >= 0) & (spots[:, 1] < height)
        right, left = _lit_pairs()
        seen = inside[right] & inside[left]  # a face cut by the photo's edge: only pairs both in it
        if not seen.any():
            return 1.0

        def light(indices):
            return smooth[spots[indices, 1], spots[indices, 0]] + 1

        return float(np.exp(-abs(np.median(np.log(light(right[seen]) / light(left[seen]))))))

    @cached_property
    def eye_band(self) -> np.ndarray:
        return eyewear.eye_band(self.photo, self.mesh)

    @cached_property
    def regions(self) -> dict[str, list[list[float]]]:
        """The outlines the checks read, for drawing: the face (light, head size), each eye's lids from the iris
        model (eyes open) and the inner lips (mouth closed), as [x, y] photo pixels."""
        def rounded(points: np.ndarray) -> list[list[float]]:
            return np.round(points, 1).tolist()

        return {"face": rounded(self.mesh[list(FACE_OUTLINE), :2]),
                **{f"{side}_eye": rounded(lids[list(EYELID_LOOP)]) for side, lids in self.eyelids.items()},
                "mouth": rounded(self.mesh[list(INNER_LIP_LOOP), :2])}

    @cached_property
    def head_height(self) -> float:
        """Chin to crown as a share of the photo's height, the crown being the top of the head's outline, the face's
        widened for the hair as `faces.subject_mask` widens it."""
        return float(self.mesh[CHIN, 1] - head_outline(self.mesh)[:, 1].min()) / self.height


@cache
def _lit_pairs() -> tuple[np.ndarray, np.ndarray]:
    right, left = mirror_pairs()
    inside = ~np.isin(right, FACE_OUTLINE) & ~np.isin(left, FACE_OUTLINE)
    return right[inside], left[inside]


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    value: Callable[[Geometry], float]
    limit: float | tuple[float, float]  # a bound, or (lowest, highest) for `_between`
    passes: Callable[[float, float | tuple[float, float]], bool]  # (value, limit) → within the limit
    unit: str
    advice: str
    source: str
    ofiq: str  # the ISO/IEC 29794-5 measure(s) it corresponds to, as BSI's OFIQ names them ("" if none)
    named_within_yaw: float | None = None  # a never-failing finding is named only on a face turned at most this far

    @property
    def never_fails(self) -> bool:
        return self.passes is _never_fails


def _at_most(value: float, limit: float) -> bool:
    return abs(value) <= limit


def _at_least(value: float, limit: float) -> bool:
    return value >= limit


def _between(value: float, limit: tuple[float, float]) -> bool:
    return limit[0] <= value <= limit[1]


def _never_fails(value: float, limit: float) -> bool:
    """Never fails: from ``limit`` on, the finding is named with its advice (clear glasses, which ID photos allow)."""
    return True


CHECKS: dict[str, Check] = {check.name: check for check in [
    Check("roll", "Head straight (roll)", lambda g: g.pose[0], 8.0, _at_most, "°",
          "Hold your head straight: your eyes should be level.", "ISO/IEC 19794-5:2011 §7.2.2", "HeadPoseRoll"),
    Check("yaw", "Facing the camera (yaw)", lambda g: g.pose[1], 5.0, _at_most, "°",
          "Turn your face straight to the camera.", "ISO/IEC 19794-5:2011 §7.2.2", "HeadPoseYaw"),
    Check("pitch", "Chin level (pitch)", lambda g: g.pose[2], 5.0, _at_most, "°",
          "Keep your chin level, neither raised nor lowered.", "ISO/IEC 19794-5:2011 §7.2.2", "HeadPosePitch"),
    Check("eyes_open", "Eyes open", lambda g: g.eye_opening, 0.17, _at_least, "× the eye's width",
          "Keep both eyes open and look at the camera.",
          "ours, set looking at all 639 faces of benchmarks/labels: eyes labelled open read 0.18 and more, 99 in "
          "100 of them (median 0.34); eyes clearly shut or squeezed by laughter read less", "EyesOpen"),
    Check("eyes_visible", "Eyes not behind dark lenses", lambda g: eyewear.eye_darkness(g.eye_band), 0.25,
          _at_least, "× the cheeks' brightness", "Take off sunglasses or tinted glasses: your eyes must be visible.",
          "ours: the 637 faces of face_attributes.csv with their eyes visible read 0.32 and more; of the 2 with "
          "sunglasses the dark pair reads 0.18, a light-tinted pair 0.54 (of 585 faces drawn for dark eyes, "
          "dark_eyes.csv, it fails 6 of 12 pairs of sunglasses and 1 of 567 faces whose eyes are visible)",
          "EyesVisible"),
    Check("glasses", "Glasses", lambda g: eyewear.glasses_score(g.eye_band), 0.5, _never_fails, "score",
          "Glasses are fine if clear: keep reflections off the lenses and the frames clear of your eyes.",
          "ours, a model fitted on the labelled UTKFace faces of benchmarks/labels (398 with landmarks) "
          "(pixelperfect.training.eyewear); ISO/IEC 19794-5 allows clear glasses", "", GLASSES_YAW),
    Check("mouth_closed", "Mouth closed", lambda g: g.mouth_open, 0.5, _at_most, "chance the lips are apart",
          "Close your mouth and keep a neutral expression.",
          "ours, a model on the light across the lips, the inner lips' gap and the expression classifier's read, "
          "fitted on the labelled UTKFace faces of benchmarks/labels (pixelperfect.training.mouth); OFIQ's "
          "MouthClosed reads the gap alone, which flags closed full lips", "MouthClosed"),
    Check("expression", "Neutral expression", lambda g: g.not_neutral, 0.5, _at_most, "chance it is not neutral",
          "Keep a neutral expression: no smile, lips together, eyes relaxed.",
          "ours, a model on the fer classifier's seven expressions fitted on the labelled UTKFace faces of "
          "benchmarks/labels (398 with landmarks) (pixelperfect.training.expression); ISO/IEC 19794-5:2011 §7.2.3 "
          "asks for a neutral expression", "ExpressionNeutrality"),
    Check("face_size", "Face big enough", lambda g: g.face.eye_distance, 90.0, _at_least, "px between the eyes",
          "Move closer or use a higher-resolution photo: at least 90 pixels between the eyes.",
          "ISO/IEC 19794-5:2011 §8.3 (ICAO: 90 px between the eye centres)", "InterEyeDistance"),
    Check("centred", "Face centred", lambda g: g.off_centre, 0.05, _at_most, "of the width off centre",
          "Centre your face: it should sit in the middle of the photo, left to right.",
          "ISO/IEC 19794-5:2011 §8.3 (eyes' midpoint within 45–55 % of the width)",
          "LeftwardCropOfTheFaceImage, RightwardCropOfTheFaceImage"),
    Check("in_frame", "Head fully in the frame", lambda g: g.crop_margin, 1.0, _at_least, "× the margin needed",
          "Step back or recentre: leave room around your head and shoulders.",
          "ISO/IEC 29794-5, OFIQ CropOfTheFaceImage (quality 50)",
          "LeftwardCropOfTheFaceImage, RightwardCropOfTheFaceImage, MarginAboveOfTheFaceImage, "
          "MarginBelowOfTheFaceImage"),
    Check("single_face", "Only one face", lambda g: g.faces, 1, _at_most, "face(s)",
          "Use a photo with only you in it.", "ISO/IEC 19794-5:2011 §7.2 (any other face, also small or blurred)",
          "SingleFacePresent"),
    Check("background", "Plain background", lambda g: g.background_busyness, 4.0, _at_most, "grey levels per px",
          "Stand in front of a plain, evenly lit wall.",
          "ISO/IEC 39794-5 D.1.4.2.5, read as OFIQ's BackgroundUniformity (our limit, see README)",
          "BackgroundUniformity"),
    Check("lighting", "Face evenly lit", lambda g: g.lighting_balance, 0.61, _at_least, "× the brighter side",
          "Light your face evenly from the front: one side of it is in shadow.",
          "ours, fitted on the labelled UTKFace faces of benchmarks/labels (the best balanced accuracy on the faces "
          "labelled without doubt, benchmarks.checks; OFIQ's IlluminationUniformity gives no pass/fail point)",
          "IlluminationUniformity"),
    Check("dynamic_range", "Full range of tones on the face", lambda g: g.dynamic_range, 4.0, _at_least, "bits",
          "Light your face well and do not use filters: it shows too few shades of light and dark.",
          "ISO/IEC 29794-5, OFIQ DynamicRange (quality 50)", "DynamicRange"),
    Check("highlights", "No burnt-out patches on the face", lambda g: float((g.face_pixels >= BRIGHT).mean()), 0.01,
          _at_most, "of the face", "Soften or move the light: parts of your face are burnt out to white.",
          "ISO/IEC 29794-5, OFIQ OverExposurePrevention (quality 50; read here on the face at 64 px)",
          "OverExposurePrevention"),
    Check("shadows", "No black patches on the face", lambda g: float((g.face_pixels <= DARK).mean()), 0.25,
          _at_most, "of the face", "Add light in front of you: parts of your face are black.",
          "ours: the 179 good portraits of realphotos and realphotos2 read at most 0.17 (OFIQ's "
          "UnderExposurePrevention reaches quality 50 only at 0.9)", "UnderExposurePrevention"),
    Check("head_size", "Head fills the photo's height", lambda g: g.head_height, (0.5, 0.8), _between,
          "of the photo's height",
          "Frame the photo from just above your head to your shoulders: chin to crown should fill half to four "
          "fifths of its height.",
          "passport rules, the span of them: chin to crown 1–1⅜ in of 2 in (US, 0.50–0.69), 32–36 mm of 45 mm "
          "(Schengen, 0.71–0.80)", "HeadSize"),
]}


def face_geometry(photo: np.ndarray, found: FaceResult) -> Geometry | None:
    """What the checks read of the main face, or None without landmarks."""
    if found.mesh is None:
        return None
    photo = as_rgb(photo)
    height, width = photo.shape[:2]
    return Geometry(found.main, found.mesh, width, height, faces_counted(photo, found), photo)


def faces_counted(photo: np.ndarray, found: FaceResult) -> int:
    """The faces `single_face` counts: the main one, any as wide as a second sitter (which makes the photo "several"
    however faintly it was detected) and any smaller one `another_face` accepts."""
    comparable = found.comparable
    return 1 + len(comparable) + sum(another_face(photo, face) for face in found.faces[1:] if face not in comparable)


def another_face(photo: np.ndarray, face: Face) -> bool:
    """A second face counts from `OTHER_FACE_CONFIDENCE`; below `faces.SURE_WITHOUT_MESH` only if Face Mesh reads
    it too, as the main face must (a face-like pattern otherwise)."""
    if face.confidence < OTHER_FACE_CONFIDENCE:
        return False
    return face.confidence >= SURE_WITHOUT_MESH or read_mesh(photo, face)[1] is not None


def turn_reading(face: Face) -> float:
    """How far BlazeFace puts the nose from the ears' midpoint, across the photo, in face widths (a head also tilted
    by 30° reads cos 30° of it)."""
    ears = (face.point("right_ear") + face.point("left_ear")) / 2
    return abs(float(face.point("nose_tip")[0] - ears[0])) / face.width


def turned_to_the_side(face: Face) -> bool:
    """Whether BlazeFace's key points show a face in profile (`PROFILE_TURN`)."""
    return turn_reading(face) >= PROFILE_TURN


def landmarks_unread(found: FaceResult) -> str | None:
    """Why no check can run on the main face, in words a person can act on; None when its landmarks were read (or
    there is no face, which the face's own message says)."""
    if found.main is None or found.mesh is not None:
        return None
    return TURNED_AWAY if turned_to_the_side(found.main) else NO_LANDMARKS


def run_checks(photo: np.ndarray, found: FaceResult) -> dict[str, dict]:
    """Every check on the main face (`check_all`); empty without landmarks."""
    return check_all(face_geometry(photo, found))


def check_all(geometry: Geometry | None) -> dict[str, dict]:
    """Every check: {name: {value, limit, passed, named, message, finding, ofiq}}, where ``named`` says the message
    gives advice (the check fails, or `glasses` are seen), ``finding`` is the message without its advice and ``ofiq``
    the OFIQ measure(s) it corresponds to; empty without landmarks."""
    if geometry is None:
        return {}
    results = {}
    for check in CHECKS.values():
        value = float(check.value(geometry))
        passed = check.passes(value, check.limit)
        number = "< 0.001" if 0 < abs(value) < 0.001 else f"{value:.3g}"  # not 5.71e-05 of the face
        shown = f"{number}{check.unit}" if check.unit == "°" else f"{number} {check.unit}"
        finding = f"{check.label}: {shown} ({_limit_text(check)})"
        named = not passed or (check.never_fails and value >= check.limit)  # fails, or seen (glasses)
        if named and passed and check.named_within_yaw is not None and abs(geometry.pose[1]) > check.named_within_yaw:
            named = False
            finding += f", not named on a face turned {abs(geometry.pose[1]):.1f}°"
        results[check.name] = {"value": round(value, 4), "limit": check.limit, "passed": passed, "named": named,
                               "message": f"{finding}. {check.advice if named else 'OK.'}", "finding": finding,
                               "ofiq": check.ofiq}
    return results


def _limit_text(check: Check) -> str:
    if check.passes is _between:
        return f"between {check.limit[0]:g} and {check.limit[1]:g}"
    if check.never_fails:
        within = "" if check.named_within_yaw is None else f" within ±{check.named_within_yaw:g}° of yaw"
        return f"named from {check.limit:g}{within}, never fails"
    if check.passes is _at_least:
        return f"at least {check.limit:g}"
    return f"at most ±{check.limit:g}°" if check.unit == "°" else f"at most {check.limit:g}"
