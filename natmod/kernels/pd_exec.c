/* Executor: runs a parsed blob to its image with one of two plans (pd_plan.c).
 * Both produce the bytes of reference.run. No allocation, no libc calls. */
#include "pd_access.h"
#include "pd_geom.h"
#include "pd_plan_internal.h"

int pd_layer_run(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    switch (L->kind) {
    case PD_KIND_FC: return pd_fc(L, in, out, r);
    case PD_KIND_CONVT: return pd_convt(L, in, out, r);
    case PD_KIND_CONV: return pd_conv(L, in, out, r);
    default: return PD_ERR_L_KIND;
    }
}

static int check_inputs(const pd_model_t *m, int32_t face, int32_t angle_code)
{
    if (m->n_layers == 0) {
        return PD_ERR_NO_MODEL;
    }
    if (face < 1 || face > m->n_faces) {
        return PD_ERR_FACE;
    }
    if (angle_code < -PD_ANGLE_CODE_MAX || angle_code > PD_ANGLE_CODE_MAX) {
        return PD_ERR_ANGLE;
    }
    return PD_OK;
}

/* reference.encode_inputs: int8 (n_faces + 1): one-hot face * 127, then the angle code. */
static void encode(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *x)
{
    uint8_t i;
    for (i = 0; i < m->n_faces; i++) {
        x[i] = (uint8_t)(i + 1 == face ? PD_ONE_HOT_CODE : 0);
    }
    x[m->n_faces] = (uint8_t)(int8_t)angle_code;
}

static void set_window(pd_window_t *win, uint8_t *data, uint8_t ring, uint8_t x0, uint8_t w, uint8_t c)
{
    win->data = data;
    win->ring = ring;
    win->x0 = x0;
    win->w = w;
    win->c = c;
}

int pd_generate_full(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                     uint32_t scratch_size, uint8_t *out, uint32_t out_size)
{
    pd_plan_t plan;
    pd_layer_t L;
    pd_window_t in, dst;
    pd_rect_t r;
    uint8_t *x; /* the current layer's input: even layers at the start of scratch, odd at the end */
    uint8_t j;
    int st = check_inputs(m, face, angle_code);
    if (st != PD_OK) {
        return st;
    }
    if (out_size < (uint32_t)m->out_h * m->out_w * PD_OUT_C) {
        return PD_ERR_OUT_SIZE;
    }
    st = pd_plan(m, PD_PLAN_FULL, &plan);
    if (st != PD_OK) {
        return st;
    }
    if (scratch_size < plan.scratch_bytes) {
        return PD_ERR_SCRATCH_SIZE;
    }
    x = scratch;
    encode(m, face, angle_code, x);
    for (j = 0; j < m->n_layers; j++) {
        uint8_t *y;
        (void)pd_model_layer(m, j, &L);
        if (j + 1 == m->n_layers) {
            y = out;
        } else if (j % 2 == 0) { /* the output goes to the other end */
            y = scratch + plan.scratch_bytes - (uint32_t)L.out_h * L.out_w * L.out_c;
        } else {
            y = scratch;
        }
        set_window(&in, x, L.in_h, 0, L.in_w, L.in_c);
        set_window(&dst, y, L.out_h, 0, L.out_w, L.out_c);
        r.y0 = 0;
        r.y1 = L.out_h;
        r.x0 = 0;
        r.x1 = L.out_w;
        st = pd_layer_run(&L, &in, &dst, &r);
        if (st != PD_OK) {
            return st;
        }
        x = y;
    }
    return PD_OK;
}

/* Scratch state of the streaming executor (PD_STREAM_STATE_BYTES), per layer j:
 * off[j] ring offset, ring[j] rows, x0[j]/w[j] this strip's input window, next[j] row. */
typedef struct {
    uint32_t *off;
    uint8_t *ring, *x0, *w, *next;
} stream_state_t;

/* Layer j's next output row needs input rows up to *hi; returns 0 if it needs none. */
static uint8_t needs_up_to(const pd_model_t *m, uint8_t j, uint8_t row, int16_t *hi)
{
    const uint8_t *e = m->blob + PD_HEADER_SIZE + (uint32_t)j * PD_LAYER_SIZE;
    int16_t lo;
    return pd_hull(PD_RD8(e + PD_L_KIND), row, PD_RD8(e + PD_L_IN_H), PD_RD8(e + PD_L_KERNEL),
                   PD_RD8(e + PD_L_STRIDE), PD_RD8(e + PD_L_PADDING), &lo, hi);
}

int pd_generate_stream(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                       uint32_t scratch_size, pd_row_fn on_row, void *ctx)
{
    pd_plan_t plan;
    pd_layer_t L;
    pd_window_t in, dst;
    pd_rect_t r;
    stream_state_t S;
    uint8_t *row_out; /* [strip_w] the last layer's output row segment */
    uint8_t n = m->n_layers, last = (uint8_t)(m->n_layers - 1), j, t, a, b;
    uint32_t off;
    int16_t hi;
    int st = check_inputs(m, face, angle_code);
    if (st != PD_OK) {
        return st;
    }
    if (on_row == 0) {
        return PD_ERR_CALLBACK;
    }
    if (((uintptr_t)scratch & (PD_SCRATCH_ALIGN - 1)) != 0) {
        return PD_ERR_SCRATCH_ALIGN;
    }
    st = pd_plan(m, PD_PLAN_STREAM, &plan);
    if (st != PD_OK) {
        return st;
    }
    if (scratch_size < plan.scratch_bytes) {
        return PD_ERR_SCRATCH_SIZE;
    }
    S.off = (uint32_t *)(void *)scratch; /* [n] */
    S.ring = scratch + 4u * n;            /* [n] each */
    S.x0 = S.ring + n;
    S.w = S.x0 + n;
    S.next = S.w + n;
    off = PD_STREAM_STATE_BYTES(n);
    for (j = 0; j < n; j++) { /* rings: R_j rows of W_j columns of in_c_j channels */
        (void)pd_model_layer(m, j, &L);
        S.off[j] = off;
        S.ring[j] = pd_stream_ring(m, j);
        off += (uint32_t)S.ring[j] * pd_stream_win_w(m, plan.strips, j) * L.in_c;
    }
    row_out = scratch + off;
    encode(m, face, angle_code, scratch + S.off[0]); /* layer 0's one input pixel, kept all along */

    for (t = 0; t < plan.strips; t++) {
        pd_strip_cols(m, plan.strips, t, &a, &b, S.x0, S.w);
        S.x0[0] = 0; /* the input pixel sits at column 0 of ring 0 */
        for (j = 0; j < n; j++) {
            ((volatile uint8_t *)S.next)[j] = 0; /* volatile: no memset call in natmods */
        }
        while (S.next[last] < m->out_h) {
            /* Depth first: descend to the first layer whose next row has its inputs. */
            j = last;
            while (j > 0 && needs_up_to(m, j, S.next[j], &hi) && hi >= S.next[j - 1]) {
                j--;
            }
            (void)pd_model_layer(m, j, &L);
            set_window(&in, scratch + S.off[j], S.ring[j], S.x0[j], S.w[j], L.in_c);
            if (j == last) {
                set_window(&dst, row_out, 1, a, (uint8_t)(b - a), L.out_c);
            } else {
                set_window(&dst, scratch + S.off[j + 1], S.ring[j + 1], S.x0[j + 1], S.w[j + 1], L.out_c);
            }
            r.y0 = S.next[j];
            r.y1 = (uint8_t)(S.next[j] + 1);
            r.x0 = dst.x0;
            r.x1 = (uint8_t)(dst.x0 + dst.w);
            st = pd_layer_run(&L, &in, &dst, &r);
            if (st != PD_OK) {
                return st;
            }
            if (j == last) {
                on_row(ctx, S.next[j], a, (uint8_t)(b - a), row_out);
            }
            S.next[j]++;
        }
    }
    return PD_OK;
}
