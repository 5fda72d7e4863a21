# Inner build of the pipnet native module: natmod/Makefile runs it inside
# build/<arch>/ with NATMOD, MPY_DIR, ARCH and PYTHON set; do not call it directly.
# Sources are found through VPATH, objects land in build/<arch>/obj/.

MOD = pipnet
VPATH = $(NATMOD)

# The convolution kernels the module runs (kernels/pd_dispatch.h): the register-blocked
# ones, with the Cortex-M0+ asm inner loops on armv6m. The config header says so to the
# C code; the module links only that variant's files besides the common ones, as mpy_ld
# keeps every function it is given.
KERNELS = $(if $(filter armv6m,$(ARCH)),m0,blocked)
VARIANT_SRC_ref = kernels/pd_conv.c kernels/pd_convt.c
VARIANT_SRC_blocked = kernels/pd_blocked.c
VARIANT_SRC_m0 = kernels/armv6m/pd_blocked_m0.c kernels/armv6m/pd_m0_jobs.S
COMMON_SRC = $(filter-out $(VARIANT_SRC_ref) $(VARIANT_SRC_blocked), \
                          $(sort $(patsubst $(NATMOD)/%,%,$(wildcard $(NATMOD)/kernels/*.c))))
# pipnet_entry.c first: 1.23's mpy_ld reaches mpy_init with a short branch on armv6m.
SRC = pipnet_entry.c pipnet.c $(COMMON_SRC) $(VARIANT_SRC_$(KERNELS))
BUILD = obj
CFLAGS_EXTRA += -I$(NATMOD) -I$(NATMOD)/kernels -include $(NATMOD)/kernels/pd_config_$(KERNELS).h
# dynruntime.mk builds with -Wall -Werror -Os; keep this false-positive-prone one a warning.
CFLAGS_EXTRA += -Wno-error=maybe-uninitialized

# Newer dynruntime.mk (MicroPython >= 1.24) links libgcc itself when asked; armv6m
# has no divide instruction and needs its helpers.
MICROPY_LINK_RUNTIME = 1

# 1.23's dynruntime.mk links no libraries: on ARM, gather the helpers ourselves.
ifneq ($(filter armv6m armv7m armv7emsp armv7emdp,$(ARCH)),)
ifeq ($(shell grep -c MICROPY_LINK_RUNTIME $(MPY_DIR)/py/dynruntime.mk),0)
LIBGCC_RT = $(BUILD)/libgcc_rt.o
endif
endif

include $(MPY_DIR)/py/dynruntime.mk

ifdef LIBGCC_RT
$(BUILD)/$(MOD).native.mpy: $(LIBGCC_RT)
$(LIBGCC_RT): $(SRC_O) $(NATMOD)/libgcc_rt.sh
	$(Q)sh $(NATMOD)/libgcc_rt.sh $(CROSS) "$(CFLAGS)" $@ $(SRC_O)
endif
