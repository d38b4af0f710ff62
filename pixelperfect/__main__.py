"""Score many photos from the command line, on this machine or on a Ray cluster.

    python -m pixelperfect PATH... [--output results.csv|.jsonl|.parquet] [--resume]
                                   [--engine local|ray] [--workers N] [--address ADDR]
                                   [--strictness lenient|standard|strict] [--profile photo|id] [--recursive]

PATH is a photo, a folder of photos, a `datasets` folder (save_to_disk) or Hub id, or a .csv/.parquet listing
of image paths. Each photo gets a line; with --output every result is also written, in shards that make an
interrupted run resumable (--resume scores only what is missing). A photo that cannot be read gets a row with
its error. Exits non-zero only when nothing could be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .batch import ENGINES, OUTPUT_SUFFIXES, SHARD_SIZE, list_photos, require, score
from .sources import named_source
from .verdict import DEFAULT_PROFILE, DEFAULT_STRICTNESS, PROFILES, STRICTNESS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelperfect", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="photos, folders, a datasets folder or Hub id, or a listing")
    parser.add_argument("--recursive", "-r", action="store_true", help="look into sub-folders too")
    parser.add_argument("--output", "-o", type=Path, help="write every result to a .csv, .jsonl or .parquet file")
    parser.add_argument("--resume", action="store_true", help="keep the shards of an earlier run into --output "
                                                              "and score only the photos they lack")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="local: worker processes here; ray: Ray Data actors, here or on --address")
    parser.add_argument("--workers", type=int, default=1, help="worker processes or Ray actors (one model each)")
    parser.add_argument("--address", help="a Ray cluster to join (ray engine; default: start one here)")
    parser.add_argument("--shard-size", type=int, default=SHARD_SIZE, help="photos per shard")
    parser.add_argument("--strictness", choices=list(STRICTNESS), default=DEFAULT_STRICTNESS,
                        help="lenient (a profile picture), standard, or strict (an identity document)")
    parser.add_argument("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE,
                        help="photo (technical quality) or id (also head pose, eyes, mouth, expression, size, "
                             "centring, one face, plain background, light on the face, head size, no dark lenses)")
    parser.add_argument("--quality-model", help="local folder or Hub id (default: the bundled model)")
    parser.add_argument("--defect-model", help="local folder or Hub id (default: the bundled model)")
    args = parser.parse_args(argv)
    if args.output and args.output.suffix not in OUTPUT_SUFFIXES:
        parser.error(f"--output must end in {', '.join(OUTPUT_SUFFIXES)}")
    if args.resume and not args.output:
        parser.error("--resume needs --output")

    from .analysis import summary_line

    try:
        if args.output and args.output.suffix == ".parquet":
            require("pyarrow", "Writing Parquet")
        photos = list_photos(args.paths, args.recursive)
    except ValueError as error:  # a listing without a path column, or a package the runtime leaves out
        parser.error(str(error))
    settings = {"quality": args.quality_model or named_source("quality"),  # as the driver sees them
                "defect": args.defect_model or named_source("defect"),
                "strictness": args.strictness, "profile": args.profile}

    def show(record: dict) -> None:
        said = summary_line(record["report"]) if "report" in record else record["error"]
        print(f"{record['file']}: {said}", file=sys.stderr)

    summary = score(photos, args.output, settings, engine=args.engine, workers=args.workers, address=args.address,
                    resume=args.resume, shard_size=args.shard_size, on_record=show)
    print("\n" + "\n".join(summary.lines(args.strictness, args.profile)))
    if args.output:
        print(f"Results written to {args.output}")
    return 0 if summary.scored or summary.skipped else 1


if __name__ == "__main__":
    sys.exit(main())
