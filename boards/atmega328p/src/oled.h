/* SSD1306 128x64 over TWI, fed straight from the decoder's output rows.
 *
 * The 32x32 image is shown the way device/pdview.py shows it: a pixel is lit
 * when its value is >= OLED_THRESHOLD, every pixel becomes a 2x2 block, and the
 * 64x64 result sits in columns 32..95 (centred). An SSD1306 page is 8 display
 * rows = 4 image rows, so a page segment is sent as soon as the 4 rows of a
 * column strip are final: the only buffer is one page of one strip (32 bytes). */
#ifndef PD_OLED_H
#define PD_OLED_H

#include <stdint.h>

#define OLED_WIDTH 128
#define OLED_PAGES 8
#define OLED_THRESHOLD 128
#define OLED_SCALE 2
#define OLED_IMAGE 32
#define OLED_X0 ((OLED_WIDTH - OLED_SCALE * OLED_IMAGE) / 2) /* 32 */

/* The face number beside the die, as pdview.layout() places it on 128x64: the
 * 5x7 digit font at scale 2 (10x14) in pages 3-4 from column 107. */
#define OLED_NUM_X 107
#define OLED_NUM_PAGE 3

/* Find the display (0x3C, then 0x3D), initialise and clear it. 1 when found. */
uint8_t oled_init(void);
/* 1 while a display answers; a failed transfer clears it (the die keeps rolling). */
uint8_t oled_present(void);
uint8_t oled_address(void);

/* Start a new image (forgets a half-built page). */
void oled_image_begin(void);
/* A final output row segment: pixels[0..width) are image row `row`, columns
 * [col0, col0 + width). Rows arrive in order within a column strip. */
void oled_image_row(uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels);

/* Draw digit d (0..9) as the face number; OLED_BLANK clears it. */
#define OLED_BLANK 10
void oled_digit(uint8_t d);

#endif /* PD_OLED_H */
