"""The C kernels (natmod/kernels/*.c) as a host shared library, through ctypes.

    from pipdream import ckernels
    lib = ckernels.load()                      # compiles once per source hash
    img = lib.generate_full(blob, face=3, angle_code=-40)      # uint8 (32, 32)
    img, calls = lib.generate_stream(blob, 3, -40)             # + callback log
    lib.run_layer(layer, x, variant="blocked")                 # one kernel variant by name

The library is built with the system C compiler into the cache directory
(pipdream.paths.cache_dir() / "ckernels" / <hash of sources and flags>), so
an edited kernel is rebuilt on the next load. It links both host kernel
variants (pd_conv_ref ... and pd_conv_blocked ..., natmod/kernels/pd_dispatch.h);
`kernels` picks the config header, so which of them the public names and the
executor run (default: the reference). The build defines PD_COUNT_MACS: every
dot product adds to a counter, so tests can check that pd_plan()'s MAC figures
are what the executor really does.
"""

from __future__ import annotations

import ctypes as C
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipdream.blob import format as F
from pipdream.blob.model import QLayer
from pipdream.paths import NATMOD, cache_dir

KERNELS = NATMOD / "kernels"
CFLAGS = ("-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-DPD_COUNT_MACS")
PLAN_FULL, PLAN_STREAM = 0, 1
# The convolution variants a host build links (PD_KERNELS_* of pd_dispatch.h); the others
# (m0, avr) are the Cortex-M0+'s and the AVR firmware's.
VARIANTS = {"ref": 0, "blocked": 1}


def sources() -> list[Path]:
    """The kernel sources, headers first (everything that goes into the hash)."""
    return sorted(KERNELS.glob("*.h")) + sorted(KERNELS.glob("*.c"))


def c_sources() -> list[Path]:
    return sorted(KERNELS.glob("*.c"))


def config_flags(kernels: str = "ref") -> tuple[str, ...]:
    """The compiler flags that pick the variant the public names run: its config header."""
    if kernels not in VARIANTS:
        raise ValueError(f"kernels must be one of {', '.join(VARIANTS)}, got {kernels!r}")
    return ("-include", str(KERNELS / f"pd_config_{kernels}.h"))


def build(out_dir: Path | None = None, cc: str | None = None, extra: tuple[str, ...] = (),
          kernels: str = "ref") -> Path:
    """Compile the shared library if its sources changed; returns its path."""
    cc = cc or os.environ.get("CC", "cc")
    flags = CFLAGS + config_flags(kernels) + tuple(extra)
    h = hashlib.sha256(" ".join((cc,) + flags).encode())
    for p in sources():
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    out_dir = out_dir or cache_dir() / "ckernels"
    lib = out_dir / h.hexdigest()[:16] / "libpdkernels.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:  # atomic: build aside, then rename
        tmp_lib = Path(tmp) / lib.name
        cmd = [cc, *flags, "-I", str(KERNELS), *map(str, c_sources()), "-o", str(tmp_lib)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"building the C kernels failed:\n{' '.join(cmd)}\n{res.stderr}")
        os.replace(tmp_lib, lib)
    return lib


# ---- ctypes mirrors of pd_model.h ---------------------------------------------------


class Model(C.Structure):
    _fields_ = [("blob", C.c_void_p), ("size", C.c_uint32), ("n_layers", C.c_uint8),
                ("n_faces", C.c_uint8), ("out_h", C.c_uint8), ("out_w", C.c_uint8),
                ("fold", C.c_uint8), ("err_layer", C.c_uint8)]


class Layer(C.Structure):
    _fields_ = [(n, C.c_uint8) for n in ("kind", "in_c", "in_h", "in_w", "out_c", "out_h", "out_w",
                                          "kernel", "stride", "padding", "output_padding", "in_signed")]
    _fields_ += [(n, C.c_void_p) for n in ("weights", "bias", "mult", "shift")]


class Window(C.Structure):
    _fields_ = [("data", C.c_void_p), ("ring", C.c_uint8), ("x0", C.c_uint8), ("w", C.c_uint8),
                ("c", C.c_uint8)]


class Rect(C.Structure):
    _fields_ = [("y0", C.c_uint8), ("y1", C.c_uint8), ("x0", C.c_uint8), ("x1", C.c_uint8)]


class Plan(C.Structure):
    _fields_ = [("scratch_bytes", C.c_uint32), ("macs", C.c_uint32), ("strips", C.c_uint8),
                ("strip_w", C.c_uint8), ("acc_rows", C.c_uint8)]


class PlanLayer(C.Structure):
    _fields_ = [("bytes", C.c_uint32), ("macs", C.c_uint32), ("ring_rows", C.c_uint8),
                ("win_w", C.c_uint8), ("rows", C.c_uint8)]


ROW_FN = C.CFUNCTYPE(None, C.c_void_p, C.c_uint8, C.c_uint8, C.c_uint8, C.POINTER(C.c_uint8))


class KernelError(RuntimeError):
    """A C call returned a status other than PD_OK."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"status {status}: {message}")
        self.status = status


@dataclass
class Parsed:
    """A parsed blob: keeps the bytes alive as long as the C model points at them."""

    status: int
    err_layer: int
    model: Model
    buf: C.Array


class Kernels:
    """Typed wrappers around the shared library's functions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        lib = self.lib = C.CDLL(str(path))
        P = C.POINTER
        sig = {
            "pd_status_message": (C.c_char_p, [C.c_int]),
            "pd_model_parse": (C.c_int, [P(Model), C.c_void_p, C.c_uint32]),
            "pd_blob_crc": (C.c_uint32, [C.c_void_p, C.c_uint32]),
            "pd_model_layer": (C.c_int, [P(Model), C.c_uint8, P(Layer)]),
            "pd_plan": (C.c_int, [P(Model), C.c_int, P(Plan)]),
            "pd_plan_layer": (C.c_int, [P(Model), C.c_int, C.c_uint8, P(PlanLayer)]),
            "pd_generate_full": (C.c_int, [P(Model), C.c_int32, C.c_int32, C.c_void_p, C.c_uint32,
                                           C.c_void_p, C.c_uint32]),
            "pd_generate_stream": (C.c_int, [P(Model), C.c_int32, C.c_int32, C.c_void_p, C.c_uint32,
                                             ROW_FN, C.c_void_p]),
            "pd_generate_full_part": (C.c_int, [P(Model), C.c_int32, C.c_int32, C.c_void_p, C.c_uint32,
                                                C.c_void_p, C.c_uint32, C.c_uint8, C.c_uint8, C.c_void_p,
                                                C.c_uint32]),
        }
        for suffix in ("", *(f"_{v}" for v in VARIANTS)):  # the public names, then each variant's
            for kernel in ("pd_conv", "pd_convt"):
                sig[kernel + suffix] = (C.c_int, [P(Layer), P(Window), P(Window), P(Rect)])
            for kernel in ("pd_conv_acc", "pd_convt_acc"):
                sig[kernel + suffix] = (C.c_int, [P(Layer), P(Window), P(Rect), C.c_uint8, P(C.c_int32)])
        for kernel in ("pd_fc", "pd_layer_run"):
            sig[kernel] = (C.c_int, [P(Layer), P(Window), P(Window), P(Rect)])
        sig["pd_kernels"] = (C.c_int, [])
        for name, (res, args) in sig.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        self.mac_count = C.c_uint32.in_dll(lib, "pd_mac_count")
        # the variant behind the public names and the executor (the build's config header)
        self.kernels = {v: k for k, v in VARIANTS.items()}[lib.pd_kernels()]

    # ---- status and parsing ----
    def message(self, status: int) -> str:
        return self.lib.pd_status_message(status).decode()

    def check(self, status: int) -> None:
        if status != 0:
            raise KernelError(status, self.message(status))

    def parse(self, blob: bytes) -> Parsed:
        """pd_model_parse on a private copy of the bytes (status, err_layer, model)."""
        buf = (C.c_uint8 * max(1, len(blob))).from_buffer_copy(bytes(blob) or b"\0")
        m = Model()
        st = self.lib.pd_model_parse(C.byref(m), C.addressof(buf), len(blob))
        return Parsed(st, m.err_layer, m, buf)

    def model(self, blob: bytes) -> Parsed:
        p = self.parse(blob)
        self.check(p.status)
        return p

    def crc(self, blob: bytes) -> int:
        buf = (C.c_uint8 * max(1, len(blob))).from_buffer_copy(bytes(blob) or b"\0")
        return self.lib.pd_blob_crc(C.addressof(buf), len(blob))

    # ---- plans ----
    def plan(self, blob: bytes | Parsed, kind: int) -> tuple[Plan, list[PlanLayer]]:
        p = blob if isinstance(blob, Parsed) else self.model(blob)
        info = Plan()
        self.check(self.lib.pd_plan(C.byref(p.model), kind, C.byref(info)))
        layers = []
        for j in range(p.model.n_layers):
            li = PlanLayer()
            self.check(self.lib.pd_plan_layer(C.byref(p.model), kind, j, C.byref(li)))
            layers.append(li)
        return info, layers

    # ---- executors ----
    def generate_full(self, blob: bytes | Parsed, face: int, angle_code: int,
                      scratch_bytes: int | None = None) -> np.ndarray:
        p = blob if isinstance(blob, Parsed) else self.model(blob)
        need = self.plan(p, PLAN_FULL)[0].scratch_bytes if scratch_bytes is None else scratch_bytes
        scratch = (C.c_uint8 * max(1, need))()
        out = np.zeros((p.model.out_h, p.model.out_w), np.uint8)
        self.check(self.lib.pd_generate_full(C.byref(p.model), face, angle_code, C.addressof(scratch),
                                             need, out.ctypes.data, out.size))
        return out

    def generate_split(self, blob: bytes | Parsed, face: int, angle_code: int, parts: int,
                       spin_limit: int = 1 << 31,
                       run: Sequence[int] | None = None) -> tuple[np.ndarray, list[int]]:
        """The full plan computed by `parts` threads at once (pd_generate_full_part, the GIL
        released in each C call): (image, status of each part). `run` starts only those parts
        (the others never arrive: their partners' barrier gives up after spin_limit polls)."""
        import threading

        p = blob if isinstance(blob, Parsed) else self.model(blob)
        need = self.plan(p, PLAN_FULL)[0].scratch_bytes
        scratch = (C.c_uint8 * need)()  # [need] shared by every part
        sync = (C.c_uint8 * max(1, parts))()  # [parts] step counters
        out = np.zeros((p.model.out_h, p.model.out_w), np.uint8)
        status = [-1] * parts

        def part(k: int) -> None:
            status[k] = self.lib.pd_generate_full_part(
                C.byref(p.model), face, angle_code, C.addressof(scratch), need, out.ctypes.data, out.size,
                k, parts, C.addressof(sync), spin_limit)

        threads = [threading.Thread(target=part, args=(k,)) for k in (range(parts) if run is None else run)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out, status

    def generate_stream(self, blob: bytes | Parsed, face: int, angle_code: int,
                        scratch_bytes: int | None = None) -> tuple[np.ndarray, list[tuple]]:
        """The streamed image, reassembled from the callback rows, and the calls
        (row, col0, width, pixel bytes) in the order they came."""
        p = blob if isinstance(blob, Parsed) else self.model(blob)
        need = self.plan(p, PLAN_STREAM)[0].scratch_bytes if scratch_bytes is None else scratch_bytes
        scratch = (C.c_uint32 * max(1, (need + 3) // 4))()  # 4-byte aligned
        calls: list[tuple] = []

        def on_row(ctx, row, col0, width, pixels):  # noqa: ANN001
            calls.append((row, col0, width, bytes(pixels[:width])))

        cb = ROW_FN(on_row)
        self.check(self.lib.pd_generate_stream(C.byref(p.model), face, angle_code, C.addressof(scratch),
                                               need, cb, None))
        img = np.zeros((p.model.out_h, p.model.out_w), np.uint8)
        for row, col0, width, px in calls:
            img[row, col0:col0 + width] = np.frombuffer(px, np.uint8)
        return img, calls

    # ---- single kernels ----
    def _kernel(self, name: str, variant: str | None):
        """pd_<name> (the build's variant) or pd_<name>_<variant> (one variant by name)."""
        if variant is not None and variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        return getattr(self.lib, f"pd_{name}" + ("" if variant is None else f"_{variant}"))

    def run_layer(self, layer: QLayer, x: np.ndarray, rect: tuple[int, int, int, int] | None = None,
                  in_rows: tuple[int, int] | None = None,
                  in_cols: tuple[int, int] | None = None, variant: str | None = None) -> np.ndarray:
        """One kernel call: x (H, W, C) HWC input -> (H', W', C') output, full or a rect.

        rect = (y0, y1, x0, x1) computes only that part (the rest stays 0). in_rows / in_cols
        hand the kernel just a window of the input: rows [r0, r1) in a ring of r1 - r0 slots
        (row y in slot y % ring) and columns [c0, c1), as the streaming executor does.
        variant ("ref", "blocked") calls that convolution variant instead of the public name.
        """
        co, ho, wo = layer.out_shape
        ci, hi, wi = layer.in_shape
        x = np.ascontiguousarray(x)
        assert x.shape == (hi, wi, ci), (x.shape, layer.in_shape)
        y0, y1, x0, x1 = rect or (0, ho, 0, wo)
        r0, r1 = in_rows or (0, hi)
        c0, c1 = in_cols or (0, wi)
        ring = r1 - r0
        win = np.zeros((ring, c1 - c0, ci), np.uint8)
        for y in range(r0, r1):
            win[y % ring] = x[y, c0:c1].view(np.uint8)
        L, _arrays = self._c_layer(layer)  # _arrays: the buffers L points into, kept alive
        out = np.zeros((ho, wo, co), np.uint8)
        w_in = Window(win.ctypes.data, ring, c0, c1 - c0, ci)
        w_out = Window(out.ctypes.data, ho, 0, wo, co)
        r = Rect(y0, y1, x0, x1)
        fn = self.lib.pd_fc if layer.kind == F.KIND_FC else \
            self._kernel("conv" if layer.kind == F.KIND_CONV else "convt", variant)
        self.check(fn(C.byref(L), C.byref(w_in), C.byref(w_out), C.byref(r)))
        return out

    def accumulate_row(self, layer: QLayer, x: np.ndarray, oy: int, x0: int, x1: int,
                       in_rows: list[int], variant: str | None = None) -> np.ndarray:
        """pd_conv_acc / pd_convt_acc (or that variant's): starting from 0, add the taps of
        output row oy, columns [x0, x1), that read each of in_rows (one at a time, through a
        1-row ring, as the streaming plan's last layer does); int32 (x1 - x0, out_c)."""
        co, ho, wo = layer.out_shape
        ci, hi, wi = layer.in_shape
        L, _arrays = self._c_layer(layer)  # _arrays: the buffers L points into, kept alive
        acc = np.zeros((x1 - x0, co), np.int32)
        fn = self._kernel("conv_acc" if layer.kind == F.KIND_CONV else "convt_acc", variant)
        for iy in in_rows:
            row = np.ascontiguousarray(x[iy].view(np.uint8))  # the 1-row ring: all columns of row iy
            win = Window(row.ctypes.data, 1, 0, wi, ci)
            r = Rect(oy, oy + 1, x0, x1)
            self.check(fn(C.byref(L), C.byref(win), C.byref(r), iy, acc.ctypes.data_as(C.POINTER(C.c_int32))))
        return acc

    @staticmethod
    def _c_layer(layer: QLayer) -> tuple[Layer, list[np.ndarray]]:
        """The pd_layer_t of a QLayer, and the arrays its pointers point into."""
        arrays = [np.ascontiguousarray(layer.weights, "<i1"), np.ascontiguousarray(layer.bias, "<i4"),
                  np.ascontiguousarray(layer.mult, "<u2"), np.ascontiguousarray(layer.shift, "<u1")]
        (ci, hi, wi), (co, ho, wo) = layer.in_shape, layer.out_shape
        L = Layer(kind=layer.kind, in_c=ci, in_h=hi, in_w=wi, out_c=co, out_h=ho, out_w=wo,
                  kernel=layer.kernel, stride=layer.stride, padding=layer.padding,
                  output_padding=layer.output_padding, in_signed=int(layer.in_type == F.DTYPE_INT8),
                  weights=arrays[0].ctypes.data, bias=arrays[1].ctypes.data, mult=arrays[2].ctypes.data,
                  shift=arrays[3].ctypes.data)
        return L, arrays


_loaded: dict[Path, Kernels] = {}


def load(cc: str | None = None, stream_target_bytes: int | None = None, kernels: str = "ref") -> Kernels:
    """Build (if needed) and load the host library; one instance per build.
    stream_target_bytes overrides PD_STREAM_TARGET_BYTES (tests force many strips);
    kernels ("ref", "blocked") is the variant the public names and the executor run."""
    extra = () if stream_target_bytes is None else (f"-DPD_STREAM_TARGET_BYTES={stream_target_bytes}UL",)
    path = build(cc=cc, extra=extra, kernels=kernels)
    if path not in _loaded:
        _loaded[path] = Kernels(path)
    return _loaded[path]


def have_compiler(cc: str = "cc") -> bool:
    return shutil.which(os.environ.get("CC", cc)) is not None
