/* Micro-benchmarks: cycles of the inner loops per MAC and of requantization
 * per output, on operands laid out like the real layers' (micro.h). */
#include "micro.h"

#include "bench.h"
#include "pd_access.h"
#include "pd_blocked.h"
#include "pd_dispatch.h"
#include "pd_dot.h"
#include "pd_requant.h"

#define N_REQ 1024u  /* requantized outputs per run */
#define N_ROWS 64u   /* dot products per run */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void begin(const char *name, uint32_t count) { bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)name, count); }
static void end(void) { bench_event(EV_MICRO_END, 0, 0); }

/* The layer with the most outputs (its channels' mult and shift are used). */
static void busiest_layer(const pd_model_t *m, pd_layer_t *L)
{
    pd_layer_t t;
    uint32_t best = 0;
    uint8_t j;
    for (j = 0; j < m->n_layers; j++) {
        pd_model_layer(m, j, &t);
        if (t.kind != PD_KIND_FC && (uint32_t)t.out_h * t.out_w * t.out_c > best) {
            best = (uint32_t)t.out_h * t.out_w * t.out_c;
            *L = t;
        }
    }
}

/* Requantization per output: accumulators spread over the ranges the layers
 * see (a third negative), the busiest layer's channels in turn. "requant" has
 * the channel's mult and shift at hand; "requant+params" also reads bias, mult
 * and shift from the blob bytes per output, as the portable kernels do. */
static void bench_requant(const pd_layer_t *L, uint8_t *scratch)
{
    int32_t *acc = (int32_t *)(void *)scratch;             /* [N_REQ] */
    uint16_t *mult = (uint16_t *)(void *)(acc + N_REQ);    /* [out_c] */
    uint8_t *shift = (uint8_t *)(mult + 32);               /* [out_c] */
    volatile uint8_t *out = shift + 32;                    /* [N_REQ] */
    const uint8_t n_co = L->out_c;
    uint32_t s = 12345u, i;
    uint8_t c;
    for (i = 0; i < N_REQ; i++) {
        c = (uint8_t)(i % n_co);
        acc[i] = (int32_t)(lcg(&s) & 0xFFFFF) - 0x50000;
        acc[i] <<= PD_RD8(L->shift + c) > 12 ? 4 : 0;
    }
    for (c = 0; c < n_co; c++) {
        mult[c] = PD_RD16LE(L->mult + 2 * (uint32_t)c);
        shift[c] = PD_RD8(L->shift + c);
    }
    begin("requant", N_REQ);
    for (i = 0, c = 0; i < N_REQ; i++) {
        out[i] = pd_requantize(acc[i], mult[c], shift[c]);
        if (++c == n_co) c = 0;
    }
    end();
    begin("requant+params", N_REQ);
    for (i = 0, c = 0; i < N_REQ; i++) {
        int32_t a = acc[i] + (int32_t)PD_RD32LE(L->bias + 4 * (uint32_t)c);
        out[i] = pd_requantize(a, PD_RD16LE(L->mult + 2 * (uint32_t)c), PD_RD8(L->shift + c));
        if (++c == n_co) c = 0;
    }
    end();
}

/* The portable inner loop (pd_dot.h) on N_ROWS rows of n MACs. */
static void bench_dot(const pd_layer_t *L, uint8_t *scratch, uint8_t n, const char *name)
{
    volatile int32_t *sink = (volatile int32_t *)(void *)scratch;
    const uint8_t *x = scratch + 64;  /* activations: [N_ROWS + n] */
    uint32_t r;
    begin(name, N_ROWS * (uint32_t)n);
    for (r = 0; r < N_ROWS; r++) {
        sink[r & 15] = pd_dot_u8(L->weights + (r & 7), x + r, n);
    }
    end();
}

#if PD_KERNELS == PD_KERNELS_M0
/* The asm loops (pd_m0_jobs) on one job of `groups` groups over one segment of
 * n weights per channel: n_co channels x pixels, activations x (dense: 1..255,
 * or all 0). run.mjs reports each as "m0 <shape> <dense|zero> n=<n>"; the
 * benchmark takes the inner loop's cycles per MAC from the difference of two n. */
static void bench_m0(const pd_layer_t *L, uint8_t *scratch, uint8_t n_co, uint8_t pixels, uint32_t groups,
                     uint32_t n, uint8_t dense, const char *name)
{
    pd_seg_t *seg = (pd_seg_t *)(void *)scratch;         /* [2] */
    pd_job_t *job = (pd_job_t *)(void *)(scratch + 32);  /* [2] */
    uint8_t *out = scratch + 96;                         /* [256] */
    const uint8_t *w = scratch + 512;                    /* [n_co][n] int8 */
    uint8_t *x = scratch + 4096;                         /* [n + 8 * 2 * groups] */
    pd_jobs_t J;
    uint32_t i;
    for (i = 0; i < n + 16 * groups + 8; i++) {
        x[i] = dense ? (uint8_t)(1 + (x[i] % 255)) : 0;
    }
    seg[0].w_off = 0;
    seg[0].x = x;
    seg[0].w_end = n;
    seg[1].x = 0;
    job[0].seg = seg;
    job[0].out = out;
    job[0].groups = groups;
    job[0].pixels = pixels;
    job[0].x_off = 0;
    job[1].groups = 0;
    J.job = job;
    J.w = w;
    J.w_co = n;
    J.bias = L->bias;
    J.mult = L->mult;
    J.shift = L->shift;
    J.out_dx = n_co;
    J.n_co = n_co;
    J.g_dx = 2 * PD_M0_DX;
    J.g_out = 2 * n_co;
    begin(name, n_co * pixels * groups * n);
    pd_m0_jobs(&J);
    end();
}

static void bench_m0_all(const pd_layer_t *L, uint8_t *scratch)
{
    static const uint32_t lens[2] = {16, 208};
    static const char *const names[2][5] = {
        {"m0 2ch x 2px dense n=16", "m0 2ch x 1px dense n=16", "m0 1ch x 4px dense n=16",
         "m0 2ch x 2px zero n=16", "m0 1ch x 4px zero n=16"},
        {"m0 2ch x 2px dense n=208", "m0 2ch x 1px dense n=208", "m0 1ch x 4px dense n=208",
         "m0 2ch x 2px zero n=208", "m0 1ch x 4px zero n=208"},
    };
    uint8_t i;
    for (i = 0; i < 2; i++) {
        bench_m0(L, scratch, 2, 2, 1, lens[i], 1, names[i][0]);
        bench_m0(L, scratch, 2, 1, 1, lens[i], 1, names[i][1]);
        bench_m0(L, scratch, 1, 2, 2, lens[i], 1, names[i][2]);
        bench_m0(L, scratch, 2, 2, 1, lens[i], 0, names[i][3]);
        bench_m0(L, scratch, 1, 2, 2, lens[i], 0, names[i][4]);
    }
}

/* Requantization with the per-group bookkeeping around it: jobs without taps
 * (every output is requantize(bias)), 8 channels x 2 pixels x 16 groups. */
static void bench_m0_requant(const pd_layer_t *L, uint8_t *scratch)
{
    pd_seg_t *seg = (pd_seg_t *)(void *)scratch;
    pd_job_t *job = (pd_job_t *)(void *)(scratch + 32);
    pd_jobs_t J;
    seg[0].x = 0;
    job[0].seg = seg;
    job[0].out = scratch + 128;
    job[0].groups = 16;
    job[0].pixels = 2;
    job[0].x_off = 0;
    job[1].groups = 0;
    J.job = job;
    J.w = L->weights;
    J.w_co = 0;
    J.bias = L->bias;
    J.mult = L->mult;
    J.shift = L->shift;
    J.out_dx = L->out_c;
    J.n_co = L->out_c;
    J.g_dx = 2 * PD_M0_DX;
    J.g_out = 2u * L->out_c;
    begin("m0 requant and bookkeeping, no taps", 16u * 2u * L->out_c);
    pd_m0_jobs(&J);
    end();
}
#endif

void bench_micro(const pd_model_t *m, uint8_t *scratch, uint32_t scratch_bytes)
{
    pd_layer_t L;
    uint32_t i, s = 777u;
    if (scratch_bytes < 16384u) return;
    busiest_layer(m, &L);
    for (i = 0; i < 16384u; i++) scratch[i] = (uint8_t)lcg(&s);
    bench_requant(&L, scratch);
    bench_dot(&L, scratch, 24, "pd_dot_u8 n=24");
    bench_dot(&L, scratch, 72, "pd_dot_u8 n=72");
    bench_dot(&L, scratch, 8, "pd_dot_u8 n=8");
#if PD_KERNELS == PD_KERNELS_M0
    if (((uintptr_t)L.bias & 3) == 0 && ((uintptr_t)L.mult & 1) == 0 && L.out_c <= 32) {
        bench_m0_all(&L, scratch);
        bench_m0_requant(&L, scratch);
    }
#endif
}
