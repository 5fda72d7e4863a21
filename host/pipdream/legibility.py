"""The legibility judge: count a die's pips the way a person does, with no learned parts.

The evaluation CNN (evalnet.py) recognises the pattern of a face even when two pips have
run into a bar; a person counts the separate dots. This judge counts them:

1. threshold: a pixel is bright when grey >= THRESHOLD (128), the rule the OLED uses
   (device/pdsettings.py THRESHOLD, device/pdview.py pixel_on);
2. the die body is the largest bright component, 8-connected, that does not touch the
   image border (the border belongs to the background);
3. the holes are the 4-connected regions of everything that is not body which the body
   encloses (they do not reach the border); a hole of at least MIN_PIP_AREA pixels (a
   quarter of a true pip) is a pip, a smaller one a speck. Dark 4-connectivity pairs with
   bright 8-connectivity, so pips meeting only at a corner count as two, not one;
4. a face is legible when the pips number the face, there is no speck, and every pip is
   separate: no two pips, and no pip and the outside, meet even at a corner.

So a pip bridged into its neighbour counts once (a bar); two pips pinched together at one
corner are two pips but not separate; a pip open to the outside is no pip; a faint pip is
not there (all of it >= 128) or a speck (a few pixels < 128); an extra blot is one pip too
many; a die with no body of its own (nothing bright, or only bright regions that touch the
border) has no pips.

`legible_1bit` judges the display's own picture: each pixel lit or not as above, drawn
2x2 (display_bits; the minimum pip area scales with it). With one fixed threshold the lit
set is the greyscale judge's bright set and 2x nearest-neighbour scaling keeps every
component, hole and corner contact, so the two agree image for image; the 1-bit run
checks that on what the OLED shows (it would differ with another THRESHOLD or dither).

    from pipdream import legibility
    c = legibility.count(images)                # c.pips, c.specks (N,) int, c.touching (N,) bool
    ok = legibility.is_legible(images, faces)    # (N,) bool
    report = legibility.judge(images, faces)     # legible, legible_1bit, and each per face

A style (style.py) sets what the judge expects: the least pip area scales with the pip's,
and an inverted style (a dark body with bright pips) is judged on its complement.

docs/training.md ("The legibility judge") has its validation and the shipped models' figures.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipdream.blob import format as F
from pipdream.style import Style

THRESHOLD = 128  # device/pdsettings.py THRESHOLD: the OLED lights a pixel when grey >= 128
DISPLAY_SCALE = 2  # device/pdview.py: each model pixel is a 2x2 block on the 128x64 OLED
SIZE = F.OUT_H  # model image side
# A hole smaller than this (model pixels) is a speck, not a pip: a quarter of a true pip,
# whose rendered area is 14..21 px at threshold 128 and never under 8 at any threshold
# from 16 to 240. A speck makes a face illegible (a faint pip, or dirt on the die).
MIN_PIP_AREA = 4
FACES = (1, 2, 3, 4, 5, 6)
_CHUNK = 1000  # images labelled at once (bounds the work arrays to some tens of MB)


def label(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Connected components of a batch of masks.

    mask (N, H, W) bool -> (N, H, W) int64: -1 off the mask; on it, a component id shared
    by exactly the pixels of one component (4- or 8-connected), unique across the batch.
    The id is the flat index of the component's first pixel (row-major) in the batch padded
    by one pixel on every side, so id // ((H + 2) * (W + 2)) is the image.

    Union-find on horizontal runs: a run joins a run of the next row where they overlap
    (or, 8-connected, meet at a corner); one link per pair of runs suffices.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 3:
        raise ValueError(f"expected (N, H, W) masks, got shape {mask.shape}")
    n, h, w = mask.shape
    flat = np.pad(mask, ((0, 0), (1, 1), (1, 1))).ravel()  # (N * (H+2) * (W+2),): nothing wraps
    wp, size = w + 2, len(flat)
    ext = np.concatenate([[False], flat, np.zeros(wp + 1, bool)])

    def on(k: int) -> np.ndarray:
        """(size,) bool: is pixel p + k on the mask (False past either end)."""
        return ext[1 + k : 1 + k + size]

    starts = flat & ~on(-1)  # the first pixel of each run
    run = np.cumsum(starts) - 1  # (size,) the run of each pixel on the mask, in row-major order
    first_pixel = np.flatnonzero(starts)  # (R,) each run's first pixel
    below = on(wp)
    links = [flat & below & ~(on(-1) & on(wp - 1))]  # the leftmost column where a run meets one below
    offsets = [wp]
    if connectivity == 8:  # corners: only where the other diagonal is off, else they already meet
        links += [flat & on(wp + 1) & ~on(1) & ~below, flat & on(wp - 1) & ~on(-1) & ~below]
        offsets += [wp + 1, wp - 1]
    a_parts, b_parts = [], []
    for link, off in zip(links, offsets):
        p = np.flatnonzero(link)
        a_parts.append(run[p])
        b_parts.append(run[p + off])
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)  # (E,) linked runs, a < b
    parent = np.arange(len(first_pixel))  # a forest of runs, parent <= self; roots: parent == self
    ra, rb = a, b  # every run starts as its own root
    while len(a):
        np.minimum.at(parent, rb, ra)  # hook the larger root under the smaller
        while True:  # pointer jumping until every run points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        ra, rb = parent[a], parent[b]  # roots now
        apart = ra != rb
        a, b = a[apart], b[apart]  # linked runs stay linked
        ra, rb = np.minimum(ra[apart], rb[apart]), np.maximum(ra[apart], rb[apart])
    ids = np.full(size, -1, np.int64)
    ids[flat] = first_pixel[parent][run[flat]]  # a root run starts its component
    return ids.reshape(n, h + 2, w + 2)[:, 1:-1, 1:-1]


def _border(h: int, w: int) -> np.ndarray:
    """(H, W) bool: the outermost ring of pixels."""
    ring = np.zeros((h, w), bool)
    ring[[0, -1], :] = True
    ring[:, [0, -1]] = True
    return ring


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or min(images.shape[1:]) < 3:
        raise ValueError(f"expected (N, H, W) images of at least 3x3, got shape {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got {images.dtype}")
    return images


def body_masks(images: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    """(N, H, W) uint8 -> (N, H, W) bool: each die's body (all False where there is none).

    The body is the largest 8-connected region of pixels >= threshold that does not touch
    the image border; of equal largest regions, the first in row-major order.
    """
    images = _check_images(images)
    n, h, w = images.shape
    ids = label(images >= threshold, 8)  # (N, H, W)
    size = (h + 2) * (w + 2)  # ids per image
    on = ids[ids >= 0]
    area = np.bincount(on, minlength=n * size)  # (N * size,) pixels per component id
    touches = np.zeros(n * size, bool)
    edge = ids[:, _border(h, w)]
    touches[edge[edge >= 0]] = True
    roots = np.flatnonzero((area > 0) & ~touches)  # candidate bodies, all images
    body = np.full(n, -2)  # -2: no body (never an id, never -1)
    if len(roots):
        order = np.lexsort((roots, -area[roots], roots // size))  # by image, largest first
        roots = roots[order]
        image = roots // size
        first = np.r_[True, image[1:] != image[:-1]]
        body[image[first]] = roots[first]
    return ids == body[:, None, None]


class Regions(NamedTuple):
    """What a batch of dice is made of, each (N, H, W)."""

    body: np.ndarray  # bool: the die body
    region: np.ndarray  # int64: -1 on the body; elsewhere the id of a 4-connected not-body region
    hole: np.ndarray  # bool: pixels of regions the body encloses (they do not reach the border)


def regions(images: np.ndarray, threshold: int = THRESHOLD) -> Regions:
    """Split (N, H, W) uint8 dice into body, outside and holes."""
    body = body_masks(images, threshold)
    n, h, w = body.shape
    region = label(~body, 4)  # every pixel is body or in exactly one region
    outside = np.unique(region[:, _border(h, w)])  # the regions reaching the border
    return Regions(body, region, ~body & ~np.isin(region, outside))


def hole_labels(images: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    """(N, H, W) uint8 -> (N, H, W) int64: 0 off the holes, 1..k on each image's k holes,
    numbered in row-major order of their first pixel."""
    r = regions(images, threshold)
    return _number_holes(r.region, r.hole)


def _number_holes(region: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = np.zeros(hole.shape, np.int64)
    if hole.any():
        _, dense = np.unique(region[hole], return_inverse=True)  # ids sorted: by image, row-major
        image = np.nonzero(hole)[0]  # (P,) the image of each hole pixel, ascending
        # The first hole pixel of an image (row-major) is its first hole's first pixel,
        # the smallest id of that image: subtract its dense number to start at 1.
        first = dense[np.searchsorted(image, image)]
        out[hole] = dense - first + 1
    return out


def corner_contacts(region: np.ndarray) -> np.ndarray:
    """(N, H, W) region ids (-1 on the body) -> (N,) bool: two different not-body regions
    (pips, or a pip and the outside) meet at a corner, with body on the other diagonal.

    Not-body pixels side by side are always one region, so a contact is a diagonal pair.
    """
    a, b = region[:, :-1, :-1], region[:, 1:, 1:]  # down-right pairs
    c, d = region[:, :-1, 1:], region[:, 1:, :-1]  # down-left pairs
    meet = ((a >= 0) & (b >= 0) & (a != b)) | ((c >= 0) & (d >= 0) & (c != d))
    return meet.any(axis=(1, 2))


def min_pip_area(height: int, style: Style | None = None) -> int:
    """Smallest pip, in pixels, for images `height` pixels tall (32: model, 64: display):
    a quarter of a true pip, whose area grows with the style's pip and body scales."""
    scale = 1.0 if style is None else (style.pip_scale * style.body_scale) ** 2
    return max(1, round(MIN_PIP_AREA * scale)) * max(1, height // SIZE) ** 2


def oriented(images: np.ndarray, style: Style | None = None) -> np.ndarray:
    """A style's images with the body bright, as the judge reads them (an inverted style's
    complement: 255 - x >= 128 exactly where x < 128, so the lit set is the complement)."""
    images = _check_images(images)
    return 255 - images if style is not None and style.invert else images


class Count(NamedTuple):
    """The judge's reading of N dice, each (N,)."""

    pips: np.ndarray  # int64: holes of at least min_pip_area pixels
    specks: np.ndarray  # int64: smaller holes (a faint pip, or dirt)
    touching: np.ndarray  # bool: some pip meets another pip, or the outside, at a corner


def count(images: np.ndarray, threshold: int = THRESHOLD, style: Style | None = None) -> Count:
    """(N, H, W) uint8 -> the pips, specks and corner contacts of each die (no body: none)."""
    images = oriented(images, style)
    n, h, _ = images.shape
    smallest = min_pip_area(h, style)
    pips, specks, touching = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
    for i in range(0, n, _CHUNK):
        part = slice(i, i + _CHUNK)
        r = regions(images[part], threshold)
        holes = _number_holes(r.region, r.hole)  # (n', H, W)
        k = int(holes.max(initial=0)) + 1
        where = np.arange(len(holes))[:, None, None] * k + holes
        area = np.bincount(where.ravel(), minlength=len(holes) * k).reshape(-1, k)[:, 1:]  # (n', k-1)
        pips[part] = (area >= smallest).sum(1)
        specks[part] = ((area > 0) & (area < smallest)).sum(1)
        touching[part] = corner_contacts(r.region)
    return Count(pips, specks, touching)


def count_pips(images: np.ndarray, threshold: int = THRESHOLD, style: Style | None = None) -> np.ndarray:
    """(N, H, W) uint8 -> (N,) int64: the pips a person counts (0 when there is no body)."""
    return count(images, threshold, style).pips


def display_bits(images: np.ndarray, threshold: int = THRESHOLD, scale: int = DISPLAY_SCALE) -> np.ndarray:
    """(N, 32, 32) uint8 -> (N, 32*scale, 32*scale) uint8, 255 lit / 0 dark: the OLED's die
    window in threshold mode (device/pdview.py render_bits, scaled like the app)."""
    images = _check_images(images)
    lit = np.where(images >= threshold, 255, 0).astype(np.uint8)
    return lit.repeat(scale, axis=1).repeat(scale, axis=2)


def is_legible(images: np.ndarray, faces: np.ndarray, threshold: int = THRESHOLD,
               style: Style | None = None) -> np.ndarray:
    """(N, H, W) uint8 and faces (N,) 1..6 -> (N,) bool: as many pips as the face, no
    specks, and every pip separate (no corner contact)."""
    faces = np.asarray(faces)
    if faces.shape != (len(images),):
        raise ValueError(f"{len(images)} images but faces of shape {faces.shape}")
    c = count(images, threshold, style)
    return (c.pips == faces) & (c.specks == 0) & ~c.touching


def judge(images: np.ndarray, faces: np.ndarray, style: Style | None = None) -> dict:
    """(N, 32, 32) uint8 greyscale images of faces (N,) -> the fractions judged legible.

    legible: on the greyscale images; legible_1bit: on the 2x 1-bit display pictures;
    *_by_face: the same per face ("1".."6"; None for a face with no images).
    """
    faces = np.asarray(faces)
    grey = is_legible(images, faces, style=style)
    bits = is_legible(display_bits(images), faces, style=style)

    def by_face(ok: np.ndarray) -> dict:
        return {str(f): (float(ok[faces == f].mean()) if (faces == f).any() else None) for f in FACES}

    return {
        "legible": float(grey.mean()), "legible_1bit": float(bits.mean()),
        "legible_by_face": by_face(grey), "legible_1bit_by_face": by_face(bits),
    }
