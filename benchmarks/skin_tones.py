"""The ID checks across skin tones: does a check fail some people's faces more often than others'?

    python -m benchmarks.skin_tones [--faces ../shared/utkface/images] [--count 0]

UTKFace faces (all of them, or ``--count`` drawn with seed 0) grouped two ways: by the race their file names give, and
by the skin tone measured on each face, the Individual Typology Angle (ITA° = arctan((L* − 50) / b*) in CIELAB, median
over discs on the cheeks and forehead) in its six usual classes (very light > 55°, light 41–55°, intermediate 28–41°,
tan 10–28°, brown −30–10°, dark below −30°; black-and-white photos have none). Per check, the share of faces it fails
in each group of at least `SMALLEST_GROUP` faces and the largest difference between two of them; first, the share
whose landmarks were read at all (without them no check runs). UTKFace crops are not ID photos (small, cropped close,
often turned), so many checks fail most of them: the levels say little, the differences between groups are what this
measures. A tone is also the light it was photographed in (a dim photo reads darker), so the two groupings are shown
side by side. A group can also fail more because its faces more often have what the check looks for (an open mouth);
so, last, on the faces labelled by eye (`benchmarks/labels`: the 642 of all attributes and the 480 UTKFace faces
labelled for their eyes), each labelled check's errors per group: the share of faces without the labelled problem that
it flags, and of faces with it that it misses; and `mouth_closed` again on the faces labelled for their mouths alone,
drawn by race: the 320 it was never fitted on (`benchmarks/labels/mouths_held_out.csv`), then the 319 its model was
fitted on with the first set (`benchmarks/labels/mouths.csv`). Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np

from benchmarks.checks import LABELLED
from pixelperfect.checks import CHECKS, run_checks
from pixelperfect.faces import find_face
from pixelperfect.images import load_image
from pixelperfect.training.dataset import RACE_LABELS, is_monochrome, parse_utkface_name

SKIN_POINTS = (50, 280, 101, 330, 151, 108, 337)  # Face Mesh: both cheeks, forehead
SKIN_DISC = 0.08  # radius of each disc, in face scales
ITA_CLASSES = ((55, "very light"), (41, "light"), (28, "intermediate"), (10, "tan"), (-30, "brown"),
               (-np.inf, "dark"))
SMALLEST_GROUP = 50


def ita(photo: np.ndarray, mesh: np.ndarray, scale: float) -> float:
    """The Individual Typology Angle of the skin on the cheeks and forehead, in degrees (higher is lighter)."""
    mask = np.zeros(photo.shape[:2], np.uint8)
    for x, y in mesh[list(SKIN_POINTS), :2]:
        cv2.circle(mask, (round(x), round(y)), max(1, round(SKIN_DISC * scale)), 1, -1)
    lab = cv2.cvtColor(photo[..., :3].astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[mask.astype(bool)]
    lightness, yellowness = np.median(lab[:, 0]), np.median(lab[:, 2])
    return float(np.degrees(np.arctan2(lightness - 50, yellowness)))


def ita_class(angle: float) -> str:
    return next(name for lowest, name in ITA_CLASSES if angle > lowest)


def table(title: str, groups: list[str], rows: list[tuple[str, dict[str, bool]]]) -> str:
    """Fail shares per group; ``rows`` are (group, {check: failed}) with an empty dict where no landmarks were read."""
    sizes = {group: sum(g == group for g, _ in rows) for group in groups}
    shown = [group for group in groups if sizes[group] >= SMALLEST_GROUP]
    if not shown:  # a small --count
        return f"{title}: no group of {SMALLEST_GROUP} faces or more"
    lines = [f"| {title} | " + " | ".join(f"{group} (n={sizes[group]})" for group in shown) + " | largest gap |",
             "|---" * (len(shown) + 2) + "|"]

    def line(name: str, shares: dict[str, float]) -> str:
        low, high = min(shares, key=shares.get), max(shares, key=shares.get)
        return (f"| {name} | " + " | ".join(f"{shares[group]:.3f}" for group in shown)
                + f" | {shares[high] - shares[low]:.3f} ({high} vs {low}) |")

    lines.append(line("landmarks read", {group: np.mean([bool(c) for g, c in rows if g == group]) for group in shown}))
    for name in CHECKS:
        lines.append(line(f"`{name}` fails", {group: np.mean([c[name] for g, c in rows if g == group and c])
                                              for group in shown}))
    return "\n".join(lines)


def errors_table(labels: list[Path], shared: Path) -> str:
    """Each labelled check's errors on the labelled faces, per skin tone and, for the UTKFace rows, per race (a face
    counts for the checks its label file speaks to, where its labeller gave a value)."""
    groups: dict[str, list[tuple[dict, dict]]] = {}
    rows = []
    for path in labels:
        with path.open() as labels_file:
            rows += list(csv.DictReader(labels_file))
    for row in rows:
        photo = load_image(shared / row["file"])
        found = find_face(photo)
        if found.mesh is None:
            continue
        checks = run_checks(photo, found)
        names = [] if is_monochrome(photo) else [ita_class(ita(photo, found.mesh, found.main.scale))]
        if row["file"].startswith("utkface/"):
            names.append(parse_utkface_name(row["file"])["race"])
        for name in names:
            groups.setdefault(name, []).append((row, checks))
    order = [name for _, name in ITA_CLASSES] + list(RACE_LABELS[:5])
    shown = [name for name in order if name in groups]
    lines = ["| check: error | " + " | ".join(f"{name} (n={len(groups[name])})" for name in shown) + " |",
             "|---" * (len(shown) + 1) + "|"]
    for check, column, positives_are in LABELLED:
        for error, wanted in (("flags a face without", False), ("misses", True)):
            cells = []
            for name in shown:
                judged = [checks[check]["named"] for row, checks in groups[name]
                          if row.get(column) and (row[column] in positives_are) == wanted]
                wrong = sum(judged) if not wanted else len(judged) - sum(judged)
                cells.append(f"{wrong}/{len(judged)}" if judged else "—")
            lines.append(f"| `{check}`: {error} `{column}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mouth_table(labels: Path, shared: Path) -> str:
    """`mouth_closed`'s errors per race on the faces labelled for their mouths alone, all rows and those labelled
    sure."""
    rows = []
    with labels.open() as labels_file:
        for row in csv.DictReader(labels_file):
            photo = load_image(shared / row["file"])
            checks = run_checks(photo, find_face(photo))
            if checks:
                race, failed = parse_utkface_name(row["file"])["race"], not checks["mouth_closed"]["passed"]
                rows.append((race, row["mouth_open"] == "1", row["unsure"] == "1", failed))
    lines = ["| faces | race | flags a closed mouth | misses an open one | balanced accuracy |",
             "|---|---|---|---|---|"]
    for sure in (False, True):
        for race in RACE_LABELS[:4]:
            judged = [(open_, failed) for group, open_, unsure, failed in rows
                      if group == race and not (sure and unsure)]
            closed = [failed for open_, failed in judged if not open_]
            opened = [not failed for open_, failed in judged if open_]
            if closed and opened:
                lines.append(f"| {'labelled sure' if sure else 'all'} | {race} | {sum(closed)}/{len(closed)} | "
                             f"{sum(opened)}/{len(opened)} | "
                             f"{(1 - np.mean(closed) + 1 - np.mean(opened)) / 2:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--count", type=int, default=0, help="faces drawn at random (0: all)")
    parser.add_argument("--labels", type=Path, nargs="+", default=[Path(__file__).parent / "labels" / name
                                                                 for name in ("face_attributes.csv", "eyes.csv")])
    parser.add_argument("--mouths", type=Path, nargs="+", default=[Path(__file__).parent / "labels" / name
                                                                 for name in ("mouths_held_out.csv", "mouths.csv")])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    args = parser.parse_args(argv)
    paths = sorted(args.faces.glob("*.jpg"))
    if args.count:
        paths = [paths[i] for i in np.random.default_rng(0).choice(len(paths), args.count, replace=False)]
    by_race, by_tone = [], []
    for path in paths:
        photo = load_image(path)
        found = find_face(photo)
        if found.main is None:
            continue
        checks = run_checks(photo, found)
        failed = {name: not result["passed"] for name, result in checks.items()}
        by_race.append((parse_utkface_name(path.name)["race"], failed))
        if found.mesh is not None and not is_monochrome(photo):  # a black-and-white photo shows no skin tone
            by_tone.append((ita_class(ita(photo, found.mesh, found.main.scale)), failed))
    print(f"{len(paths)} UTKFace faces, {len(by_race)} with a face found, {len(by_tone)} of them in colour and with "
          "landmarks\n")
    print(table("by the race in UTKFace's names", list(RACE_LABELS[:5]), by_race) + "\n")
    print(table("by measured skin tone (ITA)", [name for _, name in ITA_CLASSES], by_tone) + "\n")
    print("Errors on the faces labelled by eye (skin tone on all rows, race on the UTKFace rows):\n")
    print(errors_table(args.labels, args.shared) + "\n")
    for mouths in args.mouths:
        print(f"\n`mouth_closed` on the faces labelled for their mouths ({mouths}):\n")
        print(mouth_table(mouths, args.shared))


if __name__ == "__main__":
    main()
