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

# libgcc helpers: armv6m has no divide instruction (__aeabi_uidiv and friends) and
# switch tables call __gnu_thumb1_case_*. MicroPython >= 1.25's dynruntime.mk links the
# toolchain's libgcc (and libm/libc) itself when LINK_RUNTIME = 1; 1.23's links no
# libraries, so there, on ARM, libgcc_rt.sh gathers the helpers into one object.
ifneq ($(shell grep -c '(LINK_RUNTIME)' $(MPY_DIR)/py/dynruntime.mk),0)
LINK_RUNTIME = 1
else ifneq ($(filter armv6m armv7m armv7emsp armv7emdp,$(ARCH)),)
LIBGCC_RT = $(BUILD)/libgcc_rt.o
endif

include $(MPY_DIR)/py/dynruntime.mk

# Objects compiled against one MicroPython tree's headers must not be linked by another's
# mpy_ld: a build against another MPY_DIR than this folder's last one starts from nothing
# (after the include: a tree that refuses ARCH leaves the folder alone).
ifneq ($(shell cat $(BUILD)/mpy_dir 2>/dev/null),$(MPY_DIR))
$(shell rm -rf $(BUILD) pipnet.mpy && mkdir -p $(BUILD) && echo '$(MPY_DIR)' > $(BUILD)/mpy_dir)
endif

ifdef LIBGCC_RT
# The object joins the link's inputs ($^): the native .mpy is $(BUILD)/$(MOD).native.mpy
# in 1.23's dynruntime.mk and $(BUILD)/$(MOD).mpy in upstream's since mid-2026.
$(BUILD)/$(MOD).native.mpy $(BUILD)/$(MOD).mpy: $(LIBGCC_RT)
$(LIBGCC_RT): $(SRC_O) $(NATMOD)/libgcc_rt.sh
	$(Q)sh $(NATMOD)/libgcc_rt.sh $(CROSS) "$(CFLAGS)" $@ $(SRC_O)
endif
