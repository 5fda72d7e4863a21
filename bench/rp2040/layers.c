/* Harness-only layer build (BENCH_LAYERS): the linker sends the executor's
 * kernel calls here (--wrap: pd_fc and the build's convolution variant,
 * PD_KERNEL(...) of natmod/kernels/pd_dispatch.h), and each call is bracketed
 * by KERNEL_BEGIN/END events naming its layer, so run.mjs can add up the
 * cycles of every layer. The kernels themselves are the unchanged objects of
 * the timed build. */
#include "bench.h"
#include "pd_dispatch.h"
#include "pd_model.h"

static const uint8_t *layer_weights[PD_MAX_LAYERS]; /* identifies a pd_layer_t by its weights */
static uint8_t n_layers;

void bench_layers_init(const pd_model_t *m)
{
    pd_layer_t L;
    uint8_t j;
    n_layers = m->n_layers;
    for (j = 0; j < n_layers; j++) {
        pd_model_layer(m, j, &L);
        layer_weights[j] = L.weights;
    }
}

static uint32_t layer_of(const pd_layer_t *L)
{
    uint32_t j;
    for (j = 0; j < n_layers && layer_weights[j] != L->weights; j++) {
    }
    return j; /* n_layers: not a layer of the model (never happens in the executor) */
}

/* (name expanded first: PD_KERNEL(pd_conv) is pd_conv_m0, ...) */
#define WRAP_KERNEL(name) WRAP_KERNEL_(name)
#define WRAP_ACC(name) WRAP_ACC_(name)

#define WRAP_KERNEL_(name)                                                                             \
    int __real_##name(const pd_layer_t *, const pd_window_t *, const pd_window_t *, const pd_rect_t *); \
    int __wrap_##name(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out,              \
                      const pd_rect_t *r)                                                              \
    {                                                                                                  \
        int st;                                                                                        \
        bench_event(EV_KERNEL_BEGIN, layer_of(L), 0);                                                  \
        st = __real_##name(L, in, out, r);                                                             \
        bench_event(EV_KERNEL_END, 0, 0);                                                              \
        return st;                                                                                     \
    }

#define WRAP_ACC_(name)                                                                                \
    int __real_##name(const pd_layer_t *, const pd_window_t *, const pd_rect_t *, uint8_t, int32_t *); \
    int __wrap_##name(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy,     \
                      int32_t *acc)                                                                    \
    {                                                                                                  \
        int st;                                                                                        \
        bench_event(EV_KERNEL_BEGIN, layer_of(L), 0);                                                  \
        st = __real_##name(L, in, r, iy, acc);                                                         \
        bench_event(EV_KERNEL_END, 0, 0);                                                              \
        return st;                                                                                     \
    }

WRAP_KERNEL(pd_fc)
WRAP_KERNEL(PD_KERNEL(pd_conv))
WRAP_KERNEL(PD_KERNEL(pd_convt))
WRAP_ACC(PD_KERNEL(pd_conv_acc))
WRAP_ACC(PD_KERNEL(pd_convt_acc))
