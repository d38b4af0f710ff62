"""The ID checks against faces labelled by eye (`benchmarks/labels`).

    python -m benchmarks.checks [--labels benchmarks/labels/face_attributes.csv benchmarks/labels/eyes.csv
                                          benchmarks/labels/eyes_held_out.csv benchmarks/labels/glasses.csv
                                          benchmarks/labels/glasses_held_out.csv benchmarks/labels/dark_eyes.csv]
                                 [--shared ../shared]

For each check that a label speaks to, per group of photos (the 400 UTKFace faces drawn at random, the 480 drawn for
closed eyes, the 360 drawn near the glasses model's threshold, the 585 drawn for dark eyes, the 242 real photos, the
AFLW2000 photos near frontal and turned further): the labelled faces it fails (caught) and the others it passes, each
with its 95 % Wilson interval, and the balanced accuracy (their mean), over
all rows and again over the rows whose labeller was sure of that label. The mouth's, the glasses' and the expression's
models and the lighting's limit were fitted on the UTKFace rows drawn at random, so for them the real photos are held
out; the eyes' limit was set looking at those rows and the real photos, so for it the eye sets are. Then how many of
the 179 good portraits of `realphotos` and `realphotos2` fail each check. Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
from functools import cache
from pathlib import Path

import numpy as np

from benchmarks.bystanders import good_portraits
from benchmarks.real import wilson
from pixelperfect.checks import CHECKS, run_checks
from pixelperfect.faces import find_face
from pixelperfect.images import load_image

# (check, label column, the values that mean the check should fail, or name its finding for `glasses`)
LABELLED = (("eyes_open", "eyes_closed", {"1"}), ("mouth_closed", "mouth_open", {"1"}),
            ("lighting", "uneven_lighting", {"1"}), ("eyes_visible", "glasses", {"sunglasses"}),
            ("eyes_visible", "eyes_hidden", {"1"}), ("glasses", "glasses", {"clear", "sunglasses"}),
            ("expression", "expression", {"smile", "other"}))


def checked(labels: list[Path], shared: Path) -> list[tuple[dict, dict]]:
    """Each labelled row with the checks' results on its photo (empty when no landmarks were read)."""
    rows, labelled = [], []
    for path in labels:
        with path.open() as labels_file:
            labelled += [row | {"group": group_of(row["file"], path, shared)} for row in csv.DictReader(labels_file)]
    read = {}  # a photo in several label files (AFLW2000's, for eyes and for glasses) is read once
    for row in labelled:
        if row["file"] not in read:
            photo = load_image(shared / row["file"])
            read[row["file"]] = run_checks(photo, find_face(photo))
        rows.append((row, read[row["file"]]))
    return rows


FRONTAL = (30, 20)  # AFLW2000 photos within this many degrees of yaw and pitch form their own group
UTKFACE_GROUPS = {"face_attributes.csv": "UTKFace", "eyes.csv": "UTKFace, drawn for closed eyes",
                  "glasses.csv": "UTKFace, drawn near the glasses model's threshold",
                  "dark_eyes.csv": "UTKFace, drawn for dark eyes"}


def group_of(file: str, label_file: Path, shared: Path) -> str:
    """UTKFace (drawn at random, or drawn for closed eyes), AFLW2000 (near frontal, or turned further), real photos."""
    if file.startswith("utkface/"):
        return UTKFACE_GROUPS.get(label_file.name, f"UTKFace ({label_file.stem})")
    if file.startswith("headpose/"):
        yaw, pitch = head_angles(shared)[file.removeprefix("headpose/")]
        return (f"AFLW2000, within {FRONTAL[0]}° of yaw and {FRONTAL[1]}° of pitch"
                if abs(yaw) <= FRONTAL[0] and abs(pitch) <= FRONTAL[1] else "AFLW2000, turned further")
    return "real photos"


@cache
def head_angles(shared: Path) -> dict[str, tuple[float, float]]:
    with (shared / "headpose" / "angles.csv").open() as angles:
        return {row["path"]: (float(row["yaw"]), float(row["pitch"])) for row in csv.DictReader(angles)}


def accuracy_table(rows: list[tuple[dict, dict]]) -> str:
    lines = ["| check | label | photos | caught (fails where labelled) | passed (where not) | balanced accuracy |",
             "|---|---|---|---|---|---|"]
    for name, column, positives_are in LABELLED:
        for group in sorted({row["group"] for row, _ in rows}, reverse=True):
            labelled = [(row, checks) for row, checks in rows if checks and row["group"] == group and row.get(column)]
            sure = [(row, checks) for row, checks in labelled if column not in row["unsure"].split(";")]
            lines.append(accuracy_row(name, column, positives_are, group, labelled))
            # The sure rows again where doubt left some out and a labelled problem is among the rest (a label set
            # that leaves doubtful rows blank has none to leave out).
            if len(sure) < len(labelled) and any(row[column] in positives_are for row, _ in sure):
                lines.append(accuracy_row(name, column, positives_are, f"{group}, labelled sure", sure))
    return "\n".join(line for line in lines if line)


def accuracy_row(name: str, column: str, positives_are: set, rows_read: str, rows: list[tuple[dict, dict]]) -> str:
    judged = [(row[column] in positives_are, checks[name]["named"]) for row, checks in rows]
    if not judged:
        return ""
    positives = [fails for labelled, fails in judged if labelled]
    negatives = [not fails for labelled, fails in judged if not labelled]
    caught, passed = sum(positives), sum(negatives)
    cells = [f"{done}/{total} ({wilson(done, total)[0]:.2f}–{wilson(done, total)[1]:.2f})" if total else "—"
             for done, total in ((caught, len(positives)), (passed, len(negatives)))]
    balanced = f"{(caught / len(positives) + passed / len(negatives)) / 2:.3f}" if positives and negatives else "—"
    return f"| `{name}` | `{column}` | {rows_read} | {cells[0]} | {cells[1]} | {balanced} |"


def good_portraits_table(shared: Path) -> str:
    entries = good_portraits(shared)
    failed = {name: [] for name in CHECKS}
    read = 0
    for path in entries:
        photo = load_image(path)
        checks = run_checks(photo, find_face(photo))
        read += bool(checks)
        for name, result in checks.items():
            if not result["passed"]:
                failed[name].append(path.stem)
    lines = [f"Good portraits of realphotos and realphotos2 with landmarks: {read} of {len(entries)}", "",
             "| check | fail | which |", "|---|---|---|"]
    lines += [f"| `{name}` | {len(files)} | {', '.join(files[:6])}{' …' if len(files) > 6 else ''} |"
              for name, files in failed.items()]
    return "\n".join(lines)


def lighting_limit(rows: list[tuple[dict, dict]]) -> str:
    """Where `lighting`'s limit comes from: the value with the best balanced accuracy on the UTKFace rows whose
    labeller was sure (uneven or not), the real photos left out."""
    judged = [(row["uneven_lighting"] == "1", checks["lighting"]["value"]) for row, checks in rows
              if checks and row["group"] == "UTKFace" and "uneven_lighting" not in row["unsure"].split(";")]
    uneven = np.array([value for labelled, value in judged if labelled])
    even = np.array([value for labelled, value in judged if not labelled])

    def balanced(limit: float) -> float:
        return float(((uneven < limit).mean() + (even >= limit).mean()) / 2)

    best = max(np.round(np.arange(0.30, 0.90, 0.01), 2), key=balanced)
    return (f"`lighting`: the best limit on the UTKFace rows labelled sure ({len(uneven)} uneven, {len(even)} even) "
            f"is {best:.2f} (balanced accuracy {balanced(best):.3f}); the registry's is {CHECKS['lighting'].limit}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", default=[
        Path(__file__).parent / "labels" / name
        for name in ("face_attributes.csv", "eyes.csv", "eyes_held_out.csv", "glasses.csv", "glasses_held_out.csv",
                     "dark_eyes.csv")])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args(argv)
    rows = checked(args.labels, args.shared)
    print(accuracy_table(rows))
    print()
    print(lighting_limit(rows))
    print()
    print(good_portraits_table(args.shared))


if __name__ == "__main__":
    main()
