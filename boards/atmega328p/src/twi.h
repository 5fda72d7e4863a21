/* Hardware TWI master at 400 kHz. Every wait has a timeout, so a missing or stuck
 * display costs a few hundred microseconds, never a hang. */
#ifndef PD_TWI_H
#define PD_TWI_H

#include <stdint.h>

typedef enum {
    TWI_OK = 0,
    TWI_NACK_ADDR,  /* nobody answered the address */
    TWI_NACK_DATA,  /* the slave refused a byte */
    TWI_TIMEOUT,    /* TWINT never came (bus stuck) */
    TWI_BUS_ERROR,  /* any other status */
} twi_status_t;

void twi_init(void);
twi_status_t twi_start(uint8_t addr7); /* START + SLA+W */
twi_status_t twi_write(uint8_t byte);
void twi_stop(void);

/* Cycles spent inside the TWI functions since boot (the I2C time of a frame). */
extern uint32_t twi_busy_cycles;

#endif /* PD_TWI_H */
