"""Plain-language suggestions: what to do to retake or resend a better photo.

Every defect and every measure maps to an `Advice`. Suggestions are given for the verdict's reasons only
(`pixelperfect.verdict`), strongest first. Advice with the same ``fix`` is the same action (a blurry photo and a
low clarity bar both mean "hold still and focus"), so it is given once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import CHECKS
from .measures import MEASURES, calibration
from .verdict import Reason


@dataclass(frozen=True)
class Advice:
    fix: str
    text: str


STEADY = Advice("steady", "Hold the phone steady with both hands or lean on something, and tap your face on the "
                          "screen so the camera focuses on it.")
MORE_LIGHT = Advice("more_light", "Find more light: face a window or a lamp. In dim light the camera turns up its "
                                  "sensitivity and the photo gets grainy and dark.")
LESS_LIGHT = Advice("less_light", "Your face is too bright: step out of direct sunlight or away from the flash, "
                                  "and avoid a bright window behind you.")
EVEN_LIGHT = Advice("even_light", "Use soft, even light from the front; avoid a bright window or lamp behind you, "
                                  "which leaves the face flat or in shadow.")
NATURAL_COLOUR = Advice("natural_colour", "Colours look unnatural or are missing: turn off filters (black-and-white, "
                                          "beauty modes), and take the photo in daylight rather than under "
                                          "coloured lamps.")
ORIGINAL_FILE = Advice("original_file", "Send the original photo, not a screenshot, a forwarded copy or one saved "
                                        "from a chat app, which are heavily compressed.")
MORE_PIXELS = Advice("more_pixels", "The face has too few pixels: move closer or use the main camera at full "
                                    "resolution, and do not send a thumbnail or an enlarged small picture.")
RESEND = Advice("resend", "The file looks damaged (stripes, grey or shifted blocks): upload it again, and if that "
                          "does not help, take a new photo.")
CLEAN_LENS = Advice("clean_lens", "Wipe the camera lens, and keep strong lights and the sun out of the frame; "
                                  "fog, smudges or glare veil the face.")

DEFECT_ADVICE: dict[str, Advice] = {
    "blur": STEADY,
    "noise": MORE_LIGHT,
    "exposure": EVEN_LIGHT,  # refined by the brightness bar: too dark → more light, too bright → less
    "compression": ORIGINAL_FILE,
    "low_resolution": MORE_PIXELS,
    "color": NATURAL_COLOUR,
    "transmission": RESEND,
    "other": CLEAN_LENS,
}

# (measure, side) → advice; side is "low" or "high" of the good range.
MEASURE_ADVICE: dict[tuple[str, str], Advice] = {
    ("clarity", "low"): STEADY,
    ("brightness", "low"): MORE_LIGHT,
    ("brightness", "high"): LESS_LIGHT,
    ("noise", "high"): MORE_LIGHT,
    ("contrast", "low"): EVEN_LIGHT,
    ("exposure", "high"): EVEN_LIGHT,
    ("color", "high"): NATURAL_COLOUR,
    ("compression", "high"): ORIGINAL_FILE,
    ("resolution", "low"): MORE_PIXELS,
}

def side(name: str, value: float) -> str:
    """Whether a raw value is on the low or the high side of what good photos show."""
    measure = MEASURES[name]
    if measure.better == "middle":
        return "low" if value < calibration()["measures"][name]["centre"] else "high"
    return "low" if measure.better == "higher" else "high"


def advice_for(reason: Reason, measures: dict[str, dict]) -> Advice | None:
    """What to do about one reason; the brightness bar says which way an exposure defect went."""
    if reason.kind == "defect":
        if reason.name == "exposure" and "brightness" in measures:
            brightness = measures["brightness"]
            if side("brightness", brightness["value"]) == "high":
                return LESS_LIGHT
            if brightness["level"] != "good":
                return MORE_LIGHT
        return DEFECT_ADVICE[reason.name]
    if reason.kind == "measure":
        return MEASURE_ADVICE.get((reason.name, side(reason.name, measures[reason.name]["value"])))
    if reason.kind == "check" and reason.name in CHECKS:
        return Advice(f"check_{reason.name}", CHECKS[reason.name].advice)
    if reason.kind == "check":  # no landmarks: the reason's own text says what to do
        return Advice("check_landmarks", reason.text)
    return None


def suggestions(reasons: list[Reason], measures: dict[str, dict] | None = None) -> list[str]:
    """Advice for the named reasons only, strongest first, each action once; a face problem comes first."""
    measures = measures or {}
    texts = [reason.text for reason in reasons if reason.kind == "face"]
    seen = set()
    for reason in sorted(reasons, key=lambda r: (not r.blocking, -r.weight)):
        advice = advice_for(reason, measures)
        if advice and advice.fix not in seen:
            seen.add(advice.fix)
            texts.append(advice.text)
    return texts
