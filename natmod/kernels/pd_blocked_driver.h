/* The register-blocked convolution kernels (pd_blocked.h), included once by
 * the file of each of their variants, which first defines
 *   PD_BLOCKED_M0        1: batches run pd_m0_jobs.S's inner loops where the
 *                        shape allows (the Cortex-M0+ only), 0: the C loops
 *   PD_BLOCKED_NAME(op)  the variant's names: op##_blocked (pd_blocked.c) or
 *                        op##_m0 (armv6m/pd_blocked_m0.c)
 * Not a public header. Same contract, argument checks and bytes as the
 * reference kernels (pd_conv.c, pd_convt.c):
 *   conv:  out[oy][ox][co] = requant(bias[co] + sum w[co][ky][kx][ci] * in[oy*s-p+ky][ox*s-p+kx][ci])
 *   convT: the same sum over the taps with oy = iy*s - p + ky, ox = ix*s - p + kx.
 * Each output row is cut, phase by phase (convT: columns of one ox mod s), into
 * jobs: pixels whose taps are the same up to a fixed input step (the
 * interior pixels, where no input edge clips a tap, form one job, each border
 * pixel its own). A job's taps are a list of segments (one per kernel row for
 * a conv, one per kernel tap for a convT) built once. Jobs are collected over
 * rows and computed 2 pixels x 2 channels at a time (pd_m0_jobs* in asm in
 * the _m0 variant, else jobs_c). Stack: about 1.3 KB (the batch of jobs and segments). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2") /* the glue runs per row and per job: speed over size (the natmod is -Os) */
#endif

#include "pd_access.h"
#include "pd_blocked.h"
#include "pd_dispatch.h"
#include "pd_dot.h"
#include "pd_geom.h"
#include "pd_requant.h"

#define MAX_SEGS (PD_MAX_KERNEL * PD_MAX_KERNEL) /* a convT pixel: one segment per tap */
#define POOL_SEGS (2 * (MAX_SEGS + 1))          /* segments of the jobs collected for one call */
#define MAX_JOBS 12

/* What one kernel call does with its sums: requantize into bytes or add into int32. */
enum { OUT_BYTES = 0, OUT_ACC = 1 };

/* Output channel c of pixel p of a group whose outputs start at o. */
static void emit(const pd_jobs_t *J, uint8_t *o, uint8_t mode, uint32_t c, uint8_t p, int32_t sum)
{
    o += p * J->out_dx;
    if (mode == OUT_ACC) {
        ((int32_t *)(void *)o)[c] += sum;
    } else {
        sum += (int32_t)PD_RD32LE(J->bias + 4 * c);
        o[c] = pd_requantize(sum, PD_RD16LE(J->mult + 2 * c), PD_RD8(J->shift + c));
    }
}

#if defined(__GNUC__)
#define PD_INLINE static inline __attribute__((always_inline))
#else
#define PD_INLINE static inline
#endif

/* Channels c (and c + 1 when `two`) of one group (1 or 2 pixels dx apart),
 * sums into s[channel][pixel]. Called with constant flags: each combination
 * compiles to its own loop with no tests inside. */
PD_INLINE void group_sums(const pd_seg_t *s, uint32_t goff, const uint8_t *w0, const uint8_t *w1, uint32_t dx,
                          const uint8_t in_signed, const uint8_t pixels, const uint8_t two, int32_t sum[2][2])
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0; /* channel c / c + 1, pixel 0 / 1 */
    for (; s->x != 0; s++) {
        const uint8_t *x = s->x + goff;
        uint32_t i;
        for (i = s->w_off; i < s->w_end; i++, x++) {
            const int32_t v0 = PD_RDS8(w0 + i);
            const int32_t a0 = in_signed ? (int32_t)(int8_t)x[0] : (int32_t)x[0];
            s00 += v0 * a0;
            if (two) {
                s10 += PD_RDS8(w1 + i) * a0;
            }
            if (pixels == 2) {
                const int32_t a1 = in_signed ? (int32_t)(int8_t)x[dx] : (int32_t)x[dx];
                s01 += v0 * a1;
                if (two) {
                    s11 += PD_RDS8(w1 + i) * a1;
                }
            }
        }
        PD_COUNT((s->w_end - s->w_off) * pixels * (1u + two));
    }
    sum[0][0] = s00;
    sum[0][1] = s01;
    sum[1][0] = s10;
    sum[1][1] = s11;
}

PD_INLINE void job_c(const pd_jobs_t *J, const pd_job_t *job, uint32_t dx, const uint8_t in_signed,
                     const uint8_t pixels, uint8_t mode)
{
    uint8_t *o = job->out;
    uint32_t g, c, goff = job->x_off;
    int32_t sum[2][2];
    for (g = 0; g < job->groups; g++, o += J->g_out, goff += J->g_dx) {
        for (c = 0; c < J->n_co; c += 2) {
            const uint8_t *w0 = J->w + c * J->w_co;
            const uint8_t two = (uint8_t)(c + 1 < J->n_co); /* a second channel in this pass */
            if (two) {
                group_sums(job->seg, goff, w0, w0 + J->w_co, dx, in_signed, pixels, 1, sum);
            } else {
                group_sums(job->seg, goff, w0, w0, dx, in_signed, pixels, 0, sum);
            }
            emit(J, o, mode, c, 0, sum[0][0]);
            if (pixels == 2) {
                emit(J, o, mode, c, 1, sum[0][1]);
            }
            if (two) {
                emit(J, o, mode, c + 1, 0, sum[1][0]);
                if (pixels == 2) {
                    emit(J, o, mode, c + 1, 1, sum[1][1]);
                }
            }
        }
    }
}

/* The plain C jobs: the asm's arithmetic for any shape, signed inputs too
 * (dx: activation bytes between a group's two pixels). */
static void jobs_c(const pd_jobs_t *J, uint32_t dx, uint8_t in_signed, uint8_t mode)
{
    const pd_job_t *job;
    for (job = J->job; job->groups != 0; job++) {
        if (in_signed) {
            job_c(J, job, dx, 1, (uint8_t)job->pixels, mode);
        } else if (job->pixels == 2) {
            job_c(J, job, dx, 0, 2, mode);
        } else {
            job_c(J, job, dx, 0, 1, mode);
        }
    }
}

/* The input rows of output row oy inside [iy0, iy1]: their ring slots and the
 * offsets of their kernel rows in an output channel's weights. */
static uint8_t row_taps(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, int16_t oy, int16_t iy0,
                        int16_t iy1, const uint8_t **x_row, uint32_t *w_row)
{
    const uint8_t s = L->stride, p = L->padding;
    const uint32_t row_bytes = (uint32_t)in->w * L->in_c, kci = (uint32_t)L->kernel * L->in_c;
    int16_t lo, hi;
    uint8_t n = 0, slot;
    if (!pd_hull_rows(kind, L, oy, iy0, iy1, &lo, &hi)) {
        return 0;
    }
    slot = in->ring == 1 ? 0 : lo < in->ring ? (uint8_t)lo : (uint8_t)((uint8_t)lo % in->ring);
    for (; lo <= hi; lo++, n++) {
        x_row[n] = in->data + slot * row_bytes;
        w_row[n] = (uint32_t)(kind == PD_KIND_CONV ? lo - (oy * s - p) : oy + p - lo * s) * kci;
        if (++slot == in->ring) {
            slot = 0;
        }
    }
    return n;
}

/* Segments of output column ox: input columns [lo, hi] of the n_rows rows;
 * the list ends with x = 0. Returns the number of entries written. */
static uint8_t column_segs(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, const uint8_t *const *x_row,
                           const uint32_t *w_row, uint8_t n_rows, int16_t ox, int16_t lo, int16_t hi, pd_seg_t *seg)
{
    const uint32_t ci = L->in_c, x_off = (uint32_t)(lo - in->x0) * ci;
    const pd_seg_t *first = seg;
    uint8_t j;
    if (lo > hi) {
        n_rows = 0;
    }
    if (kind == PD_KIND_CONV) { /* consecutive columns meet consecutive kernel columns: one segment a row */
        const uint32_t w_off = (uint32_t)(lo - (ox * L->stride - L->padding)) * ci;
        const uint32_t len = (uint32_t)(hi - lo + 1) * ci;
        for (j = 0; j < n_rows; j++, seg++) {
            seg->w_off = w_row[j] + w_off;
            seg->x = x_row[j] + x_off;
            seg->w_end = seg->w_off + len;
        }
    } else { /* one segment a tap: the kernel column falls by s as the input column rises */
        const uint32_t w_off = (uint32_t)(ox + L->padding - lo * L->stride) * ci, w_step = L->stride * ci;
        const uint8_t cols = (uint8_t)(hi - lo + 1);
        uint8_t c;
        for (j = 0; j < n_rows; j++) {
            uint32_t w = w_row[j] + w_off;
            const uint8_t *x = x_row[j] + x_off;
            for (c = 0; c < cols; c++, seg++, w -= w_step, x += ci) {
                seg->w_off = w;
                seg->x = x;
                seg->w_end = w + ci;
            }
        }
    }
    seg->x = 0;
    return (uint8_t)(seg - first + 1);
}

/* The output columns [*a, *b] whose column taps no input edge clips: from one
 * to the next of the same phase the taps move on by exactly one step. */
static void interior(uint8_t kind, const pd_layer_t *L, int16_t *a, int16_t *b)
{
    const int16_t k = L->kernel, s = L->stride, p = L->padding, n = L->in_w;
    if (kind == PD_KIND_CONV) { /* o*s - p >= 0 and o*s - p + k - 1 <= n - 1 */
        *a = pd_div((int16_t)(p + s - 1), (uint8_t)s);
        *b = n - k + p < 0 ? (int16_t)-1 : pd_div((int16_t)(n - k + p), (uint8_t)s);
    } else { /* ceil((o + p - k + 1) / s) >= 0 and floor((o + p) / s) <= n - 1 */
        *a = k - p - s < 0 ? (int16_t)0 : (int16_t)(k - p - s);
        *b = (int16_t)(s * n - 1 - p);
    }
}

/* Jobs collected for one call of the inner loops (the small fields first: the
 * M0+ reaches them with short sp-relative loads). */
typedef struct {
    pd_jobs_t J;
    uint32_t dx;
    uint8_t n_job, n_seg;
    uint8_t mode, in_signed, fast;
    pd_job_t job[MAX_JOBS + 1];
    pd_seg_t seg[POOL_SEGS];
} batch_t;

static void flush(batch_t *b)
{
    if (b->n_job == 0) {
        return;
    }
    b->job[b->n_job].groups = 0;
#if PD_BLOCKED_M0
    if (b->fast) {
        (b->mode == OUT_ACC ? pd_m0_jobs_acc : pd_m0_jobs)(&b->J);
    } else
#endif
    {
        jobs_c(&b->J, b->dx, b->in_signed, b->mode);
    }
    b->n_job = 0;
    b->n_seg = 0;
}

static void add_job(batch_t *b, const pd_seg_t *seg, uint8_t *out, uint32_t groups, uint8_t pixels, uint32_t x_off)
{
    pd_job_t *j = &b->job[b->n_job++];
    j->seg = seg;
    j->out = out;
    j->groups = groups;
    j->pixels = pixels;
    j->x_off = x_off;
}

/* A run of output columns ox, ox + step, ... (n of them) with the same taps up
 * to the input step: input columns [lo, hi] (none if !taps) for ox. */
typedef struct {
    int16_t ox, lo, hi;
    uint8_t n, taps;
} cols_t;

#define MAX_COLS 16 /* column runs worked out at once (a row of the default model has up to 6) */

/* The column runs of rect r from phase *first, column *ox on, into c[0..MAX_COLS);
 * returns how many and moves (*first, *ox) past them ((step, _) when done). */
static uint8_t column_runs(uint8_t kind, const pd_layer_t *L, const pd_rect_t *r, uint8_t step, int16_t ia,
                           int16_t ib, uint8_t *first, int16_t *ox, cols_t *c)
{
    const int16_t x1 = r->x1, last = ib < x1 - 1 ? ib : (int16_t)(x1 - 1); /* the last interior column */
    uint8_t k = 0, f = *first;
    int16_t o = *ox;
    for (; f < step; f++, o = (int16_t)(r->x0 + f)) {
        while (o < x1) {
            int16_t n = 1;
            if (k == MAX_COLS) {
                *first = f;
                *ox = o;
                return k;
            }
            c[k].ox = o;
            c[k].taps = pd_hull(kind, o, L->in_w, L->kernel, L->stride, L->padding, &c[k].lo, &c[k].hi);
            if (o >= ia && o <= last) {
                n = (int16_t)((step == 1 ? last - o : step == 2 ? (last - o) >> 1 : (last - o) / step) + 1);
            }
            c[k++].n = (uint8_t)n;
            o = (int16_t)(o + n * step);
        }
    }
    *first = f;
    *ox = o;
    return k;
}

/* Output rows [r.y0, r.y1) and columns [r.x0, r.x1) from input rows [iy0, iy1]:
 * bytes into out (row oy at out + (oy % out_ring) * out_row) or int32 added to acc. */
static void run_rows(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, int16_t iy0,
                     int16_t iy1, uint8_t *out, uint8_t out_ring, uint32_t out_row, int32_t *acc)
{
    const uint8_t conv = kind == PD_KIND_CONV, ci = L->in_c;
    const uint8_t step = conv ? 1 : L->stride;                 /* output columns between a job's pixels */
    const uint32_t esize = acc != 0 ? 4u : 1u;                  /* output element bytes */
    const uint32_t col = (uint32_t)L->out_c * esize;            /* output bytes per column */
    const uint8_t *x_row[PD_MAX_KERNEL]; /* input rows feeding this output row */
    uint32_t w_row[PD_MAX_KERNEL];       /* and their kernel rows' weight offsets */
    cols_t cols[MAX_COLS];               /* column runs, the same in every row */
    batch_t b;
    int16_t oy, ox, ia, ib;
    uint8_t n_rows, first, n_cols, i, used, slot;
    b.mode = acc != 0 ? OUT_ACC : OUT_BYTES;
    b.in_signed = L->in_signed;
    b.dx = (uint32_t)(conv ? L->stride : 1) * ci; /* activation bytes between a job's pixels */
    b.n_job = 0;
    b.n_seg = 0;
    b.fast = 0;
#if PD_BLOCKED_M0
    b.fast = !L->in_signed && ci % PD_M0_CHUNK == 0 && b.dx == PD_M0_DX && ((uintptr_t)L->bias & 3) == 0 &&
             ((uintptr_t)L->mult & 1) == 0;
#endif
    b.J.job = b.job;
    b.J.w = L->weights;
    b.J.w_co = (uint32_t)L->kernel * L->kernel * ci;
    b.J.bias = L->bias;
    b.J.mult = L->mult;
    b.J.shift = L->shift;
    b.J.out_dx = step * col;
    b.J.n_co = L->out_c;
    b.J.g_dx = 2 * b.dx;
    b.J.g_out = 2 * b.J.out_dx;
    interior(kind, L, &ia, &ib);
    first = 0;
    ox = (int16_t)r->x0;
    while ((n_cols = column_runs(kind, L, r, step, ia, ib, &first, &ox, cols)) != 0) {
        slot = (uint8_t)((uint8_t)r->y0 % out_ring); /* of row oy in the output ring */
        for (oy = r->y0; oy < r->y1; oy++, slot = (uint8_t)(slot + 1 == out_ring ? 0 : slot + 1)) {
            uint8_t *row = b.mode == OUT_ACC ? (uint8_t *)(void *)acc : out + slot * out_row;
            n_rows = row_taps(kind, L, in, oy, iy0, iy1, x_row, w_row);
            if (b.mode == OUT_ACC && n_rows == 0) {
                continue;
            }
            for (i = 0; i < n_cols; i++) {
                const cols_t *c = &cols[i];
                const uint32_t n = c->n;
                if (b.n_seg + MAX_SEGS + 1 > POOL_SEGS || b.n_job + 2 > MAX_JOBS) {
                    flush(&b);
                }
                used = column_segs(kind, L, in, x_row, w_row, c->taps ? n_rows : 0, c->ox, c->lo, c->hi,
                                   b.seg + b.n_seg);
                if (n >= 2) {
                    add_job(&b, b.seg + b.n_seg, row + (uint32_t)(c->ox - r->x0) * col, n / 2u, 2, 0);
                }
                if (n % 2u != 0) { /* the last pixel alone */
                    add_job(&b, b.seg + b.n_seg, row + (uint32_t)(c->ox + (n - 1) * step - r->x0) * col, 1, 1,
                            (n / 2u) * b.J.g_dx);
                }
                b.n_seg = (uint8_t)(b.n_seg + used);
            }
        }
    }
    flush(&b);
}

static int kernel(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out,
                  const pd_rect_t *r)
{
    int st = pd_kernel_check(L, in, out, r);
    if (st != PD_OK || r->x0 == r->x1) {
        return st;
    }
    run_rows(kind, L, in, r, 0, PD_MAX_DIM, out->data + (uint32_t)(r->x0 - out->x0) * L->out_c, out->ring,
             (uint32_t)out->w * L->out_c, 0);
    return PD_OK;
}

static int kernel_acc(uint8_t kind, const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy,
                      int32_t *acc)
{
    int st = pd_kernel_check(L, in, 0, r);
    if (st != PD_OK || r->x0 == r->x1 || r->y0 == r->y1) {
        return st;
    }
    if (r->y1 != r->y0 + 1 || iy >= L->in_h) {
        return PD_ERR_RECT;
    }
    run_rows(kind, L, in, r, iy, iy, 0, 1, 0, acc);
    return PD_OK;
}

int PD_BLOCKED_NAME(pd_conv)(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    return kernel(PD_KIND_CONV, L, in, out, r);
}

int PD_BLOCKED_NAME(pd_convt)(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    return kernel(PD_KIND_CONVT, L, in, out, r);
}

int PD_BLOCKED_NAME(pd_conv_acc)(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy,
                                 int32_t *acc)
{
    return kernel_acc(PD_KIND_CONV, L, in, r, iy, acc);
}

int PD_BLOCKED_NAME(pd_convt_acc)(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy,
                                  int32_t *acc)
{
    return kernel_acc(PD_KIND_CONVT, L, in, r, iy, acc);
}
