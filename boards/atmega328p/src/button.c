#include "button.h"

#include <avr/interrupt.h>
#include <avr/sleep.h>
#include <util/delay.h>

#include "board.h"

EMPTY_INTERRUPT(PCINT2_vect); /* its only job is to wake the CPU */

void button_init(void) {
    BUTTON_PORT |= _BV(BUTTON_BIT); /* input with pull-up (DDR bit is 0 after reset) */
    BUTTON_PCMSK |= _BV(BUTTON_PCINT);
    PCIFR = _BV(BUTTON_PCIE);
    PCICR |= _BV(BUTTON_PCIE);
}

uint8_t button_is_down(void) { return !(BUTTON_PINR & _BV(BUTTON_BIT)); }

/* Power down until the pin changes, unless it already reads `down`. */
static void sleep_until_level(uint8_t down) {
    set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    cli();
    if (button_is_down() != down) {
        sleep_enable();
        sei(); /* the instruction after sei runs before any interrupt: no lost wake-up */
        sleep_cpu();
        sleep_disable();
    }
    sei();
}

/* 1 when the pin reads `down` for DEBOUNCE_MS consecutive 1 ms samples. */
static uint8_t stable(uint8_t down) {
    for (uint8_t ms = 0; ms < DEBOUNCE_MS; ms++) {
        if (button_is_down() != down) return 0;
        _delay_ms(1);
    }
    return button_is_down() == down;
}

uint8_t button_confirm_press(void) { return stable(1); }

void button_wait_press(void) {
    do {
        sleep_until_level(1);
    } while (!stable(1));
}

void button_wait_release(void) {
    do {
        sleep_until_level(0);
    } while (!stable(0));
}
