"""A second person in the background: when does the face detector see them, and could sharpness tell them apart?

    python -m benchmarks.bystanders [--shared ../shared]

Each good portrait of `realphotos` and `realphotos2` with one face is widened to the right (its last column repeated)
and another portrait's face, 0.65-1.0 times as wide as its own, is pasted there, sharp or defocused (a Gaussian of
1, 2 or 4 % of the pasted square's side). Per defocus: how many pasted faces were found, what the photo profile made
of the photo (`several` when the face is at least `faces.COMPARABLE_WIDTH` as wide), BlazeFace's confidence in them
(and whether the ID profile then counts two faces, `checks.faces_counted`), and the pasted face's detail
(`measures.detail_ratio`, both faces read at the smaller one's scale) as a share of the main face's, the sharpness
cue tried for telling a defocused bystander from a second sitter. Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from pixelperfect.checks import faces_counted
from pixelperfect.faces import CROP_SIDE_SCALES, Face, face_square, find_face
from pixelperfect.images import load_image
from pixelperfect.measures import detail_ratio

DEFOCUS = (0.0, 0.01, 0.02, 0.04)


def good_portraits(shared: Path) -> list[Path]:
    return [folder / entry["path"] for folder in (shared / "realphotos", shared / "realphotos2")
            for entry in csv.DictReader((folder / "manifest.csv").open()) if entry["kind"] == "good"]


def grey_face(photo: np.ndarray, face: Face, side: int) -> np.ndarray:
    square = np.ascontiguousarray(face_square(photo, face)[..., :3])
    return cv2.cvtColor(cv2.resize(square, (side, side), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY).astype(np.float32)


def relative_detail(photo: np.ndarray, main: Face, other: Face) -> float:
    side = int(min(CROP_SIDE_SCALES * min(main.scale, other.scale), 200))
    return detail_ratio(grey_face(photo, other, side)) / max(1e-6, detail_ratio(grey_face(photo, main, side)))


def with_bystander(photo: np.ndarray, main: Face, square: np.ndarray, width: float, defocus: float) -> np.ndarray:
    """The photo widened to twice its width, the face ``square`` pasted level with the main face in the new half."""
    height, photo_width = photo.shape[:2]
    canvas = cv2.copyMakeBorder(photo, 0, 0, 0, photo_width, cv2.BORDER_REPLICATE)
    side = max(8, int(width))
    patch = cv2.resize(square, (side, side), interpolation=cv2.INTER_AREA)
    if defocus:
        patch = cv2.GaussianBlur(patch, (0, 0), defocus * side)
    x, y = int(1.5 * photo_width - side / 2), int(main.y + main.height / 2 - side / 2)
    left, top = max(0, x), max(0, y)
    right, bottom = min(2 * photo_width, x + side), min(height, y + side)
    canvas[top:bottom, left:right] = patch[top - y:bottom - y, left - x:right - x]
    return canvas


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(5)
    portraits = []
    for path in good_portraits(args.shared):
        photo = load_image(path)[..., :3]
        found = find_face(photo)
        if found.outcome == "one" and found.mesh is not None:
            portraits.append((photo, found.main))
    results = {defocus: [] for defocus in DEFOCUS}
    for index, (photo, main) in enumerate(portraits):
        other_photo, other = portraits[(index + 7) % len(portraits)]
        square = np.ascontiguousarray(face_square(other_photo, other)[..., :3])
        for defocus in DEFOCUS:
            # the pasted square is framed like `face_square`: its face is as wide, relative to it, as `other` in its own
            width = rng.uniform(0.65, 1.0) * main.width * square.shape[0] / other.width
            composite = with_bystander(photo, main, square, width, defocus)
            found = find_face(composite)
            pasted = [face for face in found.faces if face.x + face.width / 2 > photo.shape[1]]
            sitters = [face for face in found.faces if face.x + face.width / 2 <= photo.shape[1]]
            both = bool(pasted and sitters)
            results[defocus].append((found.outcome, pasted[0].confidence if both else None,
                                     relative_detail(composite, sitters[0], pasted[0]) if both else None,
                                     both and faces_counted(composite, found) > 1))
    print(f"{len(portraits)} good portraits with one face and landmarks, a face pasted beside each\n")
    print("| defocus | pasted faces found | photo profile: several | confidence (min · 2nd pct · median) "
          "| counted under id | detail vs the sitter's (10th · 50th · 90th pct) |")
    print("|---|---|---|---|---|---|")
    for defocus, rows in results.items():
        confidence = np.array([c for _, c, _, _ in rows if c is not None])
        detail = np.array([d for _, _, d, _ in rows if d is not None])
        several = sum(outcome == "several" for outcome, _, _, _ in rows)
        print(f"| {defocus:.0%} | {len(confidence)}/{len(rows)} | {several} | {confidence.min():.2f} · "
              f"{np.percentile(confidence, 2):.2f} · {np.median(confidence):.2f} | "
              f"{sum(counted for *_, counted in rows)} | "
              + " · ".join(f"{v:.2f}" for v in np.percentile(detail, [10, 50, 90])) + " |")


if __name__ == "__main__":
    main()
