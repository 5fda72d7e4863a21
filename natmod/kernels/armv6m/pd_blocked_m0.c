/* The Cortex-M0+ variant of the convolution kernels (pd_dispatch.h):
 * pd_conv_m0, pd_convt_m0, pd_conv_acc_m0 and pd_convt_acc_m0, the
 * register-blocked kernels of pd_blocked_driver.h whose batches of jobs run
 * the asm inner loops of pd_m0_jobs.S when the shape allows (uint8 inputs,
 * 8-channel segments, a group's pixels PD_M0_DX apart, aligned bias and
 * multipliers), else the C loops. Built, with pd_m0_jobs.S, only for the
 * Cortex-M0+ (natmod ARCH=armv6m, bench/rp2040): the other builds compile
 * only the files directly in kernels/, not this folder. */
#include <stddef.h>

#include "pd_blocked.h"

/* The offsets pd_m0_jobs.S uses (R_*, ldm orders); a mismatch fails to compile. */
#define PD_M0_CHECK(name, cond) typedef char name[(cond) ? 1 : -1]
PD_M0_CHECK(pd_m0_seg_layout, sizeof(pd_seg_t) == 12 && offsetof(pd_seg_t, x) == 4 &&
                                  offsetof(pd_seg_t, w_end) == 8);
PD_M0_CHECK(pd_m0_job_layout, sizeof(pd_job_t) == 20 && offsetof(pd_job_t, out) == 4 &&
                                  offsetof(pd_job_t, groups) == 8 && offsetof(pd_job_t, pixels) == 12 &&
                                  offsetof(pd_job_t, x_off) == 16);
PD_M0_CHECK(pd_m0_jobs_layout, offsetof(pd_jobs_t, w) == 4 && offsetof(pd_jobs_t, w_co) == 8 &&
                                   offsetof(pd_jobs_t, bias) == 12 && offsetof(pd_jobs_t, mult) == 16 &&
                                   offsetof(pd_jobs_t, shift) == 20 && offsetof(pd_jobs_t, out_dx) == 24 &&
                                   offsetof(pd_jobs_t, n_co) == 28 && offsetof(pd_jobs_t, g_dx) == 32 &&
                                   offsetof(pd_jobs_t, g_out) == 36);
PD_M0_CHECK(pd_m0_dx, PD_M0_DX == 8 && PD_M0_CHUNK == 8);

#define PD_BLOCKED_M0 1
#define PD_BLOCKED_NAME(op) op##_m0
#include "pd_blocked_driver.h"
