"""Shared fixtures: face photos that ship with packages (no committed third-party files)."""

import numpy as np
import pytest
import skimage.data
from matplotlib import cbook
from PIL import Image

from pixelperfect.faces import crop_face, detect_faces


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> np.ndarray:
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
        return np.asarray(image.convert("RGB"))


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
