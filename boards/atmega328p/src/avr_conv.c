/* AVR versions of pd_conv and pd_convt: the contract, checks and bytes of
 * natmod/kernels/pd_conv.c and pd_convt.c (which stay the reference: the
 * firmware built with IMPL=c or IMPL=dot runs those, and the tests compare
 * every build with reference.py), reorganised for an 8-bit core:
 *
 * - weight-stationary pixel blocking: one weight byte (lpm, 3 cycles) serves 4
 *   output pixels whose taps are the same up to a fixed input step
 *   (src/avr_mac.S), so a MAC costs about 9 cycles instead of 11+;
 * - the taps of a pixel group are a short list of (weights, activations,
 *   length) segments built once and reused for every output channel; a
 *   convolution row of k taps is one segment of k * in_c bytes;
 * - no division or modulo per pixel (strides are 1 or 2), requantization with
 *   byte shifts and a 16x16 multiply.
 */
#include <stdint.h>

#include "pd_access.h"
#include "pd_geom.h"

typedef struct {
    const uint8_t *w; /* weights of output channel 0 (flash) */
    const uint8_t *x; /* activations of pixel 0 (RAM) */
} avr_seg_t;          /* seg_n bytes each (the same for the whole group) */

/* One call of an avr_group routine: every output channel of up to 4 pixels that
 * share the segment list. Byte offsets are mirrored in src/avr_mac.S (G_*). */
typedef struct {
    const avr_seg_t *seg;                      /* 0 */
    uint8_t nseg;                              /* 2 */
    uint8_t n_co;                              /* 3 */
    uint16_t co_stride;                        /* 4: weight bytes per output channel */
    const uint8_t *bias, *mult, *shift;        /* 6, 8, 10: flash, advanced per channel */
    uint8_t *out[4];                           /* 12: the routine's own: output pixels */
    uint16_t w_off;                            /* 20: the routine's own */
    uint8_t co_left;                           /* 22: the routine's own */
    uint8_t seg_n;                             /* 23: bytes per segment */
    uint8_t *out0;                             /* 24: output of pixel 0, channel 0 */
    uint8_t out_step;                          /* 26: output bytes between the pixels */
} avr_group_t;

_Static_assert(sizeof(avr_seg_t) == 4 && sizeof(avr_group_t) == 27, "layout shared with avr_mac.S");

typedef void (*avr_group_fn)(avr_group_t *g);

/* requantize into uint8 outputs ... */
extern void avr_group1(avr_group_t *);
extern void avr_group2_8(avr_group_t *);
extern void avr_group3_8(avr_group_t *);
extern void avr_group4_8(avr_group_t *);
/* ... or add into int32 accumulators (the executor's last-layer mode) */
extern void avr_accum1(avr_group_t *);
extern void avr_accum2_8(avr_group_t *);
extern void avr_accum3_8(avr_group_t *);
extern void avr_accum4_8(avr_group_t *);

/* Products per group call: 255 * 127 * 255 < 2^23 keeps the 24-bit sums exact. */
#define MAC_MAX_PRODUCTS 255u

/* reference.requantize in AVR assembly (src/avr_mac.S). */
extern uint8_t avr_requant(int32_t acc, uint16_t mult, uint8_t shift);

/* Input index range [lo, hi] feeding output index o (pd_hull without division). */
static uint8_t hull(uint8_t kind, int16_t o, uint8_t n_in, uint8_t k, uint8_t s, uint8_t p, int16_t *lo,
                    int16_t *hi) {
    int16_t a, b;
    if (kind == PD_KIND_CONVT) {
        int16_t num = (int16_t)(o + p - k + 1);
        b = s == 2 ? (int16_t)((o + p) >> 1) : (int16_t)(o + p);
        a = num <= 0 ? 0 : (s == 2 ? (int16_t)((num + 1) >> 1) : num);
    } else {
        a = (int16_t)(s == 2 ? 2 * o - p : o - p);
        b = (int16_t)(a + k - 1);
    }
    if (a < 0) a = 0;
    if (b > (int16_t)n_in - 1) b = (int16_t)(n_in - 1);
    *lo = a;
    *hi = b;
    return a <= b;
}

/* The routine for `pixels` grouped pixels `step` input bytes apart (0: one pixel). */
static avr_group_fn pick(uint8_t pixels, uint16_t step, uint8_t accumulate) {
    if (step == 8 && pixels == 4) return accumulate ? avr_accum4_8 : avr_group4_8;
    if (step == 8 && pixels == 3) return accumulate ? avr_accum3_8 : avr_group3_8;
    if (step == 8 && pixels == 2) return accumulate ? avr_accum2_8 : avr_group2_8;
    return accumulate ? avr_accum1 : avr_group1;
}

static uint8_t group_pixels(avr_group_fn f) {
    if (f == avr_group4_8 || f == avr_accum4_8) return 4;
    if (f == avr_group3_8 || f == avr_accum3_8) return 3;
    if (f == avr_group2_8 || f == avr_accum2_8) return 2;
    return 1;
}

/* Plain C for a group whose taps exceed one 24-bit call (layers wider than
 * this model's: more than 255 products per output). */
static void group_c(avr_group_t *g, uint8_t px, uint16_t step, uint8_t accumulate) {
    for (uint8_t i = 0; i < px; i++) g->out[i] = g->out0 + (uint16_t)i * g->out_step;
    for (uint8_t co = 0; co < g->n_co; co++) {
        uint16_t w_off = (uint16_t)(co * g->co_stride);
        for (uint8_t i = 0; i < px; i++) {
            int32_t acc = accumulate ? 0 : (int32_t)PD_RD32LE(g->bias + 4u * co);
            for (uint8_t t = 0; t < g->nseg; t++) {
                const uint8_t *w = g->seg[t].w + w_off, *x = g->seg[t].x + (uint16_t)(i * step);
                for (uint8_t j = 0; j < g->seg_n; j++) acc += (int16_t)PD_RDS8(w + j) * (int16_t)x[j];
            }
            if (accumulate) ((int32_t *)(void *)g->out[i])[co] += acc;
            else g->out[i][co] = avr_requant(acc, PD_RD16LE(g->mult + 2u * co), PD_RD8(g->shift + co));
        }
    }
}

/* What the groups of one output row share (built once per row). */
typedef struct {
    const pd_layer_t *L;
    const uint8_t *xr[PD_MAX_KERNEL];   /* per row tap: its input row, minus in_x0 * in_c */
    const uint8_t *wk[PD_MAX_KERNEL];   /* per row tap: its kernel row's weights [k][in_c] */
    uint8_t n_rows;
    uint8_t convt;
    uint8_t d, di;       /* grouped outputs are d apart, their inputs di apart */
    uint8_t accumulate;  /* int32 accumulators instead of requantized bytes */
    uint8_t px_bytes;    /* output bytes per pixel */
    uint8_t out_step;    /* output bytes between grouped pixels: d * px_bytes */
    int16_t dst_x0;      /* column of dst[0] */
    uint8_t *dst;        /* output row */
} row_t;

/* One group: output columns ox, ox + d, ... (px of them), input columns [lo, hi]
 * for ox. Builds its segment list and runs it for every output channel. */
static __attribute__((noinline)) void group(const row_t *R, int16_t ox, int16_t lo, int16_t hi,
                                            avr_group_fn fn, uint8_t px) {
    const pd_layer_t *L = R->L;
    const uint8_t k = L->kernel, s = L->stride, p = L->padding, ci = L->in_c;
    avr_seg_t seg[R->convt ? k * k : k]; /* convT: one segment per tap; conv: one per row */
    avr_group_t g;
    uint8_t nseg = 0;
    const uint8_t *const *wk = R->wk;
    const uint8_t *const *xr = R->xr;
    const uint16_t x_lo = (uint16_t)lo * ci;
    if (!R->convt) { /* taps lo..hi are kernel columns kx0.. in order: one segment per row */
        const uint16_t w_lo = (uint16_t)(lo - (ox * s - p)) * ci;
        for (uint8_t t = 0; t < R->n_rows; t++, nseg++) {
            seg[nseg].w = wk[t] + w_lo;
            seg[nseg].x = xr[t] + x_lo;
        }
    } else {
        for (uint8_t t = 0; t < R->n_rows; t++) {
            uint16_t xo = x_lo, wo = (uint16_t)(ox + p - lo * s) * ci; /* kx falls by s as ix rises */
            for (int16_t ix = lo; ix <= hi; ix++, nseg++, xo += ci, wo -= (uint16_t)s * ci) {
                seg[nseg].w = wk[t] + wo;
                seg[nseg].x = xr[t] + xo;
            }
        }
    }
    g.out0 = R->dst + (uint16_t)(ox - R->dst_x0) * R->px_bytes;
    g.out_step = R->out_step;
    g.seg = seg;
    g.nseg = nseg;
    g.seg_n = R->convt ? ci : (uint8_t)((hi - lo + 1) * ci);
    uint16_t products = (uint16_t)nseg * g.seg_n;
    g.n_co = L->out_c;
    g.co_stride = (uint16_t)k * k * ci;
    g.bias = L->bias;
    g.mult = L->mult;
    g.shift = L->shift;
    if (products <= MAC_MAX_PRODUCTS) fn(&g);
    else group_c(&g, px, (uint16_t)R->di * ci, R->accumulate);
}

/* Output rows of rect (acc == 0: requantized into `out`), or one output row's
 * taps from input row iy only, added to int32 acc[(x - rect.x0) * out_c + c].
 * Arguments are already checked (run()). */
static __attribute__((noinline)) int conv_like(const pd_layer_t *L, const pd_window_t *in,
                                               const pd_window_t *out, const pd_rect_t *r,
                                               uint8_t iy_only, int32_t *acc) {
    const uint8_t kind = L->kind, k = L->kernel, s = L->stride, p = L->padding, n_co = L->out_c;
    const uint16_t in_row = (uint16_t)in->w * L->in_c; /* bytes of one input ring slot */
    row_t R;
    int16_t ylo, yhi, lo, hi, lo2, hi2;
    if (r->x0 == r->x1 || r->y0 == r->y1) return PD_OK;
    R.L = L;
    R.convt = kind == PD_KIND_CONVT;
    R.d = R.convt ? s : 1;
    R.di = R.convt ? 1 : s;
    R.accumulate = acc != 0;
    R.px_bytes = acc ? (uint8_t)(4u * n_co) : n_co;
    R.out_step = (uint8_t)(R.d * R.px_bytes);
    R.dst_x0 = acc ? r->x0 : out->x0;
    const uint16_t step = (uint16_t)R.di * L->in_c; /* input bytes between grouped pixels */
    for (int16_t oy = r->y0; oy < r->y1; oy++) {
        R.dst = acc ? (uint8_t *)(void *)acc
                    : out->data + (uint16_t)((uint8_t)oy % out->ring) * ((uint16_t)out->w * n_co);
        R.n_rows = 0;
        if (hull(kind, oy, L->in_h, k, s, p, &ylo, &yhi)) {
            if (acc != 0) { /* only input row iy_only, if it is a tap */
                if (iy_only < ylo || iy_only > yhi) continue;
                ylo = yhi = iy_only;
            }
            for (int16_t iy = ylo; iy <= yhi; iy++, R.n_rows++) {
                uint8_t ky = (uint8_t)(R.convt ? oy + p - iy * s : iy - (oy * s - p));
                R.wk[R.n_rows] = L->weights + (uint16_t)ky * k * L->in_c;
                R.xr[R.n_rows] = in->data + (uint16_t)((uint8_t)iy % in->ring) * in_row -
                                 (uint16_t)in->x0 * L->in_c;
            }
        }
        if (acc != 0 && R.n_rows == 0) continue;
        for (uint8_t phase = 0; phase < R.d; phase++) {
            int16_t ox = (int16_t)(r->x0 + phase);
            while (ox < r->x1) {
                uint8_t px = 1, cols = hull(kind, ox, L->in_w, k, s, p, &lo, &hi);
                /* do ox + (px-1)*d share ox's taps shifted by (px-1)*di? Hulls are clipped
                 * ranges of a sliding window, so the last pixel of a run decides for all. */
                for (uint8_t try_px = 4; cols && try_px >= 2; try_px--) {
                    int16_t last = (int16_t)(ox + (try_px - 1) * R.d);
                    if (last < r->x1 && hull(kind, last, L->in_w, k, s, p, &lo2, &hi2) &&
                        lo2 == lo + (try_px - 1) * R.di && hi2 == hi + (try_px - 1) * R.di) {
                        px = try_px;
                        break;
                    }
                }
                avr_group_fn fn = pick(px, step, R.accumulate);
                px = group_pixels(fn);
                if (!cols) hi = (int16_t)(lo - 1); /* no column taps: bias only */
                uint8_t n_rows = R.n_rows;
                if (!cols) R.n_rows = 0;
                group(&R, ox, lo, hi, fn, px);
                R.n_rows = n_rows;
                ox = (int16_t)(ox + px * R.d);
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

int __wrap_pd_conv(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return run(PD_KIND_CONV, L, in, out, r, 0, 0);
}

int __wrap_pd_convt(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return run(PD_KIND_CONVT, L, in, out, r, 0, 0);
}

int __wrap_pd_conv_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return run(PD_KIND_CONV, L, in, 0, r, iy, acc);
}

int __wrap_pd_convt_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return run(PD_KIND_CONVT, L, in, 0, r, iy, acc);
}

/* The wrappers must keep the shared kernels' exact signatures (pd_model.h). */
_Static_assert(__builtin_types_compatible_p(__typeof__(pd_conv), __typeof__(__wrap_pd_conv)), "pd_conv");
_Static_assert(__builtin_types_compatible_p(__typeof__(pd_convt), __typeof__(__wrap_pd_convt)), "pd_convt");
_Static_assert(__builtin_types_compatible_p(__typeof__(pd_conv_acc), __typeof__(__wrap_pd_conv_acc)),
               "pd_conv_acc");
_Static_assert(__builtin_types_compatible_p(__typeof__(pd_convt_acc), __typeof__(__wrap_pd_convt_acc)),
               "pd_convt_acc");
