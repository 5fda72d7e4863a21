"""The device's inference fallbacks (device/pdblob.py, pdinfer_py.py, pdinfer_viper.py,
pdinfer.py): the reader's checks and messages, the reference's bytes on the real
MicroPython runtime (viper and pure Python) and on CPython (the CircuitPython path),
and the backend chosen as documented. What every backend promises (bad arguments, a
copied blob, no allocation) is test_backend_contract.py."""

from __future__ import annotations

import importlib
import struct
import sys
import types
import zlib

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import micropython as mpy
from pipdream import reference
from pipdream.backends import generate_images
from pipdream.blob import BlobError, load, pack
from pipdream.blob.synthetic import random_model
from support.kernels import bit_flips, crafted, random_pairs, truncations

DEVICE = [mpy.DEVICE_DIR]


@pytest.fixture(scope="module")
def arch_blob() -> bytes:
    return pack(default_arch_model(9))


@pytest.fixture(scope="module")
def small_blob() -> bytes:
    return pack(random_model(np.random.default_rng(23), n_layers=3))


@pytest.fixture(scope="module")
def cpython_device():
    """The device modules imported into CPython, as CircuitPython's would be. CPython has
    no `micropython` module: a stand-in supplies the one name pdformat.py uses, const()."""
    with pytest.MonkeyPatch.context() as mp:
        stub = types.ModuleType("micropython")
        stub.const = lambda x: x
        mp.setitem(sys.modules, "micropython", stub)
        mp.syspath_prepend(str(mpy.DEVICE_DIR))
        for name in ("pdformat", "pdblob", "pdinfer_py", "pdinfer"):
            sys.modules.pop(name, None)
        mods = types.SimpleNamespace(**{n: importlib.import_module(n) for n in ("pdblob", "pdinfer_py",
                                                                                 "pdinfer")})
        yield mods
        for name in ("pdformat", "pdblob", "pdinfer_py", "pdinfer"):
            sys.modules.pop(name, None)


def reader_message(blob: bytes) -> str:
    try:
        load(blob)
    except BlobError as e:
        return str(e)
    return "OK"


def corruption_suite(arch_blob: bytes, small_blob: bytes) -> list[tuple[str, bytes]]:
    return (list(crafted(arch_blob)) + list(crafted(small_blob)) + list(truncations(small_blob))
            + list(bit_flips(small_blob, resign=False)) + list(bit_flips(small_blob, resign=True)))


# ---- pdblob: the reader's checks and messages ------------------------------------------------


def test_pdblob_on_cpython_says_exactly_what_the_reader_says(cpython_device, arch_blob, small_blob):
    verdicts = set()
    for name, blob in corruption_suite(arch_blob, small_blob):
        try:
            cpython_device.pdblob.parse(blob)
            got = "OK"
        except cpython_device.pdblob.BlobError as e:
            got = str(e)
        assert got == reader_message(blob), name
        verdicts.add(got.split(":")[0].split(".")[-1])
    assert "OK" in verdicts and len(verdicts) > 30  # accepted flips, and many distinct checks


def test_pdblob_on_micropython_says_exactly_what_the_reader_says(arch_blob, small_blob):
    suite = list(crafted(arch_blob)) + list(crafted(small_blob)) + list(truncations(small_blob))
    suite += list(bit_flips(small_blob, resign=True))[::7]
    data = b"".join(struct.pack("<I", len(b)) + b for _, b in suite)
    script = """
import pdblob
with open("blobs.bin", "rb") as f:
    while True:
        n = f.read(4)
        if not n:
            break
        try:
            pdblob.parse(f.read(int.from_bytes(n, "little")))
            print("OK")
        except pdblob.BlobError as e:
            print(e)
"""
    lines = mpy.run(script, path=DEVICE, files={"blobs.bin": data}).splitlines()
    assert len(lines) == len(suite)
    for (name, blob), line in zip(suite, lines):
        assert line == reader_message(blob), name


def test_the_pure_python_crc_matches_zlib(cpython_device, arch_blob):
    pdblob = cpython_device.pdblob
    assert pdblob._crc32_py(arch_blob) == zlib.crc32(arch_blob)
    assert pdblob._crc32_py(arch_blob[100:], pdblob._crc32_py(arch_blob[:100])) == zlib.crc32(arch_blob)


# ---- the reference's bytes ---------------------------------------------------------------------


def test_viper_matches_the_reference_on_the_default_architecture(arch_blob):
    faces, codes = random_pairs(np.random.default_rng(3), 300)
    want = reference.run(load(arch_blob), faces, codes)
    assert (generate_images("viper", arch_blob, faces, codes) == want).all()


@pytest.mark.skipif(not SHIPPED_BLOB.exists(), reason="no shipped blob yet")
def test_viper_and_python_match_the_reference_on_the_shipped_blob():
    blob = SHIPPED_BLOB.read_bytes()
    faces, codes = np.arange(1, 7), np.array([-127, -60, 0, 33, 90, 127])
    want = reference.run(load(blob), faces, codes)
    assert (generate_images("viper", blob, faces, codes) == want).all()
    assert (generate_images("python", blob, faces[:2], codes[:2]) == want[:2]).all()


def test_pure_python_matches_the_reference_on_the_default_architecture(arch_blob):
    faces, codes = np.array([6, 2]), np.array([127, -127])
    want = reference.run(load(arch_blob), faces, codes)
    assert (generate_images("python", arch_blob, faces, codes) == want).all()


@pytest.mark.parametrize("backend, n_models", [("viper", 30), ("python", 8)])
def test_random_valid_models_match_the_reference(backend, n_models):
    rng = np.random.default_rng(17)
    for i in range(n_models):
        model = random_model(rng)
        faces, codes = random_pairs(rng, 3, model.n_faces)
        got = generate_images(backend, pack(model), faces, codes)
        assert (got == reference.run(model, faces, codes)).all(), f"model {i}: {model.layers}"


def test_on_cpython_the_circuitpython_path_draws_the_reference_image(cpython_device, arch_blob):
    rng = np.random.default_rng(5)
    for model, face, code in [(load(arch_blob), 3, -9)] + [
            (random_model(rng), int(rng.integers(1, 7)), int(rng.integers(-127, 128))) for _ in range(10)]:
        m, name = cpython_device.pdinfer.load(pack(model))
        assert name == "python"
        out = bytearray(model.out_shape[1] * model.out_shape[2])
        m.generate(face, code, out)
        assert bytes(out) == reference.run(model, [face], [code])[0].tobytes()


def test_generate_rows_gives_the_rows_of_generate(arch_blob):
    script = """
import pdinfer_py, pdinfer_viper
blob = open("m.blob", "rb").read()
for M in (pdinfer_viper.Model, pdinfer_py.Model):
    m = M(blob)
    whole = bytearray(1024)
    m.generate(5, 44, whole)
    rows = []
    m.generate_rows(5, 44, lambda r, c, px: rows.append((r, c, bytes(px))))
    print([r for r, _, _ in rows] == list(range(32)), all(c == 0 for _, c, _ in rows),
          b"".join(px for _, _, px in rows) == whole)
"""
    assert mpy.run(script, path=DEVICE, files={"m.blob": arch_blob}).split() == ["True"] * 6


# ---- memory ---------------------------------------------------------------------------------------


def test_the_scratch_is_a_few_kilobytes_not_the_full_frames_16(arch_blob):
    script = "import pdinfer_viper\nprint(pdinfer_viper.Model(open('m.blob', 'rb').read()).info())"
    info = eval(mpy.run(script, path=DEVICE, files={"m.blob": arch_blob}))  # a dict literal
    model = load(arch_blob)
    assert (info["layers"], info["params"], info["macs"]) == (7, model.params, model.macs)
    # rings: 2+3+2+3+3 rows of the upsampled maps instead of two whole 32x32x8 frames
    assert info["scratch"] < 2600


# ---- choosing a backend ------------------------------------------------------------------------------

CHOOSE = """
import pdinfer
blob = open("m.blob", "rb").read()
m, name = pdinfer.load(blob)
print(name)
for k in sorted(pdinfer.unavailable):
    print(k, pdinfer.unavailable[k].split(":")[0])
try:
    pdinfer.load(blob, "natmod")
    print("natmod loads")
except ImportError as e:
    print("ImportError")
"""


def test_the_natmod_is_chosen_when_its_mpy_is_beside_the_app(arch_blob):
    files = {"m.blob": arch_blob, "pipnet.mpy": mpy.natmod_mpy("x64")}
    assert mpy.run(CHOOSE, path=DEVICE, files=files).split() == ["natmod", "natmod", "loads"]


def test_without_the_natmod_viper_is_chosen_and_the_reason_recorded(arch_blob):
    assert mpy.run(CHOOSE, path=DEVICE, files={"m.blob": arch_blob}).split() == [
        "viper", "natmod", "ImportError", "ImportError"]


def test_another_architectures_natmod_is_skipped_for_viper(arch_blob):
    files = {"m.blob": arch_blob, "pipnet.mpy": mpy.natmod_mpy("armv6m")}
    assert mpy.run(CHOOSE, path=DEVICE, files=files).split() == [
        "viper", "natmod", "ValueError", "ImportError"]  # "incompatible .mpy arch"


def test_on_cpython_pure_python_is_chosen(cpython_device, arch_blob):
    pdinfer = cpython_device.pdinfer
    _, name = pdinfer.load(arch_blob)
    assert name == "python"
    assert set(pdinfer.unavailable) == {"natmod", "viper"}
    with pytest.raises(ImportError, match="backend viper is unavailable"):
        pdinfer.load(arch_blob, "viper")
    with pytest.raises(ValueError, match="unknown backend"):
        pdinfer.load(arch_blob, "cuda")
    with pytest.raises(ValueError, match="unknown plan"):
        pdinfer.load(arch_blob, plan="fastest")
