/* pipdream on an ATmega328p: press the button, get a fair face drawn by the
 * decoder, streamed row by row to the SSD1306, and a report line on the UART:
 *
 *   roll 1 face=3 angle=-42 cycles=9876543 i2c=123456 stack=201 ram=1822 display=3c
 *
 * The blob lives in flash (model_blob.h from `pipdream export-c`), the decoder's
 * working memory is one static scratch buffer sized by the streaming plan. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

#include "board.h"
#include "button.h"
#include "cycles.h"
#include "model_blob.h"
#include "oled.h"
#include "pd_model.h"
#include "rng.h"
#include "scratch.h" /* PD_SCRATCH_BYTES: the streaming plan's scratch for this blob */
#include "stack.h"
#include "twi.h"
#include "uart.h"

/* The decoder's ring buffers and windows (streaming plan), 4-byte aligned. */
static uint8_t scratch[PD_SCRATCH_BYTES] __attribute__((aligned(PD_SCRATCH_ALIGN)));
static pd_model_t model;

#ifdef PD_TEST_HOOK
static uint8_t dump_rows; /* "D face angle": print every row segment too */
#endif

static void on_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels) {
    (void)ctx;
    oled_image_row(row, col0, width, pixels);
#ifdef PD_TEST_HOOK
    if (dump_rows) { /* "px <row> <col0> <hex bytes>" (slows the roll: test builds only) */
        uart_puts_p(PSTR("px "));
        uart_put_u32(row);
        uart_putc(' ');
        uart_put_u32(col0);
        uart_putc(' ');
        for (uint8_t i = 0; i < width; i++) uart_put_hex8(pixels[i]);
        uart_putc('\n');
    }
#endif
}

static void halt(void) {
    uart_flush();
    cli();
    sleep_enable();
    sleep_cpu(); /* interrupts off: stays here (and ends a simulator run) */
    for (;;) {
    }
}

/* Only the number: pd_status_message's strings would sit in SRAM on the AVR
 * (string literals are copied to .data); the host maps codes to messages. */
static void report_status(int st) {
    uart_puts_p(PSTR("error status="));
    uart_put_i32(st);
    uart_putc('\n');
}

static void roll(uint16_t n, uint8_t face, int8_t angle) {
    if (!oled_present()) (void)oled_init(); /* a display plugged in later is picked up */
    uint32_t i2c0 = twi_busy_cycles;
    oled_image_begin();
    LED_PORT |= _BV(LED_BIT);
    uint32_t t0 = cycles_now();
    int st = pd_generate_stream(&model, face, angle, scratch, sizeof scratch, on_row, 0);
    uint32_t t1 = cycles_now();
    LED_PORT &= (uint8_t)~_BV(LED_BIT);
    oled_digit(face);
    if (st != PD_OK) report_status(st);
    uart_puts_p(PSTR("roll "));
    uart_put_u32(n);
    UART_KEY("face");
    uart_put_u32(face);
    UART_KEY("angle");
    uart_put_i32(angle);
    UART_KEY("cycles");
    uart_put_u32(t1 - t0);
    UART_KEY("i2c");
    uart_put_u32(twi_busy_cycles - i2c0);
    UART_KEY("stack");
    uart_put_u32(stack_high_water());
    if (stack_overflowed()) uart_putc('!'); /* the stack reached .bss: the figure is a lower bound */
    UART_KEY("ram");
    uart_put_u32(static_ram_bytes() + stack_high_water());
    UART_KEY("display");
    if (oled_present()) {
        uart_put_hex8(oled_address());
    } else {
        uart_puts_p(PSTR("none"));
    }
    uart_putc('\n');
}

#ifdef PD_TEST_HOOK
/* "faces <digits...>" lines of 64, then "faces end": the RNG's face stream. */
static void faces_only(const char *p) {
    uint16_t n = 0;
    while (*p == ' ') p++;
    while (*p >= '0' && *p <= '9') n = (uint16_t)(n * 10 + (uint16_t)(*p++ - '0'));
    for (uint16_t i = 0; i < n; i++) {
        if (i % 64 == 0) uart_puts_p(i ? PSTR("\nfaces ") : PSTR("faces "));
        uart_putc((char)('0' + rng_face()));
    }
    uart_puts_p(PSTR("\nfaces end\n"));
}

/* Test builds only: "G <face> <angle>\n" on the UART rolls a forced face and
 * angle; "D <face> <angle>\n" also prints the image's rows (px lines);
 * "F <n>\n" prints n faces drawn as a roll draws them (no image). */
static uint8_t parse_forced(uint8_t *face, int8_t *angle) {
    static char line[16];
    static uint8_t len;
    int16_t c;
    while ((c = uart_getc()) >= 0) {
        if (c != '\n') {
            if (len < sizeof line - 1) line[len++] = (char)c;
            continue;
        }
        line[len] = 0;
        len = 0;
        if (line[0] == 'F') {
            faces_only(line + 1);
            continue;
        }
        if (line[0] != 'G' && line[0] != 'D') continue;
        dump_rows = line[0] == 'D';
        const char *p = line + 1;
        int16_t v[2] = {0, 0};
        for (uint8_t k = 0; k < 2; k++) {
            while (*p == ' ') p++;
            uint8_t neg = (*p == '-');
            if (neg) p++;
            while (*p >= '0' && *p <= '9') v[k] = (int16_t)(v[k] * 10 + (*p++ - '0'));
            if (neg) v[k] = (int16_t)-v[k];
        }
        *face = (uint8_t)v[0];
        *angle = (int8_t)v[1];
        return 1;
    }
    return 0;
}

/* Idle sleep (the UART RX interrupt must wake us) until a command or a press. */
static uint8_t wait_trigger(uint8_t *face, int8_t *angle) {
    for (;;) {
        if (parse_forced(face, angle)) return 1;
        if (button_is_down() && button_confirm_press()) return 0;
        set_sleep_mode(SLEEP_MODE_IDLE);
        sleep_mode();
    }
}
#endif

/* Everything before the first roll; noinline keeps its locals (the plan) out
 * of main's frame, which sits under every roll's stack. */
static void __attribute__((noinline)) boot(void) {
    LED_DDR |= _BV(LED_BIT);
    uart_init();
    cycles_init();
    button_init();
    twi_init();
    sei();

    uart_puts_p(PSTR("pipdream atmega328p"));
    UART_KEY("scratch");
    uart_put_u32(sizeof scratch);
    UART_KEY("static");
    uart_put_u32(static_ram_bytes());
    uart_putc('\n');

    int st = pd_model_parse(&model, pd_model_blob, PD_MODEL_BLOB_SIZE);
    if (st != PD_OK) {
        report_status(st);
        halt();
    }
    pd_plan_t plan;
    st = pd_plan(&model, PD_PLAN_STREAM, &plan);
    if (st == PD_OK && plan.scratch_bytes > sizeof scratch) st = PD_ERR_SCRATCH_SIZE;
    if (st != PD_OK) {
        report_status(st);
        halt();
    }
    uart_puts_p(PSTR("model"));
    UART_KEY("layers");
    uart_put_u32(model.n_layers);
    UART_KEY("macs");
    uart_put_u32(plan.macs);
    UART_KEY("plan_scratch");
    uart_put_u32(plan.scratch_bytes);
    UART_KEY("strips");
    uart_put_u32(plan.strips);
    uart_putc('\n');

    uint32_t seed = rng_seed_from_watchdog();
    uart_puts_p(PSTR("seed"));
    UART_KEY("wdt");
    uart_put_u32(seed);
    uart_putc('\n');

    uart_puts_p(PSTR("display"));
    UART_KEY("found");
    uart_puts_p(oled_init() ? PSTR("yes") : PSTR("no"));
    uart_putc('\n');
    uart_puts_p(PSTR("ready\n"));
}

int main(void) {
    boot();
    for (uint16_t n = 1;; n++) {
#ifdef PD_TEST_HOOK
        uint8_t face;
        int8_t angle;
        if (!wait_trigger(&face, &angle)) {
            rng_stir(cycles_now());
            face = rng_face();
            angle = rng_angle_code();
        }
        roll(n, face, angle);
#else
        button_wait_press();
        rng_stir(cycles_now()); /* how long the person took: a little extra entropy */
        uint8_t face = rng_face();
        int8_t angle = rng_angle_code();
        roll(n, face, angle);
        uart_flush();
        button_wait_release();
#endif
    }
}
