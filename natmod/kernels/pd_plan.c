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
 * Scratch = executor state + A * strip_w * 4 + sum_j R_j * W_j * in_c_j. */
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

/* Rows layer j computes per strip: all of the image for the last layer, else
 * up to the last input row its consumer reads (P_j in the file comment). */
uint8_t pd_stream_rows(const pd_model_t *m, uint8_t j)
{
    pd_layer_t L;
    uint8_t i, rows = m->out_h;
    int16_t o, lo, hi = -1;
    for (i = (uint8_t)(m->n_layers - 1); i > j; i--) {
        get_layer(m, i, &L);
        for (o = (int16_t)(rows - 1); o >= 0 && !pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi); o--) {
        }
        rows = o < 0 ? 0 : (uint8_t)(hi + 1);
    }
    return rows;
}

uint8_t pd_stream_ring(const pd_model_t *m, uint8_t j)
{
    pd_layer_t L;
    uint8_t rows = pd_stream_rows(m, j), ring = 1;
    int16_t o, lo, hi;
    get_layer(m, j, &L);
    for (o = 0; o < rows; o++) {
        if (pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi) && hi - lo + 1 > ring) {
            ring = (uint8_t)(hi - lo + 1);
        }
    }
    return ring;
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

uint8_t pd_stream_win_w(const pd_model_t *m, uint8_t strips, uint8_t j)
{
    uint8_t x0[PD_MAX_LAYERS], w[PD_MAX_LAYERS];
    uint8_t t, a, b, widest = j == 0 ? 1 : 0; /* layer 0's window always holds the encoded input */
    for (t = 0; t < strips; t++) {
        pd_strip_cols(m, strips, t, &a, &b, x0, w);
        if (w[j] > widest) {
            widest = w[j];
        }
    }
    return widest;
}

uint8_t pd_layer_row_hull(const pd_model_t *m, uint8_t j, int16_t o, int16_t *lo, int16_t *hi)
{
    pd_layer_t L;
    get_layer(m, j, &L);
    return pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, lo, hi);
}

/* Accumulator rows open at once when the last layer takes input rows
 * 0, 1, ... in turn: a row opens (bias) when an input row first reaches it
 * and closes (requantized, handed over) once its last input row is in; the
 * executor follows exactly this order. */
static uint8_t acc_rows_needed(const pd_model_t *m)
{
    const uint8_t last = (uint8_t)(m->n_layers - 1), rows_in = pd_stream_rows(m, (uint8_t)(last - 1));
    uint8_t r, open = 0, emit = 0, most = 1;
    int16_t o, lo, hi;
    for (r = 0; r < rows_in; r++) {
        for (o = emit; o < m->out_h; o++) {
            uint8_t taps = pd_layer_row_hull(m, last, o, &lo, &hi);
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
        while (emit < m->out_h && !(pd_layer_row_hull(m, last, emit, &lo, &hi) && hi > r)) {
            emit++; /* final: opened (if not yet) and closed at once */
            if (open < emit) {
                open = emit;
            }
        }
    }
    return most;
}

uint8_t pd_stream_acc_rows(const pd_model_t *m, uint8_t strips)
{
    pd_layer_t L;
    const uint8_t last = (uint8_t)(m->n_layers - 1);
    uint32_t strip_w = (uint32_t)(m->out_w + strips - 1) / strips, win, ring_cost, acc_cost;
    uint8_t acc;
    get_layer(m, last, &L);
    if (m->n_layers < 2 || L.kind == PD_KIND_FC) {
        return 0;
    }
    acc = acc_rows_needed(m);
    win = (uint32_t)pd_stream_win_w(m, strips, last) * L.in_c;
    ring_cost = pd_stream_ring(m, last) * win + strip_w * PD_OUT_C;
    acc_cost = win + (uint32_t)acc * strip_w * PD_OUT_C * 4u;
    return acc_cost < ring_cost ? acc : 0;
}

/* Bytes of layer j's input ring (and, for an accumulating last layer, its accumulators). */
static uint32_t stream_layer_bytes(const pd_model_t *m, uint8_t strips, uint8_t j, uint8_t acc_rows)
{
    pd_layer_t L;
    get_layer(m, j, &L);
    if (acc_rows != 0 && j + 1 == m->n_layers) {
        return (uint32_t)pd_stream_win_w(m, strips, j) * L.in_c +
               (uint32_t)acc_rows * ((m->out_w + strips - 1) / strips) * PD_OUT_C * 4u;
    }
    return (uint32_t)pd_stream_ring(m, j) * pd_stream_win_w(m, strips, j) * L.in_c;
}

static uint32_t stream_scratch(const pd_model_t *m, uint8_t strips)
{
    uint32_t total = PD_STREAM_STATE_BYTES(m->n_layers);
    uint8_t j, acc_rows = pd_stream_acc_rows(m, strips);
    for (j = 0; j < m->n_layers; j++) {
        total += stream_layer_bytes(m, strips, j, acc_rows);
    }
    if (acc_rows == 0) {
        total += (uint32_t)((m->out_w + strips - 1) / strips) * PD_OUT_C; /* one output row segment */
    }
    return total;
}

uint8_t pd_stream_strips(const pd_model_t *m)
{
    uint32_t bytes, best_bytes = U32_MAX;
    uint8_t n, best = 1;
    for (n = 1; n <= m->out_w; n++) {
        bytes = stream_scratch(m, n);
        if (bytes <= PD_STREAM_TARGET_BYTES) {
            return n;
        }
        if (bytes < best_bytes) {
            best_bytes = bytes;
            best = n;
        }
    }
    return best;
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
        uint8_t x0[PD_MAX_LAYERS], w[PD_MAX_LAYERS];
        uint8_t strips = pd_stream_strips(m), t, a, b, acc_rows = pd_stream_acc_rows(m, strips);
        info->ring_rows = (acc_rows != 0 && j + 1 == m->n_layers) ? 1 : pd_stream_ring(m, j);
        info->win_w = pd_stream_win_w(m, strips, j);
        info->rows = pd_stream_rows(m, j);
        info->bytes = stream_layer_bytes(m, strips, j, acc_rows);
        info->macs = 0;
        for (t = 0; t < strips; t++) {
            pd_strip_cols(m, strips, t, &a, &b, x0, w);
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

int pd_plan(const pd_model_t *m, int kind, pd_plan_t *info)
{
    pd_plan_layer_t li;
    uint8_t j;
    int st;
    if (m->n_layers == 0) {
        return PD_ERR_NO_MODEL;
    }
    if (kind != PD_PLAN_FULL && kind != PD_PLAN_STREAM) {
        return PD_ERR_PLAN_KIND;
    }
    info->macs = 0;
    if (kind == PD_PLAN_FULL) {
        uint32_t need, out;
        info->strips = 1;
        info->strip_w = m->out_w;
        info->acc_rows = 0;
        info->scratch_bytes = 0;
        for (j = 0; j < m->n_layers; j++) {
            st = pd_plan_layer(m, kind, j, &li);
            if (st != PD_OK) {
                return st;
            }
            info->macs = add_sat(info->macs, li.macs);
            need = li.bytes; /* input, plus the output unless it is the caller's image */
            if (j + 1 < m->n_layers) {
                pd_layer_t L;
                get_layer(m, j, &L);
                out = act_bytes(L.out_h, L.out_w, L.out_c);
                need += out;
            }
            if (need > info->scratch_bytes) {
                info->scratch_bytes = need;
            }
        }
        return PD_OK;
    }
    info->strips = pd_stream_strips(m);
    info->strip_w = (uint8_t)((m->out_w + info->strips - 1) / info->strips);
    info->scratch_bytes = stream_scratch(m, info->strips);
    info->acc_rows = pd_stream_acc_rows(m, info->strips);
    for (j = 0; j < m->n_layers; j++) {
        st = pd_plan_layer(m, kind, j, &li);
        if (st != PD_OK) {
            return st;
        }
        info->macs = add_sat(info->macs, li.macs);
    }
    return PD_OK;
}
