"""A corpus of hostile and odd files: every one gets a report or a clear message, never a crash."""

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from pixelperfect import Analyzer, ImageError

ROOT = Path(__file__).resolve().parent.parent


def encoded(image: Image.Image, format_: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded(Image.new("L", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, grace_hopper, cat):
    """(file, expected) where expected is "report" or the start of the error message."""
    folder = tmp_path_factory.mktemp("hostile")
    face = Image.fromarray(grace_hopper)
    jpeg = encoded(face, "JPEG", quality=92)
    exif = Image.Exif()
    exif[0x0112] = 8
    heic, avif = io.BytesIO(), encoded(face, "AVIF", quality=80)
    pillow_heif.from_pillow(face).save(heic, quality=80)  # as an iPhone stores a photo; the app only decodes
    heic = heic.getvalue()
    items = {
        "renamed.txt.jpg": (b"just some text, renamed to .jpg", "This file is not an image"),
        "empty.jpg": (b"", "The file is empty"),
        "half.jpg": (jpeg[: len(jpeg) // 2], "The image is truncated"),
        "header-only.jpg": (jpeg[:200], "The image is truncated or damaged"),
        "random-bytes.png": (np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
                             "This file is not an image"),
        "html.png": (b"<html><body>nope</body></html>", "This file is not an image"),
        "bomb.png": (png_claiming(30000, 30000), "The image is 900 megapixels"),
        "wide-bomb.png": (png_claiming(200000, 300), "The image is 60 megapixels"),
        "tiny.png": (encoded(face.resize((8, 8)), "PNG"), "The image is only 8×8"),
        "one-pixel-high.png": (encoded(face.resize((400, 1)), "PNG"), "The image is only 400×1"),
        "grey.png": (encoded(face.convert("L"), "PNG"), "report"),
        "rgba.png": (encoded(face.convert("RGBA"), "PNG"), "report"),
        "palette.png": (encoded(face.convert("P"), "PNG"), "report"),
        "bilevel.png": (encoded(face.convert("1"), "PNG"), "report"),
        "sixteen-bit.png": (encoded(face.convert("L").convert("I;16"), "PNG"), "report"),
        "cmyk.jpg": (encoded(face.convert("CMYK"), "JPEG"), "report"),
        "face.webp": (encoded(face, "WEBP"), "report"),
        "face.bmp": (encoded(face, "BMP"), "report"),
        "face.tiff": (encoded(face, "TIFF"), "report"),
        "face.gif": (encoded(face.convert("P"), "GIF"), "report"),
        "animated.gif": (encoded(face.convert("P"), "GIF", save_all=True,
                                 append_images=[Image.new("P", face.size)], duration=50), "report"),
        "rotated-exif.jpg": (encoded(face.rotate(-90, expand=True), "JPEG", exif=exif), "report"),
        "progressive.jpg": (encoded(face, "JPEG", progressive=True), "report"),
        "iphone.heic": (heic, "report"),
        "half.heic": (heic[: len(heic) // 2], "The image file is damaged"),
        "face.avif": (avif, "report"),
        "header-only.avif": (avif[:60], "The image is truncated or damaged"),
        "q5.jpg": (encoded(face, "JPEG", quality=5), "report"),
        "huge.jpg": (encoded(face.resize((5000, 5860)), "JPEG", quality=70), "report"),
        "panorama.jpg": (encoded(face.resize((6000, 700)), "JPEG"), "report"),
        "cat.png": (encoded(Image.fromarray(cat), "PNG"), "report"),
        "black.png": (encoded(Image.new("RGB", (300, 300)), "PNG"), "report"),
        "white.png": (encoded(Image.new("RGB", (300, 300), (255, 255, 255)), "PNG"), "report"),
        "noise.png": (encoded(Image.fromarray(np.random.default_rng(1).integers(0, 256, (300, 300, 3),
                                                                                dtype=np.uint8)), "PNG"), "report"),
        "two-faces.jpg": (encoded(Image.fromarray(np.concatenate([grace_hopper, grace_hopper[:, ::-1]], 1)), "JPEG"),
                          "report"),
        "transparent.png": (encoded(Image.new("RGBA", (200, 200), (0, 0, 0, 0)), "PNG"), "report"),
    }
    paths = {}
    for name, (data, expected) in items.items():
        (folder / name).write_bytes(data)
        paths[name] = (folder / name, expected)
    return paths


def test_corpus_is_large_enough(corpus):
    assert len(corpus) >= 30


def test_python_api_reports_or_explains_every_file(corpus):
    analyzer = Analyzer()
    for name, (path, expected) in corpus.items():
        try:
            report = analyzer.analyze(path)
        except ImageError as error:
            assert expected != "report", f"{name}: {error}"
            assert str(error).startswith(expected), f"{name}: {error}"
            continue
        assert expected == "report", f"{name} was analysed, expected: {expected}"
        assert report.verdict in ("good", "bad")
    two = analyzer.analyze(corpus["two-faces.jpg"][0])
    assert two.face["outcome"] == "several" and not two.usable
    upright = analyzer.analyze(corpus["rotated-exif.jpg"][0])
    assert upright.face["outcome"] == "one"  # found only if the photo was turned upright


def test_cli_goes_on_past_bad_files(corpus):
    folder = next(iter(corpus.values()))[0].parent
    done = subprocess.run([sys.executable, "-m", "pixelperfect", str(folder)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    unreadable = sum(1 for _, expected in corpus.values() if expected != "report")
    assert f"{len(corpus) - unreadable} analysed" in done.stdout
    assert f"{unreadable} could not be read" in done.stdout
    assert "renamed.txt.jpg: This file is not an image" in done.stdout + done.stderr


def test_app_answers_or_explains_every_file_and_keeps_none(corpus, client, files_on_server):
    from gradio_client import handle_file

    before = files_on_server()
    for name, (path, expected) in corpus.items():
        try:
            report = client.predict(handle_file(str(path)), api_name="/analyze")
        except Exception as error:  # gradio_client raises the app's gr.Error message
            assert expected != "report" and expected in str(error), f"{name}: {error}"
            continue
        assert expected == "report" and report["verdict"] in ("good", "bad"), name
    after = client.predict(handle_file(str(corpus["face.webp"][0])), api_name="/analyze")
    assert after["face"]["outcome"] == "one"
    batch = client.predict([handle_file(str(corpus["face.webp"][0])), handle_file(str(corpus["two-faces.jpg"][0]))],
                           api_name="/analyze_batch")
    assert [report["face"]["outcome"] for report in batch] == ["one", "several"]
    too_many = [handle_file(str(corpus["face.webp"][0]))] * 65
    with pytest.raises(Exception, match="at most 64 per call"):
        client.predict(too_many, api_name="/analyze_batch")
    assert files_on_server() - before == set(), "uploads were kept after their answers"


def test_the_same_photo_sent_many_times_at_once_is_answered_every_time_and_then_deleted(
        corpus, client, files_on_server):
    from gradio_client import handle_file

    before = files_on_server()
    # Identical bytes share one file on the server: no request may delete it under another.
    jobs = [client.submit(handle_file(str(corpus["face.webp"][0])), api_name="/analyze") for _ in range(8)]
    assert [job.result(timeout=300)["face"]["outcome"] for job in jobs] == ["one"] * 8
    assert files_on_server() - before == set()
