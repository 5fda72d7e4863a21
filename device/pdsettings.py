"""Every setting of the die app, in one place. Edit here, or pass overrides to pdapp.App.

Values are plain Python so a host test or the simulation can override any of them
(App(board, overrides={"DITHER": "bayer"})). The settings menu (long press) changes
DITHER, NUMBER and DICE while the app runs.
"""

# model
MODEL_PATH = "model.blob"  # the blob next to main.py (deploy copies models/default.blob here)
BACKEND = None  # None: best available (natmod, then viper, then pure Python); or "natmod", "viper", "python"
# heap the app still takes once the model is chosen: core 1's 4 KB stack, the display and a roll's
# objects (12.5 KB measured on the simulated Pico), with room for their fragments; a model is
# loaded, and the full plan taken, only where this is left beside it
APP_RESERVE = 20480
# ... and the full plan (fastest, two cores) only where this much more stays free beside its scratch:
# on the simulated Pico it ran from 86,880 B free at load (124 KiB of heap) and failed in the first
# roll below 82,784 B (120 KiB): core 1's stack and the display fragment what is left
FULL_PLAN_RESERVE = 49152
PLAN = None  # natmod only: "stream" (least RAM), "full" (fastest); None: full when it fits SCRATCH_BUDGET

# screen
DITHER = "threshold"  # "threshold" or "bayer" (4x4 ordered dither at display resolution)
THRESHOLD = 128  # threshold mode: a pixel is lit when its grey value >= THRESHOLD
SCALE = 0  # die pixels per model pixel; 0 = the largest that fits (2 on 128x64, 1 on 128x32)
NUMBER = True  # show the face number beside the die (accessibility)
DICE = 1  # 1 or 2 dice side by side
CONTRAST = 255
ROTATE = False  # True: turn the picture 180 degrees (display mounted upside down)
DISPLAY_RETRY_MS = 2000  # how often to look for a missing display

# roll animation
ROLL_MS = 1200  # aim for a tumble about this long ...
FRAME_MS = 20  # ... with at least this long per frame (50 fps at most: the Pico's two cores with
#                the display by DMA draw a frame in about 20 ms) ...
MIN_FRAMES = 1  # ... and at least this many frames: 1 lets a backend slower than ROLL_MS per frame
MAX_FRAMES = 60  # ... and at most this many (ROLL_MS / FRAME_MS)
TURNS = 1  # extra half turns the die makes while it tumbles
SETTLE_FRAMES = 3  # the last frames show the rolled face
FACE_HOLD_FRAMES = 2  # during the tumble the face changes every this many frames

# button
DEBOUNCE_MS = 30  # a level counts once stable this long (20-50 ms)
LONG_PRESS_MS = 1000  # hold this long for the settings menu
BUTTON_IRQ = True  # use pin edge interrupts when the board has them (else polling)
POLL_MS = 5  # idle loop period
SETTINGS_TIMEOUT_MS = 15000  # leave the menu after this long without a press

# checks
HEAP_LOCK = False  # run inference and drawing under micropython.heap_lock() (proves they allocate nothing)
CONSOLE = True  # print each roll on the console
