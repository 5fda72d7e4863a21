/* Random bits -> die face and angle code, by rejection (never `% 6`).
 * Pure functions, also compiled on the host by tests/test_avr_rng.py, which
 * checks every input: each face comes from exactly 40 of the 256 bytes. */
#ifndef PD_DIE_MAP_H
#define PD_DIE_MAP_H

#include <stdint.h>

#define DIE_REJECT 0

/* A random byte -> face 1..6: device/pdrandom.py's face_from_byte, the one mapping
 * (tests/test_avr_rng.py checks the two agree on every byte): the low 3 bits, or when they
 * are 6 or 7 the next 3; both 6 or 7 (16 of the 256 bytes) is rejected (DIE_REJECT). */
static inline uint8_t die_face_from_byte(uint8_t b) {
    uint8_t v = (uint8_t)(b & 7u);
    if (v > 5u) {
        v = (uint8_t)((uint8_t)(b >> 3) & 7u);
        if (v > 5u) {
            return DIE_REJECT;
        }
    }
    return (uint8_t)(v + 1u);
}

/* A random byte -> angle code -127..127 (255 values); 255 is rejected (*ok = 0). */
static inline int8_t die_angle_from_byte(uint8_t b, uint8_t *ok) {
    *ok = (uint8_t)(b != 255u);
    return (int8_t)((int16_t)b - 127);
}

#endif /* PD_DIE_MAP_H */
