"""ESP32 DevKitC (ESP32-WROOM-32 / -WROVER): SSD1306 on I2C0 (GPIO21/22), button on GPIO4 to GND.

Installed on the board as pdboard.py. Wiring: docs/wiring.md.
"""

NAME = "esp32"
PORT = "esp32"
MACHINE = "Generic ESP32 module with ESP32"  # os.uname().machine on ESP32_GENERIC
FIRMWARE = "ESP32_GENERIC"  # micropython.org/download/ESP32_GENERIC
FLASH_CHIP = "esp32"  # esptool's --chip; the firmware goes at the ROM bootloader's offset
FLASH_OFFSET = 0x1000
FLASH_FS_BYTES = 2_097_152  # 2 MiB: the 4 MB build's vfs partition
FREQ = 160_000_000  # the esp32 port's default CPU clock
NATMOD_ARCH = "xtensawin"  # needs ESP-IDF's xtensa-esp32-elf-gcc to build; else viper
# of a ~110 KB heap: the natmod's full plan (16 KB) does not fit beside the app (measured on the
# simulated board), so it streams (1,407 B)
SCRATCH_BUDGET = 8192
# heap on the esp32 port and the app's need beside the model, measured on the simulated board
# (the shipped model ran with pictures at 87,680 B of heap but not at every size below: 92 KB
# less its blob and stream scratch; tests/test_device_heap.py)
HEAP_BYTES = 112_640  # 110 KiB
APP_HEAP = 84_992  # 83 KiB

I2C_ID = 0
I2C_SDA = 21  # the DevKitC's usual I2C pins
I2C_SCL = 22
I2C_FREQ = 400000

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64
DISPLAY_ADDRS = (0x3C, 0x3D)

BUTTON_PIN = 4  # not a strapping pin (0, 2, 5, 12, 15 are); the BOOT button (GPIO0) also works
BUTTON_PULL = "up"
BUTTON_ACTIVE = 0
BUTTON_IRQ_HARD = False  # esp32's Pin.irq has no hard=: its IRQs are scheduled (machine_pin.c)

# esp_random() is a true RNG only while the radio (Wi-Fi/BT) runs; otherwise ESP-IDF calls its
# output pseudo-random. ENTROPY_RADIO switches Wi-Fi on (not connected) at start-up for that.
ENTROPY = "os.urandom (ESP32 hardware RNG, radio on)"
ENTROPY_RADIO = True

# The simulated board (host/pipdream/sim/mpy/simboard.py says what each field means), as the
# esp32 port's C source behaves: machine_i2c.c, machine_hw_spi.c, machine_timer.c
SIM = {
    "unique_id": "246f28a1b2c4",
    "i2c_errno": 19, "i2c_ids": [0, 1], "i2c_pins": "any",
    "i2c_default": {"0": [18, 19], "1": [25, 26]}, "spi_default": {"1": [14, 13, 12], "2": [18, 23, 19]},
    "timer_ids": [-1, 0, 1, 2, 3], "pin_prefix": None, "reset_pull": None,
}


def build():
    import pdboard_micropython

    return pdboard_micropython.Board(globals())
