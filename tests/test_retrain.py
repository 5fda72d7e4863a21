"""`pipdream retrain`: a style file to a blob, each stage's files in the run's own folder, every
figure about the user's model, resumable after an interrupt, and nothing in models/ touched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from pipdream import paths, retrain, style
from pipdream.cli import main
from support.retrained import TINY

STYLES = paths.CHECKOUT / "host/pipdream/styles" if paths.CHECKOUT else Path(style.SHIPPED_FILE).parent
STAGE_FILES = ["style.toml", "preview.png", "style_check.json", "eval.pt", "eval_metrics.json", "decoder.pt",
               "decoder_metrics.json", "decoder_q.pt", "decoder_q_metrics.json", "decoder_l_q.pt",
               "decoder_l_q_metrics.json", "model.blob", "model_metrics.json", "retrain.json"]


def models_digest() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths.MODELS.iterdir())
            if p.is_file()}


class Interrupt:
    """A log that stops the run (as Ctrl-C would) when a stage is about to start."""

    def __init__(self, at: str | None) -> None:
        self.at, self.lines = at, []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if self.at and line.endswith(f"] {self.at}"):
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """An inverted style's tiny run, stopped before QAT, then the same call again."""
    out = tmp_path_factory.mktemp("run") / "inverted"
    s = style.load(STYLES / "inverted.toml")
    models_before = models_digest()
    first = Interrupt("qat")
    with pytest.raises(KeyboardInterrupt):
        retrain.retrain(out, s, TINY, threads=1, log=first)
    kept = {name: (out / name).stat().st_mtime_ns for name in ("eval.pt", "decoder.pt")}
    second = Interrupt(None)
    metrics = retrain.retrain(out, s, TINY, threads=1, log=second)
    return {"out": out, "first": first.lines, "second": second.lines, "kept": kept, "metrics": metrics,
            "models_before": models_before, "models_after": models_digest()}


def test_every_stage_writes_its_own_files_under_the_run_folder(resumed):
    assert sorted(p.name for p in resumed["out"].iterdir()) == sorted(STAGE_FILES)


def test_a_run_stopped_in_a_stage_goes_on_from_the_last_finished_one(resumed):
    assert resumed["first"][-1] == "[4/7] qat"
    assert resumed["second"][0] == f"resuming in {resumed['out']}: 3 of 7 stages finished"
    assert [line for line in resumed["second"] if line.startswith("[")] == [
        "[4/7] qat", "[5/7] legibility", "[6/7] pack", "[7/7] evaluate"]
    out = resumed["out"]
    assert {name: (out / name).stat().st_mtime_ns for name in resumed["kept"]} == resumed["kept"]


def test_every_figure_is_about_the_users_model_and_style(resumed):
    m, out = resumed["metrics"], resumed["out"]
    assert m["path"] == str(out / "model.blob")
    assert m["float_checkpoint"] == str(out / "decoder.pt")
    assert m["eval_weights"] == str(out / "eval.pt")
    assert m["style"]["invert"] is True
    eval_metrics = json.loads((out / "eval_metrics.json").read_text())
    assert eval_metrics["style"]["invert"] is True  # the judge learned this style's dice
    assert m["blob_bytes"] == (out / "model.blob").stat().st_size
    assert set(m["boards"]) >= {"atmega328p_16mhz_ms", "rp2040_125mhz_ms", "fits_uno_flash"}
    table = retrain.table(m)
    assert "your float decoder" in table and "fits the Uno's flash" in table


def test_nothing_shipped_in_models_changes(resumed):
    assert resumed["models_after"] == resumed["models_before"]


def test_another_style_in_the_same_folder_is_refused_in_one_line(resumed):
    with pytest.raises(ValueError, match=r"other settings \(style pip_scale 1.0 -> 1.25") as err:
        retrain.Run(resumed["out"], style.Style(pip_scale=1.25, invert=True), TINY, 0, 1)
    assert "\n" not in str(err.value)


def test_a_folder_of_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(ValueError, match="is not empty and holds no retrain.json"):
        retrain.Run(tmp_path, style.SHIPPED, TINY, 0, 1)


def test_train_eval_run_bare_writes_nothing_and_the_shipped_judge_stays(capsys):
    before = models_digest()
    assert main(["train-eval", "--epochs", "1", "--n-train", "10", "--n-test", "10"]) == 2
    assert "--out" in capsys.readouterr().err
    assert models_digest() == before


def test_retrain_into_models_is_refused(capsys):
    before = models_digest()
    assert main(["retrain", "--quick", "--out", str(paths.MODELS / "mine")]) == 2
    assert "is in models/ (shipped)" in capsys.readouterr().err
    assert models_digest() == before and not (paths.MODELS / "mine").exists()


def test_a_style_that_the_judge_cannot_read_is_refused_before_training(tmp_path):
    tight = style.Style(pip_scale=1.35, corner_scale=1.5)  # passes the checks, but pips meet the outline
    with pytest.raises(ValueError, match="the judge reads only .* of this style's own renders"):
        retrain.retrain(tmp_path / "run", tight, TINY, threads=1, log=lambda line: None)
    assert not (tmp_path / "run" / "eval.pt").exists()


@pytest.mark.parametrize("name", ["big_pips", "inverted"])
def test_retrain_quick_gives_a_legible_blob_for_a_style_of_ones_own(name, tmp_path, capsys):
    """The slow tier: the real quick schedule, end to end through the command."""
    before = models_digest()
    out = tmp_path / name
    assert main(["retrain", "--quick", "--style", str(STYLES / f"{name}.toml"), "--out", str(out)]) == 0
    m = json.loads((out / "model_metrics.json").read_text())
    assert m["legible"] >= 0.99 and m["legible_1bit"] >= 0.99, m
    assert m["accuracy"] >= 0.99 and m["boards"]["fits_uno_flash"]
    assert "legible, greyscale / 1-bit" in capsys.readouterr().out
    assert models_digest() == before
