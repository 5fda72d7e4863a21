/* The inner loop of every kernel: an int8 weight row (blob) dotted with n
 * activations (RAM). One place to swap in a hand-written loop for a target:
 * the build's config header (pd_dispatch.h) defines PD_HAVE_DOT and provides
 * pd_dot_u8 / pd_dot_s8, as boards/atmega328p/src/pd_config_avr.h does. */
#ifndef PD_DOT_H
#define PD_DOT_H

#include <stdint.h>

#include "pd_access.h"

#ifdef PD_COUNT_MACS
/* Host test builds only: counts the MACs actually done, to check pd_plan(). */
extern uint32_t pd_mac_count;
#define PD_COUNT(n) (pd_mac_count += (uint32_t)(n))
#else
#define PD_COUNT(n) ((void)0)
#endif

#ifndef PD_HAVE_DOT
/* uint8 activations (every layer after the first). |w * x| <= 127 * 255 fits int16. */
static inline int32_t pd_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n)
{
    int32_t acc = 0;
    uint8_t i;
    for (i = 0; i < n; i++) {
        acc += (int16_t)PD_RDS8(w + i) * (int16_t)x[i];
    }
    return acc;
}

/* int8 activations (the decoder input: one-hot * 127 and the angle code). */
static inline int32_t pd_dot_s8(const uint8_t *w, const uint8_t *x, uint8_t n)
{
    int32_t acc = 0;
    uint8_t i;
    for (i = 0; i < n; i++) {
        acc += (int16_t)PD_RDS8(w + i) * (int16_t)(int8_t)x[i];
    }
    return acc;
}
#endif

static inline int32_t pd_dot(const uint8_t *w, const uint8_t *x, uint8_t n, uint8_t in_signed)
{
    PD_COUNT(n);
    return in_signed ? pd_dot_s8(w, x, n) : pd_dot_u8(w, x, n);
}

#endif /* PD_DOT_H */
