"""The SSD1306 emulator follows the datasheet: control bytes, addressing, mapping, power."""

from __future__ import annotations

import numpy as np
import pytest
from pipdream.sim.render import save_gif, save_png, to_terminal
from pipdream.sim.ssd1306 import SSD1306


def standard_init(height: int = 64) -> list[int]:
    """What common drivers send: upright, horizontal addressing, charge pump on, display on."""
    return [0xAE, 0x20, 0x00, 0x40, 0xA1, 0xA8, height - 1, 0xC8, 0xD3, 0x00,
            0xDA, 0x12 if height == 64 else 0x02, 0xD5, 0x80, 0xD9, 0xF1, 0xDB, 0x30,
            0x81, 0xFF, 0xA4, 0xA6, 0x8D, 0x14, 0xAF]


def ready(height: int = 64) -> SSD1306:
    oled = SSD1306(128, height)
    oled.command(*standard_init(height))
    return oled


def pixel_bytes(image: np.ndarray) -> bytes:
    """A (h, 128) bool image as the page-major bytes a driver sends (bit 0 = top row)."""
    h = image.shape[0]
    pages = image.reshape(h // 8, 8, 128).transpose(0, 2, 1)  # (pages, 128 cols, 8 bits)
    return np.packbits(pages, axis=2, bitorder="little").reshape(-1).tobytes()


def random_image(height: int = 64, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((height, 128)) < 0.5


def show_full(oled: SSD1306, image: np.ndarray) -> None:
    oled.command(0x21, 0, 127, 0x22, 0, image.shape[0] // 8 - 1)
    oled.data(pixel_bytes(image))


# ---------------------------------------------------------------- power and visibility
def test_a_powered_on_chip_shows_nothing_until_display_and_charge_pump_are_on():
    oled = SSD1306(128, 64, ram="random", seed=3)
    assert not oled.panel().any()
    oled.command(0xAF)  # display on, but the charge pump is off at reset
    assert not oled.panel().any()
    oled.command(0x8D, 0x14)
    assert oled.panel().any()  # the undefined power-on RAM content shows up
    oled.command(0xAE)
    assert not oled.panel().any()


def test_a_module_with_external_vcc_lights_without_the_charge_pump():
    oled = SSD1306(128, 64, external_vcc=True)
    oled.command(0xA5, 0xAF)
    assert oled.panel().all()


def test_the_standard_configuration_shows_the_image_upright():
    for height in (64, 32):
        oled = ready(height)
        img = random_image(height)
        show_full(oled, img)
        assert np.array_equal(oled.panel(), img)
        assert oled.unknown_commands == [] and oled.notes == []


def test_inverse_and_entire_display_on_change_only_what_is_shown():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0xA7)
    assert np.array_equal(oled.panel(), ~img)
    oled.command(0xA6, 0xA5)
    assert oled.panel().all()
    oled.command(0xA4)
    assert np.array_equal(oled.panel(), img)


def test_contrast_sets_the_brightness_of_lit_pixels():
    oled = ready()
    oled.command(0x81, 0x00)
    dim = oled.brightness()
    oled.command(0x81, 0xFF)
    assert dim < oled.brightness() == 1.0


# ---------------------------------------------------------------- I2C control bytes
def test_co_bit_set_means_one_byte_then_another_control_byte():
    oled = ready()
    oled.command(0x21, 5, 5, 0x22, 2, 2)
    before = oled.traffic.copy()
    # Co=1 command (NOP), Co=1 data byte, then Co=0 data for the rest of the transaction.
    oled.write(bytes([0x80, 0xE3, 0xC0, 0x01, 0x40, 0x02, 0x04]))
    assert oled.ram_rows()[16:24, 127 - 5].tolist() == [False, False, True] + [False] * 5  # last wins
    assert oled.traffic.data_bytes - before.data_bytes == 3
    assert oled.traffic.control_bytes - before.control_bytes == 3


def test_a_command_split_over_transactions_is_completed_by_the_next_ones():
    oled = ready()
    for b in (0x21, 10, 11, 0x22, 3, 3):
        oled.write(bytes([0x80, b]))  # one command byte per transaction, like micropython-lib
    oled.data(b"\xff\xff")
    ram = oled.ram_rows()
    assert ram[24:32, 127 - 10].all() and ram[24:32, 127 - 11].all()
    assert ram.sum() == 16


def test_bytes_on_the_bus_are_counted_with_address_and_control_bytes():
    oled = ready()
    before = oled.traffic.copy()
    oled.data(bytes(512))
    t = oled.traffic
    assert t.i2c_bytes - before.i2c_bytes == 1 + 1 + 512
    assert t.data_bytes - before.data_bytes == 512
    assert t.i2c_transactions - before.i2c_transactions == 1


def test_spi_uses_the_dc_pin_instead_of_control_bytes():
    oled = SSD1306(128, 64)
    oled.spi_write(0, bytes(standard_init(64)))
    img = random_image()
    oled.spi_write(0, bytes([0x21, 0, 127, 0x22, 0, 7]))
    oled.spi_write(1, pixel_bytes(img))
    assert np.array_equal(oled.panel(), img)
    assert oled.traffic.i2c_bytes == 0 and oled.traffic.spi_bytes == len(standard_init(64)) + 6 + 1024


# ---------------------------------------------------------------- addressing
def test_horizontal_mode_fills_the_window_page_by_page_and_wraps_to_its_start():
    oled = ready()
    oled.command(0x20, 0x00, 0x21, 32, 35, 0x22, 1, 2)  # 4 columns x 2 pages
    oled.data(bytes(range(1, 9)) + b"\x80")  # 9th byte wraps to (col 32, page 1)
    ram = oled.ram
    assert ram[1, 127 - 32] == 0x80
    assert [ram[1, 127 - c] for c in (33, 34, 35)] == [2, 3, 4]
    assert [ram[2, 127 - c] for c in (32, 33, 34, 35)] == [5, 6, 7, 8]


def test_vertical_mode_fills_the_window_column_by_column():
    oled = ready()
    oled.command(0x20, 0x01, 0x21, 0, 1, 0x22, 0, 2)  # 2 columns x 3 pages
    oled.data(bytes([1, 2, 3, 4, 5, 6]))
    ram = oled.ram
    assert [ram[p, 127] for p in range(3)] == [1, 2, 3]
    assert [ram[p, 126] for p in range(3)] == [4, 5, 6]


def test_page_mode_start_addresses_and_column_wrap_within_the_page():
    oled = ready()
    oled.command(0x20, 0x02, 0xB3, 0x0E, 0x17)  # page 3, column 0x7E
    oled.data(bytes([1, 2, 3]))  # columns 126, 127, then back to the start column 126
    ram = oled.ram
    seg = {126: 127 - 126, 127: 127 - 127}  # segment remap A1h is on
    assert ram[3, seg[127]] == 2 and ram[3, seg[126]] == 3
    assert (oled.reg.page, oled.reg.col) == (3, 127)  # the page never advances
    assert ram[4].sum() == 0 and ram[3].sum() == 5


def test_page_mode_commands_outside_page_mode_are_noted():
    oled = ready()  # horizontal mode
    oled.command(0xB2)
    assert any("page-mode" in n for n in oled.notes)


def test_invalid_addressing_mode_is_noted_and_ignored():
    oled = ready()
    oled.command(0x20, 0x03)
    assert oled.reg.mode == 0 and oled.notes


# ---------------------------------------------------------------- mapping
def test_segment_remap_applies_to_data_written_after_it():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0xA0)
    assert np.array_equal(oled.panel(), img)  # RAM already written is not changed
    show_full(oled, img)
    assert np.array_equal(oled.panel(), img[:, ::-1])  # new data is mirrored


def test_com_scan_direction_flips_the_image_immediately():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0xC0)
    assert np.array_equal(oled.panel(), img[::-1])


def test_display_offset_moves_the_image_up_by_whole_rows():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0xD3, 8)
    assert np.array_equal(oled.panel(), np.roll(img, -8, axis=0))  # row 8 is now at the top
    # The offset moves the scan, not the glass: with the scan reversed the (flipped) picture
    # moves the other way on the glass.
    oled.command(0xC0)
    assert np.array_equal(oled.panel(), np.roll(img[::-1], 8, axis=0))


def test_display_start_line_scrolls_the_ram_through_the_panel():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0x40 | 5)
    assert np.array_equal(oled.panel(), np.roll(img, -5, axis=0))


def test_a_smaller_multiplex_ratio_leaves_unscanned_rows_dark():
    oled = ready()
    oled.command(0xA5, 0xA8, 31)
    lit_rows = oled.panel().any(axis=1)
    assert lit_rows.sum() == 32


def test_the_wrong_com_pins_configuration_interleaves_the_picture():
    oled = ready(32)
    img = random_image(32)
    show_full(oled, img)
    oled.command(0xDA, 0x12)  # the 128x64 setting on a 128x32 module
    shown = oled.panel()
    assert not np.array_equal(shown, img)
    assert shown.any(axis=1).sum() < 32  # half the scan lines go to pads the glass lacks


def test_com_left_right_remap_swaps_the_halves():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.command(0xDA, 0x02)  # sequential: rows land on the wrong physical lines
    assert not np.array_equal(oled.panel(), img)
    oled.command(0xDA, 0x32)  # alternative plus left/right remap: swapped within pairs
    swapped = oled.panel()
    assert not np.array_equal(swapped, img)
    assert np.array_equal(np.sort(swapped.sum(axis=1)), np.sort(img.sum(axis=1)))


# ---------------------------------------------------------------- robustness
def test_unknown_commands_are_ignored_recorded_and_do_not_derail_the_decoder():
    oled = ready()
    oled.command(0xFF, 0x30, 0x21, 0, 127, 0x22, 0, 7)
    assert oled.unknown_commands == [0xFF, 0x30]
    img = random_image()
    oled.data(pixel_bytes(img))
    assert np.array_equal(oled.panel(), img)


def test_scroll_and_graphics_commands_take_their_parameters_and_an_active_scroll_is_noted():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    # 26h + 6 parameters (horizontal scroll setup), 29h + 5, A3h + 2, 23h + 1, D6h + 1: a decoder
    # that got a count wrong would run the parameters as commands (FFh, 3Fh would be unknown).
    oled.command(0x26, 0x00, 0x00, 0x00, 0x07, 0x00, 0xFF, 0x29, 0x00, 0x00, 0x00, 0x07, 0x3F,
                 0xA3, 0x00, 0x40, 0x23, 0x00, 0xD6, 0x00, 0x2E)
    assert oled.unknown_commands == [] and oled.notes == []
    assert np.array_equal(oled.panel(), img)
    oled.command(0x2F)
    assert oled.notes == ["scrolling activated: not animated by the emulator"]


def test_reading_gives_the_status_byte():
    oled = SSD1306(128, 64)
    assert oled.read(1) == b"\x40"  # D6: display off
    oled.command(0xAF)
    assert oled.read(2) == b"\x00\x00"


def test_reset_restores_registers_and_keeps_the_ram():
    oled = ready()
    img = random_image()
    show_full(oled, img)
    oled.reset()
    assert not oled.panel().any()
    oled.command(*standard_init(64))
    assert np.array_equal(oled.panel(), img)


def test_unsupported_geometry_is_refused():
    with pytest.raises(ValueError, match="128x64 and 128x32"):
        SSD1306(96, 16)


# ---------------------------------------------------------------- pictures
def test_pictures_show_the_panel(tmp_path):
    oled = ready()
    img = np.zeros((64, 128), dtype=bool)
    img[0:2, 0:4] = True
    show_full(oled, img)
    text = to_terminal(oled.panel())
    assert text.splitlines()[1].startswith("\u2502\u2588\u2588\u2588\u2588 ")
    png = save_png(oled.panel(), tmp_path / "f.png", scale=4)
    gif = save_gif([oled.panel(), ~oled.panel()], [50, 50], tmp_path / "a.gif")
    from PIL import Image
    with Image.open(png) as im:
        assert im.size == (512, 256)
        assert im.getpixel((1, 1))[0] > 200 and im.getpixel((20, 1))[0] < 30
    with Image.open(gif) as im:
        assert im.n_frames == 2
