"""Build the face-quality dataset: face photos plus degraded copies from the defect registry.

    python degrade.py --source ../shared/utkface/images --output data/faces [--seed 0] [--limit N]
                      [--workers N] [--push-to-hub USER/NAME [--private]]
"""

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from pixelperfect.training.dataset import build, dataset_card, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, type=Path, help="folder of face photos (UTKFace names parsed)")
    parser.add_argument("--output", required=True, type=Path, help="where to save_to_disk the DatasetDict")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="use only this many source photos (a seeded sample)")
    parser.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also push the dataset and its card to the Hub")
    parser.add_argument("--private", action="store_true", help="make the pushed dataset private")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"--source {args.source} is not a folder")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.output.parent, prefix=".degrade-cache-") as cache:
        dataset, stats = build(args.source, seed=args.seed, limit=args.limit, workers=args.workers, cache_dir=cache)
        if not stats.rows:
            sys.exit(f"no readable photos in {args.source}")
        if args.output.exists():
            shutil.rmtree(args.output)
        dataset.save_to_disk(str(args.output))
    command = "python degrade.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    card = dataset_card(stats, command)
    (args.output / "README.md").write_text(card)
    print(summary(stats))

    if args.push_to_hub:
        from huggingface_hub import HfApi

        from pixelperfect.training.release import Repo, upload, write_dataset

        with tempfile.TemporaryDirectory(prefix="pixelperfect-dataset-") as folder:
            repo = Repo(args.push_to_hub, "dataset", Path(folder))
            write_dataset(args.output, repo)  # as publish.py uploads it: Parquet shards and the card
            upload(repo, HfApi(), private=args.private)
        print(f"pushed to https://huggingface.co/datasets/{args.push_to_hub}")


if __name__ == "__main__":
    main()
