"""The one entry point every surface calls: photo in, `Report` out.

A photo's way: decode and validate (`images`) → find the face and crop it like the training faces
(`faces`, with landmarks) → the ID-photo checks on those landmarks (`checks`) → metric bars on the face at its own resolution (`measures`) and both classifiers on the crop
(`models`) → verdict and its reasons at the chosen strictness (`verdict`) → suggestions for those reasons
(`advice`) → `Report`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

from .advice import suggestions
from .checks import Geometry, check_all, face_geometry, landmarks_unread
from .defects import DEFECT_NAMES
from .faces import KEYPOINTS, FaceResult, face_square, find_face, resized
from .images import load_image
from .measures import measure
from .models import Classifier
from .sources import classifier_source
from .verdict import blocking, judge, minor_issues, profile_name, strictness_level

DEFECT_THRESHOLD = 0.5


@dataclass
class Report:
    verdict: str  # "good" or "bad", from all the evidence at the chosen strictness
    p_bad: float  # the weight of the strongest evidence against the photo (`pixelperfect.verdict`)
    usable: bool  # good quality and exactly one face, clearly in the frame (under ``id``, every check passed)
    reasons: list[dict]  # why: {kind, name, weight, blocking, text}; blocking ones make the photo bad
    defects: dict[str, float]  # probability of every defect, also for good photos
    measures: dict[str, dict]
    suggestions: list[str]  # advice for the reasons, and only for them
    face: dict
    checks: dict[str, dict] = field(default_factory=dict)  # {name: {value, limit, passed, message, …}} (`checks`)
    profile: str = "photo"  # "photo": technical quality; "id": the checks decide too
    strictness: str = "standard"
    quality_model_p_bad: float = 0.0  # the quality model's own p_bad: information, not evidence (`verdict`)
    size: list[int] = field(default_factory=list)  # [width, height] of the photo as analysed

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def found_defects(self) -> list[str]:
        return found_defects(self.defects)

    @property
    def blocking(self) -> list[dict]:
        return blocking(self.reasons)

    @property
    def minor_issues(self) -> list[dict]:
        return minor_issues(self.reasons)


def found_defects(defects: dict[str, float]) -> list[str]:
    """The defects at or above `DEFECT_THRESHOLD`, most likely first."""
    return [name for name, p in sorted(defects.items(), key=lambda kv: -kv[1]) if p >= DEFECT_THRESHOLD]


class Analyzer:
    """Analyse face photos with the bundled models, or others given as local folders or Hub ids.

    ``Analyzer()`` uses ``models/quality`` and ``models/defect``, or what the ``PIXELPERFECT_QUALITY_MODEL`` and
    ``PIXELPERFECT_DEFECT_MODEL`` environment variables or a Space's ``models.json`` name (`sources`); models load
    on first use. ``profile`` is ``photo`` (technical quality, the default) or ``id`` (the ID-photo checks decide
    too).
    """

    def __init__(self, quality: str | None = None, defect: str | None = None, strictness: str | None = None,
                 profile: str | None = None):
        self.strictness = strictness_level(strictness).name
        self.profile = profile_name(profile)
        self.quality_source = quality or classifier_source("quality")
        self.defect_source = defect or classifier_source("defect")
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

    def analyze(self, image, strictness: str | None = None, profile: str | None = None) -> Report:
        """One photo: a path, bytes, PIL image or RGB array. Raises `ImageError` for unusable input.

        ``strictness`` (lenient / standard / strict) and ``profile`` (photo / id) override the analyzer's own
        for this photo."""
        return self.analyze_batch([image], strictness=strictness, profile=profile)[0]

    def analyze_batch(self, images: list, batch_size: int = 32, strictness: str | None = None,
                      profile: str | None = None) -> list[Report]:
        """Several photos, with both models run in batches. Raises `ImageError` for the first unusable one."""
        level = strictness_level(strictness or self.strictness)
        profile = profile_name(profile or self.profile)
        photos = [load_image(image) for image in images]
        if not photos:
            return []
        found = [find_face(photo) for photo in photos]
        # The bars read the square at the photo's own resolution (`measures.NATIVE_SIDE`), the models at 200 px.
        squares = [face_square(photo, result.main) for photo, result in zip(photos, found)]
        crops = [resized(square) for square in squares]
        quality, defect = self.quality_model, self.defect_model
        pixels = quality.pixels(crops)
        if defect.same_input_as(quality):
            quality_probabilities, defect_probabilities = quality.predict_pixels_with(defect, pixels, batch_size)
        else:
            quality_probabilities = quality.predict_pixels(pixels, batch_size)
            defect_probabilities = defect.predict_pixels(defect.pixels(crops), batch_size)
        p_bad = quality_probabilities[:, quality.labels.index("bad")]
        reports = []
        for photo, square, result, bad, probabilities in zip(photos, squares, found, p_bad, defect_probabilities):
            defects = {name: round(float(probabilities[defect.labels.index(name)]), 4)
                       for name in DEFECT_NAMES}
            # The square's side is the face's size as the resolution bar was calibrated (on training faces, framed
            # alike).
            bars = measure(square)
            geometry = face_geometry(photo, result)
            checks, unread = check_all(geometry), landmarks_unread(result)
            judgement = judge(defects, bars, result.outcome, result.message, level,
                              checks if profile == "id" else None, unread)
            reasons = list(judgement.reasons)
            reports.append(Report(
                verdict=judgement.verdict,
                p_bad=judgement.p_bad,
                usable=judgement.verdict == "good" and result.outcome == "one",
                reasons=[reason.to_dict() for reason in reasons],
                defects=defects,
                measures=bars,
                suggestions=suggestions(reasons, bars),
                face=face_block(result, geometry, unread),
                checks=checks,
                profile=profile,
                strictness=level.name,
                quality_model_p_bad=round(float(bad), 4),
                size=[int(photo.shape[1]), int(photo.shape[0])],
            ))
        return reports


def face_block(result: FaceResult, geometry: Geometry | None, unread: str | None) -> dict:
    main = result.main
    return {"found": main is not None, "count": len(result.faces), "outcome": result.outcome,
            "message": result.message, "box": list(main.box) if main else None,
            "confidence": round(main.confidence, 3) if main else None,
            # BlazeFace's six key points, refined by Face Mesh when it read the face, [x, y] in photo pixels.
            "keypoints": {name: [round(float(v), 1) for v in main.point(name)] for name in KEYPOINTS} if main else None,
            "landmarks": result.mesh is not None,
            "landmarks_unread": unread,  # why not (`checks.landmarks_unread`), in words a person can act on
            # The outlines the ID checks read (face, eyelids, inner lips), [x, y] in photo pixels.
            "regions": geometry.regions if geometry else None}


def summary_line(report: Report | dict) -> str:
    """One line for people: the verdict, its confidence and why, or the minor issues of a good photo."""
    report = report if isinstance(report, dict) else report.to_dict()
    confidence = report["p_bad"] if report["verdict"] == "bad" else 1 - report["p_bad"]
    line = f"{report['verdict'].upper()} ({confidence:.0%})"
    if why := blocking(report["reasons"]):
        return f"{line} — {'; '.join(reason['text'] for reason in why)}"
    if minor := minor_issues(report["reasons"]):
        return f"{line} — minor issue: {'; '.join(reason['text'] for reason in minor)}"
    return line
