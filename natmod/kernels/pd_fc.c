/* Fully connected: a 1x1xin_c input to out_h x out_w x out_c values, each
 * with its own requantization channel (v = (oy*out_w + ox)*out_c + co):
 *   out[oy][ox][co] = requant(bias[v] + sum w[v][ci] * in[ci])
 * Computes the output rows/columns of `rect` (the input is one pixel). */
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_requant.h"

int pd_fc(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    const uint8_t ci = L->in_c, n_co = L->out_c;
    const size_t out_row = (size_t)out->w * n_co; /* bytes of one output ring slot */
    const uint8_t *x = in->data;                  /* the one input pixel: in_c values */
    uint8_t oy, ox, co;
    int st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK || r->x0 == r->x1) {
        return st;
    }
    for (oy = r->y0; oy < r->y1; oy++) {
        uint8_t *dst = out->data + oy % out->ring * out_row + (size_t)(r->x0 - out->x0) * n_co;
        for (ox = r->x0; ox < r->x1; ox++) {
            for (co = 0; co < n_co; co++) {
                const size_t v = ((size_t)oy * L->out_w + ox) * n_co + co; /* HWC output index */
                int32_t acc = (int32_t)PD_RD32LE(L->bias + 4 * v);
                acc += pd_dot(L->weights + v * ci, x, ci, L->in_signed);
                *dst++ = pd_requantize(acc, PD_RD16LE(L->mult + 2 * v), PD_RD8(L->shift + v));
            }
        }
    }
    return PD_OK;
}
