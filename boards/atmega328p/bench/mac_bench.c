/* Inner-loop cycles per MAC, measured on the chip (or in simavr) with Timer1.
 *
 * Each routine runs on n = 8 and n = 200 bytes of one segment (weights in flash,
 * activations in RAM); the difference of the two cycle counts divided by the
 * extra MACs is the cost of one MAC in the loop, without call and set-up costs.
 * avr_sparse (4 output channels per activation byte, zero bytes skipped) runs
 * twice: on nonzero activations (every product computed) and on zeros.
 * Prints "mac <routine> <pixels> <n> <cycles>" lines (pixels: output values per
 * activation or weight byte), then "ready".
 *   make -C boards/atmega328p bench-elf; build/pd_sim --elf build/mac_bench.elf --rolls 0
 */
#include <avr/interrupt.h>
#include <avr/pgmspace.h>
#include <stdint.h>

#include "avr_ctx.h"
#include "cycles.h"
#include "uart.h"

/* The shared kernels' plain C loop (natmod/kernels/pd_dot.h without PD_HAVE_DOT). */
#include "pd_dot.h"

extern int32_t avr_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n);

/* 4 channels of 200 weights (co_stride 200) */
static const uint8_t weights[800] PROGMEM = {
#define W8(i) (uint8_t)(i * 37 + 11), (uint8_t)(i * 53 + 7), (uint8_t)(i * 71 + 3), (uint8_t)(i * 29 + 1), \
              (uint8_t)(i * 13 + 5), (uint8_t)(i * 91 + 9), (uint8_t)(i * 17 + 2), (uint8_t)(i * 61 + 4)
#define W64(j) W8(j), W8(j + 1), W8(j + 2), W8(j + 3), W8(j + 4), W8(j + 5), W8(j + 6), W8(j + 7)
    W64(0), W64(8), W64(16), W64(24), W64(32), W64(40), W64(48), W64(56), W64(64), W64(72), W64(80), W64(88),
    W8(96), W8(97), W8(98), W8(99)};
/* bias[4] (int32), mult[4], shift[4] */
static const uint8_t bias_mult_shift[28] PROGMEM = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                   0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 4, 4, 4, 4};
static uint8_t act[256 + 32];
static int32_t acc[4];
static uint8_t out[4];
volatile int32_t sink;

static void report(const char *name, uint8_t pixels, uint8_t n, uint32_t cycles) {
    uart_puts_p(PSTR("mac "));
    uart_puts_p(name);
    uart_putc(' ');
    uart_put_u32(pixels);
    uart_putc(' ');
    uart_put_u32(n);
    uart_putc(' ');
    uart_put_u32(cycles);
    uart_putc('\n');
}

/* One call: 1 group, one segment of n bytes, n_co channels (co_stride 200). */
static uint32_t run_core(void (*fn)(void), uint8_t n, uint8_t n_co, uint8_t accumulate) {
    avr_seg_t seg = {weights, act};
    avr_ctx.seg = &seg;
    avr_ctx.nseg = 1;
    avr_ctx.nchunk = 1;
    avr_ctx.chunk_blocks = n >> 2;
    avr_ctx.chunk_rest = n & 3;
    avr_ctx.w_jump = 0;
    avr_ctx.n_co = n_co;
    avr_ctx.co_stride = 200;
    avr_ctx.bias = bias_mult_shift;
    avr_ctx.mult = bias_mult_shift + 16;
    avr_ctx.shift = bias_mult_shift + 24;
    avr_ctx.out0 = accumulate ? (uint8_t *)acc : out;
    avr_ctx.out_step = accumulate ? 4 : 1;
    avr_ctx.n_groups = 1;
    avr_ctx.x_adv = 0;
    uint32_t t0 = cycles_now();
    fn();
    return cycles_now() - t0;
}

static uint32_t run_dot(uint8_t asm_loop, uint8_t n) {
    uint32_t t0 = cycles_now();
    sink = asm_loop ? avr_dot_u8(weights, act, n) : pd_dot_u8(weights, act, n);
    return cycles_now() - t0;
}

static void fill(uint8_t zero) {
    for (uint16_t i = 0; i < sizeof act; i++) act[i] = zero ? 0 : (uint8_t)(i * 7 + 3) | 1;
}

int main(void) {
    uart_init();
    cycles_init();
    sei();
    for (uint8_t k = 0; k < 2; k++) {
        uint8_t n = k ? 200 : 8;
        fill(0);
        report(PSTR("avr_sparse_nonzero"), 4, n, run_core(avr_sparse, n, 4, 0));
        report(PSTR("avr_sparse2_nonzero"), 2, n, run_core(avr_sparse2, n, 2, 0));
        report(PSTR("avr_accum4_8"), 4, n, run_core(avr_accum4_8, n, 1, 1));
        report(PSTR("avr_group1"), 1, n, run_core(avr_group1, n, 1, 0));
        report(PSTR("avr_dot_u8"), 1, n, run_dot(1, n));
        report(PSTR("pd_dot_u8_c"), 1, n, run_dot(0, n));
        fill(1);
        report(PSTR("avr_sparse_zero"), 4, n, run_core(avr_sparse, n, 4, 0));
        report(PSTR("avr_sparse2_zero"), 2, n, run_core(avr_sparse2, n, 2, 0));
    }
    uart_puts_p(PSTR("ready\n"));
    uart_flush();
    for (;;) {
    }
}
