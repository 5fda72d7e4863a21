/* The roll animation: which face and angle code each tumble frame shows.
 *
 * TUMBLE_FRAMES frames drawn with the fast model come before the rolled face
 * (drawn with the default model). The angle code sweeps half a turn (codes -127
 * and +127 are -90 and +90 degrees: the same square, and every pip pattern is
 * symmetric under a half turn, so the sweep wraps with period 254), slowing down
 * (quadratic ease-out) to the rolled code; the face changes every frame, and the
 * last TUMBLE_SETTLE frames show the rolled face. The rolled face and code are
 * drawn first, by the die's RNG; the tumble's faces come from a separate stream
 * (rng_tumble_face), so the animation cannot bias the die.
 * Pure functions (device/pdtumble.py is the MicroPython app's version). */
#ifndef PD_TUMBLE_H
#define PD_TUMBLE_H

#include <stdint.h>

#define TUMBLE_FRAMES 6
#define TUMBLE_SETTLE 2
#define TUMBLE_PERIOD 254 /* angle codes per half turn */

/* Angle code of tumble frame i (0 .. TUMBLE_FRAMES - 1) before the rolled code. */
static inline int8_t tumble_code(int8_t rolled, uint8_t i) {
    uint8_t left = (uint8_t)(TUMBLE_FRAMES - i); /* frames to go, the rolled image is 0 */
    int16_t c = (int16_t)(rolled - (int16_t)((uint16_t)TUMBLE_PERIOD * left * left / (TUMBLE_FRAMES * TUMBLE_FRAMES)));
    if (c < -127) c = (int16_t)(c + TUMBLE_PERIOD);
    return (int8_t)c;
}

/* Does tumble frame i show the rolled face (else a random other one)? */
static inline uint8_t tumble_settled(uint8_t i) { return (uint8_t)(i >= TUMBLE_FRAMES - TUMBLE_SETTLE); }

#endif /* PD_TUMBLE_H */
