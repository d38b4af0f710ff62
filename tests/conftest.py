"""Shared fixtures: face photos that ship with packages (no committed third-party files)."""

import os
import tempfile

# Before gradio is imported: the app's uploads and cache go to a folder the tests can inspect.
os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="pixelperfect-gradio-")

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

import degrade
from pixelperfect import examples
from pixelperfect.faces import crop_face, detect_faces


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return examples.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    return examples.grace_hopper()


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    return skimage.data.chelsea()


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return skimage.data.coffee()


@pytest.fixture(scope="session")
def face_crops(astronaut, grace_hopper) -> dict[str, np.ndarray]:
    """Both photos cropped like the training faces (200 x 200)."""
    return {name: crop_face(photo, detect_faces(photo)[0])
            for name, photo in (("astronaut", astronaut), ("grace_hopper", grace_hopper))}


@pytest.fixture(scope="session")
def monochrome_source() -> str:
    """The file name of the one black-and-white photo in `source_folder`."""
    return "70_0_0_20170109999999.jpg.chip.jpg"


@pytest.fixture(scope="session")
def soft_source() -> str:
    """The file name of the one photo in `source_folder` below the quality floor: a thumbnail enlarged."""
    return "45_1_2_20170109888888.jpg.chip.jpg"


@pytest.fixture(scope="session")
def source_folder(tmp_path_factory, face_crops, monochrome_source, soft_source):
    """30 'people' cut from the package photos, named like UTKFace; a black-and-white one, a soft one (enlarged from
    a thumbnail), a corrupt and a fake file."""
    folder = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(0)
    faces = list(face_crops.values())
    for i in range(30):
        face = faces[i % 2]
        shifted = np.roll(face, int(rng.integers(-12, 12)), axis=1)  # no two sources identical
        Image.fromarray(shifted).save(folder / f"{20 + i}_{i % 2}_{i % 5}_2017010{i:04d}.jpg.chip.jpg", quality=90)
    Image.fromarray(faces[0]).save(folder / "odd-name.png")
    Image.fromarray(faces[1]).convert("L").save(folder / monochrome_source, quality=90)
    Image.fromarray(faces[0]).resize((50, 50), Image.Resampling.BOX).resize((200, 200), Image.Resampling.BICUBIC).save(
        folder / soft_source, quality=95)
    (folder / "35_1_0_truncated.jpg.chip.jpg").write_bytes((folder / "20_0_0_20170100000.jpg.chip.jpg").read_bytes()[:300])
    (folder / "40_0_1_not-an-image.jpg.chip.jpg").write_text("this is not a photo")
    return folder


@pytest.fixture(scope="session")
def built_dataset(source_folder, tmp_path_factory):
    output = tmp_path_factory.mktemp("out") / "dataset"
    degrade.main(["--source", str(source_folder), "--output", str(output), "--seed", "7", "--workers", "2"])
    return output


@pytest.fixture(scope="session")
def client():
    """The Space running locally (MCP server on), and a gradio_client connected to it.

    Its uploads land in ``GRADIO_TEMP_DIR``, listed by `files_on_server`."""
    from gradio_client import Client

    import app

    app.demo.launch(prevent_thread_lock=True, quiet=True, mcp_server=True)
    yield Client(app.demo.local_url, verbose=False)
    app.demo.close()


@pytest.fixture
def files_on_server():
    """A function listing every file in the app's upload and cache folder."""
    return lambda: {path for path in Path(os.environ["GRADIO_TEMP_DIR"]).rglob("*") if path.is_file()}
