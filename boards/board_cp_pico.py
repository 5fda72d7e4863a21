"""Raspberry Pi Pico under CircuitPython: same wiring as board_pico (GP4/GP5, button GP15).

Installed on the board as pdboard.py next to code.py (CircuitPython runs code.py;
it holds the same two lines as main.py). Needs adafruit_ssd1306, adafruit_framebuf
(+ font5x8.bin) and adafruit_bus_device in /lib. Inference runs in pure Python.
"""

NAME = "cp_pico"
PORT = "circuitpython"
MACHINE = "Raspberry Pi Pico with rp2040"  # os.uname().machine on CircuitPython's raspberry_pi_pico
FIRMWARE = "raspberry_pi_pico"  # circuitpython.org/board/raspberry_pi_pico: a .uf2
NATMOD_ARCH = None  # CircuitPython cannot load native modules

I2C_SDA = "GP4"  # names in CircuitPython's `board` module
I2C_SCL = "GP5"
I2C_FREQ = 400000

DISPLAY_WIDTH = 128
DISPLAY_HEIGHT = 64
DISPLAY_ADDRS = (0x3C, 0x3D)

BUTTON_PIN = "GP15"
BUTTON_PULL = "up"
BUTTON_ACTIVE = 0

ENTROPY = "os.urandom (RP2040 ring oscillator)"


def build():
    import pdboard_circuitpython

    return pdboard_circuitpython.Board(globals())
