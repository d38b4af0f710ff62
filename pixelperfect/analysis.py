"""The one entry point every surface calls: photo in, `Report` out.

A photo's way: decode and validate (`images`) → find the face and crop it like the training faces
(`faces`) → metric bars (`measures`) and both classifiers on the crop (`models`) → suggestions
(`advice`) → `Report`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

from .advice import suggestions
from .defects import DEFECT_NAMES
from .faces import crop_face, find_face
from .images import load_image
from .measures import measure
from .models import DEFAULT_DEFECT, DEFAULT_QUALITY, Classifier

DEFECT_THRESHOLD = 0.5


@dataclass
class Report:
    verdict: str  # "good" or "bad": the photo's quality as judged by the quality model
    p_bad: float
    usable: bool  # good quality and exactly one face, clearly in the frame
    defects: dict[str, float]  # probability of every defect, also for good photos
    measures: dict[str, dict]
    suggestions: list[str]
    face: dict
    size: list[int] = field(default_factory=list)  # [width, height] of the photo as analysed

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def found_defects(self) -> list[str]:
        return [name for name, p in sorted(self.defects.items(), key=lambda kv: -kv[1]) if p >= DEFECT_THRESHOLD]


class Analyzer:
    """Analyse face photos with the bundled models, or others given as local folders or Hub ids.

    ``Analyzer()`` uses ``models/quality`` and ``models/defect`` (or the ``PIXELPERFECT_QUALITY_MODEL``
    and ``PIXELPERFECT_DEFECT_MODEL`` environment variables); models load on first use.
    """

    def __init__(self, quality: str | None = None, defect: str | None = None):
        self.quality_source = quality or DEFAULT_QUALITY
        self.defect_source = defect or DEFAULT_DEFECT
        self._quality: Classifier | None = None
        self._defect: Classifier | None = None
        # Requests arrive on several threads; the models must load once, and transformers' lazy
        # imports are not safe to race.
        self._loading = threading.Lock()

    @property
    def quality_model(self) -> Classifier:
        with self._loading:
            if self._quality is None:
                self._quality = Classifier.load(self.quality_source)
        return self._quality

    @property
    def defect_model(self) -> Classifier:
        with self._loading:
            if self._defect is None:
                self._defect = Classifier.load(self.defect_source)
        return self._defect

    def analyze(self, image) -> Report:
        """One photo: a path, bytes, PIL image or RGB array. Raises `ImageError` for unusable input."""
        return self.analyze_batch([image])[0]

    def analyze_batch(self, images: list, batch_size: int = 32) -> list[Report]:
        """Several photos, with both models run in batches. Raises `ImageError` for the first unusable one."""
        photos = [load_image(image) for image in images]
        if not photos:
            return []
        found = [find_face(photo) for photo in photos]
        crops = [crop_face(photo, result.main) for photo, result in zip(photos, found)]
        quality, defect = self.quality_model, self.defect_model
        pixels = quality.pixels(crops)
        if defect.same_input_as(quality):
            quality_probabilities, defect_probabilities = quality.predict_pixels_with(defect, pixels, batch_size)
        else:
            quality_probabilities = quality.predict_pixels(pixels, batch_size)
            defect_probabilities = defect.predict_pixels(defect.pixels(crops), batch_size)
        p_bad = quality_probabilities[:, quality.labels.index("bad")]
        reports = []
        for photo, result, crop, bad, probabilities in zip(photos, found, crops, p_bad, defect_probabilities):
            defects = {name: round(float(probabilities[defect.labels.index(name)]), 4)
                       for name in DEFECT_NAMES}
            face_pixels = result.main.width if result.main else min(photo.shape[:2])
            bars = measure(crop, face_pixels=face_pixels)
            verdict = "bad" if bad >= 0.5 else "good"
            reports.append(Report(
                verdict=verdict,
                p_bad=round(float(bad), 4),
                usable=verdict == "good" and result.outcome == "one",
                defects=defects,
                measures=bars,
                suggestions=suggestions(defects, bars, None if result.outcome == "one" else result.message,
                                        DEFECT_THRESHOLD),
                face={"found": result.main is not None, "count": len(result.faces), "outcome": result.outcome,
                      "message": result.message, "box": list(result.main.box) if result.main else None,
                      "confidence": round(result.main.confidence, 3) if result.main else None},
                size=[int(photo.shape[1]), int(photo.shape[0])],
            ))
        return reports


def summary_line(report: Report) -> str:
    """One line for people: the verdict, its confidence and what is wrong."""
    confidence = report.p_bad if report.verdict == "bad" else 1 - report.p_bad
    problems = ", ".join(name.replace("_", " ") for name in report.found_defects) or "no defect found"
    return f"{report.verdict.upper()} ({confidence:.0%}) — {problems}"

