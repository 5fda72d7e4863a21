# Inner build of the pipnet native module: natmod/Makefile runs it inside
# build/<arch>/ with NATMOD, MPY_DIR, ARCH and PYTHON set; do not call it directly.
# Sources are found through VPATH, objects land in build/<arch>/obj/.

MOD = pipnet
VPATH = $(NATMOD)
SRC = pipnet.c $(sort $(patsubst $(NATMOD)/%,%,$(wildcard $(NATMOD)/kernels/*.c)))
BUILD = obj
CFLAGS_EXTRA += -I$(NATMOD) -I$(NATMOD)/kernels
# dynruntime.mk builds with -Wall -Werror -Os; keep this false-positive-prone one a warning.
CFLAGS_EXTRA += -Wno-error=maybe-uninitialized

# Newer dynruntime.mk (MicroPython >= 1.24) links libgcc itself when asked; armv6m
# has no divide instruction and needs its helpers.
MICROPY_LINK_RUNTIME = 1

include $(MPY_DIR)/py/dynruntime.mk
