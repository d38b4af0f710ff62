"""Finding the face and its landmarks, and cropping it the way the classifiers saw faces in training.

Detection is MediaPipe's BlazeFace and the landmarks its Face Mesh, both on LiteRT (`landmarks`). Short range
reads the photo first; when it finds nothing, it reads the photo padded on every side (a face that fills the
frame, as in a tight crop: on 600 UTKFace crops it found a face in 591 unpadded and 599 padded by 30 %). When it
still finds nothing, or only faces small in the frame, full range reads the photo, and its faces are taken when it
finds any: it is the model for small faces, and short range, at the edge of what it sees, finds one and misses
the next. OpenCV's Haar cascades, used before, took 9 ms a face.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from . import landmarks
from .landmarks import KEYPOINTS, Detection

# A detection Face Mesh does not confirm counts only this sure (the coffee cup's steam scores 0.50).
SURE_WITHOUT_MESH = 0.75
PAD_SHARE = 0.3  # padding on each side, as a share of the photo's longest side, before short-range detection
# Face Mesh places all 468 points even where the face leaves the photo. On 500 UTKFace crops at most 2.1 % of them
# (99th percentile) fell outside; a portrait cut a quarter into the face puts 9 % outside.
CUT_OFF_SHARE = 0.05
# Tiles for the last pass: a face down to 40 px is found in a 480 px tile, and a big photo is read in at most
# 4 tiles across (with their overlaps, 25 or fewer full-range passes at about 2 ms each).
SMALLEST_TILE = 480
MOST_TILES_ACROSS = 4
# Short range's faces narrower than this share of the photo's longest side are small enough for full range to read
# the photo too: on photos with two faces 0.12-0.15 of it across, short range found one and missed the other (a
# test makes such a photo), and on GFPGAN's photo of two children it found one, loosely boxed (274 px for 168).
SMALL_IN_FRAME = 0.25
COMPARABLE_WIDTH = 0.6  # a second face this wide (share of the main one's width) makes "several faces"
MIN_FACE_PIXELS = 80  # a face box narrower than this in the original photo is too small to judge or use
# Framing of the training faces, measured on 400 UTKFace crops with Face Mesh (`Face.scale`): the crop's side
# is 2.53 face scales (10-90 %: 2.44-2.60) and its centre lies 0.51 scales below the eyes' midpoint, along the
# line from the eyes to the mouth. The face scale, the mean of the eye distance and the eye-to-mouth distance,
# varied least of the scales tried (box width, eye distance, eye-to-mouth distance: 1.8 times the spread).
CROP_SIDE_SCALES = 2.53
CROP_CENTRE_BELOW_EYES = 0.51
CROP_SIDE = 200
# Eyes this close to level are not turned: turning resamples the photo, and the training faces lean too (UTKFace's
# aligned crops: median 1.0°, 90 % within 3.3°, 99 % within 6.5°), so the models know such a lean.
LEVEL_DEGREES = 7.0
# A photo whose centre square overlaps the face crop this much (intersection over union) is already framed like
# the training faces, as a tight face crop is: it is analysed as it is, because resampling it again softens the
# very detail (pixelation, compression blocks) the models look for.
ALREADY_FRAMED_IOU = 0.8
# Face Mesh points that stand for BlazeFace's key points once the mesh has been read (eye corners' midpoints,
# the nose tip, the inner and outer lips' midpoint, the cheek's outline beside each ear).
MESH_KEYPOINTS = {"right_eye": (33, 133), "left_eye": (263, 362), "nose_tip": (1,), "mouth": (13, 14, 61, 291),
                  "right_ear": (234,), "left_ear": (454,)}

NO_FACE = "No face found. Use a photo where your face is clearly visible, facing the camera."

# The face's outline on Face Mesh, and how much wider the head with its hair is than that outline (across, up and
# down); below the eyes the neck and shoulders are taken as a band 1.1 times as wide as the outline.
FACE_OUTLINE = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
                148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
HAIR_WIDENING = (1.35, 1.3)
SHOULDERS_HALF_WIDTH = 1.1

Corners = tuple[int, int, int, int]  # x0, y0, x1, y1 of a box
Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    width: int
    height: int
    confidence: float
    keypoints: tuple[Point, ...] = ()  # in `landmarks.KEYPOINTS` order, photo pixels

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height

    @property
    def corners(self) -> Corners:
        return self.x, self.y, self.x + self.width, self.y + self.height

    def point(self, name: str) -> np.ndarray:
        return np.asarray(self.keypoints[KEYPOINTS.index(name)], dtype=np.float64)

    @property
    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.point("left_eye") - self.point("right_eye")))

    @property
    def eyes_to_mouth(self) -> float:
        return float(np.linalg.norm(self.point("mouth") - (self.point("left_eye") + self.point("right_eye")) / 2))

    @property
    def scale(self) -> float:
        """The face's size in pixels, steady under expression and turns: mean of eye and eye-to-mouth distances."""
        return (self.eye_distance + self.eyes_to_mouth) / 2

    @property
    def roll(self) -> float:
        """Degrees the eye line leans, positive when the person's left eye (right in the photo) is lower."""
        right, left = self.point("right_eye"), self.point("left_eye")
        return float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))


@dataclass(frozen=True)
class FaceResult:
    outcome: str  # "one", "none", "several", "too_small", "cut_off"
    faces: tuple[Face, ...]
    message: str
    mesh: np.ndarray | None = field(default=None, compare=False, repr=False)  # 468 × 3 of the main face

    @property
    def main(self) -> Face | None:
        return self.faces[0] if self.faces else None

    @property
    def usable(self) -> bool:
        return self.outcome in ("one", "several")

    @property
    def comparable(self) -> list[Face]:
        return comparable_faces(self.faces)


def comparable_faces(faces) -> list[Face]:
    """The faces after the first (the main one) at least `COMPARABLE_WIDTH` of its width; smaller ones are
    bystanders in the background."""
    return [face for face in faces[1:] if face.width >= COMPARABLE_WIDTH * faces[0].width]


def as_rgb(image: np.ndarray) -> np.ndarray:
    """The photo's three colour channels; a grey photo's grey in all three."""
    image = np.asarray(image)
    return np.repeat(image[..., np.newaxis], 3, axis=2) if image.ndim == 2 else image[..., :3]


def _face(detection: Detection, shift: float = 0.0) -> Face:
    x0, y0, x1, y1 = (value - shift for value in detection.box)
    return Face(round(x0), round(y0), round(x1 - x0), round(y1 - y0), round(detection.score, 4),
                tuple((float(x - shift), float(y - shift)) for x, y in detection.keypoints))


def detect_faces(image: np.ndarray) -> list[Face]:
    """Face boxes and key points in original-image pixels, largest and most confident first."""
    rgb = as_rgb(image)
    faces = [_face(found) for found in landmarks.detect(rgb, landmarks.SHORT_RANGE)]
    if not faces:  # a face that fills the frame, as in a tight crop
        pad = round(PAD_SHARE * max(rgb.shape[:2]))
        padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces = [_face(found, pad) for found in landmarks.detect(padded, landmarks.SHORT_RANGE)]
    if not faces or max(face.width for face in faces) < SMALL_IN_FRAME * max(rgb.shape[:2]):  # small faces
        faces = [_face(found) for found in landmarks.detect(rgb, landmarks.FULL_RANGE)] or faces
    if not faces and max(rgb.shape[:2]) > SMALLEST_TILE:  # smaller still: full range finds faces ≥ 16 of its 192 px
        tile = max(SMALLEST_TILE, max(rgb.shape[:2]) // MOST_TILES_ACROSS)
        faces = [_face(found) for found in landmarks.detect_tiled(rgb, tile)]
    return sorted(faces, key=lambda f: (f.width * f.height) * (0.5 + f.confidence), reverse=True)


def read_mesh(image: np.ndarray, face: Face) -> tuple[Face, np.ndarray | None]:
    """Face Mesh's landmarks for one face, and the face with its key points taken from them (more precise)."""
    x0, y0, x1, y1 = face.corners
    mesh = landmarks.mesh(as_rgb(image), Detection((x0, y0, x1, y1), np.asarray(face.keypoints), face.confidence))
    if mesh is None:
        return face, None
    points = tuple(tuple(float(v) for v in mesh[list(indices), :2].mean(axis=0)) for indices in
                   (MESH_KEYPOINTS[name] for name in KEYPOINTS))
    return replace(face, keypoints=points), mesh


def find_face(image: np.ndarray) -> FaceResult:
    """Detect faces and say, in words a person can act on, whether the photo has one usable face."""
    image = np.asarray(image)
    height, width = image.shape[:2]
    faces = detect_faces(image)
    if not faces:
        return FaceResult("none", (), NO_FACE)
    main, mesh = read_mesh(image, faces[0])
    while mesh is None and main.confidence < SURE_WITHOUT_MESH:  # a face-like pattern, not a face
        faces = faces[1:]
        if not faces:
            return FaceResult("none", (), NO_FACE)
        main, mesh = read_mesh(image, faces[0])
    faces = (main, *faces[1:])
    if others := comparable_faces(faces):
        return FaceResult("several", faces, f"{len(others) + 1} faces found. Use a photo with only you in it; "
                                            "the largest face was analysed.", mesh)
    if _cut_off(main, mesh, width, height):
        return FaceResult("cut_off", faces, "The face is cut off at the edge of the photo. Step back or centre "
                                            "your face so all of it is in the frame.", mesh)
    if main.width < MIN_FACE_PIXELS:
        return FaceResult("too_small", faces, f"The face is only {main.width} pixels wide (at least "
                                              f"{MIN_FACE_PIXELS} are needed). Move closer or crop the photo "
                                              "around your face.", mesh)
    return FaceResult("one", faces, "One face found.", mesh)


def _cut_off(face: Face, mesh: np.ndarray | None, width: int, height: int) -> bool:
    """More than `CUT_OFF_SHARE` of the face's landmarks (or, without them, a box edge) lie outside the photo."""
    if mesh is None:
        margin = 0.1 * face.width
        return (face.x < -margin or face.y < -margin or face.x + face.width > width + margin
                or face.y + face.height > height + 0.25 * face.height)
    margin = 0.1 * face.scale
    x, y = mesh[:, 0], mesh[:, 1]
    outside = (x < -margin) | (y < -margin) | (x > width + margin) | (y > height + margin)
    return float(outside.mean()) > CUT_OFF_SHARE


def head_outline(mesh: np.ndarray) -> np.ndarray:
    """The face's outline widened about its centre by `HAIR_WIDENING`, to take in the hair: the head."""
    outline = mesh[list(FACE_OUTLINE), :2]
    centre = outline.mean(axis=0)
    return centre + (outline - centre) * np.array(HAIR_WIDENING)


def subject_mask(shape: tuple[int, int], mesh: np.ndarray) -> np.ndarray:
    """1 on the person (the face outline widened for the hair, and the neck and shoulders below the eyes), 0 on
    the background, for a picture of ``shape`` (height, width) in which ``mesh`` gives Face Mesh's points."""
    mask = np.zeros(shape[:2], np.uint8)
    outline = mesh[list(FACE_OUTLINE), :2]
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(head_outline(mesh)).astype(np.int32)), 1)
    eyes = mesh[list(MESH_KEYPOINTS["right_eye"] + MESH_KEYPOINTS["left_eye"]), :2].mean(axis=0)
    half_width = SHOULDERS_HALF_WIDTH * np.linalg.norm(outline.max(axis=0) - outline.min(axis=0)) / 2
    cv2.rectangle(mask, (round(eyes[0] - half_width), round(eyes[1])), (round(eyes[0] + half_width), shape[0]), 1, -1)
    return mask


def face_square(image: np.ndarray, face: Face | None) -> np.ndarray:
    """The square around the face, eyes level and framed like the training faces, at the photo's own resolution.

    Without a face, or for a photo that is already framed like a face crop, the centre square is used.
    Parts of the square outside the photo are filled by replicating its edge.
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    centre_square = square_around(width / 2, height / 2, min(height, width))
    if face is None or not face.keypoints:
        return cut(image, centre_square)
    eyes = (face.point("left_eye") + face.point("right_eye")) / 2
    down = face.point("mouth") - eyes
    down /= max(float(np.linalg.norm(down)), 1e-6)
    cx, cy = eyes + CROP_CENTRE_BELOW_EYES * face.scale * down
    side = max(1, round(CROP_SIDE_SCALES * face.scale))
    if abs(face.roll) < LEVEL_DEGREES:
        box = square_around(cx, cy, side)
        return cut(image, centre_square if _iou(box, centre_square) >= ALREADY_FRAMED_IOU else box)
    # One resampling turns the photo about the crop's centre and cuts the square out of it.
    turn = cv2.getRotationMatrix2D((float(cx), float(cy)), face.roll, 1.0)
    turn[:, 2] += side / 2 - np.array([cx, cy])
    return cv2.warpAffine(image, turn, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def resized(square: np.ndarray, side: int = CROP_SIDE) -> np.ndarray:
    """A face square at ``side`` pixels, always a writable array of its own."""
    if square.shape[0] == side:
        return square.copy()
    interpolation = cv2.INTER_AREA if square.shape[0] > side else cv2.INTER_CUBIC
    return cv2.resize(square, (side, side), interpolation=interpolation)


def crop_face(image: np.ndarray, face: Face | None, side: int = CROP_SIDE) -> np.ndarray:
    """The face square (`face_square`) resized to ``side`` pixels, as the classifiers saw faces in training."""
    return resized(face_square(image, face), side)


def cut(image: np.ndarray, box: Corners) -> np.ndarray:
    """The ``box`` of ``image``, the part outside it filled by replicating its edge (only the box is padded, not the
    photo)."""
    x0, y0, x1, y1 = box
    height, width = image.shape[:2]
    inside = image[max(y0, 0):max(min(y1, height), 0), max(x0, 0):max(min(x1, width), 0)]
    margins = (max(-y0, 0), max(y1 - height, 0), max(-x0, 0), max(x1 - width, 0))
    return cv2.copyMakeBorder(inside, *margins, cv2.BORDER_REPLICATE) if any(margins) else inside


def square_around(cx: float, cy: float, size: float) -> Corners:
    x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
    return x0, y0, x0 + int(round(size)), y0 + int(round(size))


def _area(box: Corners) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _iou(a: Corners, b: Corners) -> float:
    shared = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return shared / (_area(a) + _area(b) - shared)
