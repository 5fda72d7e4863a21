/* Executor: runs a parsed blob to its image with one of two plans (pd_plan.c).
 * Both produce the bytes of reference.run. No allocation, no libc calls. The
 * convolutions it calls are the build's variant (pd_dispatch.h). */
#include "pd_access.h"
#include "pd_dispatch.h"
#include "pd_geom.h"
#include "pd_plan_internal.h"
#include "pd_requant.h"

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

/* The mirror fold of a FLAG_MIRROR_FOLD blob (docs/arithmetic.md; device/pdblob.py fold is
 * the definition): the code the layers run for a die of `face` at code a, and *mirror = 1
 * when the image is shown mirrored. Other blobs: a, not mirrored. int8 throughout: every
 * code and result fits, and the AVR's code stays short. */
static int8_t fold(const pd_model_t *m, uint8_t face, int8_t a, uint8_t *mirror)
{
    uint8_t flip = 0;
    if (m->fold) {
        if ((PD_FOLD_SQUARE_FACES >> face) & 1) { /* a quarter turn and the mirror: [0, FOLD_QUARTER] */
            if (a < 0) {
                a = (int8_t)-a;
                flip = 1;
            }
            if (a > PD_FOLD_QUARTER) {
                a = (int8_t)(PD_ANGLE_CODE_MAX - a);
                flip ^= 1;
            }
        } else if ((PD_FOLD_DIAGONAL_FACES >> face) & 1) { /* a -> 127 - a: [-FOLD_QUARTER, FOLD_QUARTER] */
            if (a > PD_FOLD_QUARTER) {
                a = (int8_t)(PD_ANGLE_CODE_MAX - a);
                flip = 1;
            } else if (a < -PD_FOLD_QUARTER) {
                a = (int8_t)(-PD_ANGLE_CODE_MAX - a);
                flip = 1;
            }
        } else if (a < 0) { /* two columns: a -> -a, [0, 127] */
            a = (int8_t)-a;
            flip = 1;
        }
    }
    *mirror = flip;
    return a;
}

/* Reverses pixels[0..w) in place: a row segment of the mirrored image. */
static void reverse(uint8_t *px, uint8_t w)
{
    uint8_t i = 0, j = w;
    while (i + 1 < j) {
        uint8_t t = px[i];
        px[i++] = px[--j];
        px[j] = t;
    }
}

/* reference.encode_inputs: int8 (n_faces + 1): one-hot face * 127, then the (folded) code. */
static void encode(const pd_model_t *m, uint8_t face, int8_t code, uint8_t *x)
{
    uint8_t i;
    for (i = 0; i < m->n_faces; i++) {
        x[i] = (uint8_t)(i + 1 == face ? PD_ONE_HOT_CODE : 0);
    }
    x[m->n_faces] = (uint8_t)code;
}

static void set_window(pd_window_t *win, uint8_t *data, uint8_t ring, uint8_t x0, uint8_t w, uint8_t c)
{
    win->data = data;
    win->ring = ring;
    win->x0 = x0;
    win->w = w;
    win->c = c;
}

int pd_full_begin(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                  uint32_t scratch_size, uint32_t out_size)
{
    uint8_t mirror;
    int st = check_inputs(m, face, angle_code);
    if (st != PD_OK) {
        return st;
    }
    if (out_size < (uint32_t)m->out_h * m->out_w * PD_OUT_C) {
        return PD_ERR_OUT_SIZE;
    }
    if (scratch_size < pd_full_scratch(m)) {
        return PD_ERR_SCRATCH_SIZE;
    }
    encode(m, (uint8_t)face, fold(m, (uint8_t)face, (int8_t)angle_code, &mirror), scratch);
    return PD_OK;
}

/* Layer j's input and output buffers: even layers read the start of scratch and write its
 * end, odd layers the reverse; the last layer writes out. Part `part` of `parts` computes
 * the output rows [h * part / parts, h * (part + 1) / parts). */
int pd_full_layer(const pd_model_t *m, uint8_t j, uint8_t *scratch, uint32_t scratch_size, uint8_t *out,
                  uint8_t part, uint8_t parts)
{
    pd_layer_t L;
    pd_window_t in, dst;
    pd_rect_t r;
    uint8_t *x, *y;
    int st = pd_model_layer(m, j, &L);
    if (st != PD_OK) {
        return st;
    }
    x = j % 2 == 0 ? scratch : scratch + scratch_size - (uint32_t)L.in_h * L.in_w * L.in_c;
    if (j + 1 == m->n_layers) {
        y = out;
    } else {
        y = j % 2 == 0 ? scratch + scratch_size - (uint32_t)L.out_h * L.out_w * L.out_c : scratch;
    }
    set_window(&in, x, L.in_h, 0, L.in_w, L.in_c);
    set_window(&dst, y, L.out_h, 0, L.out_w, L.out_c);
    r.y0 = (uint8_t)((uint16_t)L.out_h * part / parts);
    r.y1 = (uint8_t)((uint16_t)L.out_h * (part + 1) / parts);
    r.x0 = 0;
    r.x1 = L.out_w;
    if (r.y1 == r.y0) {
        return PD_OK; /* no rows of this layer for this part */
    }
    return pd_layer_run(&L, &in, &dst, &r);
}

void pd_full_end(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *out, uint8_t part,
                 uint8_t parts)
{
    uint8_t y, mirror;
    (void)fold(m, (uint8_t)face, (int8_t)angle_code, &mirror);
    if (!mirror || parts == 0) {
        return;
    }
    for (y = (uint8_t)((uint16_t)m->out_h * part / parts); y < (uint16_t)m->out_h * (part + 1) / parts; y++) {
        reverse(out + (uint16_t)y * m->out_w * PD_OUT_C, m->out_w); /* one channel: PD_OUT_C is 1 */
    }
}

int pd_generate_full(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                     uint32_t scratch_size, uint8_t *out, uint32_t out_size)
{
    uint8_t j;
    int st = pd_full_begin(m, face, angle_code, scratch, scratch_size, out_size);
    for (j = 0; st == PD_OK && j < m->n_layers; j++) {
        st = pd_full_layer(m, j, scratch, scratch_size, out, 0, 1);
    }
    if (st == PD_OK) {
        pd_full_end(m, face, angle_code, out, 0, 1);
    }
    return st;
}

/* Orders this core's earlier stores before its store to sync (the other core reads them
 * after it sees the count). RP2040 has no data cache, but the compiler may still reorder. */
#if defined(__arm__)
#define PD_PUBLISH() __asm__ volatile("dmb" ::: "memory")
#elif defined(__x86_64__) || defined(__i386__)
#define PD_PUBLISH() __asm__ volatile("mfence" ::: "memory")
#elif defined(__GNUC__)
#define PD_PUBLISH() __asm__ volatile("" ::: "memory") /* single-core targets: the compiler only */
#else
#define PD_PUBLISH()
#endif

int pd_barrier(volatile uint8_t *sync, uint8_t part, uint8_t parts, uint32_t spin_limit)
{
    const uint8_t step = (uint8_t)(sync[part] + 1);
    uint8_t q;
    PD_PUBLISH();
    sync[part] = step;
    for (q = 0; q < parts; q++) {
        uint32_t spins = 0;
        while ((int8_t)(uint8_t)(sync[q] - step) < 0) { /* q is behind (counts wrap at 256) */
            if (++spins > spin_limit) {
                return PD_ERR_SYNC;
            }
        }
    }
    PD_PUBLISH();
    return PD_OK;
}

int pd_generate_full_part(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                          uint32_t scratch_size, uint8_t *out, uint32_t out_size, uint8_t part,
                          uint8_t parts, volatile uint8_t *sync, uint32_t spin_limit)
{
    uint8_t j;
    int st;
    if (parts < 1 || parts > PD_MAX_PARTS || part >= parts) {
        return PD_ERR_PART;
    }
    /* every part writes the same input bytes: no part reads them before it wrote them */
    st = pd_full_begin(m, face, angle_code, scratch, scratch_size, out_size);
    for (j = 0; st == PD_OK && j < m->n_layers; j++) {
        st = pd_full_layer(m, j, scratch, scratch_size, out, part, parts);
        if (st == PD_OK && j + 1 == m->n_layers) {
            pd_full_end(m, face, angle_code, out, part, parts); /* before the last barrier */
        }
        if (st == PD_OK) {
            st = pd_barrier(sync, part, parts, spin_limit);
        }
    }
    return st;
}

/* Scratch state of the streaming executor (PD_STREAM_STATE_BYTES), per layer j:
 * off[j] ring offset, ring[j] rows, x0[j]/w[j] this strip's input window, next[j] row. */
typedef struct {
    uint8_t *scratch;
    uint32_t *off;
    uint8_t *ring, *x0, *w, *next;
    uint8_t *row_out; /* [strip_w] the last layer's output row segment (ring mode) */
    uint8_t a, b;     /* this strip's output columns */
    uint8_t out_w;    /* the image's width */
    uint8_t mirror;   /* fold(): hand the row segments over mirrored */
} stream_t;

/* Hands a final row segment over (mirrored in place, and from the mirrored columns, when
 * the fold says so: the segment is the last layer's output, read by nothing else). */
static void hand_over(const stream_t *S, pd_row_fn on_row, void *ctx, uint8_t row, uint8_t col0, uint8_t w,
                      uint8_t *px)
{
    if (S->mirror) {
        reverse(px, w);
        col0 = (uint8_t)(S->out_w - col0 - w);
    }
    on_row(ctx, row, col0, w, px);
}

/* Layer j's next output row needs input rows up to *hi; returns 0 if it needs none. */
static uint8_t needs_up_to(const pd_model_t *m, uint8_t j, uint8_t row, int16_t *hi)
{
    const uint8_t *e = m->blob + PD_HEADER_SIZE + (uint32_t)j * PD_LAYER_SIZE;
    int16_t lo;
    return pd_hull(PD_RD8(e + PD_L_KIND), row, PD_RD8(e + PD_L_IN_H), PD_RD8(e + PD_L_KERNEL),
                   PD_RD8(e + PD_L_STRIDE), PD_RD8(e + PD_L_PADDING), &lo, hi);
}

static void input_window(const stream_t *S, uint8_t j, uint8_t in_c, pd_window_t *in)
{
    set_window(in, S->scratch + S->off[j], S->ring[j], S->x0[j], S->w[j], in_c);
}

/* Computes rows of layer `target` until row `row` is done, depth first: each
 * step computes the next row of the first layer (going down from target)
 * whose inputs are all in its ring. The last layer in ring mode writes
 * row_out and hands it over. */
static int produce(const pd_model_t *m, stream_t *S, uint8_t target, uint8_t row, pd_row_fn on_row, void *ctx)
{
    const uint8_t last = (uint8_t)(m->n_layers - 1);
    pd_layer_t L;
    pd_window_t in, dst;
    pd_rect_t r;
    int16_t hi;
    uint8_t j;
    int st;
    while (S->next[target] <= row) {
        j = target;
        while (j > 0 && needs_up_to(m, j, S->next[j], &hi) && hi >= S->next[j - 1]) {
            j--;
        }
        (void)pd_model_layer(m, j, &L);
        input_window(S, j, L.in_c, &in);
        if (j == last) {
            set_window(&dst, S->row_out, 1, S->a, (uint8_t)(S->b - S->a), L.out_c);
        } else {
            set_window(&dst, S->scratch + S->off[j + 1], S->ring[j + 1], S->x0[j + 1], S->w[j + 1], L.out_c);
        }
        r.y0 = S->next[j];
        r.y1 = (uint8_t)(S->next[j] + 1);
        r.x0 = dst.x0;
        r.x1 = (uint8_t)(dst.x0 + dst.w);
        st = pd_layer_run(&L, &in, &dst, &r);
        if (st != PD_OK) {
            return st;
        }
        if (j == last) {
            hand_over(S, on_row, ctx, S->next[j], S->a, dst.w, S->row_out);
        }
        S->next[j]++;
    }
    return PD_OK;
}

/* Accumulator mode: acc row o % n_acc holds output row o of the strip, [w][out_c] int32. */
static void acc_open(const pd_layer_t *L, int32_t *acc_row, uint8_t w)
{
    uint8_t x, c;
    for (x = 0; x < w; x++) {
        for (c = 0; c < L->out_c; c++) {
            *acc_row++ = (int32_t)PD_RD32LE(L->bias + 4 * (size_t)c);
        }
    }
}

/* Requantizes an accumulator row in place (byte i is written after int32 i is read,
 * and byte i lies in an int32 at or before i) and hands it over. */
static void acc_close(const stream_t *S, const pd_layer_t *L, int32_t *acc_row, uint8_t w, uint8_t row,
                      pd_row_fn on_row, void *ctx)
{
    uint8_t *px = (uint8_t *)acc_row;
    uint16_t i = 0;
    uint8_t x, c;
    for (x = 0; x < w; x++) {
        for (c = 0; c < L->out_c; c++, i++) {
            int32_t v = acc_row[i];
            px[i] = pd_requantize(v, PD_RD16LE(L->mult + 2 * (size_t)c), PD_RD8(L->shift + c));
        }
    }
    hand_over(S, on_row, ctx, row, S->a, w, px);
}

/* One strip with the last layer in accumulator mode: input rows r = 0, 1, ...
 * of the last layer are produced into its 1-row ring, their taps added to
 * every open output row they reach, and rows closed as soon as final (the
 * order pd_plan.c's acc_rows_needed simulates). */
static int strip_acc(const pd_model_t *m, stream_t *S, int32_t *acc, uint8_t n_acc, pd_row_fn on_row, void *ctx)
{
    const uint8_t last = (uint8_t)(m->n_layers - 1), rows_in = pd_stream_rows(m, (uint8_t)(last - 1));
    const uint8_t w = (uint8_t)(S->b - S->a);
    const size_t acc_row = (size_t)w * PD_OUT_C; /* int32 per accumulator row */
    pd_layer_t L;
    pd_window_t in;
    pd_rect_t rect;
    uint8_t r, open = 0, emit = 0;
    int16_t o, lo, hi;
    int st;
    (void)pd_model_layer(m, last, &L);
    rect.x0 = S->a;
    rect.x1 = S->b;
    for (r = 0; r <= rows_in; r++) {
        if (r < rows_in) {
            st = produce(m, S, (uint8_t)(last - 1), r, on_row, ctx);
            if (st != PD_OK) {
                return st;
            }
            input_window(S, last, L.in_c, &in);
            for (o = emit; o < L.out_h; o++) {
                uint8_t taps = pd_hull(L.kind, o, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi);
                if (taps && lo > r) {
                    break;
                }
                if (!taps || hi < r) {
                    continue;
                }
                for (; open <= o; open++) {
                    acc_open(&L, acc + open % n_acc * acc_row, w);
                }
                rect.y0 = (uint8_t)o;
                rect.y1 = (uint8_t)(o + 1);
                st = L.kind == PD_KIND_CONV
                         ? PD_KERNEL(pd_conv_acc)(&L, &in, &rect, r, acc + o % n_acc * acc_row)
                         : PD_KERNEL(pd_convt_acc)(&L, &in, &rect, r, acc + o % n_acc * acc_row);
                if (st != PD_OK) {
                    return st;
                }
            }
        }
        /* close the rows that are final: no taps, or their last input row is in */
        while (emit < L.out_h &&
               (r == rows_in || !pd_hull(L.kind, emit, L.in_h, L.kernel, L.stride, L.padding, &lo, &hi) ||
                hi <= r)) {
            if (open <= emit) {
                acc_open(&L, acc + emit % n_acc * acc_row, w);
                open = (uint8_t)(emit + 1);
            }
            acc_close(S, &L, acc + emit % n_acc * acc_row, w, emit, on_row, ctx);
            emit++;
        }
    }
    return PD_OK;
}

/* Checks the scratch and lays out the streaming state in it (kept out of
 * pd_generate_stream so the geometry's stack frame is gone during the run). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int stream_setup(const pd_model_t *m, uint8_t *scratch, uint32_t scratch_size, stream_t *S,
                        uint8_t *strips, uint8_t *acc_rows)
{
    pd_stream_geom_t g;
    uint8_t n = m->n_layers, j;
    uint32_t off;
    if (((uintptr_t)scratch & (PD_SCRATCH_ALIGN - 1)) != 0) {
        return PD_ERR_SCRATCH_ALIGN;
    }
    pd_stream_plan(m, &g);
    if (scratch_size < g.scratch) {
        return PD_ERR_SCRATCH_SIZE;
    }
    /* layout: state | accumulators (4-aligned) | rings | output row segment (ring mode) */
    S->scratch = scratch;
    S->off = (uint32_t *)(void *)scratch; /* [n] */
    S->ring = scratch + 4u * n;            /* [n] each */
    S->x0 = S->ring + n;
    S->w = S->x0 + n;
    S->next = S->w + n;
    off = PD_STREAM_STATE_BYTES(n) + (uint32_t)g.acc_rows * g.strip_w * PD_OUT_C * 4u;
    for (j = 0; j < n; j++) { /* rings: R_j rows of W_j columns of in_c_j channels */
        S->off[j] = off;
        S->ring[j] = g.ring[j];
        off += (uint32_t)g.ring[j] * g.win_w[j] *
               PD_RD8(m->blob + PD_HEADER_SIZE + (uint32_t)j * PD_LAYER_SIZE + PD_L_IN_C);
    }
    S->row_out = scratch + off;
    *strips = g.strips;
    *acc_rows = g.acc_rows;
    return PD_OK;
}

int pd_generate_stream(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                       uint32_t scratch_size, pd_row_fn on_row, void *ctx)
{
    stream_t S;
    int32_t *acc; /* [acc_rows][strip_w][out_c] accumulator mode only: right after the state */
    uint8_t n = m->n_layers, last = (uint8_t)(m->n_layers - 1), j, t, strips, acc_rows;
    int st = check_inputs(m, face, angle_code);
    if (st != PD_OK) {
        return st;
    }
    if (on_row == 0) {
        return PD_ERR_CALLBACK;
    }
    st = stream_setup(m, scratch, scratch_size, &S, &strips, &acc_rows);
    if (st != PD_OK) {
        return st;
    }
    acc = (int32_t *)(void *)(scratch + PD_STREAM_STATE_BYTES(n));
    /* layer 0's one input pixel, kept all along */
    encode(m, (uint8_t)face, fold(m, (uint8_t)face, (int8_t)angle_code, &S.mirror), scratch + S.off[0]);
    S.out_w = m->out_w;

    for (t = 0; t < strips; t++) {
        pd_strip_cols(m, strips, t, &S.a, &S.b, S.x0, S.w);
        S.x0[0] = 0; /* the input pixel sits at column 0 of ring 0 */
        for (j = 0; j < n; j++) {
            ((volatile uint8_t *)S.next)[j] = 0; /* volatile: no memset call in natmods */
        }
        if (acc_rows != 0) {
            st = strip_acc(m, &S, acc, acc_rows, on_row, ctx);
        } else {
            st = produce(m, &S, last, (uint8_t)(m->out_h - 1), on_row, ctx);
        }
        if (st != PD_OK) {
            return st;
        }
    }
    return PD_OK;
}
