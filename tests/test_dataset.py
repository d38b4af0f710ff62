"""degrade.py builds a split-by-face dataset with the agreed columns, reproducibly, and survives bad files."""

import cv2
import numpy as np
import pytest
from datasets import load_from_disk
from PIL import Image

import degrade
from pixelperfect.checks import run_checks
from pixelperfect.training.dataset import make_rows, parse_utkface_name, split_of
from pixelperfect.defects import DEFECT_NAMES
from pixelperfect.faces import MESH_KEYPOINTS, find_face, subject_mask
from pixelperfect.training.degradations import CAMERA_VARIANTS, crisp, glasses, portrait_mode, studio_backdrop
from pixelperfect.measures import measure


def checks_of(photo: np.ndarray) -> dict:
    return run_checks(photo, find_face(photo))


def test_splits_columns_and_features(built_dataset):
    dataset = load_from_disk(str(built_dataset))
    assert set(dataset) == {"train", "validation", "test"}
    features = dataset["train"].features
    for column in ("image", "quality", "defects", "severity", "recipe", "source", "age", "gender", "race"):
        assert column in features
    assert features["quality"].names == ["good", "bad"]
    assert features["defects"].feature.names == list(DEFECT_NAMES)
    row = dataset["train"][0]
    assert isinstance(row["image"], Image.Image) and row["image"].size == (200, 200)


def test_good_and_bad_balanced_and_labels_consistent(built_dataset, monochrome_source, soft_source):
    dataset = load_from_disk(str(built_dataset))
    for part in dataset.values():
        qualities = np.array(part["quality"])
        # a black-and-white source gives two bad rows instead of a good and a bad one; a soft one its bad row only
        monochrome_sources = sum(source == monochrome_source for source in part["source"]) // 2
        soft_sources = sum(source == soft_source for source in part["source"])
        assert (qualities == 0).sum() + monochrome_sources + soft_sources == (
            (qualities == 1).sum() - monochrome_sources)
        for quality, defects, severity, recipe in zip(part["quality"], part["defects"], part["severity"],
                                                      part["recipe"]):
            assert (quality == 1) == bool(defects) == (severity > 0)
            assert recipe.startswith(("benign", "camera ")) if quality == 0 else all(
                DEFECT_NAMES[d] in recipe for d in defects)


def test_a_black_and_white_original_gives_no_good_row(built_dataset, monochrome_source):
    """A photo without colour looks like a fully desaturated copy: both its rows are bad, with a colour defect."""
    dataset = load_from_disk(str(built_dataset))
    rows = [row for part in dataset.values() for row in part.select_columns(
        ["source", "quality", "defects", "severity", "recipe"]) if row["source"] == monochrome_source]
    assert len(rows) == 2
    color = DEFECT_NAMES.index("color")
    for row in rows:
        assert row["quality"] == 1 and color in row["defects"] and row["severity"] == 3
        assert row["recipe"].startswith("color/monochrome original + ")
    assert "1 black-and-white originals" in (built_dataset / "README.md").read_text()


def test_an_original_below_the_quality_floor_gives_no_good_row(built_dataset, soft_source):
    """A thumbnail enlarged to the training faces' size is soft: labelled good, it would teach that soft is fine."""
    dataset = load_from_disk(str(built_dataset))
    rows = [row for part in dataset.values() for row in part.select_columns(["source", "quality", "recipe"])
            if row["source"] == soft_source]
    assert len(rows) == 1 and rows[0]["quality"] == 1 and rows[0]["recipe"].startswith("below floor (")
    sharp = [row for part in dataset.values() for row in part.select_columns(["quality", "recipe"])
             if row["quality"] == 0]
    assert sharp and not any(row["recipe"].startswith("below floor") for row in sharp)
    assert "1 originals below the quality floor" in (built_dataset / "README.md").read_text()


def test_no_face_in_two_splits(built_dataset):
    dataset = load_from_disk(str(built_dataset))
    sources = {split: set(part["source"]) for split, part in dataset.items()}
    assert not sources["train"] & sources["validation"]
    assert not sources["train"] & sources["test"]
    assert not sources["validation"] & sources["test"]


def test_unreadable_files_are_skipped_and_counted(built_dataset, source_folder):
    dataset = load_from_disk(str(built_dataset))
    kept = set().union(*(set(part["source"]) for part in dataset.values()))
    assert "35_1_0_truncated.jpg.chip.jpg" not in kept and "40_0_1_not-an-image.jpg.chip.jpg" not in kept
    assert "odd-name.png" in kept
    card = (built_dataset / "README.md").read_text()
    assert "2 skipped as unreadable" in card and "non-commercial research" in card
    assert card.startswith("---\nlicense: other")


def test_metadata_parsed_and_unknown_for_other_names(built_dataset):
    dataset = load_from_disk(str(built_dataset))
    rows = {row["source"]: row for part in dataset.values() for row in part.select_columns(
        ["source", "age", "gender", "race"])}
    gender = dataset["train"].features["gender"]
    assert rows["odd-name.png"]["age"] == -1 and gender.int2str(rows["odd-name.png"]["gender"]) == "unknown"
    assert rows["21_1_1_20170100001.jpg.chip.jpg"]["age"] == 21


def test_same_seed_rebuilds_the_same_rows(built_dataset, source_folder, tmp_path):
    again = tmp_path / "again"
    degrade.main(["--source", str(source_folder), "--output", str(again), "--seed", "7", "--workers", "1"])
    first, second = load_from_disk(str(built_dataset))["train"], load_from_disk(str(again))["train"]
    assert first["recipe"] == second["recipe"]
    assert np.array_equal(np.asarray(first[3]["image"]), np.asarray(second[3]["image"]))


def test_parse_utkface_name_is_defensive():
    assert parse_utkface_name("25_1_3_20170119.jpg.chip.jpg") == {"age": 25, "gender": "female", "race": "indian"}
    assert parse_utkface_name("61_1_20170109150557335.jpg.chip.jpg")["race"] == "unknown"  # a field missing
    assert parse_utkface_name("x_y_z_w.jpg") == {"age": -1, "gender": "unknown", "race": "unknown"}
    assert parse_utkface_name("portrait.png")["age"] == -1


def test_split_is_stable_and_roughly_80_10_10():
    names = [f"{i}_0_0_{i}.jpg" for i in range(5000)]
    splits = [split_of(n, 0) for n in names]
    assert splits == [split_of(n, 0) for n in names]
    share = {s: splits.count(s) / len(splits) for s in ("train", "validation", "test")}
    assert abs(share["train"] - 0.8) < 0.03 and abs(share["test"] - 0.1) < 0.02


def _laplacian_energy(image: np.ndarray, where: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[where].mean())


def test_camera_variants_keep_the_face_and_change_only_what_a_camera_would(grace_hopper):
    mesh = find_face(grace_hopper).mesh
    subject = subject_mask(grace_hopper.shape, mesh)
    face = cv2.erode(subject, np.ones((15, 15), np.uint8)).astype(bool)  # well inside the person
    background = cv2.dilate(subject, np.ones((15, 15), np.uint8)) == 0
    rng = np.random.default_rng(0)
    portrait, recipe = portrait_mode(grace_hopper, mesh, rng)
    assert recipe.startswith("portrait_mode") and np.array_equal(portrait[face], grace_hopper[face])
    assert _laplacian_energy(portrait, background) < 0.5 * _laplacian_energy(grace_hopper, background)
    studio, _ = studio_backdrop(grace_hopper, mesh, rng)
    assert np.array_equal(studio[face], grace_hopper[face])
    assert checks_of(studio)["background"]["passed"] and not checks_of(grace_hopper)["background"]["passed"]
    sharper, _ = crisp(grace_hopper, None, rng)
    assert measure(sharper)["clarity"]["value"] > measure(grace_hopper)["clarity"]["value"]


@pytest.mark.parametrize("variant", ["bright_background", "bokeh", "patterned_background", "back_light"])
def test_busy_bright_and_back_lit_backgrounds_leave_the_face_as_it_was(grace_hopper, variant):
    mesh = find_face(grace_hopper).mesh
    subject = subject_mask(grace_hopper.shape, mesh)
    face = cv2.erode(subject, np.ones((15, 15), np.uint8)).astype(bool)
    background = cv2.dilate(subject, np.ones((15, 15), np.uint8)) == 0
    for seed in range(3):
        out, recipe = CAMERA_VARIANTS[variant](grace_hopper, mesh, np.random.default_rng(seed))
        assert recipe.startswith(variant) and np.array_equal(out[face], grace_hopper[face])
        assert np.abs(out[background].astype(int) - grace_hopper[background]).mean() > 10  # the background changed
    bright, _ = CAMERA_VARIANTS["bright_background"](grace_hopper, mesh, np.random.default_rng(0))
    assert bright[background].mean() > 200  # high key


def test_glasses_frame_the_eyes_and_leave_the_rest_of_the_face(grace_hopper):
    mesh = find_face(grace_hopper).mesh
    for seed in range(4):
        out, recipe = glasses(grace_hopper, mesh, np.random.default_rng(seed))
        changed = np.abs(out.astype(int) - grace_hopper).sum(axis=2) > 0
        eyes = np.array([mesh[list(MESH_KEYPOINTS[eye]), :2].mean(axis=0) for eye in ("right_eye", "left_eye")])
        distance = np.linalg.norm(eyes[1] - eyes[0])
        ys, xs = np.nonzero(changed)
        near_eyes = np.abs(ys - eyes[:, 1].mean()) < 0.6 * distance  # frames, bridge, temples, reflections
        assert recipe.startswith("glasses") and changed.any() and near_eyes.all()
        mouth = mesh[list(MESH_KEYPOINTS["mouth"]), :2].mean(axis=0).astype(int)
        assert not changed[mouth[1] - 5:mouth[1] + 5, mouth[0] - 20:mouth[0] + 20].any()


def test_a_camera_variant_is_a_good_row(tmp_path, face_crops):
    path = tmp_path / "30_0_0_portrait.jpg"
    Image.fromarray(face_crops["grace_hopper"]).save(path, quality=95)
    rows = [make_rows((index, str(path), path.name, 0)) for index in range(12)]
    good = [row for pair in rows for row in pair if row["quality"] == "good"]
    with_camera = [row for row in good if row["recipe"].startswith("camera ")]
    assert with_camera and len(good) == 12  # about half of the good rows get one; every one stays good
    assert all(row["defects"] == [] for row in with_camera)
