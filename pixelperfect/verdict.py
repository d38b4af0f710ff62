"""The verdict: every piece of evidence that a photo is bad, each judged on its own, so that "bad" always says why.

Evidence comes from four places, each as a probability-like weight (0–1) with a name a person can act on:

* **defects** — the defect model's probability for each defect, as it is;
* **the bars that judge softness** (`DECIDING_MEASURES`: clarity at the face's own resolution, and resolution;
  ``lenient`` counts clarity only, so a small face passes if it is sharp and at least ``MIN_FACE_PIXELS`` wide) —
  the weak spot of the models, which see every face at 168 px. A bar's weight is 0.5 at the edge of its poor
  band, 1 at score 0 and 0 from the good band on. The other bars explain and refine advice but do not decide:
  the models judge noise, light, colour and compression far better (test F1 0.91–0.98) than the bars, which read
  skin and beard texture as noise and dark backgrounds as clipping;
* **the face** — no face, or a face too small to judge (weight 1); under ``strict`` also several faces or a face
  cut off, which at the other levels make a photo unusable (``Report.usable``) but not a bad photo;
* **the ID-photo checks** (`pixelperfect.checks`), under the ``id`` `PROFILES` only: each failed check weighs 1,
  and so does a face whose landmarks could not be read, since then nothing can be checked.

A photo is bad when one piece of evidence, **by itself**, reaches the chosen `Strictness`'s threshold, and
``p_bad`` is the weight of the strongest piece: every blocking reason states evidence that alone makes the photo
bad at that level, in the words of that evidence (a defect the defect model gives 37 % is never called the cause).
Weaker evidence from ``MINOR`` of the threshold is named as a *minor issue*. Suggestions follow the named reasons
only.

The quality model's own p_bad is not evidence: on real portraits unlike its training faces it is often confidently
wrong (it called 8 of 179 sharp real portraits bad before #23's retrain, 4 after), and where it is right, a defect or
a bar mostly says so too, and can say what is wrong (README, *On real photos*). It stays in the report as
``quality_model_p_bad``. Before, it raised any defect the defect model gave 25 % or more towards its own p_bad, and a
37 % "transmission" became a 75 % reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .checks import NO_LANDMARKS
from .images import ImageError
from .measures import GOOD_FROM, MEASURES, POOR_BELOW

DECIDING_MEASURES = tuple(name for name, measure in MEASURES.items() if measure.decides)
MINOR = 0.5  # a share of the threshold: weaker evidence than this on a good photo is not mentioned
UNJUDGEABLE_FACES = ("none", "too_small")  # no face, or too few pixels to judge one: the photo is bad


@dataclass(frozen=True)
class Strictness:
    name: str
    threshold: float  # the weight from which one piece of evidence makes a photo bad
    framing_bad: bool  # several faces or a face cut off make the photo bad, not only unusable
    bars: tuple[str, ...]  # the deciding bars that count at this level
    description: str


STRICTNESS: dict[str, Strictness] = {s.name: s for s in [
    Strictness("lenient", 0.75, False, ("clarity",),
               "A profile picture or a listing: only clear defects fail; a small face is fine if it is sharp."),
    Strictness("standard", 0.5, False, DECIDING_MEASURES,
               "The default: a photo fails when a defect is more likely than not, or the face lacks detail."),
    Strictness("strict", 0.3, True, DECIDING_MEASURES,
               "An identity document: a likely defect fails, and so do a second face and a face cut off."),
]}
DEFAULT_STRICTNESS = "standard"

PROFILES: dict[str, str] = {
    "photo": "Technical quality: defects, softness and the face (profile pictures, listings).",
    "id": "Technical quality and the ID-photo checks: head straight, eyes open, mouth closed, neutral expression, "
          "face big enough, centred and fully in the frame, one face, plain background, even light on the face, head "
          "size, no dark lenses (identity checks, documents).",
}
DEFAULT_PROFILE = "photo"


@dataclass(frozen=True)
class Reason:
    kind: str  # "defect", "measure", "face" or "check"
    name: str  # the defect, the measure, the face outcome or the ID-photo check
    weight: float  # how strongly it says the photo is bad (0–1)
    blocking: bool  # part of why the photo is bad; otherwise a minor issue
    text: str  # for people

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Judgement:
    verdict: str  # "good" or "bad"
    p_bad: float
    reasons: tuple[Reason, ...]  # blocking ones first, then minor issues; strongest first within each


def blocking(reasons: list[dict]) -> list[dict]:
    """The reasons (as in ``Report.to_dict()``) that make the photo bad."""
    return [reason for reason in reasons if reason["blocking"]]


def minor_issues(reasons: list[dict]) -> list[dict]:
    """The reasons named on a photo they do not make bad (a face problem that weighs nothing is not one)."""
    return [reason for reason in reasons if not reason["blocking"] and reason["weight"] > 0]


def strictness_level(name: str | None) -> Strictness:
    """The level called ``name`` (default: standard); an `ImageError` that lists the levels, since a wrong name is
    the caller's to fix and every surface already turns that error into a message."""
    key = (name or DEFAULT_STRICTNESS).strip().lower()
    if key not in STRICTNESS:
        raise ImageError(f"Unknown strictness {name!r}: use one of {', '.join(STRICTNESS)}.")
    return STRICTNESS[key]


def profile_name(name: str | None) -> str:
    """The profile called ``name`` (default: photo); an `ImageError` that lists the profiles otherwise."""
    key = (name or DEFAULT_PROFILE).strip().lower()
    if key not in PROFILES:
        raise ImageError(f"Unknown profile {name!r}: use one of {', '.join(PROFILES)}.")
    return key


def bar_weight(score: float) -> float:
    """A bar's score as evidence: 0.5 at the poor band's edge, 1 at 0, nothing from the good band on."""
    return float(np.interp(score, [0.0, POOR_BELOW, GOOD_FROM], [1.0, 0.5, 0.0]))


def evidence(defects: dict[str, float], measures: dict[str, dict], face_outcome: str, face_message: str,
             level: Strictness, checks: dict[str, dict] | None = None,
             landmarks_unread: str | None = None) -> list[tuple[str, str, float, str]]:
    """(kind, name, weight, text) for everything that speaks against the photo, strongest first; ``checks``
    (`checks.run_checks`) count only when given, as the ``id`` profile gives them, and where there are none
    ``landmarks_unread`` (`checks.landmarks_unread`) says why."""
    found = [("defect", name, probability, f"{name.replace('_', ' ')} ({probability:.0%} likely)")
             for name, probability in defects.items()]
    for name in level.bars:
        result = measures[name]
        found.append(("measure", name, bar_weight(result["score"]),
                      f"{MEASURES[name].label.lower()} {result['level']} ({result['score']:.0f}/100)"))
    if face_outcome != "one":  # several faces are named even where they do not make the photo bad
        bad = face_outcome in UNJUDGEABLE_FACES or level.framing_bad
        found.append(("face", face_outcome, 1.0 if bad else 0.0, face_message))
    if checks is not None and face_outcome not in UNJUDGEABLE_FACES:
        if not checks:
            found.append(("check", "landmarks", 1.0, landmarks_unread or NO_LANDMARKS))
        found += [("check", name, 1.0, result["finding"]) for name, result in checks.items() if not result["passed"]]
    return sorted(found, key=lambda item: -item[2])


def judge(defects: dict[str, float], measures: dict[str, dict], face_outcome: str, face_message: str,
          level: Strictness, checks: dict[str, dict] | None = None, landmarks_unread: str | None = None) -> Judgement:
    found = evidence(defects, measures, face_outcome, face_message, level, checks, landmarks_unread)
    p_bad = max((weight for _, _, weight, _ in found), default=0.0)
    # Blocking: each piece that makes the photo bad by itself. Minor: weaker pieces worth naming, and face problems,
    # which are always named.
    reasons = [Reason(kind, name, round(weight, 4), weight >= level.threshold, text)
               for kind, name, weight, text in found
               if weight >= MINOR * level.threshold or kind == "face"]
    return Judgement("bad" if p_bad >= level.threshold else "good", round(p_bad, 4), tuple(reasons))


def soft_bars(measures: dict[str, dict]) -> list[str]:
    """The softness bars in their poor band: the face lacks the detail a good photo needs (at any strictness but
    lenient this alone makes a photo bad). The dataset's quality floor for source photos uses the same test."""
    return [name for name in DECIDING_MEASURES if bar_weight(measures[name]["score"]) >= 0.5]
