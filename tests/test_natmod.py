"""The pipnet native module (x64 build) on the real MicroPython unix runtime: the
reference's bytes on both plans, and a clear ValueError (never a crash) for bad blobs.
Bad arguments and no allocation, for every backend: test_backend_contract.py."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import SHIPPED_BLOB
from pipdream import micropython as mpy
from pipdream import plan, reference
from pipdream.backends import generate_images
from pipdream.blob import BlobError, load, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import random_layer, random_model
from support.kernels import bit_flips, crafted, random_pairs, truncations
from support.natmod import arch_blob_fixture, natmod_fixture  # noqa: F401 - fixtures


def run(natmod: Path, script: str, **files: bytes) -> str:
    """Run a script with pipnet.mpy and `files` beside it; its stdout."""
    return mpy.run(script, files={"pipnet.mpy": natmod, **files}, heapsize="256k")


def pack_blobs(blobs: list[bytes]) -> bytes:
    """Length-prefixed blobs in one file, read back by READ_BLOBS."""
    return b"".join(struct.pack("<I", len(b)) + b for b in blobs)


READ_BLOBS = """
def blobs():
    with open("blobs.bin", "rb") as f:
        while True:
            n = f.read(4)
            if not n:
                return
            yield f.read(int.from_bytes(n, "little"))
"""


# ---- the reference's bytes ----------------------------------------------------------


@pytest.fixture(scope="module")
def arch_pairs(arch_blob):
    """1000 random (face, angle code) pairs and the reference's images for them."""
    faces, codes = random_pairs(np.random.default_rng(1), 1000)
    return faces, codes, reference.run(load(arch_blob), faces, codes)


@pytest.mark.parametrize("backend", ["natmod", "natmod-full"])
def test_default_architecture_matches_the_reference_on_1000_pairs(natmod, arch_blob, arch_pairs, backend):
    faces, codes, want = arch_pairs
    got = generate_images(backend, arch_blob, faces, codes)
    assert got.shape == (1000, 32, 32)
    assert (got == want).all(), f"{int((got != want).any(axis=(1, 2)).sum())} images differ"


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_the_shipped_blob_matches_the_reference_on_every_face_across_the_angles(natmod):
    blob = SHIPPED_BLOB.read_bytes()
    faces = np.repeat(np.arange(1, 7), 85)
    codes = np.tile(np.arange(-127, 128, 3), 6)
    want = reference.run(load(blob), faces, codes)
    for backend in ("natmod", "natmod-full"):
        assert (generate_images(backend, blob, faces, codes) == want).all(), backend


def test_random_valid_models_match_the_reference_on_both_plans(natmod):
    rng = np.random.default_rng(7)
    models = [random_model(rng) for _ in range(40)]
    pairs = [random_pairs(rng, 6, m.n_faces) for m in models]
    script = READ_BLOBS + """
import pipnet
pairs = open("pairs.bin", "rb").read()
k = 0
with open("images.bin", "wb") as f:
    for blob in blobs():
        h, w = blob[18], blob[19]
        out = bytearray(h * w)
        for plan in (pipnet.STREAM, pipnet.FULL):
            m = pipnet.Model(blob, plan)
            for j in range(6):
                a = pairs[k + 2 * j + 1]
                m.generate(pairs[k + 2 * j], a - 256 if a > 127 else a, out)
                f.write(out)
        k += 12
"""
    pair_bytes = b"".join(np.stack(p, axis=1).astype(np.int8).tobytes() for p in pairs)
    _, got = mpy.run_collect(script, files={"pipnet.mpy": natmod, "pairs.bin": pair_bytes,
                                            "blobs.bin": pack_blobs([pack(m) for m in models])},
                             collect=["images.bin"])
    data, pos = got["images.bin"], 0
    for i, (m, (faces, codes)) in enumerate(zip(models, pairs)):
        want = reference.run(m, faces, codes).tobytes()
        for plan_name in ("stream", "full"):
            assert data[pos:pos + len(want)] == want, f"model {i}, {plan_name} plan"
            pos += len(want)
    assert pos == len(data)


def test_generate_rows_hands_over_every_pixel_once_in_row_order_per_strip(natmod, arch_blob):
    script = """
import pipnet
blob = open("m.blob", "rb").read()
for plan in (pipnet.STREAM, pipnet.FULL):
    m = pipnet.Model(blob, plan)
    img = bytearray(1024)
    seen = bytearray(1024)
    segs = []
    def cb(row, col0, px):
        segs.append((row, col0, len(px)))
        for i in range(len(px)):
            img[row * 32 + col0 + i] = px[i]
            seen[row * 32 + col0 + i] += 1
    m.generate_rows(4, -33, cb)
    whole = bytearray(1024)
    m.generate(4, -33, whole)
    print(img == whole, min(seen), max(seen), len(segs), segs[0], segs[-1])
"""
    lines = run(natmod, script, **{"m.blob": arch_blob}).split("\n")
    want = reference.run(load(arch_blob), [4], [-33])[0]
    assert lines[0].startswith("True 1 1 ")  # stream: the rows reassemble generate()'s image
    assert lines[1] == "True 1 1 32 (0, 0, 32) (31, 0, 32)"  # full: 32 whole rows
    n_strips = plan.plan(load(arch_blob), plan.STREAM).strips
    assert int(lines[0].split()[3]) == 32 * n_strips
    # and generate() itself is the reference (checked per plan above): one more spot check
    out = run(natmod, "import pipnet\nb=bytearray(1024)\npipnet.Model(open('m.blob','rb').read())"
                      ".generate(4, -33, b)\nprint(bytes(b).hex())", **{"m.blob": arch_blob})
    assert bytes.fromhex(out.strip()) == want.tobytes()


# ---- plans ----------------------------------------------------------------------------


def test_info_reports_the_plans_of_the_host_mirror(natmod, arch_blob):
    script = "import pipnet\nprint(pipnet.Model(open('m.blob','rb').read()).info())"
    info = eval(run(natmod, script, **{"m.blob": arch_blob}))  # a dict literal
    model = load(arch_blob)
    assert (info["layers"], info["params"], info["faces"]) == (7, model.params, 6)
    assert info["image"] == (32, 32) and info["plan"] == "stream"
    for name, kind in (("full", plan.FULL), ("stream", plan.STREAM)):
        want = plan.plan(model, kind)
        assert info[name]["scratch"] == want.scratch_bytes, name
        assert info[name]["macs"] == want.macs, name
        assert info[name]["strips"] == want.strips, name
    assert info["full"]["macs"] == model.macs
    assert info["scratch"] == info["stream"]["scratch"]  # what this Model allocated
    assert info["macs"] == info["stream"]["macs"] and info["backend"] == "natmod"


# ---- malformed blobs -------------------------------------------------------------------


def natmod_verdicts(natmod: Path, blobs: list[bytes]) -> list[str]:
    """'OK <image hex>' or '<exception name>: <message>' per blob, from one MicroPython process."""
    script = READ_BLOBS + """
import pipnet
for blob in blobs():
    try:
        m = pipnet.Model(blob)
    except Exception as e:
        print(type(e).__name__ + ":", e)
        continue
    out = bytearray(blob[18] * blob[19])
    m.generate(1, 5, out)
    print("OK", bytes(out).hex())
"""
    out = mpy.run(script, files={"pipnet.mpy": natmod, "blobs.bin": pack_blobs(blobs)})
    lines = out.splitlines()
    assert len(lines) == len(blobs)
    return lines


def assert_readers_verdict(names: list[str], blobs: list[bytes], verdicts: list[str]) -> int:
    """Every blob the reader rejects raises ValueError; every one it accepts runs exactly."""
    accepted = 0
    for name, blob, verdict in zip(names, blobs, verdicts):
        try:
            model = load(blob)
        except BlobError:
            assert verdict.startswith("ValueError: invalid blob: "), f"{name}: {verdict}"
            continue
        accepted += 1
        want = reference.run(model, [1], [5])[0].tobytes().hex()
        assert verdict == f"OK {want}", name
    return accepted


def test_crafted_defects_raise_value_error_with_the_parsers_message(natmod, arch_blob):
    suite = list(crafted(arch_blob))
    names, blobs = [n for n, _ in suite], [b for _, b in suite]
    verdicts = natmod_verdicts(natmod, blobs)
    assert assert_readers_verdict(names, blobs, verdicts) == 0
    by_name = dict(zip(names, verdicts))
    assert by_name["bad magic"] == "ValueError: invalid blob: header.magic: bad magic, expected PIPD"
    assert by_name["L3 kind 4"].startswith("ValueError: invalid blob: layer 3: ")


def test_truncations_and_bit_flips_raise_value_error_never_crash(natmod):
    small = pack(random_model(np.random.default_rng(23), n_layers=3))
    suite = list(truncations(small)) + list(bit_flips(small, resign=False))
    suite += list(bit_flips(small, resign=True))  # the CRC passes: structural checks decide
    names, blobs = [n for n, _ in suite], [b for _, b in suite]
    accepted = assert_readers_verdict(names, blobs, natmod_verdicts(natmod, blobs))
    assert accepted > 0  # some resigned flips (weight bits) are valid blobs, run exactly


def test_using_the_model_inside_its_own_row_callback_raises_runtime_error(natmod, arch_blob):
    script = """
import pipnet
m = pipnet.Model(open("m.blob", "rb").read())
out = bytearray(1024)
def cb(row, col0, px):
    m.generate(1, 0, out)
try:
    m.generate_rows(1, 0, cb)
except RuntimeError as e:
    print("RuntimeError:", e)
m.generate(3, 3, out)  # the model works again afterwards
print(bytes(out).hex())
"""
    lines = run(natmod, script, **{"m.blob": arch_blob}).splitlines()
    assert lines[0].startswith("RuntimeError: ")
    assert lines[1] == reference.run(load(arch_blob), [3], [3])[0].tobytes().hex()


def test_an_exception_in_the_row_callback_propagates_and_the_model_stays_usable(natmod, arch_blob):
    script = """
import pipnet
m = pipnet.Model(open("m.blob", "rb").read())
def cb(row, col0, px):
    if row == 3:
        raise KeyError("stop at row 3")
try:
    m.generate_rows(2, 2, cb)
except KeyError as e:
    print("KeyError", e)
frame = bytearray(2048)
m.generate(2, 2, memoryview(frame)[512:])  # a writable view into a bigger buffer
print(bytes(frame[512:1536]).hex())
"""
    lines = run(natmod, script, **{"m.blob": arch_blob}).splitlines()
    assert lines[0] == "KeyError stop at row 3"
    assert lines[1] == reference.run(load(arch_blob), [2], [2])[0].tobytes().hex()


# ---- low-level kernels on caller buffers ------------------------------------------------------


def random_layers(rng: np.random.Generator, n: int) -> list:
    """(layer, int8 input?) pairs: odd sizes, strides 1 and 2, paddings, output padding, 1-16 channels."""
    out = []
    while len(out) < n:
        kind = [F.KIND_FC, F.KIND_CONVT, F.KIND_CONV][len(out) % 3]
        ci, co = int(rng.integers(1, 17)), int(rng.integers(1, 17))
        signed = bool(rng.integers(0, 2))
        if kind == F.KIND_FC:
            shape_out = (co, int(rng.integers(1, 5)), int(rng.integers(1, 5)))
            layer = random_layer(rng, kind, (ci, 1, 1), shape_out, int(signed))
        else:
            h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            k, s = int(rng.integers(1, 6)), int(rng.integers(1, 3))
            p = int(rng.integers(0, k))
            op = int(rng.integers(0, s)) if kind == F.KIND_CONVT else 0
            if kind == F.KIND_CONVT:
                ho, wo = (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op
            else:
                ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            if not (1 <= ho <= 64 and 1 <= wo <= 64):
                continue
            layer = random_layer(rng, kind, (ci, h, w), (co, ho, wo), int(signed), k, s, p, op)
        out.append((layer, signed))
    return out


def test_low_level_kernels_on_caller_buffers_match_the_reference_layers(natmod):
    rng = np.random.default_rng(11)
    lines, wants = [], []
    for layer, signed in random_layers(rng, 60):
        ci, hi, wi = layer.in_shape
        x = rng.integers(-127 if signed else 0, 128 if signed else 256, (1, hi, wi, ci))
        wants.append(reference.run_layer(layer, x)[0].tobytes().hex())
        xb = x.astype(np.int8 if signed else np.uint8).tobytes()
        q = (layer.weights.astype(np.int8).tobytes(), layer.bias.astype("<i4").tobytes(),
             layer.mult.astype("<u2").tobytes(), layer.shift.astype(np.uint8).tobytes())
        x_expr = f"array.array('b', {xb!r})" if signed else repr(xb)
        size = int(np.prod(layer.out_shape))
        q_args = ", ".join(repr(b) for b in q)
        if layer.kind == F.KIND_FC:
            call = f"pipnet.fc({x_expr}, y, {layer.out_shape}, {q_args})"
        elif layer.kind == F.KIND_CONVT:
            call = (f"pipnet.convt({x_expr}, {layer.in_shape}, y, {layer.out_shape}, {q_args}, "
                    f"{layer.kernel}, {layer.stride}, {layer.padding}, {layer.output_padding})")
        else:
            call = (f"pipnet.conv({x_expr}, {layer.in_shape}, y, {layer.out_shape}, {q_args}, "
                    f"{layer.kernel}, {layer.stride}, {layer.padding})")
        lines.append(f"y = bytearray({size})\n{call}\nprint(bytes(y).hex())")
    out = run(natmod, "import array, pipnet\n" + "\n".join(lines))
    assert out.split() == wants
