/* Kernel config: the register-blocked kernels with C inner loops (pd_conv_blocked ...).
 * pd_dispatch.h lists the builds that -include it. */
#define PD_KERNELS PD_KERNELS_BLOCKED
