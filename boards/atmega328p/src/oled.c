#include "oled.h"

#include <avr/pgmspace.h>

#include "board.h"
#include "twi.h"

#define CTRL_CMD 0x00  /* Co = 0, D/C = 0: a run of command bytes */
#define CTRL_DATA 0x40 /* Co = 0, D/C = 1: a run of display data */

static uint8_t addr; /* 0 when no display answered */

/* One page of the strip being built: bit k of nibble x of page_buf is image row
 * 4*page + k at image column x (it becomes bits 2k, 2k+1 of the display byte). */
static uint8_t page_buf[OLED_IMAGE / 2];
static uint8_t seg_lo = 0xFF, seg_hi; /* image columns touched in this page, [lo, hi] */

static const uint8_t init_seq[] PROGMEM = {
    0xAE,       /* display off */
    0xD5, 0x80, /* clock divide */
    0xA8, 0x3F, /* multiplex 64 */
    0xD3, 0x00, /* display offset 0 */
    0x40,       /* start line 0 */
    0x8D, 0x14, /* charge pump on */
    0x20, 0x00, /* horizontal addressing */
    0xA1,       /* segment remap: column 127 is SEG0 */
    0xC8,       /* COM scan descending */
    0xDA, 0x12, /* COM pins alternative */
    0x81, 0xCF, /* contrast */
    0xD9, 0xF1, /* precharge */
    0xDB, 0x40, /* VCOM detect */
    0xA4,       /* display follows RAM */
    0xA6,       /* not inverted */
    0xAF,       /* display on */
};

static uint8_t fail(void) {
    twi_stop();
    addr = 0;
    return 0;
}

/* Commands from flash (len > 0) as one transaction. */
static uint8_t send_cmds_p(const uint8_t *cmds, uint8_t len) {
    if (twi_start(addr) != TWI_OK || twi_write(CTRL_CMD) != TWI_OK) return fail();
    for (uint8_t i = 0; i < len; i++) {
        if (twi_write(pgm_read_byte(cmds + i)) != TWI_OK) return fail();
    }
    twi_stop();
    return 1;
}

/* Set the column range [c0, c1] and page range [p0, p1] of the next data. */
static uint8_t set_window(uint8_t c0, uint8_t c1, uint8_t p0, uint8_t p1) {
    if (twi_start(addr) != TWI_OK || twi_write(CTRL_CMD) != TWI_OK || twi_write(0x21) != TWI_OK ||
        twi_write(c0) != TWI_OK || twi_write(c1) != TWI_OK || twi_write(0x22) != TWI_OK ||
        twi_write(p0) != TWI_OK || twi_write(p1) != TWI_OK)
        return fail();
    twi_stop();
    return 1;
}

static uint8_t clear_all(void) {
    if (!set_window(0, OLED_WIDTH - 1, 0, OLED_PAGES - 1)) return 0;
    for (uint8_t page = 0; page < OLED_PAGES; page++) {
        if (twi_start(addr) != TWI_OK || twi_write(CTRL_DATA) != TWI_OK) return fail();
        for (uint8_t x = 0; x < OLED_WIDTH; x++) {
            if (twi_write(0) != TWI_OK) return fail();
        }
        twi_stop();
    }
    return 1;
}

/* device/pdview.py DIGITS: 5 column bytes per digit, bit 0 = top row. */
static const uint8_t digits[10 * 5] PROGMEM = {
    0x3E, 0x51, 0x49, 0x45, 0x3E, 0x00, 0x42, 0x7F, 0x40, 0x00, 0x42, 0x61, 0x51, 0x49, 0x46,
    0x21, 0x41, 0x45, 0x4B, 0x31, 0x18, 0x14, 0x12, 0x7F, 0x10, 0x27, 0x45, 0x45, 0x45, 0x39,
    0x3C, 0x4A, 0x49, 0x49, 0x30, 0x01, 0x71, 0x09, 0x05, 0x03, 0x36, 0x49, 0x49, 0x49, 0x36,
    0x06, 0x49, 0x49, 0x29, 0x1E,
};

/* Nibble -> byte with every bit doubled (bit n -> bits 2n, 2n+1): the 2x vertical scale. */
static uint8_t double_bits(uint8_t nibble) {
    uint8_t out = 0;
    for (uint8_t i = 0; i < 4; i++) {
        if (nibble & (1u << i)) out |= (uint8_t)(3u << (2 * i));
    }
    return out;
}

void oled_digit(uint8_t d) {
    if (addr == 0 || d > OLED_BLANK) return;
    for (uint8_t half = 0; half < 2; half++) { /* top page: low nibbles, then high */
        uint8_t page = (uint8_t)(OLED_NUM_PAGE + half);
        if (!set_window(OLED_NUM_X, OLED_NUM_X + 2 * 5 - 1, page, page)) return;
        if (twi_start(addr) != TWI_OK || twi_write(CTRL_DATA) != TWI_OK) {
            fail();
            return;
        }
        for (uint8_t i = 0; i < 5; i++) {
            uint8_t col = d == OLED_BLANK ? 0 : pgm_read_byte(&digits[d * 5 + i]);
            uint8_t b = double_bits(half ? (uint8_t)(col >> 4) : (uint8_t)(col & 15u));
            if (twi_write(b) != TWI_OK || twi_write(b) != TWI_OK) {
                fail();
                return;
            }
        }
        twi_stop();
    }
}

uint8_t oled_init(void) {
    for (uint8_t i = 0; i < 2; i++) {
        addr = i == 0 ? OLED_ADDR_PRIMARY : OLED_ADDR_SECONDARY;
        if (send_cmds_p(init_seq, sizeof init_seq) && clear_all()) return 1;
    }
    addr = 0;
    return 0;
}

uint8_t oled_present(void) { return addr != 0; }
uint8_t oled_address(void) { return addr; }

void oled_image_begin(void) {
    for (uint8_t x = 0; x < OLED_IMAGE / 2; x++) page_buf[x] = 0;
    seg_lo = 0xFF;
    seg_hi = 0;
}

static void send_segment(uint8_t page) {
    uint8_t c0 = (uint8_t)(OLED_X0 + OLED_SCALE * seg_lo);
    uint8_t c1 = (uint8_t)(OLED_X0 + OLED_SCALE * seg_hi + OLED_SCALE - 1);
    if (!set_window(c0, c1, page, page)) return;
    if (twi_start(addr) != TWI_OK || twi_write(CTRL_DATA) != TWI_OK) {
        fail();
        return;
    }
    for (uint8_t x = seg_lo; x <= seg_hi; x++) {
        uint8_t b = double_bits((uint8_t)(x & 1u ? page_buf[x >> 1] >> 4 : page_buf[x >> 1] & 15u));
        for (uint8_t k = 0; k < OLED_SCALE; k++) {
            if (twi_write(b) != TWI_OK) {
                fail();
                return;
            }
        }
    }
    twi_stop();
}

void oled_image_row(uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels) {
    if (row >= OLED_IMAGE || col0 >= OLED_IMAGE) return;
    if (width > OLED_IMAGE - col0) width = (uint8_t)(OLED_IMAGE - col0);
    uint8_t sub = row & 3u; /* image row within the page */
    for (uint8_t i = 0; i < width; i++) {
        uint8_t x = (uint8_t)(col0 + i);
        uint8_t bit = (uint8_t)((1u << sub) << (x & 1u ? 4 : 0));
        if (pixels[i] >= OLED_THRESHOLD) page_buf[x >> 1] |= bit;
        else page_buf[x >> 1] &= (uint8_t)~bit;
    }
    if (width != 0) {
        if (col0 < seg_lo) seg_lo = col0;
        if (col0 + width - 1 > seg_hi) seg_hi = (uint8_t)(col0 + width - 1);
    }
    if (sub == 3u && seg_lo != 0xFF) { /* the page of this strip is final */
        if (addr != 0) send_segment(row >> 2);
        seg_lo = 0xFF;
        seg_hi = 0;
    }
}
