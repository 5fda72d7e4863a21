# The display-overlap image: overlap.c (the die window sent by DMA to I2C0 while the next image
# is computed) linked with the tuned kernels, run by overlap.mjs. Uses the Makefile's flags,
# kernel objects and blob header, so it follows that build.
#
#   make -C bench/rp2040 -f overlap.mk            build/tuned/overlap.bin (and rp2040js)
#   make -C bench/rp2040 -f overlap.mk overlap-run   one raw run: overlap.mjs's JSON on stdout
#   .venv/bin/python bench/rp2040_overlap.py      the benchmark: bench/results/rp2040.json "overlap_dma"

include Makefile

.DEFAULT_GOAL := overlap
.PHONY: overlap overlap-run

overlap: $(BUILD)/tuned/overlap.bin node_modules

$(BUILD)/tuned/overlap.elf: $(BUILD)/tuned/start.o $(BUILD)/tuned/overlap.o $(BUILD)/tuned/libc.o \
		$(K_OBJ_tuned) sram.ld
	$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o,$^) $(LIBS) -o $@

overlap-run: overlap
	node overlap.mjs --image $(BUILD)/tuned/overlap.bin --pairs 1:0,6:90,3:-45
