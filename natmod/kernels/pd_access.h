/* The one way to read blob bytes (weights, biases, multipliers, shifts, and
 * the header and layer table): plain loads by default; pgm_read_byte on AVR,
 * where the blob lives in flash (define PD_BLOB_IN_RAM to opt out there).
 * Never cast a struct over the blob: fields are read byte by byte, little-endian. */
#ifndef PD_ACCESS_H
#define PD_ACCESS_H

#include <stdint.h>

#if defined(PD_BLOB_IN_PROGMEM) || (defined(__AVR__) && !defined(PD_BLOB_IN_RAM))
#include <avr/pgmspace.h>
#define PD_RD8(p) ((uint8_t)pgm_read_byte(p))
#else
#define PD_RD8(p) (*(const uint8_t *)(p))
#endif

#define PD_RD16LE(p) ((uint16_t)(PD_RD8(p) | ((uint16_t)PD_RD8((p) + 1) << 8)))
#define PD_RD32LE(p) ((uint32_t)PD_RD16LE(p) | ((uint32_t)PD_RD16LE((p) + 2) << 16))
/* int8 weight */
#define PD_RDS8(p) ((int8_t)PD_RD8(p))

#endif /* PD_ACCESS_H */
