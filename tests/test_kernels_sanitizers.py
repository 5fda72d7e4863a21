"""The C parser and executor under AddressSanitizer and UBSan: the whole
corruption suite gets the Python reader's verdict with no memory or
undefined-behaviour error; then libFuzzer (coverage guided, from the
committed seed corpus tests/fuzz/corpus/) runs for a bounded time without
finding a crash, a sanitizer report, or a disagreement between the plans.
Both kernel sets are checked, each picked by its config header (pd_dispatch.h):
the portable reference kernels and the register-blocked ones the natmod runs
(pd_blocked.c, C inner loops).
The harness is tests/fuzz/pd_fuzz.c."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import SHIPPED_BLOB, default_arch_model
from pipdream import ckernels
from pipdream.blob import pack
from pipdream.blob.synthetic import random_model
from support.kernels import CODES, bit_flips, crafted, python_verdict, truncations

FUZZ_DIR = Path(__file__).resolve().parent / "fuzz"
HARNESS = FUZZ_DIR / "pd_fuzz.c"
CORPUS = FUZZ_DIR / "corpus"
FUZZ_SECONDS = int(os.environ.get("PIPDREAM_FUZZ_SECONDS", "20"))
KERNEL_SETS = {"portable": ckernels.config_flags("ref"), "blocked": ckernels.config_flags("blocked")}
SAN_ENV = dict(os.environ, ASAN_OPTIONS="abort_on_error=1:detect_leaks=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")


def compile_harness(out: Path, sanitize: str, *defines: str) -> Path | None:
    """Build the harness with the first compiler that links the sanitizers; None if none can."""
    srcs = [str(HARNESS), *map(str, ckernels.c_sources())]
    for cc in ("clang", "gcc"):
        if not shutil.which(cc) or (cc == "gcc" and "fuzzer" in sanitize):
            continue
        cmd = [cc, "-g", "-O1", f"-fsanitize={sanitize}", "-fno-sanitize-recover=all",
               "-fno-omit-frame-pointer", "-DPD_COUNT_MACS", *defines, "-I", str(ckernels.KERNELS),
               *srcs, "-o", str(out)]
        if subprocess.run(cmd, capture_output=True).returncode == 0:
            return out
    return None


@pytest.fixture(scope="module", params=sorted(KERNEL_SETS))
def checker(request, tmp_path_factory) -> Path:
    exe = compile_harness(tmp_path_factory.mktemp("asan") / "pd_check", "address,undefined", "-DPD_FUZZ_MAIN",
                          *KERNEL_SETS[request.param])
    if exe is None:
        pytest.skip("no compiler with AddressSanitizer/UBSan runtimes (scripts/setup.sh installs them)")
    return exe


def corruption_suite() -> dict[str, bytes]:
    small = pack(random_model(np.random.default_rng(23), n_layers=3))
    arch = pack(default_arch_model(5))
    suite = {"valid arch": arch, "valid small": small}
    suite.update({f"valid random {s}": pack(random_model(np.random.default_rng(100 + s))) for s in range(10)})
    if SHIPPED_BLOB.exists():
        suite["shipped"] = SHIPPED_BLOB.read_bytes()
    for tag, blob in (("small", small), ("arch", arch)):
        suite.update({f"{tag} {name}": bad for name, bad in crafted(blob)})
    suite.update({f"small {name}": bad for name, bad in truncations(small)})
    suite.update({f"small {name}": bad for name, bad in bit_flips(small, resign=False)})
    suite.update({f"small resigned {name}": bad for name, bad in bit_flips(small, resign=True)})
    return suite


def test_the_corruption_suite_under_asan_and_ubsan(checker, tmp_path):
    suite = corruption_suite()
    names = list(suite)
    files = []
    for i, name in enumerate(names):
        f = tmp_path / f"{i:05d}.bin"
        f.write_bytes(suite[name])
        files.append(str(f))
    results = []
    for k in range(0, len(files), 1000):
        res = subprocess.run([str(checker), *files[k:k + 1000]], capture_output=True, text=True, env=SAN_ENV)
        assert res.returncode == 0, res.stderr[-3000:]
        assert "runtime error" not in res.stderr and "Sanitizer" not in res.stderr, res.stderr[-3000:]
        results += [tuple(map(int, line.split())) for line in res.stdout.splitlines()]
    assert len(results) == len(names)
    accepted = 0
    for name, (status, err_layer) in zip(names, results):
        want, want_layer = python_verdict(suite[name])
        assert status == CODES[want], f"{name}: C {status}, Python {want}"
        if want != "PD_OK":
            assert err_layer == want_layer, name
        accepted += want == "PD_OK"
    assert accepted > 12  # the valid blobs and the harmless re-signed flips ran both plans


@pytest.mark.parametrize("kernels", sorted(KERNEL_SETS))
def test_libfuzzer_finds_nothing_in_a_bounded_run(tmp_path, kernels):
    # a small scratch target makes the streaming plan cut models into many strips
    exe = compile_harness(tmp_path / "pd_fuzz", "fuzzer,address,undefined", "-DPD_STREAM_TARGET_BYTES=256UL",
                          *KERNEL_SETS[kernels])
    if exe is None:
        pytest.skip("no clang with libFuzzer runtimes (scripts/setup.sh installs them)")
    seeds = sorted(CORPUS.glob("*.bin"))
    assert len(seeds) >= 20, "the committed seed corpus is missing (tests/fuzz/make_corpus.py)"
    new = tmp_path / "new"
    new.mkdir()
    # the CI machine's ASan shadow pages put RSS at 1.4 GB after 3,000 inputs with 24 MB live (211 MB
    # here after 35,000): RSS is no measure of the kernels, which allocate nothing; an allocation
    # of 64 MB or more, far above any planned scratch, is a leak of the harness and still fails
    res = subprocess.run([str(exe), f"-max_total_time={FUZZ_SECONDS}", "-print_final_stats=1",
                          "-rss_limit_mb=8192", "-malloc_limit_mb=64", f"-artifact_prefix={tmp_path}/",
                          str(new), str(CORPUS)],
                         capture_output=True, text=True, env=SAN_ENV, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    runs = int(next(line.split()[-1] for line in res.stderr.splitlines()
                    if line.startswith("stat::number_of_executed_units")))
    assert runs > 1000
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*"))
