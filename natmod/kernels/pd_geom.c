/* Geometry helpers and kernel argument checks (see pd_geom.h). */
#include "pd_geom.h"

uint8_t pd_hull_range(uint8_t kind, int16_t o0, int16_t o1, uint8_t n_in, uint8_t k, uint8_t s,
                      uint8_t p, int16_t *lo, int16_t *hi)
{
    int16_t a, b, lo2, hi2;
    for (a = o0; a < o1 && !pd_hull(kind, a, n_in, k, s, p, lo, &hi2); a++) {
    }
    if (a >= o1) {
        return 0;
    }
    for (b = (int16_t)(o1 - 1); !pd_hull(kind, b, n_in, k, s, p, &lo2, hi); b--) {
    }
    return 1;
}

static int16_t out_dim(uint8_t kind, uint8_t n_in, uint8_t k, uint8_t s, uint8_t p, uint8_t op)
{
    int16_t num;
    if (kind == PD_KIND_CONVT) {
        return (int16_t)((n_in - 1) * s - 2 * p + k + op);
    }
    num = (int16_t)(n_in + 2 * p - k);
    /* floor division, as Python's // (num may be negative) */
    return (int16_t)((num >= 0 ? num / s : -((-num + s - 1) / s)) + 1);
}

int pd_layer_check(const pd_layer_t *L)
{
    uint8_t kind = L->kind;
    if (kind != PD_KIND_FC && kind != PD_KIND_CONVT && kind != PD_KIND_CONV) {
        return PD_ERR_L_KIND;
    }
    if (L->in_c < 1 || L->in_c > (kind == PD_KIND_FC ? PD_MAX_FC_IN : PD_MAX_CHANNELS)) {
        return PD_ERR_L_IN_C;
    }
    if (L->out_c < 1 || L->out_c > PD_MAX_CHANNELS) {
        return PD_ERR_L_OUT_C;
    }
    if (L->in_h < 1 || L->in_h > PD_MAX_DIM) {
        return PD_ERR_L_IN_H;
    }
    if (L->in_w < 1 || L->in_w > PD_MAX_DIM) {
        return PD_ERR_L_IN_W;
    }
    if (L->out_h < 1 || L->out_h > PD_MAX_DIM) {
        return PD_ERR_L_OUT_H;
    }
    if (L->out_w < 1 || L->out_w > PD_MAX_DIM) {
        return PD_ERR_L_OUT_W;
    }
    if (kind == PD_KIND_FC) {
        if (L->in_h != 1 || L->in_w != 1) {
            return PD_ERR_L_FC_INPUT;
        }
        if (L->kernel != 1 || L->stride != 1 || L->padding != 0 || L->output_padding != 0) {
            return PD_ERR_L_FC_GEOMETRY;
        }
        if ((uint32_t)L->out_c * L->out_h * L->out_w > PD_MAX_FC_OUT) {
            return PD_ERR_L_FC_OUT;
        }
        return PD_OK;
    }
    if (L->kernel < 1 || L->kernel > PD_MAX_KERNEL) {
        return PD_ERR_L_KERNEL;
    }
    if (L->stride < 1 || L->stride > PD_MAX_STRIDE) {
        return PD_ERR_L_STRIDE;
    }
    if (L->padding >= L->kernel) {
        return PD_ERR_L_PADDING;
    }
    if (L->output_padding > (kind == PD_KIND_CONVT ? L->stride - 1 : 0)) {
        return PD_ERR_L_OUTPUT_PADDING;
    }
    if (L->out_h != out_dim(kind, L->in_h, L->kernel, L->stride, L->padding, L->output_padding)) {
        return PD_ERR_L_OUT_H_SHAPE;
    }
    if (L->out_w != out_dim(kind, L->in_w, L->kernel, L->stride, L->padding, L->output_padding)) {
        return PD_ERR_L_OUT_W_SHAPE;
    }
    return PD_OK;
}

int pd_kernel_check(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out,
                    const pd_rect_t *r)
{
    int16_t lo, hi, oy;
    if (r->y0 > r->y1 || r->y1 > L->out_h || r->x0 > r->x1 || r->x1 > L->out_w) {
        return PD_ERR_RECT;
    }
    if (r->y0 == r->y1 || r->x0 == r->x1) {
        return PD_OK; /* nothing to compute */
    }
    if (out != 0 && (out->data == 0 || out->c != L->out_c || out->ring == 0 || r->x0 < out->x0 ||
                     r->x1 > out->x0 + out->w)) {
        return PD_ERR_OUT_WINDOW;
    }
    if (in->data == 0 || in->c != L->in_c || in->ring == 0) {
        return PD_ERR_IN_WINDOW;
    }
    if (pd_hull_range(L->kind, r->x0, r->x1, L->in_w, L->kernel, L->stride, L->padding, &lo, &hi) &&
        (lo < in->x0 || hi >= in->x0 + in->w)) {
        return PD_ERR_IN_WINDOW;
    }
    for (oy = r->y0; out != 0 && oy < r->y1; oy++) { /* all of an output row's input rows at once */
        if (pd_hull(L->kind, oy, L->in_h, L->kernel, L->stride, L->padding, &lo, &hi) &&
            hi - lo >= in->ring) {
            return PD_ERR_IN_WINDOW;
        }
    }
    return PD_OK;
}
