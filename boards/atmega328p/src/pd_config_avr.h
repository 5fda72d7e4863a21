/* Kernel config of the shipped firmware (IMPL=asm, -include'd by the Makefile): the AVR
 * convolution kernels (pd_conv_avr ..., src/avr_conv.c + src/avr_mac.S) and, for pd_fc,
 * the asm dot product (src/pd_dot_avr.h). natmod/kernels/pd_dispatch.h lists every build. */
#define PD_KERNELS PD_KERNELS_AVR
#include "pd_dot_avr.h"
