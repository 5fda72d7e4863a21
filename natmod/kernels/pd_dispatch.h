/* Which convolution kernels a build runs: the one place that says so.
 *
 * Every variant of the convolution kernels has its own name, and every build
 * of the kernels -includes one config header that sets PD_KERNELS. This file
 * turns PD_KERNELS into PD_KERNEL(op), the variant behind the public names
 * pd_conv, pd_convt, pd_conv_acc, pd_convt_acc and pd_layer_run (pd_dispatch.c)
 * and behind the executor's accumulating calls (pd_exec.c calls
 * PD_KERNEL(pd_conv_acc) itself: one call less per row). All variants take the
 * same arguments, make the same checks and write the same bytes.
 *
 *   PD_KERNELS          variant          source
 *   PD_KERNELS_REF      pd_conv_ref      pd_conv.c, pd_convt.c: portable, one op per file (the reference)
 *   PD_KERNELS_BLOCKED  pd_conv_blocked  pd_blocked.c: register-blocked, C inner loops
 *   PD_KERNELS_M0       pd_conv_m0       armv6m/pd_blocked_m0.c + armv6m/pd_m0_jobs.S: blocked,
 *                                        Cortex-M0+ asm inner loops (Cortex-M0+ builds only)
 *   PD_KERNELS_AVR      pd_conv_avr      boards/atmega328p/src/avr_conv.c + avr_mac.S: AVR asm cores
 *   (and _acc, and pd_convt_*, alike)
 *
 *   build                                   config header (-include)            PD_KERNELS
 *   host library, pipdream.ckernels         pd_config_ref.h (or _blocked.h)     REF (also links BLOCKED)
 *   natmod ARCH=x64, armv7m, xtensawin ...  pd_config_blocked.h                 BLOCKED
 *   natmod ARCH=armv6m (Pico)               pd_config_m0.h                      M0
 *   bench/rp2040 tuned, tuned1strip         pd_config_m0.h                      M0
 *   bench/rp2040 tunedc / portable          pd_config_blocked.h / _ref.h        BLOCKED / REF
 *   boards/atmega328p IMPL=asm (shipped)    src/pd_config_avr.h                 AVR (+ asm dot product)
 *   boards/atmega328p IMPL=dot / IMPL=c     src/pd_config_avr_dot.h / _ref.h    REF (+ asm dot product / C)
 *   no config header (tests/fuzz ...)       none                                REF
 *
 * The natmod links only its variant's files (natmod/pipnet.mk: mpy_ld keeps
 * every function it is given); the other builds compile them all and the
 * linker drops what is not called (--gc-sections).
 *
 * pd_fc has one version; its inner loop (and the reference's) is pd_dot.h's,
 * which a config header may replace (PD_HAVE_DOT: the AVR configs). */
#ifndef PD_DISPATCH_H
#define PD_DISPATCH_H

#include <stdint.h>

#include "pd_model.h"

#define PD_KERNELS_REF 0
#define PD_KERNELS_BLOCKED 1
#define PD_KERNELS_M0 2
#define PD_KERNELS_AVR 3

#ifndef PD_KERNELS
#define PD_KERNELS PD_KERNELS_REF
#endif

#if PD_KERNELS == PD_KERNELS_REF
#define PD_KERNEL(op) op##_ref
#elif PD_KERNELS == PD_KERNELS_BLOCKED
#define PD_KERNEL(op) op##_blocked
#elif PD_KERNELS == PD_KERNELS_M0
#define PD_KERNEL(op) op##_m0
#elif PD_KERNELS == PD_KERNELS_AVR
#define PD_KERNEL(op) op##_avr
#else
#error "PD_KERNELS: PD_KERNELS_REF, PD_KERNELS_BLOCKED, PD_KERNELS_M0 or PD_KERNELS_AVR"
#endif

/* The variants, each with the contract of the public name in pd_model.h. */
#define PD_DECLARE_VARIANT(v)                                                                            \
    int pd_conv_##v(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out,             \
                    const pd_rect_t *rect);                                                              \
    int pd_convt_##v(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out,            \
                     const pd_rect_t *rect);                                                             \
    int pd_conv_acc_##v(const pd_layer_t *layer, const pd_window_t *in, const pd_rect_t *rect, uint8_t iy, \
                        int32_t *acc);                                                                   \
    int pd_convt_acc_##v(const pd_layer_t *layer, const pd_window_t *in, const pd_rect_t *rect, uint8_t iy, \
                         int32_t *acc);
PD_DECLARE_VARIANT(ref)
PD_DECLARE_VARIANT(blocked)
PD_DECLARE_VARIANT(m0)
PD_DECLARE_VARIANT(avr)
#undef PD_DECLARE_VARIANT

/* PD_KERNELS of the build (tests ask the host library which variant it dispatches to). */
int pd_kernels(void);

#endif /* PD_DISPATCH_H */
