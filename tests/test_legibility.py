"""The legibility judge (host/pipdream/legibility.py): it counts pips the way a person does.

It must pass every ground-truth render, at every angle, greyscale and on the display, and
must fail the defects a person sees first: two pips bridged into a bar, pips touching,
a faint, missing or open pip, an extra blot, a die with no body of its own.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from pipdream import dataset, evalnet, evaluate, legibility, paths
from support.device import DEVICE

sys.path.insert(0, str(DEVICE))
import pdsettings  # noqa: E402 - the app's own settings
import pdview  # noqa: E402 - the app's own drawing


def bfs_components(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """(H, W) bool -> (H, W) int: -1 off the mask, 0..k-1 per component (a plain flood fill)."""
    steps = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if connectivity == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    h, w = mask.shape
    out = np.full((h, w), -1)
    k = 0
    for y0, x0 in zip(*np.nonzero(mask)):
        if out[y0, x0] >= 0:
            continue
        out[y0, x0] = k
        queue = deque([(y0, x0)])
        while queue:
            y, x = queue.popleft()
            for dy, dx in steps:
                ny, nx = y + dy, x + dx
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and out[ny, nx] < 0:
                    out[ny, nx] = k
                    queue.append((ny, nx))
        k += 1
    return out


def render(face: int, angle: float) -> np.ndarray:
    return dataset.render(face, angle).copy()  # (32, 32) uint8


def pip_centres(image: np.ndarray) -> np.ndarray:
    """(k, 2) float (row, column) centroids of the judge's pips, in its order."""
    holes = legibility.hole_labels(image[None])[0]
    return np.array([np.argwhere(holes == i).mean(0) for i in range(1, holes.max() + 1)])


def neighbours(centres: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of pips at the smallest spacing (the two pips a bar most easily joins)."""
    d = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    near = d[d > 0].min() * 1.2
    return [(i, j) for i in range(len(centres)) for j in range(i + 1, len(centres)) if d[i, j] < near]


def draw_bar(image: np.ndarray, p: np.ndarray, q: np.ndarray, value: int = 40, half: float = 0.8) -> None:
    """Darken every pixel within `half` of the segment p-q (a bar about 2 px wide)."""
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]]
    pts = np.stack([yy, xx], -1).astype(float)  # (H, W, 2)
    t = np.clip(((pts - p) @ (q - p)) / ((q - p) @ (q - p)), 0, 1)
    dist = np.linalg.norm(pts - (p + t[..., None] * (q - p)), axis=-1)
    image[dist <= half] = value


def reading(image: np.ndarray) -> tuple[int, int, bool]:
    c = legibility.count(image[None])
    return int(c.pips[0]), int(c.specks[0]), bool(c.touching[0])


def legible(image: np.ndarray, face: int) -> bool:
    """The verdict on the greyscale image, checked equal on the display's picture."""
    grey = bool(legibility.is_legible(image[None], [face])[0])
    shown = bool(legibility.is_legible(legibility.display_bits(image[None]), [face])[0])
    assert grey == shown
    return grey


# ---- the counting machinery ----------------------------------------------------------------------

@pytest.mark.parametrize("connectivity", [4, 8])
def test_label_finds_the_components_a_flood_fill_finds(connectivity):
    rng = np.random.default_rng(connectivity)
    masks = np.concatenate([rng.random((40, 13, 17)) < p for p in (0.3, 0.45, 0.6, 0.75)])
    ids = legibility.label(masks, connectivity)
    assert ids.shape == masks.shape and (ids[~masks] == -1).all() and (ids[masks] >= 0).all()
    per_image = (masks.shape[1] + 2) * (masks.shape[2] + 2)
    for i, mask in enumerate(masks):
        ref = bfs_components(mask, connectivity)
        pairs = set(zip(ids[i][mask], ref[mask]))  # a bijection iff the partitions are equal
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}) == ref.max() + 1
        assert all(a // per_image == i for a, _ in pairs)  # the id tells the image


def test_the_threshold_and_the_scale_are_the_apps():
    assert legibility.THRESHOLD == pdsettings.THRESHOLD == 128
    (slot,) = pdview.layout(128, 64, 1)
    assert legibility.DISPLAY_SCALE == slot.scale == 2


def test_display_bits_are_what_the_oled_shows():
    rng = np.random.default_rng(1)
    images = np.concatenate([
        dataset.render_batch(np.array([6, 3]), np.array([47.0, -12.5])),
        rng.integers(120, 137, (2, 32, 32), dtype=np.uint8),  # around the threshold
        rng.integers(0, 256, (2, 32, 32), dtype=np.uint8),
    ])
    bits = legibility.display_bits(images)  # (6, 64, 64)
    for img, shown in zip(images, bits):
        drawn = np.frombuffer(pdview.render_bits(bytes(img), scale=2), np.uint8).reshape(64, 64)
        np.testing.assert_array_equal(shown == 255, drawn == 1)
    np.testing.assert_array_equal(bits[:, ::2, ::2], evalnet.binarise(images))


# ---- validation: every ground-truth die is legible ------------------------------------------------

def test_every_dataset_render_is_legible_greyscale_and_on_the_display():
    """6,000 random (face, angle) pairs, the same ones `pipdream evaluate` draws (seed 0)."""
    d = dataset.make_dataset(6000, seed=0)
    c = legibility.count(d["images"])
    np.testing.assert_array_equal(c.pips, d["faces"])
    assert c.specks.sum() == 0 and not c.touching.any()
    report = legibility.judge(d["images"], d["faces"])
    assert report["legible"] == report["legible_1bit"] == 1.0
    assert set(report["legible_by_face"].values()) == {1.0}


def test_every_face_at_every_half_degree_is_legible():
    angles = np.arange(-90.0, 90.0, 0.5)  # (360,) includes 0, +-45 and -90 exactly
    faces = np.repeat(np.arange(1, 7), len(angles))
    images = dataset.render_batch(faces, np.tile(angles, 6))
    assert legibility.is_legible(images, faces).all()
    assert legibility.is_legible(legibility.display_bits(images), faces).all()


@pytest.mark.parametrize("threshold", [16, 64, 96, 160, 208])
def test_renders_stay_legible_far_from_the_threshold_of_128(threshold):
    """The judge's verdict on a clean die does not hang on the exact threshold."""
    d = dataset.make_dataset(600, seed=3)
    assert legibility.is_legible(d["images"], d["faces"], threshold).all()


def test_the_rendered_pips_are_far_larger_than_a_speck():
    d = dataset.make_dataset(600, seed=4)
    holes = legibility.hole_labels(d["images"])
    areas = np.concatenate([np.bincount(h.ravel())[1:] for h in holes])
    assert areas.min() >= 3 * legibility.MIN_PIP_AREA  # 14 px at least; a speck is under 4


# ---- the defects it is for -------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 5.0, 30.0, 48.0, -72.0, -90.0])
def test_a_six_with_two_pips_bridged_into_a_bar_is_not_legible(angle):
    clean = render(6, angle)
    centres = pip_centres(clean)
    pairs = neighbours(centres)
    assert len(centres) == 6 and len(pairs) >= 4 and legible(clean, 6)
    for i, j in pairs:
        bridged = clean.copy()
        draw_bar(bridged, centres[i], centres[j])
        assert reading(bridged) == (5, 0, False), (i, j)
        assert not legible(bridged, 6)


def test_a_one_pixel_bridge_is_enough_to_make_a_bar():
    six = render(6, 0.0)
    (r1, c1), (r2, c2) = pip_centres(six)[[0, 2]].round().astype(int)  # the left column's top two
    assert c1 == c2
    six[min(r1, r2) : max(r1, r2) + 1, c1] = 0
    assert reading(six) == (5, 0, False) and not legible(six, 6)


def test_pips_touching_only_at_a_corner_count_as_two_but_are_not_separate():
    img = np.zeros((20, 20), np.uint8)
    img[3:17, 3:17] = 255  # the body
    img[6:9, 6:9] = 0
    img[9:12, 9:12] = 0  # meets the first pip at one corner
    assert reading(img) == (2, 0, True)
    assert not legible(img, 2)
    img[9:12, 9:12] = 255
    img[10:13, 10:13] = 0  # one pixel of body between them
    assert reading(img) == (2, 0, False) and legible(img, 2)


def test_a_pip_open_to_the_outside_is_not_a_pip():
    six = render(6, 0.0)
    r, c = pip_centres(six)[0].round().astype(int)
    six[r, : c + 1] = 0  # a dark channel from the pip through the body's edge
    assert reading(six) == (5, 0, False) and not legible(six, 6)


def test_a_pip_meeting_the_outline_at_a_corner_is_not_separate():
    img = np.zeros((20, 20), np.uint8)
    img[3:17, 3:17] = 255
    img[3:6, 3:6] = 0  # a pip in the body's top-left corner ...
    img[3:6, 3] = 255
    img[3, 3:6] = 255
    img[3, 3] = 0  # ... meeting the outside only diagonally
    assert reading(img)[2] and not legible(img, 1)


@pytest.mark.parametrize("grey", [129, 150, 200, 255])
def test_a_faint_or_missing_pip_is_not_counted(grey):
    six = render(6, 30.0)
    holes = legibility.hole_labels(six[None])[0]
    six[holes == 3] = grey
    assert reading(six) == (5, 0, False) and not legible(six, 6)


def test_a_pip_faded_to_a_speck_is_not_a_pip():
    six = render(6, 30.0)
    holes = legibility.hole_labels(six[None])[0]
    r, c = np.argwhere(holes == 3).mean(0).round().astype(int)
    six[holes == 3] = 180
    six[r, c] = 60  # one dark pixel left: a 2x2 dot on the OLED where a pip should be
    assert reading(six) == (5, 1, False) and not legible(six, 6)


def test_an_extra_blot_or_a_speck_spoils_a_face():
    one = render(1, 0.0)
    assert legible(one, 1)
    blot = one.copy()
    blot[9:12, 9:12] = 30  # a pip-sized blot where no pip belongs (4.5 px pips)
    blot[9, 9] = 255
    assert reading(blot) == (2, 0, False) and not legible(blot, 1)
    speck = one.copy()
    speck[10, 10] = 30
    assert reading(speck) == (1, 1, False) and not legible(speck, 1)


def test_a_die_touching_the_image_border_has_no_body_and_no_pips():
    five = render(5, 0.0)
    shifted = np.zeros_like(five)
    shifted[:, :-5] = five[:, 5:]  # the body now reaches the left edge
    assert reading(shifted) == (0, 0, False) and not legible(shifted, 5)
    for blank in (np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8)):
        assert reading(blank) == (0, 0, False)


def test_the_body_is_the_largest_bright_region():
    img = np.zeros((40, 40), np.uint8)
    img[4:12, 4:12] = 255  # a small bright square with one hole
    img[7:9, 7:9] = 0
    img[16:36, 16:36] = 255  # the die, larger, with three
    for r, c in ((19, 19), (25, 25), (31, 31)):
        img[r : r + 3, c : c + 3] = 0
    assert reading(img) == (3, 0, False)


def test_greyscale_and_display_readings_agree_image_for_image():
    """Defective images too: one threshold, and 2x scaling keeps every component and hole."""
    d = dataset.make_dataset(300, seed=5)
    rng = np.random.default_rng(5)
    noisy = np.clip(d["images"] + rng.normal(0, 60, d["images"].shape), 0, 255).astype(np.uint8)
    grey, shown = legibility.count(noisy), legibility.count(legibility.display_bits(noisy))
    for a, b in zip(grey, shown):
        np.testing.assert_array_equal(a, b)
    assert (grey.pips != d["faces"]).any() and grey.specks.any() and grey.touching.any()  # defects seen


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: legibility.count(np.zeros((2, 32, 32), np.float32)), "uint8"),
        (lambda: legibility.count(np.zeros((32, 32), np.uint8)), "(N, H, W)"),
        (lambda: legibility.is_legible(np.zeros((2, 32, 32), np.uint8), [1, 2, 3]), "2 images"),
        (lambda: legibility.label(np.zeros((1, 4, 4), bool), 6), "connectivity"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


# ---- in the evaluation, and the shipped models' figures --------------------------------------------

def test_evaluate_reports_legibility_beside_accuracy():
    r = evaluate.evaluate("checkpoint", paths.DECODER_PT, n=60, seed=1)
    assert {"accuracy", "accuracy_1bit", "legible", "legible_1bit"} <= r.keys()
    assert 0 <= r["legible"] <= 1 and r["legible"] == r["legible_1bit"]
    assert list(r["legible_by_face"]) == ["1", "2", "3", "4", "5", "6"]


@cache
def judged(checkpoint: Path, n: int, seed: int) -> dict:
    """The judge's report on a float model's n random dice (the pairs evaluate draws)."""
    faces, angles = dataset.sample_labels(n, np.random.default_rng(seed))
    images = evaluate.images_from_checkpoint(checkpoint, faces, dataset.angle_to_latent(angles))
    return legibility.judge(images, faces)


@pytest.mark.parametrize(
    "checkpoint, metrics, prefix",
    [("decoder.pt", "decoder_metrics.json", ""), ("decoder.pt", "default_metrics.json", "float_"),
     ("fast_decoder.pt", "fast_metrics.json", "float_")],
)
def test_the_float_models_legibility_in_the_metrics_files_is_recomputed(repo_root, checkpoint, metrics,
                                                                        prefix):
    """The blobs' own figures are recomputed with their other metrics (test_quantize.py)."""
    m = json.loads((repo_root / "models" / metrics).read_text())
    again = judged(repo_root / "models" / checkpoint, m["n"], m["seed"])
    for key in ("legible", "legible_1bit", "legible_by_face", "legible_1bit_by_face"):
        assert m[prefix + key] == pytest.approx(again[key], rel=1e-12), key
