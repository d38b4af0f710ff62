"""Photos per second of batch scoring: the local engine with 1 and 2 workers, Ray with 1 and 2 actors.

    python -m benchmarks.batch [--faces ../shared/utkface/images] [--count 1000]

Every configuration scores the same faces into its own output (JSONL); its time is the whole run's, workers
starting and models loading included (Ray's own start is not). Prints a Markdown table. Not a test: timings depend on the machine.
"""

import argparse
import tempfile
import time
from pathlib import Path

from pixelperfect.batch import list_photos, score

SETTINGS = {"strictness": "standard", "profile": "photo"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=Path("../shared/utkface/images"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--shard-size", type=int, default=64)
    parser.add_argument("--runs", nargs="+", default=["local:1", "local:2", "ray:1", "ray:2"],
                        help="engine:workers pairs")
    args = parser.parse_args()
    photos = list_photos([str(args.faces)])[: args.count]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for run in args.runs:
            engine, workers = run.split(":")
            if engine == "ray":
                import ray

                ray.init(num_cpus=max(2, int(workers)), include_dashboard=False, log_to_driver=False)
            start = time.perf_counter()
            summary = score(photos, Path(folder) / f"{engine}-{workers}.jsonl", SETTINGS, engine=engine,
                            workers=int(workers), shard_size=args.shard_size)
            seconds = time.perf_counter() - start
            if engine == "ray":
                ray.shutdown()
            rows.append((engine, workers, summary.scored + summary.failed, seconds))
    print(f"{len(photos)} faces from {args.faces}, shards of {args.shard_size}\n")
    print("| engine | workers / actors | photos | seconds (models loading included) | photos/s |")
    print("|---|---|---|---|---|")
    for engine, workers, count, seconds in rows:
        print(f"| {engine} | {workers} | {count} | {seconds:.1f} | {count / seconds:.1f} |")


if __name__ == "__main__":
    main()
