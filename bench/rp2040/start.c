/* The start of a benchmark image (start.h): bench_header first in the image (sram.ld), the io
 * block and bench_start, the entry point. */
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcpy: libc.c */

#include "model_blob.h" /* pipdream export-c of the blob under test */
#include "start.h"

bench_io_t bench_io;
/* The blob in RAM, word-aligned, as a MicroPython bytes object holds it for the natmod. */
static uint32_t blob[(PD_BENCH_BLOB_SIZE + 3) / 4];

void bench_start(void) __attribute__((noreturn, used));
extern char __stack_top[]; /* sram.ld: the end of SRAM */

__attribute__((section(".bench_header"), used)) const bench_header_t bench_header = {
    BENCH_MAGIC, (uint32_t)(uintptr_t)&bench_start, (uint32_t)(uintptr_t)__stack_top, &bench_io,
};

void bench_start(void)
{
    pd_model_t m;
    int st;
    memcpy(blob, pd_bench_blob, PD_BENCH_BLOB_SIZE);
    st = pd_model_parse(&m, (const uint8_t *)blob, PD_BENCH_BLOB_SIZE);
    bench_event(EV_MODEL, (uint32_t)st, m.n_layers);
    if (st == PD_OK) st = bench_run(&m);
    bench_event(EV_DONE, (uint32_t)st, 0);
    for (;;) {
    }
}
