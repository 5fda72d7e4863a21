/* Requantization, exactly reference.requantize (docs/arithmetic.md):
 *   acc <= 0                          -> 0 (ReLU)
 *   t = min((acc + (2^s >> 1)) >> s, 65535)
 *   y = min((t * mult + 2^15) >> 16, 255)
 * Every intermediate fits in uint32: acc < 2^26 by the blob maxima, s <= 24,
 * and 65535 * 65535 + 2^15 < 2^32. */
#ifndef PD_REQUANT_H
#define PD_REQUANT_H

#include <stdint.h>

static inline uint8_t pd_requantize(int32_t acc, uint16_t mult, uint8_t shift)
{
    uint32_t t, y;
    if (acc <= 0) {
        return 0;
    }
    t = ((uint32_t)acc + (((uint32_t)1 << shift) >> 1)) >> shift;
    if (t > 65535UL) {
        t = 65535UL;
    }
    y = (t * (uint32_t)mult + (uint32_t)32768u) >> 16;
    return y > 255U ? (uint8_t)255 : (uint8_t)y;
}

#endif /* PD_REQUANT_H */
