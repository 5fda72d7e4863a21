"""`pipdream avr-sim`: the ATmega328p firmware in simavr from the command line."""

from __future__ import annotations

import json

import pytest
from pipdream import avr
from pipdream.cli import main


def test_a_forced_roll_writes_a_png_and_a_log_that_match_the_reference(tmp_path, capsys):
    assert main(["avr-sim", "--rolls", "1", "--face", "3", "--angle", "-42", "--out", str(tmp_path)]) == 0
    log = json.loads((tmp_path / "rolls.json").read_text())
    (roll,) = log["rolls"]
    assert (roll["face"], roll["angle"]) == (3, -42)
    assert roll["display_matches_reference"] and roll["image_matches_reference"]
    assert (tmp_path / roll["png"]).stat().st_size > 0
    assert roll["cycles"] > 1_000_000 and abs(roll["cycles"] - roll["sim_cycles"]) < 1000
    tumble = roll["tumble"]  # the animation before the face: an animated GIF, each frame checked
    assert tumble["frames"] and all(f["display_matches_reference"] and f["image_matches_reference"]
                                    for f in tumble["frames"])
    assert (tmp_path / tumble["gif"]).stat().st_size > 0
    assert "roll 1: face 3, angle -42" in capsys.readouterr().out


def test_button_rolls_without_a_display_still_report(tmp_path):
    assert main(["avr-sim", "--rolls", "2", "--no-display", "--out", str(tmp_path)]) == 0
    log = json.loads((tmp_path / "rolls.json").read_text())
    assert [r["display"] for r in log["rolls"]] == ["none", "none"]
    assert all("png" not in r for r in log["rolls"])


@pytest.mark.parametrize("args, message", [
    (["--face", "3"], "--face and --angle go together"),
    (["--face", "9", "--angle", "0"], "--face must be 1..6"),
    (["--face", "2", "--angle", "128"], "--angle must be -127..127"),
    (["--rolls", "0"], "--rolls must be 1..200"),
    (["--blob", "/nonexistent.blob"], "blob not found"),
])
def test_bad_options_get_one_clear_line(tmp_path, capsys, args, message):
    assert main(["avr-sim", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_corrupt_blob_is_refused_before_anything_is_built(tmp_path, capsys, shipped_blob):
    bad = tmp_path / "bad.blob"
    bad.write_bytes(shipped_blob[:-1] + bytes([shipped_blob[-1] ^ 1]))
    assert main(["avr-sim", "--blob", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "crc" in err.lower() and not (tmp_path / "out").exists()


def test_a_forced_roll_reports_the_cycles_of_the_shipped_build(tmp_path, capsys):
    """The forced roll's image rows (test hook) are printed with Timer1's count and the busy
    LED set aside: its cycles, simavr's, the tumble's and the whole roll's time are those
    the shipped firmware takes for the same image; the dump is reported on its own."""
    shipped = avr.run_sim(avr.build_firmware(), tmp_path / "shipped", rolls=1).rolls[0]
    args = ["--face", str(shipped.face), "--angle", str(shipped.angle)]
    assert main(["avr-sim", "--rolls", "1", *args, "--out", str(tmp_path / "forced")]) == 0
    (roll,) = json.loads((tmp_path / "forced" / "rolls.json").read_text())["rolls"]
    assert roll["image_matches_reference"]
    assert roll["cycles"] == pytest.approx(shipped.cycles, rel=0.002)
    assert abs(roll["cycles"] - roll["sim_cycles"]) < 1000
    assert roll["dump_cycles"] > 1_000_000  # about a third of the image's time, not counted
    assert roll["ms_at_16mhz"] == pytest.approx(1000 * shipped.cycles / avr.F_CPU, rel=0.002)
    worst = max(f.cycles for f in shipped.frames)
    assert roll["tumble"]["worst_frame_cycles"] == pytest.approx(worst, rel=0.02)
    whole_ms = 1000 * (shipped.done - shipped.frames[0].led_on) / avr.F_CPU
    assert roll["tumble"]["roll_ms_at_16mhz"] == pytest.approx(whole_ms, rel=0.02)
    out = capsys.readouterr().out
    assert f"{roll['cycles']:,} cycles ({roll['ms_at_16mhz']} ms at 16 MHz;" in out
    assert f"row dump, {roll['dump_cycles']:,} more, is left out" in out
