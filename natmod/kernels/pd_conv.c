/* Convolution, square kernel up to PD_MAX_KERNEL, stride 1 or 2, zero padding:
 *   out[oy][ox][co] = requant(bias[co] + sum w[co][ky][kx][ci] * in[iy][ix][ci])
 *   with iy = oy*s - p + ky, ix = ox*s - p + kx inside the input (pd_hull).
 * pd_conv computes the output rows/columns of `rect` from an input row window;
 * pd_conv_acc adds one input row's taps to int32 accumulators of one output row. */
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_armv6m.h"
#include "pd_requant.h"

#if !PD_ARMV6M_KERNELS /* on the Cortex-M0+ pd_armv6m.c has these kernels */

/* Sum of the taps of output pixel (ox, channel co) over the given input rows
 * (x_row[j] the ring slot of a row, ky[j] its kernel row) and input columns
 * [lo, hi]. In a convolution consecutive input columns meet consecutive kernel
 * columns, and both are ci apart in memory: each row is one dot product. */
static int32_t pixel_sum(const pd_layer_t *L, const pd_window_t *in, const uint8_t *const *x_row,
                         const uint8_t *ky, uint8_t n_rows, int16_t ox, int16_t lo, int16_t hi, uint8_t co)
{
    const uint8_t k = L->kernel, ci = L->in_c;
    const uint8_t kx = (uint8_t)(lo - (ox * L->stride - L->padding)); /* kernel column of input column lo */
    const uint8_t n = (uint8_t)((hi - lo + 1) * ci);                   /* <= PD_MAX_KERNEL * 32 */
    const uint8_t *w_co = L->weights + (size_t)co * k * k * ci;        /* [k][k][ci] */
    int32_t acc = 0;
    uint8_t j;
    if (hi < lo) {
        return 0;
    }
    for (j = 0; j < n_rows; j++) {
        acc += pd_dot(w_co + ((size_t)ky[j] * k + kx) * ci, x_row[j] + (size_t)(lo - in->x0) * ci, n,
                      L->in_signed);
    }
    return acc;
}

/* The input rows of output row oy, restricted to [iy0, iy1]: ring slots and kernel rows. */
static uint8_t row_taps(const pd_layer_t *L, const pd_window_t *in, int16_t oy, int16_t iy0, int16_t iy1,
                        const uint8_t **x_row, uint8_t *ky)
{
    const uint8_t s = L->stride, p = L->padding;
    int16_t lo, hi;
    uint8_t n = 0;
    if (!pd_hull(PD_KIND_CONV, oy, L->in_h, L->kernel, s, p, &lo, &hi)) {
        return 0;
    }
    if (lo < iy0) {
        lo = iy0;
    }
    if (hi > iy1) {
        hi = iy1;
    }
    for (; lo <= hi; lo++, n++) {
        x_row[n] = in->data + (uint8_t)lo % in->ring * ((size_t)in->w * L->in_c);
        ky[n] = (uint8_t)(lo - (oy * s - p));
    }
    return n;
}

int pd_conv(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    const uint8_t n_co = L->out_c;
    const size_t out_row = (size_t)out->w * n_co; /* bytes of one output ring slot */
    const uint8_t *x_row[PD_MAX_KERNEL];          /* input rows feeding this output row */
    uint8_t ky[PD_MAX_KERNEL];                    /* and their kernel rows */
    int16_t oy, ox, lo, hi;
    uint8_t n_rows, co;
    int st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK || r->x0 == r->x1) {
        return st;
    }
    for (oy = r->y0; oy < r->y1; oy++) {
        uint8_t *dst = out->data + (uint8_t)oy % out->ring * out_row + (size_t)(r->x0 - out->x0) * n_co;
        n_rows = row_taps(L, in, oy, 0, PD_MAX_DIM, x_row, ky);
        for (ox = r->x0; ox < r->x1; ox++) {
            if (!pd_hull(PD_KIND_CONV, ox, L->in_w, L->kernel, L->stride, L->padding, &lo, &hi)) {
                hi = (int16_t)(lo - 1); /* no column taps */
            }
            for (co = 0; co < n_co; co++) {
                int32_t acc = (int32_t)PD_RD32LE(L->bias + 4 * (size_t)co);
                acc += pixel_sum(L, in, x_row, ky, n_rows, ox, lo, hi, co);
                *dst++ = pd_requantize(acc, PD_RD16LE(L->mult + 2 * (size_t)co), PD_RD8(L->shift + co));
            }
        }
    }
    return PD_OK;
}

int pd_conv_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc)
{
    const uint8_t *x_row[1];
    uint8_t ky[1], n_rows, co;
    int16_t ox, lo, hi;
    int st = pd_kernel_check(L, in, 0, r);
    if (st != PD_OK || r->x0 == r->x1 || r->y0 == r->y1) {
        return st;
    }
    if (r->y1 != r->y0 + 1 || iy >= L->in_h) {
        return PD_ERR_RECT;
    }
    n_rows = row_taps(L, in, r->y0, iy, iy, x_row, ky);
    for (ox = r->x0; n_rows && ox < r->x1; ox++) {
        if (!pd_hull(PD_KIND_CONV, ox, L->in_w, L->kernel, L->stride, L->padding, &lo, &hi)) {
            hi = (int16_t)(lo - 1); /* no column taps */
        }
        for (co = 0; co < L->out_c; co++) {
            *acc++ += pixel_sum(L, in, x_row, ky, n_rows, ox, lo, hi, co);
        }
    }
    return PD_OK;
}

#endif /* !PD_ARMV6M_KERNELS */
