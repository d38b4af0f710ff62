"""The defects PixelPerfect names, in the defect model's label order, and what each means to people.

How each defect is made for training is `pixelperfect.training.degradations` (one recipe entry per defect);
what to do about it is `pixelperfect.advice`. A test keeps the three in step.
"""

DEFECTS: dict[str, str] = {
    "blur": "The face is not sharp: camera shake, motion, or out of focus.",
    "noise": "Grain and colour speckle from a small sensor in poor light.",
    "exposure": "Too dark, too bright, backlit, or flat and washed out.",
    "compression": "Heavy compression: 8x8 blocks, ringing and smeared colour.",
    "low_resolution": "Too few pixels: a small photo blown up, pixelated or mushy.",
    "color": "Unnatural colours: a colour cast, shifted hues, or over/under-saturation.",
    "transmission": "Corrupted data: missing or repeated rows, broken blocks, streaks, a grey cut-off.",
    "other": "Something between the lens and the face: haze, flare, vignetting, dirt on the lens.",
}
DEFECT_NAMES: tuple[str, ...] = tuple(DEFECTS)
