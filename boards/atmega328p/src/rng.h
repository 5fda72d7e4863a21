/* The die's randomness: a seed from watchdog-timer jitter, stirred at every press,
 * expanded by Bob Jenkins' small fast PRNG (JSF32, 16 bytes of state). */
#ifndef PD_RNG_H
#define PD_RNG_H

#include <stdint.h>

/* Watchdog periods sampled at boot (16 ms each). */
#define RNG_WDT_SAMPLES 16

/* Sample Timer1 at RNG_WDT_SAMPLES watchdog interrupts; return the seed. The
 * watchdog runs from its own 128 kHz RC oscillator, so the count of crystal
 * cycles per period jitters. Needs cycles_init() and interrupts on. */
uint32_t rng_seed_from_watchdog(void);
/* Mix an event time (e.g. the cycle count of a button press) into the state. */
void rng_stir(uint32_t sample);
uint32_t rng_next(void);
uint8_t rng_face(void);      /* 1..6, uniform */
int8_t rng_angle_code(void); /* -127..127, uniform */
/* A face other than not_face for the tumble animation, from a separate stream
 * seeded at boot: it never advances the die's state above. */
uint8_t rng_tumble_face(uint8_t not_face);

#endif /* PD_RNG_H */
