/* Streaming-plan geometry shared by pd_plan.c and pd_exec.c (not public API). */
#ifndef PD_PLAN_INTERNAL_H
#define PD_PLAN_INTERNAL_H

#include <stdint.h>

#include "pd_model.h"

/* Executor state at the start of a streaming scratch buffer, n_layers each:
 * uint32 ring offset, then uint8 ring rows, window x0, window w, next row. */
#define PD_STREAM_STATE_BYTES(n_layers) ((uint32_t)(n_layers) * 8u)

/* Strips the streaming plan uses for this model. */
uint8_t pd_stream_strips(const pd_model_t *m);

/* Input rows layer j keeps (its ring), at least 1. */
uint8_t pd_stream_ring(const pd_model_t *m, uint8_t j);

/* Columns of the widest input window of layer j over `strips` strips. */
uint8_t pd_stream_win_w(const pd_model_t *m, uint8_t strips, uint8_t j);

/* Strip t of `strips`: output columns [*a, *b) and, for every layer j, the
 * input columns [x0[j], x0[j] + w[j]) it reads (w[j] = 0: none). */
void pd_strip_cols(const pd_model_t *m, uint8_t strips, uint8_t t, uint8_t *a, uint8_t *b, uint8_t *x0,
                   uint8_t *w);

#endif /* PD_PLAN_INTERNAL_H */
