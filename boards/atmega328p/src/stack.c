#include "stack.h"

#include <avr/io.h>

#define PAINT 0xC5

extern uint8_t _end;          /* first byte after .bss (no heap: malloc is never used) */
extern uint8_t __data_start;  /* first byte of .data */

/* Runs before the C runtime sets up anything: no stack frame, plain registers only. */
void stack_paint(void) __attribute__((naked, used, section(".init1")));
void stack_paint(void) {
    __asm__ volatile(
        "    ldi r30, lo8(_end)\n"
        "    ldi r31, hi8(_end)\n"
        "    ldi r24, %0\n"
        "    ldi r25, hi8(%1)\n"
        "1:  st Z+, r24\n"
        "    cpi r30, lo8(%1)\n"
        "    cpc r31, r25\n"
        "    brlo 1b\n"
        "    breq 1b\n"
        :
        : "i"(PAINT), "i"(RAMEND));
}

uint16_t stack_high_water(void) {
    const uint8_t *p = &_end;
    while (p <= (const uint8_t *)RAMEND && *p == PAINT) p++;
    return (uint16_t)((const uint8_t *)RAMEND + 1 - p);
}

uint8_t stack_overflowed(void) { return _end != PAINT; }

uint16_t static_ram_bytes(void) { return (uint16_t)(&_end - &__data_start); }
