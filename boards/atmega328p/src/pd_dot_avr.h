/* AVR inner loops for the shared kernels (natmod/kernels/pd_dot.h hook).
 *
 * The firmware compiles every kernel with `-DPD_HAVE_DOT -include pd_dot_avr.h`,
 * so pd_dot.h uses these instead of its plain C loops; building with
 * PD_AVR_DOT=c keeps the plain C (the reference: tests check both give the
 * same bytes). One MAC: lpm (weight, flash) 3 + ld (activation) 2 + mulsu 2 +
 * sign byte 1 + 24-bit accumulate 3 = 11 cycles, unrolled 8 times.
 *
 * 24 bits are enough: |w * x| <= 127 * 255 = 32385 (the blob rejects -128
 * weights), so any n <= 255 products sum to under 2^23. */
#ifndef PD_DOT_AVR_H
#define PD_DOT_AVR_H

#include <stdint.h>

/* One multiply-accumulate; MUL is mulsu (w signed, x unsigned) or muls. C is
 * bit 15 of the product after mul/muls/mulsu, so `sbc s, s` is its sign byte. */
#define PD_AVR_MAC(MUL)             \
    "lpm  %[w], Z+          \n\t"   \
    "ld   %[x], X+          \n\t"   \
    MUL "  %[w], %[x]       \n\t"   \
    "sbc  %[s], %[s]        \n\t"   \
    "add  %A[acc], r0       \n\t"   \
    "adc  %B[acc], r1       \n\t"   \
    "adc  %C[acc], %[s]     \n\t"

#define PD_AVR_DOT_BODY(MUL)                                                    \
    __int24 acc = 0;                                                            \
    uint8_t wv, xv, sv, blocks = (uint8_t)(n >> 3), rest = (uint8_t)(n & 7u);  \
    __asm__ volatile(                                                           \
        "    tst  %[blocks]      \n\t"                                          \
        "    breq 2f             \n\t"                                          \
        "1:                      \n\t"                                          \
        PD_AVR_MAC(MUL) PD_AVR_MAC(MUL) PD_AVR_MAC(MUL) PD_AVR_MAC(MUL)         \
        PD_AVR_MAC(MUL) PD_AVR_MAC(MUL) PD_AVR_MAC(MUL) PD_AVR_MAC(MUL)         \
        "    dec  %[blocks]      \n\t"                                          \
        "    brne 1b             \n\t"                                          \
        "2:  tst  %[rest]        \n\t"                                          \
        "    breq 4f             \n\t"                                          \
        "3:                      \n\t"                                          \
        PD_AVR_MAC(MUL)                                                         \
        "    dec  %[rest]        \n\t"                                          \
        "    brne 3b             \n\t"                                          \
        "4:  clr  __zero_reg__   \n\t"                                          \
        : [acc] "+r"(acc), [w] "=&a"(wv), [x] "=&a"(xv), [s] "=&r"(sv),         \
          [blocks] "+r"(blocks), [rest] "+r"(rest), "+z"(w), "+x"(x)            \
        :                                                                       \
        : "r0", "r1", "cc");                                                    \
    return (int32_t)acc; /* sign-extends the 24-bit sum */

/* uint8 activations: every layer after the first. */
static inline int32_t pd_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n)
{
    PD_AVR_DOT_BODY("mulsu")
}

/* int8 activations: the decoder input (one-hot * 127 and the angle code). */
static inline int32_t pd_dot_s8(const uint8_t *w, const uint8_t *x, uint8_t n)
{
    PD_AVR_DOT_BODY("muls ")
}

#endif /* PD_DOT_AVR_H */
