/* CPU cycle counter: Timer1 at clk/1 plus a software overflow count (wraps after 268 s). */
#ifndef PD_CYCLES_H
#define PD_CYCLES_H

#include <stdint.h>

void cycles_init(void);
uint32_t cycles_now(void);

#endif /* PD_CYCLES_H */
