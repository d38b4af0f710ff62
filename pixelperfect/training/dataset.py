"""The face-quality dataset: face photos plus degraded copies made by the defect registry.

Every source photo yields one *good* row (benign processing only, for 30 % after a modern camera's look:
portrait-mode background, studio backdrop, stronger sharpening) and one *bad* row (one defect,
sometimes a real-life pair), so good and bad are balanced and no face appears in two splits. Two exceptions:
a black-and-white original's rows both carry a colour defect (see ``is_monochrome``), and an original below the
quality floor (its face already soft: see ``below_floor``) gives its bad row only.
Rows are made in worker processes; each row's randomness comes from ``(seed, photo, row kind)``,
so the same seed gives the same images however many workers run.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..defects import DEFECT_NAMES, DEFECTS
from ..faces import find_face
from ..measures import measure
from ..verdict import soft_bars
from .degradations import COMBINATIONS, DEGRADATIONS, SEVERITIES, benign, camera_variant, degrade

QUALITY_LABELS = ("good", "bad")
SEVERITY_LABELS = ("none",) + SEVERITIES
GENDER_LABELS = ("male", "female", "unknown")
RACE_LABELS = ("white", "black", "asian", "indian", "other", "unknown")
SPLITS = {"train": 0.8, "validation": 0.1, "test": 0.1}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
MAX_SIDE = 256  # recipes are tuned for face crops of about 200 px
COMBINATION_RATE = 0.2  # chance that a bad copy gets a second defect, where its defect has a partner
MIN_CHANGE = 1.5  # mean absolute difference (of 255) below which a "degraded" copy is no copy at all
# Mean distance (of 255) of a photo's pixels from their own grey below which it has no colour at all. UTKFace
# has a gap here: 659 of its 21,361 photos (mostly old scans) lie below it; of a 1-in-10 sample, 0.4 % lie
# between it and 5, and 95 % above 10.
MONOCHROME_CHROMA = 2.0
MONOCHROME_RECIPE = "color/monochrome original + "  # what a black-and-white source's rows' recipes start with
BELOW_FLOOR_RECIPE = "below floor "  # what the bad row of a source below the quality floor starts with
CAMERA_RECIPE = "camera "


def features():
    from datasets import ClassLabel, Features, Image as ImageFeature, List, Value

    return Features({
        "image": ImageFeature(),
        "quality": ClassLabel(names=list(QUALITY_LABELS)),
        "defects": List(ClassLabel(names=list(DEFECT_NAMES))),
        "severity": ClassLabel(names=list(SEVERITY_LABELS)),
        "recipe": Value("string"),
        "source": Value("string"),
        "age": Value("int16"),
        "gender": ClassLabel(names=list(GENDER_LABELS)),
        "race": ClassLabel(names=list(RACE_LABELS)),
    })


def parse_utkface_name(name: str) -> dict:
    """``AGE_GENDER_RACE_TIMESTAMP.jpg.chip.jpg`` → metadata; missing or odd fields become unknown."""
    parts = Path(name).name.split("_")
    meta = {"age": -1, "gender": "unknown", "race": "unknown"}
    if len(parts) >= 4:  # a name with a field missing shifts the rest: trust none of it
        age, gender, race = parts[:3]
        if age.isdigit() and 0 <= int(age) <= 120:
            meta["age"] = int(age)
        if gender in ("0", "1"):
            meta["gender"] = GENDER_LABELS[int(gender)]
        if race.isdigit() and int(race) < 5:
            meta["race"] = RACE_LABELS[int(race)]
    return meta


def split_of(source: str, seed: int) -> str:
    """A stable split for a source photo, from a hash of its name (independent of listing order)."""
    digest = hashlib.sha256(f"{seed}:{source}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    for split, share in SPLITS.items():
        if fraction < share:
            return split
        fraction -= share
    return "test"


def list_sources(source_dir: str | Path) -> list[Path]:
    return sorted(p for p in Path(source_dir).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_face(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        image.load()
        rgb = image.convert("RGB")
    scale = MAX_SIDE / min(rgb.size)
    if scale < 1:
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)
    return np.asarray(rgb)


def encode_png(image: np.ndarray) -> bytes:
    # Lossless, so "good" rows carry no compression beyond the original's; level 1 is fast.
    ok, data = cv2.imencode(".png", image[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return data.tobytes()


@dataclass(frozen=True)
class Plan:
    """What the bad copy of one source photo gets."""
    defects: tuple[str, ...]
    level: int


def plan_defects(index: int, rng: np.random.Generator) -> Plan:
    """Deal defects and severities in turn so both stay balanced; some copies get a real-life pair."""
    level = (index // len(DEFECT_NAMES)) % len(SEVERITIES)
    defect = DEFECT_NAMES[index % len(DEFECT_NAMES)]
    pairs = [(pair, weight) for pair, weight in COMBINATIONS if defect in pair]
    if pairs and rng.random() < COMBINATION_RATE:
        weights = np.array([weight for _, weight in pairs])
        return Plan(pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0], level)
    return Plan((defect,), level)


def is_monochrome(image: np.ndarray) -> bool:
    """A black-and-white photo. It looks like a fully desaturated copy, which the registry calls a severe colour
    defect, and identity-photo rules ask for colour: so it cannot be a *good* example, and both its rows say so."""
    rgb = image.astype(np.float32)
    return float(np.abs(rgb - rgb.mean(2, keepdims=True)).mean()) < MONOCHROME_CHROMA


def below_floor(image: np.ndarray) -> list[str]:
    """The quality floor for originals: the softness bars (clarity at the face's own resolution, resolution) that
    are poor. Many UTKFace originals are soft, enlarged web crops; labelled good, they taught the models that a
    soft face is fine, and they contradict the verdict, which calls such a face bad (`verdict.soft_bars`)."""
    return soft_bars(measure(image))


def mesh_of(face: np.ndarray) -> np.ndarray | None:
    """Face Mesh's points on a source face, or None when it cannot read them."""
    return find_face(face).mesh


def make_rows(task: tuple[int, str, str, int]) -> list[dict] | None:
    """The good and the bad row for one source photo (the bad one only below the quality floor); ``None`` when
    the file cannot be read."""
    index, path, source_name, seed = task
    try:
        face = read_face(Path(path))
    except Exception:  # any unreadable or corrupt file is skipped and counted, never fatal
        return None
    meta = parse_utkface_name(source_name)
    camera_rng = np.random.default_rng([seed, index, 2])  # its own stream: the other rows stay as they were
    taken, camera_recipe = camera_variant(face, lambda: mesh_of(face), camera_rng)  # "camera …" (CAMERA_RECIPE)
    good, good_recipe = benign(taken, np.random.default_rng([seed, index, 0]))
    if camera_recipe:
        good_recipe = f"{camera_recipe} + {good_recipe}"
    rng = np.random.default_rng([seed, index, 1])
    plan = plan_defects(index, rng)
    for _ in range(5):
        bad, bad_recipe = degrade(face, plan.defects, plan.level, rng)
        if np.abs(bad.astype(np.int16) - face).mean() >= MIN_CHANGE:
            break
    common = {"source": source_name, **meta}
    good_row = {"quality": "good", "defects": [], "severity": "none", "recipe": good_recipe}
    bad_row = {"quality": "bad", "defects": list(plan.defects), "severity": SEVERITIES[plan.level],
               "recipe": bad_recipe}
    rows = [(good, good_row), (bad, bad_row)]
    if is_monochrome(face):
        for row in (good_row, bad_row):
            row.update(quality="bad", defects=sorted({*row["defects"], "color"}, key=DEFECT_NAMES.index),
                       severity=SEVERITIES[-1], recipe=MONOCHROME_RECIPE + row["recipe"])
    elif soft := below_floor(face):
        bad_row["recipe"] = f"{BELOW_FLOOR_RECIPE}({', '.join(soft)}) + {bad_row['recipe']}"
        rows = [(bad, bad_row)]
    return [{"image": {"bytes": encode_png(image), "path": None}, **row, **common} for image, row in rows]


@dataclass
class BuildStats:
    sources: int = 0
    skipped: list[str] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)
    defects: Counter = field(default_factory=Counter)
    severities: Counter = field(default_factory=Counter)
    pairs: int = 0  # bad rows that carry two defects
    monochrome: int = 0  # black-and-white source photos (both rows bad: colour)
    below_floor: int = 0  # source photos whose face is already soft (no good row)
    camera: Counter = field(default_factory=Counter)  # good rows with a camera variant, per variant
    seconds: float = 0.0


def _generate_split(tasks, workers):
    from tqdm.auto import tqdm

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for rows in tqdm(pool.imap(make_rows, tasks, chunksize=16), total=len(tasks), desc="degrading",
                         unit="photo"):
            yield from rows or ()


def build(source_dir: str | Path, seed: int = 0, limit: int | None = None, workers: int | None = None,
          cache_dir: str | Path | None = None):
    """Build the DatasetDict from a folder of face photos. Returns ``(dataset_dict, stats)``."""
    from datasets import Dataset, DatasetDict

    start = time.perf_counter()
    paths = list_sources(source_dir)
    if limit:
        order = np.random.default_rng(seed).permutation(len(paths))[:limit]
        paths = [paths[i] for i in sorted(order)]
    stats = BuildStats(sources=len(paths))
    # Defects are dealt out in a seeded order so that each split gets every defect and severity.
    order = np.random.default_rng(seed).permutation(len(paths))
    tasks = {split: [] for split in SPLITS}
    for rank, position in enumerate(order):
        path = paths[position]
        name = str(path.relative_to(source_dir))
        tasks[split_of(name, seed)].append((rank, str(path), name, seed))
    workers = workers or multiprocessing.cpu_count()
    splits = {}
    for split, split_tasks in tasks.items():
        if not split_tasks:
            continue
        # A tuple, not a list: datasets would shard a list into one generator call per photo.
        splits[split] = Dataset.from_generator(
            _generate_split, features=features(), cache_dir=str(cache_dir) if cache_dir else None,
            gen_kwargs={"tasks": tuple(split_tasks), "workers": workers}, split=split)
        kept = set(splits[split]["source"])
        stats.skipped += [task[2] for task in split_tasks if task[2] not in kept]
    dataset = DatasetDict(splits)
    for split, part in dataset.items():
        stats.rows[split] = len(part)
        columns = part.select_columns(["defects", "severity", "recipe"])
        defect_names = part.features["defects"].feature.names
        for defects, severity, recipe in zip(columns["defects"], columns["severity"], columns["recipe"]):
            stats.defects.update(defect_names[d] for d in defects)
            stats.severities[SEVERITY_LABELS[severity]] += 1
            stats.pairs += len(defects) == 2 and not recipe.startswith(MONOCHROME_RECIPE)
            stats.monochrome += recipe.startswith(MONOCHROME_RECIPE) and "benign" in recipe  # its good copy
            stats.below_floor += recipe.startswith(BELOW_FLOOR_RECIPE)
            if CAMERA_RECIPE in recipe:
                stats.camera[recipe.split(CAMERA_RECIPE, 1)[1].split()[0]] += 1
    stats.seconds = time.perf_counter() - start
    return dataset, stats


def summary(stats: BuildStats) -> str:
    lines = [f"sources: {stats.sources}, skipped (unreadable): {len(stats.skipped)}, "
             f"time: {stats.seconds:.0f} s",
             "rows: " + ", ".join(f"{k} {v}" for k, v in stats.rows.items()),
             "bad rows per defect: " + ", ".join(f"{d} {stats.defects[d]}" for d in DEFECT_NAMES)
             + f" (a row with a pair counts twice; {stats.pairs} pairs)",
             "rows per severity: " + ", ".join(f"{s} {stats.severities[s]}" for s in SEVERITY_LABELS),
             f"black-and-white sources (both rows bad: colour): {stats.monochrome}",
             f"sources below the quality floor (no good row): {stats.below_floor}",
             "good rows with a camera variant: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.camera.items()))]
    if stats.skipped:
        lines.append("skipped: " + ", ".join(stats.skipped[:10]) + (" …" if len(stats.skipped) > 10 else ""))
    return "\n".join(lines)


def dataset_card(stats: BuildStats, command: str) -> str:
    """README.md for the dataset, with the Hub's YAML metadata."""
    total = sum(stats.rows.values())
    size = "10K<n<100K" if total >= 10_000 else "1K<n<10K" if total >= 1_000 else "n<1K"
    defect_rows = "\n".join(f"| `{name}` | {DEFECTS[name]} | "
                            f"{', '.join(v.name for v in DEGRADATIONS[name].variants)} | {stats.defects[name]} |"
                            for name in DEFECT_NAMES)
    return f"""---
license: other
license_name: utkface-non-commercial-research
license_link: https://susanqq.github.io/UTKFace/
task_categories:
- image-classification
tags:
- image-quality-assessment
- faces
- synthetic-degradations
size_categories:
- {size}
pretty_name: PixelPerfect face quality
---

# PixelPerfect face-quality dataset

Face photos labelled **good** or **bad**, with the defects that make a photo bad. Built by
PixelPerfect's `degrade.py` from UTKFace's aligned and cropped faces: every source photo gives one
good row (benign processing only: small brightness/contrast/white-balance changes, JPEG q ≥ 70,
slight resize, flip) and one bad row: one defect, or ({stats.pairs} rows) a pair that meets in real
life, such as a dark and noisy photo. The {stats.monochrome} black-and-white originals are the exception: a
photo without colour looks like a fully desaturated copy (a severe colour defect) and identity-photo rules ask
for colour, so both their rows are bad and carry `color` (recipe `color/monochrome original + …`). The
{stats.below_floor} originals below the quality floor (their face already soft: the clarity bar, read at the face's
own resolution, or the resolution bar in its poor band) give no good row, only their bad row (recipe
`below floor (…) + …`): labelled good, such faces taught the models that a soft face is fine.
{sum(stats.camera.values())} good rows first get what a modern camera does to a good photo (recipe `camera …`):
{', '.join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(stats.camera.items()))} — a background blurred as in
portrait mode, with the bright discs of lights behind (bokeh), replaced by a plain studio backdrop, a white wall or a
bright window, by window blinds or a striped or tiled wall, or lit from behind with a glow around the person (the
face, found with Face Mesh, untouched); glasses drawn at the eyes; or a phone's stronger sharpening — so that crisp
faces, soft, bright or busy backgrounds, back light and glasses are known to be good, and regular lines that are not
damage are not taken for transmission errors.

## Licence and source
The images come from [UTKFace](https://susanqq.github.io/UTKFace/), which is available for
**non-commercial research purposes only**; the copyright of the images stays with their owners.
This derived dataset inherits those terms.

## Build
```
{command}
```
Splits are made by source photo (a hash of its file name), so no face appears in two splits.
{stats.sources} source photos, {len(stats.skipped)} skipped as unreadable, {stats.seconds:.0f} s to build.

| split | rows |
|---|---|
""" + "\n".join(f"| {split} | {rows} |" for split, rows in stats.rows.items()) + f"""

## Columns
`image` (PNG, lossless), `quality` (good/bad), `defects` (list of defect names, empty for good),
`severity` (none/mild/moderate/severe), `recipe` (what was applied, with its parameters),
`source` (original file name), `age` (-1 if unknown), `gender`, `race` (parsed from UTKFace names).

## Defects
| defect | description | variants | bad rows |
|---|---|---|---|
{defect_rows}

## Limits
The degradations are synthetic; real camera photos mix them in ways no recipe covers. UTKFace's
originals vary in quality, so some "good" rows are already soft, small or dark. Age, gender and race
labels are UTKFace's own and are used only to check that quality judgements do not depend on them.
"""
