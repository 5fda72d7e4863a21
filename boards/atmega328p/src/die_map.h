/* Random bits -> die face and angle code, by rejection (never `% 6`).
 * Pure functions, also compiled on the host by tests/test_avr_rng.py, which
 * checks every input: each face comes from exactly 32 of the 256 bytes. */
#ifndef PD_DIE_MAP_H
#define PD_DIE_MAP_H

#include <stdint.h>

#define DIE_REJECT 0

/* Top 3 bits of a random byte -> face 1..6; 6 and 7 are rejected (DIE_REJECT). */
static inline uint8_t die_face_from_byte(uint8_t b) {
    uint8_t v = (uint8_t)(b >> 5);
    return v < 6u ? (uint8_t)(v + 1u) : DIE_REJECT;
}

/* A random byte -> angle code -127..127 (255 values); 255 is rejected (*ok = 0). */
static inline int8_t die_angle_from_byte(uint8_t b, uint8_t *ok) {
    *ok = (uint8_t)(b != 255u);
    return (int8_t)((int16_t)b - 127);
}

#endif /* PD_DIE_MAP_H */
