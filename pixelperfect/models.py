"""The two classifiers at inference: loaded once from a local folder or a Hub id, run in batches."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
import torch

from .sources import sha256_of

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
# The backbone with int8 weights (`training.export`), beside the weights it was made from, whose digest it stores.
INT8_BACKBONE_FILE = "backbone-int8.onnx"
WEIGHTS_DIGEST_KEY = "weights_sha256"


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


def native_int8() -> bool:
    """Whether this CPU multiplies int8 itself (AVX-512 VNNI or AMX, as PyTorch detects them); elsewhere int8 is
    hardly faster than float32."""
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in ("_is_vnni_supported", "_is_amx_tile_supported"))


def int8_by_default() -> bool:
    """The int8 backbone where the CPU multiplies int8 itself but has no bfloat16 (most server Xeons before 2023):
    there the model pass takes a third or less of float32's time, for 99.8 % of its verdicts; where bfloat16 is
    native, int8 saves 17 % of the model pass (7–8 % end to end) but lies further from float32, so bfloat16 stays
    (README, *Speed*). ``PIXELPERFECT_INT8=1`` or ``0`` decides instead."""
    asked = os.environ.get("PIXELPERFECT_INT8", "")
    return asked == "1" if asked in ("0", "1") else native_int8() and not native_bfloat16()


INT8 = int8_by_default()


def _model_file(name_or_path: str, file: str) -> Path | None:
    """A file of a model folder or Hub repository (fetched, or from the cache), or None where it has none."""
    if Path(name_or_path).is_dir():
        path = Path(name_or_path) / file
        return path if path.is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RemoteEntryNotFoundError

    try:
        return Path(hf_hub_download(name_or_path, file))
    except (EntryNotFoundError, RemoteEntryNotFoundError):  # not in the cache offline; not in the repo online
        return None


def int8_backbone(name_or_path: str):
    """An ONNX Runtime session on the model's int8 backbone, or None where it has none, the graph was made from other
    weights, or ONNX Runtime is not installed: the model then runs in PyTorch."""
    try:
        import onnxruntime
    except ImportError:
        return None
    graph, weights = _model_file(name_or_path, INT8_BACKBONE_FILE), _model_file(name_or_path, WEIGHTS_FILE)
    if graph is None or weights is None:
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # as PyTorch's pass would (batch workers ask for one)
    # Threads left spinning between calls would take the cores from the face models and measures that follow.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # a damaged file, or a graph this ONNX Runtime cannot run: PyTorch still can
        logger.warning("%s: %s cannot be run (%s); running the model in PyTorch instead", name_or_path,
                       INT8_BACKBONE_FILE, error)
        return None
    if session.get_modelmeta().custom_metadata_map.get(WEIGHTS_DIGEST_KEY) != sha256_of(weights):
        logger.warning("%s: %s was made from other weights; running the model in PyTorch instead (re-export it: "
                       "python -m pixelperfect.training.export)", name_or_path, INT8_BACKBONE_FILE)
        return None
    return session


class Classifier:
    """A transformers image classifier and its processor; probabilities per label for a batch of arrays."""

    def __init__(self, model, processor, bfloat16: bool = BFLOAT16, backbone_session=None):
        self.model = model.eval()
        self.processor = processor
        self.bfloat16 = bfloat16
        self.backbone_session = backbone_session  # `int8_backbone`: runs the backbone instead of PyTorch
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
    def load(cls, name_or_path: str, int8: bool = INT8) -> "Classifier":
        """The model of a folder or Hub id, its backbone in int8 where ``int8`` is asked and the model has one."""
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        # Weights ship in float16 to halve their size; float32 is what CPUs compute fast.
        model = AutoModelForImageClassification.from_pretrained(name_or_path, dtype=torch.float32)
        session = int8_backbone(name_or_path) if int8 else None
        return cls(model, AutoImageProcessor.from_pretrained(name_or_path), backbone_session=session)

    @property
    def head_in_bfloat16(self) -> bool:
        """Whether the PyTorch part of the pass (the whole model, or only its head after the int8 backbone) runs in
        bfloat16: only without the int8 backbone, whose output is float32."""
        return self.bfloat16 and self.backbone_session is None

    @property
    def precision(self) -> str:
        """How the backbone runs: int8 (ONNX Runtime), bfloat16 or float32 (PyTorch)."""
        return "int8" if self.backbone_session is not None else "bfloat16" if self.bfloat16 else "float32"

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
                and (self.backbone_session is None) == (other.backbone_session is None)
                and all(torch.equal(tensor, theirs[name]) for name, tensor in mine.items()))
        return self._shares_backbone[id(other)]

    def _probabilities(self, logits: torch.Tensor) -> np.ndarray:
        return (logits.sigmoid() if self.multi_label else logits.softmax(-1)).numpy()

    def _logits(self, pixels: torch.Tensor, batch_size: int):
        for start in range(0, len(pixels), batch_size):
            batch = pixels[start:start + batch_size]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.head_in_bfloat16):
                if self.backbone_session is None:
                    logits = self.model(pixel_values=batch).logits
                else:  # one photo at a time: activations are quantised per call, so a batch would sway each answer
                    pooled = np.concatenate([self.backbone_session.run(None, {"pixel_values": photo})[0]
                                             for photo in batch.numpy()[:, np.newaxis]])
                    logits = self.model.classifier(torch.from_numpy(pooled))
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
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=other.head_in_bfloat16):
                their_logits = other.model.classifier(self._head_input.value.float())
            theirs.append(other._probabilities(their_logits.float()))
        return self._stacked(mine), other._stacked(theirs)

    def predict(self, images: list, batch_size: int = 32) -> np.ndarray:
        """Probabilities per label (softmax, or independent sigmoids for a multi-label model)."""
        if not images:
            return np.zeros((0, len(self.labels)))
        return self.predict_pixels(self.pixels(images), batch_size)
