"""Batch scoring: the local and Ray engines write the same rows, a run resumes exactly once, and every input kind
and unreadable photo is handled."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset, Image as ImageFeature
from PIL import Image

from pixelperfect import __main__ as cli
from pixelperfect.batch import UNEXPECTED_DECODING_ERROR, flat_row, list_photos, score, shard_folder

SETTINGS = {"strictness": "standard", "profile": "photo"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory, grace_hopper, astronaut, face_crops):
    made = tmp_path_factory.mktemp("batch")
    photos = {"grace.jpg": grace_hopper, "astronaut.png": astronaut, "crop.png": face_crops["grace_hopper"],
              "small.jpg": grace_hopper[::3, ::3], "crop-astronaut.jpg": face_crops["astronaut"]}
    for name, photo in photos.items():
        Image.fromarray(photo).save(made / name)
    (made / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return made


def rows_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def comparable(record):
    """A row with its numbers rounded: engines may add floats in another order."""
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in flat_row(record).items()}


def test_a_folder_is_scored_with_an_error_row_for_the_unreadable_photo(folder, tmp_path):
    output = tmp_path / "scores.jsonl"
    summary = score(list_photos([str(folder)]), output, SETTINGS, shard_size=2)
    rows = rows_of(output)
    assert [row["file"] for row in rows] == [str(path) for path in sorted(folder.iterdir())]
    broken = next(row for row in rows if row["file"].endswith("broken.jpg"))
    assert "report" not in broken and "image" in broken["error"]
    assert summary.scored == 5 and summary.failed == 1
    assert len(list(shard_folder(output).glob("shard-*.jsonl"))) == 3


def test_a_decoder_failing_in_a_way_not_foreseen_costs_one_row_not_the_run(folder, tmp_path, monkeypatch):
    """Stopping would not help: a resumed run would meet the same file again and never finish."""
    from pixelperfect import images

    poisoned, load_image = (folder / "astronaut.png").read_bytes(), images.load_image

    def failing_on_one_file(data):
        if isinstance(data, bytes) and data == poisoned:
            raise RuntimeError("a decoder's own bug")
        return load_image(data)

    monkeypatch.setattr(images, "load_image", failing_on_one_file)
    output = tmp_path / "scores.jsonl"
    summary = score(list_photos([str(folder)]), output, SETTINGS, shard_size=2)
    rows = {Path(row["file"]).name: row for row in rows_of(output)}
    assert rows["astronaut.png"]["error"] == UNEXPECTED_DECODING_ERROR and "report" not in rows["astronaut.png"]
    assert summary.scored == 4 and summary.failed == 2 and "report" in rows["grace.jpg"]


def test_an_interrupted_run_resumes_to_the_same_rows_with_no_duplicate_and_no_gap(folder, tmp_path):
    photos = list_photos([str(folder)])
    whole = tmp_path / "whole.csv"
    score(photos, whole, SETTINGS, shard_size=2)
    resumed = tmp_path / "resumed.csv"
    first = score(photos, resumed, SETTINGS, shard_size=2, stop_after=1)  # as if it crashed after one shard
    assert first.scored + first.failed == 2 and len(list(shard_folder(resumed).glob("shard-*"))) == 1
    second = score(photos, resumed, SETTINGS, shard_size=2, resume=True)
    assert second.skipped == 2 and second.scored + second.failed == 4
    read = [list(csv.DictReader(path.open())) for path in (whole, resumed)]
    assert sorted(row["file"] for row in read[1]) == sorted(str(p) for p in folder.iterdir())
    assert sorted(read[0], key=lambda row: row["file"]) == sorted(read[1], key=lambda row: row["file"])
    third = score(photos, resumed, SETTINGS, shard_size=2, resume=True)  # nothing left to do
    assert third.skipped == 6 and third.scored == 0 and len(list(csv.DictReader(resumed.open()))) == 6


def test_a_changed_photo_is_scored_again_on_resume(folder, tmp_path, grace_hopper):
    copy = tmp_path / "photos"
    shutil.copytree(folder, copy)
    output = tmp_path / "scores.jsonl"
    score(list_photos([str(copy)]), output, SETTINGS, shard_size=3)
    Image.fromarray(np.ascontiguousarray(grace_hopper[:, ::-1])).save(copy / "grace.jpg")
    again = score(list_photos([str(copy)]), output, SETTINGS, shard_size=3, resume=True)
    assert again.skipped == 5 and again.scored == 1
    rows = rows_of(output)
    assert sum(row["file"].endswith("grace.jpg") for row in rows) == 2  # both versions, each once


def test_a_datasets_folder_and_a_listing_are_inputs(folder, tmp_path):
    images = [str(folder / "crop.png"), str(folder / "grace.jpg")]
    Dataset.from_dict({"image": images}).cast_column("image", ImageFeature()).save_to_disk(str(tmp_path / "set"))
    photos = list_photos([str(tmp_path / "set")])
    assert [photo.key for photo in photos] == [f"{tmp_path / 'set'}::train/0", f"{tmp_path / 'set'}::train/1"]
    listing = tmp_path / "listing.csv"
    listing.write_text("path,label\n" + "".join(f"{image},x\n" for image in images))
    from_set, from_listing = tmp_path / "set.jsonl", tmp_path / "listing.jsonl"
    score(photos, from_set, SETTINGS)
    score(list_photos([str(listing)]), from_listing, SETTINGS)
    reports = [[row["report"] for row in rows_of(path)] for path in (from_set, from_listing)]
    assert reports[0] == reports[1]  # the same photos, whichever way they were named


def test_the_cli_writes_parquet_and_resumes(folder, tmp_path, capsys):
    output = tmp_path / "scores.parquet"
    assert cli.main([str(folder), "--output", str(output), "--shard-size", "4"]) == 0
    assert "5 analysed (standard, photo)" in capsys.readouterr().out
    assert cli.main([str(folder), "--output", str(output), "--resume"]) == 0
    assert "6 already scored (resumed)" in capsys.readouterr().out
    import pyarrow.parquet as parquet

    table = parquet.read_table(output)
    assert table.num_rows == 6 and set(table.column("verdict").to_pylist()) <= {"good", "bad", None}


def test_local_and_ray_engines_write_the_same_rows(folder, tmp_path):
    pytest.importorskip("ray")
    photos = list_photos([str(folder)])
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    score(photos, local, SETTINGS, engine="local", workers=2, shard_size=2)
    # Ray in a process of its own, as a user runs it: its local cluster (two CPUs, two actors) starts with the
    # run and stops at its end, untouched by what earlier tests left in this process (a Gradio server, threads).
    done = subprocess.run([sys.executable, "-c", RAY_RUN, str(folder), str(on_ray)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [comparable(row) for row in rows_of(local)] == [comparable(row) for row in rows_of(on_ray)]


RAY_RUN = """
import sys, ray
from pathlib import Path
from pixelperfect.batch import list_photos, score
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
try:
    score(list_photos([sys.argv[1]]), Path(sys.argv[2]), {"strictness": "standard", "profile": "photo"},
          engine="ray", workers=2, shard_size=2)
finally:
    ray.shutdown()
"""


def test_without_the_training_packages_datasets_and_parquet_are_refused_before_scoring(folder, tmp_path, monkeypatch,
                                                                                        capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",  # as in a Space, which installs requirements.txt only
                        lambda name, *args: None if name in ("pyarrow", "datasets") else find_spec(name, *args))
    with pytest.raises(SystemExit) as parquet:
        cli.main([str(folder), "--output", str(tmp_path / "results.parquet")])
    assert parquet.value.code == 2 and "Writing Parquet needs the `pyarrow` package" in capsys.readouterr().err
    dataset = tmp_path / "dataset"
    Dataset.from_dict({"image": [str(folder / "grace.jpg")]}).cast_column("image", ImageFeature()).save_to_disk(
        str(dataset))
    with pytest.raises(SystemExit):
        cli.main([str(dataset)])
    assert "needs the `datasets` package" in capsys.readouterr().err
    assert not (tmp_path / "results.parquet").exists()
