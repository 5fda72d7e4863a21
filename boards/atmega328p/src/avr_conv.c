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
    uint8_t n;        /* bytes */
} avr_seg_t;

/* One call of an avr_group routine: every output channel of up to 4 pixels that
 * share the segment list. Byte offsets are mirrored in src/avr_mac.S (G_*). */
typedef struct {
    const avr_seg_t *seg;                      /* 0 */
    uint8_t nseg;                              /* 2 */
    uint8_t n_co;                              /* 3 */
    uint16_t co_stride;                        /* 4: weight bytes per output channel */
    const uint8_t *bias, *mult, *shift;        /* 6, 8, 10: flash, advanced per channel */
    uint8_t *out[4];                           /* 12: output pixel, advanced per channel */
    uint16_t w_off;                            /* 20: the routine's own */
    uint8_t co_left;                           /* 22: the routine's own */
} avr_group_t;

_Static_assert(sizeof(avr_seg_t) == 5 && sizeof(avr_group_t) == 23, "layout shared with avr_mac.S");

typedef void (*avr_group_fn)(avr_group_t *g);

/* requantize into uint8 outputs ... */
extern void avr_group1(avr_group_t *);
extern void avr_group2_8(avr_group_t *);
extern void avr_group4_8(avr_group_t *);
/* ... or add into int32 accumulators (the executor's last-layer mode) */
extern void avr_accum1(avr_group_t *);
extern void avr_accum2_8(avr_group_t *);
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
    if (step == 8 && pixels >= 2) return accumulate ? avr_accum2_8 : avr_group2_8;
    return accumulate ? avr_accum1 : avr_group1;
}

static uint8_t group_pixels(avr_group_fn f) {
    if (f == avr_group4_8 || f == avr_accum4_8) return 4;
    if (f == avr_group2_8 || f == avr_accum2_8) return 2;
    return 1;
}

/* Plain C for a group whose taps exceed one 24-bit call (layers wider than
 * this model's: more than 255 products per output). */
static void group_c(avr_group_t *g, uint8_t px, uint16_t step, uint8_t accumulate) {
    for (uint8_t co = 0; co < g->n_co; co++) {
        uint16_t w_off = (uint16_t)(co * g->co_stride);
        for (uint8_t i = 0; i < px; i++) {
            int32_t acc = accumulate ? 0 : (int32_t)PD_RD32LE(g->bias + 4u * co);
            for (uint8_t t = 0; t < g->nseg; t++) {
                const uint8_t *w = g->seg[t].w + w_off, *x = g->seg[t].x + (uint16_t)(i * step);
                for (uint8_t j = 0; j < g->seg[t].n; j++) acc += (int16_t)PD_RDS8(w + j) * (int16_t)x[j];
            }
            if (accumulate) ((int32_t *)(void *)g->out[i])[co] += acc;
            else g->out[i][co] = avr_requant(acc, PD_RD16LE(g->mult + 2u * co), PD_RD8(g->shift + co));
        }
    }
}

/* Output rows of rect (acc == 0: requantized into `out`), or one output row's
 * taps from input row iy only, added to int32 acc[(x - rect.x0) * out_c + c]. */
static int conv_like(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r,
                     uint8_t iy_only, int32_t *acc) {
    const uint8_t kind = L->kind, k = L->kernel, s = L->stride, p = L->padding;
    const uint8_t ci = L->in_c, n_co = L->out_c;
    const uint8_t convt = kind == PD_KIND_CONVT;
    const uint8_t d = convt ? s : 1;                  /* outputs sharing a tap pattern are d apart */
    const uint8_t di = convt ? 1 : s;                 /* ... and their inputs di apart */
    const uint16_t step = (uint16_t)di * ci;          /* input bytes between grouped pixels */
    const uint16_t in_row = (uint16_t)in->w * ci;     /* bytes of one input ring slot */
    const uint16_t out_row = out ? (uint16_t)out->w * n_co : 0; /* bytes of one output ring slot */
    const uint16_t co_stride = (uint16_t)k * k * ci;  /* weights of one output channel */
    const uint8_t *rows[PD_MAX_KERNEL];               /* input row of each row tap */
    uint8_t kys[PD_MAX_KERNEL];                       /* its kernel row */
    avr_seg_t seg[k * k]; /* at most one segment per tap: 9 for 3x3 (a VLA keeps the stack small) */
    avr_group_t g;
    uint8_t n_rows = 0;
    int16_t ylo, yhi, lo, hi, lo2, hi2, iy, ix;
    int st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK || r->x0 == r->x1 || r->y0 == r->y1) return st;
    if (acc != 0 && (r->y1 != r->y0 + 1 || iy_only >= L->in_h)) return PD_ERR_RECT;

    for (int16_t oy = r->y0; oy < r->y1; oy++) {
        uint8_t *dst = acc ? (uint8_t *)(void *)acc : out->data + (uint16_t)((uint8_t)oy % out->ring) * out_row;
        const uint8_t px_bytes = acc ? (uint8_t)(4u * n_co) : n_co; /* per output pixel */
        const int16_t dst_x0 = acc ? r->x0 : out->x0;
        n_rows = 0;
        if (hull(kind, oy, L->in_h, k, s, p, &ylo, &yhi)) {
            if (acc != 0) { /* only input row iy_only, if it is a tap */
                if (iy_only < ylo || iy_only > yhi) continue;
                ylo = yhi = iy_only;
            }
            for (iy = ylo; iy <= yhi; iy++) {
                kys[n_rows] = (uint8_t)(convt ? oy + p - iy * s : iy - (oy * s - p));
                rows[n_rows] = in->data + (uint16_t)((uint8_t)iy % in->ring) * in_row;
                n_rows++;
            }
        }
        if (acc != 0 && n_rows == 0) continue;
        for (uint8_t phase = 0; phase < d; phase++) {
            int16_t ox = (int16_t)(r->x0 + phase);
            while (ox < r->x1) {
                uint8_t px = 1, nseg = 0, cols = hull(kind, ox, L->in_w, k, s, p, &lo, &hi);
                /* how many of ox, ox + d, ... share this tap pattern, shifted by di */
                while (px < 4 && ox + px * d < r->x1 && cols &&
                       hull(kind, (int16_t)(ox + px * d), L->in_w, k, s, p, &lo2, &hi2) &&
                       lo2 == lo + px * di && hi2 == hi + px * di) {
                    px++;
                }
                if (px == 3) px = 2;
                avr_group_fn run = pick(px, step, acc != 0);
                px = group_pixels(run);
                for (uint8_t t = 0; cols && t < n_rows; t++) {
                    const uint8_t *wk = L->weights + (uint16_t)kys[t] * k * ci; /* [k][ci] of this row */
                    const uint8_t *xr = rows[t] + (uint16_t)(lo - in->x0) * ci;
                    if (!convt) { /* taps lo..hi are kernel columns kx0.. in order: one segment */
                        seg[nseg].w = wk + (uint16_t)(lo - (ox * s - p)) * ci;
                        seg[nseg].x = xr;
                        seg[nseg].n = (uint8_t)((hi - lo + 1) * ci);
                        nseg++;
                    } else {
                        for (ix = lo; ix <= hi; ix++) {
                            seg[nseg].w = wk + (uint16_t)(ox + p - ix * s) * ci;
                            seg[nseg].x = xr + (uint16_t)(ix - lo) * ci;
                            seg[nseg].n = ci;
                            nseg++;
                        }
                    }
                }
                uint16_t products = 0;
                for (uint8_t i = 0; i < nseg; i++) products += seg[i].n;
                for (uint8_t i = 0; i < px; i++) g.out[i] = dst + (uint16_t)(ox + i * d - dst_x0) * px_bytes;
                g.seg = seg;
                g.nseg = nseg;
                g.n_co = n_co;
                g.co_stride = co_stride;
                g.bias = L->bias;
                g.mult = L->mult;
                g.shift = L->shift;
                if (products <= MAC_MAX_PRODUCTS) run(&g);
                else group_c(&g, px, step, acc != 0);
                ox = (int16_t)(ox + px * d);
            }
        }
    }
    return PD_OK;
}

/* The firmware links with -Wl,--wrap=pd_conv,--wrap=pd_convt,--wrap=pd_conv_acc,
 * --wrap=pd_convt_acc: the executor's calls land here, the shared files are
 * compiled unchanged (and their versions drop out of the image). */
int __wrap_pd_conv(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r);
int __wrap_pd_convt(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r);
int __wrap_pd_conv_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc);
int __wrap_pd_convt_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc);

int __wrap_pd_conv(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return L->kind == PD_KIND_CONV ? conv_like(L, in, out, r, 0, 0) : PD_ERR_L_KIND;
}

int __wrap_pd_convt(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r) {
    return L->kind == PD_KIND_CONVT ? conv_like(L, in, out, r, 0, 0) : PD_ERR_L_KIND;
}

int __wrap_pd_conv_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return L->kind == PD_KIND_CONV ? conv_like(L, in, 0, r, iy, acc) : PD_ERR_L_KIND;
}

int __wrap_pd_convt_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc) {
    return L->kind == PD_KIND_CONVT ? conv_like(L, in, 0, r, iy, acc) : PD_ERR_L_KIND;
}
