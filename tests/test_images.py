"""Any upload becomes an upright RGB array, or an ImageError that tells the person what to do."""

import io
import zlib

import cv2
import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageOps

from pixelperfect.images import MAX_MEGAPIXELS, ImageError, area_shrunk, load_image


def encode(image: Image.Image, format_: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def face(grace_hopper):
    return Image.fromarray(grace_hopper)


@pytest.mark.parametrize("mode,format_", [("L", "PNG"), ("RGBA", "PNG"), ("P", "PNG"), ("CMYK", "JPEG"),
                                          ("RGB", "WEBP"), ("RGB", "BMP"), ("RGB", "TIFF"), ("I;16", "PNG"),
                                          ("LA", "PNG"), ("1", "PNG")])
def test_unusual_modes_and_formats_become_rgb(face, mode, format_):
    image = face.convert("L").convert("I;16") if mode == "I;16" else face.convert(mode)
    array = load_image(encode(image, format_))
    assert array.dtype == np.uint8 and array.shape == (face.height, face.width, 3)


def heic(image: Image.Image, exif: Image.Exif | None = None) -> bytes:
    """``image`` as an iPhone stores it (HEIC), encoded by pillow-heif (a developer requirement: the app only
    decodes, with pi-heif)."""
    encoded = pillow_heif.from_pillow(image)
    if exif is not None:
        encoded.info["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    encoded.save(buffer, quality=90)
    return buffer.getvalue()


def test_an_iphone_heic_photo_and_an_avif_are_read(face):
    for data in (heic(face), encode(face, "AVIF", quality=90)):
        array = load_image(data)
        assert array.shape == (face.height, face.width, 3)
        assert np.abs(array.astype(int) - np.asarray(face)).mean() < 3  # the photo, not just its size


def test_a_heic_photo_keeps_its_pixels_when_more_photos_are_read(face):
    """libheif's decoded frame is freed with its image; the photo returned must not be a view of it (the next photos
    decoded would write over it)."""
    first = load_image(heic(face))
    kept = first.copy()
    for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0)):
        load_image(heic(Image.new("RGB", face.size, colour)))
    assert np.array_equal(first, kept)


def test_a_transparent_heic_shows_white_as_other_transparent_photos_do(face):
    transparent = face.convert("RGBA")
    transparent.putalpha(0)
    assert (load_image(heic(transparent)) == 255).all()


def test_a_heic_too_small_to_read_says_so():
    with pytest.raises(ImageError, match="only 20×40 pixels"):
        load_image(heic(Image.new("RGB", (20, 40), (90, 80, 70))))


def test_a_heic_stored_sideways_is_turned_upright_once(face):
    """An iPhone stores a portrait taken sideways with its orientation; libheif turns it, and the orientation it
    leaves must not turn it a second time."""
    exif = Image.Exif()
    exif[0x0112] = 6
    array = load_image(heic(face.rotate(90, expand=True), exif))
    assert array.shape == (face.height, face.width, 3)
    assert np.abs(array.astype(int) - np.asarray(face)).mean() < 3


def test_a_damaged_heic_or_avif_is_called_damaged_not_a_non_image(face):
    for data in (heic(face), encode(face, "AVIF", quality=90)):
        for cut in (40, len(data) // 2):
            with pytest.raises(ImageError, match="damaged"):
                load_image(data[:cut])


def test_a_heic_is_read_as_its_primary_image_only():
    """A HEIC may hold several images (bursts, edits) and names one primary, which need not come first: that one is
    the photo, and no other is decoded (one could be far over the size limit)."""
    file = pillow_heif.from_pillow(Image.new("RGB", (1200, 900), (255, 0, 0)))
    file.add_from_pillow(Image.new("RGB", (400, 300), (0, 0, 255)))
    buffer = io.BytesIO()
    file.save(buffer, quality=50, primary_index=1)
    array = load_image(buffer.getvalue())
    assert array.shape == (300, 400, 3) and array[..., 2].mean() > 200 > array[..., 0].mean()


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's TIFF reader warns of each damaged tag it skips
@pytest.mark.parametrize("format_", ["JPEG", "PNG", "HEIC", "WEBP", "AVIF", "GIF", "TIFF", "BMP"])
def test_a_damaged_photo_of_any_format_is_read_or_refused_in_words(face, format_):
    """Bits flipped in the header, byte by byte, and across the rest: the decoders raise errors of their own (libheif's
    and libavif's EOFError and RuntimeError, on opening or on decoding; Pillow's TIFF reader a TypeError), which must
    become the message a person reads, never a crash."""
    small = face.resize((128, 150))
    data = heic(small) if format_ == "HEIC" else encode(small.convert("P") if format_ == "GIF" else small, format_)
    for position in [*range(300), *np.linspace(300, len(data) - 1, 60).astype(int)]:
        for bits in (0xFF, 0x01):
            damaged = bytearray(data)
            damaged[position] ^= bits
            try:
                assert load_image(bytes(damaged)).ndim == 3
            except ImageError:
                pass


def test_exif_rotated_photo_is_turned_upright(face):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to view
    sideways = face.rotate(90, expand=True)
    data = encode(sideways, "JPEG", exif=exif, quality=95)
    assert load_image(data).shape == (face.height, face.width, 3)
    # A caller's own image is turned upright in the array only; the image it passed stays as it was.
    opened = Image.open(io.BytesIO(data))
    assert load_image(opened).shape == (face.height, face.width, 3)
    assert opened.size == sideways.size and opened.getexif()[0x0112] == 6


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_jpeg_gives_pillows_upright_pixels_in_every_orientation(face, orientation):
    """JPEGs are decoded by OpenCV straight into an array; the pixels are Pillow's to the last bit, turned upright as
    `ImageOps.exif_transpose` turns them, and so too for a file with bytes after its end (a phone's motion photo),
    which Pillow decodes."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(face, "JPEG", exif=exif, quality=95)
    with Image.open(io.BytesIO(data)) as opened:
        upright = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
    assert np.array_equal(load_image(data), upright)
    assert np.array_equal(load_image(data + b"appended video"), upright)


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("size", [(600, 512), (3300, 2000), (3200, 1801), (6401, 4001)],
                         ids=["own size", "half", "half, still twice 1600", "quarter, still twice 1600"])
def test_a_jpeg_decodes_to_pillows_pixels_at_every_reduction(size, mode):
    """A colour or grey JPEG, at its own size or reduced as draft() reduces it (and then box-reduced where the draft
    is still twice `DRAFT_SIDE` long), gives the pixels Pillow gives for the same file with bytes appended."""
    noise = [Image.effect_noise(size, 30 + 10 * band) for band in range(3)]
    image = Image.merge("RGB", noise) if mode == "RGB" else noise[0]
    data = encode(image, "JPEG", quality=85)
    assert np.array_equal(load_image(data), load_image(data + b"appended"))


def test_a_phone_jpeg_with_a_second_image_decodes_as_its_first_image_alone():
    """Phones store HDR gain maps and depth as further images after the photo (MPO): the photo is decoded at a
    reduced size, as the same photo stored alone."""
    photo = Image.merge("RGB", [Image.effect_noise((3300, 2000), 30 + 10 * band) for band in range(3)])
    alone = encode(photo, "JPEG", quality=90)
    with_gain_map = encode(photo, "MPO", quality=90, save_all=True, append_images=[photo.resize((825, 500))])
    assert Image.open(io.BytesIO(with_gain_map)).format == "MPO"
    assert np.array_equal(load_image(with_gain_map), load_image(alone))


def test_animated_gif_uses_the_first_frame(face):
    frames = [face.convert("P"), Image.new("P", face.size, 0)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert load_image(data).mean() > 20  # the portrait, not the black second frame


def test_large_photo_is_shrunk_on_decoding(face):
    big = face.resize((face.width * 6, face.height * 6))
    assert max(load_image(encode(big, "JPEG")).shape[:2]) <= 2048


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"%PDF-1.4 not a photo at all", "not an image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "truncated or damaged"),
], ids=["empty", "pdf", "jpeg-header-only"])
def test_bad_bytes_give_clear_messages(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_jpeg_is_reported_as_truncated(face):
    data = encode(face, "JPEG", quality=95)
    with pytest.raises(ImageError, match="truncated"):
        load_image(data[: len(data) // 2])


def test_decompression_bomb_refused_before_decoding():
    header = Image.new("L", (1, 1))
    data = bytearray(encode(header, "PNG"))
    # Rewrite the PNG's IHDR to claim 30,000 x 30,000 pixels (900 megapixels).
    data[16:24] = (30000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    with pytest.raises(ImageError, match=f"the limit is {MAX_MEGAPIXELS}"):
        load_image(bytes(data))


def test_a_photo_too_thin_to_read_is_told_its_own_size():
    """A JPEG is decoded at a reduced size, but the message gives the file's size, not the reduced one's."""
    with pytest.raises(ImageError, match="only 3300×20 pixels"):
        load_image(encode(Image.effect_noise((3300, 20), 30).convert("RGB"), "JPEG"))


def test_tiny_image_and_odd_arrays():
    with pytest.raises(ImageError, match="at least 32"):
        load_image(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ImageError, match="H×W"):
        load_image(np.zeros((64, 64, 5), np.uint8))
    floats = load_image(np.random.default_rng(0).random((64, 64, 3)))
    assert floats.dtype == np.uint8 and floats.max() > 200
    with pytest.raises(ImageError, match="Cannot read"):
        load_image(12345)


def test_a_phone_photo_is_decoded_at_a_reduced_size_with_the_same_verdict_and_face(face):
    """A 12 MP JPEG: libjpeg decodes it at half size (no full-size copy is made), and the analysis agrees with the
    one of the full decode, reduced as any other large photo is, on the verdict, its reasons and where the face is."""
    from pixelperfect import Analyzer

    photo = Image.new("RGB", (4000, 3000), (128, 120, 110))
    photo.paste(face.resize((1600, 1875), Image.Resampling.BICUBIC), (1200, 600))
    data = encode(photo, "JPEG", quality=92)
    reduced = load_image(data)
    assert reduced.shape == (1500, 2000, 3)
    with Image.open(io.BytesIO(data)) as full:
        full_decode = np.asarray(full.convert("RGB"))
    assert full_decode.shape == (3000, 4000, 3)
    analyzer = Analyzer()
    drafted, shrunk = analyzer.analyze(data).to_dict(), analyzer.analyze(full_decode).to_dict()
    assert shrunk["size"] == drafted["size"] == [2000, 1500]
    assert drafted["verdict"] == shrunk["verdict"] == "good"
    assert [r["name"] for r in drafted["reasons"]] == [r["name"] for r in shrunk["reasons"]]
    assert np.allclose(drafted["face"]["box"], shrunk["face"]["box"], atol=6)
    as_heic = analyzer.analyze(heic(photo)).to_dict()  # the same phone photo as an iPhone stores it
    assert as_heic["size"] == [2000, 1500] and as_heic["verdict"] == "good"
    assert np.allclose(as_heic["face"]["box"], drafted["face"]["box"], atol=6)


def test_area_shrinking_in_two_steps_keeps_size_place_and_light(face):
    grey = cv2.cvtColor(cv2.resize(np.asarray(face), (1100, 1100), interpolation=cv2.INTER_CUBIC), cv2.COLOR_RGB2GRAY)
    grey[:, 770:] = 255  # an edge at 70 % of the width
    for size in ((126, 126), (137, 97), (550, 550), (1000, 900)):
        shrunk = area_shrunk(grey, size)
        assert shrunk.shape == (size[1], size[0])
        assert abs(float(shrunk.mean()) - float(grey.mean())) < 1.0  # an average: the light is kept
        white = np.flatnonzero((shrunk == 255).all(axis=0))
        assert abs(white[0] - 0.7 * size[0]) <= 1.5  # and the edge stays where it was
