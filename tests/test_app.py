"""The product end to end: Analyzer, the Gradio endpoints through gradio_client, the CLI, a real browser."""

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from pixelperfect import Analyzer, ImageError
from pixelperfect.defects import DEFECT_NAMES
from pixelperfect.measures import MEASURES
from pixelperfect.models import int8_backbone
from pixelperfect.training.degradations import apply_defect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def photos(tmp_path_factory, grace_hopper, cat):
    folder = tmp_path_factory.mktemp("photos")
    blurred = apply_defect(grace_hopper, "blur", 2, np.random.default_rng(0), "gaussian")[0]
    paths = {"grace": folder / "grace.jpg", "blurred": folder / "blurred.png", "cat": folder / "cat.png",
             "text": folder / "notes.jpg", "iphone": folder / "grace.heic"}
    Image.fromarray(grace_hopper).save(paths["grace"], quality=95)
    Image.fromarray(blurred).save(paths["blurred"])
    Image.fromarray(cat).save(paths["cat"])
    paths["text"].write_text("not a photo")
    pillow_heif.from_pillow(Image.fromarray(grace_hopper)).save(paths["iphone"], quality=90)
    return paths


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer()


def check_report(report: dict):
    assert report["verdict"] in ("good", "bad") and 0 <= report["p_bad"] <= 1
    assert report["strictness"] in ("lenient", "standard", "strict")
    assert all({"kind", "name", "weight", "blocking", "text"} <= set(reason) for reason in report["reasons"])
    assert set(report["defects"]) == set(DEFECT_NAMES)
    assert set(report["measures"]) == set(MEASURES)
    assert isinstance(report["suggestions"], list)
    assert {"found", "count", "outcome", "message", "box", "keypoints"} <= set(report["face"])
    assert report["profile"] in ("photo", "id")
    assert all({"value", "limit", "passed", "named", "message"} <= set(check) for check in report["checks"].values())


def test_analyzer_reports_and_blur_is_worse(analyzer, photos):
    original = analyzer.analyze(photos["grace"]).to_dict()
    blurred = analyzer.analyze(photos["blurred"]).to_dict()
    for report in (original, blurred):
        check_report(report)
        json.dumps(report)  # JSON-ready
    assert original["face"]["outcome"] == "one" and original["face"]["count"] == 1
    assert blurred["p_bad"] > original["p_bad"]
    assert blurred["defects"]["blur"] > original["defects"]["blur"]
    assert blurred["measures"]["clarity"]["score"] < original["measures"]["clarity"]["score"]


def test_a_black_and_white_photo_is_asked_for_in_colour(analyzer, astronaut):
    colour = analyzer.analyze(astronaut)
    black_and_white = analyzer.analyze(np.asarray(Image.fromarray(astronaut).convert("L").convert("RGB")))
    assert colour.defects["color"] < 0.5 < black_and_white.defects["color"]
    assert black_and_white.verdict == "bad"
    assert any("black-and-white" in text for text in black_and_white.suggestions)


def test_analyzer_accepts_every_input_kind_and_batches(analyzer, photos):
    decoded = np.asarray(Image.open(photos["grace"]).convert("RGB"))
    inputs = [photos["grace"], str(photos["grace"]), photos["grace"].read_bytes(), Image.fromarray(decoded), decoded]
    reports = analyzer.analyze_batch(inputs)
    assert len(reports) == len(inputs)
    assert [r.p_bad for r in reports] == pytest.approx([analyzer.analyze(decoded).p_bad] * len(inputs), abs=1e-3)


@pytest.mark.parametrize("precision", ["bfloat16", "int8"])
def test_faster_model_passes_give_the_same_verdicts_and_defects(grace_hopper, astronaut, precision):
    """bfloat16 and the int8 backbone are the defaults where the CPU computes them natively (models.bfloat16_by_default,
    models.int8_by_default): each must judge as float32 does."""
    rng = np.random.default_rng(0)
    faces = [grace_hopper, astronaut] + [apply_defect(face, defect, 2, rng)[0] for face in (grace_hopper, astronaut)
                                         for defect in ("blur", "noise", "compression", "exposure")]
    exact, fast = Analyzer(), Analyzer()
    for analyzer in (exact, fast):
        for model, source in ((analyzer.quality_model, analyzer.quality_source),
                              (analyzer.defect_model, analyzer.defect_source)):
            model.bfloat16 = analyzer is fast and precision == "bfloat16"
            model.backbone_session = int8_backbone(source) if analyzer is fast and precision == "int8" else None
    assert fast.defect_model.precision == precision and exact.defect_model.precision == "float32"
    judged = [(exact.analyze(face), fast.analyze(face)) for face in faces]
    assert [(quick.verdict, quick.found_defects) for _, quick in judged] == [
        (precise.verdict, precise.found_defects) for precise, _ in judged]
    assert [quick.p_bad for _, quick in judged] == pytest.approx([precise.p_bad for precise, _ in judged], abs=0.05)
    assert {precise.verdict for precise, _ in judged} == {"good", "bad"}  # so the comparison covers both verdicts
    assert not np.array_equal(fast.defect_model.predict(faces[:1]), exact.defect_model.predict(faces[:1]))  # it ran


def test_the_int8_backbone_is_the_default_only_where_the_cpu_multiplies_int8_but_not_bfloat16(monkeypatch):
    from pixelperfect import models

    monkeypatch.delenv("PIXELPERFECT_INT8", raising=False)
    for int8, bfloat16, expected in ((True, False, True), (True, True, False), (False, False, False)):
        monkeypatch.setattr(models, "native_int8", lambda: int8)
        monkeypatch.setattr(models, "native_bfloat16", lambda: bfloat16)
        assert models.int8_by_default() is expected
    monkeypatch.setenv("PIXELPERFECT_INT8", "1")
    assert models.int8_by_default()
    monkeypatch.setenv("PIXELPERFECT_INT8", "0")
    monkeypatch.setattr(models, "native_int8", lambda: True)
    monkeypatch.setattr(models, "native_bfloat16", lambda: False)
    assert not models.int8_by_default()


def test_first_requests_arriving_together_load_the_models_once(photos):
    from concurrent.futures import ThreadPoolExecutor

    fresh = Analyzer()
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(fresh.analyze, [photos["grace"]] * 4))
    assert len({round(r.p_bad, 4) for r in reports}) == 1


def test_no_face_is_an_outcome_not_an_exception(analyzer, photos):
    report = analyzer.analyze(photos["cat"])
    assert report.face["outcome"] == "none" and not report.usable
    assert report.suggestions[0].startswith("No face found")


def test_not_an_image_is_a_clear_error(analyzer, photos):
    with pytest.raises(ImageError, match="not an image"):
        analyzer.analyze(photos["text"])


def test_gradio_endpoints(client, photos):
    from gradio_client import handle_file

    original = client.predict(handle_file(str(photos["grace"])), api_name="/analyze")
    blurred = client.predict(handle_file(str(photos["blurred"])), api_name="/analyze")
    check_report(original)
    assert blurred["p_bad"] > original["p_bad"]
    assert blurred["verdict"] == "bad" and any(reason["blocking"] for reason in blurred["reasons"])
    strict = client.predict(handle_file(str(photos["grace"])), "strict", api_name="/analyze")
    assert original["strictness"] == "standard" and strict["strictness"] == "strict"
    with pytest.raises(Exception, match="Unknown strictness"):
        client.predict(handle_file(str(photos["grace"])), "very", api_name="/analyze")
    identity = client.predict(handle_file(str(photos["grace"])), "standard", "id", api_name="/analyze")
    assert identity["profile"] == "id" and {"roll", "yaw", "pitch", "eyes_open", "face_size", "centred"} <= set(
        identity["checks"])
    failed = {name for name, check in identity["checks"].items() if not check["passed"]}
    assert failed and failed <= {reason["name"] for reason in identity["reasons"] if reason["blocking"]}
    with pytest.raises(Exception, match="Unknown profile"):
        client.predict(handle_file(str(photos["grace"])), "standard", "passport", api_name="/analyze")
    batch = client.predict([handle_file(str(photos["grace"])), handle_file(str(photos["blurred"]))],
                           api_name="/analyze_batch")
    assert [r["p_bad"] for r in batch] == pytest.approx([original["p_bad"], blurred["p_bad"]], abs=1e-3)
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(photos["text"])), api_name="/analyze")
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/analyze", "/analyze_batch"} <= names


def test_mcp_server_offers_both_tools_with_their_docs(client):
    import app

    with urllib.request.urlopen(app.demo.local_url.rstrip("/") + "/gradio_api/mcp/schema", timeout=60) as response:
        tools = {tool["name"]: tool for tool in json.load(response)}
    assert {"analyze", "analyze_batch"} <= set(tools)
    assert "face photo" in tools["analyze"]["description"]


def test_cli_scores_a_folder_and_writes_csv(photos, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for key in ("grace", "blurred", "text"):
        shutil.copy(photos[key], folder / photos[key].name)
    output = tmp_path / "results.csv"
    done = subprocess.run([sys.executable, "-m", "pixelperfect", str(folder), "--output", str(output),
                           "--strictness", "strict"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 analysed (strict, photo)" in done.stdout and "1 could not be read" in done.stdout
    assert "BAD" in done.stderr + done.stdout and "blur" in done.stderr + done.stdout  # the blurred one, and why
    rows = output.read_text().splitlines()
    assert rows[0].startswith("file,sha256,verdict,p_bad") and len(rows) == 4
    identity = subprocess.run([sys.executable, "-m", "pixelperfect", str(photos["grace"]), "--profile", "id"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "1 analysed (standard, id)" in identity.stdout and "between the eyes" in identity.stdout + identity.stderr
    nothing = subprocess.run([sys.executable, "-m", "pixelperfect", str(photos["text"])],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert nothing.returncode == 1 and "not an image" in nothing.stdout + nothing.stderr


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_browser_upload_shows_verdict_and_bars(client, photos, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    import app

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app.demo.local_url)
        page.locator("input[type=file]").first.set_input_files(str(photos["blurred"]))
        page.get_by_text("BAD PHOTO").wait_for(timeout=60_000)
        assert page.get_by_text("Clarity").first.is_visible() and page.get_by_text("Strictness").first.is_visible()
        assert page.get_by_text("Hold the phone steady").first.is_visible()
        assert page.get_by_text("ID-photo checks").first.is_visible()
        shot = Path(tmp_path_factory.getbasetemp()) / "app-screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        # An iPhone's HEIC, which Chromium cannot draw: the verdict comes, and the upload box shows the photo read.
        page.locator("input[type=file]").first.set_input_files(str(photos["iphone"]))
        page.get_by_text("GOOD PHOTO").wait_for(timeout=60_000)
        shown = page.locator("img[src*='/gradio_api/file=']").first
        shown.wait_for(timeout=30_000)
        page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=shown.element_handle(),
                               timeout=30_000)
        assert shown.evaluate("image => image.naturalWidth") == 512  # Grace Hopper's width: her photo, drawn
        browser.close()
    assert shot.stat().st_size > 10_000
