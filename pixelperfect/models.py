"""The two classifiers at inference: loaded once from a local folder or a Hub id, run in batches."""

from __future__ import annotations

import os
import threading

import numpy as np
import torch


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 itself (AVX-512 BF16 or AMX) rather than emulating it."""
    return any(getattr(torch.cpu, probe, lambda: False)()
               for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def bfloat16_by_default() -> bool:
    """bfloat16 autocast where the CPU has it: the backbone runs about 1.7 times as fast, for nearly the same
    verdicts (README, *Speed*); elsewhere it is emulated and slower than float32. ``PIXELPERFECT_BFLOAT16=1`` or
    ``0`` decides instead."""
    asked = os.environ.get("PIXELPERFECT_BFLOAT16", "")
    return asked == "1" if asked in ("0", "1") else native_bfloat16()


BFLOAT16 = bfloat16_by_default()


class Classifier:
    """A transformers image classifier and its processor; probabilities per label for a batch of arrays."""

    def __init__(self, model, processor, bfloat16: bool = BFLOAT16):
        self.model = model.eval()
        self.processor = processor
        self.bfloat16 = bfloat16
        self._input_signature = processor.to_dict()  # compared on every batch, so computed once
        self.labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.multi_label = self.model.config.problem_type == "multi_label_classification"
        self._shares_backbone: dict[int, bool] = {}
        # What the head last saw, per thread (requests run on several threads at once): another
        # model with the same backbone applies its own head to it instead of a second backbone pass.
        self._head_input = threading.local()
        if hasattr(self.model, "classifier"):
            self.model.classifier.register_forward_pre_hook(
                lambda _, args: setattr(self._head_input, "value", args[0]))

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

    def shares_backbone_with(self, other: "Classifier") -> bool:
        """Whether ``other`` differs from this model only in its head (``classifier``), as when the
        quality model is a head trained on the frozen defect model: then one backbone pass serves both."""
        if id(other) not in self._shares_backbone:
            mine, theirs = ({name: tensor for name, tensor in classifier.model.state_dict().items()
                             if not name.startswith("classifier.")} for classifier in (self, other))
            self._shares_backbone[id(other)] = (
                type(self.model) is type(other.model) and hasattr(self.model, "classifier")
                and self.same_input_as(other) and mine.keys() == theirs.keys()
                and all(torch.equal(tensor, theirs[name]) for name, tensor in mine.items()))
        return self._shares_backbone[id(other)]

    def _probabilities(self, logits: torch.Tensor) -> np.ndarray:
        return (logits.sigmoid() if self.multi_label else logits.softmax(-1)).numpy()

    def _logits(self, pixels: torch.Tensor, batch_size: int):
        for start in range(0, len(pixels), batch_size):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
                logits = self.model(pixel_values=pixels[start:start + batch_size]).logits
            yield logits.float()

    def _stacked(self, parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros((0, len(self.labels)))

    @torch.inference_mode()
    def predict_pixels(self, pixels: torch.Tensor, batch_size: int = 32) -> np.ndarray:
        return self._stacked([self._probabilities(logits) for logits in self._logits(pixels, batch_size)])

    @torch.inference_mode()
    def predict_pixels_with(self, other: "Classifier", pixels: torch.Tensor,
                            batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """This model's and ``other``'s probabilities for the same pixels, with one backbone pass
        when they share their backbone."""
        if not self.shares_backbone_with(other):
            return self.predict_pixels(pixels, batch_size), other.predict_pixels(pixels, batch_size)
        mine, theirs = [], []
        for logits in self._logits(pixels, batch_size):
            mine.append(self._probabilities(logits))
            # In the precision the other model's own pass would use: where both use the same, sharing changes no
            # answer.
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=other.bfloat16):
                their_logits = other.model.classifier(self._head_input.value.float())
            theirs.append(other._probabilities(their_logits.float()))
        return self._stacked(mine), other._stacked(theirs)

    def predict(self, images: list, batch_size: int = 32) -> np.ndarray:
        """Probabilities per label (softmax, or independent sigmoids for a multi-label model)."""
        if not images:
            return np.zeros((0, len(self.labels)))
        return self.predict_pixels(self.pixels(images), batch_size)
