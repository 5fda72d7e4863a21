/* Transposed convolution, square kernel, stride 1 or 2, padding, output
 * padding, computed per output phase (never on inserted zeros):
 *   out[oy][ox][co] = requant(bias[co] + sum w[co][ky][kx][ci] * in[iy][ix][ci])
 *   over the taps with oy = iy*s - p + ky, ox = ix*s - p + kx inside the input:
 *   for a given oy they are exactly the iy of pd_hull(), ky = oy + p - iy*s.
 * pd_convt_ref computes the output rows/columns of `rect` from an input row window;
 * pd_convt_acc_ref adds one input row's taps to int32 accumulators of one output row.
 * The reference variant of pd_convt and pd_convt_acc (pd_dispatch.h). */
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_dispatch.h"
#include "pd_requant.h"

/* Sum of the taps of output pixel (ox, channel co) over the given input rows
 * (x_row[j] the ring slot of a row, ky[j] its kernel row) and input columns [lo, hi]. */
static int32_t pixel_sum(const pd_layer_t *L, const pd_window_t *in, const uint8_t *const *x_row,
                         const uint8_t *ky, uint8_t n_rows, int16_t ox, int16_t lo, int16_t hi, uint8_t co)
{
    const uint8_t k = L->kernel, s = L->stride, p = L->padding, ci = L->in_c;
    const uint8_t *w_co = L->weights + (size_t)co * k * k * ci; /* [k][k][ci] */
    int32_t acc = 0;
    int16_t ix;
    uint8_t j;
    for (j = 0; j < n_rows; j++) {
        const uint8_t *w_row = w_co + (size_t)ky[j] * k * ci;
        for (ix = lo; ix <= hi; ix++) {
            const uint8_t kx = (uint8_t)(ox + p - ix * s);
            acc += pd_dot(w_row + (size_t)kx * ci, x_row[j] + (size_t)(ix - in->x0) * ci, ci, L->in_signed);
        }
    }
    return acc;
}

#define PD_DRIVER_KIND PD_KIND_CONVT
#define PD_DRIVER_KY(oy, iy, s, p) ((oy) + (p) - (iy) * (s)) /* kernel row of input row iy */
#define PD_DRIVER_RUN pd_convt_ref
#define PD_DRIVER_ACC pd_convt_acc_ref
#include "pd_conv_driver.h"
