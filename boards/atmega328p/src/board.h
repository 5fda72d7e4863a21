/* Pins, clocks and limits of the ATmega328p board (Arduino Uno / Nano pin names in comments). */
#ifndef PD_BOARD_H
#define PD_BOARD_H

#include <avr/io.h>

#ifndef F_CPU
#define F_CPU 16000000UL
#endif

/* Button: D2 = PD2 to GND, internal pull-up, pin-change interrupt PCINT18 wakes the chip. */
#define BUTTON_PORT PORTD
#define BUTTON_PINR PIND
#define BUTTON_BIT PD2
#define BUTTON_PCMSK PCMSK2
#define BUTTON_PCINT PCINT18
#define BUTTON_PCIE PCIE2

/* Busy LED: D13 = PB5, on while the decoder runs (the simulator times inference on its edges). */
#define LED_DDR DDRB
#define LED_PORT PORTB
#define LED_BIT PB5

/* SSD1306 on the hardware TWI: SDA = A4 (PC4), SCL = A5 (PC5). */
#define OLED_ADDR_PRIMARY 0x3C
#define OLED_ADDR_SECONDARY 0x3D
#define TWI_HZ 400000UL

#define UART_BAUD 115200UL

/* A press counts after the pin has read low this many consecutive milliseconds. */
#define DEBOUNCE_MS 20

#endif /* PD_BOARD_H */
