"""Raspberry Pi Pico / Pico W (RP2040): SSD1306 on I2C0 (GP4/GP5), button on GP15 to GND.

Installed on the board as pdboard.py. Wiring: docs/wiring.md. Everything pipdream knows about
the board is here (boards/README.md says who reads what).
"""

NAME = "pico"
PORT = "rp2"  # sys.platform
# os.uname().machine on MicroPython's build for it (MICROPY_HW_BOARD_NAME " with " the MCU);
# the app takes this module for any board whose machine ends in " with RP2040" (the Pico W too)
MACHINE = "Raspberry Pi Pico with RP2040"
FIRMWARE = "RPI_PICO"  # micropython.org/download/RPI_PICO: a .uf2, copied to the RPI-RP2 drive
FLASH_FS_BYTES = 1_441_792  # 1,408 KiB: the firmware's littlefs (MICROPY_HW_FLASH_STORAGE_BYTES)
FREQ = 125_000_000  # the rp2 port's default clk_sys
NATMOD_ARCH = "armv6m"  # Cortex-M0+
# RAM the model's scratch may take, of a 228 KiB MicroPython heap: the natmod's full plan
# (16,384 B, 38 ms an image) fits, so it runs instead of the streaming one (1,407 B, 53 ms)
SCRATCH_BUDGET = 32768
CORES = 2  # _thread runs on core 1 with no GIL: each image is split between the cores (pdcores)
# The heap deploy checks a model against (blob + its plan's scratch + the app's need + the
# natmod's code must fit): MicroPython's heap on the rp2 port, measured on the v1.23 firmware in
# rp2040js (gc.mem_free() + gc.mem_alloc() at the REPL, less a margin; tests/test_firmware_rp2.py);
# what the app takes beside the model, measured on the simulated Pico: the shipped model (5,404 B
# blob, 1,407 B stream scratch) runs with pictures from about 100 KiB of heap, but not at every
# size below 108 KiB (fragments), so 108 KiB less the model and a margin (tests/test_device_heap.py)
HEAP_BYTES = 233_472  # 228 KiB: 233,600 to 233,616 B measured
NATMOD_IN_HEAP = True  # the rp2 port keeps native code in the heap (pipdream.boards.natmod_heap)
APP_HEAP = 104_448  # 102 KiB

I2C_ID = 0  # hardware I2C0; None would mean SoftI2C on the same pins
I2C_SDA = 4  # GP4, physical pin 6
I2C_SCL = 5  # GP5, physical pin 7
I2C_FREQ = 400000
# the die window goes out by a DMA channel (device/pdi2c_dma.py, MicroPython 1.22+): frame n is on
# the bus while frame n+1 is computed; without rp2.DMA the display is blocking (the console says so)
DISPLAY_DMA = True
I2C_BLOCKS = (0x40044000, 0x40048000)  # I2C0/I2C1 registers (RP2040 datasheet 2.2)
DREQ_I2C_TX = (32, 34)  # their TX DREQs (DREQ_I2C0_TX, DREQ_I2C1_TX; datasheet 2.5.3.1)

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64  # 32 for the 128x32 module
DISPLAY_ADDRS = (0x3C, 0x3D)  # tried in this order

BUTTON_PIN = 15  # GP15, physical pin 20; the other leg to GND (pin 18)
BUTTON_PULL = "up"  # internal pull-up: reads 1 released, 0 pressed
BUTTON_ACTIVE = 0
BUTTON_IRQ_HARD = True

ENTROPY = "os.urandom (RP2040 ring oscillator random bit, via pico_rand)"

# The simulated board (host/pipdream/sim/mpy/simboard.py says what each field means), as the rp2
# port's C source behaves: machine_i2c.c, machine_spi.c, machine_timer.c, machine_pin.c
SIM = {
    "unique_id": "e6614864d3417e2f",
    "i2c_errno": 5,  # rp2 hardware I2C: a NACKed address is EIO (SoftI2C: ENODEV everywhere)
    "i2c_ids": [0, 1],
    "i2c_pins": "rp2",  # SCL odd, SDA even, bus = (pin >> 1) & 1
    "i2c_default": {"0": [5, 4], "1": [7, 6]},
    "spi_default": {"0": [18, 19, 16], "1": [10, 11, 8]},
    "timer_ids": [-1],
    "pin_prefix": "GP",
    "reset_pull": "down",  # RP2040 pads come out of reset with the pull-down enabled
}


def build():
    if DISPLAY_DMA:
        import pdi2c_dma

        return pdi2c_dma.Board(globals())
    import pdboard_micropython

    return pdboard_micropython.Board(globals())
