/* Geometry shared by the kernels, the plan and the executor: which input
 * rows/columns feed an output row/column (blob.model.tap_inputs, closed form). */
#ifndef PD_GEOM_H
#define PD_GEOM_H

#include <stdint.h>

#include "pd_model.h"

/* x / s for x >= 0, without a division call for the strides that exist. */
static inline int16_t pd_div(int16_t x, uint8_t s)
{
    return s == 1 ? x : s == 2 ? (int16_t)(x >> 1) : (int16_t)(x / s);
}

/* Input indices [*lo, *hi] feeding output index o along one axis; every index
 * in the range is a tap (conv: t = i - (o*s - p); convT: t = o + p - i*s).
 * Returns 0 when no tap lands inside the input. */
static inline uint8_t pd_hull(uint8_t kind, int16_t o, uint8_t n_in, uint8_t k, uint8_t s, uint8_t p,
                              int16_t *lo, int16_t *hi)
{
    int16_t a, b;
    if (kind == PD_KIND_FC) {
        a = 0;
        b = 0;
    } else if (kind == PD_KIND_CONVT) {
        int16_t num = (int16_t)(o + p - k + 1);
        b = pd_div(o + p, s); /* o + p >= 0 */
        a = num <= 0 ? 0 : pd_div((int16_t)(num + s - 1), s);
    } else {
        a = (int16_t)(o * s - p);
        b = (int16_t)(a + k - 1);
    }
    if (a < 0) {
        a = 0;
    }
    if (b > (int16_t)n_in - 1) {
        b = (int16_t)(n_in - 1);
    }
    *lo = a;
    *hi = b;
    return a <= b;
}

/* The input rows [*lo, *hi] feeding output row oy that lie in [iy0, iy1] (the rows a window
 * holds); 0 when no tap lands inside the input (the range may still be empty: lo > hi). */
static inline uint8_t pd_hull_rows(uint8_t kind, const pd_layer_t *L, int16_t oy, int16_t iy0, int16_t iy1,
                                   int16_t *lo, int16_t *hi)
{
    if (!pd_hull(kind, oy, L->in_h, L->kernel, L->stride, L->padding, lo, hi)) {
        return 0;
    }
    if (*lo < iy0) {
        *lo = iy0;
    }
    if (*hi > iy1) {
        *hi = iy1;
    }
    return 1;
}

/* Hull of the input indices feeding outputs [o0, o1) along one axis (the
 * per-output hulls are monotone); returns 0 when none does. */
uint8_t pd_hull_range(uint8_t kind, int16_t o0, int16_t o1, uint8_t n_in, uint8_t k, uint8_t s,
                      uint8_t p, int16_t *lo, int16_t *hi);

/* A hand-filled layer is well formed (the parser's layer checks, same codes). */
int pd_layer_check(const pd_layer_t *layer);

/* A layer's requantization channels (one bias, multiplier and shift each: out_c, or every
 * output value of a dense layer) and its weight bytes. */
static inline uint32_t pd_layer_channels(const pd_layer_t *L)
{
    return L->kind == PD_KIND_FC ? (uint32_t)L->out_c * L->out_h * L->out_w : L->out_c;
}

static inline uint32_t pd_layer_weight_bytes(const pd_layer_t *L)
{
    return pd_layer_channels(L) * (L->kind == PD_KIND_FC ? 1u : (uint32_t)L->kernel * L->kernel) * L->in_c;
}

/* Its weights, biases, multipliers and shifts are in range (the parser's value checks,
 * same codes; pd_blob.c). The layer's shape must have passed pd_layer_check. */
int pd_layer_check_values(const pd_layer_t *layer);

/* Kernel arguments: rect inside the output, windows holding what it needs.
 * out == NULL (the accumulating kernels): no output window, one input row at a time. */
int pd_kernel_check(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out,
                    const pd_rect_t *rect);

#endif /* PD_GEOM_H */
