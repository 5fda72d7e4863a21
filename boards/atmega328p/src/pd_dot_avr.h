/* AVR inner loops for the shared kernels (natmod/kernels/pd_dot.h's PD_HAVE_DOT hook).
 *
 * The config headers of IMPL=asm and IMPL=dot (src/pd_config_avr.h,
 * src/pd_config_avr_dot.h) include this before any kernel file, so pd_dot.h
 * calls src/avr_dot.S instead of its plain C loops; IMPL=c keeps the plain C
 * (the reference: tests check every build gives the bytes of reference.py). */
#ifndef PD_DOT_AVR_H
#define PD_DOT_AVR_H

#include <stdint.h>

#define PD_HAVE_DOT 1

int32_t avr_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n);
int32_t avr_dot_s8(const uint8_t *w, const uint8_t *x, uint8_t n);

/* uint8 activations: every layer after the first. */
static inline int32_t pd_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n) { return avr_dot_u8(w, x, n); }

/* int8 activations: the decoder input (one-hot * 127 and the angle code). */
static inline int32_t pd_dot_s8(const uint8_t *w, const uint8_t *x, uint8_t n) { return avr_dot_s8(w, x, n); }

#endif /* PD_DOT_AVR_H */
