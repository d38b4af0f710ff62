"""Head pose against AFLW2000-3D's angles (`../shared/headpose`, 600 photos): mean absolute error in degrees.

    python -m benchmarks.headpose [--folder ../shared/headpose]

Rows: every photo whose landmarks are read, and those within ±30° of yaw (the poses an ID check meets). Two zeros:
PixelPerfect's own (the canonical face from UTKFace, `pixelperfect.pose`), and the labels' (each angle's median
error on the odd-numbered photos, scored on the even-numbered ones), since AFLW's 3-D fits put "level" about 5°
of pitch away from where faces looking at a camera are. Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from pixelperfect.faces import find_face
from pixelperfect.images import load_image
from pixelperfect.pose import head_pose

PUBLISHED = {"6DRepNet": (3.63, 4.91, 3.37), "img2pose": (3.43, 5.03, 3.28), "FSA-Net": (4.50, 6.08, 4.64),
             "HopeNet": (6.47, 6.56, 5.44)}


def estimates(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(labels, ours): yaw, pitch, roll per photo in the labels' conventions; ours NaN where no landmarks."""
    labels, ours = [], []
    for row in csv.DictReader((folder / "angles.csv").open()):
        labels.append([float(row[angle]) for angle in ("yaw", "pitch", "roll")])
        mesh = find_face(load_image(folder / row["path"])).mesh
        if mesh is None:
            ours.append([np.nan] * 3)
            continue
        roll, yaw, pitch = head_pose(mesh)
        ours.append([-yaw, pitch, roll])  # the labels' yaw is positive towards the photo's left
    return np.array(labels), np.array(ours)


def row(name: str, errors: np.ndarray) -> str:
    mean = np.abs(errors).mean(axis=0)
    return f"| {name} | {len(errors)} | {mean[0]:.2f} | {mean[1]:.2f} | {mean[2]:.2f} | **{mean.mean():.2f}** |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("../shared/headpose"))
    args = parser.parse_args(argv)
    labels, ours = estimates(args.folder)
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


if __name__ == "__main__":
    main()
