"""The published Space, run the way the Hub builds it, and its cold start.

    python -m benchmarks.space [--dataset data/faces] [--runs 3]

Writes the publication with ``publish.py --dry-run`` (owner ``pixelperfect-local``), lays its model repos out as the
Hub's cache (`release.seed_hub_cache`), builds a virtual environment from the Space's ``requirements.txt`` alone
(kept under ``~/.cache/pixelperfect/space-venvs``, one per content of that file), then starts the Space's
``app.py`` in its own process, offline, with a fresh home folder, so that every model comes by Hub id from that
cache. Prints a table: the venv's size, ``import app``, and from ``python app.py`` to the server answering and to
the first answered ``/analyze``. `tests/test_space.py` drives the same steps. Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from benchmarks.soak import free_port
from pixelperfect.sources import cache_folder
from pixelperfect.training.release import plan, seed_hub_cache, write_repos

ROOT = Path(__file__).resolve().parent.parent
OWNER = "pixelperfect-local"


def publication(root: Path, dataset: Path | None) -> dict:
    """The dry-run folders, written as ``publish.py --owner OWNER --dry-run root`` writes them."""
    return write_repos(OWNER, root, ROOT / "models" / "quality", ROOT / "models" / "defect", dataset)


def space_venv(requirements: Path) -> Path:
    """A virtual environment with the Space's requirements and nothing else, built once per content of that file."""
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = cache_folder() / "space-venvs" / digest
    if not (venv / "ready").is_file():
        subprocess.run([sys._base_executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
        subprocess.run(pip + ["install", "-r", str(requirements)], check=True)
        (venv / "ready").write_text("")
    return venv


def space_environment(hub_cache: Path, home: Path) -> dict[str, str]:
    """What the Space's process sees: the Hub offline with only the seeded cache, and an empty home, so no face
    model or example made on this machine can stand in for the published ones."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hub_cache), "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(home / "gradio"), "PYTHONUNBUFFERED": "1"}


@contextmanager
def running_space(space: Path, venv: Path, hub_cache: Path, timeout: float = 300):
    """``python app.py`` in the Space folder, in its own process; yields (url, seconds until it answered, log)."""
    home = Path(tempfile.mkdtemp(prefix="pixelperfect-space-home-"))
    port = free_port()
    log = home / "app.log"
    environment = {**space_environment(hub_cache, home), "GRADIO_SERVER_PORT": str(port)}
    started = time.perf_counter()
    with log.open("w") as output:
        server = subprocess.Popen([str(venv / "bin" / "python"), "app.py"], cwd=space, env=environment,
                                  stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the Space exited ({server.returncode}):\n{log.read_text()[-3000:]}")
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"the Space did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield url, time.perf_counter() - started, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def import_seconds(space: Path, venv: Path, hub_cache: Path) -> float:
    home = Path(tempfile.mkdtemp(prefix="pixelperfect-space-home-"))
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=space, capture_output=True, text=True,
                          env=space_environment(hub_cache, home), check=True)
    return float(done.stdout.strip().splitlines()[-1])


def folder_mb(folder: Path) -> float:
    return sum(path.lstat().st_size for path in folder.rglob("*")) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="degrade.py's output to publish too (default: none)")
    parser.add_argument("--runs", type=int, default=3, help="cold starts to time")
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    from pixelperfect.examples import grace_hopper
    from PIL import Image

    work = Path(tempfile.mkdtemp(prefix="pixelperfect-space-"))
    repos = publication(work / "publication", args.dataset)
    hub_cache = work / "hub"
    seed_hub_cache(repos, hub_cache)
    space = plan(OWNER, work / "publication")["space"].folder
    started = time.perf_counter()
    venv = space_venv(space / "requirements.txt")
    venv_seconds = time.perf_counter() - started
    photo = work / "grace_hopper.jpg"
    Image.fromarray(grace_hopper()).save(photo, quality=95)

    print(f"Space venv: {folder_mb(venv) / 1000:.2f} GB ({venv_seconds:.0f} s to build or reuse)")
    print("| run | import app (s) | python app.py → server answers (s) | → first /analyze answered (s) | "
          "that /analyze alone (s) |")
    print("|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        imported = import_seconds(space, venv, hub_cache)
        launched = time.perf_counter()
        with running_space(space, venv, hub_cache) as (url, up, _):
            asked = time.perf_counter()
            report = Client(url, verbose=False).predict(handle_file(str(photo)), api_name="/analyze")
            answered = time.perf_counter()
        assert report["face"]["found"], report
        print(f"| {run} | {imported:.1f} | {up:.1f} | {answered - launched:.1f} | {answered - asked:.2f} |")


if __name__ == "__main__":
    main()
