"""Raspberry Pi Pico 2 (RP2350, ARM cores): the Pico's wiring, SSD1306 on I2C0 (GP4/GP5), button on GP15.

Installed on the board as pdboard.py. Wiring: docs/wiring.md. The RP2350's Cortex-M33 runs the
Pico's armv6m natmod: MicroPython's loader takes any ARM .mpy from armv6m up to its own
architecture (py/persistentcode.h, MPY_FEATURE_ARCH_TEST). Its RISC-V mode is another port.
"""

NAME = "pico2"
PORT = "rp2"  # sys.platform
MACHINE = "Raspberry Pi Pico2 with RP2350"  # os.uname().machine (boards/RPI_PICO2: "... with RP2350")
FIRMWARE = "RPI_PICO2"  # micropython.org/download/RPI_PICO2: the ARM .uf2, copied to the RP2350 drive
FLASH_FS_BYTES = 3_145_728  # 3 MiB: 4 MB flash less the firmware's 1 MB (MICROPY_HW_FLASH_STORAGE_BYTES)
FREQ = 150_000_000  # the RP2350's default clk_sys
NATMOD_ARCH = "armv6m"  # Cortex-M33 runs Cortex-M0+ code
SCRATCH_BUDGET = 32768  # the natmod's full plan (16,384 B) fits, as on the Pico
CORES = 2  # _thread on core 1, as on the Pico (pdcores)
# The heap deploy checks a model against: at least the Pico's (the RP2350 has 520 KB of SRAM to
# the RP2040's 264 KB; its port's exact heap is not measured here), with the app's need the Pico's
HEAP_BYTES = 233_472  # 228 KiB, the Pico's
NATMOD_IN_HEAP = True  # the rp2 port keeps native code in the heap, as on the Pico
APP_HEAP = 104_448  # 102 KiB

I2C_ID = 0
I2C_SDA = 4  # GP4, physical pin 6 (the Pico 2 keeps the Pico's pinout)
I2C_SCL = 5  # GP5, physical pin 7
I2C_FREQ = 400000
DISPLAY_DMA = True
I2C_BLOCKS = (0x40090000, 0x40098000)  # I2C0/I2C1 registers (pico-sdk rp2350 hardware/regs/addressmap.h)
DREQ_I2C_TX = (44, 46)  # DREQ_I2C0_TX, DREQ_I2C1_TX (pico-sdk rp2350 hardware/regs/dreq.h)

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64
DISPLAY_ADDRS = (0x3C, 0x3D)

BUTTON_PIN = 15  # GP15, physical pin 20; the other leg to GND (pin 18)
BUTTON_PULL = "up"
BUTTON_ACTIVE = 0
BUTTON_IRQ_HARD = True

ENTROPY = "os.urandom (RP2350 TRNG, via pico_rand)"

# The simulated board, as the rp2 port's C source behaves on the RP2350 (the RP2040's I2C, SPI and
# pin functions on GPIO 0-29; the RP2350's pads also come out of reset pulled down)
SIM = {
    "unique_id": "9a3c2f1e77d05b41",
    "i2c_errno": 5, "i2c_ids": [0, 1], "i2c_pins": "rp2",
    "i2c_default": {"0": [5, 4], "1": [7, 6]}, "spi_default": {"0": [18, 19, 16], "1": [10, 11, 8]},
    "timer_ids": [-1], "pin_prefix": "GP", "reset_pull": "down",
}


def build():
    if DISPLAY_DMA:
        import pdi2c_dma

        return pdi2c_dma.Board(globals())
    import pdboard_micropython

    return pdboard_micropython.Board(globals())
