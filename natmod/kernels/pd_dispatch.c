/* The public kernel names, bound to the variant this build runs (pd_dispatch.h
 * says which, from the build's config header). */
#include "pd_dispatch.h"

int pd_kernels(void)
{
    return PD_KERNELS;
}

int pd_layer_run(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    switch (L->kind) {
    case PD_KIND_FC: return pd_fc(L, in, out, r);
    case PD_KIND_CONVT: return PD_KERNEL(pd_convt)(L, in, out, r);
    case PD_KIND_CONV: return PD_KERNEL(pd_conv)(L, in, out, r);
    default: return PD_ERR_L_KIND;
    }
}

int pd_conv(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    return PD_KERNEL(pd_conv)(L, in, out, r);
}

int pd_convt(const pd_layer_t *L, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *r)
{
    return PD_KERNEL(pd_convt)(L, in, out, r);
}

int pd_conv_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc)
{
    return PD_KERNEL(pd_conv_acc)(L, in, r, iy, acc);
}

int pd_convt_acc(const pd_layer_t *L, const pd_window_t *in, const pd_rect_t *r, uint8_t iy, int32_t *acc)
{
    return PD_KERNEL(pd_convt_acc)(L, in, r, iy, acc);
}
