/* Plans: scratch bytes and MACs of each execution plan, from the blob alone.
 * host/pipdream/plan.py mirrors this file function by function.
 *
 * Full plan: layer j reads its whole input and writes its whole output; the
 * two live at opposite ends of scratch (ping-pong), the last layer writes the
 * caller's image. Scratch = max_j in_bytes(j) + out_bytes(j) (no out for the last).
 *
 * Streaming plan: the output is cut into `strips` column strips; per strip,
 * each layer's needed input columns are back-propagated from the strip
 * (halos recomputed), and each layer j keeps a ring of R_j input rows of that
 * window. Layer j computes rows [0, P_j) per strip, P_j from its consumer.
 * Scratch = executor state + sum_j R_j * W_j * in_c_j + one output row segment.
 * When smaller, the last layer instead takes each input row as it comes
 * (R = 1) and adds its taps into A int32 accumulator rows of the strip, which
 * are requantized in place into the output row segment (accumulator mode):
 * Scratch = executor state + A * strip_w * 4 + sum_j R_j * W_j * in_c_j.
 * The strip count is the smallest whose scratch fits PD_STREAM_TARGET_BYTES,
 * else the one with the least scratch. */
#include "pd_access.h"
#include "pd_geom.h"
#include "pd_plan_internal.h"

#define U32_MAX 0xFFFFFFFFUL

static uint32_t add_sat(uint32_t a, uint32_t b)
{
    return a > U32_MAX - b ? U32_MAX : a + b;
}

static uint32_t mul_sat(uint32_t a, uint32_t b)
{
    return (a != 0 && b > U32_MAX / a) ? U32_MAX : a * b;
}

static void get_layer(const pd_model_t *m, uint8_t j, pd_layer_t *L)
{
    (void)pd_model_layer(m, j, L);
}

static uint8_t layer_byte(const pd_model_t *m, uint8_t j, uint8_t field)
{
    return PD_RD8(m->blob + PD_HEADER_SIZE + (uint32_t)j * PD_LAYER_SIZE + field);
}

static uint8_t strip_width(const pd_model_t *m, uint8_t strips)
{
    return (uint8_t)((m->out_w + strips - 1) / strips);
}

/* P_j for every layer (rows[j]) and, if ring != NULL, R_j (ring[j], at least 1):
 * the last layer computes every image row; layer j - 1 computes up to the
 * last input row layer j reads; R_j is the most input rows one output row reads. */
static void stream_rows_rings(const pd_model_t *m, uint8_t *rows, uint8_t *ring)
{
    pd_layer_t L;
    uint8_t j = m->n_layers, n = m->out_h;
    int16_t o, lo, hi, last_hi;
    while (j-- > 0) {
        get_layer(m, j, &L);
        rows[j] = n;
        if (ring != 0) {
            ring[j] = 1;
        }
        last_hi = -1;
        for (o = 0; o < n; o++) {
            if (pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi)) {
                last_hi = hi;
                if (ring != 0 && hi - lo + 1 > ring[j]) {
                    ring[j] = (uint8_t)(hi - lo + 1);
                }
            }
        }
        n = (uint8_t)(last_hi + 1);
    }
}

uint8_t pd_stream_rows(const pd_model_t *m, uint8_t j)
{
    uint8_t rows[PD_MAX_LAYERS];
    stream_rows_rings(m, rows, 0);
    return rows[j];
}

void pd_strip_cols(const pd_model_t *m, uint8_t strips, uint8_t t, uint8_t *a, uint8_t *b, uint8_t *x0,
                   uint8_t *w)
{
    pd_layer_t L;
    int16_t c0 = (int16_t)((uint16_t)t * m->out_w / strips);
    int16_t c1 = (int16_t)((uint16_t)(t + 1) * m->out_w / strips);
    int16_t lo, hi;
    uint8_t j = m->n_layers;
    *a = (uint8_t)c0;
    *b = (uint8_t)c1;
    while (j-- > 0) {
        get_layer(m, j, &L);
        if (c0 < c1 && pd_hull_range(L.kind, c0, c1, L.in_w, L.kernel, L.stride, L.padding, &lo, &hi)) {
            c0 = lo;
            c1 = (int16_t)(hi + 1);
        } else {
            c0 = 0;
            c1 = 0;
        }
        x0[j] = (uint8_t)c0;
        w[j] = (uint8_t)(c1 - c0);
    }
}

/* W_j: the widest input window of each layer over the strips (layer 0's
 * window always holds the encoded input pixel). */
static void stream_widths(const pd_model_t *m, uint8_t strips, uint8_t *win_w)
{
    uint8_t x0[PD_MAX_LAYERS], w[PD_MAX_LAYERS];
    uint8_t t, j, a, b;
    for (j = 0; j < m->n_layers; j++) {
        win_w[j] = j == 0 ? 1 : 0;
    }
    for (t = 0; t < strips; t++) {
        pd_strip_cols(m, strips, t, &a, &b, x0, w);
        for (j = 0; j < m->n_layers; j++) {
            if (w[j] > win_w[j]) {
                win_w[j] = w[j];
            }
        }
    }
}

/* Accumulator rows open at once when the last layer takes input rows
 * 0, 1, ... in turn: a row opens (bias) when an input row first reaches it
 * and closes (requantized, handed over) once its last input row is in; the
 * executor (pd_exec.c, strip_acc) follows exactly this order. */
static uint8_t acc_rows_needed(const pd_model_t *m, uint8_t rows_in)
{
    pd_layer_t L;
    uint8_t r, open = 0, emit = 0, most = 1;
    int16_t o, lo, hi;
    get_layer(m, (uint8_t)(m->n_layers - 1), &L);
    for (r = 0; r < rows_in; r++) {
        for (o = emit; o < L.out_h; o++) {
            uint8_t taps = pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi);
            if (taps && lo > r) {
                break;
            }
            if (taps && hi >= r && o + 1 > open) {
                open = (uint8_t)(o + 1);
            }
        }
        if (open - emit > most) {
            most = (uint8_t)(open - emit);
        }
        while (emit < L.out_h && !(pd_hull(L.kind, emit, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi) &&
                                   hi > r)) {
            emit++; /* final: opened (if not yet) and closed at once */
            if (open < emit) {
                open = emit;
            }
        }
    }
    return most;
}

void pd_stream_geom(const pd_model_t *m, uint8_t strips, pd_stream_geom_t *g)
{
    uint8_t rows[PD_MAX_LAYERS];
    const uint8_t last = (uint8_t)(m->n_layers - 1);
    uint32_t in_c, ring_cost, acc_cost;
    uint8_t j;
    g->strips = strips;
    g->strip_w = strip_width(m, strips);
    stream_rows_rings(m, rows, g->ring);
    stream_widths(m, strips, g->win_w);
    g->acc_rows = 0;
    if (m->n_layers >= 2 && layer_byte(m, last, PD_L_KIND) != PD_KIND_FC) {
        uint8_t acc = acc_rows_needed(m, rows[last - 1]);
        in_c = layer_byte(m, last, PD_L_IN_C);
        ring_cost = (uint32_t)g->ring[last] * g->win_w[last] * in_c + (uint32_t)g->strip_w * PD_OUT_C;
        acc_cost = (uint32_t)g->win_w[last] * in_c + (uint32_t)acc * g->strip_w * PD_OUT_C * 4u;
        if (acc_cost < ring_cost) {
            g->acc_rows = acc;
            g->ring[last] = 1;
        }
    }
    g->scratch = PD_STREAM_STATE_BYTES(m->n_layers) + (uint32_t)g->acc_rows * g->strip_w * PD_OUT_C * 4u;
    for (j = 0; j < m->n_layers; j++) {
        g->scratch += (uint32_t)g->ring[j] * g->win_w[j] * layer_byte(m, j, PD_L_IN_C);
    }
    if (g->acc_rows == 0) {
        g->scratch += (uint32_t)g->strip_w * PD_OUT_C; /* one output row segment */
    }
}

void pd_stream_plan(const pd_model_t *m, pd_stream_geom_t *g)
{
    uint32_t best_bytes = U32_MAX;
    uint8_t n, best = 1;
    for (n = 1; n <= m->out_w; n++) {
        pd_stream_geom(m, n, g);
        if (g->scratch <= PD_STREAM_TARGET_BYTES) {
            return;
        }
        if (g->scratch < best_bytes) {
            best_bytes = g->scratch;
            best = n;
        }
    }
    pd_stream_geom(m, best, g);
}

/* Sum over output indices [o0, o1) of the taps landing inside the input. */
static uint32_t taps(const pd_layer_t *L, uint8_t n_in, int16_t o0, int16_t o1)
{
    uint32_t count = 0;
    int16_t o, lo, hi;
    for (o = o0; o < o1; o++) {
        if (pd_hull(L->kind, o, n_in, L->kernel, L->stride, L->padding, &lo, &hi)) {
            count += (uint32_t)(hi - lo + 1);
        }
    }
    return count;
}

/* MACs of layer L computing output rows [0, rows) and columns [c0, c1). */
static uint32_t layer_macs(const pd_layer_t *L, uint8_t rows, uint8_t c0, uint8_t c1)
{
    uint32_t per = (uint32_t)L->in_c * L->out_c;
    if (L->kind == PD_KIND_FC) {
        return mul_sat(per, (uint32_t)rows * (uint32_t)(c1 - c0));
    }
    return mul_sat(mul_sat(per, taps(L, L->in_h, 0, rows)), taps(L, L->in_w, c0, c1));
}

static uint32_t act_bytes(uint8_t h, uint8_t w, uint8_t c)
{
    return (uint32_t)h * w * c;
}

int pd_plan_layer(const pd_model_t *m, int kind, uint8_t j, pd_plan_layer_t *info)
{
    pd_layer_t L;
    if (m->n_layers == 0) {
        return PD_ERR_NO_MODEL;
    }
    if (j >= m->n_layers) {
        return PD_ERR_LAYER_INDEX;
    }
    get_layer(m, j, &L);
    if (kind == PD_PLAN_FULL) {
        info->ring_rows = L.in_h;
        info->win_w = L.in_w;
        info->rows = L.out_h;
        info->bytes = act_bytes(L.in_h, L.in_w, L.in_c);
        info->macs = layer_macs(&L, L.out_h, 0, L.out_w);
    } else if (kind == PD_PLAN_STREAM) {
        pd_stream_geom_t g;
        uint8_t x0[PD_MAX_LAYERS], w[PD_MAX_LAYERS];
        uint8_t t, a, b;
        pd_stream_plan(m, &g);
        info->ring_rows = g.ring[j];
        info->win_w = g.win_w[j];
        info->rows = pd_stream_rows(m, j);
        info->bytes = (uint32_t)g.ring[j] * g.win_w[j] * L.in_c;
        if (g.acc_rows != 0 && j + 1 == m->n_layers) {
            info->bytes += (uint32_t)g.acc_rows * g.strip_w * PD_OUT_C * 4u; /* its accumulators */
        }
        info->macs = 0;
        for (t = 0; t < g.strips; t++) {
            pd_strip_cols(m, g.strips, t, &a, &b, x0, w);
            if (j + 1 < m->n_layers) { /* this layer fills its consumer's window */
                a = x0[j + 1];
                b = (uint8_t)(x0[j + 1] + w[j + 1]);
            }
            info->macs = add_sat(info->macs, layer_macs(&L, info->rows, a, b));
        }
    } else {
        return PD_ERR_PLAN_KIND;
    }
    return PD_OK;
}

uint32_t pd_full_scratch(const pd_model_t *m)
{
    uint32_t need, most = 0;
    uint8_t j;
    for (j = 0; j < m->n_layers; j++) {
        need = act_bytes(layer_byte(m, j, PD_L_IN_H), layer_byte(m, j, PD_L_IN_W), layer_byte(m, j, PD_L_IN_C));
        if (j + 1 < m->n_layers) { /* plus the output, unless it is the caller's image */
            need += act_bytes(layer_byte(m, j, PD_L_OUT_H), layer_byte(m, j, PD_L_OUT_W),
                              layer_byte(m, j, PD_L_OUT_C));
        }
        if (need > most) {
            most = need;
        }
    }
    return most;
}

int pd_plan(const pd_model_t *m, int kind, pd_plan_t *info)
{
    pd_plan_layer_t li;
    uint8_t j;
    int st;
    if (m->n_layers == 0) {
        return PD_ERR_NO_MODEL;
    }
    if (kind == PD_PLAN_FULL) {
        info->strips = 1;
        info->strip_w = m->out_w;
        info->acc_rows = 0;
        info->scratch_bytes = pd_full_scratch(m);
    } else if (kind == PD_PLAN_STREAM) {
        pd_stream_geom_t g;
        pd_stream_plan(m, &g);
        info->strips = g.strips;
        info->strip_w = g.strip_w;
        info->acc_rows = g.acc_rows;
        info->scratch_bytes = g.scratch;
    } else {
        return PD_ERR_PLAN_KIND;
    }
    info->macs = 0;
    for (j = 0; j < m->n_layers; j++) {
        st = pd_plan_layer(m, kind, j, &li);
        if (st != PD_OK) {
            return st;
        }
        info->macs = add_sat(info->macs, li.macs);
    }
    return PD_OK;
}
