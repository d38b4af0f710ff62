"""Re-compute every figure of a model card on any dataset split, and draw the plots.

    python -m pixelperfect.training.evaluation --model models/quality --dataset data/faces --split test \
        [--output reports/quality]

Accuracy gaps between age, gender and race groups come with their sampling uncertainty (`gap_uncertainty`): with a
few hundred photos a group, gaps of several points arise between groups that differ in nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..models import Classifier
from .tasks import TASKS, Task, load_any_dataset, open_image, score

AGE_BANDS = ((0, 12, "0-12"), (13, 29, "13-29"), (30, 49, "30-49"), (50, 69, "50-69"), (70, 200, "70+"))
MIN_GROUP_ROWS = 30  # a smaller group is too small for a gap to mean anything
RESAMPLES = 1000


def task_of(model) -> Task:
    return TASKS["defect" if model.config.problem_type == "multi_label_classification" else "quality"]


def age_band(age: int) -> str:
    return next((name for low, high, name in AGE_BANDS if low <= age <= high), "unknown")


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return [{"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "count": int((index == b).sum()),
             "confidence": float(confidence[index == b].mean()) if (index == b).any() else None,
             "accuracy": float(correct[index == b].mean()) if (index == b).any() else None}
            for b in range(bins)]


def largest_gap(correct: np.ndarray, groups: list[str]) -> float:
    """The largest difference in the share judged right between two groups (of at least `MIN_GROUP_ROWS` rows;
    "unknown" left out)."""
    return _gap_between(np.asarray(correct, float), np.asarray(groups), np.ones(len(correct)))


def _gap_between(right: np.ndarray, groups: np.ndarray, rows: np.ndarray) -> float:
    """`largest_gap` from sums: ``right`` and ``rows`` per unit (a row or a photo), ``groups`` the unit's group."""
    rates = []
    for name in np.unique(groups):
        chosen = groups == name
        if name != "unknown" and rows[chosen].sum() >= MIN_GROUP_ROWS:
            rates.append(right[chosen].sum() / rows[chosen].sum())
    return float(max(rates) - min(rates)) if rates else 0.0


def gap_uncertainty(correct: np.ndarray, groups: list[str], photos: list, resamples: int = RESAMPLES,
                    seed: int = 0) -> dict:
    """How much of `largest_gap` sampling alone could make.

    A photo's rows (the original and its degraded copy) are judged alike more often than two photos' are, so both
    figures draw whole source photos (``photos``: each row's photo; a row's group is its photo's):

    * ``interval``: the 5th and 95th percentiles of the gap over resamples of the photos (a bootstrap);
    * ``chance``: the median and the 95th percentile of the gap when the groups are shuffled across the photos,
      that is between groups of the same sizes that differ in nothing but chance.
    """
    _, first, photo_of_row = np.unique(np.asarray(photos), return_index=True, return_inverse=True)
    rows = np.bincount(photo_of_row).astype(float)
    right = np.bincount(photo_of_row, weights=np.asarray(correct, float))
    group_of_photo = np.asarray(groups)[first]
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=resamples)
    resampled = [_gap_between(right * counts, group_of_photo, rows * counts) for counts in drawn]
    shuffled = [_gap_between(right, rng.permutation(group_of_photo), rows) for _ in range(resamples)]
    return {"interval": [float(np.percentile(resampled, 5)), float(np.percentile(resampled, 95))],
            "chance": [float(np.median(shuffled)), float(np.percentile(shuffled, 95))]}


def evaluate_split(model, processor, split, batch_size: int = 64) -> dict:
    """Every figure a model card states, from one pass over ``split``."""
    task = task_of(model)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    images = [open_image(value) for value in split["image"]]
    readable = [row for row, image in enumerate(images) if image is not None]
    skipped = len(split) - len(readable)
    if skipped:
        split, images = split.select(readable), [images[row] for row in readable]
    # float32 on every CPU, so that a card's figures do not depend on where they were computed
    probabilities = Classifier(model, processor, bfloat16=False).predict(images, batch_size)
    defect_names = split.features["defects"].feature.names
    groups = {
        "age": [age_band(a) for a in split["age"]],
        "gender": [split.features["gender"].int2str(g) for g in split["gender"]],
        "race": [split.features["race"].int2str(r) for r in split["race"]],
    }
    if task.multi_label:
        truth = np.zeros((len(split), len(labels)), int)
        for row, present in enumerate(split["defects"]):
            truth[row, [labels.index(defect_names[d]) for d in present]] = 1
        called = probabilities >= 0.5
        correct = (called == truth).all(1)
        confidence = np.where(called, probabilities, 1 - probabilities).ravel()
        calibration = reliability(confidence, (called == truth).ravel().astype(float))
    else:
        truth = np.asarray(split["quality"])
        called = probabilities[:, 1] >= 0.5
        correct = called == (truth == 1)
        confidence = np.where(called, probabilities[:, 1], probabilities[:, 0])
        calibration = reliability(confidence, correct.astype(float))
    metrics = score(task, probabilities, truth, labels)
    per_group = {
        kind: {group: {"count": int(sum(1 for v in values if v == group)),
                       "accuracy": float(np.mean([c for c, v in zip(correct, values) if v == group]))}
               for group in sorted(set(values))}
        for kind, values in groups.items()
    }
    # How well each kind of damage is caught, whichever model: the share of rows judged right.
    per_defect = {}
    for index, name in enumerate(defect_names):
        rows = np.array([index in present and len(present) == 1 for present in split["defects"]])
        if rows.any():
            per_defect[name] = float(correct[rows].mean())
    clean = np.array([len(present) == 0 for present in split["defects"]])
    per_defect["clean"] = float(correct[clean].mean()) if clean.any() else None
    result = {"task": task.name, "rows": len(split), "skipped_rows": skipped, "metrics": metrics,
              "per_group": per_group, "per_defect_accuracy": per_defect, "calibration": calibration}
    if not task.multi_label:
        result["confusion"] = [[int(((truth == t) & (called == p)).sum()) for p in (False, True)] for t in (0, 1)]
    photos = split["source"] if "source" in split.column_names else range(len(split))
    result["group_gaps"] = {kind: largest_gap(correct, values) for kind, values in groups.items()}
    result["group_gap_uncertainty"] = {kind: gap_uncertainty(correct, values, photos)
                                       for kind, values in groups.items()}
    return result


def write_plots(result: dict, output: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(output / name, dpi=110)
        plt.close(fig)
        written.append(output / name)

    fig, ax = plt.subplots(figsize=(4.2, 4))
    bins = [b for b in result["calibration"] if b["count"]]
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", label="model")
    ax.set(xlabel="confidence", ylabel="accuracy", title=f"Reliability (ECE {result['metrics']['ece']:.3f})")
    ax.legend()
    save(fig, "reliability.png")

    if "confusion" in result:
        fig, ax = plt.subplots(figsize=(3.6, 3.2))
        matrix = np.array(result["confusion"])
        ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", color="black")
        ax.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["good", "bad"], yticklabels=["good", "bad"],
               xlabel="predicted", ylabel="true", title="Confusion matrix")
        save(fig, "confusion.png")
    else:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        names = [k[3:] for k in result["metrics"] if k.startswith("f1_")]
        ax.bar(names, [result["metrics"][f"f1_{n}"] for n in names])
        ax.set(ylim=(0, 1), ylabel="F1", title=f"Per-defect F1 (macro {result['metrics']['macro_f1']:.3f})")
        ax.tick_params(axis="x", rotation=35)
        save(fig, "per_defect_f1.png")

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
    for ax, (kind, values) in zip(axes, result["per_group"].items()):
        ax.bar(list(values), [v["accuracy"] for v in values.values()])
        ax.set(title=f"by {kind}", ylim=(0.5, 1))
        ax.tick_params(axis="x", rotation=35)
    axes[0].set_ylabel("accuracy" if result["task"] == "quality" else "exact match")
    save(fig, "per_group.png")
    return written


def save_evaluation(result: dict, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(result, indent=2))
    write_plots(result, output)


def results_table(result: dict, previous: dict | None = None) -> str:
    """The figures as a Markdown table; with ``previous`` (the replaced weights' results), side by side."""
    def cell(figures, value_of):
        value = value_of(figures) if figures else None
        return f" {value:.4f} |" if isinstance(value, (int, float)) else " — |"

    rows = [f"| {name} |" + cell(result, lambda r: r["metrics"][name])
            + (cell(previous, lambda r: r["metrics"].get(name)) if previous else "") for name in result["metrics"]]
    rows += [f"| largest gap across {kind} groups |" + cell(result, lambda r: r["group_gaps"][kind])
             + (cell(previous, lambda r: r.get("group_gaps", {}).get(kind)) if previous else "")
             for kind in result["group_gaps"]]
    header = "| metric | value | weights it replaced |\n|---|---|---|\n" if previous else "| metric | value |\n|---|---|\n"
    per_defect = " · ".join(f"{k} {v:.2f}" for k, v in result["per_defect_accuracy"].items() if v is not None)
    return (header + "\n".join(rows) + f"\n\nShare judged right, by kind of photo: {per_defect}\n"
            f"\n{gaps_sentence(result)}\n")


def gaps_sentence(result: dict) -> str:
    """The largest gaps with their uncertainty (`gap_uncertainty`), in words."""
    parts = []
    for kind, gap in result["group_gaps"].items():
        (low, high), (median, unusual) = (result["group_gap_uncertainty"][kind][key] for key in ("interval", "chance"))
        parts.append(f"{kind} {gap:.3f} (90 % interval {low:.3f}–{high:.3f}; chance alone: {median:.3f}, "
                     f"{unusual:.3f} or more 1 time in 20)")
    return (f"Largest accuracy gaps between groups, with their sampling uncertainty (source photos resampled "
            f"{RESAMPLES:,} times; \"chance alone\": the gap between groups of the same sizes shuffled across the "
            f"photos): " + " · ".join(parts) + ".")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Re-compute a PixelPerfect model's figures on a dataset split.")
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True, help="save_to_disk folder or Hub dataset id")
    parser.add_argument("--split", default="test")
    parser.add_argument("--output", type=Path, help="folder for results.json and the plots (default: MODEL/eval)")
    parser.add_argument("--limit", type=int, help="evaluate on the first N rows only")
    parser.add_argument("--batch_size", type=int, default=64)
    args = parser.parse_args(argv)
    classifier = Classifier.load(args.model)
    split = load_any_dataset(args.dataset)[args.split]
    if args.limit:
        split = split.select(range(min(args.limit, len(split))))
    result = evaluate_split(classifier.model, classifier.processor, split, args.batch_size)
    save_evaluation(result, args.output or Path(args.model) / "eval")
    print(results_table(result))


if __name__ == "__main__":
    main()
