"""PixelPerfect's Gradio Space: upload a face photo, see whether it is usable and what to fix.

Endpoints (see the README for a gradio_client snippet):
  /analyze        one image file → the report dict
  /analyze_batch  a list of image files → a list of report dicts
"""

import html
import logging
import os
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
from PIL import Image

from pixelperfect import Analyzer, ImageError
from pixelperfect.defects import DEFECT_NAMES, DEFECTS
from pixelperfect.examples import build_examples
from pixelperfect.images import MAX_MEGAPIXELS, MAX_UPLOAD_MB, load_image
from pixelperfect.measures import GOOD_FROM, MEASURES, POOR_BELOW
from pixelperfect.pose import rotation_for
from pixelperfect.verdict import DEFAULT_PROFILE, DEFAULT_STRICTNESS, PROFILES, STRICTNESS, blocking, minor_issues

analyzer = Analyzer()
logger = logging.getLogger("pixelperfect.app")
# A published Space ships its examples beside app.py; a checkout makes them once in a temporary folder.
BUNDLED_EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLES_DIR = Path(os.environ.get("PIXELPERFECT_EXAMPLES_DIR") or (
    BUNDLED_EXAMPLES if BUNDLED_EXAMPLES.is_dir() else Path(tempfile.gettempdir()) / "pixelperfect-examples"))
CACHE_SWEEP_S = 60  # files the page shows are deleted once a minute old, by a sweep every minute
CACHE_MINUTES = 2 * CACHE_SWEEP_S // 60  # the longest any of them stays
MAX_BATCH_PHOTOS = 64  # one /analyze_batch call holds a worker about a second at most (14 ms a face, batched)
LEVEL_COLOURS = {"good": "#1a7f37", "fair": "#b7791f", "poor": "#c53030"}


_uploads_in_use: Counter = Counter()
_uploads_lock = threading.Lock()


@contextmanager
def discarded_after_use(*paths: str):
    """Delete uploaded files as soon as the answer is ready: face photos are personal data.

    Gradio names an upload by its content, so byte-identical uploads share one file. It is deleted
    only when no other request is reading it, none waiting in the queue names it, and nobody sent it
    again meanwhile; what is left then goes with the cache sweep. Example photos are not uploads.
    """
    uploads = [path for path in paths if path in demo.upload_file_set]
    started = time.time()
    with _uploads_lock:
        _uploads_in_use.update(uploads)
    try:
        yield
    finally:
        with _uploads_lock:
            _uploads_in_use.subtract(uploads)
            waiting = _uploads_waiting()
            for path in set(uploads):
                if _uploads_in_use[path] > 0:
                    continue
                del _uploads_in_use[path]
                if waiting is None or path in waiting:
                    continue
                try:
                    if os.stat(path).st_ctime > started:  # uploaded again while this request ran
                        continue
                    os.unlink(path)
                    demo.upload_file_set.discard(path)
                    os.rmdir(Path(path).parent)  # the upload's own folder, when nothing else is in it
                except OSError:
                    pass


def _uploads_waiting() -> set[str] | None:
    """The upload paths named by requests waiting in the queue; None if the queue cannot be read
    (it is gradio's internal state, so a gradio upgrade may change it)."""
    try:
        values = [value for queue in demo._queue.event_queue_per_concurrency_id.values()
                  for event in queue.queue if event.data for value in event.data.data]
    except AttributeError:
        return None
    files = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return {item["path"] for item in files if isinstance(item, dict) and "path" in item}


@contextmanager
def explained_errors(title: str):
    """Every failure reaches people as a sentence: the input's problem as `ImageError` says it, and
    anything unexpected as an apology, its traceback logged (never the image)."""
    try:
        yield
    except ImageError as error:
        raise gr.Error(str(error), title=title) from None
    except gr.Error:
        raise
    except Exception:
        logger.exception("analysis failed")
        raise gr.Error("Something went wrong on our side while analysing this photo. Please try again.",
                       title="Sorry") from None


def path_of(upload: dict | None) -> str | None:
    """The server-side path of a raw upload. The handlers take uploads raw (``preprocess=False``):
    gradio's own preprocessing would copy an image, fail on a damaged one before PixelPerfect can
    say what is wrong, and (gr.File, gradio 6) leave an empty temporary file behind per upload.

    Only files uploaded to this server (or its example photos) are read: a client naming any other server path,
    or sending something that is not a file, gets a clear error."""
    if upload is None:
        return None
    path = upload.get("path") if isinstance(upload, dict) else None
    if not isinstance(path, str) or not any(Path(path).resolve().is_relative_to(folder) for folder in _readable()):
        raise gr.Error("Send the photo as an uploaded file (with gradio_client: handle_file(path)).",
                       title="Not a photo upload")
    return path


def _readable() -> tuple[Path, ...]:
    """The folders a request may name files in: gradio's upload cache and the examples."""
    uploads = os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio")
    return Path(uploads).resolve(), EXAMPLES_DIR.resolve()


def ensure_on_server(*paths: str) -> None:
    # Missing: a page photo older than the cache sweep, or an API upload whose byte-identical twin
    # (the same file) was answered, and deleted, first.
    if not all(Path(path).is_file() for path in paths):
        raise gr.Error(f"This photo is no longer on the server (uploads are deleted once answered, photos on "
                       f"the page after {CACHE_MINUTES} minutes). Upload it again.")


def analyze(image: dict | None, strictness: str = DEFAULT_STRICTNESS, profile: str = DEFAULT_PROFILE) -> dict:
    """Check the quality of one face photo.

    Finds the face, says whether the photo is good enough for an ID check or a profile and why not, which
    defects it has (blur, noise, exposure, compression, low_resolution, color, transmission, other), scores its
    clarity, brightness, noise, contrast, exposure, colour, compression and resolution from 0 to 100,
    and gives plain-language suggestions to retake a better photo.

    Args:
        image: the photo to check (JPEG, PNG, HEIC, WebP, AVIF, BMP, TIFF or GIF).
        strictness: "lenient" (a profile picture), "standard" (the default) or "strict" (an identity document).
        profile: "photo" (technical quality, the default) or "id" (also the ID-photo checks: head straight, eyes
            open, mouth closed, neutral expression, face big enough, centred and in the frame, one face, plain
            background, face evenly lit with its full range of tones and no burnt-out or black patches, head
            filling the photo's height, eyes not behind dark lenses; glasses are named on a face within 30° of yaw).

    Returns:
        A report with verdict ("good"/"bad"), p_bad, usable, reasons (why it is bad, or its minor issues),
        defects (probability per defect), measures (value, score, level per measure), suggestions (for the
        reasons only), face (found, count, outcome, box, key points, the outlines the checks read) and checks
        (value, limit, passed, named, message, finding and the OFIQ measure per ID-photo check; they decide only
        under the "id" profile; "named" marks a check that fails or, like glasses, is worth naming with advice).
    """
    path = path_of(image)
    if not path:
        raise gr.Error("Upload a photo first.")
    with explained_errors("Cannot analyse this file"), discarded_after_use(path):
        ensure_on_server(path)
        return analyzer.analyze(path, strictness=strictness, profile=profile).to_dict()


def analyze_batch(images: list[dict] | None, strictness: str = DEFAULT_STRICTNESS,
                  profile: str = DEFAULT_PROFILE) -> list[dict]:
    """Check the quality of several face photos at once; returns one report per photo, in order.

    Args:
        images: the photos to check (at most 64 per call).
        strictness: "lenient" (a profile picture), "standard" (the default) or "strict" (an identity document).
        profile: "photo" (technical quality, the default) or "id" (also the ID-photo checks).
    """
    if images is not None and not isinstance(images, list):
        raise gr.Error("Send a list of uploaded photo files.", title="Not a list of photos")
    paths = [path for path in map(path_of, images or []) if path]
    if not paths:
        raise gr.Error("Upload at least one photo.")
    with explained_errors("Cannot analyse one of the files"), discarded_after_use(*paths):
        if len(paths) > MAX_BATCH_PHOTOS:
            raise gr.Error(f"{len(paths)} photos sent; at most {MAX_BATCH_PHOTOS} per call. Send the rest in "
                           "further calls, or score large collections with `python -m pixelperfect`.")
        ensure_on_server(*paths)
        return [report.to_dict() for report in analyzer.analyze_batch(paths, strictness=strictness,
                                                                                    profile=profile)]


# ---------------------------------------------------------------- how a report looks


def verdict_html(report: dict) -> str:
    """The headline: the verdict and, always, why; a good photo's minor issues are named too."""
    why = [reason["text"] for reason in blocking(report["reasons"])]
    minor = [reason["text"] for reason in minor_issues(report["reasons"])]
    level = f" ({report['strictness']} check{', ID photo' if report['profile'] == 'id' else ''})"
    if not report["face"]["found"]:
        title, colour, detail = "NO FACE FOUND", LEVEL_COLOURS["poor"], report["face"]["message"]
    elif report["verdict"] == "good":
        confidence = 1 - report["p_bad"]
        title = "GOOD PHOTO" if report["usable"] else "GOOD QUALITY, BUT CHECK THE FRAMING"
        if report["usable"] and minor:
            title = "GOOD PHOTO, MINOR ISSUE"
        colour = LEVEL_COLOURS["good"] if report["usable"] and not minor else LEVEL_COLOURS["fair"]
        detail = f"{confidence:.0%} confident it is usable{level}." + (
            "" if report["usable"] else " " + report["face"]["message"]) + (
            f" Minor issue: {'; '.join(minor)}." if minor else "")
    else:
        title, colour = "BAD PHOTO", LEVEL_COLOURS["poor"]
        detail = f"{report['p_bad']:.0%} confident it is not usable{level}: {'; '.join(why)}."
    return (f'<div style="border-radius:12px;padding:18px 22px;background:{colour}">'
            f'<div style="font-size:2em;font-weight:700;color:white !important">{title}</div>'
            f'<div style="font-size:1.1em;color:white !important">{html.escape(detail)}</div></div>')


def bars_html(measures: dict) -> str:
    band = (f"linear-gradient(to right, {LEVEL_COLOURS['poor']}33 0 {POOR_BELOW}%, "
            f"{LEVEL_COLOURS['fair']}33 {POOR_BELOW}% {GOOD_FROM}%, {LEVEL_COLOURS['good']}33 {GOOD_FROM}% 100%)")
    rows = []
    for name, result in measures.items():
        measure = MEASURES[name]
        colour = LEVEL_COLOURS[result["level"]]
        rows.append(
            f'<div style="margin:6px 0" title="{html.escape(measure.description)}">'
            f'<div style="display:flex;justify-content:space-between"><b>{measure.label}</b>'
            f'<span>{result["score"]:.0f}/100 · {result["level"]} · {result["value"]:g} {html.escape(measure.unit)}'
            f'</span></div><div style="position:relative;height:14px;border-radius:7px;background:{band}">'
            f'<div style="width:{result["score"]:.0f}%;height:100%;border-radius:7px;background:{colour}"></div>'
            f'</div></div>')
    legend = (f'<div style="font-size:0.85em;opacity:0.8">Bands: poor below {POOR_BELOW:.0f}, fair to '
              f'{GOOD_FROM:.0f}, good above. Scores are calibrated on face photos and their degraded copies.</div>')
    return "".join(rows) + legend


def check_line(result: dict) -> str:
    """Ticked, crossed, or noted with its advice when it passes but is worth naming (glasses)."""
    if not result["passed"]:
        return f"- ❌ {result['finding']}"
    return f"- ℹ️ {result['message']}" if result["named"] else f"- ✅ {result['finding']}"


def checks_markdown(report: dict) -> str:
    """The ID-photo checks; they decide the verdict under the ID profile only."""
    if not report["checks"]:
        return "" if not report["face"]["found"] else f"_{report['face']['landmarks_unread']} No ID-photo checks._"
    heading = ("**ID-photo checks**" if report["profile"] == "id"
               else "**ID-photo checks** (for information: choose the ID profile to make them count)")
    return heading + "\n\n" + "\n".join(check_line(result) for result in report["checks"].values())


REGION_COLOURS = {"face": (255, 255, 255), "right_eye": (0, 255, 255), "left_eye": (0, 255, 255),
                  "mouth": (255, 0, 255)}


def face_drawing(photo: np.ndarray, report: dict, longest: int = 720) -> np.ndarray:
    """The photo with the face's box, the outlines the ID checks read (face, eyelids, inner lips), its nose and the
    head's axes (red across, green up, blue towards the camera), drawn at most ``longest`` pixels wide or high."""
    shrink = min(1.0, longest / max(photo.shape[:2]))
    drawing = cv2.resize(photo, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else photo.copy()
    face = report["face"]
    if not face["found"]:
        return drawing
    thickness = max(2, round(max(drawing.shape[:2]) / 300))
    x, y, w, h = (round(v * shrink) for v in face["box"])
    cv2.rectangle(drawing, (x, y), (x + w, y + h), (255, 215, 0), thickness)
    points = {name: np.array(point) * shrink for name, point in face["keypoints"].items()}
    if face.get("regions"):
        for name, outline in face["regions"].items():
            cv2.polylines(drawing, [np.round(np.array(outline) * shrink).astype(np.int32)], True,
                          REGION_COLOURS[name], max(1, thickness // 2), cv2.LINE_AA)
        marked = ("nose_tip",)
    else:
        marked = ("right_eye", "left_eye", "nose_tip", "mouth")
    for name in marked:
        cv2.circle(drawing, tuple(round(v) for v in points[name]), thickness + 2, (0, 255, 255), -1)
    if {"roll", "yaw", "pitch"} <= report["checks"].keys():
        length = 0.8 * np.linalg.norm(points["left_eye"] - points["right_eye"])
        # Image axes: x right, y down, z away. The head's axes (across, up, towards the camera) turned as the pose
        # was fitted, seen from the front.
        turned = rotation_for(*(report["checks"][name]["value"] for name in ("roll", "yaw", "pitch")))
        axes = turned @ np.diag([1.0, -1.0, -1.0])
        origin = points["nose_tip"]
        for column, colour in zip(axes.T, ((255, 0, 0), (0, 200, 0), (0, 120, 255))):
            end = origin + length * column[:2]
            cv2.arrowedLine(drawing, tuple(round(v) for v in origin), tuple(round(v) for v in end), colour, thickness)
    return drawing


def suggestions_markdown(report: dict) -> str:
    if not report["suggestions"]:
        return "**Nothing to fix.** This photo is ready to use."
    return "\n".join(f"{i}. {text}" for i, text in enumerate(report["suggestions"], 1))


def show(upload: dict | None, strictness: str = DEFAULT_STRICTNESS, profile: str = DEFAULT_PROFILE):
    """The UI's handler: the report, rendered for people, and the upload box's picture where the browser cannot
    draw the upload.

    The page shows the upload, so it stays until the cache sweep (``delete_cache``) removes it.
    """
    path = path_of(upload)
    if not path:
        raise gr.Error("Upload a photo first.")
    with explained_errors("Cannot analyse this file"):
        ensure_on_server(path)
        photo = load_image(path)
        report = analyzer.analyze(photo, strictness=strictness, profile=profile).to_dict()
    defects = {name.replace("_", " "): report["defects"][name] for name in DEFECT_NAMES}
    return (verdict_html(report), defects, bars_html(report["measures"]), suggestions_markdown(report),
            checks_markdown(report), face_drawing(photo, report), report, preview(path, photo))


def preview(path: str, photo: np.ndarray):
    """What the upload box shows: the upload itself, or, for the formats most browsers cannot draw (an iPhone's HEIC,
    TIFF), the photo as it was read, which gradio stores as a PNG in its cache (swept as uploads are). Being the
    pixels the analysis read, checking it again gives the same report."""
    with Image.open(path) as image:
        undrawable = image.format in ("HEIF", "TIFF")
    return photo if undrawable else gr.skip()


# ---------------------------------------------------------------- the page

DEFECT_TABLE = "\n".join(f"| {name.replace('_', ' ')} | {DEFECTS[name]} |" for name in DEFECT_NAMES)

with gr.Blocks(title="PixelPerfect — face photo quality", delete_cache=(CACHE_SWEEP_S, CACHE_SWEEP_S)) as demo:
    gr.Markdown("# PixelPerfect\nIs this face photo usable? Upload one, use your webcam or paste from the "
                "clipboard. The photo is analysed in memory and not kept.")
    with gr.Row():
        with gr.Column(scale=1):
            photo_input = gr.Image(label="Face photo", type="filepath", sources=["upload", "webcam", "clipboard"],
                                   height=360, format="png")  # a `preview` stored losslessly
            strictness_choice = gr.Radio(
                [(f"{name}: {level.description}", name) for name, level in STRICTNESS.items()],
                value=DEFAULT_STRICTNESS, label="Strictness")
            profile_choice = gr.Radio([(f"{name}: {text}", name) for name, text in PROFILES.items()],
                                      value=DEFAULT_PROFILE, label="Profile")
            check = gr.Button("Check photo", variant="primary")
            examples = build_examples(EXAMPLES_DIR)
            gr.Examples(examples=list(examples.values()), inputs=photo_input, example_labels=list(examples),
                        label="Examples: two portraits, a tilted head" + (
                            " and one copy with each defect" if len(examples) > 3 else ""),
                        examples_per_page=11)
            gr.Markdown(f"Limits: {MAX_UPLOAD_MB} MB per file, {MAX_MEGAPIXELS} megapixels.")
        with gr.Column(scale=1):
            verdict = gr.HTML()
            with gr.Tabs():
                with gr.Tab("Result"):
                    advice = gr.Markdown(label="What to do")
                    id_checks = gr.Markdown(label="ID-photo checks")
                    defect_bars = gr.Label(label="Defects (probability)", num_top_classes=len(DEFECT_NAMES),
                                           show_heading=False)
                    metric_bars = gr.HTML(label="Measures")
                with gr.Tab("Face"):
                    face_view = gr.Image(label="Face, what the checks read, head pose", type="numpy", interactive=False,
                                         format="jpeg")
                with gr.Tab("JSON report"):
                    report_json = gr.JSON(label="Report")
                with gr.Tab("About"):
                    gr.Markdown("| defect | what it means |\n|---|---|\n" + DEFECT_TABLE)

    outputs = [verdict, defect_bars, metric_bars, advice, id_checks, face_view, report_json, photo_input]
    page_inputs = [photo_input, strictness_choice, profile_choice]
    check.click(show, page_inputs, outputs, api_visibility="private", preprocess=False)
    photo_input.upload(show, page_inputs, outputs, api_visibility="private", preprocess=False)

    # The programmatic endpoints, named as documented, with components the page does not show.
    with gr.Row(visible=False):
        api_file = gr.File(type="filepath", label="image")
        api_files = gr.File(type="filepath", file_count="multiple", label="images")
        api_report = gr.JSON(label="report")
        api_reports = gr.JSON(label="reports")
        api_strictness = gr.Dropdown(list(STRICTNESS), value=DEFAULT_STRICTNESS, label="strictness")
        api_profile = gr.Dropdown(list(PROFILES), value=DEFAULT_PROFILE, label="profile")
    gr.Button(visible=False).click(analyze, [api_file, api_strictness, api_profile], api_report, api_name="analyze",
                                   preprocess=False)
    gr.Button(visible=False).click(analyze_batch, [api_files, api_strictness, api_profile], api_reports,
                                   api_name="analyze_batch", preprocess=False)

# Chosen with `python -m benchmarks.load --queue-limits 1 2 4` (figures in the README).
QUEUE_LIMIT, QUEUE_SIZE = 2, 64
demo.queue(default_concurrency_limit=QUEUE_LIMIT, max_size=QUEUE_SIZE)

if __name__ == "__main__":
    # Every model loads before the first request: nobody waits for it, and a model that cannot be found stops the
    # start with its reason in the log, instead of every photo failing.
    analyzer.analyze(examples["Grace Hopper"])
    demo.launch(mcp_server=True, footer_links=["api", "gradio"], max_file_size=f"{MAX_UPLOAD_MB}mb")
