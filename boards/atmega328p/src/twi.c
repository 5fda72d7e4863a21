#include "twi.h"

#include <util/twi.h>

#include "board.h"
#include "cycles.h"

#define TWBR_VALUE (((F_CPU / TWI_HZ) - 16u) / 2u) /* 12 at 16 MHz: 400 kHz, prescaler 1 */
/* One byte takes 9 SCL periods = 360 CPU cycles; the poll loop is about 8 cycles per turn. */
#define TWI_POLL_LIMIT 2000u

uint32_t twi_busy_cycles;

void twi_init(void) {
    PORTC |= _BV(PC4) | _BV(PC5); /* weak internal pull-ups; the module has its own 4.7k */
    TWSR = 0;
    TWBR = (uint8_t)TWBR_VALUE;
    TWCR = _BV(TWEN);
}

static uint8_t wait_int(void) {
    uint16_t n = TWI_POLL_LIMIT;
    while (!(TWCR & _BV(TWINT))) {
        if (--n == 0) return 0;
    }
    return 1;
}

twi_status_t twi_start(uint8_t addr7) {
    uint32_t t0 = cycles_now();
    twi_status_t st = TWI_OK;
    TWCR = _BV(TWINT) | _BV(TWSTA) | _BV(TWEN);
    if (!wait_int()) {
        st = TWI_TIMEOUT;
    } else if (TW_STATUS != TW_START && TW_STATUS != TW_REP_START) {
        st = TWI_BUS_ERROR;
    } else {
        TWDR = (uint8_t)(addr7 << 1); /* write */
        TWCR = _BV(TWINT) | _BV(TWEN);
        /* simavr 1.6 reports the address phase with the data-phase codes
         * (0x28/0x30); real parts never do, so accepting both is harmless. */
        if (!wait_int()) st = TWI_TIMEOUT;
        else if (TW_STATUS == TW_MT_SLA_NACK || TW_STATUS == TW_MT_DATA_NACK) st = TWI_NACK_ADDR;
        else if (TW_STATUS != TW_MT_SLA_ACK && TW_STATUS != TW_MT_DATA_ACK) st = TWI_BUS_ERROR;
    }
    twi_busy_cycles += cycles_now() - t0;
    return st;
}

twi_status_t twi_write(uint8_t byte) {
    uint32_t t0 = cycles_now();
    twi_status_t st = TWI_OK;
    TWDR = byte;
    TWCR = _BV(TWINT) | _BV(TWEN);
    if (!wait_int()) st = TWI_TIMEOUT;
    else if (TW_STATUS != TW_MT_DATA_ACK) st = TWI_NACK_DATA;
    twi_busy_cycles += cycles_now() - t0;
    return st;
}

void twi_stop(void) {
    TWCR = _BV(TWINT) | _BV(TWSTO) | _BV(TWEN);
    /* The hardware clears TWSTO once the STOP is on the bus; bounded wait. */
    uint16_t n = TWI_POLL_LIMIT;
    while ((TWCR & _BV(TWSTO)) && --n != 0) {
    }
}
