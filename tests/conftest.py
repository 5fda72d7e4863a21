"""Shared fixtures: the repo's paths, the shipped blob, and default-architecture models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pipdream.blob import QModel, load, pack
from pipdream.blob import format as F
from pipdream.blob.synthetic import default_shape_model as default_arch_model  # noqa: F401 (tests import it)
from pipdream.blob.synthetic import random_layer

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_BLOB = ROOT / "models" / "default.blob"
def heavy_model(seed: int = 0) -> QModel:
    """A valid die model no board's heap holds: 16 layers (the format's most), about 300 KB of
    weights, 32 faces at 32x32 like the app needs, its streaming scratch within SCRATCH_BUDGET."""
    rng = np.random.default_rng(seed)
    u8 = F.DTYPE_UINT8
    layers = [random_layer(rng, F.KIND_FC, (F.N_FACES + 1, 1, 1), (32, 4, 4), F.DTYPE_INT8),
              random_layer(rng, F.KIND_CONVT, (32, 4, 4), (32, 8, 8), u8, 4, 2, 1, 0)]
    while len(layers) < F.MAX_LAYERS - 2:  # the weight is here, at 8x8: little scratch
        layers.append(random_layer(rng, F.KIND_CONV, (32, 8, 8), (32, 8, 8), u8, 5, 1, 2))
    layers.append(random_layer(rng, F.KIND_CONVT, (32, 8, 8), (16, 16, 16), u8, 4, 2, 1, 0))
    layers.append(random_layer(rng, F.KIND_CONVT, (16, 16, 16), (1, 32, 32), u8, 4, 2, 1, 0))
    return QModel(layers)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped_blob() -> bytes:
    """models/default.blob, the model every board runs."""
    return SHIPPED_BLOB.read_bytes()


@pytest.fixture(scope="session")
def shipped_model(shipped_blob: bytes) -> QModel:
    return load(shipped_blob)


@pytest.fixture(scope="session")
def default_arch_blob() -> bytes:
    return pack(default_arch_model())


# ---- tiers: `make quick` (the edit loop) runs what is marked none of these ----------------------
# Markers by file (whole families of tests) and by test (the long ones, over about 5 s each on a
# 2-core machine), kept here in one table rather than on each test.
TIER_FILES = {
    "avr": ("test_avr_*.py",),  # firmware built with avr-gcc and run in simavr
    "rp2040": ("test_rp2040_*.py",),  # kernels built with arm-none-eabi-gcc and run in rp2040js
    "fuzz": ("test_kernels_sanitizers.py",),  # ASan/UBSan builds and a bounded libFuzzer run
    # real MicroPython firmware (../shared/firmware, PIPDREAM_FIRMWARE_DIR) in qemu and rp2040js
    "firmware": ("test_firmware_*.py",),
    "sim": ("test_sim_*.py", "test_device_endurance.py", "test_device_random.py", "test_deploy_*.py",
            "test_emulator_*.py", "test_boards.py"),  # the simulated or emulated board
}
SLOW_TESTS = (
    "test_wheel_install.py::",  # builds the wheel and installs it with its dependencies into a new venv
    "test_retrain.py::test_retrain_quick_gives_a_legible_blob_for_a_style_of_ones_own",
    "test_style.py::test_the_judge_reads_every_render_of_each_style_the_tests_use",
    "test_quantize.py::test_the_shipped_metrics_are_what_the_shipped_blob_gives",
    "test_quantize.py::test_the_shipped_blob_is_within_10_percent_of_the_float_models_mse",
    "test_device_endurance.py::",
    "test_sim_slow_host.py::test_the_simulation_tests_pass_on_a_slowed_loaded_host",
    "test_sim_slow_host.py::test_the_demo_cli_rolls_the_same_with_a_busy_process_on_its_core",
    "test_kernels_executor.py::test_shipped_blob_on_every_face_and_angle_code",
    "test_kernels_executor.py::test_default_architecture_on_1000_random_pairs",
    "test_reference.py::test_every_face_and_angle_code_gives_a_32x32_image",
    "test_reference.py::test_pytorch_integer_forward_equals_the_reference_on_1000_pairs",
    "test_natmod.py::test_default_architecture_matches_the_reference_on_1000_pairs",
    "test_legibility.py::test_every_dataset_render_is_legible_greyscale_and_on_the_display",
    "test_legibility.py::test_the_float_models_legibility_in_the_metrics_files_is_recomputed",
    "test_blob_cli.py::test_generate_from_the_blob_gives_the_same_bytes_on_the_reference_and_the_natmod",
    "test_device_random.py::test_chi_square_of_60000_app_rolls_passes_at_1_percent",
    "test_device_random.py::test_pairs_of_dice_in_60000_rolls_pass_the_36_cell_test",
    "test_train.py::test_checkpoint_round_trips_and_writes_plots",
    "test_device_infer.py::test_viper_matches_the_reference_on_the_default_architecture",
    "test_kernels_parser.py::test_every_single_bit_flip_is_rejected",
    "test_kernels_parser.py::test_resigned_bit_flips_get_the_readers_verdict_and_accepted_ones_run_exactly",
    "test_natmod.py::test_the_shipped_blob_matches_the_reference_on_every_face_across_the_angles",
    "test_deploy_emulated.py::test_a_fresh_board_gets_the_app_and_a_press_shows_the_reference_die",
    "test_deploy_interrupted.py::test_a_cut_model_copy_leaves_the_previous_model_and_deploy_repairs_it",
)
SLOW_TIERS = ("avr", "rp2040", "fuzz", "firmware")  # whole tiers left out of the quick run too


def pytest_collection_modifyitems(config, items):
    from fnmatch import fnmatch

    for item in items:
        path, _, name = item.nodeid.rpartition("/")[2].partition("::")
        tiers = [t for t, globs in TIER_FILES.items() if any(fnmatch(path, g) for g in globs)]
        for tier in tiers:
            item.add_marker(getattr(pytest.mark, tier))
        if any(t in SLOW_TIERS for t in tiers) or any(f"{path}::{name}".startswith(s) for s in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
