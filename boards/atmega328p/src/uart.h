/* UART0 at 115200 baud, 8N1, polled transmit (strings stay in flash). */
#ifndef PD_UART_H
#define PD_UART_H

#include <stdint.h>
#include <avr/pgmspace.h>

void uart_init(void);
void uart_putc(char c);
void uart_puts_p(const char *s); /* s in flash */
void uart_put_u32(uint32_t v);
void uart_put_i32(int32_t v);
void uart_put_hex8(uint8_t v); /* two lower-case hex digits */
void uart_flush(void); /* wait until the last byte has left the shift register */

/* "key=value " helpers for the one-line roll report. */
#define UART_KEY(k) uart_puts_p(PSTR(" " k "="))

#ifdef PD_TEST_HOOK
/* Non-blocking receive: -1 when nothing arrived. */
int16_t uart_getc(void);
#endif

#endif /* PD_UART_H */
