"""The two classifiers at inference: loaded once from a local folder or a Hub id, run in batches."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_QUALITY = os.environ.get("PIXELPERFECT_QUALITY_MODEL", str(MODELS_DIR / "quality"))
DEFAULT_DEFECT = os.environ.get("PIXELPERFECT_DEFECT_MODEL", str(MODELS_DIR / "defect"))


class Classifier:
    """A transformers image classifier and its processor; probabilities per label for a batch of arrays."""

    def __init__(self, model, processor):
        self.model = model.eval()
        self.processor = processor
        self._input_signature = processor.to_dict()  # compared on every batch, so computed once
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"

    @classmethod
    def load(cls, name_or_path: str) -> "Classifier":
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        # Weights ship in float16 to halve their size; float32 is what CPUs compute fast.
        model = AutoModelForImageClassification.from_pretrained(name_or_path, dtype=torch.float32)
        return cls(model, AutoImageProcessor.from_pretrained(name_or_path))

    def pixels(self, images: list) -> torch.Tensor:
        return self.processor(images=images, return_tensors="pt")["pixel_values"]

    def same_input_as(self, other: "Classifier") -> bool:
        """Whether both models take identically prepared pixels, so one preparation can serve both."""
        return self._input_signature == other._input_signature

    @torch.inference_mode()
    def predict_pixels(self, pixels: torch.Tensor, batch_size: int = 32) -> np.ndarray:
        outputs = []
        for start in range(0, len(pixels), batch_size):
            logits = self.model(pixel_values=pixels[start:start + batch_size]).logits
            outputs.append((logits.sigmoid() if self.multi_label else logits.softmax(-1)).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.labels)))

    def predict(self, images: list, batch_size: int = 32) -> np.ndarray:
        """Probabilities per label (softmax, or independent sigmoids for a multi-label model)."""
        if not images:
            return np.zeros((0, len(self.labels)))
        return self.predict_pixels(self.pixels(images), batch_size)
