#include "cycles.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

static volatile uint16_t overflows;

ISR(TIMER1_OVF_vect) { overflows++; }

void cycles_init(void) {
    TCCR1A = 0;
    TCCR1B = _BV(CS10); /* no prescaler: one count per CPU cycle */
    TIMSK1 = _BV(TOIE1);
}

uint32_t cycles_now(void) {
    uint16_t hi, lo;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        hi = overflows;
        lo = TCNT1;
        /* An overflow that happened after cli but before the read is still pending. */
        if ((TIFR1 & _BV(TOV1)) && lo < 0x8000u) hi++;
    }
    return ((uint32_t)hi << 16) | lo;
}
