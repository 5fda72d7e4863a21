/* What the benchmark images (main.c, overlap.c) share. In start.c: the io block, the
 * bench_header run.mjs and overlap.mjs read, and bench_start, which parses the embedded blob,
 * reports EV_MODEL, calls the image's bench_run and reports EV_DONE. Here: a timed full run. */
#ifndef BENCH_START_H
#define BENCH_START_H

#include "bench.h"
#include "pd_model.h"

/* Filled by the runner before the core starts. Hidden: -fpic code addresses it as a static
 * (GOT-relative), with no GOT load inside the brackets. */
extern bench_io_t bench_io __attribute__((visibility("hidden")));

/* The image's work on the parsed model; its status goes to EV_DONE (0: ok). */
int bench_run(const pd_model_t *m);

/* Pair i of the io block in the full plan, bracketed by RUN_BEGIN (`plan` names the run) and
 * RUN_END, then the image handed over (EV_IMAGE); returns pd_generate_full's status. Always
 * inlined: the bracket holds no call of its own, and gcc compiles the image's other brackets
 * (render, pack) as it did with the run written out. */
static inline __attribute__((always_inline))
int bench_full_run(const pd_model_t *m, const char *plan, uint32_t i, uint8_t *scratch,
                   uint32_t scratch_bytes, uint8_t *image, uint32_t n_img)
{
    int st;
    bench_event(EV_RUN_BEGIN, (uint32_t)(uintptr_t)plan, i);
    st = pd_generate_full(m, bench_io.face[i], bench_io.angle[i], scratch, scratch_bytes, image, n_img);
    bench_event(EV_RUN_END, (uint32_t)st, 0);
    bench_event(EV_IMAGE, (uint32_t)(uintptr_t)image, n_img);
    return st;
}

#endif /* BENCH_START_H */
