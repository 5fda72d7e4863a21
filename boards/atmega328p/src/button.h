/* The roll button: pin to GND with the internal pull-up, debounced, and the chip
 * asleep (power-down) while it waits; any edge on the pin wakes it. */
#ifndef PD_BUTTON_H
#define PD_BUTTON_H

#include <stdint.h>

void button_init(void);
uint8_t button_is_down(void); /* raw level, no debounce */
/* Sleep until the pin has read low (pressed) for DEBOUNCE_MS straight milliseconds. */
void button_wait_press(void);
/* Sleep until the pin has read high (released) for DEBOUNCE_MS straight milliseconds. */
void button_wait_release(void);
/* Debounce only: 1 when the pin stays low for DEBOUNCE_MS, 0 at the first high. */
uint8_t button_confirm_press(void);

#endif /* PD_BUTTON_H */
