"""Head pose from Face Mesh: the rotation that best turns the canonical face into this one.

The canonical face (``canonical_face.json``) is the mean Face Mesh of 599 UTKFace crops, aligned to one another
(generalised Procrustes, `pixelperfect.training.canonical_face`): faces that, most of them, look at the camera, so its
pose is the zero. A face's pose is the rotation fitted (Kabsch) over the fifth of the points that vary least between
those faces (`rigid_points`: the nose, the cheeks beside it and the eyes' inner corners; a smile or an open mouth does
not turn the head), read as angles in the order head-pose benchmarks use (AFLW2000-3D: pitch, then yaw, then roll). On
AFLW2000-3D (`benchmarks/headpose.py`) fitting all 468 points rather than reading three took an eighth off the mean
error over all poses, and fitting only the rigid points takes a seventh more (6.2° to 5.3°; within ±30° of yaw 3.3° to
3.0°).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

CANONICAL_FACE_FILE = Path(__file__).with_name("canonical_face.json")


@cache
def canonical_face() -> np.ndarray:
    return np.asarray(json.loads(CANONICAL_FACE_FILE.read_text())["points"], dtype=np.float64)


@cache
def rigid_points() -> np.ndarray:
    return np.asarray(json.loads(CANONICAL_FACE_FILE.read_text())["rigid"], dtype=int)


@cache
def mirror_pairs(least_offset: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """Face Mesh points on the person's right (the photo's left) and the point that mirrors each on the left, those
    at least ``least_offset`` of the face's width from its midline: the canonical face is symmetric, each point's
    mirror image lying within 0.7 % of the face's width of its partner."""
    points = canonical_face()
    across = points[:, 0] - points[:, 0].mean()
    partner = mirror_partners(points)
    mutual = partner[partner] == np.arange(len(points))
    right = np.flatnonzero((across < -least_offset * np.ptp(points[:, 0])) & mutual)
    return right, partner[right]


def mirror_partners(points: np.ndarray) -> np.ndarray:
    """For each point of a frontal face, the point nearest its mirror image across the face's midline."""
    mirrored = points.copy()
    mirrored[:, 0] -= 2 * (points[:, 0] - points[:, 0].mean())
    return np.linalg.norm(mirrored[:, np.newaxis] - points[np.newaxis], axis=2).argmin(axis=1)


def normalized(points: np.ndarray) -> np.ndarray:
    """Mesh points centred on their mean and scaled to unit spread in the photo's plane (depth alike)."""
    centred = points - points.mean(axis=0)
    return centred / np.sqrt((centred[:, :2] ** 2).sum(axis=1).mean())


def rotation_between(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation R (no reflection) with R @ source[i] closest to target[i], both normalized (Kabsch)."""
    u, _, vt = np.linalg.svd(source.T @ target)
    turn = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, turn]) @ u.T


def rotation_for(roll: float, yaw: float, pitch: float) -> np.ndarray:
    """The rotation `head_pose` reads as these angles (degrees): Rx(−pitch) · Ry(−yaw) · Rz(roll)."""
    a, b, c = np.radians([-pitch, -yaw, roll])
    about_x = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    about_y = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    about_z = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return about_x @ about_y @ about_z


def head_pose(mesh: np.ndarray) -> tuple[float, float, float]:
    """(roll, yaw, pitch) in degrees of a face's 468 Face Mesh points (x right, y down, z away from the camera):
    roll positive when the person's left eye is lower, yaw positive when the nose points to the photo's right,
    pitch positive when the chin is up."""
    rigid = rigid_points()
    points = np.asarray(mesh, dtype=np.float64)[rigid]
    rotation = rotation_between(normalized(canonical_face()[rigid]), normalized(points))
    # rotation = Rx(a) · Ry(b) · Rz(c), as AFLW2000-3D composes pitch, yaw and roll
    b = np.arcsin(np.clip(rotation[0, 2], -1.0, 1.0))
    a = np.arctan2(-rotation[1, 2], rotation[2, 2])
    c = np.arctan2(-rotation[0, 1], rotation[0, 0])
    return float(np.degrees(c)), float(-np.degrees(b)), float(-np.degrees(a))
