"""The verdict is coherent: "bad" always says why, suggestions follow the reasons, strictness orders verdicts,
and a face with little real detail is flagged however large it is stored."""

import numpy as np
import pytest
from PIL import Image

from pixelperfect import Analyzer, ImageError
from pixelperfect.advice import MORE_PIXELS, STEADY, advice_for
from pixelperfect.defects import DEFECT_NAMES
from pixelperfect.measures import MEASURES
from pixelperfect.training.degradations import apply_defect
from pixelperfect.verdict import STRICTNESS, Reason, judge, strictness_level

LEVELS = list(STRICTNESS.values())
FACE_OUTCOMES = ("one", "one", "one", "none", "several", "too_small", "cut_off")


def random_evidence(rng):
    """Model outputs, bars and face outcomes of every kind, from clean to hopeless."""
    defects = {name: float(rng.beta(0.3, 2.0)) for name in DEFECT_NAMES}
    measures = {name: {"value": 1.0, "score": float(rng.uniform(0, 100)), "level": "good"} for name in MEASURES}
    return defects, measures, str(rng.choice(FACE_OUTCOMES))


@pytest.fixture(scope="module")
def evidence_samples():
    rng = np.random.default_rng(0)
    return [random_evidence(rng) for _ in range(2000)]


def test_a_bad_verdict_always_names_its_reason_and_a_good_one_never_blocks(evidence_samples):
    for defects, measures, face in evidence_samples:
        for level in LEVELS:
            judgement = judge(defects, measures, face, "face message", level)
            blocking = [reason for reason in judgement.reasons if reason.blocking]
            assert (judgement.verdict == "bad") == bool(blocking) == (judgement.p_bad >= level.threshold)
            # Every blocking reason makes the photo bad by itself, and a defect is quoted at its own probability.
            assert all(reason.weight >= level.threshold for reason in blocking)
            for reason in judgement.reasons:
                if reason.kind == "defect":
                    assert reason.weight == pytest.approx(defects[reason.name], abs=1e-4)
                    assert f"({defects[reason.name]:.0%} likely)" in reason.text
            # A defect the model is sure of never passes silently: it makes the photo bad or is a minor issue.
            for name, probability in defects.items():
                if probability >= 0.5:
                    assert any(reason.name == name for reason in judgement.reasons), (name, level.name)


def test_strictness_levels_order_their_verdicts(evidence_samples):
    bad_counts = []
    for level in LEVELS:
        verdicts = [judge(*sample, "", level).verdict == "bad" for sample in evidence_samples]
        bad_counts.append(sum(verdicts))
        if len(bad_counts) > 1:  # whatever a milder level rejects, a stricter one rejects too
            assert all(now or not before for before, now in zip(previous, verdicts))
        previous = verdicts
    assert bad_counts[0] < bad_counts[1] < bad_counts[2]


def test_a_defect_below_half_is_never_the_stated_cause_of_a_bad_photo(face_crops, monkeypatch):
    """The false alarm a person could see was false: the quality model sure the photo is bad, the defect model giving
    "transmission" 37 %. Neither makes it bad; at strict, where 37 % is enough by itself, it is named at 37 %."""
    good_bars = {name: {"value": 1.0, "score": 90.0, "level": "good"} for name in MEASURES}
    unsure = {**{name: 0.02 for name in DEFECT_NAMES}, "transmission": 0.37}
    standard = judge(unsure, good_bars, "one", "", strictness_level("standard"))
    assert standard.verdict == "good" and standard.p_bad == pytest.approx(0.37)
    assert [(r.name, r.blocking) for r in standard.reasons] == [("transmission", False)]  # a minor issue
    strict = judge(unsure, good_bars, "one", "", strictness_level("strict"))
    assert strict.verdict == "bad" and strict.reasons[0].text == "transmission (37% likely)"

    # Through the Analyzer: whatever the quality model says, it alone decides nothing.
    analyzer = Analyzer()
    sure = analyzer.analyze(face_crops["grace_hopper"])
    quality = analyzer.quality_model
    monkeypatch.setattr(quality, "_probabilities", lambda logits: np.tile([0.02, 0.98], (len(logits), 1)))
    alarmed = analyzer.analyze(face_crops["grace_hopper"])
    assert alarmed.quality_model_p_bad == pytest.approx(0.98)
    assert (alarmed.verdict, alarmed.p_bad, alarmed.reasons) == (sure.verdict, sure.p_bad, sure.reasons)


def test_unknown_strictness_is_a_clear_error():
    with pytest.raises(ImageError, match="lenient, standard, strict"):
        Analyzer(strictness="very")


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer()


def test_a_blurred_portrait_gets_advice_for_softness_only(analyzer, grace_hopper):
    """It used to get four suggestions: colour and lighting besides blur."""
    blurred = apply_defect(grace_hopper, "blur", 2, np.random.default_rng(0), "gaussian")[0]
    report = analyzer.analyze(blurred)
    assert report.verdict == "bad" and "blur" in [reason["name"] for reason in report.blocking]
    # Blur and an enlarged small picture look alike (both soft): either advice may come, nothing else.
    assert STEADY.text in report.suggestions and set(report.suggestions) <= {STEADY.text, MORE_PIXELS.text}


def test_suggestions_come_from_the_reasons(analyzer, astronaut, grace_hopper):
    rng = np.random.default_rng(1)
    photos = [astronaut, grace_hopper] + [apply_defect(grace_hopper, name, 2, rng)[0] for name in DEFECT_NAMES]
    for report in analyzer.analyze_batch(photos):
        reasons = [Reason(**reason) for reason in report.reasons]
        expected = {reason.text for reason in reasons if reason.kind == "face"}
        expected |= {advice.text for advice in (advice_for(reason, report.measures) for reason in reasons) if advice}
        assert set(report.suggestions) == expected
        if report.verdict == "bad":
            assert report.blocking


def test_a_big_face_with_little_detail_is_flagged_as_soft(analyzer, grace_hopper):
    """The same face at its own size, and shrunk to a thumbnail then enlarged to four times that size."""
    sharp = Image.fromarray(grace_hopper)
    thumbnail = sharp.resize((sharp.width // 4, sharp.height // 4), Image.Resampling.BOX)
    enlarged = np.asarray(thumbnail.resize((sharp.width * 2, sharp.height * 2), Image.Resampling.BICUBIC))
    original, soft = analyzer.analyze_batch([grace_hopper, enlarged])
    assert soft.size[0] > original.size[0]  # more pixels ...
    assert soft.measures["clarity"]["level"] == "poor" and original.measures["clarity"]["level"] != "poor"
    assert soft.verdict == "bad" and "clarity" in [reason["name"] for reason in soft.blocking]  # ... less detail


def test_strictness_reaches_the_report(analyzer, grace_hopper):
    levels = {name: analyzer.analyze(grace_hopper, strictness=name) for name in STRICTNESS}
    assert {name: report.strictness for name, report in levels.items()} == {name: name for name in STRICTNESS}
    # The models' outputs do not depend on the level; only how they are weighed does.
    assert len({(report.quality_model_p_bad, tuple(report.defects.values())) for report in levels.values()}) == 1
    order = [report.verdict == "bad" for report in levels.values()]
    assert order == sorted(order)  # lenient, standard, strict: once bad, bad at every stricter level


def test_the_real_photo_benchmark_runs_on_a_folder_like_the_yardstick(tmp_path, grace_hopper, capsys):
    from benchmarks import real

    sharp = Image.fromarray(grace_hopper)
    thumbnail = sharp.resize((sharp.width // 5, sharp.height // 5), Image.Resampling.BOX)
    files = {"good/grace.png": sharp, "good/grace_mirrored.jpg": sharp.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
             "lowquality/grace_enlarged.png": thumbnail.resize((sharp.width * 2, sharp.height * 2),
                                                              Image.Resampling.BICUBIC)}
    for height in (120, 300, 600):
        files[f"resolution_series/grace-{height}p.png"] = sharp.resize((sharp.width * height // sharp.height, height))
    lines = ["path,kind,source_repo"]
    for path, image in files.items():
        (tmp_path / path).parent.mkdir(exist_ok=True)
        image.save(tmp_path / path)
        lines.append(f"{path},{path.split('/')[0]},test")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")

    by_level = real.main(["--folder", str(tmp_path), "--files", "--strictness", "standard"])
    printed = capsys.readouterr().out
    summary = real.summary(by_level["standard"])
    assert summary["good accepted"] == (2, 2) and summary["low quality flagged"] == (1, 1)
    assert summary["bad verdicts believable"][0] == summary["bad verdicts believable"][1] >= 1
    assert len(summary["p_bad along the series"]) == 3
    assert summary["auc"] == 1.0  # the enlarged thumbnail's p_bad is above both sharp photos'
    assert "grace_enlarged.png | bad | no |" in printed
    assert "| standard | all | 2/2 (1.00, 0.34–1.00) | 1/1 (1.00, 0.21–1.00) (1) |" in printed
