"""Score many photos from the command line.

    python -m pixelperfect PATH... [--recursive] [--strictness lenient|standard|strict] [--profile photo|id]
                                   [--output results.csv|results.jsonl]

Each file gets a line (or a row in the output file); files that cannot be read are reported and
skipped. Exits non-zero only when nothing could be read.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

from .defects import DEFECT_NAMES
from .images import ImageError, load_image
from .measures import MEASURES
from .verdict import DEFAULT_PROFILE, DEFAULT_STRICTNESS, PROFILES, STRICTNESS

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
BATCH = 32


def collect(paths: list[str], recursive: bool) -> list[Path]:
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = path.rglob("*") if recursive else path.iterdir()
            files += sorted(p for p in found if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            files.append(path)
    return files


def flat_row(path: Path, report) -> dict:
    row = {"file": str(path), "verdict": report.verdict, "p_bad": report.p_bad, "usable": report.usable,
           "strictness": report.strictness, "profile": report.profile, "face": report.face["outcome"],
           "failed_checks": ";".join(name for name, check in report.checks.items() if not check["passed"]),
           "reasons": ";".join(reason["name"] for reason in report.blocking),
           "minor_issues": ";".join(reason["name"] for reason in report.minor_issues),
           "defects": ";".join(report.found_defects)}
    row.update({f"p_{name}": report.defects[name] for name in DEFECT_NAMES})
    row.update({f"{name}_score": report.measures[name]["score"] for name in MEASURES})
    row["suggestions"] = " | ".join(report.suggestions)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelperfect", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="photos or folders of photos")
    parser.add_argument("--recursive", "-r", action="store_true", help="look into sub-folders too")
    parser.add_argument("--output", "-o", type=Path, help="write every result to a .csv or .jsonl file")
    parser.add_argument("--strictness", choices=list(STRICTNESS), default=DEFAULT_STRICTNESS,
                        help="lenient (a profile picture), standard, or strict (an identity document)")
    parser.add_argument("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE,
                        help="photo (technical quality) or id (also head pose, eyes, mouth, size, centring, "
                             "one face, plain background)")
    parser.add_argument("--quality-model", help="local folder or Hub id (default: the bundled model)")
    parser.add_argument("--defect-model", help="local folder or Hub id (default: the bundled model)")
    args = parser.parse_args(argv)
    if args.output and args.output.suffix not in (".csv", ".jsonl"):
        parser.error("--output must end in .csv or .jsonl")

    from tqdm.auto import tqdm

    from .analysis import Analyzer, summary_line

    analyzer = Analyzer(args.quality_model, args.defect_model, strictness=args.strictness, profile=args.profile)
    files = collect(args.paths, args.recursive)
    results, failures = [], []
    progress = tqdm(total=len(files), unit="photo", file=sys.stderr, disable=len(files) < 2)
    for start in range(0, len(files), BATCH):
        batch, arrays = [], []
        for path in files[start:start + BATCH]:
            try:
                arrays.append(load_image(path))
                batch.append(path)
            except ImageError as error:
                failures.append((path, str(error)))
                progress.write(f"{path}: {error}")
        for path, report in zip(batch, analyzer.analyze_batch(arrays)):
            results.append((path, report))
            progress.write(f"{path}: {summary_line(report)}")
        progress.update(len(files[start:start + BATCH]))
    progress.close()

    if args.output:
        rows = [flat_row(path, report) for path, report in results]
        rows += [{"file": str(path), "error": message} for path, message in failures]
        if args.output.suffix == ".jsonl":
            with args.output.open("w") as out:
                for (path, report) in results:
                    out.write(json.dumps({"file": str(path), **report.to_dict()}) + "\n")
                for path, message in failures:
                    out.write(json.dumps({"file": str(path), "error": message}) + "\n")
        else:
            columns = list(dict.fromkeys(key for row in rows for key in row))
            with args.output.open("w", newline="") as out:
                writer = csv.DictWriter(out, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)

    verdicts = Counter(report.verdict for _, report in results)
    reasons = Counter(reason["name"] for _, report in results for reason in report.blocking)
    print(f"\n{len(results)} analysed ({args.strictness}, {args.profile}): {verdicts['good']} good, {verdicts['bad']} bad; "
          f"{len(failures)} could not be read.")
    if reasons:
        print("Top reasons: " + ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in reasons.most_common(5)))
    if args.output:
        print(f"Results written to {args.output}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
