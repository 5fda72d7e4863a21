"""pipnet: pipdream's int8 decoder as a MicroPython native module (natmod/pipnet.c).

Copy the .mpy built for your board's architecture (natmod/dist/<arch>_6.3/pipnet.mpy)
next to your code, then:

    import pipnet
    model = pipnet.Model(open("default.blob", "rb").read())
    out = bytearray(32 * 32)
    model.generate(6, 0, out)          # face 1..6, angle code -127..127: a 32x32 greyscale die

Every image is byte for byte the one host/pipdream/reference.py draws. Generation
allocates nothing on the heap (it runs under micropython.heap_lock()); all memory is
allocated once, by Model(). Bad blobs raise ValueError with the parser's message;
wrong argument types TypeError ("face must be an integer": bool and float included);
out-of-range values and short buffers ValueError ("face 18446744073709551617 not in
1..6"). Every integer is checked on the Python object, big ints included, before it
is converted: nothing is truncated, and the viper and pure-Python backends raise the
same exceptions with the same messages.
"""

from collections.abc import Callable
from typing import Final

FULL: Final[int]
"""Plan: layer by layer, fastest; scratch holds two whole activations (16 KB for the default model)."""

STREAM: Final[int]
"""Plan (the default): depth first in column strips with ring buffers; about 1.5 KB of scratch."""

class Model:
    """A validated model blob and the scratch memory of one plan.

    One generation at a time: a call while the Model is generating in another thread (the
    rp2 port's threads run on two cores, with no GIL) raises RuntimeError("this pipnet.Model
    is generating in another thread: ...") instead of sharing the scratch; give each thread
    its own Model. Only generate_part's callers share one by design. Under
    micropython.heap_lock() a bad argument still raises the TypeError or ValueError below,
    with a shorter fixed message when the heap has no room for the detailed one."""

    FULL: Final[int]
    STREAM: Final[int]

    def __init__(self, blob: bytes, plan: int = STREAM, budget: int | None = None) -> None:
        """Validate `blob` (format v1: every check of host/pipdream/blob/reader.py) and
        allocate the plan's scratch, a row buffer, and for FULL a 1,024-byte image.
        budget: with FULL, the full plan only when its scratch fits `budget` bytes, else STREAM
        (the blob parsed once; the board's SCRATCH_BUDGET, pdinfer.load).

        An immutable blob (bytes) is kept by reference, not copied; a mutable one
        (bytearray, array) is copied first, so later changes cannot reach the model.
        Raises ValueError("invalid blob: <where>: <what>") on any defect,
        TypeError if blob is not a buffer or plan is not an int."""

    def generate(self, face: int, angle_code: int, out: bytearray) -> None:
        """Write the out_h * out_w image (32 * 32 = 1,024 bytes, row-major, 0 black ..
        255 white) for `face` (1..n_faces) and `angle_code` (-127..127, the angle latent
        times 127) into the writable buffer `out`. Allocates nothing.

        Raises ValueError for out-of-range values or a short out, TypeError for
        non-integers or a read-only out."""

    def generate_part(self, face: int, angle_code: int, out: bytearray, part: int, parts: int,
                      sync: bytearray) -> None:
        """Part `part` (0..parts-1) of generate() when `parts` callers (1..4, one per core:
        on the rp2 port the main thread and one _thread) compute the same image at once
        with this FULL-plan model, the same out and the same sync (a bytearray(parts), zero
        at first, left alone between images). Each computes its rows of every layer and
        waits for the others after each; every call returns when the whole image is in out,
        byte-identical to generate(). Allocates nothing; keeps no state outside its
        arguments. RuntimeError when a partner does not arrive within about 10 s on a Pico
        (it stopped, or was never started), or while a generate() runs in another thread;
        ValueError for bad numbers, a STREAM model, or a sync that overlaps out.
        Not on ports whose threads share one core under a GIL (ESP32): there the parts
        would take turns and the barrier would wait for nothing."""

    def generate_rows(self, face: int, angle_code: int,
                      callback: Callable[[int, int, memoryview], object]) -> None:
        """Like generate(), but hands each finished row segment to
        callback(row, col0, pixels) as soon as it is final: pixels[i] is the pixel at
        (row, col0 + i). With STREAM the image comes in column strips (rows in order
        within a strip); with FULL as 32 whole rows after the whole image is computed.

        pixels is one memoryview reused for every call (copy it to keep it). The module
        allocates nothing; whatever the callback allocates is its own. Using the same
        model inside its callback (or from another thread while the callback runs) raises
        RuntimeError once the callback returns; the Model is not held during the callback, so
        an exception there leaves it usable."""

    def info(self) -> dict:
        """What the model costs: {'backend': 'natmod', 'layers', 'params', 'faces',
        'image': (out_h, out_w), 'plan': 'stream' | 'full', 'macs' and 'scratch' of this
        model's plan, and for each plan 'full' / 'stream': {'scratch': bytes,
        'macs': per image, 'strips': column strips, 'strip_w': widest strip}}.
        The figures equal host/pipdream/plan.py's."""

def fc(x: bytes, y: bytearray, y_shape: tuple[int, int, int], w: bytes, bias: bytes, mult: bytes,
       shift: bytes) -> None:
    """One dense layer on caller buffers: y (HWC, C*H*W bytes) = requantize(W x + bias).

    x: the len(x) inputs, uint8 (bytes, bytearray) or int8 (array('b')).
    y_shape: (C, H, W) of the output; one requantization channel per output value.
    w: int8 weights [C*H*W][len(x)] (blob layout); bias: int32 LE per output value;
    mult: uint16 LE (>= 4096); shift: uint8 (<= 24). The layer is checked by the blob
    parser's own checks (pd_layer_check, pd_layer_check_values of natmod/kernels/):
    ValueError("invalid layer: <field>: <what>")."""

def convt(x: bytes, x_shape: tuple[int, int, int], y: bytearray, y_shape: tuple[int, int, int],
          w: bytes, bias: bytes, mult: bytes, shift: bytes, kernel: int, stride: int, padding: int,
          output_padding: int) -> None:
    """One transposed convolution on whole HWC tensors (computed per output phase).

    w: int8 [out_c][kernel][kernel][in_c]; bias, mult, shift per output channel.
    y_shape must be what the geometry gives: (H - 1) * stride - 2 * padding + kernel +
    output_padding per axis (ValueError("invalid layer: ...") otherwise, as for fc)."""

def conv(x: bytes, x_shape: tuple[int, int, int], y: bytearray, y_shape: tuple[int, int, int],
         w: bytes, bias: bytes, mult: bytes, shift: bytes, kernel: int, stride: int,
         padding: int) -> None:
    """One convolution on whole HWC tensors; y_shape must be (H + 2 * padding - kernel) //
    stride + 1 per axis. Otherwise as convt()."""

def render_die(img: bytes, out: bytearray, off: int, stride: int, scale: int = 2, mode: int = 0,
               threshold: int = 128) -> int:
    """The 32x32 image drawn into a 1-bit SSD1306 page buffer (MONO_VLSB) as a window of 32 * scale
    pixels whose top-left byte is `off`, `stride` bytes a page: byte for byte what
    device/pdview.py's render_die writes (pdview is the definition). mode 0: lit when
    v >= threshold; 1: 4x4 ordered dither. Returns how many bytes of `out` changed.
    ValueError("the window does not fit the buffer") (nothing written), or "<arg> N not in a..b".
    natmod/kernels/pd_oled.c; no allocation."""

def render_digit(d: int, out: bytearray, off: int, stride: int, scale: int = 1) -> int:
    """Digit 0-9 of pdview's 5x7 font at byte `off`, scale 1 or 2; bytes changed."""

def clear_box(out: bytearray, off: int, stride: int, w: int, pages: int) -> int:
    """Zero w bytes by `pages` pages at `off`; bytes changed."""

def i2c_words(words: "array.array[int]", at: int, parts: bytes | list[bytes]) -> int:
    """The bytes of `parts` (a buffer, or a list or tuple of buffers) as RP2040 I2C IC_DATA_CMD
    halfwords in array('H') `words` from index `at`, STOP (bit 9) on the last: one I2C write
    transaction for a DMA channel (device/pdi2c_dma.py). Returns the index after it; ValueError
    when they do not fit. No allocation."""
