"""Finding the face, and cropping it the way the classifiers saw faces in training.

Detection uses OpenCV's bundled Haar cascades (frontal default, then a second frontal cascade on
a histogram-equalised picture as a fallback for dark or flat photos), which work offline from the
pip package. The photo is padded before detection so a face
that fills the frame, as in a tight crop, is still found.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

# (longest side searched, smallest face as a share of the photo): a coarse pass for portraits first,
# then a fine one for small faces. On 400 UTKFace crops a 160 px coarse pass found one face in 359
# (320 px: 347) at 10.3 ms per photo (320 px: 12.9 ms).
DETECTION_PASSES = ((160, 0.25), (720, 0.04))
SCALE_FACTOR = 1.1  # step between the window sizes the cascades try
MIN_FACE_PIXELS = 80  # a face narrower than this in the original photo is too small to judge or use
# Framing of the training faces, measured by running `detect_faces` on 200 UTKFace crops: the crop's
# side is 1.03 times the detected box (median; 10-90 %: 0.90-1.06) and the box centre sits at 41 %
# of the crop's height, so the crop centre lies 0.59 box heights below the box top.
CROP_SCALE = 1.03
CROP_CENTRE_Y = 0.59
CROP_SIDE = 200
# A photo whose centre square overlaps the face crop this much (intersection over union) is already framed like
# the training faces, as a tight face crop is: it is analysed as it is, because resampling it again softens the
# very detail (pixelation, compression blocks) the models look for.
ALREADY_FRAMED_IOU = 0.8

_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
# One set of cascades per thread: OpenCV's CascadeClassifier is not safe to share, and concurrent
# detectMultiScale calls on one object fail ("scaleIdx < scaleData->size()") under load.
_per_thread = threading.local()


Corners = tuple[int, int, int, int]  # x0, y0, x1, y1 of a box


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    width: int
    height: int
    confidence: float

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height

    @property
    def corners(self) -> Corners:
        return self.x, self.y, self.x + self.width, self.y + self.height


@dataclass(frozen=True)
class FaceResult:
    outcome: str  # "one", "none", "several", "too_small", "cut_off"
    faces: tuple[Face, ...]
    message: str

    @property
    def main(self) -> Face | None:
        return self.faces[0] if self.faces else None

    @property
    def usable(self) -> bool:
        return self.outcome in ("one", "several")


def _cascades() -> list[cv2.CascadeClassifier]:
    if not hasattr(_per_thread, "cascades"):
        cascades = [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in _CASCADES]
        if any(cascade.empty() for cascade in cascades):
            raise RuntimeError("OpenCV's Haar cascades are missing: install opencv-python-headless<5")
        _per_thread.cascades = cascades
    return _per_thread.cascades


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def detect_faces(image: np.ndarray) -> list[Face]:
    """Face boxes in original-image pixels, most confident and largest first.

    A coarse pass finds the large faces of ordinary portraits quickly; only when it finds none does
    a finer pass look for small faces.
    """
    grey = _grey(np.asarray(image))
    for side, smallest in DETECTION_PASSES:
        faces = _detect_at(grey, side, smallest)
        if faces or side >= max(grey.shape):
            break
    return sorted(faces, key=lambda f: (f.width * f.height) * (0.5 + f.confidence), reverse=True)


def _detect_at(grey: np.ndarray, side: int, smallest: float) -> list[Face]:
    height, width = grey.shape
    scale = min(1.0, side / max(height, width))
    if scale < 1:
        grey = cv2.resize(grey, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    pad = max(grey.shape) // 6  # room around a face that fills the frame, as in a tight crop
    padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    min_size = max(24, int(min(grey.shape) * smallest))
    # First the plain picture; then, for dark or flat photos, the second cascade on an equalised one.
    for cascade, picture in zip(_cascades(), (padded, cv2.equalizeHist(padded))):
        boxes, _, weights = cascade.detectMultiScale3(picture, scaleFactor=SCALE_FACTOR, minNeighbors=5,
                                                      minSize=(min_size, min_size), outputRejectLevels=True)
        if len(boxes):
            break
    faces = [Face(round((x - pad) / scale), round((y - pad) / scale), round(w / scale), round(h / scale),
                  float(1 / (1 + np.exp(-(float(weight) - 3.0) / 1.5))))  # level weight → 0..1
             for (x, y, w, h), weight in zip(boxes, np.ravel(weights) if len(boxes) else [])]
    return _drop_overlaps(faces)


def _drop_overlaps(faces: list[Face]) -> list[Face]:
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.confidence, reverse=True):
        if all(_overlap(face, other) < 0.3 for other in kept):
            kept.append(face)
    return kept


def _overlap(a: Face, b: Face) -> float:
    """Share of the smaller face covered by the other."""
    return _intersection(a.corners, b.corners) / min(_area(a.corners), _area(b.corners))


def _area(box: Corners) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _intersection(a: Corners, b: Corners) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _iou(a: Corners, b: Corners) -> float:
    shared = _intersection(a, b)
    return shared / (_area(a) + _area(b) - shared)


def find_face(image: np.ndarray) -> FaceResult:
    """Detect faces and say, in words a person can act on, whether the photo has one usable face."""
    image = np.asarray(image)
    height, width = image.shape[:2]
    faces = tuple(detect_faces(image))
    if not faces:
        return FaceResult("none", faces, "No face found. Use a photo where your face is clearly visible, "
                                         "facing the camera.")
    main = faces[0]
    # A second face counts only if it is comparable in size; small faces in the background are bystanders.
    others = [f for f in faces[1:] if f.width >= 0.6 * main.width]
    if others:
        return FaceResult("several", faces, f"{len(others) + 1} faces found. Use a photo with only you in it; "
                                            "the largest face was analysed.")
    margin = 0.1 * main.width
    if (main.x < -margin or main.y < -margin or main.x + main.width > width + margin
            or main.y + main.height > height + 0.25 * main.height):
        return FaceResult("cut_off", faces, "The face is cut off at the edge of the photo. Step back or centre "
                                            "your face so all of it is in the frame.")
    if main.width < MIN_FACE_PIXELS:
        return FaceResult("too_small", faces, f"The face is only {main.width} pixels wide (at least "
                                              f"{MIN_FACE_PIXELS} are needed). Move closer or crop the photo "
                                              "around your face.")
    return FaceResult("one", faces, "One face found.")


def face_square(image: np.ndarray, face: Face | None) -> np.ndarray:
    """The square around the face, framed like the training faces, at the photo's own resolution.

    Without a face, or for a photo that is already framed like a face crop, the centre square is used.
    Parts of the square outside the photo are filled by replicating its edge.
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    centre_square = _square(width / 2, height / 2, min(height, width))
    box = centre_square
    if face is not None:
        box = _square(face.x + face.width / 2, face.y + face.height * CROP_CENTRE_Y, face.width * CROP_SCALE)
        if _iou(box, centre_square) >= ALREADY_FRAMED_IOU:
            box = centre_square
    x0, y0, x1, y1 = box
    pad = max(0, -x0, -y0, x1 - width, y1 - height)
    if pad:
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    return image[y0:y1, x0:x1]


def resized(square: np.ndarray, side: int = CROP_SIDE) -> np.ndarray:
    """A face square at ``side`` pixels, always a writable array of its own."""
    if square.shape[0] == side:
        return square.copy()
    interpolation = cv2.INTER_AREA if square.shape[0] > side else cv2.INTER_CUBIC
    return cv2.resize(square, (side, side), interpolation=interpolation)


def crop_face(image: np.ndarray, face: Face | None, side: int = CROP_SIDE) -> np.ndarray:
    """The face square (`face_square`) resized to ``side`` pixels, as the classifiers saw faces in training."""
    return resized(face_square(image, face), side)


def _square(cx: float, cy: float, size: float) -> Corners:
    x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
    return x0, y0, x0 + int(round(size)), y0 + int(round(size))
