#include "uart.h"

#include "board.h"

/* Double speed: UBRR 16 gives 117,647 baud at 16 MHz (2.1% off, as on every Arduino). */
#define UBRR_VALUE ((F_CPU / 8 / UART_BAUD) - 1)

void uart_init(void) {
    UCSR0A = _BV(U2X0); /* before UBRR0: the baud rate latches on the UBRR0L write */
    UBRR0H = (uint8_t)(UBRR_VALUE >> 8);
    UBRR0L = (uint8_t)UBRR_VALUE;
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
#ifdef PD_TEST_HOOK
    UCSR0B = _BV(TXEN0) | _BV(RXEN0) | _BV(RXCIE0); /* RX interrupt wakes the idle sleep */
#else
    UCSR0B = _BV(TXEN0);
#endif
}

void uart_putc(char c) {
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UCSR0A |= _BV(TXC0); /* clear "transmit complete" so uart_flush waits for this byte */
    UDR0 = (uint8_t)c;
}

void uart_flush(void) {
    if (!(UCSR0B & _BV(TXEN0))) return;
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    while (!(UCSR0A & _BV(TXC0))) {
    }
}

void uart_puts_p(const char *s) {
    char c;
    while ((c = (char)pgm_read_byte(s++)) != 0) uart_putc(c);
}

void uart_put_u32(uint32_t v) {
    char buf[10]; /* 4294967295 has 10 digits */
    uint8_t n = 0;
    do {
        buf[n++] = (char)('0' + (uint8_t)(v % 10u));
        v /= 10u;
    } while (v != 0);
    while (n != 0) uart_putc(buf[--n]);
}

void uart_put_i32(int32_t v) {
    if (v < 0) {
        uart_putc('-');
        uart_put_u32((uint32_t)(-(v + 1)) + 1u);
    } else {
        uart_put_u32((uint32_t)v);
    }
}

static char hex_digit(uint8_t v) { return (char)(v < 10 ? '0' + v : 'a' + v - 10); }

void uart_put_hex8(uint8_t v) {
    uart_putc(hex_digit(v >> 4));
    uart_putc(hex_digit(v & 15u));
}

#ifdef PD_TEST_HOOK
#include <avr/interrupt.h>

/* A one-line receive buffer filled by the RX interrupt (test builds only). */
#define RX_SIZE 16
static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;

ISR(USART_RX_vect) {
    uint8_t c = UDR0;
    uint8_t next = (uint8_t)((rx_head + 1u) % RX_SIZE);
    if (next != rx_tail) {
        rx_buf[rx_head] = c;
        rx_head = next;
    }
}

int16_t uart_getc(void) {
    if (rx_head == rx_tail) return -1;
    uint8_t c = rx_buf[rx_tail];
    rx_tail = (uint8_t)((rx_tail + 1u) % RX_SIZE);
    return c;
}
#endif
