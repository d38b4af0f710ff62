"""Scoring many photos: one path for two engines, in shards that make a run resumable and exactly-once.

A run lists its photos (`list_photos`: files, folders, a `datasets` folder or Hub id, or a parquet/CSV listing of
image paths), cuts them into shards of `SHARD_SIZE` and scores each shard as one `Analyzer.analyze_batch` call:

* ``local`` (the default): worker processes on this machine, each loading the models once;
* ``ray``: Ray Data, a pool of actors each loading the models once, on this machine or the cluster at
  ``address``. Ray is imported only for this engine.

The driver writes every scored shard as ``<output>.shards/shard-NNNNNN.jsonl``, first under a temporary name and
then renamed, so a shard file exists only when complete. ``resume`` keeps the complete shards and scores only the
photos they lack, identified by their key (path, or dataset location, split and row) and content hash; the final
output is assembled from the shards, each (key, hash) once. A photo that cannot be read gets a row with its error.
Both engines cut the same shards and score each the same way, so they write the same rows.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import logging
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .verdict import blocking, minor_issues

logger = logging.getLogger(__name__)
UNEXPECTED_DECODING_ERROR = "The file could not be decoded: its decoder failed in a way not foreseen (logged)."
SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".avif", ".bmp", ".tif", ".tiff", ".gif"}
LISTING_SUFFIXES = {".csv", ".parquet"}
LISTING_COLUMNS = ("path", "file", "image", "filename")  # the first of these a listing has names the images
SHARD_SIZE = 256
MODEL_BATCH = 32  # photos decoded and analysed together within a shard
OUTPUT_SUFFIXES = (".csv", ".jsonl", ".parquet")


@dataclass(frozen=True)
class Photo:
    """One photo to score: a file, or a row of a `datasets` dataset (``dataset`` is its folder or Hub id)."""

    key: str
    path: str | None = None
    dataset: str | None = None
    split: str | None = None
    row: int | None = None

    def read(self) -> bytes:
        if self.path is not None:
            return Path(self.path).read_bytes()
        image = _open_dataset(self.dataset)[self.split][self.row]["image"]
        if image.get("bytes") is None:
            return Path(image["path"]).read_bytes()
        return image["bytes"]


def _is_dataset_folder(path: Path) -> bool:
    return (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file()


_datasets: dict = {}


def _open_dataset(location: str):
    """The dataset at ``location`` (a `save_to_disk` folder or a Hub id) with undecoded images, opened once."""
    if location not in _datasets:
        require("datasets", f"Reading the dataset {location}")
        from datasets import DatasetDict, Image, load_dataset, load_from_disk

        found = load_from_disk(location) if Path(location).is_dir() else load_dataset(location)
        found = found if isinstance(found, DatasetDict) else DatasetDict({"train": found})
        _datasets[location] = DatasetDict({split: part.cast_column("image", Image(decode=False))
                                           for split, part in found.items()})
    return _datasets[location]


def _listing(path: Path) -> list[Photo]:
    if path.suffix == ".csv":
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        require("pyarrow", f"Reading the listing {path}")
        import pyarrow.parquet as parquet

        rows = parquet.read_table(path).to_pylist()
    column = next((name for name in LISTING_COLUMNS if rows and name in rows[0]), None)
    if column is None:
        raise ValueError(f"{path}: a listing needs a column named one of {', '.join(LISTING_COLUMNS)}")
    photos = []
    for row in rows:
        image = Path(str(row[column]))
        image = image if image.is_absolute() else path.parent / image
        photos.append(Photo(str(image), path=str(image)))
    return photos


def list_photos(locations: list[str], recursive: bool = False) -> list[Photo]:
    """Every photo the locations name, in a stable order (folders sorted), each once."""
    photos: list[Photo] = []
    for location in locations:
        path = Path(location)
        if (path.is_dir() and _is_dataset_folder(path)) or (not path.exists() and location.count("/") == 1):
            dataset = _open_dataset(location)
            photos += [Photo(f"{location}::{split}/{row}", dataset=location, split=split, row=row)
                       for split in dataset for row in range(len(dataset[split]))]
        elif path.is_dir():
            found = path.rglob("*") if recursive else path.iterdir()
            photos += [Photo(str(p), path=str(p)) for p in sorted(found) if p.is_file() and p.suffix.lower() in SUFFIXES]
        elif path.suffix.lower() in LISTING_SUFFIXES:
            photos += _listing(path)
        else:
            photos.append(Photo(str(path), path=str(path)))
    return list({photo.key: photo for photo in photos}.values())


def require(module: str, task: str) -> None:
    """Datasets and Parquet files need packages the runtime (requirements.txt) leaves out: say so before starting."""
    if importlib.util.find_spec(module) is None:
        raise ValueError(f"{task} needs the `{module}` package, which requirements.txt leaves out: "
                         f"pip install {module} (or pip install -r requirements-train.txt)")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- scoring one shard (in a worker or an actor)


class ShardScorer:
    """Scores shards with one `Analyzer`, loaded once; a shard's records are JSON-ready dicts in its order."""

    def __init__(self, settings: dict):
        from .analysis import Analyzer

        self.analyzer = Analyzer(settings.get("quality"), settings.get("defect"), settings.get("strictness"),
                                 settings.get("profile"))

    def score(self, photos: list[Photo]) -> list[dict]:
        """The shard in groups of `MODEL_BATCH`: only one group's decoded photos are in memory at a time."""
        return [record for start in range(0, len(photos), MODEL_BATCH)
                for record in self._score_group(photos[start:start + MODEL_BATCH])]

    def _score_group(self, photos: list[Photo]) -> list[dict]:
        from .images import ImageError, load_image

        records, arrays, readable = [], [], []
        for photo in photos:
            try:
                data = photo.read()
            except OSError as error:
                records.append({"file": photo.key, "sha256": None, "error": f"cannot read the file: {error}"})
                continue
            record = {"file": photo.key, "sha256": _digest(data)}
            try:
                arrays.append(load_image(data))
                readable.append(record)
            except ImageError as error:
                record["error"] = str(error)
            except Exception:  # a decoder's own bug: stopping would not help, a resumed run meets the file again
                logger.exception("decoding %s failed", photo.key)
                record["error"] = UNEXPECTED_DECODING_ERROR
            records.append(record)
        for record, report in zip(readable, self.analyzer.analyze_batch(arrays) if arrays else []):
            record["report"] = report.to_dict()
        return records

    def __call__(self, batch: dict) -> dict:
        """Ray Data's entry: a batch of one shard, as ``{"shard": [...], "photos": [json]}``."""
        photos = [Photo(**fields) for fields in json.loads(batch["photos"][0])]
        return {"shard": batch["shard"], "records": [json.dumps(self.score(photos))]}


_worker: ShardScorer | None = None


def _start_worker(settings: dict) -> None:
    global _worker
    import torch

    torch.set_num_threads(1)  # one core per worker process: workers, not threads, share the machine
    _worker = ShardScorer(settings)


def _score_in_worker(task: tuple[int, list[Photo]]) -> tuple[int, list[dict]]:
    number, photos = task
    return number, _worker.score(photos)


# ---------------------------------------------------------------- engines: shards in, scored shards out

Shard = tuple[int, list[Photo]]


def run_local(shards: list[Shard], settings: dict, workers: int) -> Iterator[tuple[int, list[dict]]]:
    if workers <= 1:
        scorer = ShardScorer(settings)
        for number, photos in shards:
            yield number, scorer.score(photos)
        return
    context = multiprocessing.get_context("spawn")  # no forked copies of torch's threads or LiteRT's state
    with context.Pool(workers, initializer=_start_worker, initargs=(settings,)) as pool:
        yield from pool.imap_unordered(_score_in_worker, shards)


def run_ray(shards: list[Shard], settings: dict, workers: int, address: str | None) -> Iterator[tuple[int, list[dict]]]:
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    items = [{"shard": number, "photos": json.dumps([asdict(photo) for photo in photos])} for number, photos in shards]
    scored = ray.data.from_items(items).map_batches(
        ShardScorer, fn_constructor_kwargs={"settings": settings}, batch_size=1, concurrency=workers, num_cpus=1,
        batch_format="numpy")
    for row in scored.iter_rows():
        yield int(row["shard"]), json.loads(row["records"])


ENGINES = ("local", "ray")


# ---------------------------------------------------------------- the run: shards on disk, resume, output


def shard_folder(output: Path) -> Path:
    return output.with_name(output.name + ".shards")


def _shard_files(folder: Path) -> dict[int, Path]:
    return {int(path.stem.split("-")[1]): path for path in sorted(folder.glob("shard-*.jsonl"))}


def _records(path: Path) -> Iterator[dict]:
    with path.open() as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _write_shard(folder: Path, number: int, records: list[dict]) -> None:
    final = folder / f"shard-{number:06d}.jsonl"
    partial = final.with_suffix(".jsonl.partial")
    partial.write_text("".join(json.dumps(record) + "\n" for record in records))
    os.replace(partial, final)  # a shard file exists only when all of it is written


def _pending(photos: list[Photo], done: set[tuple[str, str | None]]) -> list[Photo]:
    """The photos no complete shard holds, by key and content hash (a changed file is scored again)."""
    if not done:
        return photos
    done_keys = {key for key, _ in done}
    pending = []
    for photo in photos:
        if photo.key not in done_keys:
            pending.append(photo)
            continue
        try:
            digest = _digest(photo.read())
        except OSError:
            digest = None
        if (photo.key, digest) not in done:
            pending.append(photo)
    return pending


@dataclass
class RunSummary:
    scored: int = 0
    failed: int = 0
    skipped: int = 0  # already in complete shards (resume)
    seconds: float = 0.0
    verdicts: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def count(self, record: dict) -> None:
        report = record.get("report")
        if report is None:
            self.failed += 1
            return
        self.scored += 1
        self.verdicts[report["verdict"]] += 1
        self.reasons.update(reason["name"] for reason in blocking(report["reasons"]))

    def lines(self, strictness: str, profile: str) -> list[str]:
        rate = self.scored / self.seconds if self.seconds else 0.0
        lines = [f"{self.scored} analysed ({strictness}, {profile}): {self.verdicts['good']} good, "
                 f"{self.verdicts['bad']} bad; {self.failed} could not be read"
                 + (f"; {self.skipped} already scored (resumed)" if self.skipped else "")
                 + f". {rate:.1f} photos/s."]
        if self.reasons:
            lines.append("Top reasons: " + ", ".join(f"{name.replace('_', ' ')} {count}"
                                                     for name, count in self.reasons.most_common(5)))
        return lines


def score(photos: list[Photo], output: Path | None, settings: dict, engine: str = "local", workers: int = 1,
          address: str | None = None, resume: bool = False, shard_size: int = SHARD_SIZE,
          on_record: Callable[[dict], None] | None = None, stop_after: int | None = None) -> RunSummary:
    """Score ``photos`` into ``output`` (.csv, .jsonl or .parquet; None: only ``on_record``) with an engine.

    ``stop_after`` ends the run after that many shards are written, as a crash would (for tests and demos)."""
    from tqdm.auto import tqdm

    folder = shard_folder(output) if output else None
    done: set[tuple[str, str | None]] = set()
    first = 0
    if folder:
        if folder.exists() and not resume:
            for old in folder.glob("shard-*"):
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        existing = _shard_files(folder)
        done = {(record["file"], record.get("sha256")) for path in existing.values() for record in _records(path)}
        first = max(existing, default=-1) + 1
    pending = _pending(photos, done)
    shards = [(first + i, pending[start:start + shard_size])
              for i, start in enumerate(range(0, len(pending), shard_size))]
    run = run_ray(shards, settings, workers, address) if engine == "ray" else run_local(shards, settings, workers)
    summary = RunSummary(skipped=len(photos) - len(pending))
    start, written = time.perf_counter(), 0
    progress = tqdm(total=len(pending), unit="photo", file=sys.stderr, disable=len(pending) < 2)
    for number, records in run:
        if folder:
            _write_shard(folder, number, records)
        for record in records:
            summary.count(record)
            if on_record:
                on_record(record)
        progress.update(len(records))
        written += 1
        if stop_after is not None and written >= stop_after:
            break
    progress.close()
    summary.seconds = time.perf_counter() - start
    if output:
        write_output(output, unique(record for path in _shard_files(folder).values() for record in _records(path)))
    return summary


def unique(records) -> Iterator[dict]:
    """Each (file, content hash) once, in shard order."""
    seen = set()
    for record in records:
        identity = (record["file"], record.get("sha256"))
        if identity not in seen:
            seen.add(identity)
            yield record


def flat_columns() -> list[str]:
    from .defects import DEFECT_NAMES
    from .measures import MEASURES

    return (["file", "sha256", "verdict", "p_bad", "usable", "strictness", "profile", "face", "reasons",
             "minor_issues", "failed_checks", "defects"] + [f"p_{name}" for name in DEFECT_NAMES]
            + [f"{name}_score" for name in MEASURES] + ["suggestions", "error"])


def flat_row(record: dict) -> dict:
    """One CSV or Parquet row: the verdict, its reasons, every defect's probability and every bar's score."""
    from .analysis import found_defects  # imports the models' code: only where rows are written

    row = dict.fromkeys(flat_columns())
    row.update(file=record["file"], sha256=record.get("sha256"), error=record.get("error"))
    report = record.get("report")
    if report is None:
        return row
    row.update({"verdict": report["verdict"], "p_bad": report["p_bad"], "usable": report["usable"],
                "strictness": report["strictness"], "profile": report["profile"],
                "face": report["face"]["outcome"],
                "reasons": ";".join(reason["name"] for reason in blocking(report["reasons"])),
                "minor_issues": ";".join(reason["name"] for reason in minor_issues(report["reasons"])),
                "failed_checks": ";".join(name for name, check in report["checks"].items() if not check["passed"]),
                "defects": ";".join(found_defects(report["defects"])),
                "suggestions": " | ".join(report["suggestions"])})
    row.update({f"p_{name}": p for name, p in report["defects"].items()})
    row.update({f"{name}_score": bar["score"] for name, bar in report["measures"].items()})
    return row


def write_output(output: Path, records) -> None:
    """The rows by the output's suffix, streamed: JSONL keeps whole reports, CSV and Parquet flat rows. Written
    under a temporary name, then renamed."""
    partial = output.with_name(output.name + ".partial")
    if output.suffix == ".jsonl":
        with partial.open("w") as handle:
            for record in records:
                handle.write(json.dumps(record) + "\n")
    elif output.suffix == ".csv":
        with partial.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=flat_columns())
            writer.writeheader()
            writer.writerows(flat_row(record) for record in records)
    else:
        import pyarrow as arrow
        import pyarrow.parquet as parquet

        schema = arrow.schema([(name, arrow.bool_() if name == "usable" else arrow.float64()
                                if name == "p_bad" or name.startswith("p_") or name.endswith("_score") else arrow.string())
                               for name in flat_columns()])
        with parquet.ParquetWriter(partial, schema) as writer:
            rows = []
            for record in records:
                rows.append(flat_row(record))
                if len(rows) == SHARD_SIZE:
                    writer.write_table(arrow.Table.from_pylist(rows, schema=schema))
                    rows = []
            writer.write_table(arrow.Table.from_pylist(rows, schema=schema))
    os.replace(partial, output)
