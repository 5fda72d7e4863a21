/* Kernel config of the IMPL=dot firmware (-include'd by the Makefile): the reference
 * convolution kernels (natmod/kernels/pd_conv.c, pd_convt.c) with the asm dot product as
 * their inner loop (src/pd_dot_avr.h). natmod/kernels/pd_dispatch.h lists every build. */
#define PD_KERNELS PD_KERNELS_REF
#include "pd_dot_avr.h"
