"""ESP32-C3 (DevKitM-1, SuperMini and similar): SSD1306 on I2C0 (GPIO4/5), button on GPIO7 to GND.

Installed on the board as pdboard.py. Wiring: docs/wiring.md.
"""

NAME = "esp32c3"
PORT = "esp32"
MACHINE = "ESP32C3 module with ESP32C3"  # os.uname().machine on ESP32_GENERIC_C3
FIRMWARE = "ESP32_GENERIC_C3"  # micropython.org/download/ESP32_GENERIC_C3
FLASH_CHIP = "esp32c3"  # esptool's --chip
FLASH_OFFSET = 0x0  # its ROM bootloader sits elsewhere
FLASH_FS_BYTES = 2_097_152  # 2 MiB
FREQ = 160_000_000
NATMOD_ARCH = "rv32imc"  # RISC-V
SCRATCH_BUDGET = 32768  # of a ~150 KB heap: the natmod's full plan (16 KB) fits
# heap on the esp32 port and the app's need beside the model, measured on the simulated board
# (as for board_esp32.py: 92 KB less the shipped blob and stream scratch; tests/test_device_heap.py)
HEAP_BYTES = 153_600  # 150 KiB
APP_HEAP = 84_992  # 83 KiB

I2C_ID = 0
I2C_SDA = 4  # avoids the strapping pins 2, 8, 9 and the USB pins 18, 19
I2C_SCL = 5
I2C_FREQ = 400000

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64
DISPLAY_ADDRS = (0x3C, 0x3D)

BUTTON_PIN = 7
BUTTON_PULL = "up"
BUTTON_ACTIVE = 0
BUTTON_IRQ_HARD = False  # esp32's Pin.irq has no hard=: its IRQs are scheduled (machine_pin.c)

ENTROPY = "os.urandom (ESP32-C3 hardware RNG, radio on)"
ENTROPY_RADIO = True  # as on the ESP32: the RNG is only truly random with the radio running

# The simulated board, as the esp32 port's C source behaves on the C3 (one I2C, SPI2 only as 1)
SIM = {
    "unique_id": "58cf79a1b2c4",
    "i2c_errno": 19, "i2c_ids": [0], "i2c_pins": "any",
    "i2c_default": {"0": [9, 8]}, "spi_default": {"1": [6, 7, 2]},
    "timer_ids": [-1, 0, 1], "pin_prefix": None, "reset_pull": None,
}


def build():
    import pdboard_micropython

    return pdboard_micropython.Board(globals())
