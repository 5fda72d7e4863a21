/* Stack high-water mark: RAM between the end of .bss and the stack is painted at reset. */
#ifndef PD_STACK_H
#define PD_STACK_H

#include <stdint.h>

/* Bytes of stack ever used since reset (deepest point reached). */
uint16_t stack_high_water(void);
/* 1 when the stack has reached the end of .bss (paint gone right above it). */
uint8_t stack_overflowed(void);
/* .data + .bss bytes (everything static). */
uint16_t static_ram_bytes(void);

#endif /* PD_STACK_H */
