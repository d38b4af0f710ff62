"""The recipes that make each defect of `pixelperfect.defects` for training: one `Degradation` per defect.

Each holds a few *variants* (the ways a camera, a person or a network
produces that defect) and every variant takes a severity level: ``mild`` is clearly visible on a
200 px face, ``severe`` is unusable. Variants work on RGB ``uint8`` arrays, draw every random
choice from the ``numpy.random.Generator`` they are given (so a seed reproduces an image) and
return the image with a readable recipe such as ``"blur/defocus radius=4.2"``.

Where physics matters the recipes work in linear light: exposure is a gain in stops, sensor noise
is Poisson-Gaussian on photon counts, white balance is a per-channel gain, because that is what a
camera does and what a model must recognise in real photos. Albumentations (built with
``strict=True``) supplies the transforms it does well; small NumPy/OpenCV functions do the rest.

Adding a defect is its name and meaning in `pixelperfect.defects`, one `Degradation(...)` entry in `DEGRADATIONS`
and its advice in `pixelperfect.advice`, plus its test in ``tests/test_defects.py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import albumentations as A
import cv2
import numpy as np
from PIL import Image, ImageFile

from ..defects import DEFECT_NAMES
from ..faces import MESH_KEYPOINTS, subject_mask
from ..measures import distance_from_skin, mean_ab, middle_of, skin_distance

SEVERITIES = ("mild", "moderate", "severe")

RGB = np.ndarray  # uint8, H x W x 3
Recipe = Callable[[RGB, np.random.Generator, int], "tuple[RGB, str]"]


@dataclass(frozen=True)
class Variant:
    name: str
    apply: Recipe


@dataclass(frozen=True)
class Degradation:
    name: str
    # Position in the capture → storage → transfer chain; combinations are applied in this order
    # (optics before the sensor, the sensor before the encoder, the encoder before the network).
    stage: int
    variants: tuple[Variant, ...]

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)


# ---------------------------------------------------------------- helpers


def _uniform(rng: np.random.Generator, ranges, level: int) -> float:
    low, high = ranges[level]
    return float(rng.uniform(low, high))


def _odd(value: float) -> int:
    return int(value) // 2 * 2 + 1


def _to_float(image: RGB) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def _to_uint8(image: np.ndarray) -> RGB:
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _linear(image: RGB) -> np.ndarray:
    return _to_float(image) ** 2.2


def _srgb(linear: np.ndarray) -> RGB:
    return _to_uint8(np.clip(linear, 0, 1) ** (1 / 2.2))


def _albumentation(transform: A.BasicTransform, image: RGB, rng: np.random.Generator) -> RGB:
    transform.set_random_seed(int(rng.integers(2**31)))
    return transform(image=image)["image"]


def _luma(image: np.ndarray) -> np.ndarray:
    return image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _jpeg(image: RGB, quality: int, subsampling: int = 2) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, subsampling=subsampling)
    return buffer.getvalue()


def _decode(data: bytes) -> RGB:
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # decode what arrived, as a browser does
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


def _radial(height: int, width: int, cy: float, cx: float) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.sqrt(((y - cy) / height) ** 2 + ((x - cx) / width) ** 2)


# ---------------------------------------------------------------- blur


def _shake_kernel(rng: np.random.Generator, length: float) -> np.ndarray:
    """A hand-shake trajectory: a random walk with inertia, not a straight line."""
    steps = max(int(length * 4), 8)
    angle = rng.uniform(0, 2 * np.pi)
    turn = rng.normal(0, 0.25, steps).cumsum() * rng.choice([0.3, 1.0])
    path = np.cumsum(np.stack([np.cos(angle + turn), np.sin(angle + turn)], 1), 0)
    path *= length / max(np.ptp(path, 0).max(), 1e-6)
    path -= path.mean(0)
    size = _odd(length + 3)
    kernel = np.zeros((size, size), np.float32)
    for x, y in path + size // 2:
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
            if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                kernel[y0 + dy, x0 + dx] += w
    return kernel / kernel.sum()


def motion_blur(image, rng, level):
    length = _uniform(rng, [(6, 9), (10, 15), (16, 26)], level)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 360)
        transform = A.MotionBlur(blur_limit=(_odd(length), _odd(length)), angle_range=(angle, angle),
                                 direction_range=(0.0, 0.0), allow_shifted=False, p=1.0, strict=True)
        return _albumentation(transform, image, rng), f"blur/motion length={_odd(length)} angle={angle:.0f}"
    kernel = _shake_kernel(rng, length)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT), f"blur/shake length={length:.1f}"


def defocus_blur(image, rng, level):
    radius = _uniform(rng, [(2.0, 3.0), (3.5, 5.0), (5.5, 8.0)], level)
    transform = A.Defocus(radius=(int(round(radius)), int(round(radius))), alias_blur=(0.1, 0.3), p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"blur/defocus radius={int(round(radius))}"


def gaussian_blur(image, rng, level):
    sigma = _uniform(rng, [(1.4, 2.0), (2.2, 3.2), (3.5, 6.0)], level)
    transform = A.GaussianBlur(sigma_limit=(sigma, sigma), blur_limit=0, p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"blur/gaussian sigma={sigma:.1f}"


# ---------------------------------------------------------------- noise


def gaussian_noise(image, rng, level):
    std = _uniform(rng, [(0.04, 0.06), (0.07, 0.10), (0.12, 0.18)], level)
    per_channel = bool(rng.random() < 0.5)
    transform = A.GaussNoise(std_range=(std, std), mean_range=(0.0, 0.0), per_channel=per_channel,
                             noise_scale_factor=1.0, p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"noise/gaussian std={std * 255:.0f}/255"


def sensor_noise(image, rng, level):
    """Poisson shot noise on photon counts plus Gaussian read noise, lightly correlated by demosaicing."""
    photons = _uniform(rng, [(120, 250), (40, 100), (10, 35)], level)
    read = _uniform(rng, [(0.006, 0.012), (0.012, 0.02), (0.02, 0.035)], level)
    linear = _linear(image)
    noisy = rng.poisson(linear * photons).astype(np.float32) / photons
    noisy += rng.normal(0, read, linear.shape).astype(np.float32)
    noise = cv2.GaussianBlur(noisy - linear, (0, 0), 0.6)
    return _srgb(linear + noise * 1.4), f"noise/sensor photons={photons:.0f} read={read:.3f}"


def chroma_noise(image, rng, level):
    """High-ISO phone noise: blotchy colour speckle plus fine luminance grain."""
    chroma = _uniform(rng, [(6, 10), (11, 16), (17, 26)], level)
    grain = _uniform(rng, [(3, 5), (5, 8), (8, 12)], level)
    ycrcb = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    blotches = rng.normal(0, 1, ycrcb.shape[:2] + (2,)).astype(np.float32)
    blotches = cv2.GaussianBlur(blotches, (0, 0), 1.2)
    blotches *= chroma / (blotches.std() + 1e-6)
    ycrcb[..., 1:] += blotches
    ycrcb[..., 0] += rng.normal(0, grain, ycrcb.shape[:2]).astype(np.float32)
    out = cv2.cvtColor(np.clip(ycrcb, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB)
    if rng.random() < 0.5:
        transform = A.ISONoise(color_shift=(0.02, 0.04), intensity=(0.2, 0.4), p=1.0, strict=True)
        out = _albumentation(transform, out, rng)
    return out, f"noise/chroma chroma={chroma:.0f} grain={grain:.0f}"


# ---------------------------------------------------------------- exposure


def under_exposure(image, rng, level):
    stops = _uniform(rng, [(1.6, 2.2), (2.4, 3.2), (3.4, 4.5)], level)
    black = _uniform(rng, [(0.0, 0.01), (0.005, 0.02), (0.01, 0.03)], level)
    linear = _linear(image) * 2.0 ** -stops
    out = np.clip((linear ** (1 / 2.2) - black) / (1 - black), 0, 1)  # crushed shadows
    return _to_uint8(out), f"exposure/under stops=-{stops:.1f}"


def over_exposure(image, rng, level):
    stops = _uniform(rng, [(1.2, 1.7), (1.8, 2.5), (2.6, 3.5)], level)
    return _srgb(_linear(image) * 2.0 ** stops), f"exposure/over stops=+{stops:.1f}"


def low_contrast(image, rng, level):
    """Flat, washed-out light: the range squeezed towards a lifted grey, as through haze or a bad tone curve."""
    contrast = _uniform(rng, [(0.40, 0.50), (0.28, 0.38), (0.15, 0.26)], level)
    pivot = rng.uniform(0.45, 0.65)
    out = pivot + (_to_float(image) - pivot) * contrast
    return _to_uint8(out), f"exposure/flat contrast={contrast:.2f}"


def backlight(image, rng, level):
    """A bright window behind: the face falls into shadow while the edges blow out."""
    stops = _uniform(rng, [(1.5, 2.0), (2.2, 2.8), (3.0, 4.0)], level)
    height, width = image.shape[:2]
    mask = np.clip((_radial(height, width, height * 0.45, width * 0.5) - 0.12) / 0.5, 0, 1)[..., None] ** 0.8
    linear = _linear(image)
    face = linear * 2.0 ** -stops
    background = linear * 2.0 ** (stops * 0.6) + 0.3
    return _srgb(face * (1 - mask) + background * mask), f"exposure/backlight stops=-{stops:.1f}"


# ---------------------------------------------------------------- compression


def jpeg_compression(image, rng, level):
    quality = int(round(_uniform(rng, [(14, 20), (8, 13), (2, 7)], level)))
    transform = A.ImageCompression(compression_type="jpeg", quality_range=(quality, quality), p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"compression/jpeg quality={quality}"


def forwarded_jpeg(image, rng, level):
    """A photo forwarded through messaging apps: shrunk and re-encoded again and again."""
    rounds = (2, 3, 4)[level]
    quality = int(round(_uniform(rng, [(22, 30), (15, 22), (8, 15)], level)))
    height, width = image.shape[:2]
    out = image
    for _ in range(rounds):
        scale = rng.uniform(0.7, 0.9)
        small = cv2.resize(out, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
        out = cv2.resize(_decode(_jpeg(small, quality)), (width, height), interpolation=cv2.INTER_LINEAR)
    return out, f"compression/forwarded rounds={rounds} quality={quality}"


def webp_compression(image, rng, level):
    quality = int(round(_uniform(rng, [(4, 7), (2, 4), (1, 2)], level)))
    transform = A.ImageCompression(compression_type="webp", quality_range=(quality, quality), p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"compression/webp quality={quality}"


# ---------------------------------------------------------------- low resolution

_UPSCALERS = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC}


def _downscale(image, rng, level, upscaler):
    scale = _uniform(rng, [(0.28, 0.35), (0.19, 0.27), (0.10, 0.18)], level)
    transform = A.Downscale(scale_range=(scale, scale),
                            interpolation_pair={"downscale": cv2.INTER_AREA, "upscale": _UPSCALERS[upscaler]},
                            p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"low_resolution/{upscaler} scale={scale:.2f}"


def pixelated(image, rng, level):
    return _downscale(image, rng, level, "nearest")


def upscaled_bilinear(image, rng, level):
    return _downscale(image, rng, level, "bilinear")


def upscaled_bicubic(image, rng, level):
    return _downscale(image, rng, level, "bicubic")


# ---------------------------------------------------------------- colour

_ILLUMINANTS = {  # linear RGB gains of a camera balanced for daylight under other light
    "tungsten": (1.0, 0.72, 0.42),
    "candle": (1.0, 0.6, 0.28),
    "shade": (0.62, 0.8, 1.0),
    "fluorescent": (0.78, 1.0, 0.72),
    "magenta": (1.0, 0.7, 0.95),
}


# How far from natural skin colour (`measures.SKIN_AB`) a cast must push the face at each level: 95 % of the good
# faces of the dataset's test split lie within 18.5 of it.
_CAST_DISTANCE = [(18, 22), (24, 30), (32, 42)]
_CAST_STRENGTHS = np.round(np.arange(0.4, 2.41, 0.1), 1)
_CAST_MIN_RISE = 6.0


def _cast_gains(sample: np.ndarray, brightness: float, illuminant: str, strength: float) -> np.ndarray:
    """Per-channel gains of the light, scaled so the photo keeps its ``brightness`` (99th percentile of luma)."""
    gains = np.maximum(1 + (np.array(_ILLUMINANTS[illuminant], np.float32) - 1) * strength, 0.1)
    return gains * brightness / max(np.percentile(_luma(sample * gains), 99), 1e-6)


def white_balance(image, rng, level):
    """The camera balanced for daylight under other light.

    The cast is made as strong as it takes to push the face's colour away from natural skin by the level's
    distance: the same gains that turn a pale face blue only neutralise a warm one, which is no defect.
    If no light gets there, the one that gets furthest is used.
    """
    target = _uniform(rng, _CAST_DISTANCE, level)
    linear = _linear(image)
    sample, middle = linear[::2, ::2], middle_of(linear)
    brightness, start = np.percentile(_luma(sample), 99), skin_distance(image)
    furthest = (-np.inf, None)
    lights = ((str(name), strength) for name in rng.permutation(list(_ILLUMINANTS)) for strength in _CAST_STRENGTHS)
    for light in lights:
        distance = distance_from_skin(mean_ab(_srgb(middle * _cast_gains(sample, brightness, *light))))
        if distance >= target and distance - start >= _CAST_MIN_RISE:
            break
        furthest = max(furthest, (distance, light), key=lambda pair: pair[0])
    else:
        light = furthest[1]
    illuminant, strength = light
    return _srgb(linear * _cast_gains(sample, brightness, illuminant, strength)), \
        f"color/white_balance {illuminant} strength={strength:.1f}"


def hue_shift(image, rng, level):
    shift = _uniform(rng, [(18, 28), (30, 60), (70, 180)], level) * rng.choice([-1, 1])
    transform = A.HueSaturationValue(hue_shift_limit=(shift, shift), sat_shift_limit=(0, 0), val_shift_limit=(0, 0),
                                     p=1.0, strict=True)
    return _albumentation(transform, image, rng), f"color/hue shift={shift:.0f}"


def saturation(image, rng, level):
    boosted = rng.random() < 0.5
    ranges = [(2.0, 2.4), (2.6, 3.2), (3.5, 5.0)] if boosted else [(0.18, 0.28), (0.08, 0.17), (0.0, 0.07)]
    factor = _uniform(rng, ranges, level)
    rgb = _to_float(image)
    grey = _luma(rgb)[..., None]
    return _to_uint8(grey + (rgb - grey) * factor), f"color/saturation factor={factor:.2f}"


# ---------------------------------------------------------------- transmission


def truncated(image, rng, level):
    """The file stopped arriving: the decoder paints what is missing grey."""
    lost = _uniform(rng, [(0.12, 0.25), (0.28, 0.45), (0.5, 0.75)], level)
    data = _jpeg(image, int(rng.integers(85, 96)))
    header = data.find(b"\xff\xda") + 64
    cut = int(header + (len(data) - header) * (1 - lost))
    out = _decode(data[:cut] + b"\xff\xd9")
    if np.abs(out.astype(np.int16) - image).mean() < 2:  # decoders differ in what they paint
        out = out.copy()
        out[int(out.shape[0] * (1 - lost)):] = 128
    return out, f"transmission/truncated lost={lost:.2f}"


def bit_errors(image, rng, level):
    """Corrupted bytes in the JPEG stream: shifted, miscoloured stripes from the error onwards."""
    flips = (2, 5, 10)[level]
    data = bytearray(_jpeg(image, int(rng.integers(80, 96))))
    start = data.find(b"\xff\xda") + 32
    for _ in range(20):
        corrupt = data.copy()
        for position in rng.integers(start, len(data) - 2, flips):
            corrupt[position] = int(rng.integers(0, 255))
            if corrupt[position] == 0xFF:
                corrupt[position] = 0xFE
        try:
            out = _decode(bytes(corrupt))
        except Exception:  # a decoder may refuse a stream; try other bytes
            continue
        if out.shape == image.shape and np.abs(out.astype(np.int16) - image).mean() > 6:
            return out, f"transmission/bit_errors bytes={flips}"
    return lost_rows(image, rng, level)


def lost_rows(image, rng, level):
    """Lost and repeated scan lines: bands smeared from the last good row, or black."""
    bands = (2, 4, 7)[level]
    out = image.copy()
    height = image.shape[0]
    parts = []
    for _ in range(bands):
        top = int(rng.integers(0, height - 4))
        size = int(rng.integers(3, (8, 16, 28)[level]))
        mode = rng.choice(["repeat", "black", "shift"])
        rows = slice(top, min(top + size, height))
        if mode == "repeat":
            out[rows] = out[max(top - 1, 0)]
        elif mode == "black":
            out[rows] = 0
        else:
            out[rows] = np.roll(out[rows], int(rng.integers(8, 60)), axis=1)
        parts.append(str(mode))
    return out, f"transmission/rows {','.join(parts)}"


def broken_blocks(image, rng, level):
    """Macroblocks lost in transfer: grey, garbage, or copied from the wrong place, as in broken video."""
    count = (6, 16, 40)[level]
    out = image.copy()
    height, width = image.shape[:2]
    block = int(rng.choice([8, 16]))
    for _ in range(count):
        y = int(rng.integers(0, height // block)) * block
        x = int(rng.integers(0, width // block)) * block
        run = int(rng.integers(1, 5))
        target = out[y:y + block, x:x + block * run]
        mode = rng.integers(3)
        if mode == 0:
            target[:] = rng.integers(0, 256, 3)
        elif mode == 1:
            target[:] = rng.integers(0, 256, target.shape)
        else:
            sy, sx = int(rng.integers(0, height - block)), int(rng.integers(0, width - target.shape[1]))
            target[:] = image[sy:sy + block, sx:sx + target.shape[1]]
    return out, f"transmission/blocks size={block} count={count}"


def streaks(image, rng, level):
    """Coloured lines across the frame, as from a bad cable or a failing sensor readout."""
    count = (3, 6, 12)[level]
    out = image.copy()
    height, width = image.shape[:2]
    for _ in range(count):
        thickness = int(rng.integers(1, 4))
        colour = rng.integers(0, 256, 3)
        if rng.random() < 0.7:
            y = int(rng.integers(0, height - thickness))
            out[y:y + thickness] = colour
        else:
            x = int(rng.integers(0, width - thickness))
            out[:, x:x + thickness] = colour
    return out, f"transmission/streaks count={count}"


# ---------------------------------------------------------------- other


def haze(image, rng, level):
    transmission = _uniform(rng, [(0.55, 0.68), (0.4, 0.52), (0.22, 0.36)], level)
    airlight = rng.uniform(0.75, 0.95) * np.array([1.0, 1.0, rng.uniform(0.95, 1.05)], np.float32)
    out = _to_float(image) * transmission + airlight * (1 - transmission)
    return _to_uint8(out), f"other/haze transmission={transmission:.2f}"


def lens_flare(image, rng, level):
    """A light source just outside the frame: a veiling glow with a hot spot and a ghost."""
    strength = _uniform(rng, [(0.5, 0.7), (0.8, 1.1), (1.3, 1.8)], level)
    height, width = image.shape[:2]
    cy, cx = rng.uniform(-0.1, 0.5) * height, rng.choice([rng.uniform(-0.1, 0.3), rng.uniform(0.7, 1.1)]) * width
    distance = _radial(height, width, cy, cx)
    glow = strength * np.exp(-distance / 0.25)[..., None] * np.array([1.0, 0.92, 0.78], np.float32)
    gy, gx = height - cy, width - cx  # the ghost sits opposite the source, through the centre
    ghost = 0.35 * strength * np.exp(-(_radial(height, width, gy, gx) / 0.08) ** 2)[..., None]
    linear = _linear(image) * (1 - 0.3 * np.clip(glow, 0, 1)) + glow + ghost * np.array([0.6, 0.9, 1.0], np.float32)
    return _srgb(linear), f"other/flare strength={strength:.2f}"


def vignetting(image, rng, level):
    falloff = _uniform(rng, [(0.7, 0.8), (0.82, 0.9), (0.92, 0.98)], level)
    height, width = image.shape[:2]
    radius = _radial(height, width, height / 2, width / 2) / 0.5  # 1 at the middle of each edge
    gain = 1 - falloff * np.clip(radius - 0.15, 0, 1) ** 1.5
    return _srgb(_linear(image) * gain[..., None]), f"other/vignetting falloff={falloff:.2f}"


def lens_dirt(image, rng, level):
    """Rain drops, mud or grease on the lens."""
    mode = str(rng.choice(["rain", "mud"]))
    cutout = _uniform(rng, [(0.72, 0.78), (0.66, 0.71), (0.6, 0.65)], level)  # lower: more of the lens covered
    transform = A.Spatter(mode=mode, mean=(0.65, 0.65), std=(0.3, 0.3), gauss_sigma=(2.0, 2.0),
                          cutout_threshold=(cutout, cutout), intensity=(0.6, 0.6), p=1.0, strict=True)
    out = _albumentation(transform, image, rng)
    if mode == "rain" or rng.random() < 0.5:  # water and grease also smear the light around them
        out = cv2.addWeighted(out, 0.6, cv2.GaussianBlur(out, (0, 0), 2.5), 0.4, 0)
    return out, f"other/dirt {mode} coverage={cutout:.2f}"


# ---------------------------------------------------------------- the registry


def _variants(**recipes: Recipe) -> tuple[Variant, ...]:
    return tuple(Variant(name, recipe) for name, recipe in recipes.items())


DEGRADATIONS: dict[str, Degradation] = {
    degradation.name: degradation
    for degradation in [
        Degradation("blur", 1, _variants(motion=motion_blur, defocus=defocus_blur, gaussian=gaussian_blur)),
        Degradation("other", 0, _variants(haze=haze, flare=lens_flare, vignetting=vignetting, dirt=lens_dirt)),
        Degradation("exposure", 2, _variants(under=under_exposure, over=over_exposure, flat=low_contrast,
                                             backlight=backlight)),
        Degradation("noise", 3, _variants(gaussian=gaussian_noise, sensor=sensor_noise, chroma=chroma_noise)),
        Degradation("color", 4, _variants(white_balance=white_balance, hue=hue_shift, saturation=saturation)),
        Degradation("low_resolution", 5, _variants(nearest=pixelated, bilinear=upscaled_bilinear,
                                                   bicubic=upscaled_bicubic)),
        Degradation("compression", 6, _variants(jpeg=jpeg_compression, forwarded=forwarded_jpeg,
                                                webp=webp_compression)),
        Degradation("transmission", 7, _variants(truncated=truncated, bit_errors=bit_errors, rows=lost_rows,
                                                 blocks=broken_blocks, streaks=streaks)),
    ]
}
assert set(DEGRADATIONS) == set(DEFECT_NAMES)

# Pairs that meet in real life, most common first: a dark room makes the sensor noisy, a small
# photo gets compressed, a shaky hand goes with dim light.
COMBINATIONS: tuple[tuple[tuple[str, str], float], ...] = (
    (("exposure", "noise"), 0.40),
    (("blur", "noise"), 0.12),
    (("low_resolution", "compression"), 0.12),
    (("blur", "exposure"), 0.10),
    (("exposure", "color"), 0.08),
    (("noise", "compression"), 0.08),
    (("other", "exposure"), 0.05),
    (("blur", "compression"), 0.05),
)


def apply_defect(image: RGB, name: str, level: int, rng: np.random.Generator, variant: str | None = None):
    """Apply one defect at ``level`` (0 mild … 2 severe); the variant is drawn unless named."""
    degradation = DEGRADATIONS[name]
    chosen = (degradation.variant(variant) if variant
              else degradation.variants[int(rng.integers(len(degradation.variants)))])
    out, recipe = chosen.apply(np.ascontiguousarray(image), rng, level)
    return np.ascontiguousarray(out, dtype=np.uint8), recipe


def degrade(image: RGB, names, level: int, rng: np.random.Generator):
    """Apply several defects in the order they happen between the scene and the screen."""
    recipes = []
    for name in sorted(names, key=lambda n: DEGRADATIONS[n].stage):
        image, recipe = apply_defect(image, name, level, rng)
        recipes.append(recipe)
    return image, " + ".join(recipes)


# ---------------------------------------------------------------- benign processing


def benign(image: RGB, rng: np.random.Generator):
    """What happens to every good photo on its way: small tweaks that must never make it "bad"."""
    out, steps = image, []
    if rng.random() < 0.5:
        out, steps = np.ascontiguousarray(out[:, ::-1]), ["flip"]
    if rng.random() < 0.5:
        brightness, contrast = rng.uniform(-0.08, 0.08), rng.uniform(-0.1, 0.1)
        transform = A.RandomBrightnessContrast(brightness_limit=(brightness, brightness),
                                               contrast_limit=(contrast, contrast), p=1.0, strict=True)
        out = _albumentation(transform, out, rng)
        steps.append(f"brightness={brightness:+.2f} contrast={contrast:+.2f}")
    if rng.random() < 0.25:
        gamma = rng.uniform(0.9, 1.1)
        out = _to_uint8(_to_float(out) ** gamma)
        steps.append(f"gamma={gamma:.2f}")
    if rng.random() < 0.25:
        gains = rng.uniform(0.95, 1.05, 3).astype(np.float32)
        out = _to_uint8(_to_float(out) * gains)
        steps.append("white_balance=" + ",".join(f"{g:.2f}" for g in gains))
    if rng.random() < 0.3:
        scale = rng.uniform(0.85, 0.97)
        height, width = out.shape[:2]
        small = cv2.resize(out, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        steps.append(f"resize={scale:.2f}")
    if rng.random() < 0.2:
        amount = rng.uniform(0.2, 0.5)
        out = cv2.addWeighted(out, 1 + amount, cv2.GaussianBlur(out, (0, 0), 1.0), -amount, 0)
        steps.append(f"sharpen={amount:.2f}")
    if rng.random() < 0.15:
        std = rng.uniform(1.0, 2.5)
        out = _to_uint8(_to_float(out) + rng.normal(0, std / 255, out.shape).astype(np.float32))
        steps.append(f"grain={std:.1f}/255")
    if rng.random() < 0.5:
        quality = int(rng.integers(70, 96))
        out = _decode(_jpeg(out, quality))
        steps.append(f"jpeg={quality}")
    return np.ascontiguousarray(out, dtype=np.uint8), "benign " + (" ".join(steps) if steps else "none")


# ---------------------------------------------------------------- what real good portraits look like
# UTKFace's good faces are soft web crops; a phone or studio portrait is crisper, often has a soft, plain, bright or
# busy background, back light, or glasses. These variants make such photos good examples too, so that none of it is
# taken for a defect: crisp for processed, a soft background for a blurred face, window blinds or a patterned wall
# for transmission errors, bokeh and back light for flare or haze, glasses frames for damage. ``mesh`` gives Face
# Mesh's points on the photo (`faces.find_face`); the face itself is left as it was, but for the frames of glasses.


def _feathered(subject: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(subject.astype(np.float32), (0, 0), 2.0)[..., np.newaxis]


def _on_background(image: RGB, subject: np.ndarray, background: np.ndarray) -> RGB:
    """``background`` wherever ``subject`` (`faces.subject_mask`) is 0, with a feathered edge."""
    keep = _feathered(subject)
    return _round(keep * image + (1 - keep) * background)


def portrait_mode(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """The background blurred as a phone's portrait mode does; the face stays as sharp as it was."""
    sigma = rng.uniform(3.0, 8.0)
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return _on_background(image, subject_mask(image.shape, mesh), blurred), f"portrait_mode sigma={sigma:.1f}"


def studio_backdrop(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """A plain studio backdrop, dark, light or grey, lit a little brighter behind the head than at the edges."""
    tone = rng.choice(["dark", "light", "grey"])
    level = {"dark": rng.uniform(10, 45), "light": rng.uniform(205, 245), "grey": rng.uniform(110, 170)}[tone]
    tint = rng.uniform(0.95, 1.05, 3)
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    falloff = 1 - 0.15 * np.hypot((xs - width / 2) / width, (ys - height / 3) / height)
    backdrop = np.clip(level * tint * falloff[..., np.newaxis], 0, 255)
    return _on_background(image, subject_mask(image.shape, mesh), backdrop), f"studio_backdrop {tone}={level:.0f}"


def crisp(image: RGB, mesh: np.ndarray | None, rng: np.random.Generator):
    """A modern camera's sharpening: stronger than the benign touch-up, the crisp look of a phone portrait."""
    sigma, amount = rng.uniform(0.8, 1.5), rng.uniform(0.6, 1.2)
    blurred = cv2.GaussianBlur(image, (0, 0), sigma)
    return cv2.addWeighted(image, 1 + amount, blurred, -amount, 0), f"crisp sigma={sigma:.1f} amount={amount:.2f}"


def bright_background(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """High key: a white studio wall or a bright window behind the person, partly blown out, the face as it was."""
    height, width = image.shape[:2]
    level = rng.uniform(225, 255)
    backdrop = np.full((height, width, 3), level, np.float32) * rng.uniform(0.97, 1.0, 3)
    if rng.random() < 0.5:  # a window: its frame's bars darker, the panes blown out
        bars = rng.uniform(60, 160)
        step = int(rng.integers(width // 3, width))
        for x in range(int(rng.integers(0, step)), width, step):
            backdrop[:, x:x + max(2, width // 40)] = bars
        backdrop = cv2.GaussianBlur(backdrop, (0, 0), rng.uniform(1.0, 3.0))
        recipe = f"bright_background window={level:.0f}"
    else:
        recipe = f"bright_background wall={level:.0f}"
    return _on_background(image, subject_mask(image.shape, mesh), backdrop), recipe


def bokeh(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """A blurred background with the bright discs a wide-open lens makes of lights behind the person."""
    height, width = image.shape[:2]
    background = cv2.GaussianBlur(image, (0, 0), rng.uniform(4.0, 9.0)).astype(np.float32)
    lights = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(6, 25))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(lights, centre, int(rng.integers(3, max(4, width // 14))), float(rng.uniform(0.3, 0.9)), -1,
                   cv2.LINE_AA)
    lights = cv2.GaussianBlur(lights, (0, 0), 1.0)[..., np.newaxis]
    colour = rng.choice([(255, 240, 200), (255, 255, 255), (255, 210, 150), (200, 220, 255)])
    background = background * (1 - lights) + np.array(colour, np.float32) * lights
    return _on_background(image, subject_mask(image.shape, mesh), background), "bokeh"


def patterned_background(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """Window blinds, a striped or tiled wall behind the person: regular lines that are not transmission damage."""
    height, width = image.shape[:2]
    period = int(rng.integers(5, 24))
    if period % 8 == 0:  # an 8-pixel grid would look like JPEG blocks, which is another defect
        period += 1
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    kind = rng.choice(["blinds", "stripes", "tiles"])
    if kind == "blinds":
        wave = ((ys % period) < period * rng.uniform(0.5, 0.8)).astype(np.float32)
    elif kind == "stripes":
        angle = rng.uniform(0, np.pi)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * (xs * np.cos(angle) + ys * np.sin(angle)) / period)
    else:
        wave = (((ys % period) < 2) | ((xs % period) < 2)).astype(np.float32)
    dark, light = np.sort(rng.uniform(30, 240, (2, 3)), axis=0).astype(np.float32)
    pattern = dark + (light - dark) * cv2.GaussianBlur(wave, (0, 0), 0.7)[..., np.newaxis]
    if rng.random() < 0.5:  # lit through the blinds, the room behind shows through
        pattern = 0.6 * pattern + 0.4 * image
    recipe = f"patterned_background {kind} period={period}"
    return _on_background(image, subject_mask(image.shape, mesh), pattern), recipe


def back_light(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """The sun or a lamp behind the person: a bright, partly clipped background and a glow around the head and
    shoulders, with the face itself exposed well (as a camera exposing for the face, or a fill flash, gives)."""
    subject = subject_mask(image.shape, mesh)
    gain = rng.uniform(1.4, 2.4)
    background = np.clip(image.astype(np.float32) * gain + rng.uniform(20, 60), 0, 255)
    person = subject.astype(np.float32)
    outline = cv2.GaussianBlur(person, (0, 0), image.shape[1] / 30) - person  # just outside the person
    glow = np.clip(outline * 3, 0, 1)[..., np.newaxis] * rng.uniform(60, 140)
    return _on_background(image, subject, np.clip(background + glow, 0, 255)), f"back_light gain={gain:.1f}"


_THICK_FRAMES = np.array([(20, 20, 20), (45, 30, 20), (75, 48, 30), (30, 30, 42), (110, 70, 40)], np.float32)
_THIN_FRAMES = np.array([(175, 175, 180), (190, 160, 95), (100, 100, 108), (60, 60, 60)], np.float32)


def glasses(image: RGB, mesh: np.ndarray, rng: np.random.Generator):
    """Glasses drawn on the face at Face Mesh's eyes: thin metal or thick frames, the bridge and the temples, and
    sometimes a faint reflection on the lenses."""
    out = image.copy()
    right, left = (mesh[list(MESH_KEYPOINTS[eye]), :2].mean(axis=0) for eye in ("right_eye", "left_eye"))
    distance = float(np.linalg.norm(left - right))
    angle = float(np.degrees(np.arctan2(*(left - right)[::-1])))
    axes = (round(distance * rng.uniform(0.38, 0.5)), round(distance * rng.uniform(0.26, 0.36)))
    thick = rng.random() < 0.5
    width = max(1, round(distance * (rng.uniform(0.035, 0.06) if thick else rng.uniform(0.012, 0.025))))
    palette = _THICK_FRAMES if thick else _THIN_FRAMES
    colour = tuple(float(c) for c in np.clip(palette[int(rng.integers(len(palette)))] + rng.normal(0, 6, 3), 0, 255))
    if rng.random() < 0.35:  # a faint reflection across each lens
        shine = np.zeros(image.shape[:2], np.float32)
        for centre in (right, left):
            cv2.ellipse(shine, tuple(np.round(centre).astype(int)), axes, angle, 0, 360, 1.0, -1, cv2.LINE_AA)
        ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]]
        band = (np.sin((xs + ys) / max(distance * 0.25, 1.0)) > 0.6).astype(np.float32)
        alpha = cv2.GaussianBlur(shine * band, (0, 0), 1.5)[..., np.newaxis] * rng.uniform(0.15, 0.35)
        out = _round(out * (1 - alpha) + 255 * alpha)
    for centre, outward in ((right, right - left), (left, left - right)):
        point = tuple(np.round(centre).astype(int))
        cv2.ellipse(out, point, axes, angle, 0, 360, colour, width, cv2.LINE_AA)
        edge = centre + outward / distance * axes[0]
        cv2.line(out, tuple(np.round(edge).astype(int)), tuple(np.round(edge + outward * 0.3).astype(int)), colour,
                 width, cv2.LINE_AA)
    inner_right = right + (left - right) / distance * axes[0]
    inner_left = left + (right - left) / distance * axes[0]
    cv2.line(out, tuple(np.round(inner_right).astype(int)), tuple(np.round(inner_left).astype(int)), colour, width,
             cv2.LINE_AA)
    return out, f"glasses {'thick' if thick else 'thin'} width={width}"


CAMERA_VARIANTS: dict[str, Callable] = {
    "portrait_mode": portrait_mode, "studio_backdrop": studio_backdrop, "crisp": crisp,
    "bright_background": bright_background, "bokeh": bokeh, "patterned_background": patterned_background,
    "back_light": back_light, "glasses": glasses}
NEEDS_NO_FACE = ("crisp",)  # the only variant that does not need Face Mesh's points
CAMERA_SHARE = 0.5  # of good rows, shared equally by the variants that apply


def camera_variant(image: RGB, find_mesh: Callable[[], np.ndarray | None], rng: np.random.Generator):
    """One camera variant for a share of good photos, or the photo as it is. ``find_mesh`` gives Face Mesh's points,
    asked for only when a variant is drawn (it runs Face Mesh); without them only `crisp` applies."""
    if rng.random() >= CAMERA_SHARE:
        return image, None
    mesh = find_mesh()
    names = [name for name in CAMERA_VARIANTS if mesh is not None or name in NEEDS_NO_FACE]
    out, recipe = CAMERA_VARIANTS[names[int(rng.integers(len(names)))]](image, mesh, rng)
    return np.ascontiguousarray(out, dtype=np.uint8), "camera " + recipe


def _round(image: np.ndarray) -> RGB:
    return np.clip(np.round(image), 0, 255).astype(np.uint8)
