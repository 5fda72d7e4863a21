"""Raspberry Pi Pico / Pico W (RP2040): SSD1306 on I2C0 (GP4/GP5), button on GP15 to GND.

Installed on the board as pdboard.py. Wiring: docs/wiring.md.
"""

NAME = "pico"
PORT = "rp2"  # sys.platform
NATMOD_ARCH = "armv6m"  # Cortex-M0+
# RAM the model's scratch may take, of a 192 KB MicroPython heap: the natmod's full plan
# (16,384 B, 38 ms an image) fits, so it runs instead of the streaming one (1,407 B, 53 ms)
SCRATCH_BUDGET = 32768
CORES = 2  # _thread runs on core 1 with no GIL: each image is split between the cores (pdcores)
# The heap deploy checks a model against (blob + its plan's scratch + the app's need must fit):
# MicroPython's heap on the rp2 port, and what the app takes beside the model, measured on the
# simulated Pico: the shipped model (5,404 B blob, 1,407 B stream scratch) runs with pictures from
# about 100 KiB of heap, but not at every size below 108 KiB (fragments), so 108 KiB less the model
# and a margin; tests/test_device_heap.py checks both figures
HEAP_BYTES = 196_608  # 192 KiB
APP_HEAP = 104_448  # 102 KiB

I2C_ID = 0  # hardware I2C0; None would mean SoftI2C on the same pins
I2C_SDA = 4  # GP4, physical pin 6
I2C_SCL = 5  # GP5, physical pin 7
I2C_FREQ = 400000
# the die window goes out by a DMA channel (device/pdi2c_dma.py, MicroPython 1.22+): frame n is on
# the bus while frame n+1 is computed; without rp2.DMA the display is blocking (the console says so)
DISPLAY_DMA = True

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64  # 32 for the 128x32 module
DISPLAY_ADDRS = (0x3C, 0x3D)  # tried in this order

BUTTON_PIN = 15  # GP15, physical pin 20; the other leg to GND (pin 18)
BUTTON_PULL = "up"  # internal pull-up: reads 1 released, 0 pressed
BUTTON_ACTIVE = 0
BUTTON_IRQ_HARD = True

ENTROPY = "os.urandom (RP2040 ring oscillator random bit, via pico_rand)"


def build():
    if DISPLAY_DMA:
        import pdi2c_dma

        return pdi2c_dma.Board(globals())
    import pdboard_micropython

    return pdboard_micropython.Board(globals())
