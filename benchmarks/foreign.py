"""How the models do on faces they never saw, degraded by other tools than PixelPerfect's own recipes.

    python -m benchmarks.foreign [--faces ../shared/utkface/images] [--count 200] [--quality Q --defect D]

The faces are UTKFace originals of the dataset's test split (black-and-white ones left out); each is analysed
as it is (re-saved as JPEG q90: the "clean" row) and after each degradation below, made with Pillow, SciPy or
NumPy only — not with `pixelperfect.training.degradations` or the libraries it uses (OpenCV, Albumentations).
Prints a Markdown table: the share judged bad, and the share where the defect model names the expected defect.
Not a test: it measures how far the recipes generalise.
"""

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter
from scipy import ndimage

from pixelperfect import Analyzer
from pixelperfect.training.dataset import is_monochrome, list_sources, read_face, split_of


def _pil(function):
    return lambda rgb: np.asarray(function(Image.fromarray(rgb)).convert("RGB"))


def _encoded(rgb: np.ndarray, format: str, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=format, quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _resampled(factor: int, upsampling):
    def degrade(image):
        small = image.resize((image.width // factor, image.height // factor), Image.Resampling.BOX)
        return small.resize(image.size, upsampling)
    return _pil(degrade)


def _convolved(kernel: np.ndarray):
    kernel = kernel / kernel.sum()
    return lambda rgb: np.clip(np.stack([ndimage.convolve(rgb[..., c].astype(np.float32), kernel, mode="nearest")
                                         for c in range(3)], -1), 0, 255).astype(np.uint8)


def _disk(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return (x * x + y * y <= radius * radius).astype(np.float32)


def _noisy(sigma: float | None = None, photons: float | None = None):
    rng = np.random.default_rng(0)

    def degrade(rgb):
        x = rgb.astype(np.float32) / 255
        x = rng.poisson(x * photons) / photons if photons else x + rng.normal(0, sigma, x.shape)
        return (np.clip(x, 0, 1) * 255).astype(np.uint8)
    return degrade


def _gains(red: float, green: float, blue: float):
    return lambda rgb: np.clip(rgb * np.array([red, green, blue], np.float32), 0, 255).astype(np.uint8)


# name: (the defect it should be called, the degradation)
FOREIGN = {
    "clean (JPEG q90)": (None, lambda rgb: _encoded(rgb, "JPEG", 90)),
    "Gaussian blur σ 2 (Pillow)": ("blur", _pil(lambda im: im.filter(ImageFilter.GaussianBlur(2)))),
    "defocus, disk r 3 (SciPy)": ("blur", _convolved(_disk(3))),
    "motion blur, 11 px line (SciPy)": ("blur", _convolved(np.eye(11, dtype=np.float32))),
    "Gaussian noise σ 0.06 (NumPy)": ("noise", _noisy(sigma=0.06)),
    "shot noise, 30 photons (NumPy)": ("noise", _noisy(photons=30)),
    "JPEG q8 (Pillow)": ("compression", lambda rgb: _encoded(rgb, "JPEG", 8)),
    "WebP q3 (Pillow)": ("compression", lambda rgb: _encoded(rgb, "WEBP", 3)),
    "¼ size, bicubic back (Pillow)": ("low_resolution", _resampled(4, Image.Resampling.BICUBIC)),
    "⅕ size, nearest back (Pillow)": ("low_resolution", _resampled(5, Image.Resampling.NEAREST)),
    "darker × 0.3 (Pillow)": ("exposure", _pil(lambda im: ImageEnhance.Brightness(im).enhance(0.3))),
    "brighter × 2.2 (Pillow)": ("exposure", _pil(lambda im: ImageEnhance.Brightness(im).enhance(2.2))),
    "contrast × 0.35 (Pillow)": ("exposure", _pil(lambda im: ImageEnhance.Contrast(im).enhance(0.35))),
    "black and white (Pillow)": ("color", _pil(lambda im: im.convert("L"))),
    "saturation × 3 (Pillow)": ("color", _pil(lambda im: ImageEnhance.Color(im).enhance(3))),
    "blue cast, gains .7/.85/1.2 (NumPy)": ("color", _gains(0.7, 0.85, 1.2)),
    "haze, 50 % white (Pillow)": ("other", _pil(lambda im: Image.blend(im, Image.new("RGB", im.size, "white"), 0.5))),
}


def unseen_faces(folder: Path, count: int, seed: int = 0) -> list[np.ndarray]:
    """Colour originals of the dataset's test split (`degrade.py --seed 0`): faces no model trained on."""
    faces = []
    for path in list_sources(folder):
        if split_of(str(path.relative_to(folder)), seed) == "test":
            face = read_face(path)
            if not is_monochrome(face):
                faces.append(face)
            if len(faces) == count:
                break
    return faces


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--quality", help="quality model (default: the bundled one)")
    parser.add_argument("--defect", help="defect model (default: the bundled one)")
    args = parser.parse_args()
    faces = unseen_faces(args.faces, args.count)
    analyzer = Analyzer(quality=args.quality, defect=args.defect)

    print(f"{len(faces)} UTKFace test-split faces; models: {args.quality or 'bundled'}, {args.defect or 'bundled'}\n")
    print("| degradation (tool) | should be | judged bad | expected defect named (p ≥ 0.5) |")
    print("|---|---|---|---|")
    right = []
    for name, (defect, degrade) in FOREIGN.items():
        reports = analyzer.analyze_batch([degrade(face) for face in faces])
        bad = np.mean([report.verdict == "bad" for report in reports])
        named = np.mean([report.defects[defect] >= 0.5 for report in reports]) if defect else None
        right.append(1 - bad if defect is None else bad)
        print(f"| {name} | {'good' if defect is None else 'bad: ' + defect} | {bad:.2f} | "
              f"{'—' if named is None else f'{named:.2f}'} |")
    print(f"\nMean share judged right over the {len(FOREIGN)} rows: {np.mean(right):.3f}")


if __name__ == "__main__":
    main()
