"""Head pose against AFLW2000-3D's angles (`../shared/headpose`, 600 photos): mean absolute error in degrees.

    python -m benchmarks.headpose [--folder ../shared/headpose]

Rows: every photo whose landmarks are read, and those within ±30° of yaw (the poses an ID check meets). Two zeros:
PixelPerfect's own (the canonical face from UTKFace, `pixelperfect.pose`), and the labels' (each angle's median
error on the odd-numbered photos, scored on the even-numbered ones), since AFLW's 3-D fits put "level" about 4°
of pitch away from where faces looking at a camera are. Then the faces Face Mesh cannot read: how many BlazeFace's
key points show turned to the side (`checks.turned_to_the_side`, told to face the camera), beside what faces within
15° of frontal read. Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from pixelperfect.checks import PROFILE_TURN, turn_reading
from pixelperfect.faces import detect_faces, find_face
from pixelperfect.images import load_image
from pixelperfect.pose import head_pose

PUBLISHED = {"6DRepNet": (3.63, 4.91, 3.37), "img2pose": (3.43, 5.03, 3.28), "FSA-Net": (4.50, 6.08, 4.64),
             "HopeNet": (6.47, 6.56, 5.44)}


def estimates(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, ours, turns): yaw, pitch, roll per photo in the labels' conventions, ours NaN where no landmarks,
    and BlazeFace's `checks.turn_reading` of the largest face (NaN where none is found)."""
    labels, ours, turns = [], [], []
    for row in csv.DictReader((folder / "angles.csv").open()):
        labels.append([float(row[angle]) for angle in ("yaw", "pitch", "roll")])
        photo = load_image(folder / row["path"])
        found = find_face(photo)
        mesh = found.mesh
        # BlazeFace's own key points: a face without landmarks keeps them; where Face Mesh read one, find_face
        # took its points instead, so BlazeFace is asked again
        face = found.main if mesh is None else detect_faces(photo)[0]
        turns.append(turn_reading(face) if face is not None else np.nan)
        if mesh is None:
            ours.append([np.nan] * 3)
            continue
        roll, yaw, pitch = head_pose(mesh)
        ours.append([-yaw, pitch, roll])  # the labels' yaw is positive towards the photo's left
    return np.array(labels), np.array(ours), np.array(turns)


def row(name: str, errors: np.ndarray) -> str:
    mean = np.abs(errors).mean(axis=0)
    return f"| {name} | {len(errors)} | {mean[0]:.2f} | {mean[1]:.2f} | {mean[2]:.2f} | **{mean.mean():.2f}** |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("../shared/headpose"))
    args = parser.parse_args(argv)
    labels, ours, turns = estimates(args.folder)
    read = ~np.isnan(ours).any(axis=1)
    near = np.abs(labels[:, 0]) <= 30
    odd = np.arange(len(labels)) % 2 == 1
    offset = np.median((ours - labels)[read & odd], axis=0)
    print(f"Landmarks read on {read.sum()} of {len(labels)} photos. The labels' zero, from the odd half: yaw "
          f"{offset[0]:+.2f}°, pitch {offset[1]:+.2f}°, roll {offset[2]:+.2f}° from ours.\n")
    print("| photos | n | yaw | pitch | roll | mean |\n|---|---|---|---|---|---|")
    print(row("all read, our zero", (ours - labels)[read]))
    print(row("within ±30° of yaw, our zero", (ours - labels)[read & near]))
    print(row("even half, all read, the labels' zero", (ours - offset - labels)[read & ~odd]))
    print(row("even half, within ±30° of yaw, the labels' zero", (ours - offset - labels)[read & ~odd & near]))
    for name, errors in PUBLISHED.items():
        print(f"| {name} (published, 1,969 photos) | — | {errors[0]:.2f} | {errors[1]:.2f} | {errors[2]:.2f} | "
              f"{np.mean(errors):.2f} |")
    unread = ~read & ~np.isnan(turns)  # a face found without landmarks
    frontal = read & (np.abs(labels[:, 0]) <= 15)
    print(f"\nNo face found in {int(np.isnan(turns).sum())} photos; a face without landmarks in {unread.sum()} "
          f"(|yaw| {np.abs(labels[unread, 0]).min():.0f}–{np.abs(labels[unread, 0]).max():.0f}°), "
          f"{(turns[unread] >= PROFILE_TURN).sum()} of them turned to the side by BlazeFace's key points (reading "
          f"{turns[unread].min():.2f}–{turns[unread].max():.2f}; limit {PROFILE_TURN}); faces within 15° of frontal "
          f"read {np.percentile(turns[frontal], 50):.2f} (median) and {np.percentile(turns[frontal], 90):.2f} (9 in 10 "
          f"below).")


if __name__ == "__main__":
    main()
