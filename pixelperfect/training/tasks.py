"""What train.py needs: the two tasks, their labels, models, batches, metrics and calibration.

A *task* says how a dataset row becomes a label and how logits become probabilities:
``quality`` is single-label good/bad (softmax), ``defect`` is multi-label over the registry's
defects (sigmoid, independent probabilities, float multi-hot labels).
"""

from __future__ import annotations

import io
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .backbones import IMAGENET_MEAN, IMAGENET_STD, resolve_base_model

METRICS_DIR = Path(__file__).parent / "metrics"
DEFAULT_IMAGE_SIZE = 168  # model input side in pixels: 12 × 12 patches of DINOv2's 14 px
logger = logging.getLogger(__name__)

# Small from-scratch configurations, for tests and for comparison with the pretrained backbone.
SCRATCH_CONFIGS = {
    "scratch-tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, patch_size=8),
    "scratch-small": dict(hidden_size=192, num_hidden_layers=6, num_attention_heads=3, mlp_ratio=4, patch_size=16),
}


@dataclass(frozen=True)
class Task:
    name: str
    label_column: str
    multi_label: bool
    metric_script: str

    def labels(self, dataset_features) -> list[str]:
        feature = dataset_features[self.label_column]
        return list(feature.feature.names if self.multi_label else feature.names)

    def targets(self, column, num_labels: int) -> torch.Tensor:
        if not self.multi_label:
            return torch.as_tensor(column, dtype=torch.long)
        multi_hot = torch.zeros(len(column), num_labels)
        for row, present in enumerate(column):
            multi_hot[row, list(present)] = 1.0
        return multi_hot

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        logits = torch.as_tensor(logits, dtype=torch.float32)
        return (logits.sigmoid() if self.multi_label else logits.softmax(-1)).numpy()


TASKS = {
    "quality": Task("quality", "quality", multi_label=False, metric_script="quality_metrics.py"),
    "defect": Task("defect", "defects", multi_label=True, metric_script="defect_metrics.py"),
}


def load_any_dataset(name_or_path: str):
    """A folder written by ``save_to_disk`` or a dataset id on the Hub, its images left undecoded
    (see `open_image`): one corrupt row must not stop a training run."""
    import datasets

    if Path(name_or_path, "dataset_dict.json").is_file():
        dataset = datasets.load_from_disk(name_or_path)
    else:
        dataset = datasets.load_dataset(name_or_path)
    return dataset.cast_column("image", datasets.Image(decode=False))


def open_image(value):
    """A dataset row's image (undecoded ``{"bytes", "path"}`` or PIL) as RGB, or None if it cannot be read."""
    from PIL import Image

    try:
        if isinstance(value, dict):
            value = Image.open(io.BytesIO(value["bytes"]) if value.get("bytes") else value["path"])
        return value.convert("RGB")
    except (OSError, SyntaxError, ValueError, TypeError, Image.DecompressionBombError):
        return None


def build_image_processor(image_size: int):
    from transformers import ViTImageProcessor

    # A straight resize of the whole face, no crop: defects at the border (a grey cut-off, streaks) must stay.
    return ViTImageProcessor(do_resize=True, size={"height": image_size, "width": image_size},
                             image_mean=IMAGENET_MEAN, image_std=IMAGENET_STD)


def build_model(task: Task, labels: list[str], base_model: str, num_layers: int | None, image_size: int | None):
    """A classifier for ``task`` on ``base_model``'s first ``num_layers`` blocks, taking ``image_size`` px inputs
    (None: the base model's own)."""
    from transformers import AutoConfig, AutoModelForImageClassification, Dinov2Config

    label_kwargs = dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                        label2id={label: i for i, label in enumerate(labels)},
                        problem_type="multi_label_classification" if task.multi_label
                        else "single_label_classification")
    if base_model in SCRATCH_CONFIGS:
        config = Dinov2Config(image_size=image_size or DEFAULT_IMAGE_SIZE, **SCRATCH_CONFIGS[base_model],
                              **label_kwargs)
        return AutoModelForImageClassification.from_config(config)
    path = resolve_base_model(base_model)
    base_layers = AutoConfig.from_pretrained(path).num_hidden_layers
    num_layers = min(num_layers or base_layers, base_layers)  # more would add untrained blocks
    # Fewer layers means fewer backbone stages: the stage bookkeeping must follow, or the saved config won't reload.
    layer_kwargs = {"num_hidden_layers": num_layers, "out_features": [f"stage{num_layers}"],
                    "out_indices": [num_layers], "stage_names": ["stem"] + [f"stage{i}" for i in range(1, num_layers + 1)]}
    config = AutoConfig.from_pretrained(path, **layer_kwargs, **label_kwargs)
    # A classification checkpoint with other labels (e.g. the quality model as the defect model's
    # start) keeps its backbone and gets a new head.
    model = AutoModelForImageClassification.from_pretrained(path, config=config, ignore_mismatched_sizes=True,
                                                            dtype=torch.float32)  # trains in float32 even from fp16
    if config.model_type == "dinov2" and image_size:
        from .backbones import shrink

        shrink(model, None, image_size)
    return model


def make_transform(task: Task, processor, num_labels: int, flip: bool = False):
    """Rows → model inputs; a row whose image cannot be decoded gets ``pixel_values`` None (see `Collator`).

    ``flip`` mirrors each image with probability 1/2 (for training: over several epochs the model sees each face
    both ways round and learns less of the particular photo; no defect of the registry changes under a mirror)."""
    def transform(batch):
        images = [open_image(value) for value in batch["image"]]
        if flip:
            images = [image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if image is not None and random.random() < 0.5
                      else image for image in images]
        readable = [image for image in images if image is not None]
        encoded = iter(processor(images=readable, return_tensors="pt")["pixel_values"] if readable else [])
        return {"pixel_values": [None if image is None else next(encoded) for image in images],
                "labels": task.targets(batch[task.label_column], num_labels)}

    return transform


class Collator:
    """Stacks examples into a batch, dropping and counting rows whose image could not be decoded.

    The count lives in the process that collates: with ``dataloader_num_workers > 0`` only the
    warnings (from the workers, one per batch with such rows) tell.
    """

    def __init__(self):
        self.skipped = 0

    def __call__(self, examples):
        kept = [example for example in examples if example["pixel_values"] is not None]
        if len(kept) < len(examples):
            self.skipped += len(examples) - len(kept)
            logger.warning("skipped %d row(s) whose image cannot be decoded (%d so far)",
                           len(examples) - len(kept), self.skipped)
        if not kept:
            raise ValueError("No image of this batch can be decoded: is the dataset corrupt?")
        return {"pixel_values": torch.stack([example["pixel_values"] for example in kept]),
                "labels": torch.stack([torch.as_tensor(example["labels"]) for example in kept])}


class HeadInputs(torch.utils.data.Dataset):
    """What a classifier's head receives for each row (its ``features``), with the row's labels."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor):
        self.features, self.labels = features, labels

    def __len__(self):
        return len(self.features)

    def __getitem__(self, index):
        return {"features": self.features[index], "labels": self.labels[index]}


@torch.no_grad()  # not inference_mode: the head trains on these tensors afterwards
def head_inputs(model, rows, collator: "Collator", batch_size: int) -> HeadInputs:
    """One pass of ``model``'s backbone over ``rows`` (a dataset with `make_transform` applied), keeping what its
    ``classifier`` receives. With the backbone frozen that input never changes, so a head trained on it for many
    epochs costs one backbone pass instead of one per epoch. ``collator`` skips and counts undecodable rows."""
    received = []
    hook = model.classifier.register_forward_pre_hook(lambda _, args: received.append(args[0]))
    features, labels = [], []
    device = next(model.parameters()).device
    model.eval()
    try:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            try:
                batch = collator([{"pixel_values": pixels, "labels": label}
                                  for pixels, label in zip(batch["pixel_values"], batch["labels"])])
            except ValueError:  # not one readable image in this batch: all counted as skipped
                continue
            model(pixel_values=batch["pixel_values"].to(device))
            features.append(received.pop().float().cpu())  # float32 also under bfloat16 autocast
            labels.append(batch["labels"])
            if start // batch_size % 50 == 0:
                logger.info("backbone outputs: %d of %d rows", start + len(batch["labels"]), len(rows))
    finally:
        hook.remove()
    if not features:
        raise ValueError("No image of these rows can be decoded: is the dataset corrupt?")
    return HeadInputs(torch.cat(features), torch.cat(labels))


class HeadOnly(torch.nn.Module):
    """A model's ``classifier`` alone, trained on `head_inputs` with the model's own loss: the same layer object,
    so training it trains the head of the whole model, which is what gets saved."""

    def __init__(self, model):
        super().__init__()
        self.classifier = model.classifier
        self._loss, self._config = model.loss_function, model.config  # not the model: its backbone is not trained

    def forward(self, features, labels=None):
        logits = self.classifier(features)
        return {"loss": None if labels is None else self._loss(labels, logits, self._config), "logits": logits}


def load_metric(task: Task):
    import evaluate

    return evaluate.load(str(METRICS_DIR / task.metric_script))


def score(task: Task, probabilities: np.ndarray, references, labels: list[str], threshold: float = 0.5) -> dict:
    """The task's metrics from probabilities and references (class ids, or multi-hot rows)."""
    metric = load_metric(task)
    if task.multi_label:
        return metric.compute(predictions=probabilities.tolist(), references=np.asarray(references).tolist(),
                              label_names=labels, threshold=threshold)
    return metric.compute(predictions=probabilities[:, 1].tolist(), references=list(references), threshold=threshold)


def make_compute_metrics(task: Task, labels: list[str]):
    def compute_metrics(eval_prediction):
        probabilities = task.probabilities(eval_prediction.predictions)
        return score(task, probabilities, eval_prediction.label_ids.astype(int), labels)

    return compute_metrics


def fit_temperature(task: Task, logits: np.ndarray, references: np.ndarray) -> float:
    """The temperature that minimises the validation log-loss (Guo et al., 2017)."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    targets = torch.as_tensor(references)
    best, best_loss = 1.0, float("inf")
    for temperature in np.exp(np.linspace(np.log(0.25), np.log(4.0), 81)):
        scaled = logits / temperature
        if task.multi_label:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(scaled, targets.double())
        else:
            loss = torch.nn.functional.cross_entropy(scaled, targets.long())
        if loss.item() < best_loss:
            best, best_loss = float(temperature), loss.item()
    return best


def apply_temperature(model, temperature: float) -> None:
    """Fold the temperature into the classifier, so every loader (pipeline included) gets calibrated output."""
    with torch.no_grad():
        model.classifier.weight /= temperature
        model.classifier.bias /= temperature
