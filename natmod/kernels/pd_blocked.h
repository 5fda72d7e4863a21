/* The register-blocked convolution kernels: their data structures, shared by
 * pd_blocked_driver.h (the C glue of both variants) and the Cortex-M0+ asm.
 *
 *   pd_blocked.c               pd_conv_blocked ...  C inner loops, any target
 *   armv6m/pd_blocked_m0.c     pd_conv_m0 ...       pd_m0_jobs.S's inner loops where the shape
 *   + armv6m/pd_m0_jobs.S                           allows (builds for the Cortex-M0+ only)
 *
 * Same contract, checks and bytes as the reference (pd_conv.c, pd_convt.c);
 * pd_dispatch.h says which variant each build runs. docs/kernels.md and
 * docs/rp2040.md have the design and figures.
 *
 * Register blocking: a "group" is up to 2 output pixels whose taps are the
 * same list of (weights, activations) segments up to a fixed activation step
 * dx; every output channel of the group is computed 2 channels at a time, so
 * one weight load serves 2 pixels and one activation load 2 channels
 * (4 loads, 4 muls, 4 adds, 1 move per 4 MACs in the asm loop, which skips
 * the rest of a step when both activations are 0: ReLU outputs often are).
 * A "job" is a run of groups whose taps are the same up to a fixed step. */
#ifndef PD_BLOCKED_H
#define PD_BLOCKED_H

#include <stdint.h>

#include "pd_model.h"

/* The asm loops take activations PD_M0_DX bytes apart between the two pixels
 * of a group and segments of a multiple of PD_M0_CHUNK bytes (8 input
 * channels for the stride-1 and transposed layers of 8-channel models); other
 * shapes, and int8 inputs, take the C loops. */
#define PD_M0_DX 8u
#define PD_M0_CHUNK 8u

/* One segment of taps: activations x[0..n) (pixel p at x + p*dx) times the
 * weights at [w_off, w_end) of every output channel. Field order and size are
 * the asm's (ldm): w_off, x, w_end. A list ends with x == 0. */
typedef struct {
    uint32_t w_off;
    const uint8_t *x;
    uint32_t w_end;
} pd_seg_t;

/* A job: `groups` groups of `pixels` (1 or 2) output pixels, every output
 * channel. Group g's taps are seg[] with x moved on by x_off + g * g_dx; its
 * pixel p, channel c is at byte out + g * g_out + p * out_dx + c (requantized
 * uint8) or is the int32 at byte out + g * g_out + p * out_dx + 4c
 * (accumulated). Field order and size are the asm's (ldm). */
typedef struct {
    const pd_seg_t *seg;
    uint8_t *out;
    uint32_t groups; /* 0 ends a job list */
    uint32_t pixels;
    uint32_t x_off;
} pd_job_t;

/* Jobs of one layer, all output channels: one call computes a list of them
 * (2 channels at a time over every job, so each channel pair's requantization
 * parameters are read once per call). Byte offsets are the asm's (R_*). */
typedef struct {
    const pd_job_t *job;  /* 0: the jobs, ending with groups == 0 */
    const uint8_t *w;     /* 4: weights of output channel 0: [n_co][w_co] int8 */
    uint32_t w_co;        /* 8: weight bytes per output channel */
    const uint8_t *bias;  /* 12: int32 LE per channel, 4-aligned for the asm */
    const uint8_t *mult;  /* 16: uint16 LE per channel, 2-aligned for the asm */
    const uint8_t *shift; /* 20: uint8 per channel */
    uint32_t out_dx;      /* 24: bytes between a group's two pixels' outputs */
    uint32_t n_co;        /* 28: output channels */
    uint32_t g_dx;        /* 32: activation bytes between groups */
    uint32_t g_out;       /* 36: output bytes between groups */
} pd_jobs_t;

/* armv6m/pd_m0_jobs.S (activations of a group's pixels PD_M0_DX apart): requantize into
 * bytes or add into int32. */
void pd_m0_jobs(const pd_jobs_t *j);
void pd_m0_jobs_acc(const pd_jobs_t *j);

#endif /* PD_BLOCKED_H */
