"""The ATmega328p die as a device: button, sleep, missing display, and no test hook in the
shipped firmware. Everything runs in simavr with boards/atmega328p/sim/pd_sim.c driving the
pins (contact bounce included) and playing (or not playing) the SSD1306.
"""

from __future__ import annotations

import subprocess

import pytest
from pipdream import avr


def events(run, name):
    return [c for n, c, _ in run.events if n == name]


def test_without_a_display_the_die_keeps_rolling_and_reports_over_uart(tmp_path):
    run = avr.run_sim(avr.build_firmware(), tmp_path, rolls=3, display=False)
    assert run.info["found"] == "no"
    assert len(run.rolls) == 3
    assert [r.display for r in run.rolls] == ["none"] * 3
    assert all(1 <= r.face <= 6 and r.cycles > 1_000_000 for r in run.rolls)
    assert all(r.frames == [] for r in run.rolls)  # no tumble nobody would see
    # it looked for the display at both addresses, and nobody answered
    assert {t.addr for t in run.transactions} == {0x3C, 0x3D}
    assert not any(t.acked for t in run.transactions)


def test_each_bouncy_press_rolls_exactly_once(tmp_path):
    for seed in (1, 2, 3):
        run = avr.run_sim(avr.build_firmware(), tmp_path / str(seed), rolls=3, bounce_seed=seed)
        assert len(run.rolls) == 3
        assert len(events(run, "press")) == 3  # the harness presses again only after a roll
        for press, r in zip(events(run, "press"), run.rolls):
            # debounced: the roll starts at least 20 ms (320,000 cycles) after the first contact
            assert r.led_on - press >= 20 * 16_000


def test_a_tap_shorter_than_the_debounce_time_does_not_roll(tmp_path):
    run = avr.run_sim(avr.build_firmware(), tmp_path, rolls=1, hold_ms=8, max_seconds=1.5)
    assert events(run, "press") and run.rolls == []
    assert run.end_reason == "timeout"


def test_the_chip_sleeps_between_rolls(tmp_path):
    gap_ms = 400
    run = avr.run_sim(avr.build_firmware(), tmp_path, rolls=3, gap_ms=gap_ms)
    assert len(run.rolls) == 3
    idle = 3 * gap_ms * 16_000  # cycles from each "ready"/roll report to the next press
    assert run.info["sim_asleep"] >= 0.85 * idle, (run.info["sim_asleep"], idle)


def test_the_shipped_firmware_has_no_test_hook(tmp_path):
    elf = avr.build_firmware()
    names = subprocess.run(["avr-nm", str(elf)], check=True, capture_output=True, text=True).stdout
    assert "parse_forced" not in names and "uart_getc" not in names
    # a forcing command on the UART is ignored: the only roll is the button's, after the press
    run = avr.run_sim(elf, tmp_path, rolls=1, send="G 3 -42", gap_ms=200)
    assert len(run.rolls) == 1
    assert events(run, "send")[0] < events(run, "press")[0] < run.rolls[0].led_on


def test_with_a_display_each_press_tumbles_then_shows_the_rolled_face(tmp_path):
    run = avr.run_sim(avr.build_firmware(), tmp_path, rolls=2)
    n = int(run.info["frames"])
    for r in run.rolls:
        assert len(r.frames) == n and r.frames[-1].face == r.face
        # every frame is drawn (busy LED) before the rolled image, which is drawn last
        ends = [f.led_off for f in r.frames] + [r.led_off]
        assert ends == sorted(ends) and r.led_on > r.frames[-1].led_off


def test_the_tumble_is_left_out_with_tumble_0(tmp_path):
    elf = avr.build_firmware(tumble=False)
    names = subprocess.run(["avr-nm", str(elf)], check=True, capture_output=True, text=True).stdout
    assert "pd_fast_blob" not in names and "rng_tumble_face" not in names
    run = avr.run_sim(elf, tmp_path, rolls=1)
    assert "frames" not in run.info and run.rolls[0].frames == []


def flash(tumble: bool, baud: int) -> subprocess.CompletedProcess:
    """`make flash` with avrdude replaced by echo: the command it would run, or the refusal."""
    build = avr.default_build_dir(tumble=tumble)
    avr.build_firmware(tumble=tumble)
    return subprocess.run(["make", "-s", "-C", str(avr.BOARD), "flash", f"BUILD={build}",
                           f"TUMBLE={int(tumble)}", "AVRDUDE=echo", "PORT=/dev/ttyUSB7",
                           f"FLASH_BAUD={baud}"], capture_output=True, text=True)


def test_flash_runs_avrdude_through_the_arduino_bootloader():
    r = flash(tumble=True, baud=115200)  # Optiboot: Uno, new Nano
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["-p", "atmega328p", "-c", "arduino", "-P", "/dev/ttyUSB7", "-b", "115200",
                                "-D", "-U", f"flash:w:{avr.default_build_dir()}/pipdream.hex:i"]


def test_flash_refuses_a_firmware_the_old_nano_bootloader_has_no_room_for():
    r = flash(tumble=True, baud=57600)  # the old bootloader takes 2 KB: 30,720 bytes are left
    assert r.returncode != 0 and r.stdout == ""  # avrdude never ran
    assert "the bootloader leaves 30720" in r.stderr and "TUMBLE=0" in r.stderr
    r = flash(tumble=False, baud=57600)
    assert r.returncode == 0, r.stderr
    assert "-b 57600" in r.stdout and "notumble/pipdream.hex" in r.stdout


@pytest.mark.parametrize("var, message", [("TUMBLE=2", "TUMBLE must be 0 or 1"),
                                          ("IMPL=fast", "IMPL must be asm, dot or c")])
def test_a_bad_build_option_is_named(tmp_path, var, message):
    r = subprocess.run(["make", "-s", "-C", str(avr.BOARD), "elf", f"BUILD={tmp_path}", var],
                       capture_output=True, text=True)
    assert r.returncode != 0 and message in r.stderr
    assert not list(tmp_path.iterdir())  # refused before anything is built


def test_a_corrupt_fast_blob_is_refused_with_the_readers_message(tmp_path):
    bad = tmp_path / "bad.blob"
    bad.write_bytes(avr.FAST_BLOB.read_bytes()[:100])  # a torn copy
    r = subprocess.run(["make", "-s", "-C", str(avr.BOARD), "elf", f"BUILD={tmp_path / 'b'}",
                        f"FAST_BLOB={bad}"], capture_output=True, text=True)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "pipdream export-c: error: header.total_size" in r.stderr and "truncated" in r.stderr
    assert "fast_blob.h" in r.stderr  # make names which of the two blobs it was
    assert not (tmp_path / "b" / "pipdream.elf").exists()
