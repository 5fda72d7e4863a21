/* pd_plan() once per model instead of once per image.
 *
 * pd_generate_stream() calls pd_plan() at every image; on the AVR that costs
 * about half a million cycles and the deepest call chain of the firmware
 * (pd_plan -> pd_plan_layer -> pd_stream_strips -> ... about 120 bytes more
 * stack than the inference itself). The plan depends on the blob alone, so the
 * firmware links with -Wl,--wrap=pd_plan: every call lands here, the first
 * one per (model, kind) runs the real pd_plan (at boot, from a shallow stack)
 * and later ones copy its answer. The shared kernels are unchanged. */
#include "pd_model.h"

int __real_pd_plan(const pd_model_t *m, int kind, pd_plan_t *info);

static const uint8_t *cached_blob;
static uint8_t cached_kind = 0xFF;
static pd_plan_t cached;

int __wrap_pd_plan(const pd_model_t *m, int kind, pd_plan_t *info) {
    if (m->blob != cached_blob || kind != (int)cached_kind) {
        int st = __real_pd_plan(m, kind, info);
        if (st != PD_OK) return st;
        cached = *info;
        cached_blob = m->blob;
        cached_kind = (uint8_t)kind;
        return PD_OK;
    }
    *info = cached;
    return PD_OK;
}

_Static_assert(__builtin_types_compatible_p(__typeof__(pd_plan), __typeof__(__wrap_pd_plan)), "pd_plan");
