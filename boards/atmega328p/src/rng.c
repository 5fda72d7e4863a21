#include "rng.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>

#include "cycles.h"
#include "die_map.h"

typedef struct {
    uint32_t a, b, c, d;
} jsf_t;

/* The PRNG state, and the watchdog samples before it exists (boot only). */
static union {
    jsf_t st;
    struct {
        volatile uint32_t pool;
        volatile uint8_t count;
    } wdt;
} u;
#define st u.st
#define wdt_pool u.wdt.pool
#define wdt_count u.wdt.count

#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

uint32_t rng_next(void) {
    uint32_t e = st.a - ROT(st.b, 27);
    st.a = st.b ^ ROT(st.c, 17);
    st.b = st.c + st.d;
    st.c = st.d + e;
    st.d = e + st.a;
    return st.d;
}

static void jsf_init(uint32_t seed) {
    st.a = 0xF1EA5EEDUL;
    st.b = st.c = st.d = seed;
    for (uint8_t i = 0; i < 20; i++) (void)rng_next();
}

/* FNV-1a style mixing of each sample into a 32-bit pool. */
static uint32_t mix(uint32_t h, uint32_t v) {
    for (uint8_t i = 0; i < 4; i++) {
        h ^= (uint8_t)v;
        h *= 16777619UL;
        v >>= 8;
    }
    return h;
}

ISR(WDT_vect) {
    wdt_pool = mix(wdt_pool, cycles_now());
    wdt_count++;
    /* Keep the interrupt armed: harmless in interrupt mode, and needed where WDIE
     * is cleared on service (interrupt-and-reset mode; simavr does it always). */
    WDTCSR |= _BV(WDIE);
}

/* The tumble's own stream (xorshift32, never 0): the animation's faces must not
 * take numbers from the die's stream. */
static uint32_t tumble_state;

uint8_t rng_tumble_face(uint8_t not_face) {
    for (;;) {
        uint32_t x = tumble_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        tumble_state = x;
        uint8_t f = die_face_from_byte((uint8_t)(x >> 24));
        if (f != DIE_REJECT && f != not_face) return f;
    }
}

uint32_t rng_seed_from_watchdog(void) {
    wdt_pool = 2166136261UL;
    wdt_count = 0;
    uint8_t sreg = SREG;
    cli();
    wdt_reset();
    MCUSR &= (uint8_t)~_BV(WDRF);
    WDTCSR = _BV(WDCE) | _BV(WDE); /* timed sequence: */
    WDTCSR = _BV(WDIE);            /* interrupt mode, 16 ms, no reset */
    SREG = sreg;
    sei();
    while (wdt_count < RNG_WDT_SAMPLES) {
    }
    cli();
    WDTCSR = _BV(WDCE) | _BV(WDE);
    WDTCSR = 0; /* watchdog off */
    SREG = sreg;
    sei();
    uint32_t seed = wdt_pool;
    jsf_init(seed);
    tumble_state = seed | 1u;
    return seed;
}

void rng_stir(uint32_t sample) {
    st.a ^= mix(2166136261UL, sample);
    for (uint8_t i = 0; i < 4; i++) (void)rng_next();
}

uint8_t rng_face(void) {
    for (;;) {
        uint32_t r = rng_next();
        for (uint8_t i = 0; i < 4; i++, r >>= 8) {
            uint8_t f = die_face_from_byte((uint8_t)r);
            if (f != DIE_REJECT) return f;
        }
    }
}

int8_t rng_angle_code(void) {
    for (;;) {
        uint32_t r = rng_next();
        for (uint8_t i = 0; i < 4; i++, r >>= 8) {
            uint8_t ok;
            int8_t a = die_angle_from_byte((uint8_t)r, &ok);
            if (ok) return a;
        }
    }
}
