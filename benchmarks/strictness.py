"""What each strictness level accepts on the dataset's test split, judged by the whole `Analyzer` verdict.

    python -m benchmarks.strictness [--dataset data/faces] [--split test] [--limit N] [--quality Q --defect D]

Every row is analysed once (face, bars, both models); the verdict is then formed at each level from the same
evidence (`pixelperfect.verdict.judge`). Prints, per level: accuracy against the rows' good/bad labels, good rows
accepted, bad rows judged bad, the share judged right per defect, and the largest accuracy gap across gender and
race groups, the race gap's 90 % interval and what chance alone gives
(`pixelperfect.training.evaluation.gap_uncertainty`).
The quality model's own accuracy (p_bad ≥ 0.5) is the first line, for comparison.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from pixelperfect import Analyzer
from pixelperfect.training.evaluation import gap_uncertainty, largest_gap
from pixelperfect.training.tasks import load_any_dataset, open_image
from pixelperfect.verdict import STRICTNESS, judge


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="data/faces")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--quality")
    parser.add_argument("--defect")
    args = parser.parse_args(argv)
    part = load_any_dataset(args.dataset)[args.split]
    if args.limit:
        part = part.select(range(min(args.limit, len(part))))
    features = part.features
    images = [open_image(image) for image in part["image"]]
    keep = [i for i, image in enumerate(images) if image is not None]
    analyzer = Analyzer(quality=args.quality, defect=args.defect)
    reports = []
    for start in range(0, len(keep), 256):
        reports += analyzer.analyze_batch([images[i] for i in keep[start:start + 256]])
    columns = {name: part[name] for name in ("quality", "defects", "gender", "race", "source")}
    bad_label = np.array([features["quality"].int2str(columns["quality"][i]) == "bad" for i in keep])
    defect_names = features["defects"].feature.names
    kinds = [[defect_names[d] for d in columns["defects"][i]] or ["clean"] for i in keep]
    gender = [features["gender"].int2str(columns["gender"][i]) for i in keep]
    race = [features["race"].int2str(columns["race"][i]) for i in keep]
    photos = [columns["source"][i] for i in keep]

    verdicts = {"quality model alone": np.array([r.quality_model_p_bad >= 0.5 for r in reports])}
    for name, level in STRICTNESS.items():
        verdicts[name] = np.array([judge(r.defects, r.measures, r.face["outcome"],
                                         r.face["message"], level).verdict == "bad" for r in reports])
    print(f"{len(keep)} rows of {args.dataset} [{args.split}]\n")
    print("| verdict | accuracy | good rows accepted | bad rows judged bad | gender gap | race gap | race gap: 90 % "
          "interval · chance alone (median, 1 in 20) | judged right per kind |")
    print("|---|---|---|---|---|---|---|---|")
    for name, bad in verdicts.items():
        correct = bad == bad_label
        per_kind = defaultdict(list)
        for row_kinds, right in zip(kinds, correct):
            for kind in row_kinds:
                per_kind[kind].append(right)
        kinds_text = " · ".join(f"{kind.replace('_', ' ')} {np.mean(v):.2f}"
                                for kind, v in sorted(per_kind.items(), key=lambda kv: -np.mean(kv[1])))
        spread = gap_uncertainty(correct, race, photos)
        print(f"| {name} | {correct.mean():.3f} | {(~bad[~bad_label]).mean():.3f} | {bad[bad_label].mean():.3f} | "
              f"{largest_gap(correct, gender):.3f} | {largest_gap(correct, race):.3f} | "
              f"{spread['interval'][0]:.3f}–{spread['interval'][1]:.3f} · {spread['chance'][0]:.3f}, "
              f"{spread['chance'][1]:.3f} | {kinds_text} |")


if __name__ == "__main__":
    main()
