"""Milliseconds per 200x200 face, stage by stage and end to end, beside BRISQUE on the same images; and where the
time goes for uploads of each size, from a phone's 12 MP JPEG (and the same as HEIC) down to a face crop.

    python -m benchmarks.speed [--faces ../shared/utkface/images] [--count 64] [--batch 32] [--uploads-only]

Prints Markdown tables (p50 / p95 per face; medians of 5 per upload size). Not a test: timings depend on the machine.
"""

import argparse
import io
import time
from pathlib import Path

import numpy as np
import torch

from pixelperfect import Analyzer
from pixelperfect.checks import run_checks
from pixelperfect.examples import grace_hopper
from pixelperfect.faces import crop_face, detect_faces, face_square, find_face, read_mesh, resized
from pixelperfect.images import load_image
from pixelperfect.measures import measure
from pixelperfect.verdict import STRICTNESS, judge

UPLOADS = {"12 MP JPEG (4000×2667)": ((4000, 2667), "JPEG"), "12 MP HEIC (4000×2667, one x265 image, q80)":
           ((4000, 2667), "HEIC"), "4 MP JPEG (2500×1667)": ((2500, 1667), "JPEG"),
           "1 MP JPEG (1250×833)": ((1250, 833), "JPEG"), "face crop (200×200)": (None, "JPEG")}


def timed(function, items, repeat_per_item=1):
    """Per-item times in ms (calls ``function`` on each item)."""
    times = []
    for item in items:
        start = time.perf_counter()
        for _ in range(repeat_per_item):
            function(item)
        times.append((time.perf_counter() - start) * 1000 / repeat_per_item)
    return np.array(times)


def timed_batches(function, items, batch):
    """Per-item times in ms when ``function`` takes ``batch`` items at a time."""
    times = []
    for start in range(0, len(items) - batch + 1, batch):
        begin = time.perf_counter()
        function(items[start:start + batch])
        times += [(time.perf_counter() - begin) * 1000 / batch] * batch
    return np.array(times)


class Brisque:
    """brisque 0.2.0 with its features flattened to floats, which NumPy 2 no longer does implicitly."""

    def __init__(self):
        from brisque import BRISQUE

        class Fixed(BRISQUE):
            def calculate_brisque_features(self, *args, **kwargs):
                features = super().calculate_brisque_features(*args, **kwargs)
                return np.array([np.asarray(f, dtype=np.float64).reshape(-1)[0] for f in features])

        self.model = Fixed(url=False)

    def score(self, image):
        return self.model.score(image)


def upload(size: tuple[int, int] | None, format_: str = "JPEG") -> bytes:
    """A portrait as a phone stores it: Grace Hopper enlarged to ``size`` in a landscape frame, JPEG q92 or HEIC
    q80 (encoded by pillow-heif, a developer requirement: the runtime only decodes); or her face crop."""
    from PIL import Image

    portrait = grace_hopper()
    if size is None:
        image = Image.fromarray(crop_face(portrait, find_face(portrait).main))
    else:
        width, height = size
        image = Image.new("RGB", size, (118, 112, 104))
        person = Image.fromarray(portrait).resize((round(height * 512 / 600), height), Image.Resampling.BICUBIC)
        image.paste(person, ((width - person.width) // 2, 0))
    buffer = io.BytesIO()
    if format_ == "HEIC":
        import pillow_heif

        pillow_heif.from_pillow(image).save(buffer, quality=80)
    else:
        image.save(buffer, format=format_, quality=92)
    return buffer.getvalue()


def stages(analyzer: Analyzer, data: bytes) -> dict[str, float]:
    """Milliseconds of each stage of `Analyzer.analyze` for one upload, run as it runs them."""
    quality, defect = analyzer.quality_model, analyzer.defect_model
    times, start = {}, time.perf_counter()

    def lap(name):
        nonlocal start
        now = time.perf_counter()
        times[name] = (now - start) * 1000
        start = now

    photo = load_image(data)
    lap("decode")
    found = find_face(photo)
    lap("detection + landmarks")
    checks = run_checks(photo, found)
    lap("ID checks")
    square = face_square(photo, found.main)
    bars = measure(square)
    lap("measures")
    _, defect_probabilities = quality.predict_pixels_with(defect, quality.pixels([resized(square)]))
    lap("models")
    defects = {name: float(defect_probabilities[0, defect.labels.index(name)]) for name in defect.labels}
    judge(defects, bars, found.outcome, found.message, STRICTNESS["standard"], checks)
    lap("verdict")
    return times


def uploads_table(analyzer: Analyzer, repeats: int = 5) -> str:
    lines = ["| upload | size | decode | detection + landmarks | ID checks | measures | models | verdict | "
             "**end to end** (`Analyzer.analyze(bytes)`) |", "|---|---|---|---|---|---|---|---|---|"]
    for name, (size, format_) in UPLOADS.items():
        data = upload(size, format_)
        analyzer.analyze(data)  # warm
        parts = [stages(analyzer, data) for _ in range(repeats)]
        whole = timed(analyzer.analyze, [data] * repeats)
        medians = [np.median([part[stage] for part in parts]) for stage in parts[0]]
        lines.append(f"| {name} | {len(data) / 1e6:.1f} MB | " + " | ".join(f"{m:.1f}" for m in medians)
                     + f" | **{np.median(whole):.1f}** |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--uploads-only", action="store_true", help="only the table per upload size")
    args = parser.parse_args()
    if args.uploads_only:
        print(uploads_table(Analyzer()))
        return
    files = sorted(args.faces.glob("*.jpg"))[:: max(1, len(list(args.faces.glob("*.jpg"))) // args.count)][:args.count]
    encoded = [f.read_bytes() for f in files]
    arrays = [load_image(data) for data in encoded]
    analyzer = Analyzer()
    quality, defect = analyzer.quality_model, analyzer.defect_model
    analyzer.analyze(encoded[0])  # warm up
    found = [find_face(a) for a in arrays]
    crops = [crop_face(a, result.main) for a, result in zip(arrays, found)]
    detected = [(a, detect_faces(a)[0]) for a in arrays]

    rows = [
        ("decode (JPEG bytes → RGB)", timed(load_image, encoded), None),
        ("face detection (BlazeFace)", timed(detect_faces, arrays), None),
        ("landmarks (Face Mesh)", timed(lambda item: read_mesh(*item), detected), None),
        ("**detection + landmarks** (`find_face`)", timed(find_face, arrays), None),
        ("ID-photo checks", timed(lambda item: run_checks(*item), list(zip(arrays, found))), None),
        ("measures (8 bars)", timed(measure, crops), None),
        ("quality model", timed(lambda c: quality.predict([c]), crops),
         timed_batches(lambda b: quality.predict(b, args.batch), crops, args.batch)),
        ("defect model", timed(lambda c: defect.predict([c]), crops),
         timed_batches(lambda b: defect.predict(b, args.batch), crops, args.batch)),
        ("both models" + (", one shared backbone pass" if quality.shares_backbone_with(defect) else ""),
         timed(lambda c: quality.predict_pixels_with(defect, quality.pixels([c])), crops),
         timed_batches(lambda b: quality.predict_pixels_with(defect, quality.pixels(b), args.batch), crops,
                       args.batch)),
        ("**end to end** (Analyzer)", timed(analyzer.analyze, encoded),
         timed_batches(lambda b: analyzer.analyze_batch(b, args.batch), encoded, args.batch)),
    ]
    try:
        brisque = Brisque()
        rows.append(("BRISQUE (brisque 0.2.0), same faces", timed(brisque.score, arrays), None))
    except ImportError:
        rows.append(("BRISQUE: `pip install brisque` to compare", np.array([np.nan]), None))

    print(f"{len(files)} faces of 200x200 px from {args.faces}, torch threads: {torch.get_num_threads()}, "
          f"model pass: {quality.precision} (PIXELPERFECT_INT8, PIXELPERFECT_BFLOAT16)\n")
    print(f"| stage | single p50 | single p95 | batched ({args.batch}) p50 | batched p95 |")
    print("|---|---|---|---|---|")
    for name, single, batched in rows:
        b50, b95 = (f"{np.percentile(batched, 50):.1f}", f"{np.percentile(batched, 95):.1f}") if batched is not None \
            else ("—", "—")
        print(f"| {name} | {np.percentile(single, 50):.1f} | {np.percentile(single, 95):.1f} | {b50} | {b95} |")
    timings = {name: (single, batched) for name, single, batched in rows}
    end_to_end, brisque_times = timings["**end to end** (Analyzer)"][1], rows[-1][1]
    print(f"\nEnd to end batched / BRISQUE (p50): {np.median(end_to_end) / np.median(brisque_times):.2f}")
    print(f"\nWhere the time goes, per upload size (ms, median of 5):\n\n{uploads_table(analyzer)}")


if __name__ == "__main__":
    main()
