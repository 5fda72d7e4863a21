/* The benchmark image's side of the protocol with run.mjs.
 *
 * The runner copies the image to 0x20000000, fills the io block (bench_io_t,
 * its address in bench_header) with the (face, angle code) pairs, and steps the
 * core from bench_header.entry. The image reports through `bkpt #0` with an
 * event code in r0 and two arguments in r1, r2 (bench_event): the runner reads
 * core.cycles at each one, so a BEGIN/END pair brackets exactly the code
 * between them (the bkpt and three register moves are all that is added). */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#define BENCH_MAGIC 0x48435042u /* "BPCH" */
#define BENCH_MAX_PAIRS 64

enum {
    EV_DONE = 1,          /* r1 status (0: ok) */
    EV_MODEL = 2,         /* r1 parse status, r2 number of layers */
    EV_LAYER_MACS = 3,    /* r1 plan << 8 | layer, r2 MACs of that layer in that plan */
    EV_RUN_BEGIN = 4,     /* r1 plan name (C string), r2 pair index */
    EV_RUN_END = 5,       /* r1 status */
    EV_IMAGE = 6,         /* r1 address, r2 length: the image of the run just ended */
    EV_KERNEL_BEGIN = 7,  /* r1 layer index (harness-only layer build) */
    EV_KERNEL_END = 8,
    EV_MICRO_BEGIN = 9,   /* r1 name (C string), r2 count (MACs or outputs) */
    EV_MICRO_END = 10,
    EV_PLAN = 11,         /* r1 plan name, r2 scratch bytes */
    EV_INFO = 12,         /* r1 key (C string), r2 value */
    EV_PART_BEGIN = 13,   /* r1 layer << 8 | part (layer 0xFF: pd_full_begin) of a split run */
    EV_PART_END = 14
};

typedef struct {
    uint32_t n_pairs;                   /* in: pairs to run, at most BENCH_MAX_PAIRS */
    int32_t face[BENCH_MAX_PAIRS];      /* in: 1..n_faces */
    int32_t angle[BENCH_MAX_PAIRS];     /* in: angle code -127..127 */
    uint32_t micro;                     /* in: nonzero runs the micro-benchmarks */
} bench_io_t;

typedef struct {
    uint32_t magic;      /* BENCH_MAGIC */
    uint32_t entry;      /* address of bench_start (thumb bit set) */
    uint32_t stack_top;  /* initial SP */
    bench_io_t *io;      /* the io block */
} bench_header_t;

static inline void bench_event(uint32_t code, uint32_t a, uint32_t b)
{
    register uint32_t r0 __asm__("r0") = code;
    register uint32_t r1 __asm__("r1") = a;
    register uint32_t r2 __asm__("r2") = b;
    __asm__ volatile("bkpt #0" : : "r"(r0), "r"(r1), "r"(r2) : "memory");
}

#endif /* BENCH_H */
