/* The blocked variant of the convolution kernels (pd_dispatch.h):
 * pd_conv_blocked, pd_convt_blocked, pd_conv_acc_blocked and
 * pd_convt_acc_blocked, the register-blocked kernels of pd_blocked_driver.h
 * with their C inner loops, on any target. */
#define PD_BLOCKED_M0 0
#define PD_BLOCKED_NAME(op) op##_blocked
#include "pd_blocked_driver.h"
