"""The real-photo yardstick: does the `Analyzer` accept sharp portraits and flag soft, low-detail faces?

    python -m benchmarks.real [--folder ../shared/realphotos] [--strictness lenient standard strict]
                              [--quality Q --defect D] [--files]

Reads the folder's ``manifest.csv`` (``path,kind,…``; kinds ``good``, ``lowquality``, ``resolution_series``)
and prints, per strictness level, a Markdown table per file (with ``--files``), then the summary: good portraits
accepted (usable), low-quality photos flagged (not usable), the share of bad verdicts that name a reason, and
whether p_bad never rises along the resolution series (files named …-240p, …-480p, …). The summary is also
given for the two halves of the files in manifest order (odd and even rows), since NATIVE_SIDE in
`pixelperfect.measures` was chosen while looking at these photos. Measure on these photos; never train on them.
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pixelperfect import Analyzer
from pixelperfect.verdict import STRICTNESS


@dataclass
class Row:
    path: str
    kind: str
    verdict: str
    usable: bool
    p_bad: float
    reasons: list[str]  # the blocking reasons
    minor: list[str]
    poor_bars: list[str]
    face: str


def score(folder: Path, analyzer: Analyzer, strictness: str) -> list[Row]:
    with (folder / "manifest.csv").open(newline="") as manifest:
        entries = list(csv.DictReader(manifest))
    reports = analyzer.analyze_batch([folder / entry["path"] for entry in entries], strictness=strictness)
    return [Row(path=entry["path"], kind=entry["kind"], verdict=report.verdict, usable=report.usable,
                p_bad=report.p_bad, reasons=[r["name"] for r in report.blocking],
                minor=[r["name"] for r in report.minor_issues],
                poor_bars=[name for name, bar in report.measures.items() if bar["level"] == "poor"],
                face=report.face["outcome"])
            for entry, report in zip(entries, reports)]


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
        "bad verdicts with a reason": (sum(bool(row.reasons) for row in bad), len(bad)),
        "p_bad along the series": [row.p_bad for row in series],
        "p_bad never rises": all(b.p_bad <= a.p_bad for a, b in zip(series, series[1:])) if series else None,
    }


def _ratio(pair: tuple[int, int]) -> str:
    done, total = pair
    return f"{done}/{total} ({done / total:.2f})" if total else "—"


def summary_table(by_level: dict[str, list[Row]]) -> str:
    lines = ["| strictness | part | good accepted | low quality flagged (judged bad) | bad verdicts with a reason | "
             "p_bad along the series (never rises?) |", "|---|---|---|---|---|---|"]
    for level, rows in by_level.items():
        for part, chosen in (("all", rows), ("odd rows", rows[0::2]), ("even rows", rows[1::2])):
            s = summary(chosen)
            series = " / ".join(f"{p:.2f}" for p in s["p_bad along the series"]) or "—"
            rises = "" if s["p_bad never rises"] is None else (" (yes)" if s["p_bad never rises"] else " (no)")
            lines.append(f"| {level} | {part} | {_ratio(s['good accepted'])} | {_ratio(s['low quality flagged'])} "
                         f"({s['low quality judged bad'][0]}) | {_ratio(s['bad verdicts with a reason'])} | "
                         f"{series}{rises} |")
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
    args = parser.parse_args(argv)
    analyzer = Analyzer(quality=args.quality, defect=args.defect)
    by_level = {level: score(args.folder, analyzer, level) for level in args.strictness}
    if args.files:
        for level, rows in by_level.items():
            print(f"\n### {level}\n\n{file_table(rows)}")
    print(f"\n{summary_table(by_level)}")
    return by_level


if __name__ == "__main__":
    main()
