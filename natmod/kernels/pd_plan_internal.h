/* Plan geometry shared by pd_plan.c and pd_exec.c (not public API). */
#ifndef PD_PLAN_INTERNAL_H
#define PD_PLAN_INTERNAL_H

#include <stdint.h>

#include "pd_model.h"

/* Executor state at the start of a streaming scratch buffer, n_layers each:
 * uint32 ring offset, then uint8 ring rows, window x0, window w, next row. */
#define PD_STREAM_STATE_BYTES(n_layers) ((uint32_t)(n_layers) * 8u)

/* The streaming geometry for one strip count. */
typedef struct {
    uint32_t scratch;             /* total scratch bytes */
    uint8_t strips, strip_w;
    uint8_t acc_rows;             /* the last layer's accumulator rows, 0 in ring mode */
    uint8_t ring[PD_MAX_LAYERS];  /* R_j: input rows kept (1 for an accumulating last layer) */
    uint8_t win_w[PD_MAX_LAYERS]; /* W_j: widest input window over the strips */
} pd_stream_geom_t;

void pd_stream_geom(const pd_model_t *m, uint8_t strips, pd_stream_geom_t *g);

/* The geometry for the strip count the streaming plan picks. */
void pd_stream_plan(const pd_model_t *m, pd_stream_geom_t *g);

/* Scratch bytes of the full plan. */
uint32_t pd_full_scratch(const pd_model_t *m);

/* P_j: rows layer j computes per strip. */
uint8_t pd_stream_rows(const pd_model_t *m, uint8_t j);

/* Strip t of `strips`: output columns [*a, *b) and, for every layer j, the
 * input columns [x0[j], x0[j] + w[j]) it reads (w[j] = 0: none). */
void pd_strip_cols(const pd_model_t *m, uint8_t strips, uint8_t t, uint8_t *a, uint8_t *b, uint8_t *x0,
                   uint8_t *w);

#endif /* PD_PLAN_INTERNAL_H */
