"""The ground-truth renderer: deterministic, correctly labelled, never clipped, wraps at +-90."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from pipdream import dataset
from pipdream.cli import main

ANGLES = np.arange(-90.0, 90.0, 7.5)  # (24,) includes the +-45 diagonals and -90


def count_pips(image: np.ndarray) -> int:
    """Dark 4-connected regions that do not touch the border (the background does)."""
    dark = image < 128  # (32, 32) bool
    seen = np.zeros_like(dark)
    h, w = dark.shape
    count = 0
    for y0, x0 in zip(*np.nonzero(dark)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        queue, touches_border = deque([(y0, x0)]), False
        while queue:
            y, x = queue.popleft()
            touches_border |= y in (0, h - 1) or x in (0, w - 1)
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < h and 0 <= nx < w and dark[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        count += not touches_border
    return count


def test_same_seed_gives_the_same_dataset_and_another_seed_does_not():
    a, b = dataset.make_dataset(30, seed=7), dataset.make_dataset(30, seed=7)
    c = dataset.make_dataset(30, seed=8)
    for key in ("images", "faces", "angles"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["angles"], c["angles"])


def test_dataset_arrays_have_the_documented_shapes_and_ranges():
    d = dataset.make_dataset(200, seed=0)
    assert d["images"].shape == (200, 32, 32) and d["images"].dtype == np.uint8
    assert set(np.unique(d["faces"])) == {1, 2, 3, 4, 5, 6}
    assert d["angles"].min() >= -90 and d["angles"].max() < 90
    np.testing.assert_array_equal(d["images"][5], dataset.render(d["faces"][5], d["angles"][5]))


@pytest.mark.parametrize("face", range(1, 7))
def test_every_clean_render_shows_as_many_pips_as_its_face(face):
    counts = [count_pips(dataset.render(face, a)) for a in ANGLES]
    assert counts == [face] * len(ANGLES)


@pytest.mark.parametrize("face", range(1, 7))
def test_no_angle_clips_the_die(face):
    images = dataset.render_batch(np.full(len(ANGLES), face), ANGLES)  # (24, 32, 32)
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], 1)
    assert border.max() == 0


@pytest.mark.parametrize("face", range(1, 7))
def test_minus_90_is_a_quarter_turn_clockwise_and_equals_plus_90(face):
    upright = dataset.render(face, 0.0)
    np.testing.assert_array_equal(dataset.render(face, -90.0), np.rot90(upright, k=-1))
    np.testing.assert_array_equal(np.rot90(upright, k=-1), np.rot90(upright, k=1))  # = +90


@pytest.mark.parametrize("face", [1, 4, 5])
def test_faces_with_quarter_turn_symmetry_repeat_every_90_degrees(face):
    for a in (-80.0, -33.3, -5.0):
        np.testing.assert_array_equal(dataset.render(face, a), dataset.render(face, a + 90))


@pytest.mark.parametrize("face", [2, 3, 6])
def test_other_faces_change_under_a_quarter_turn(face):
    assert not np.array_equal(dataset.render(face, -30.0), dataset.render(face, 60.0))


def test_latent_is_angle_over_90():
    np.testing.assert_allclose(dataset.angle_to_latent(np.array([-90.0, 0.0, 45.0])), [-1, 0, 0.5])


@pytest.mark.parametrize("face, angle", [(0, 0.0), (7, 0.0), (3, 90.0), (3, -90.5)])
def test_render_rejects_bad_faces_and_angles(face, angle):
    with pytest.raises(ValueError):
        dataset.render(face, angle)


def test_dataset_command_writes_npz_and_preview(tmp_path):
    out, preview = tmp_path / "d.npz", tmp_path / "d.png"
    assert main(["dataset", "--n", "12", "--seed", "3", "--out", str(out),
                 "--preview", str(preview)]) == 0
    loaded = dataset.load_dataset(out)
    np.testing.assert_array_equal(loaded["images"], dataset.make_dataset(12, 3)["images"])
    assert preview.stat().st_size > 0


def test_cached_dataset_matches_a_fresh_one(tmp_path):
    first = dataset.cached_dataset(10, 4, cache=tmp_path)
    again = dataset.cached_dataset(10, 4, cache=tmp_path)  # read back from disk
    np.testing.assert_array_equal(first["images"], again["images"])
    np.testing.assert_array_equal(again["images"], dataset.make_dataset(10, 4)["images"])
