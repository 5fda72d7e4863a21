/* Kernel config: the register-blocked kernels with the Cortex-M0+ asm inner loops
 * (pd_conv_m0 ...; pd_m0_jobs.S must be linked). pd_dispatch.h lists the builds
 * that -include it. */
#define PD_KERNELS PD_KERNELS_M0
