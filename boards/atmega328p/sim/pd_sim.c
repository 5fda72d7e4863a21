/* pd_sim: runs the pipdream firmware in simavr, cycle by cycle, like a bench.
 *
 *   build/pd_sim --elf build/pipdream.elf --rolls 3 --out build/sim
 *   build/pd_sim --elf build/pipdream-hook.elf --force 3,-42 --force 6,0 --out DIR
 *   build/pd_sim --elf build/pipdream-hook.elf --force 3,-42 --dump --out DIR   (+ image rows)
 *   build/pd_sim --elf build/pipdream-hook.elf --force 3,-42 --tumble --out DIR (+ the tumble)
 *   build/pd_sim --elf build/pipdream-hook.elf --force 3,-42 --faces 100 --out DIR (then 100 faces)
 *
 * It loads the ELF on an ATmega328p at 16 MHz, presses and releases the button
 * on PD2 (with contact bounce), answers as an SSD1306 at 0x3C on the TWI (our
 * own slave: it ACKs and records every transaction; --no-display makes it
 * silent, so the firmware sees NACKs), timestamps the busy LED on PB5, jitters
 * the watchdog period (--wdt-seed) and captures the UART. A roll is complete
 * when the firmware prints its "roll ..." line. Files written to --out:
 *
 *   uart.log    the UART bytes
 *   i2c.txt     one transaction per line: "<cycle> <addr7 hex> <ack 0|1> <hex bytes>"
 *   events.txt  "<name> <cycle> [value]": press, release, led_on, led_off, command, frame, roll,
 *               stack_max (deepest stack, bytes below RAMEND), end (rolls, reason)
 *
 * Exit status: 0 when every roll completed, 1 on timeout or a firmware crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "avr_ioport.h"
#include "avr_twi.h"
#include "avr_uart.h"
#include "avr_watchdog.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_irq.h"
#include "sim_time.h"

#define MAX_FORCED 256
#define LINE_MAX_LEN 256

typedef struct {
    /* options */
    const char *elf;
    const char *out;
    int rolls;
    int display;             /* 1: answer at disp_addr */
    uint8_t disp_addr;       /* 7-bit */
    uint32_t wdt_seed;       /* 0: exact nominal watchdog period */
    uint32_t bounce_seed;
    double hold_ms, gap_ms;  /* button held, pause between rolls */
    double max_seconds;      /* simulated-time limit */
    int n_forced;
    int forced_face[MAX_FORCED], forced_angle[MAX_FORCED];
    int dump;                /* --dump: send "D" (print the image rows) instead of "G" */
    int tumble;              /* --tumble: send "T" (the tumble first, rows printed) */
    int faces;               /* --faces N: send "F N" (the RNG's face stream) after the forced rolls */
    const char *send;        /* --send TEXT: one raw UART line after "ready" (then press as usual) */
    int verbose;
    const char *profile;     /* file for a cycles-per-PC histogram, or NULL */

    /* state */
    avr_t *avr;
    FILE *uart_f, *i2c_f, *ev_f;
    char line[LINE_MAX_LEN];
    int line_len;
    int ready, rolls_done, next_forced, sent;
    avr_cycle_count_t asleep; /* cycles the core spent sleeping (after "ready") */
    int pressed;
    uint16_t sp_min, sp_boot, sp_run; /* deepest SP overall, before "ready", after it */
    /* TWI transaction in progress */
    int tx_open, tx_selected;
    uint8_t tx_addr;
    avr_cycle_count_t tx_cycle;
    uint8_t tx_buf[4096];
    int tx_len;
    /* watchdog */
    avr_watchdog_t *wdt;
    avr_cycle_count_t wdt_nominal;
    uint32_t wdt_rng, bounce_rng;
    avr_irq_t *button_irq, *twi_in_irq, *uart_in_irq;
} sim_t;

static sim_t S;

static uint32_t xorshift(uint32_t *s) {
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static avr_cycle_count_t ms_to_cycles(double ms) {
    return (avr_cycle_count_t)(ms * (double)S.avr->frequency / 1000.0);
}

static void event(const char *name, long value) {
    fprintf(S.ev_f, "%s %llu %ld\n", name, (unsigned long long)S.avr->cycle, value);
}

/* ---- UART ------------------------------------------------------------------ */

static void schedule_next(void);

static void on_line(const char *line) {
    if (S.verbose) fprintf(stderr, "uart: %s\n", line);
    if (strcmp(line, "ready") == 0) {
        S.ready = 1;
        S.sp_boot = S.sp_min;
        event("ready", 0);
        schedule_next();
    } else if (strcmp(line, "faces end") == 0) {
        event("faces", 0);
        S.rolls_done++; /* a face stream counts as a roll for --rolls */
        schedule_next();
    } else if (strncmp(line, "frame ", 6) == 0) {
        event("frame", atol(line + 6));
    } else if (strncmp(line, "roll ", 5) == 0) {
        S.rolls_done++;
        event("roll", S.rolls_done);
        schedule_next();
    }
}

static void uart_out_hook(struct avr_irq_t *irq, uint32_t value, void *param) {
    uint8_t c = (uint8_t)value;
    fputc(c, S.uart_f);
    if (c == '\n') {
        S.line[S.line_len] = 0;
        on_line(S.line);
        S.line_len = 0;
    } else if (c != '\r' && S.line_len < LINE_MAX_LEN - 1) {
        S.line[S.line_len++] = (char)c;
    }
}

static void uart_send(const char *s) {
    for (; *s; s++) avr_raise_irq(S.uart_in_irq, (uint8_t)*s);
}

/* ---- TWI slave (SSD1306 stand-in) ------------------------------------------ */

static void tx_flush(void) {
    if (!S.tx_open) return;
    fprintf(S.i2c_f, "%llu %02x %d ", (unsigned long long)S.tx_cycle, S.tx_addr >> 1, S.tx_selected);
    for (int i = 0; i < S.tx_len; i++) fprintf(S.i2c_f, "%02x", S.tx_buf[i]);
    fputc('\n', S.i2c_f);
    S.tx_open = 0;
    S.tx_len = 0;
}

static void twi_hook(struct avr_irq_t *irq, uint32_t value, void *param) {
    avr_twi_msg_irq_t v;
    v.u.v = value;
    if (v.u.twi.msg & TWI_COND_STOP) tx_flush();
    if (v.u.twi.msg & TWI_COND_START) {
        tx_flush();
        S.tx_open = 1;
        S.tx_addr = v.u.twi.addr;
        S.tx_cycle = S.avr->cycle;
        S.tx_selected = S.display && (v.u.twi.addr >> 1) == S.disp_addr && !(v.u.twi.addr & 1);
        if (S.tx_selected) avr_raise_irq(S.twi_in_irq, avr_twi_irq_msg(TWI_COND_ACK, v.u.twi.addr, 1));
    }
    if ((v.u.twi.msg & TWI_COND_WRITE) && S.tx_open && S.tx_selected) {
        avr_raise_irq(S.twi_in_irq, avr_twi_irq_msg(TWI_COND_ACK, S.tx_addr, 1));
        if (S.tx_len < (int)sizeof S.tx_buf) S.tx_buf[S.tx_len++] = v.u.twi.data;
    }
}

/* ---- button on PD2 (low = pressed) ----------------------------------------- */

static void set_button(int down) {
    avr_raise_irq(S.button_irq, down ? 0 : 1);
}

/* A contact edge: `edges` short flips before the final level (bounce). */
typedef struct {
    int level_down, flips_left;
} bounce_t;
static bounce_t bounce;

static avr_cycle_count_t bounce_timer(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    if (bounce.flips_left > 0) {
        /* flip to the opposite of the final level for 50..400 us, then back */
        int odd = bounce.flips_left & 1;
        set_button(odd ? !bounce.level_down : bounce.level_down);
        bounce.flips_left--;
        return when + ms_to_cycles(0.05 + (xorshift(&S.bounce_rng) % 350) / 1000.0);
    }
    set_button(bounce.level_down);
    return 0;
}

static void contact(int down) {
    bounce.level_down = down;
    bounce.flips_left = 2 * (int)(2 + xorshift(&S.bounce_rng) % 4); /* 4..10 flips */
    S.pressed = down;
    event(down ? "press" : "release", 0);
    set_button(down);
    avr_cycle_timer_register(S.avr, ms_to_cycles(0.1), bounce_timer, NULL);
}

static avr_cycle_count_t release_timer(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    contact(0);
    return 0;
}

static avr_cycle_count_t press_timer(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    contact(1);
    avr_cycle_timer_register(S.avr, ms_to_cycles(S.hold_ms), release_timer, NULL);
    return 0;
}

static avr_cycle_count_t command_timer(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    char cmd[32];
    if (S.faces && S.next_forced >= S.n_forced) {
        snprintf(cmd, sizeof cmd, "F %d\n", S.faces);
        S.next_forced++;
        uart_send(cmd);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "%c %d %d\n", S.tumble ? 'T' : S.dump ? 'D' : 'G', S.forced_face[S.next_forced],
             S.forced_angle[S.next_forced]);
    S.next_forced++;
    event("command", S.next_forced);
    uart_send(cmd);
    return 0;
}

/* After "ready" and after each roll: the next press (or forced command). */
static avr_cycle_count_t send_timer(struct avr_t *avr, avr_cycle_count_t when, void *param) {
    event("send", 0);
    uart_send(S.send);
    uart_send("\n");
    return 0;
}

static void schedule_next(void) {
    if (S.send && S.rolls_done == 0 && !S.sent) {
        S.sent = 1;
        avr_cycle_timer_register(S.avr, ms_to_cycles(1.0), send_timer, NULL);
    }
    if (S.rolls_done >= S.rolls) return;
    if (S.next_forced < S.n_forced || (S.faces && S.next_forced < S.n_forced + 1)) {
        avr_cycle_timer_register(S.avr, ms_to_cycles(1.0), command_timer, NULL);
    } else {
        avr_cycle_timer_register(S.avr, ms_to_cycles(S.gap_ms), press_timer, NULL);
    }
}

/* ---- busy LED on PB5: times the inference ---------------------------------- */

static void led_hook(struct avr_irq_t *irq, uint32_t value, void *param) {
    event(value ? "led_on" : "led_off", 0);
}

/* ---- watchdog jitter --------------------------------------------------------- */

/* The 128 kHz RC oscillator: a per-boot offset of up to +-2% (from --wdt-seed) and
 * +-0.4% (about 1000 CPU cycles) of period-to-period jitter. 0: nominal. */
static avr_cycle_count_t wdt_period(void) {
    if (!S.wdt_seed) return S.wdt_nominal;
    uint32_t r = xorshift(&S.wdt_rng);
    double skew = ((double)(S.wdt_seed % 4001u) - 2000.0) / 100000.0;
    double jitter = ((double)(r % 8001u) - 4000.0) / 1000000.0;
    return (avr_cycle_count_t)((double)S.wdt_nominal * (1.0 + skew + jitter));
}

/* simavr arms the watchdog timer with its nominal period whenever WDTCSR is
 * written (and re-arms it with cycle_count after each interrupt). This hook runs
 * after simavr's own WDTCSR handler and re-arms the pending timer with a
 * jittered period; wdt_raised sets the period used by the automatic re-arm. */
static void wdt_write_hook(avr_t *avr, avr_io_addr_t addr, uint8_t v, void *param) {
    if (!S.wdt) return;
    uint8_t r = avr->data[addr];
    uint8_t wdp = (uint8_t)((r & 7u) | ((r >> 2) & 8u)); /* WDP2..0 are bits 2..0, WDP3 is bit 5 */
    S.wdt_nominal = ((avr_cycle_count_t)2048 << wdp) * avr->frequency / 128000; /* as simavr */
    for (avr_cycle_timer_slot_p t = avr->cycle_timers.timer; t; t = t->next) {
        /* the watchdog's timer (its WDCE-clear timer, same param, is 4 cycles away) */
        if (t->param == S.wdt && t->when > avr->cycle + 1000) {
            avr_cycle_timer_t fn = t->timer;
            avr_cycle_timer_register(avr, wdt_period(), fn, S.wdt);
            break;
        }
    }
}

static void wdt_raised(struct avr_irq_t *irq, uint32_t value, void *param) {
    if (value && S.wdt && S.wdt_nominal) S.wdt->cycle_count = wdt_period();
}

static avr_watchdog_t *find_watchdog(avr_t *avr) {
    for (avr_io_t *io = avr->io_port; io; io = io->next) {
        if (io->kind && strcmp(io->kind, "watchdog") == 0) return (avr_watchdog_t *)io;
    }
    return NULL;
}

/* ---- main ----------------------------------------------------------------------- */

/* Is opcode `op` "out A, rN" with I/O address A? */
static int is_out(uint16_t op, uint8_t a) {
    return (op & 0xF800) == 0xB800 && (((op >> 5) & 0x30) | (op & 0x0F)) == a;
}

static void no_sleep(avr_t *avr, avr_cycle_count_t how_long) { /* simulate, never wait */ }

static void usage(void) {
    fprintf(stderr,
            "usage: pd_sim --elf FILE [--out DIR] [--rolls N] [--force FACE,ANGLE]... [--tumble] [--no-display]\n"
            "              [--display-addr 0x3C] [--wdt-seed S] [--bounce-seed S] [--hold-ms MS]\n"
            "              [--gap-ms MS] [--max-seconds S] [--dump] [--faces N] [--send LINE]\n"
            "              [--profile FILE] [--verbose]\n"
            "--rolls 0 stops at the firmware's \"ready\" line (a boot only)\n");
    exit(2);
}

static FILE *open_out(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", S.out, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "pd_sim: cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

int main(int argc, char **argv) {
    S.out = ".";
    S.rolls = -1;
    S.display = 1;
    S.disp_addr = 0x3C;
    S.wdt_seed = 1;
    S.bounce_seed = 1;
    S.hold_ms = 80;
    S.gap_ms = 30;
    S.max_seconds = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--elf") && v) S.elf = argv[++i];
        else if (!strcmp(a, "--out") && v) S.out = argv[++i];
        else if (!strcmp(a, "--rolls") && v) S.rolls = atoi(argv[++i]);
        else if (!strcmp(a, "--no-display")) S.display = 0;
        else if (!strcmp(a, "--display-addr") && v) S.disp_addr = (uint8_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(a, "--wdt-seed") && v) S.wdt_seed = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(a, "--bounce-seed") && v) S.bounce_seed = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(a, "--hold-ms") && v) S.hold_ms = atof(argv[++i]);
        else if (!strcmp(a, "--gap-ms") && v) S.gap_ms = atof(argv[++i]);
        else if (!strcmp(a, "--max-seconds") && v) S.max_seconds = atof(argv[++i]);
        else if (!strcmp(a, "--verbose")) S.verbose++;
        else if (!strcmp(a, "--dump")) S.dump = 1;
        else if (!strcmp(a, "--tumble")) S.tumble = 1;
        else if (!strcmp(a, "--faces") && v) S.faces = atoi(argv[++i]);
        else if (!strcmp(a, "--send") && v) S.send = argv[++i];
        else if (!strcmp(a, "--profile") && v) S.profile = argv[++i];
        else if (!strcmp(a, "--force") && v) {
            if (S.n_forced >= MAX_FORCED ||
                sscanf(argv[++i], "%d,%d", &S.forced_face[S.n_forced], &S.forced_angle[S.n_forced]) != 2)
                usage();
            S.n_forced++;
        } else usage();
    }
    if (!S.elf) usage();
    if (S.rolls < 0) S.rolls = S.n_forced ? S.n_forced : 1;
    if (S.faces <= 0) S.faces = 0;
    S.wdt_rng = S.wdt_seed * 2654435761u + 1;
    S.bounce_rng = S.bounce_seed * 2246822519u + 7;

    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(S.elf, &fw) != 0) {
        fprintf(stderr, "pd_sim: cannot read %s\n", S.elf);
        return 2;
    }
    avr_t *avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) {
        fprintf(stderr, "pd_sim: simavr has no atmega328p\n");
        return 2;
    }
    S.avr = avr;
    avr_init(avr);
    avr->log = S.verbose > 1 ? LOG_TRACE : S.verbose ? LOG_WARNING : LOG_ERROR;
    fw.frequency = 16000000;
    avr_load_firmware(avr, &fw);
    avr->frequency = 16000000;
    avr->sleep = no_sleep;

    mkdir(S.out, 0777); /* one level; an existing directory is fine */
    S.uart_f = open_out("uart.log");
    S.i2c_f = open_out("i2c.txt");
    S.ev_f = open_out("events.txt");

    /* UART: bytes to us, no console echo, no real-time throttling. */
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            uart_out_hook, NULL);
    S.uart_in_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);

    /* TWI: our slave listens to the master's output and answers on its input. */
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT), twi_hook, NULL);
    S.twi_in_irq = avr_io_getirq(avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_INPUT);

    /* Button released: the pull-up holds PD2 high. */
    S.button_irq = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2);
    set_button(0);

    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 5), led_hook, NULL);

    S.wdt = find_watchdog(avr);
    if (S.wdt) {
        avr_irq_register_notify(&S.wdt->watchdog.irq[AVR_INT_IRQ_PENDING], wdt_raised, NULL);
        avr_register_io_write(avr, S.wdt->wdce.reg, wdt_write_hook, NULL);
    }

    avr_cycle_count_t limit = (avr_cycle_count_t)(S.max_seconds * 16e6);
    /* --profile: cycles spent at each flash word while the busy LED is on */
    uint64_t *hist = S.profile ? calloc(avr->flashend / 2 + 1, sizeof *hist) : NULL;
    S.sp_min = S.sp_run = 0xFFFF;
    avr_flashaddr_t sp_min_pc = 0, sp_run_pc = 0;
    static uint8_t stack_dump[2048];
    const char *reason = "rolls";
    int status = 0;
    for (;;) {
        avr_flashaddr_t pc = avr->pc;
        avr_cycle_count_t c0 = avr->cycle;
        int st = avr_run(avr);
        if (S.ready && avr->state == cpu_Sleeping) S.asleep += avr->cycle - c0;
        if (hist && (avr->data[0x25] & 0x20) && pc / 2 <= avr->flashend / 2) hist[pc / 2] += avr->cycle - c0;
        uint16_t sp = (uint16_t)(avr->data[0x5D] | (avr->data[0x5E] << 8)); /* SPL, SPH */
        /* A frame set-up writes SPH, (restores SREG,) then SPL: skip the half-written
         * value in between (just ran "out 0x3e, rN", or "out 0x3d, rN" comes next). */
        uint16_t op = (uint16_t)(avr->flash[pc] | (avr->flash[pc + 1] << 8));
        uint16_t next = (uint16_t)(avr->flash[avr->pc] | (avr->flash[avr->pc + 1] << 8));
        if (is_out(op, 0x3E) || is_out(next, 0x3D)) sp = 0xFFFF;
        if (S.ready && sp < S.sp_run) {
            S.sp_run = sp;
            sp_run_pc = avr->pc;
            if (hist) memcpy(stack_dump, avr->data + sp + 1, avr->ramend - sp); /* for --profile */
        }
        if (sp < S.sp_min) {
            S.sp_min = sp;
            sp_min_pc = avr->pc;
        }
        if (S.rolls_done >= S.rolls && (S.ready || S.rolls > 0)) break;
        if (st == cpu_Done) {
            reason = "halted";
            status = 1;
            break;
        }
        if (st == cpu_Crashed) {
            reason = "crashed";
            status = 1;
            break;
        }
        if (avr->cycle > limit) {
            reason = "timeout";
            status = 1;
            break;
        }
    }
    if (hist) {
        FILE *f = fopen(S.profile, "w");
        if (f) {
            fprintf(f, "# sp_min %04x at %x\n# sp_rolls %04x at %x\n", S.sp_min, sp_min_pc, S.sp_run, sp_run_pc);
            fprintf(f, "#stack ");
            for (unsigned i = 0; S.sp_run != 0xFFFF && i < (unsigned)(avr->ramend - S.sp_run); i++)
                fprintf(f, "%02x", stack_dump[i]);
            fprintf(f, "\n");
        }
        for (uint32_t w = 0; f && w <= avr->flashend / 2; w++)
            if (hist[w]) fprintf(f, "%x %llu\n", w * 2, (unsigned long long)hist[w]);
        if (f) fclose(f);
        free(hist);
    }
    tx_flush();
    if (S.line_len) { /* a last partial line */
        S.line[S.line_len] = 0;
        if (S.verbose) fprintf(stderr, "uart: %s\n", S.line);
    }
    /* The deepest stack point seen, as bytes below RAMEND (push stores at SP, then decrements). */
    fprintf(S.ev_f, "stack_max %llu %u\n", (unsigned long long)avr->cycle, (unsigned)(avr->ramend - S.sp_min));
    if (S.sp_boot) fprintf(S.ev_f, "stack_boot 0 %u\n", (unsigned)(avr->ramend - S.sp_boot));
    if (S.sp_run != 0xFFFF) fprintf(S.ev_f, "stack_rolls 0 %u\n", (unsigned)(avr->ramend - S.sp_run));
    fprintf(S.ev_f, "asleep %llu %llu\n", (unsigned long long)avr->cycle, (unsigned long long)S.asleep);
    fprintf(S.ev_f, "end %llu %d %s\n", (unsigned long long)avr->cycle, S.rolls_done, reason);
    fclose(S.uart_f);
    fclose(S.i2c_f);
    fclose(S.ev_f);
    if (status) fprintf(stderr, "pd_sim: %s after %d of %d rolls at cycle %llu\n", reason, S.rolls_done,
                        S.rolls, (unsigned long long)avr->cycle);
    return status;
}
