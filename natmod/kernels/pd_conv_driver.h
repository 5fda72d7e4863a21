/* The row/column driver shared by pd_conv.c and pd_convt.c: included once by
 * each, after it defines its own tap geometry, as
 *   static int32_t pixel_sum(L, in, x_row, ky, n_rows, ox, lo, hi, co);
 *   PD_DRIVER_KY(oy, iy, s, p)   the kernel row joining input row iy to output row oy
 * and the names PD_DRIVER_KIND (PD_KIND_CONV or PD_KIND_CONVT), PD_DRIVER_RUN
 * and PD_DRIVER_ACC of the two kernels it defines. Not a public header. */

/* The input rows of output row oy, restricted to [iy0, iy1]: ring slots and kernel rows. */
static uint8_t row_taps(const pd_layer_t *L, const pd_window_t *in, int16_t oy, int16_t iy0, int16_t iy1,
                        const uint8_t **x_row, uint8_t *ky)
{
    const uint8_t s = L->stride, p = L->padding;
    int16_t lo, hi;
    uint8_t n = 0;
    if (!pd_hull_rows(PD_DRIVER_KIND, L, oy, iy0, iy1, &lo, &hi)) {
        return 0;
    }
    for (; lo <= hi; lo++, n++) {
        x_row[n] = in->data + (uint8_t)lo % in->ring * ((size_t)in->w * L->in_c);
        ky[n] = (uint8_t)PD_DRIVER_KY(oy, lo, s, p);
    }
    return n;
}

int PD_DRIVER_RUN(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
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
            if (!pd_hull(PD_DRIVER_KIND, ox, L->in_w, L->kernel, L->stride, L->padding, &lo, &hi)) {
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

int PD_DRIVER_ACC(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc)
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
        if (!pd_hull(PD_DRIVER_KIND, ox, L->in_w, L->kernel, L->stride, L->padding, &lo, &hi)) {
            hi = (int16_t)(lo - 1); /* no column taps */
        }
        for (co = 0; co < L->out_c; co++) {
            *acc++ += pixel_sum(L, in, x_row, ky, n_rows, ox, lo, hi, co);
        }
    }
    return PD_OK;
}

#undef PD_DRIVER_KIND
#undef PD_DRIVER_KY
#undef PD_DRIVER_RUN
#undef PD_DRIVER_ACC
