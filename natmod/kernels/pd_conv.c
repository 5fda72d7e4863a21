/* Convolution, square kernel up to PD_MAX_KERNEL, stride 1 or 2, zero padding:
 *   out[oy][ox][co] = requant(bias[co] + sum w[co][ky][kx][ci] * in[iy][ix][ci])
 *   with iy = oy*s - p + ky, ix = ox*s - p + kx inside the input (pd_hull).
 * pd_conv_ref computes the output rows/columns of `rect` from an input row window;
 * pd_conv_acc_ref adds one input row's taps to int32 accumulators of one output row.
 * The reference variant of pd_conv and pd_conv_acc (pd_dispatch.h). */
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_dispatch.h"
#include "pd_requant.h"

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

#define PD_DRIVER_KIND PD_KIND_CONV
#define PD_DRIVER_KY(oy, iy, s, p) ((iy) - ((oy) * (s) - (p))) /* kernel row of input row iy */
#define PD_DRIVER_RUN pd_conv_ref
#define PD_DRIVER_ACC pd_conv_acc_ref
#include "pd_conv_driver.h"
