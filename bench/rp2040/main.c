/* pipdream RP2040 benchmark image: runs both plans of the embedded blob for
 * the (face, angle code) pairs run.mjs puts in the io block, hands every
 * image over, and times the inner loops and requantization in isolation.
 * Built with the natmod's armv6m compiler flags (Makefile); everything in SRAM. */
#include <stddef.h>
#include <stdint.h>

#include "micro.h"
#include "start.h" /* bench_io, bench_header and bench_start, which calls bench_run */

#define SCRATCH_BYTES 65536u /* more than either plan needs for any blob we bench */
#define IMAGE_MAX 4096u      /* PD_MAX_DIM^2 is larger; the image size is checked */

static uint32_t scratch[SCRATCH_BYTES / 4];  /* [SCRATCH_BYTES] bytes, 4-aligned */
static uint8_t image[IMAGE_MAX];             /* [out_h][out_w] */

typedef struct {
    uint8_t *img;
    uint8_t w;
} rows_t;

static void on_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels)
{
    rows_t *r = ctx;
    uint8_t *dst = r->img + (uint32_t)row * r->w + col0;
    uint8_t i;
    for (i = 0; i < width; i++) dst[i] = pixels[i];
}

static void report_plans(const pd_model_t *m)
{
    static const char *const names[2] = {"full", "stream"};
    pd_plan_t p;
    pd_plan_layer_t pl;
    int kind;
    uint8_t j;
    for (kind = PD_PLAN_FULL; kind <= PD_PLAN_STREAM; kind++) {
        pd_plan(m, kind, &p);
        bench_event(EV_PLAN, (uint32_t)(uintptr_t)names[kind], p.scratch_bytes);
        for (j = 0; j < m->n_layers; j++) {
            pd_plan_layer(m, kind, j, &pl);
            bench_event(EV_LAYER_MACS, (uint32_t)kind << 8 | j, pl.macs);
        }
    }
}

#ifdef BENCH_LAYERS
void bench_layers_init(const pd_model_t *m); /* layers.c */
#endif

/* The full plan split in two halves of every layer's rows (pd_generate_full_part's work), one
 * core after the other here: each part's share of each layer is bracketed on its own, so
 * the runner has the cycles each core would spend (rp2040js emulates one core only). */
static int split_run(const pd_model_t *m, int32_t face, int32_t angle, uint8_t *s, uint32_t s_size,
                     uint8_t *out, uint32_t out_size)
{
    uint8_t j, part;
    int st = PD_OK;
    for (part = 0; part < 2 && st == PD_OK; part++) { /* every core encodes the input */
        bench_event(EV_PART_BEGIN, 0xFFu << 8 | part, 0);
        st = pd_full_begin(m, face, angle, s, s_size, out_size);
        bench_event(EV_PART_END, 0, 0);
    }
    for (j = 0; j < m->n_layers && st == PD_OK; j++) {
        for (part = 0; part < 2 && st == PD_OK; part++) {
            bench_event(EV_PART_BEGIN, (uint32_t)j << 8 | part, 0);
            st = pd_full_layer(m, j, s, s_size, out, part, 2);
            if (st == PD_OK && j + 1 == m->n_layers) {
                pd_full_end(m, face, angle, out, part, 2); /* a folded blob's mirror, as each core does it */
            }
            bench_event(EV_PART_END, 0, 0);
        }
    }
    return st;
}

/* One barrier whose partner is already there: the synchronisation cost a core pays per layer. */
static void time_barrier(void)
{
    static uint8_t sync[2];
    sync[1] = (uint8_t)(sync[0] + 1);
    bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"barrier, partner there", 1);
    (void)pd_barrier(sync, 0, 2, 1000);
    bench_event(EV_MICRO_END, 0, 0);
}

static int run_pairs(const pd_model_t *m)
{
    const uint32_t n_img = (uint32_t)m->out_h * m->out_w;
    pd_plan_t pf, ps;
    rows_t rows;
    uint32_t i;
    int st;
    if (n_img > IMAGE_MAX) return -1;
    pd_plan(m, PD_PLAN_FULL, &pf);
    pd_plan(m, PD_PLAN_STREAM, &ps);
    if (pf.scratch_bytes > SCRATCH_BYTES || ps.scratch_bytes > SCRATCH_BYTES) return -2;
    if (bench_io.n_pairs > BENCH_MAX_PAIRS) return -3;
    rows.img = image;
    rows.w = m->out_w;
    for (i = 0; i < bench_io.n_pairs; i++) {
        (void)bench_full_run(m, "full", i, (uint8_t *)scratch, pf.scratch_bytes, image, n_img);

        bench_event(EV_RUN_BEGIN, (uint32_t)(uintptr_t)"stream", i);
        st = pd_generate_stream(m, bench_io.face[i], bench_io.angle[i], (uint8_t *)scratch, ps.scratch_bytes,
                                on_row, &rows);
        bench_event(EV_RUN_END, (uint32_t)st, 0);
        bench_event(EV_IMAGE, (uint32_t)(uintptr_t)image, n_img);

        bench_event(EV_RUN_BEGIN, (uint32_t)(uintptr_t)"split2", i);
        st = split_run(m, bench_io.face[i], bench_io.angle[i], (uint8_t *)scratch, pf.scratch_bytes, image, n_img);
        bench_event(EV_RUN_END, (uint32_t)st, 0);
        bench_event(EV_IMAGE, (uint32_t)(uintptr_t)image, n_img);
    }
    time_barrier();
    return 0;
}

int bench_run(const pd_model_t *m)
{
    int st;
#ifdef BENCH_LAYERS
    bench_layers_init(m);
#endif
    report_plans(m);
    st = run_pairs(m);
    if (st == 0 && bench_io.micro) {
        bench_micro(m, (uint8_t *)scratch, SCRATCH_BYTES);
    }
    return st;
}
