/* Transposed convolution, square kernel, stride 1 or 2, padding, output
 * padding, computed per output phase (never on inserted zeros):
 *   out[oy][ox][co] = requant(bias[co] + sum w[co][ky][kx][ci] * in[iy][ix][ci])
 *   over the taps with oy = iy*s - p + ky, ox = ix*s - p + kx inside the input:
 *   for a given oy they are exactly the iy of pd_hull(), ky = oy + p - iy*s.
 * Computes the output rows/columns of `rect` from an input row window. */
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_requant.h"

int pd_convt(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    const uint8_t k = L->kernel, s = L->stride, p = L->padding, ci = L->in_c, n_co = L->out_c;
    const size_t in_row = (size_t)in->w * ci;     /* bytes of one input ring slot */
    const size_t out_row = (size_t)out->w * n_co; /* bytes of one output ring slot */
    const uint8_t *x_row[PD_MAX_KERNEL];          /* input rows feeding this output row */
    uint8_t ky[PD_MAX_KERNEL];                    /* and their kernel rows */
    int16_t oy, ox, lo, hi, ix;
    uint8_t n_rows, j, co;
    int st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK || r->x0 == r->x1) {
        return st;
    }
    for (oy = r->y0; oy < r->y1; oy++) {
        uint8_t *dst = out->data + (uint8_t)oy % out->ring * out_row + (size_t)(r->x0 - out->x0) * n_co;
        n_rows = 0;
        if (pd_hull(PD_KIND_CONVT, oy, L->in_h, k, s, p, &lo, &hi)) {
            for (; lo <= hi; lo++, n_rows++) {
                x_row[n_rows] = in->data + (uint8_t)lo % in->ring * in_row;
                ky[n_rows] = (uint8_t)(oy + p - lo * s);
            }
        }
        for (ox = r->x0; ox < r->x1; ox++) {
            uint8_t n_cols = pd_hull(PD_KIND_CONVT, ox, L->in_w, k, s, p, &lo, &hi) ? (uint8_t)(hi - lo + 1) : 0;
            for (co = 0; co < n_co; co++) {
                int32_t acc = (int32_t)PD_RD32LE(L->bias + 4 * (size_t)co);
                const uint8_t *w_co = L->weights + (size_t)co * k * k * ci; /* [k][k][ci] */
                for (j = 0; n_cols && j < n_rows; j++) {
                    const uint8_t *w_row = w_co + (size_t)ky[j] * k * ci;
                    for (ix = lo; ix <= hi; ix++) {
                        const uint8_t kx = (uint8_t)(ox + p - ix * s);
                        acc += pd_dot(w_row + (size_t)kx * ci, x_row[j] + (size_t)(ix - in->x0) * ci, ci,
                                      L->in_signed);
                    }
                }
                *dst++ = pd_requantize(acc, PD_RD16LE(L->mult + 2 * (size_t)co), PD_RD8(L->shift + co));
            }
        }
    }
    return PD_OK;
}
