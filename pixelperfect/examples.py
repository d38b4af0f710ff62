"""Example photos for the app: public-domain portraits that ship with installed packages, and one copy of a
portrait per defect.

The portraits need only the runtime. The defect copies are made by the training wing's recipes
(`pixelperfect.training.degradations`), which a Space does not install: `publish.py` writes them all, with their
captions in ``examples.json``, into the Space's ``examples/`` folder, and where that manifest exists nothing is
made. A checkout without the training requirements shows the portraits only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np

logger = logging.getLogger(__name__)
MANIFEST = "examples.json"  # {caption: file name}, written once every example is there


def grace_hopper() -> np.ndarray:
    """Grace Hopper's US Navy portrait (public domain), as matplotlib ships it."""
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
        return np.asarray(image.convert("RGB"))


def astronaut() -> np.ndarray:
    """Eileen Collins' NASA portrait (public domain), as scikit-image ships it: a small face in a big photo."""
    import skimage.data

    return skimage.data.astronaut()


def turned(photo: np.ndarray, degrees: float) -> np.ndarray:
    height, width = photo.shape[:2]
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(photo, rotation, (width, height), borderMode=cv2.BORDER_REPLICATE)


def example_photos() -> dict[str, tuple[str, np.ndarray]]:
    """{caption: (file stem, photo)}: the portraits, a tilted head and, where the training wing is installed, one
    copy of Grace Hopper per defect."""
    grace = grace_hopper()
    photos = {"Grace Hopper": ("grace_hopper", grace),
              "Astronaut (small face)": ("astronaut", astronaut()),
              "Head tilted 15°": ("grace_hopper_tilted", turned(grace, 15))}
    try:
        from .training.degradations import apply_defect
    except ImportError as error:  # a Space, or a runtime-only install
        logger.info("defect examples not made (%s): install requirements-train.txt to see them", error)
        return photos
    from .defects import DEFECT_NAMES

    for index, name in enumerate(DEFECT_NAMES):
        photos[f"Defect: {name.replace('_', ' ')}"] = (f"grace_hopper_{name}",
                                                       apply_defect(grace, name, 1, np.random.default_rng(index))[0])
    return photos


def build_examples(folder: Path) -> dict[str, str]:
    """{caption: path} of the example photos in ``folder``, made there first unless its manifest lists them."""
    from PIL import Image

    manifest = folder / MANIFEST
    if manifest.is_file():
        return {caption: str(folder / name) for caption, name in json.loads(manifest.read_text()).items()}
    folder.mkdir(parents=True, exist_ok=True)
    photos = example_photos()
    files = {}
    for caption, (stem, photo) in photos.items():
        path = folder / f"{stem}.png"
        if not path.exists():
            Image.fromarray(photo).save(path)
        files[caption] = path.name
    if any(caption.startswith("Defect:") for caption in files):
        manifest.write_text(json.dumps(files, indent=1, ensure_ascii=False) + "\n")
    return {caption: str(folder / name) for caption, name in files.items()}
