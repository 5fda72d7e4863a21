/* pipdream on an ATmega328p: press the button, get a fair face drawn by the
 * decoder, streamed row by row to the SSD1306, and a report line on the UART:
 *
 *   frame 1 face=5 angle=-98 cycles=1234567      (PD_TUMBLE: the animation's frames)
 *   ...
 *   roll 1 face=3 angle=-42 cycles=9876543 i2c=123456 stack=201 ram=1822 display=3c
 *
 * The blobs live in flash (model_blob.h and fast_blob.h from `pipdream export-c`),
 * the decoder's working memory is one static scratch buffer sized by the larger
 * streaming plan. The rolled face and angle are drawn first; with a display, a
 * short tumble drawn by the fast model (src/tumble.h) leads up to them, and the
 * rolled face is drawn by the default model. */
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
#include "tumble.h"
#include "twi.h"
#include "uart.h"

/* The decoder's ring buffers and windows (streaming plan), 4-byte aligned. */
static uint8_t scratch[PD_SCRATCH_BYTES] __attribute__((aligned(PD_SCRATCH_ALIGN)));
static pd_model_t model;
#if PD_TUMBLE
#include "fast_blob.h"
static pd_model_t fast_model; /* the tumble's frames */
#endif

#ifdef PD_TEST_HOOK
static uint8_t dump_rows;      /* "D face angle": print every row segment too */
static uint8_t forced_tumble;  /* "T face angle": with the tumble (and the rows) */
#endif

/* ctx: test builds, draw's start time (its clock skips the px lines), else 0 */
static void on_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels) {
    (void)ctx;
    oled_image_row(row, col0, width, pixels);
#ifdef PD_TEST_HOOK
    if (dump_rows) { /* "px <row> <col0> <hex bytes>" (test builds only) */
        /* Left out of the image's cycles, and printed with the busy LED off (simavr's
         * LED-on time, the host's check, leaves them out too): both count the
         * inference alone, as in the shipped build. The LED edges come as long
         * before the Timer1 reads, so both gaps are as long. */
        LED_PORT &= (uint8_t)~_BV(LED_BIT);
        uint32_t d0 = cycles_now();
        uart_puts_p(PSTR("px "));
        uart_put_u32(row);
        uart_putc(' ');
        uart_put_u32(col0);
        uart_putc(' ');
        for (uint8_t i = 0; i < width; i++) uart_put_hex8(pixels[i]);
        uart_putc('\n');
        LED_PORT |= _BV(LED_BIT);
        *(uint32_t *)ctx += cycles_now() - d0; /* the image started that much later */
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

/* One image of model m streamed to the display (busy LED on); returns the
 * inference's Timer1 cycles (test builds: without printing the rows). */
static __attribute__((noinline)) uint32_t draw(const pd_model_t *m, uint8_t face, int8_t angle) {
    oled_image_begin();
    LED_PORT |= _BV(LED_BIT);
    uint32_t t0 = cycles_now();
#ifdef PD_TEST_HOOK
    int st = pd_generate_stream(m, face, angle, scratch, sizeof scratch, on_row, &t0);
#else
    int st = pd_generate_stream(m, face, angle, scratch, sizeof scratch, on_row, 0);
#endif
    uint32_t t = cycles_now() - t0;
    LED_PORT &= (uint8_t)~_BV(LED_BIT);
    if (st != PD_OK) report_status(st);
    return t;
}

/* "<what> <n> face=<f> angle=<a> cycles=<c>": the start of a frame or roll line. */
static void report_image(const char *what, uint16_t n, uint8_t face, int8_t angle, uint32_t cycles) {
    uart_puts_p(what);
    uart_put_u32(n);
    UART_KEY("face");
    uart_put_u32(face);
    UART_KEY("angle");
    uart_put_i32(angle);
    UART_KEY("cycles");
    uart_put_u32(cycles);
}

#if PD_TUMBLE
/* The animation before the rolled (face, angle): only when a display shows it. */
static void tumble(uint8_t face, int8_t angle) {
    if (!oled_present()) return;
    oled_digit(OLED_BLANK);
    uint8_t shown = face;
    for (uint8_t i = 0; i < TUMBLE_FRAMES; i++) {
        shown = tumble_settled(i) ? face : rng_tumble_face(shown);
        int8_t code = tumble_code(angle, i);
        uint32_t c = draw(&fast_model, shown, code);
        report_image(PSTR("frame "), (uint16_t)(i + 1u), shown, code, c);
        uart_putc('\n');
    }
}
#endif

static void roll(uint16_t n, uint8_t face, int8_t angle, uint8_t with_tumble) {
    if (!oled_present()) (void)oled_init(); /* a display plugged in later is picked up */
#if PD_TUMBLE
    if (with_tumble) tumble(face, angle);
#else
    (void)with_tumble;
#endif
    uint32_t i2c0 = twi_busy_cycles; /* the rolled image's frame only */
    uint32_t c = draw(&model, face, angle);
    oled_digit(face);
    report_image(PSTR("roll "), n, face, angle, c);
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
        if (i % 64 == 0) {
            if (i) uart_putc('\n');
            uart_puts_p(PSTR("faces "));
        }
        uart_putc((char)('0' + rng_face()));
    }
    uart_puts_p(PSTR("\nfaces end\n"));
}

/* Test builds only: "G <face> <angle>\n" on the UART rolls a forced face and
 * angle (no tumble); "D <face> <angle>\n" also prints the image's rows (px lines);
 * "T <face> <angle>\n" is "D" with the tumble before it (its frames' rows too);
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
        if (line[0] != 'G' && line[0] != 'D' && line[0] != 'T') continue;
        dump_rows = line[0] != 'G';
        forced_tumble = line[0] == 'T';
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

    /* The plan's figures are the build's (tools/plan_size, the same pd_plan.c on
     * the host): linking pd_plan only to print them would cost 1.8 KB of flash.
     * pd_generate_stream still checks that the scratch is large enough. */
    int st = pd_model_parse(&model, pd_model_blob, PD_MODEL_BLOB_SIZE);
#if PD_TUMBLE
    if (st == PD_OK) st = pd_model_parse(&fast_model, pd_fast_blob, PD_FAST_BLOB_SIZE);
#endif
    if (st != PD_OK) {
        report_status(st);
        halt();
    }
    uart_puts_p(PSTR("model"));
    UART_KEY("layers");
    uart_put_u32(model.n_layers);
    UART_KEY("macs");
    uart_put_u32(PD_PLAN_MACS);
    UART_KEY("plan_scratch");
    uart_put_u32(PD_PLAN_SCRATCH);
    UART_KEY("strips");
    uart_put_u32(PD_PLAN_STRIPS);
    uart_putc('\n');
#if PD_TUMBLE
    uart_puts_p(PSTR("tumble"));
    UART_KEY("frames");
    uart_put_u32(TUMBLE_FRAMES);
    UART_KEY("fast_layers");
    uart_put_u32(fast_model.n_layers);
    UART_KEY("fast_macs");
    uart_put_u32(PD_FAST_MACS);
    UART_KEY("fast_scratch");
    uart_put_u32(PD_FAST_SCRATCH);
    UART_KEY("fast_strips");
    uart_put_u32(PD_FAST_STRIPS);
    uart_putc('\n');
#endif

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
        uint8_t with_tumble = 1;
        if (wait_trigger(&face, &angle)) {
            with_tumble = forced_tumble;
        } else {
            rng_stir(cycles_now());
            face = rng_face();
            angle = rng_angle_code();
        }
        roll(n, face, angle, with_tumble);
#else
        button_wait_press();
        rng_stir(cycles_now()); /* how long the person took: a little extra entropy */
        uint8_t face = rng_face();
        int8_t angle = rng_angle_code(); /* both drawn before the tumble, which takes none */
        roll(n, face, angle, 1);
        uart_flush();
        button_wait_release();
#endif
    }
}
