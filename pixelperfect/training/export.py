"""A classifier's backbone as an ONNX graph with int8 weights (`models.INT8_BACKBONE_FILE`), written beside its
weights, so that a CPU which multiplies int8 itself (VNNI, AMX) but has no bfloat16 runs the model pass in a third or
less of float32's time, for 99.8 % of its verdicts (README, *Speed*).

    python -m pixelperfect.training.export [models/defect models/quality]

Only the weights of the matrix products become int8, one scale per output channel; the activations are quantised as
each call comes (ONNX Runtime's dynamic quantisation, so `models.Classifier` runs it one photo a call), and
attention's products of two activations stay in float.
The graph ends where the head begins (the class token beside the mean patch token, which the classifier of
`Dinov2ForImageClassification` reads), so the heads stay in PyTorch and one backbone pass still serves two models
that share it. The SHA-256 of the weights it was made from is stored in the graph: a retrained model never runs a
stale one (`models.int8_backbone`).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from ..models import INT8_BACKBONE_FILE, WEIGHTS_DIGEST_KEY, WEIGHTS_FILE
from ..sources import sha256_of


class PooledBackbone(torch.nn.Module):
    """The backbone of a `Dinov2ForImageClassification`, ending in what its head reads."""

    def __init__(self, model):
        super().__init__()
        self.backbone = model.base_model

    def forward(self, pixel_values):
        tokens = self.backbone(pixel_values=pixel_values).last_hidden_state
        return torch.cat([tokens[:, 0], tokens[:, 1:].mean(dim=1)], dim=1)


@torch.inference_mode()
def export_int8_backbone(model_dir: str | Path) -> Path:
    """Write ``INT8_BACKBONE_FILE`` into the saved model folder ``model_dir``; return its path."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForImageClassification

    model_dir = Path(model_dir)
    model = AutoModelForImageClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
    if model.config.model_type != "dinov2":
        raise ValueError(f"{model_dir}: only DINOv2 classifiers are exported, not {model.config.model_type}")
    side = model.config.image_size
    target = model_dir / INT8_BACKBONE_FILE
    with tempfile.TemporaryDirectory() as work:
        float_graph = Path(work) / "backbone.onnx"
        torch.onnx.export(PooledBackbone(model), (torch.zeros(1, 3, side, side),), str(float_graph),
                          input_names=["pixel_values"], output_names=["pooled"], opset_version=17, dynamo=False,
                          dynamic_axes={"pixel_values": {0: "batch"}, "pooled": {0: "batch"}})
        graph = onnx.load(float_graph).graph
        constant = {tensor.name for tensor in graph.initializer} | {
            node.output[0] for node in graph.node if node.op_type == "Constant"}
        products_of_activations = [node.name for node in graph.node
                                   if node.op_type == "MatMul" and node.input[1] not in constant]
        quantize_dynamic(float_graph, target, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=products_of_activations)
    quantised = onnx.load(target)
    onnx.helper.set_model_props(quantised, {WEIGHTS_DIGEST_KEY: sha256_of(model_dir / WEIGHTS_FILE)})
    onnx.save(quantised, target)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dirs", nargs="*", type=Path, default=[Path("models/defect"), Path("models/quality")])
    for model_dir in parser.parse_args(argv).model_dirs:
        path = export_int8_backbone(model_dir)
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
