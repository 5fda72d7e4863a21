/* Micro-benchmarks of the image (micro.c): the inner loops and the
 * requantization, each timed alone between MICRO_BEGIN/END events. */
#ifndef BENCH_MICRO_H
#define BENCH_MICRO_H

#include <stdint.h>

#include "pd_model.h"

/* scratch: at least 16 KB, 4-aligned, for the operands. */
void bench_micro(const pd_model_t *m, uint8_t *scratch, uint32_t scratch_bytes);

#endif /* BENCH_MICRO_H */
