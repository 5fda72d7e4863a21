/* pipdream RP2040 benchmark image: the die window sent by DMA to I2C0 while the next image
 * is computed (the device's device/pdi2c_dma.py, in C), run by overlap.mjs in rp2040js.
 *
 * I2C0 is set up as MicroPython's machine.I2C(0, freq=400000) leaves it (pico-sdk i2c_init and
 * i2c_set_baudrate at clk_sys 125 MHz); a DMA channel reads 16-bit IC_DATA_CMD words (the byte,
 * STOP on each transaction's last) and writes them to IC_DATA_CMD, paced by DREQ_I2C0_TX.
 * For every (face, angle code) pair i of the io block:
 *   "alone"     image i computed with the bus idle (full plan, one core)
 *   "dma setup" IC_TAR checked, the channel programmed and triggered: window i-1 starts
 *   "with dma"  image i computed again while window i-1 goes out
 *   "wait"      the check that window i-1 is done (channel idle, I2C0 idle), then TX_ABRT
 *   "render"    image i drawn as the app draws it (pdview threshold 128, scale 2) into the page
 *               buffer, in C (the device draws in Python: not measured here)
 *   "pack"      window i packed into the words (the device packs with a viper loop)
 * then the last window alone ("transfer, cpu waiting") and by the CPU byte by byte as pico-sdk's
 * i2c_write_blocking does ("blocking send"). Events: bench.h (RUN_*, IMAGE, MICRO_*, INFO). */
#include <stddef.h>
#include <stdint.h>

#include "start.h" /* bench_io, bench_header and bench_start, which calls bench_run */

#define SCRATCH_BYTES 16384u
#define IMAGE_MAX 1024u

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define I2C0 0x40044000u
#define IC_CON 0x00u
#define IC_TAR 0x04u
#define IC_DATA_CMD 0x10u
#define IC_FS_SCL_HCNT 0x1Cu
#define IC_FS_SCL_LCNT 0x20u
#define IC_RAW_INTR_STAT 0x34u
#define IC_RX_TL 0x38u
#define IC_TX_TL 0x3Cu
#define IC_CLR_TX_ABRT 0x54u
#define IC_CLR_STOP_DET 0x60u
#define IC_ENABLE 0x6Cu
#define IC_STATUS 0x70u
#define IC_SDA_HOLD 0x7Cu
#define IC_TX_ABRT_SOURCE 0x80u
#define IC_DMA_CR 0x88u
#define IC_FS_SPKLEN 0xA0u
#define R_TX_EMPTY (1u << 4)
#define R_TX_ABRT (1u << 6)
#define R_STOP_DET (1u << 9)
#define STATUS_ACTIVITY 1u
#define CMD_STOP (1u << 9)
#define IO_BANK0 0x40014000u
#define DMA_CH 0x50000000u /* channel 0 */
#define DMA_READ 0x00u
#define DMA_WRITE 0x04u
#define DMA_COUNT 0x08u
#define DMA_CTRL_TRIG 0x0Cu
#define DMA_BUSY (1u << 24)
#define DREQ_I2C0_TX 32u
/* EN, DATA_SIZE halfword, INCR_READ, CHAIN_TO itself (0), TREQ DREQ_I2C0_TX, IRQ_QUIET */
#define DMA_CTRL (1u | (1u << 2) | (1u << 4) | (DREQ_I2C0_TX << 15) | (1u << 21))

#define CLK_SYS 125000000u
#define I2C_HZ 400000u
#define OLED 0x3Cu
#define WIDTH 128u
#define PAGES 8u
#define WIN_X 32u /* pdview.layout(128, 64): one die at scale 2, x 32, page 0 */
#define WIN_W 64u
#define CMD_BYTES 7u
#define WORDS (CMD_BYTES + 1u + WIN_W * PAGES) /* 520 */

static uint32_t scratch[SCRATCH_BYTES / 4];
static uint8_t image[IMAGE_MAX];
static uint8_t frame[WIDTH * PAGES]; /* the SSD1306 page buffer (MONO_VLSB), as framebuf's */
static uint16_t words[WORDS];        /* what the channel reads */
static uint32_t n_words;

/* machine.I2C(0, scl=Pin(5), sda=Pin(4), freq=400000): pico-sdk i2c_init + i2c_set_baudrate. */
static void i2c_setup(void)
{
    const uint32_t period = (CLK_SYS + I2C_HZ / 2) / I2C_HZ;
    const uint32_t lcnt = period * 3 / 5, hcnt = period - lcnt;
    REG(IO_BANK0 + 8 * 4 + 4) = 3; /* GPIO4_CTRL: FUNCSEL I2C (SDA) */
    REG(IO_BANK0 + 8 * 5 + 4) = 3; /* GPIO5_CTRL: SCL */
    REG(I2C0 + IC_ENABLE) = 0;
    /* FAST speed, MASTER, IC_RESTART_EN, IC_SLAVE_DISABLE, TX_EMPTY_CTRL */
    REG(I2C0 + IC_CON) = (2u << 1) | 1u | (1u << 5) | (1u << 6) | (1u << 8);
    REG(I2C0 + IC_TX_TL) = 0;
    REG(I2C0 + IC_RX_TL) = 0;
    REG(I2C0 + IC_DMA_CR) = 3; /* TDMAE | RDMAE: "always enable the DREQ signalling" */
    REG(I2C0 + IC_FS_SCL_HCNT) = hcnt;
    REG(I2C0 + IC_FS_SCL_LCNT) = lcnt;
    REG(I2C0 + IC_FS_SPKLEN) = lcnt < 16 ? 1 : lcnt / 16;
    REG(I2C0 + IC_SDA_HOLD) = CLK_SYS * 3 / 10000000 + 1;
    REG(I2C0 + IC_ENABLE) = 1;
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"fs_scl_hcnt", hcnt);
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"fs_scl_lcnt", lcnt);
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"fs_spklen", lcnt < 16 ? 1 : lcnt / 16);
}

/* pdview.render_die, threshold 128 at scale 2 (_threshold_12): the 32x32 image as 64x64 pixels. */
static void render(const uint8_t *img)
{
    static const uint8_t dbl[16] = {0x00, 0x03, 0x0C, 0x0F, 0x30, 0x33, 0x3C, 0x3F,
                                    0xC0, 0xC3, 0xCC, 0xCF, 0xF0, 0xF3, 0xFC, 0xFF};
    uint32_t c, p, bit;
    for (c = 0; c < 32; c++) {
        for (p = 0; p < 4; p++) {
            const uint8_t *src = img + (p << 3) * 32 + c;
            uint8_t b = 0, lo, hi;
            uint8_t *o = frame + WIN_X + 2 * p * WIDTH + 2 * c;
            for (bit = 0; bit < 8; bit++)
                if (src[bit * 32] >= 128) b |= (uint8_t)(1u << bit);
            lo = dbl[b & 15];
            hi = dbl[b >> 4];
            o[0] = o[1] = lo;
            o[WIDTH] = o[WIDTH + 1] = hi;
        }
    }
}

/* ssd1306 Window(32, 0, 64, 64): its commands, then 0x40 and the 8 page slices; STOP on each last. */
static void pack(void)
{
    static const uint8_t cmd[CMD_BYTES] = {0x00, 0x21, WIN_X, WIN_X + WIN_W - 1, 0x22, 0, PAGES - 1};
    uint32_t n = 0, p, x;
    for (x = 0; x < CMD_BYTES; x++) words[n++] = cmd[x];
    words[n - 1] |= CMD_STOP;
    words[n++] = 0x40;
    for (p = 0; p < PAGES; p++) {
        const uint8_t *row = frame + p * WIDTH + WIN_X;
        for (x = 0; x < WIN_W; x++) words[n++] = row[x];
    }
    words[n - 1] |= CMD_STOP;
    n_words = n;
}

/* pdi2c_dma.DmaI2C.show after its wait: IC_TAR (written only while disabled), then the channel. */
static void dma_start(void)
{
    if (REG(I2C0 + IC_TAR) != OLED) {
        REG(I2C0 + IC_ENABLE) = 0;
        REG(I2C0 + IC_TAR) = OLED;
        REG(I2C0 + IC_ENABLE) = 1;
    }
    REG(DMA_CH + DMA_READ) = (uint32_t)(uintptr_t)words;
    REG(DMA_CH + DMA_WRITE) = I2C0 + IC_DATA_CMD;
    REG(DMA_CH + DMA_COUNT) = n_words;
    REG(DMA_CH + DMA_CTRL_TRIG) = DMA_CTRL;
}

/* pdi2c_dma.DmaI2C.wait: the channel idle and the bus idle, STOP_DET cleared; 1 if the address
 * was NACKed (TX_ABRT, cleared with IC_TX_ABRT_SOURCE). */
static uint32_t dma_wait(void)
{
    while ((REG(DMA_CH + DMA_CTRL_TRIG) & DMA_BUSY) || (REG(I2C0 + IC_STATUS) & STATUS_ACTIVITY)) {
    }
    (void)REG(I2C0 + IC_CLR_STOP_DET); /* as pico-sdk leaves it: its blocking write waits for STOP_DET */
    if (REG(I2C0 + IC_RAW_INTR_STAT) & R_TX_ABRT) {
        (void)REG(I2C0 + IC_CLR_TX_ABRT);
        return 1;
    }
    return 0;
}

/* pico-sdk 2.x i2c_write_blocking_internal (TX_EMPTY_CTRL): one byte at a time by the CPU. */
static int blocking_write(uint8_t addr, const uint16_t *w, uint32_t n)
{
    uint32_t k;
    REG(I2C0 + IC_ENABLE) = 0;
    REG(I2C0 + IC_TAR) = addr;
    REG(I2C0 + IC_ENABLE) = 1;
    for (k = 0; k < n; k++) {
        REG(I2C0 + IC_DATA_CMD) = w[k];
        while (!(REG(I2C0 + IC_RAW_INTR_STAT) & R_TX_EMPTY)) {
        }
        if (REG(I2C0 + IC_TX_ABRT_SOURCE)) {
            (void)REG(I2C0 + IC_CLR_TX_ABRT);
            return -1;
        }
        if (w[k] & CMD_STOP) {
            while (!(REG(I2C0 + IC_RAW_INTR_STAT) & R_STOP_DET)) {
            }
            (void)REG(I2C0 + IC_CLR_STOP_DET);
        }
    }
    return 0;
}

static int run_pairs(const pd_model_t *m)
{
    const uint32_t n_img = (uint32_t)m->out_h * m->out_w;
    pd_plan_t pf;
    uint32_t i, aborts = 0;
    int st;
    pd_plan(m, PD_PLAN_FULL, &pf);
    if (n_img != 32u * 32u || pf.scratch_bytes > SCRATCH_BYTES) return -1;
    if (bench_io.n_pairs > BENCH_MAX_PAIRS || bench_io.n_pairs < 2) return -3;
    for (i = 0; i < bench_io.n_pairs; i++) {
        st = bench_full_run(m, "alone", i, (uint8_t *)scratch, pf.scratch_bytes, image, n_img);
        if (st != PD_OK) return st;
        if (i > 0) { /* window i-1 goes out while image i is computed again */
            bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"dma setup", i - 1);
            dma_start();
            bench_event(EV_MICRO_END, 0, 0);
            (void)bench_full_run(m, "with dma", i, (uint8_t *)scratch, pf.scratch_bytes, image, n_img);
            bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"wait", i - 1);
            aborts += dma_wait();
            bench_event(EV_MICRO_END, 0, 0);
        }
        bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"render", i);
        render(image);
        bench_event(EV_MICRO_END, 0, 0);
        bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"pack", i);
        pack();
        bench_event(EV_MICRO_END, 0, 0);
    }
    /* the last window: by DMA with the CPU only waiting, then by the CPU */
    bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"transfer, cpu waiting", i - 1);
    dma_start();
    aborts += dma_wait();
    bench_event(EV_MICRO_END, 0, 0);
    bench_event(EV_MICRO_BEGIN, (uint32_t)(uintptr_t)"blocking send", i - 1);
    st = blocking_write(OLED, words, CMD_BYTES) | blocking_write(OLED, words + CMD_BYTES, n_words - CMD_BYTES);
    bench_event(EV_MICRO_END, 0, 0);
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"aborts", aborts);
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"blocking status", (uint32_t)st);
    bench_event(EV_INFO, (uint32_t)(uintptr_t)"words", n_words);
    return 0;
}

int bench_run(const pd_model_t *m)
{
    i2c_setup();
    return run_pairs(m);
}
