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

/* Rows layer j computes per strip. */
uint8_t pd_stream_rows(const pd_model_t *m, uint8_t j);

/* Input rows layer j keeps (its ring), at least 1 (ring mode). */
uint8_t pd_stream_ring(const pd_model_t *m, uint8_t j);

/* Accumulator rows of the last layer if, with `strips` strips, it takes its
 * input row by row into int32 accumulators (then its ring is 1 row); 0 if it
 * keeps a ring of input rows instead (the smaller of the two, see pd_plan.c). */
uint8_t pd_stream_acc_rows(const pd_model_t *m, uint8_t strips);

/* Whether output row o of a (conv/convT) layer has input rows, and which. */
uint8_t pd_layer_row_hull(const pd_model_t *m, uint8_t j, int16_t o, int16_t *lo, int16_t *hi);

/* Columns of the widest input window of layer j over `strips` strips. */
uint8_t pd_stream_win_w(const pd_model_t *m, uint8_t strips, uint8_t j);

/* Strip t of `strips`: output columns [*a, *b) and, for every layer j, the
 * input columns [x0[j], x0[j] + w[j]) it reads (w[j] = 0: none). */
void pd_strip_cols(const pd_model_t *m, uint8_t strips, uint8_t t, uint8_t *a, uint8_t *b, uint8_t *x0,
                   uint8_t *w);

#endif /* PD_PLAN_INTERNAL_H */
