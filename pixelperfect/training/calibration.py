"""Fitting the metric bars' anchors (`pixelperfect.measures`) on the dataset, and their table for the README.

    python -m pixelperfect.training.calibration --calibrate data/faces   # re-fit calibration.json
    python -m pixelperfect.training.calibration                          # print the table
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from ..measures import (CALIBRATION_FILE, MEASURES, calibration, detail_ratio, face_ab, prepare, raw_values,
                        use_calibration)
from .tasks import load_any_dataset, open_image


def _youden(good: np.ndarray, bad: np.ndarray) -> float:
    """The threshold (on oriented values) that best separates good from bad."""
    candidates = np.unique(np.percentile(np.concatenate([good, bad]), np.linspace(1, 99, 197)))
    best = max(candidates, key=lambda t: (good >= t).mean() - (bad >= t).mean())
    return float(best)


def fit(values: dict[str, list[float]], defects: list[list[str]]) -> dict:
    """Anchors for every measure from raw values of good rows (no defects) and defective rows."""
    clean = np.array([not d for d in defects])
    fitted = {"measures": {}}
    for name, measure in MEASURES.items():
        raw = np.asarray(values[name], dtype=np.float64)
        watched = np.array([any(w in d for w in measure.watches) for d in defects])
        anchors = {"centre": float(np.median(raw[clean]))} if measure.better == "middle" else {}
        sign = 1.0 if measure.better == "higher" else -1.0
        oriented = -np.abs(raw - anchors["centre"]) if measure.better == "middle" else sign * raw
        good, bad = oriented[clean], oriented[watched]
        # "poor" where the measure best separates the two groups, but never for more than 10 % of good photos.
        poor = min(_youden(good, bad), float(np.percentile(good, 10)))
        good_at = float(np.percentile(good, 25))
        if good_at <= poor:
            good_at = (poor + float(np.median(good))) / 2
        worst = min(float(np.percentile(bad, 5)), poor - 1e-3)
        best = max(float(np.percentile(good, 50)), good_at + 1e-3)

        def raw_of(o):  # back from oriented to raw units, for a readable file
            return anchors["centre"] - o if measure.better == "middle" else sign * o

        anchors.update({"worst": raw_of(worst), "poor": raw_of(poor), "good": raw_of(good_at), "best": raw_of(best)})
        anchors["separation"] = {
            "good_photos_at_least_fair": float((good >= poor).mean()),
            "defective_photos_poor": float((bad < poor).mean()),
        }
        fitted["measures"][name] = anchors
    return fitted


def calibrate(dataset_path: str, split: str = "validation", limit: int | None = 4000) -> dict:
    part = load_any_dataset(dataset_path)[split]
    if limit and len(part) > limit:
        part = part.shuffle(seed=0).select(range(limit))
    names = part.features["defects"].feature.names
    rows = [(image, [names[d] for d in row_defects])
            for image, row_defects in zip(map(open_image, part["image"]), part["defects"]) if image is not None]
    images, defects = [image for image, _ in rows], [row_defects for _, row_defects in rows]
    # References first: colour is a distance from skin colour, resolution a share of typical detail.
    lab_means, details = [], []
    for image, row_defects in zip(images, defects):
        if not row_defects:
            inputs = prepare(image)
            lab_means.append(face_ab(inputs.rgb))
            details.append(detail_ratio(inputs.grey))
    previous = calibration()
    references = {"skin_lab": [round(float(v), 2) for v in np.median(lab_means, axis=0)],
                  "detail_reference": previous.get("detail_reference", round(float(np.median(details)), 4))}
    use_calibration(references)
    values = {name: [] for name in MEASURES}
    for image in images:
        for name, value in raw_values(image).items():
            values[name].append(value)
    fitted = {**references, **fit(values, defects)}
    for name, measure in MEASURES.items():
        if measure.decides and name in previous.get("measures", {}):
            fitted["measures"][name] = previous["measures"][name]
    fitted["fitted_on"] = f"{dataset_path} [{split}], {len(images)} rows"
    return fitted


def table(fitted: dict | None = None) -> str:
    fitted = fitted or calibration()
    rows = ["| measure | unit | better | poor | good | good photos ≥ fair | defective photos poor |",
            "|---|---|---|---|---|---|---|"]
    for name, measure in MEASURES.items():
        a = fitted["measures"][name]
        if measure.better == "middle":
            poor, good = (abs(a[k] - a["centre"]) for k in ("poor", "good"))
            better = f"near {a['centre']:.0f}"
            limits = (f"outside {a['centre'] - poor:.3g}–{a['centre'] + poor:.3g}",
                      f"within {a['centre'] - good:.3g}–{a['centre'] + good:.3g}")
        else:
            better = measure.better
            limits = ((f"< {a['poor']:.3g}", f"≥ {a['good']:.3g}") if better == "higher"
                      else (f"> {a['poor']:.3g}", f"≤ {a['good']:.3g}"))
        rows.append(f"| `{name}` | {measure.unit} | {better} | {limits[0]} | {limits[1]} | "
                    f"{a['separation']['good_photos_at_least_fair']:.2f} | "
                    f"{a['separation']['defective_photos_poor']:.2f} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fit the measures' anchors, or print their table.")
    parser.add_argument("--calibrate", metavar="DATASET", help="save_to_disk folder or Hub id of degrade.py's dataset")
    parser.add_argument("--split", default="validation")
    parser.add_argument("--limit", type=int, default=4000)
    args = parser.parse_args(argv)
    if args.calibrate:
        fitted = calibrate(args.calibrate, args.split, args.limit)
        CALIBRATION_FILE.write_text(json.dumps(fitted, indent=2) + "\n")
        use_calibration(fitted)
    print(table())


if __name__ == "__main__":
    main()
