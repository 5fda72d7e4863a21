#include "cycles.h"

#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

static volatile uint16_t overflows;

/* overflows++ in 5 bytes of stack (a C ISR saves r0, r1, r24, r25 and SREG
 * and would add them on top of the deepest inference frame). */
ISR(TIMER1_OVF_vect, ISR_NAKED) {
    __asm__ volatile(
        "push r24            \n\t"
        "in   r24, __SREG__  \n\t"
        "push r24            \n\t"
        "lds  r24, %[lo]     \n\t"
        "subi r24, 0xFF      \n\t" /* + 1 */
        "sts  %[lo], r24     \n\t"
        "lds  r24, %[hi]     \n\t"
        "sbci r24, 0xFF      \n\t" /* + carry */
        "sts  %[hi], r24     \n\t"
        "pop  r24            \n\t"
        "out  __SREG__, r24  \n\t"
        "pop  r24            \n\t"
        "reti                \n\t"
        :
        : [lo] "i"(&overflows), [hi] "i"((uint8_t *)&overflows + 1));
}

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
