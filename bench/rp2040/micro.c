/* Micro-benchmarks: cycles of the inner loops per MAC and of requantization
 * per output, on operands laid out like the real layers' (micro.h). */
#include "micro.h"

#include "bench.h"
#include "pd_access.h"
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
}
