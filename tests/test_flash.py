"""pipdream flash: the esptool commands it builds are the ones MicroPython's download page gives,
and esptool's own command-line parser reads them as intended."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipdream.cli import CommandError, main
from pipdream.flash import esptool_commands, esptool_major

esptool = pytest.importorskip("esptool")


def parse_with_esptool(args: list[str]) -> tuple[dict, str, dict]:
    """Parse args with esptool's click CLI without running it: (global options, command, its options)."""
    cli = esptool.cli
    cli._esp = None  # what calling the group sets: no esp object supplied from outside
    ctx = cli.make_context("esptool", list(args))
    name, cmd, sub_args = cli.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
    sub = cmd.make_context(name, sub_args, parent=ctx)
    for f in getattr(ctx, "_open_files", []) + getattr(sub, "_open_files", []):
        f.close()
    return ctx.params, name, dict(sub.params)


@pytest.fixture
def firmware(tmp_path: Path) -> Path:
    fw = tmp_path / "ESP32_GENERIC-v1.25.0.bin"
    fw.write_bytes(bytes(range(256)) * 16)
    return fw


@pytest.mark.parametrize("chip, offset", [("esp32", 0x1000), ("esp32c3", 0x0), ("esp32s3", 0x0)])
def test_write_flash_puts_the_image_at_the_chips_bootloader_offset(chip, offset, firmware):
    (cmd,) = esptool_commands(chip, "/dev/ttyUSB0", firmware)
    assert cmd == ["--chip", chip, "--port", "/dev/ttyUSB0", "--baud", "460800",
                   "write-flash" if esptool_major() >= 5 else "write_flash", "-z", hex(offset), str(firmware)]
    if esptool_major() < 5:
        pytest.skip("the click parser below is esptool 5's")
    opts, name, params = parse_with_esptool(cmd)
    assert (opts["chip"], opts["port"], opts["baud"]) == (chip, "/dev/ttyUSB0", 460800)
    assert name == "write-flash"
    assert params["compress"] is True
    (addr, f), = params["addr_filename"]
    assert addr == offset and Path(f.name) == firmware


def test_erase_runs_erase_flash_first(firmware):
    erase, write = esptool_commands("esp32c3", "/dev/ttyACM0", firmware, erase=True, baud=921600)
    assert erase[:4] == ["--chip", "esp32c3", "--port", "/dev/ttyACM0"]
    assert write[write.index("--baud") + 1] == "921600"
    if esptool_major() >= 5:
        opts, name, _ = parse_with_esptool(erase)
        assert (name, opts["chip"]) == ("erase-flash", "esp32c3")


def test_a_missing_firmware_file_is_a_clear_error_before_esptool_runs(tmp_path):
    with pytest.raises(CommandError, match="not found: download the .bin"):
        esptool_commands("esp32", "/dev/ttyUSB0", tmp_path / "nope.bin")


def test_a_uf2_image_is_sent_to_the_rp2040_instructions(tmp_path):
    uf2 = tmp_path / "RPI_PICO.uf2"
    uf2.write_bytes(b"UF2\n" * 8)
    with pytest.raises(CommandError, match="RPI-RP2 drive"):
        esptool_commands("esp32", "/dev/ttyUSB0", uf2)


def test_the_cli_reports_a_missing_firmware_in_one_line(tmp_path, capsys):
    missing = tmp_path / "missing.bin"
    rc = main(["flash", "--chip", "esp32s3", "--port", "/dev/null", "--firmware", str(missing)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("pipdream flash: error: firmware file") and len(err.strip().splitlines()) == 1


def test_dry_run_prints_the_commands_without_touching_a_port(firmware, capsys):
    rc = main(["flash", "--chip", "esp32", "--port", "/dev/ttyUSB9", "--firmware", str(firmware), "--erase",
               "--dry-run"])
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("esptool --chip esp32 --port /dev/ttyUSB9 erase")
    assert lines[1].endswith(f"-z 0x1000 {firmware}")


def test_a_port_that_does_not_exist_is_said_so_as_deploy_says_it(firmware, tmp_path, capsys):
    port = str(tmp_path / "ttyUSB9")
    assert main(["flash", "--chip", "esp32", "--port", port, "--firmware", str(firmware)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"pipdream flash: error: no board on {port}: the port does not exist"), err
    assert "bootloader" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("board, chip, offset", [("esp32", "esp32", 0x1000), ("esp32c3", "esp32c3", 0x0)])
def test_a_board_names_its_chip_and_offset(board, chip, offset, firmware, capsys):
    assert main(["flash", "--board", board, "--port", "/dev/ttyUSB0", "--firmware", str(firmware),
                 "--dry-run"]) == 0
    assert f"--chip {chip} --port /dev/ttyUSB0" in capsys.readouterr().out
    assert f" -z {hex(offset)} " in " ".join(esptool_commands(chip, "/dev/ttyUSB0", firmware)[0]) + " "


@pytest.mark.parametrize("board, url", [("pico", "https://micropython.org/download/RPI_PICO"),
                                        ("pico2", "https://micropython.org/download/RPI_PICO2")])
def test_a_uf2_board_is_sent_to_its_firmware_page_in_one_line(board, url, firmware, capsys):
    assert main(["flash", "--board", board, "--port", "/dev/ttyACM0", "--firmware", str(firmware)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{board} is not flashed with esptool" in err and url in err
