/* The arguments of the asm cores in src/avr_mac.S (used by src/avr_conv.c and
 * boards/atmega328p/bench/mac_bench.c). */
#ifndef AVR_CTX_H
#define AVR_CTX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *w; /* weights of output channel 0, first chunk (flash) */
    const uint8_t *x; /* activations of pixel 0, first chunk (RAM) */
} avr_seg_t;          /* one kernel row of a pixel's taps */

/* The asm cores' arguments (a static: no register is spent on a pointer to it).
 * Byte offsets are mirrored in src/avr_mac.S (C_*). */
typedef struct {
    const avr_seg_t *seg;               /* 0: [nseg] */
    uint8_t nseg;                       /* 2: 0: no taps (bias only) */
    uint8_t nchunk;                     /* 3: chunks per segment (>= 1) */
    uint8_t chunk_blocks, chunk_rest;   /* 4, 5: chunk bytes / 4 and % 4 */
    int16_t w_jump;                     /* 6: weight step from a chunk's end to the next one */
    uint8_t n_co;                       /* 8 */
    uint16_t co_stride;                 /* 9: weight bytes per output channel */
    const uint8_t *bias, *mult, *shift; /* 11, 13, 15: flash */
    uint8_t *out0;                      /* 17: output of pixel 0, channel 0; advanced */
    uint8_t out_step;                   /* 19: output bytes between the pixels of a group */
    uint8_t n_groups;                   /* 20: >= 1, consumed */
    uint16_t x_adv;                     /* 21: input bytes from one group to the next */
    uint8_t own[11];                    /* 23: the routine's own */
} avr_ctx_t;

_Static_assert(sizeof(avr_seg_t) == 4 && sizeof(avr_ctx_t) == 34 && offsetof(avr_ctx_t, n_co) == 8 &&
                   offsetof(avr_ctx_t, out0) == 17 && offsetof(avr_ctx_t, x_adv) == 21,
               "layout shared with avr_mac.S");

extern avr_ctx_t avr_ctx; /* src/avr_mac.S */

/* Requantized uint8 outputs, one pixel at a time: zero activations skipped,
 * output channels in quads (n_co % 4 == 0) ... */
extern void avr_sparse(void);
/* ... or in pairs (n_co % 2 == 0), ... */
extern void avr_sparse2(void);
/* ... or any layout, every product computed. */
extern void avr_group1(void);
/* Added into int32 accumulators (the executor's last-layer mode): groups of
 * 3 or 4 pixels 8 input bytes apart, or 1 pixel of any layout. */
extern void avr_accum1(void);
extern void avr_accum3_8(void);
extern void avr_accum4_8(void);

#endif /* AVR_CTX_H */
