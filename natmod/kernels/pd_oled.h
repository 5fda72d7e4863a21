/* The die window on a 1-bit SSD1306: a 32x32 greyscale image (PD_OUT_H x PD_OUT_W, 0 = black)
 * drawn into the display's page buffer, byte for byte what device/pdview.py's render_die,
 * render_digit and clear_box write (pdview is the definition; its docstring says the rule).
 *
 * The page buffer is MONO_VLSB: byte [page * stride + x], bit n = row 8 * page + n. A window's
 * top-left corner is byte `off` (page aligned). Each call returns how many buffer bytes changed
 * (0: nothing to send), or PD_OLED_BAD when an argument is out of range or the window does not
 * fit the `out_len` bytes of `out`; then nothing is written. No allocation, no state. */
#ifndef PD_OLED_H
#define PD_OLED_H

#include <stdint.h>

#define PD_OLED_THRESHOLD 0 /* lit when v >= threshold */
#define PD_OLED_BAYER 1     /* lit when (v + 8) >> 4 > BAYER4[y % 4][x % 4] (4x4 ordered dither) */
#define PD_OLED_MAX_SCALE 8
#define PD_OLED_BAD (-1)

/* img: [PD_OUT_H * PD_OUT_W] bytes; the window is (32 * scale) pixels square, scale 1..8;
 * threshold 0..256 (threshold mode only). */
int32_t pd_oled_die(const uint8_t *img, uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride,
                    uint8_t scale, uint8_t mode, uint16_t threshold);

/* Digit 0..9 of the 5x7 font: scale 1 (5 bytes of one page) or 2 (10x14 pixels, two pages). */
int32_t pd_oled_digit(uint8_t digit, uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride,
                      uint8_t scale);

/* Zero a box of w bytes by `pages` pages. */
int32_t pd_oled_clear(uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride, uint32_t w,
                      uint32_t pages);

/* The bytes of an I2C write as RP2040 (DesignWare) IC_DATA_CMD words for a DMA channel: byte i
 * of src in bits 0-7 of words[at + i], CMD and STOP clear; the caller sets STOP (bit 9) on a
 * transaction's last word. Returns at + n, or PD_OLED_BAD when they do not fit `cap` words. */
#define PD_I2C_STOP 0x200u
int32_t pd_oled_i2c_words(uint16_t *words, uint32_t cap, uint32_t at, const uint8_t *src, uint32_t n);

#endif /* PD_OLED_H */
