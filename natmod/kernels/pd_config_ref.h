/* Kernel config: the portable reference kernels (pd_conv_ref ...). pd_dispatch.h
 * lists the builds that -include it. */
#define PD_KERNELS PD_KERNELS_REF
