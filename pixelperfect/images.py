"""Any upload → an upright RGB ``uint8`` array, or one clear `ImageError` a person can act on.

Limits are checked before the full image is decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pi_heif
from PIL import Image, ImageOps, UnidentifiedImageError

# iPhones store photos as HEIC: pi-heif, libheif's decoder for Pillow without its encoders. Pillow reads AVIF itself,
# and its plugins must come first: pi-heif also claims AVIF's "mif1" brand, which it cannot decode.
Image.init()
pi_heif.register_heif_opener()

MAX_UPLOAD_MB = 25
MAX_MEGAPIXELS = 50  # phones' full-resolution modes: an iPhone's 48 MP (8064 × 6048), 50 MP Android cameras
MIN_SIDE = 32
WORKING_SIDE = 2048  # larger photos are shrunk on decoding: enough for any face, and bounded memory
# A JPEG is decoded by libjpeg at the largest reduction (1/2, 1/4, 1/8) that keeps its long side at least this long:
# a 12 MP phone photo decodes at 2000 × 1333 instead of in full and then shrunk, about 8 times faster, and a face a
# tenth of its width still has 200 pixels.
DRAFT_SIDE = 1600


# How image files begin: a file that starts like one but cannot be opened is damaged, not "not an image". WebP's mark
# is at bytes 8-12, HEIC's and AVIF's ("ftyp" and a brand) at 4-12.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_ISO_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1", b"avif",
               b"avis")
FORMATS = "JPEG, PNG, HEIC, WebP, AVIF, BMP, TIFF, GIF"


class ImageError(ValueError):
    """A problem with the input that the person who sent it can fix; ``str(error)`` says how."""


def load_image(source) -> np.ndarray:
    """Read a path, bytes, PIL image or array into an upright RGB ``uint8`` array."""
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, Image.Image):
        return _to_rgb(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"File not found: {path.name}")
        if path.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024:
            raise ImageError(f"The file is {path.stat().st_size / 2**20:.0f} MB; the limit is {MAX_UPLOAD_MB} MB.")
        source = path.read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(source))
    raise ImageError(f"Cannot read an image from a {type(source).__name__}.")


def _from_bytes(data: bytes) -> np.ndarray:
    if not data:
        raise ImageError("The file is empty. Upload the photo again.")
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise ImageError(f"The file is {len(data) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_MB} MB.")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, EOFError, RuntimeError, ValueError, SyntaxError):  # libavif's too
        if data.startswith(_SIGNATURES) or data[8:12] == b"WEBP" or (data[4:8] == b"ftyp" and
                                                                      data[8:12] in _ISO_BRANDS):
            raise ImageError("The image is truncated or damaged: only part of it can be read. "
                             "Upload it again.") from None
        raise ImageError(f"This file is not an image, or not in a format PixelPerfect can read ({FORMATS}). "
                         "Upload a photo.") from None
    except Image.DecompressionBombError as error:  # PIL refuses far-too-large images before we see their size
        claimed = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{int(claimed.group(1)) / 1e6:.0f} megapixels" if claimed else "too large"
        raise ImageError(f"The image is {size}; the limit is {MAX_MEGAPIXELS}. Upload a smaller photo.") from None
    with image:
        megapixels = image.width * image.height / 1e6
        if megapixels > MAX_MEGAPIXELS:
            raise ImageError(f"The image is {megapixels:.0f} megapixels; the limit is {MAX_MEGAPIXELS}. "
                             "Upload a smaller photo.")
        if image.format in ("JPEG", "MPO"):  # let libjpeg decode at a reduced size: faster and bounded in memory
            # draft() keeps both sides at least as large as asked, so ask in the photo's own proportions (and never
            # for less than MIN_SIDE: a photo too small to read is told so with its own size, not its draft's).
            full_width, longest = image.width, max(image.size)
            image.draft("RGB", tuple(max(MIN_SIDE, -(-side * DRAFT_SIDE // longest)) for side in image.size))
            if (array := _decoded_by_opencv(data, image, full_width)) is not None:
                upright = _upright(array, image)
                _check_size(upright.shape[1], upright.shape[0])
                return _within_working_side(upright)
        try:
            if image.format == "HEIF" and (array := _decoded_heif(data)) is not None:
                return array
            if image.format != "HEIF":  # a HEIF opens on its primary image, which need not be its first
                image.seek(0)  # the first frame of an animation
            image.load()
        except ImageError:  # already says what is wrong (a HEIC too small to read)
            raise
        # libheif's and libavif's errors too, and a damaged header's field of the wrong type (TIFF)
        except (OSError, SyntaxError, ValueError, EOFError, RuntimeError, TypeError, IndexError) as error:
            if "truncated" in str(error).lower() or "broken" in str(error).lower():
                raise ImageError("The image is truncated: only part of the file arrived. Upload it again.") from None
            raise ImageError("The image file is damaged and cannot be decoded. Upload it again or take a new "
                             "photo.") from None
        return _to_rgb(image, owned=True)


def _decoded_heif(data: bytes) -> np.ndarray | None:
    """An RGB HEIC's primary image as libheif decodes it (turned upright by libheif), reduced as `_to_rgb`
    reduces a large photo, read from libheif's buffer: pi-heif's Pillow plugin copies that buffer whole first, which
    for a 12 MP photo held 76 instead of 62 MB at the peak and for a 48 MP one 324 instead of 226 MB (libheif's own
    decoded frame is the rest; a 10-bit photo is brought to 8 bits by libheif, as on Pillow's path). None for
    anything else (transparency, grey: rare in photos), which Pillow's path reads."""
    heif = pi_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    primary = heif[heif.primary_index]
    if primary.mode != "RGB":
        return None
    _check_size(*primary.size)
    # A view of memory that `primary` owns: what is returned must be made from it while `primary` lives.
    decoded = np.asarray(primary)
    if (factor := _box_reduction(primary.size)) >= 2:
        return _within_working_side(cv2.resize(decoded, None, fx=1 / factor, fy=1 / factor,
                                               interpolation=cv2.INTER_AREA))  # a box average, as Image.reduce
    within = _within_working_side(decoded)
    return within.copy() if within is decoded else within


# OpenCV's reduced decodings, by the reduction draft() chose: the same libjpeg, the same pixels, but straight into an
# array, where Pillow's array copy alone costs more than its decoding (18 of 25 ms for a 4 MP photo).
_OPENCV_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                   8: cv2.IMREAD_REDUCED_COLOR_8}
# Image.Transpose methods as array operations, by EXIF orientation (what `ImageOps.exif_transpose` applies).
_UPRIGHT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
            7: lambda a: np.rot90(a, 2).transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}


def _decoded_by_opencv(data: bytes, image: Image.Image, full_width: int) -> np.ndarray | None:
    """An RGB or grey JPEG whose data ends where a JPEG ends, decoded at ``image``'s draft size; None for anything
    else, which Pillow decodes: a file cut short (Pillow says it is truncated; OpenCV would fill it with grey), and
    the rare draft still twice `DRAFT_SIDE` long, which `_to_rgb` box-reduces before it becomes an array."""
    reduction = round(full_width / image.width)
    if (image.mode not in ("RGB", "L") or reduction not in _OPENCV_REDUCED or not data.endswith(b"\xff\xd9")
            or _box_reduction(image.size) >= 2):
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), _OPENCV_REDUCED[reduction] | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None or bgr.shape[1::-1] != image.size:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _upright(array: np.ndarray, image: Image.Image) -> np.ndarray:
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block is no reason to refuse the photo
        orientation = 1
    return np.ascontiguousarray(_UPRIGHT[orientation](array)) if orientation in _UPRIGHT else array


def _check_size(width: int, height: int) -> None:
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"The image is only {width}×{height} pixels; at least {MIN_SIDE} pixels on each side are "
                         "needed.")


def _to_rgb(image: Image.Image, owned: bool = False) -> np.ndarray:
    """``owned``: made here, not the caller's, so it is turned upright in place: `ImageOps.exif_transpose` otherwise
    copies even a photo that needs no turning (6 ms for a 4 MP photo)."""
    try:  # photos from phones are often stored sideways
        if owned:
            ImageOps.exif_transpose(image, in_place=True)
        else:
            image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block is no reason to refuse the photo
        pass
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        image = Image.fromarray((array / max(array.max(), 1) * 255).astype(np.uint8))
    elif image.mode == "F":
        array = np.nan_to_num(np.asarray(image, dtype=np.float64))
        span = array.max() - array.min()
        image = Image.fromarray(((array - array.min()) / (span or 1) * 255).astype(np.uint8))
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if image.mode not in ("RGB", "L", "RGBA"):
        image = image.convert("RGBA" if transparent else "RGB")
    _check_size(*image.size)
    if (factor := _box_reduction(image.size)) >= 2:
        image = image.reduce(factor)
    if transparent:
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))  # transparent areas show as white
        image = Image.alpha_composite(background, image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return _within_working_side(np.asarray(image))


def _box_reduction(size: tuple[int, int]) -> int:
    """The whole-number box reduction a decoded photo of ``size`` gets (1: none): keeping its long side at least
    DRAFT_SIDE, as libjpeg's draft does for a JPEG, so that a large photo's full-size copy goes first and the rest
    works on the reduced one (a 4000 px photo: 2000 px)."""
    return max(size) // DRAFT_SIDE if max(size) > WORKING_SIDE else 1


def _within_working_side(array: np.ndarray) -> np.ndarray:
    """The photo no longer than ``WORKING_SIDE`` on either side: area averaging, which gives LANCZOS's pixels within
    a quarter of a grey level on average at a quarter of its time (a 2500 px photo: 28 instead of 116 ms)."""
    if max(array.shape[:2]) <= WORKING_SIDE:
        return array
    scale = WORKING_SIDE / max(array.shape[:2])
    size = (max(1, round(array.shape[1] * scale)), max(1, round(array.shape[0] * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def whole_factor(shape: tuple[int, ...], size: tuple[int, int]) -> int:
    """The largest whole factor by which an image of ``shape`` (rows, columns) shrinks without falling below ``size``
    (width, height)."""
    return min(shape[1] // size[0], shape[0] // size[1])


def area_shrunk(image: np.ndarray, size: tuple[int, int], headroom: int = 1) -> np.ndarray:
    """``image`` area-averaged down to ``size`` (width, height): first by the largest whole factor that keeps it at
    least ``headroom`` times ``size``, which OpenCV averages on its fast path (a 1,100 px square to an eighth: 0.8
    instead of 3.4 ms), then the rest; edges land within a third of an output pixel of where one step puts them."""
    factor = whole_factor(image.shape, (headroom * size[0], headroom * size[1]))
    if factor >= 2:
        image = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    if image.shape[1::-1] == tuple(size):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if image.shape[1] >= size[0] else cv2.INTER_LINEAR)


def grey_region(photo: np.ndarray, box: tuple[int, int, int, int], shrink: float, smallest: int = 1):
    """The ``box`` (x0, y0, x1, y1) of an RGB ``photo`` in grey levels, `area_shrunk` by ``shrink`` when below 1 (each
    side at least ``smallest`` pixels), and the function that takes photo points to its pixels: pixel centres to
    pixel centres, on each axis by the scale the rounded size really has, as the resize itself places them."""
    x0, y0, x1, y1 = box
    grey = cv2.cvtColor(np.ascontiguousarray(photo[y0:y1, x0:x1, :3]), cv2.COLOR_RGB2GRAY)
    used = np.array([x1 - x0, y1 - y0])  # the pixels the shrunk region covers
    if shrink < 1:
        size = (max(smallest, round((x1 - x0) * shrink)), max(smallest, round((y1 - y0) * shrink)))
        if (factor := whole_factor(grey.shape, size)) >= 2:
            # `area_shrunk`'s first step averages whole blocks of ``factor`` pixels, as many as OpenCV rounds the
            # size to (a last, partial block is averaged over what there is), so its pixels stand for this many
            used = np.array([round(used[0] / factor), round(used[1] / factor)]) * factor
        grey = area_shrunk(grey, size)
    scale = np.array([grey.shape[1], grey.shape[0]]) / used

    def to_region(points: np.ndarray) -> np.ndarray:
        return (np.asarray(points)[..., :2] - (x0, y0) + 0.5) * scale - 0.5

    return grey, to_region


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"An image array must be H×W, H×W×3 or H×W×4, not {array.shape}.")
    if array.dtype != np.uint8:
        array = np.nan_to_num(array.astype(np.float64))
        scale = 255.0 if array.max() <= 1.0 else 255.0 / max(array.max(), 1)
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    return _to_rgb(Image.fromarray(array), owned=True)
