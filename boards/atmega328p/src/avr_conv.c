/* The AVR variant of the convolution kernels (natmod/kernels/pd_dispatch.h):
 * pd_conv_avr, pd_convt_avr, pd_conv_acc_avr and pd_convt_acc_avr, which the
 * shipped firmware runs (IMPL=asm, src/pd_config_avr.h). The contract, checks
 * and bytes of the reference natmod/kernels/pd_conv.c and pd_convt.c (which
 * the firmware runs with IMPL=c or IMPL=dot; the tests compare every build
 * with reference.py), reorganised for an 8-bit core:
 *
 * - an output row is cut once into runs: the pixels of one phase (output
 *   column modulo the transposed convolution's stride) whose taps are not
 *   clipped by the image edge all share one tap pattern, so the run gets one
 *   segment list (one segment per kernel row) and one asm call that walks the
 *   run itself, moving the list along; clipped edge pixels go one at a time;
 * - requantized layers run activation-stationary cores that skip zero inputs
 *   (avr_sparse: 4 output channels per nonzero input byte, avr_sparse2: 2;
 *   after ReLU most inputs are 0), src/avr_mac.S;
 * - the accumulator mode (the streaming plan's single-channel last layer) runs
 *   weight-stationary cores: one weight byte (lpm, 3 cycles) serves 4 (or 3)
 *   pixels 8 input bytes apart, about 9 cycles per MAC;
 * - no division or modulo per pixel (strides are 1 or 2), requantization in
 *   assembly with byte shifts and a 16x16 multiply.
 */
#include <stddef.h>
#include <stdint.h>

#include "pd_access.h"
#include "pd_dispatch.h"
#include "pd_geom.h"

#include "avr_ctx.h"

/* Products per pixel: 255 * 127 * 255 < 2^23 keeps the 24-bit sums exact. */
#define MAC_MAX_PRODUCTS 255u

extern int32_t avr_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n); /* src/avr_dot.S */
extern uint8_t avr_requant(int32_t v, uint16_t mult, uint8_t shift);      /* reference.requantize */

/* One pixel in C with the asm dot product, for more than 255 products per
 * pixel (24-bit sums would not hold them): same arguments as avr_group1 with
 * n_groups 1, same results. */
static __attribute__((noinline)) void group_c(uint8_t accumulate) {
    avr_ctx_t *g = &avr_ctx;
    avr_seg_t *seg = (avr_seg_t *)(void *)g->seg;
    const uint8_t chunk = (uint8_t)(g->chunk_blocks * 4u + g->chunk_rest);
    for (uint8_t co = 0; co < g->n_co; co++) {
        int32_t acc = accumulate ? 0 : (int32_t)PD_RD32LE(g->bias + 4u * co);
        for (uint8_t t = 0; t < g->nseg; t++) {
            const uint8_t *w = seg[t].w + co * g->co_stride, *x = seg[t].x;
            for (uint8_t c = 0; c < g->nchunk; c++, w += chunk + g->w_jump, x += chunk) {
                acc += avr_dot_u8(w, x, chunk);
            }
        }
        if (accumulate) ((int32_t *)(void *)g->out0)[co] += acc;
        else g->out0[co] = avr_requant(acc, PD_RD16LE(g->mult + 2u * co), PD_RD8(g->shift + co));
    }
    for (uint8_t t = 0; t < g->nseg; t++) seg[t].x += g->x_adv;
}

/* What the runs of one output row share. */
typedef struct {
    const pd_layer_t *L;
    const uint8_t *xr[PD_MAX_KERNEL]; /* per row tap: its input row, minus in_x0 * in_c */
    const uint8_t *wk[PD_MAX_KERNEL]; /* per row tap: its kernel row's weights [k][in_c] */
    avr_seg_t seg[PD_MAX_KERNEL];     /* the current run's segments */
    uint8_t n_rows;
    uint8_t convt;
    uint8_t d, di;      /* a phase's outputs are d apart, their inputs di apart */
    uint8_t accumulate; /* int32 accumulators instead of requantized bytes */
    uint8_t px_bytes;   /* output bytes per pixel */
    uint8_t *dst;       /* output row, at column dst_x0 */
    int16_t dst_x0;
} row_t;

/* Input columns [*lo, *hi] of output column ox; returns 1 when none is clipped
 * by the image edge (then the next pixel of the phase has the same taps,
 * di columns on). *lo > *hi: no column taps. */
static __attribute__((noinline)) uint8_t columns(const pd_layer_t *L, int16_t ox, int16_t *lo, int16_t *hi) {
    const uint8_t s = L->stride, k = L->kernel, p = L->padding;
    const int16_t last = (int16_t)(L->in_w - 1);
    int16_t a, b;
    uint8_t whole;
    if (L->kind == PD_KIND_CONVT) { /* taps: kx = ox + p - ix * s in [0, k) */
        int16_t num = (int16_t)(ox + p - k + 1);
        b = s == 2 ? (int16_t)((ox + p) >> 1) : (int16_t)(ox + p);
        a = s == 2 ? (int16_t)((num + 1) >> 1) : num; /* ceil(num / s), arithmetic shift */
    } else {
        a = (int16_t)(s == 2 ? 2 * ox - p : ox - p);
        b = (int16_t)(a + k - 1);
    }
    whole = a >= 0 && b <= last;
    if (a > b) whole = 1; /* no taps in this phase at all: every pixel alike */
    *lo = a < 0 ? 0 : a;
    *hi = b > last ? last : b;
    return whole;
}

/* Point the asm cores at the taps of output column ox (input columns [lo, hi]). */
static __attribute__((noinline)) void segments(row_t *R, int16_t ox, int16_t lo, int16_t hi) {
    const pd_layer_t *L = R->L;
    const uint8_t ci = L->in_c, s = L->stride, p = L->padding;
    avr_ctx_t *g = &avr_ctx;
    uint8_t chunk;
    uint16_t w_lo;
    if (lo > hi || R->n_rows == 0) {
        g->nseg = 0;
        return;
    }
    if (R->convt) { /* one chunk per column tap; kx falls by s as ix rises */
        chunk = ci;
        g->nchunk = (uint8_t)(hi - lo + 1);
        g->w_jump = -(int16_t)((s + 1u) * ci);
        w_lo = (uint16_t)(ox + p - lo * s) * ci;
    } else { /* the taps of a kernel row are contiguous: one chunk */
        chunk = (uint8_t)((hi - lo + 1) * ci);
        g->nchunk = 1;
        g->w_jump = 0;
        w_lo = (uint16_t)(lo - (s == 2 ? 2 * ox - p : ox - p)) * ci;
    }
    g->chunk_blocks = chunk >> 2;
    g->chunk_rest = chunk & 3;
    g->nseg = R->n_rows;
    for (uint8_t t = 0; t < R->n_rows; t++) {
        R->seg[t].w = R->wk[t] + w_lo;
        R->seg[t].x = R->xr[t] + (uint16_t)lo * ci;
    }
}

/* n pixels of one phase from output column ox on, all with the taps set by
 * segments() up to a shift of di columns each: groups of 4, then 3, 2 or 1. */
static __attribute__((noinline)) void run_pixels(row_t *R, int16_t ox, uint8_t n) {
    const pd_layer_t *L = R->L;
    avr_ctx_t *g = &avr_ctx;
    const uint16_t in_step = (uint16_t)R->di * L->in_c, out_step = (uint16_t)R->d * R->px_bytes;
    const uint16_t products = (uint16_t)g->nseg * g->nchunk * (g->chunk_blocks * 4u + g->chunk_rest);
    uint8_t *out0 = R->dst + (uint16_t)(ox - R->dst_x0) * R->px_bytes;
    g->x_adv = in_step;
    if (out_step > 255 || products > MAC_MAX_PRODUCTS) { /* pixel by pixel */
        for (; n != 0; n--, out0 += out_step) {
            g->out0 = out0;
            g->n_groups = 1;
            if (products > MAC_MAX_PRODUCTS) group_c(R->accumulate);
            else if (R->accumulate) avr_accum1();
            else avr_group1();
        }
        return;
    }
    g->out0 = out0;
    g->out_step = (uint8_t)out_step;
    if (!R->accumulate || in_step != 8) { /* one routine call for the run */
        g->n_groups = n;
        if (R->accumulate) avr_accum1();
        else if ((L->out_c & 3) == 0) avr_sparse();
        else if ((L->out_c & 1) == 0) avr_sparse2();
        else avr_group1();
        return;
    }
    while (n != 0) { /* accumulators, 8 input bytes apart: groups of 4 pixels */
        /* 4s, and the rest as 3 + 3 + 3, 3 + 3, 3 + 1 + 1, 3, 1 + 1 or 1: a 1-pixel
         * MAC costs 12 cycles, a 4-pixel one 8.75, a 3-pixel one 9 (no 2-pixel
         * core: rests of 2 pixels are rare and the flash holds the tumble's model) */
        uint8_t px, groups, rest = n & 3;
        if (rest == 1) rest = n >= 9 ? 9 : n >= 5 ? 5 : 1;
        else if (rest == 2) rest = n >= 6 ? 6 : 2;
        if (n > rest) {
            px = 4;
            groups = (uint8_t)((n - rest) >> 2);
        } else {
            px = n >= 3 ? 3 : n;
            groups = n == 9 ? 3 : n == 6 ? 2 : 1;
        }
        if (px == 2) {
            px = 1;
            groups = 2;
        }
        g->n_groups = groups;
        g->x_adv = (uint16_t)(px * 8u);
        if (px == 4) avr_accum4_8();
        else if (px == 3) avr_accum3_8();
        else avr_accum1();
        n = (uint8_t)(n - px * groups);
    }
}

/* One output column on its own (an edge pixel: clipped taps). */
static __attribute__((noinline)) void one_pixel(row_t *R, int16_t ox) {
    int16_t lo, hi;
    (void)columns(R->L, ox, &lo, &hi);
    segments(R, ox, lo, hi);
    run_pixels(R, ox, 1);
}

/* Ring slot of row y: y % ring without a division call for the usual rings. */
static uint8_t slot(uint8_t y, uint8_t ring) {
    if (ring == 1) return 0;
    while (y >= ring) y = (uint8_t)(y - ring);
    return y;
}

/* Output rows of rect (acc == 0: requantized into `out`), or one output row's
 * taps from input row iy only, added to int32 acc[(x - rect.x0) * out_c + c].
 * Arguments are already checked (run()). */
static __attribute__((noinline)) int conv_like(const pd_layer_t *L, const pd_window_t *in,
                                               const pd_window_t *out, const pd_rect_t *r,
                                               uint8_t iy_only, int32_t *acc) {
    const uint8_t kind = L->kind, k = L->kernel, s = L->stride, p = L->padding, n_co = L->out_c;
    const uint16_t in_row = (uint16_t)in->w * L->in_c; /* bytes of one input ring slot */
    avr_ctx_t *g = &avr_ctx;
    row_t R;
    int16_t ylo, yhi, lo, hi;
    if (r->x0 == r->x1 || r->y0 == r->y1) return PD_OK;
    R.L = L;
    R.convt = kind == PD_KIND_CONVT;
    R.d = R.convt ? s : 1;
    R.di = R.convt ? 1 : s;
    R.accumulate = acc != 0;
    R.px_bytes = acc ? (uint8_t)(4u * n_co) : n_co;
    R.dst_x0 = acc ? r->x0 : out->x0;
    g->seg = R.seg;
    g->n_co = n_co;
    g->co_stride = (uint16_t)k * k * L->in_c;
    g->bias = L->bias;
    g->mult = L->mult;
    g->shift = L->shift;
    for (int16_t oy = r->y0; oy < r->y1; oy++) {
        R.dst = acc ? (uint8_t *)(void *)acc : out->data + slot((uint8_t)oy, out->ring) * ((uint16_t)out->w * n_co);
        R.n_rows = 0;
        if (pd_hull(kind, oy, L->in_h, k, s, p, &ylo, &yhi)) {
            if (acc != 0) { /* only input row iy_only, if it is a tap */
                if (iy_only < ylo || iy_only > yhi) continue;
                ylo = yhi = iy_only;
            }
            uint8_t sl = slot((uint8_t)ylo, in->ring);
            for (int16_t iy = ylo; iy <= yhi; iy++, R.n_rows++) {
                uint8_t ky = (uint8_t)(R.convt ? oy + p - iy * s : iy - (oy * s - p));
                R.wk[R.n_rows] = L->weights + (uint16_t)ky * k * L->in_c;
                R.xr[R.n_rows] = in->data + sl * in_row - (uint16_t)in->x0 * L->in_c;
                if (++sl == in->ring) sl = 0;
            }
        }
        if (acc != 0 && R.n_rows == 0) continue;
        for (uint8_t phase = 0; phase < R.d; phase++) {
            int16_t first = (int16_t)(r->x0 + phase), last;
            if (first >= r->x1) break;
            last = (int16_t)(first + (R.d == 2 ? (r->x1 - 1 - first) & ~1 : r->x1 - 1 - first));
            while (first <= last && !columns(L, first, &lo, &hi)) { /* clipped on the left */
                one_pixel(&R, first);
                first = (int16_t)(first + R.d);
            }
            int16_t end = last; /* the last pixel of the run */
            while (end >= first && !columns(L, end, &lo, &hi)) end = (int16_t)(end - R.d);
            if (end >= first) {
                (void)columns(L, first, &lo, &hi);
                segments(&R, first, lo, hi);
                run_pixels(&R, first, (uint8_t)((R.d == 2 ? (end - first) >> 1 : end - first) + 1));
            }
            for (int16_t ox = (int16_t)(end + R.d); ox <= last; ox = (int16_t)(ox + R.d)) {
                one_pixel(&R, ox); /* clipped on the right */
            }
        }
    }
    return PD_OK;
}

/* The shared kernels' argument checks (same status codes), then the work. */
static int run(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out,
               const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    int st;
    if (L->kind != kind) return PD_ERR_L_KIND;
    st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK) return st;
    if (acc != 0 && r->y0 != r->y1 && r->x0 != r->x1 && (r->y1 != r->y0 + 1 || iy >= L->in_h)) {
        return PD_ERR_RECT;
    }
    return conv_like(L, in, out, r, iy, acc);
}

int pd_conv_avr(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return run(PD_KIND_CONV, L, in, out, r, 0, 0);
}

int pd_convt_avr(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return run(PD_KIND_CONVT, L, in, out, r, 0, 0);
}

int pd_conv_acc_avr(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return run(PD_KIND_CONV, L, in, 0, r, iy, acc);
}

int pd_convt_acc_avr(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return run(PD_KIND_CONVT, L, in, 0, r, iy, acc);
}
