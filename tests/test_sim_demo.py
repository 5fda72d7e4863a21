"""`pipdream demo` end to end: the real app on the simulated Pico, pictures and rolls.json out."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from PIL import Image
from pipdream.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_rolls_and_writes_pictures_and_a_log(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--rolls", "2", "--seed", "11", "--out", str(out), "--show", "final"]) == 0
    printed = capsys.readouterr().out
    log = json.loads((out / "rolls.json").read_text())
    assert log["seed"] == 11 and log["board"] == "pico"
    assert log["display_problems"] == {"unknown_commands": [], "notes": []}
    assert [r["roll"] for r in log["rolls"]] == [1, 2]
    for r in log["rolls"]:
        assert 1 <= r["face"] <= 6 and -127 <= r["angle"] <= 127
        assert r["backend"] == "natmod"
        assert "backend natmod, plan full (16384 bytes of scratch)" in printed  # the Pico's budget fits it
        assert f"pipdream: roll {r['roll']}: {r['face']} (angle {r['angle']}," in printed  # the app said so
        assert r["frames"] >= 1 and len(r["frame_ms"]) == r["frames"] - 1
        # the summary line counts what the app drew, as its own console line does, and what the display
        # showed when a frame changed nothing
        shown = "" if r["frames"] == r["frames_app"] else f", {r['frames']} changed the display"
        assert f"backend natmod, {r['frames_app']} frames drawn{shown} (" in printed, printed
        # the bus ceiling of the tumble's die window (its 522 bytes a frame): not roll 1's full-screen clear
        window = statistics.mode(r["bus_bytes_per_frame"])
        assert window == 522 and r["i2c_ceiling_fps"] == round(log["i2c_hz"] / (9 * window), 1) == 85.1
        with Image.open(out / r["png"]) as png:
            assert png.size == (128 * 4, 64 * 4)
        with Image.open(out / r["gif"]) as gif:
            assert gif.n_frames == r["frames"]
    assert log["rolls"][0]["i2c_ceiling_fps"] == log["rolls"][1]["i2c_ceiling_fps"]
    assert (out / "title.png").is_file()
    assert "\u2502" in printed  # each roll's last frame drawn in the terminal


def test_the_same_seed_rolls_the_same_faces(tmp_path):
    logs = []
    for run in ("a", "b"):
        args = ["demo", "--rolls", "1", "--seed", "5", "--out", str(tmp_path / run), "--show", "none"]
        assert main(args) == 0
        logs.append(json.loads((tmp_path / run / "rolls.json").read_text())["rolls"][0])
    assert logs[0]["face"] == logs[1]["face"] and logs[0]["angle"] == logs[1]["angle"]


def test_the_esp32_board_module_runs_in_the_esp32_heap(tmp_path):
    out = tmp_path / "esp32"
    assert main(["demo", "--rolls", "1", "--board", "esp32", "--out", str(out), "--show", "none"]) == 0
    assert json.loads((out / "rolls.json").read_text())["rolls"][0]["backend"] == "natmod"


def test_a_corrupt_model_is_reported_and_the_demo_fails(tmp_path, capsys):
    blob = (ROOT / "models" / "default.blob").read_bytes()
    bad = tmp_path / "bad.blob"
    bad.write_bytes(blob[:-40] + bytes(40))  # a torn copy
    assert main(["demo", "--rolls", "1", "--model", str(bad), "--out", str(tmp_path / "o"),
                 "--show", "none"]) == 1
    captured = capsys.readouterr()
    assert "pipdream: no model: model.blob" in captured.out  # the app's own message
    assert "rolled without its model" in captured.err


def test_bad_options_get_one_clear_line(tmp_path, capsys):
    assert main(["demo", "--rolls", "0", "--out", str(tmp_path)]) == 2
    assert main(["demo", "--board", "uno", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--rolls must be 1..1000" in err and "--board must be one of" in err
    assert "Traceback" not in err
