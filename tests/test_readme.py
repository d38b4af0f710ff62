"""The README's tables come from the registries: a new defect or a re-fitted measure must show there."""

from pathlib import Path

from pixelperfect.defects import DEFECT_NAMES, DEFECTS
from pixelperfect.images import MAX_MEGAPIXELS, MAX_UPLOAD_MB
from pixelperfect.training.calibration import table
from pixelperfect.training.degradations import DEGRADATIONS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_measure_table_matches_the_calibration():
    assert table() in README


def test_defect_table_matches_the_registry():
    for name in DEFECT_NAMES:
        row = f"| `{name}` | {DEFECTS[name]} | {', '.join(v.name for v in DEGRADATIONS[name].variants)} |"
        assert row in README, row


def test_limits_and_commands_are_documented():
    assert f"{MAX_UPLOAD_MB} MB per file, {MAX_MEGAPIXELS} megapixels" in README
    assert "bash .ci/run" in README and "python app.py" in README
    assert 'api_name="/analyze"' in README and 'api_name="/analyze_batch"' in README
