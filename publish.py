"""Publish PixelPerfect on the Hugging Face Hub: both models, the face models, the dataset and the Space.

    python publish.py --owner NAME [--dataset data/faces] [--private]      # needs `huggingface-cli login` or HF_TOKEN
    python publish.py --owner NAME --dry-run DIR                          # write the folders only, upload nothing

Repos: NAME/pixelperfect-quality, NAME/pixelperfect-defect, NAME/pixelperfect-face-models (models),
NAME/pixelperfect-faces (dataset) and NAME/pixelperfect (Space), which loads the models by these ids.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from pixelperfect.training.release import publish, write_repos


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owner", required=True, help="Hub user or organisation that will own the repos")
    parser.add_argument("--quality", type=Path, default=Path("models/quality"), help="the quality model's folder")
    parser.add_argument("--defect", type=Path, default=Path("models/defect"), help="the defect model's folder")
    parser.add_argument("--dataset", type=Path, default=Path("data/faces"),
                        help="degrade.py's output folder (save_to_disk)")
    parser.add_argument("--no-dataset", action="store_true", help="publish the models and the Space only")
    parser.add_argument("--space-name", default="pixelperfect")
    parser.add_argument("--private", action="store_true", help="make every repo private")
    parser.add_argument("--dry-run", metavar="DIR", type=Path, help="write the folders to DIR and upload nothing")
    parser.add_argument("--token", help="Hub token (default: the logged-in one, or HF_TOKEN)")
    args = parser.parse_args(argv)
    for folder in (args.quality, args.defect):
        if not (folder / "config.json").is_file():
            parser.error(f"{folder} is not a trained model folder")
    dataset = None if args.no_dataset else args.dataset
    if dataset is not None and not (dataset / "dataset_dict.json").is_file():
        parser.error(f"{dataset} is not degrade.py's output: build it (README, 'Build the dataset') or --no-dataset")

    with tempfile.TemporaryDirectory(prefix="pixelperfect-publish-") as work:
        root = args.dry_run or Path(work)
        repos = write_repos(args.owner, root, args.quality, args.defect, dataset, args.space_name)
        if args.dry_run:
            for repo in repos.values():
                if repo.folder.is_dir():
                    print(f"{repo.repo_type:8} {repo.repo_id:40} {repo.folder}")
            return
        from huggingface_hub import HfApi

        commits = publish(repos, HfApi(token=args.token), private=args.private)
    for repo_id, commit in commits.items():
        print(f"{repo_id} @ {commit}")
    print(f"the Space: https://huggingface.co/spaces/{repos['space'].repo_id}", file=sys.stderr)


if __name__ == "__main__":
    main()
