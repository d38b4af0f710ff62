"""The real-photo yardstick: does the `Analyzer` accept sharp portraits and flag soft, low-detail faces?

    python -m benchmarks.real [--folder ../shared/realphotos] [--strictness lenient standard strict]
                              [--quality Q --defect D] [--files] [--brisque]

Reads the folder's ``manifest.csv`` (``path,kind,source_repo…``; kinds ``good``, ``lowquality``,
``resolution_series``) and prints, per strictness level, a Markdown table per file (with ``--files``), then the
summary: good portraits accepted (usable) and low-quality photos flagged (not usable), each with its 95 % (Wilson)
interval, the bad verdicts whose every blocking reason carries evidence of at least the level's threshold by itself,
whether p_bad never rises along the resolution series (files named …-240p, …-480p, …), and the area under the ROC
curve of p_bad (good against low quality, threshold-free), beside BRISQUE's on the same face crops (``--brisque``).
The summary is also given for the two halves of the files in manifest order (odd and even rows), since
NATIVE_SIDE in `pixelperfect.measures` was chosen while looking at these photos, and per source repository.
Measure on these photos; never train on them.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pixelperfect import Analyzer
from pixelperfect.verdict import STRICTNESS


@dataclass
class Row:
    path: str
    kind: str
    source: str
    verdict: str
    usable: bool
    p_bad: float
    reasons: list[str]  # the blocking reasons
    minor: list[str]
    poor_bars: list[str]
    face: str
    believable: bool  # bad, and every blocking reason's own evidence reaches the level's threshold
    brisque: float | None = None  # BRISQUE on the face crop (higher is worse), with --brisque


def entries_of(folder: Path) -> list[dict]:
    with (folder / "manifest.csv").open(newline="") as manifest:
        return list(csv.DictReader(manifest))


def score(folder: Path, analyzer: Analyzer, strictness: str, brisque: dict[str, float] | None = None) -> list[Row]:
    entries = entries_of(folder)
    reports = analyzer.analyze_batch([folder / entry["path"] for entry in entries], strictness=strictness)
    threshold = STRICTNESS[strictness].threshold
    return [Row(path=entry["path"], kind=entry["kind"], source=entry.get("source_repo", ""),
                verdict=report.verdict, usable=report.usable, p_bad=report.p_bad,
                reasons=[r["name"] for r in report.blocking], minor=[r["name"] for r in report.minor_issues],
                poor_bars=[name for name, bar in report.measures.items() if bar["level"] == "poor"],
                face=report.face["outcome"],
                believable=bool(report.blocking) and all(r["weight"] >= threshold for r in report.blocking),
                brisque=(brisque or {}).get(entry["path"]))
            for entry, report in zip(entries, reports)]


def brisque_scores(folder: Path) -> dict[str, float]:
    """BRISQUE on the face crop the models see (200 px), or on the whole photo where no face is found."""
    from benchmarks.speed import Brisque
    from pixelperfect.faces import crop_face, find_face
    from pixelperfect.images import load_image

    model, scores = Brisque(), {}
    for entry in entries_of(folder):
        photo = load_image(folder / entry["path"])
        scores[entry["path"]] = float(model.score(crop_face(photo, find_face(photo).main)))
    return scores


def wilson(done: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion."""
    if not total:
        return (math.nan, math.nan)
    p = done / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def auc(low: list[float], good: list[float]) -> float:
    """Chance that a low-quality photo scores above a good one (ties count half): the ROC curve's area."""
    if not low or not good:
        return math.nan
    low, good = np.asarray(low)[:, None], np.asarray(good)[None, :]
    return float((low > good).mean() + 0.5 * (low == good).mean())


def _height(path: str) -> int:
    match = re.search(r"(\d+)p\.\w+$", path)
    return int(match.group(1)) if match else 0


def summary(rows: list[Row]) -> dict:
    good = [row for row in rows if row.kind == "good"]
    low = [row for row in rows if row.kind == "lowquality"]
    bad = [row for row in rows if row.verdict == "bad"]
    series = sorted((row for row in rows if row.kind == "resolution_series"), key=lambda row: _height(row.path))
    return {
        "good accepted": (sum(row.usable for row in good), len(good)),
        "low quality flagged": (sum(not row.usable for row in low), len(low)),
        "low quality judged bad": (sum(row.verdict == "bad" for row in low), len(low)),
        "bad verdicts believable": (sum(row.believable for row in bad), len(bad)),
        "p_bad along the series": [row.p_bad for row in series],
        "p_bad never rises": all(b.p_bad <= a.p_bad for a, b in zip(series, series[1:])) if series else None,
        "auc": auc([row.p_bad for row in low], [row.p_bad for row in good]),
        "brisque auc": auc([row.brisque for row in low], [row.brisque for row in good])
        if all(row.brisque is not None for row in good + low) else None,
    }


def _ratio(pair: tuple[int, int], interval: bool = False) -> str:
    done, total = pair
    if not total:
        return "—"
    low, high = wilson(done, total)
    return f"{done}/{total} ({done / total:.2f}" + (f", {low:.2f}–{high:.2f})" if interval else ")")


def summary_table(by_level: dict[str, list[Row]], by_source: bool = False) -> str:
    """Per level, all photos and the two halves (or, ``by_source``, each source repository)."""
    lines = ["| strictness | part | good accepted (95 % interval) | low quality flagged (95 % interval) (judged bad) "
             "| bad verdicts whose reasons stand alone | p_bad along the series (never rises?) | AUC of p_bad "
             "(BRISQUE's) |", "|---|---|---|---|---|---|---|"]
    for level, rows in by_level.items():
        parts = [("all", rows), ("odd rows", rows[0::2]), ("even rows", rows[1::2])]
        if by_source:
            parts = [(source, [row for row in rows if row.source == source])
                     for source in sorted({row.source for row in rows})]
        for part, chosen in parts:
            s = summary(chosen)
            series = " / ".join(f"{p:.2f}" for p in s["p_bad along the series"]) or "—"
            rises = "" if s["p_bad never rises"] is None else (" (yes)" if s["p_bad never rises"] else " (no)")
            areas = "—" if math.isnan(s["auc"]) else f"{s['auc']:.3f}" + (
                f" ({s['brisque auc']:.3f})" if s["brisque auc"] is not None else "")
            lines.append(f"| {level} | {part} | {_ratio(s['good accepted'], True)} | "
                         f"{_ratio(s['low quality flagged'], True)} ({s['low quality judged bad'][0]}) | "
                         f"{_ratio(s['bad verdicts believable'])} | {series}{rises} | {areas} |")
    return "\n".join(lines)


def file_table(rows: list[Row]) -> str:
    lines = ["| kind | file | verdict | usable | p_bad | reasons (minor issues) | bars poor | face |",
             "|---|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda row: (row.kind, row.path)):
        named = ", ".join(row.reasons) or "—"
        if row.minor:
            named += f" ({', '.join(row.minor)})"
        lines.append(f"| {row.kind} | {Path(row.path).name} | {row.verdict} | {'yes' if row.usable else 'no'} | "
                     f"{row.p_bad:.2f} | {named} | {', '.join(row.poor_bars) or '—'} | {row.face} |")
    return "\n".join(lines)


def main(argv=None) -> dict[str, list[Row]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("../shared/realphotos"))
    parser.add_argument("--strictness", nargs="+", default=list(STRICTNESS), choices=list(STRICTNESS))
    parser.add_argument("--quality", help="quality model (default: the bundled one)")
    parser.add_argument("--defect", help="defect model (default: the bundled one)")
    parser.add_argument("--files", action="store_true", help="also print a row per file and level")
    parser.add_argument("--sources", action="store_true", help="also print the summary per source repository")
    parser.add_argument("--brisque", action="store_true", help="BRISQUE's AUC on the same crops (pip install brisque)")
    args = parser.parse_args(argv)
    analyzer = Analyzer(quality=args.quality, defect=args.defect)
    brisque = brisque_scores(args.folder) if args.brisque else None
    by_level = {level: score(args.folder, analyzer, level, brisque) for level in args.strictness}
    if args.files:
        for level, rows in by_level.items():
            print(f"\n### {level}\n\n{file_table(rows)}")
    print(f"\n{summary_table(by_level)}")
    if args.sources:
        print(f"\n{summary_table(by_level, by_source=True)}")
    return by_level


if __name__ == "__main__":
    main()
