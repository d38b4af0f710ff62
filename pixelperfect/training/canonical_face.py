"""Build the canonical face the head pose is measured against (`pixelperfect/canonical_face.json`).

    python -m pixelperfect.training.canonical_face [--faces ../shared/utkface/images] [--count 600] [--seed 7]

Face Mesh on ``count`` UTKFace crops drawn at random, each normalized (`pose.normalized`), then aligned to their
mean ten times over (generalised Procrustes; the mean stops moving after a few rounds). UTKFace's crops are aligned
faces, most of them looking at the camera, so the mean is the pose PixelPerfect calls straight; no head-pose label
is used. The points that stray least from the mean once each face is aligned (`RIGID_SHARE` of them: the nose, the
cheeks beside it and the eyes' inner corners, not the mouth, jaw, brows or the lids' middles, which move with
expression) are the ones `pose.head_pose` fits.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..faces import find_face
from ..images import load_image
from ..pose import CANONICAL_FACE_FILE, mirror_partners, normalized, rotation_between


RIGID_SHARE = 0.2


def mean_face(meshes: list[np.ndarray], rounds: int = 10) -> np.ndarray:
    shapes = [normalized(mesh) for mesh in meshes]
    mean = normalized(np.mean(shapes, axis=0))
    for _ in range(rounds):
        mean = normalized(np.mean([shape @ rotation_between(shape, mean).T for shape in shapes], axis=0))
    return mean


def least_varying_points(meshes: list[np.ndarray], mean: np.ndarray, share: float = RIGID_SHARE) -> np.ndarray:
    """The indices of the ``share`` of points whose distance from the mean, each face aligned to it, varies least,
    each point judged with its mirror partner, so that the set is symmetric and a mirrored face reads mirrored."""
    aligned = np.array([shape @ rotation_between(shape, mean).T for shape in map(normalized, meshes)])
    spread = ((aligned - mean) ** 2).sum(axis=2).mean(axis=0)
    spread = (spread + spread[mirror_partners(mean)]) / 2
    return np.flatnonzero(spread <= np.quantile(spread, share))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=CANONICAL_FACE_FILE)
    args = parser.parse_args(argv)
    files = sorted(args.faces.glob("*.jpg"))
    chosen = [files[i] for i in sorted(np.random.default_rng(args.seed).choice(len(files), args.count, replace=False))]
    meshes = [mesh for mesh in (find_face(load_image(path)).mesh for path in chosen) if mesh is not None]
    mean = mean_face(meshes)
    rigid = least_varying_points(meshes, mean)
    args.output.write_text(json.dumps({
        "about": f"mean Face Mesh of {len(meshes)} of {args.count} UTKFace crops (seed {args.seed}), normalized and "
                 f"aligned by generalised Procrustes, and the {len(rigid)} points that vary least between them: "
                 "python -m pixelperfect.training.canonical_face",
        "points": np.round(mean, 5).tolist(), "rigid": rigid.tolist()}))
    print(f"{args.output}: the mean of {len(meshes)} faces, {len(rigid)} rigid points")


if __name__ == "__main__":
    main()
