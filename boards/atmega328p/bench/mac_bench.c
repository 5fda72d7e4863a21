/* Inner-loop cycles per MAC, measured on the chip (or in simavr) with Timer1.
 *
 * Each routine runs on n = 8 and n = 200 bytes of one segment (weights in flash,
 * activations in RAM); the difference of the two cycle counts divided by the
 * extra MACs is the cost of one MAC in the loop, without call and set-up costs.
 * Prints "mac <routine> <pixels> <n> <cycles>" lines, then "ready".
 *   make -C boards/atmega328p bench-elf; build/pd_sim --elf build/mac_bench.elf --rolls 0
 */
#include <avr/interrupt.h>
#include <avr/pgmspace.h>
#include <stdint.h>

#include "cycles.h"
#include "uart.h"

/* The shared kernels' plain C loop (natmod/kernels/pd_dot.h without PD_HAVE_DOT). */
#include "pd_dot.h"

typedef struct {
    const uint8_t *w, *x;
} seg_t;

typedef struct { /* avr_group_t of src/avr_conv.c (layout checked there) */
    const seg_t *seg;
    uint8_t nseg, n_co;
    uint16_t co_stride;
    const uint8_t *bias, *mult, *shift;
    uint8_t *out[4];
    uint16_t w_off;
    uint8_t co_left, seg_n;
    uint8_t *out0;
    uint8_t out_step;
} group_t;

extern void avr_group1(group_t *);
extern void avr_group4_8(group_t *);
extern void avr_accum4_8(group_t *);
extern int32_t avr_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n);

static const uint8_t weights[256] PROGMEM = {
#define W8(i) (uint8_t)(i * 37 + 11), (uint8_t)(i * 53 + 7), (uint8_t)(i * 71 + 3), (uint8_t)(i * 29 + 1), \
              (uint8_t)(i * 13 + 5), (uint8_t)(i * 91 + 9), (uint8_t)(i * 17 + 2), (uint8_t)(i * 61 + 4)
    W8(0), W8(1), W8(2), W8(3), W8(4), W8(5), W8(6), W8(7), W8(8), W8(9), W8(10), W8(11), W8(12), W8(13),
    W8(14), W8(15), W8(16), W8(17), W8(18), W8(19), W8(20), W8(21), W8(22), W8(23), W8(24), W8(25), W8(26),
    W8(27), W8(28), W8(29), W8(30), W8(31)};
static const uint8_t bias_mult_shift[8] PROGMEM = {0, 0, 0, 0, 0x00, 0x10, 4, 0};
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

static uint32_t run_group(void (*fn)(group_t *), uint8_t n, uint8_t accumulate) {
    seg_t seg = {weights, act};
    group_t g = {&seg, 1, 1, 0, bias_mult_shift, bias_mult_shift + 4, bias_mult_shift + 6, {0, 0, 0, 0},
                 0, 0, n, accumulate ? (uint8_t *)acc : out, (uint8_t)(accumulate ? 4 : 1)};
    uint32_t t0 = cycles_now();
    fn(&g);
    return cycles_now() - t0;
}

static uint32_t run_dot(uint8_t asm_loop, uint8_t n) {
    uint32_t t0 = cycles_now();
    sink = asm_loop ? avr_dot_u8(weights, act, n) : pd_dot_u8(weights, act, n);
    return cycles_now() - t0;
}

int main(void) {
    uart_init();
    cycles_init();
    sei();
    for (uint16_t i = 0; i < sizeof act; i++) act[i] = (uint8_t)(i * 7 + 3);
    for (uint8_t k = 0; k < 2; k++) {
        uint8_t n = k ? 200 : 8;
        report(PSTR("avr_group4_8"), 4, n, run_group(avr_group4_8, n, 0));
        report(PSTR("avr_accum4_8"), 4, n, run_group(avr_accum4_8, n, 1));
        report(PSTR("avr_group1"), 1, n, run_group(avr_group1, n, 0));
        report(PSTR("avr_dot_u8"), 1, n, run_dot(1, n));
        report(PSTR("pd_dot_u8_c"), 1, n, run_dot(0, n));
    }
    uart_puts_p(PSTR("ready\n"));
    uart_flush();
    for (;;) {
    }
}
