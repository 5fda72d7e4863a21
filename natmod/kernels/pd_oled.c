/* The die window on a 1-bit SSD1306 (pd_oled.h): C99, no allocation, the caller's buffers. */
#include "pd_oled.h"

#include "pd_format.h"
#include "pd_oled_tables.h"

/* Does a box of `w` bytes by `pages` pages at `off` fit `len` bytes, its pages apart? (no
 * overflow: every term is checked against what is left) */
static int fits(uint32_t len, uint32_t off, uint32_t stride, uint32_t w, uint32_t pages)
{
    if (w == 0 || pages == 0) {
        return 1;
    }
    if ((pages > 1 && stride < w) || off > len || w > len - off) {
        return 0;
    }
    uint32_t room = len - off - w; /* what is left past the first page's bytes */
    return stride == 0 || (pages - 1) <= room / stride;
}

/* out[o] = b; 1 if that changed it */
static inline uint32_t put(uint8_t *out, uint32_t o, uint8_t b)
{
    if (out[o] == b) {
        return 0;
    }
    out[o] = b;
    return 1;
}

#define doubled(n) PD_OLED_DOUBLE[(n)]

/* Threshold at scale 2, the default: each 8-row block of the image gives two window pages, each
 * source column two identical window columns. The block is read row by row (sequential loads),
 * its 32 column bytes gathered on the stack. */
static uint32_t threshold_2(const uint8_t *img, uint8_t *out, uint32_t off, uint32_t stride,
                            uint16_t threshold)
{
    uint32_t changed = 0;
    uint8_t cols[PD_OUT_W]; /* [c]: bit n = row 8p + n of column c is lit */
    for (uint8_t p = 0; p < PD_OUT_H / 8; p++) {
        const uint8_t *src = img + (uint16_t)(p * 8) * PD_OUT_W;
        for (uint8_t c = 0; c < PD_OUT_W; c++) { /* row 0 sets, the others add (no memset: natmod) */
            cols[c] = *src++ >= threshold;
        }
        for (uint8_t bit = 1; bit < 8; bit++) {
            uint8_t mask = (uint8_t)(1u << bit);
            for (uint8_t c = 0; c < PD_OUT_W; c++) {
                if (*src++ >= threshold) {
                    cols[c] |= mask;
                }
            }
        }
        uint8_t *lo_row = out + off + 2u * p * stride, *hi_row = lo_row + stride;
        for (uint8_t c = 0; c < PD_OUT_W; c++) {
            uint8_t b = cols[c];
            uint8_t lo = doubled(b & 15u), hi = doubled((uint8_t)(b >> 4));
            changed += put(lo_row, 2u * c, lo) + put(lo_row, 2u * c + 1, lo);
            changed += put(hi_row, 2u * c, hi) + put(hi_row, 2u * c + 1, hi);
        }
    }
    return changed;
}

/* Any scale and mode: each window column, page by page, the source row advancing every
 * `scale` rows. A window page starts at a row that is a multiple of 8, so row % 4 == bit % 4. */
static uint32_t generic(const uint8_t *img, uint8_t *out, uint32_t off, uint32_t stride, uint8_t scale,
                        uint8_t mode, uint16_t threshold)
{
    uint32_t changed = 0;
    uint16_t size = (uint16_t)(PD_OUT_W * scale);
    uint8_t col = 0, col_rep = 0;
    for (uint16_t x = 0; x < size; x++) {
        const uint8_t *bayer = PD_OLED_BAYER4 + (x & 3u);
        const uint8_t *src = img + col;
        uint8_t row_rep = 0;
        for (uint16_t page = 0; page < size / 8u; page++) {
            uint8_t b = 0;
            for (uint8_t bit = 0; bit < 8; bit++) {
                uint8_t v = *src;
                int on = mode == PD_OLED_BAYER ? ((uint16_t)(v + 8u) >> 4) > bayer[(bit & 3u) * 4u]
                                               : v >= threshold;
                if (on) {
                    b |= (uint8_t)(1u << bit);
                }
                if (++row_rep == scale) {
                    row_rep = 0;
                    src += PD_OUT_W;
                }
            }
            changed += put(out, off + page * stride + x, b);
        }
        if (++col_rep == scale) {
            col_rep = 0;
            col++;
        }
    }
    return changed;
}

int32_t pd_oled_die(const uint8_t *img, uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride,
                    uint8_t scale, uint8_t mode, uint16_t threshold)
{
    if (scale < 1 || scale > PD_OLED_MAX_SCALE || mode > PD_OLED_BAYER || threshold > 256) {
        return PD_OLED_BAD;
    }
    uint32_t size = (uint32_t)PD_OUT_W * scale;
    if (!fits(out_len, off, stride, size, size / 8u)) {
        return PD_OLED_BAD;
    }
    if (mode == PD_OLED_THRESHOLD && scale == 2) {
        return (int32_t)threshold_2(img, out, off, stride, threshold);
    }
    return (int32_t)generic(img, out, off, stride, scale, mode, threshold);
}

int32_t pd_oled_digit(uint8_t digit, uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride,
                      uint8_t scale)
{
    if (digit > 9 || scale < 1 || scale > 2 || !fits(out_len, off, stride, PD_OLED_DIGIT_W * scale, scale)) {
        return PD_OLED_BAD;
    }
    uint32_t changed = 0;
    const uint8_t *glyph = PD_OLED_DIGITS + digit * PD_OLED_DIGIT_W;
    for (uint8_t i = 0; i < PD_OLED_DIGIT_W; i++) {
        uint8_t col = glyph[i];
        if (scale == 1) {
            changed += put(out, off + i, col);
        } else {
            uint32_t o = off + 2u * i;
            uint8_t lo = doubled(col & 15u), hi = doubled((uint8_t)(col >> 4));
            changed += put(out, o, lo) + put(out, o + 1, lo);
            changed += put(out, o + stride, hi) + put(out, o + stride + 1, hi);
        }
    }
    return (int32_t)changed;
}

int32_t pd_oled_clear(uint8_t *out, uint32_t out_len, uint32_t off, uint32_t stride, uint32_t w,
                      uint32_t pages)
{
    if (!fits(out_len, off, stride, w, pages)) {
        return PD_OLED_BAD;
    }
    uint32_t changed = 0;
    for (uint32_t p = 0; p < pages; p++) {
        for (uint32_t x = 0; x < w; x++) {
            changed += put(out, off + p * stride + x, 0);
        }
    }
    return (int32_t)changed;
}

int32_t pd_oled_i2c_words(uint16_t *words, uint32_t cap, uint32_t at, const uint8_t *src, uint32_t n)
{
    if (at > cap || n > cap - at || at + n > 0x7FFFFFFFu) {
        return PD_OLED_BAD;
    }
    uint16_t *w = words + at;
    for (uint32_t i = 0; i < n; i++) {
        w[i] = src[i];
    }
    return (int32_t)(at + n);
}
