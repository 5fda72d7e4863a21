"""Ground-truth dice: render a face at an angle, 32x32 greyscale (docs/dataset.md).

A die is drawn at 128x128 with Pillow (white rounded body, black pips),
rotated about the image centre, then box-filtered down by 4 to 32x32.
Angles are degrees in [-90, 90); the decoder latent is angle / 90.
A style (style.py, a TOML file) scales the geometry below; None is the shipped one.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from pipdream import paths
from pipdream import style as styles
from pipdream.blob import format as F
from pipdream.style import Style

SIZE = F.OUT_H  # output side (square: OUT_W too)
RENDER = 128  # drawing side; RENDER // SIZE is the box-filter factor
ANGLE_MIN, ANGLE_MAX = -90.0, 90.0  # half-open range [ANGLE_MIN, ANGLE_MAX)

# Geometry in 128-pixel index coordinates, centred on 63.5 so that every shape is
# exactly symmetric under a 180-degree turn of the pixel grid (then -90 == +90).
_CENTRE = (RENDER - 1) / 2
_BODY_HALF = 47  # body spans pixels 17..110: 94 px, 73% of the canvas
_CORNER = 16  # rounded corner radius
_PIP_OFFSET = 26  # pip centres sit at centre +- 0 or 26
_PIP_RADIUS = 8.5  # 18 px wide pips: 4.5 px at 32x32, gaps of 2 px in a 6

# Farthest body point from the centre, at 45 degrees: it must stay inside the canvas
# for every angle, which is why the body size is constant and no angle clips.
BODY_REACH = (_BODY_HALF - _CORNER) * 2**0.5 + _CORNER  # 59.8 < 64
# A style's die reaches no farther (style.check): at 32x32 that is 15 px, where the image's
# outer ring of pixels begins, which the judge reads as background.
REACH_MAX = 60.0
MIN_GAP = 3.0  # 128-px drawing: the least gap between pips, and from a pip to the outline


class Geometry(NamedTuple):
    """A style's die in 128-pixel units."""

    body_half: float
    corner: float
    pip_offset: float
    pip_radius: float
    reach: float  # the farthest body point from the centre (at 45 degrees)
    pip_gap: float  # between neighbouring pips of a six's column
    pip_margin: float  # from a corner pip to the outline


def geometry(s: Style | None = None) -> Geometry:
    """The shipped geometry under a style. The whole die (body, pips, spacing) is scaled so
    that its farthest point reaches as far as the shipped die's times body_scale: a squarer
    corner reaches farther at 45 degrees, so its die is a little smaller."""
    s = s or styles.SHIPPED
    k0, k = _CORNER / _BODY_HALF, _CORNER * s.corner_scale / _BODY_HALF  # corner / half side
    b = s.body_scale * ((1 - k0) * 2**0.5 + k0) / ((1 - k) * 2**0.5 + k)  # exactly 1.0 when shipped
    half, corner, radius = _BODY_HALF * b, _CORNER * s.corner_scale * b, _PIP_RADIUS * s.pip_scale * b
    # Bigger pips move out by what their radius grew, so that a six's column keeps a gap the
    # 32x32 image resolves; in whole pixels, as _upright moves one pip.
    offset = round(_PIP_OFFSET * b + max(0.0, radius - _PIP_RADIUS * b))
    reach = (half - corner) * 2**0.5 + corner
    inner = half - corner  # the corner arc's centre, on both axes
    to_outline = half - offset  # a corner pip's centre to the straight edges
    if offset > inner:  # the pip sits in the corner's square: its distance to the arc counts
        to_outline = min(to_outline, corner - (offset - inner) * 2**0.5)
    return Geometry(half, corner, offset, radius, reach, offset - 2 * radius, to_outline - radius)


# Pip centres as (column, row) offsets in units of _PIP_OFFSET; y grows downward.
PIPS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((0, 0),),
    2: ((-1, -1), (1, 1)),
    3: ((-1, -1), (0, 0), (1, 1)),
    4: ((-1, -1), (1, -1), (-1, 1), (1, 1)),
    5: ((-1, -1), (1, -1), (0, 0), (-1, 1), (1, 1)),
    6: ((-1, -1), (-1, 0), (-1, 1), (1, -1), (1, 0), (1, 1)),
}


def _symmetric(mask: np.ndarray) -> np.ndarray:
    """(RENDER, RENDER) bool -> the pixels on in all 8 of its mirror and quarter-turn images
    about the centre. Pillow's rasteriser is not exactly symmetric at fractional sizes; the
    mirror fold needs every shape to be (the shipped shapes already are: this changes none)."""
    out = mask.copy()
    for a in (mask, mask.T):
        for view in (a, a[::-1], a[:, ::-1], a[::-1, ::-1]):
            out &= view
    return out


def _shape(draw_it) -> np.ndarray:
    """A symmetric (RENDER, RENDER) bool mask of one shape centred on the canvas."""
    img = Image.new("L", (RENDER, RENDER), 0)
    draw_it(ImageDraw.Draw(img))
    return _symmetric(np.asarray(img) > 127)


@cache
def _upright(face: int, s: Style) -> Image.Image:
    """The 128x128 unrotated die for a face ("L" mode), never inverted."""
    g = geometry(s)
    lo, hi = _CENTRE - g.body_half + 0.5, _CENTRE + g.body_half - 0.5
    body = _shape(lambda d: d.rounded_rectangle((lo, lo, hi, hi), radius=g.corner, fill=255))
    r = g.pip_radius
    pip = _shape(lambda d: d.ellipse((_CENTRE - r, _CENTRE - r, _CENTRE + r, _CENTRE + r), fill=255))
    for dx, dy in PIPS[face]:  # whole-pixel offsets: each pip is the centred one moved
        body &= ~np.roll(pip, (dy * g.pip_offset, dx * g.pip_offset), axis=(0, 1))
    return Image.fromarray(np.where(body, 255, 0).astype(np.uint8))


def check_face_angle(face: int, angle_deg: float) -> None:
    """Raise ValueError unless face is 1..6 and angle is in [-90, 90)."""
    if face not in PIPS:
        raise ValueError(f"face must be 1..6, got {face}")
    if not ANGLE_MIN <= angle_deg < ANGLE_MAX:
        raise ValueError(f"angle must be in [-90, 90) degrees, got {angle_deg}")


def render(face: int, angle_deg: float, s: Style | None = None) -> np.ndarray:
    """One die: face 1..6 turned counter-clockwise by angle_deg -> (32, 32) uint8.
    An inverted style is the complement: a dark body with bright pips on a bright field."""
    check_face_angle(int(face), float(angle_deg))
    s = s or styles.SHIPPED
    # Default centre = (64, 64) in continuous coordinates, the true canvas centre;
    # multiples of 90 degrees become exact transposes.
    big = _upright(int(face), s).rotate(float(angle_deg), resample=Image.BICUBIC, fillcolor=0)
    out = np.asarray(big.reduce(RENDER // SIZE), dtype=np.uint8)
    return 255 - out if s.invert else out


def render_batch(faces: np.ndarray, angles_deg: np.ndarray, s: Style | None = None) -> np.ndarray:
    """faces (N,) ints 1..6, angles (N,) degrees -> (N, 32, 32) uint8."""
    faces, angles_deg = np.asarray(faces), np.asarray(angles_deg)
    if faces.shape != angles_deg.shape or faces.ndim != 1:
        raise ValueError(f"faces {faces.shape} and angles {angles_deg.shape} must be equal 1-D")
    out = np.empty((len(faces), SIZE, SIZE), np.uint8)  # (N, 32, 32)
    for i, (f, a) in enumerate(zip(faces, angles_deg)):
        out[i] = render(int(f), float(a), s)
    return out


def sample_labels(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n uniform random faces (N,) int64 in 1..6 and angles (N,) float32 in [-90, 90)."""
    faces = rng.integers(1, 7, size=n)
    angles = rng.uniform(ANGLE_MIN, ANGLE_MAX, size=n).astype(np.float32)
    # float32 rounding can land exactly on +90; fold it back into the range.
    angles[angles >= ANGLE_MAX] = ANGLE_MIN
    return faces, angles


def make_dataset(n: int, seed: int, s: Style | None = None) -> dict[str, np.ndarray]:
    """n random dice, deterministic for a seed: images (N,32,32) uint8, faces, angles."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    faces, angles = sample_labels(n, np.random.default_rng(seed))
    return {"images": render_batch(faces, angles, s), "faces": faces, "angles": angles}


def fold_angles(faces: np.ndarray, angles_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mirror fold in degrees (device/pdblob.py fold, on codes, is the definition; the
    tests check the two agree on every code): (N,) faces and angles -> the angles a folded
    model draws (float32) and which images are shown mirrored left-right (bool).

    A die mirrored left-right is the same face at another angle (exact in the renders):
    faces 1, 4, 5 (square) fold into [0, 45], 2 and 3 (diagonal: mirror turns a into 90 - a)
    into [-45, 45], 6 (two columns: mirror turns a into -a) into [0, 90]."""
    f, a = np.asarray(faces), np.asarray(angles_deg, np.float64)
    square, diagonal = np.isin(f, (1, 4, 5)), np.isin(f, (2, 3))
    neg, big = a < 0, np.abs(a) > 45
    out = np.where(square, np.where(big, 90 - np.abs(a), np.abs(a)),
                   np.where(diagonal, np.where(a > 45, 90 - a, np.where(a < -45, -90 - a, a)), np.abs(a)))
    mirror = np.where(square, neg ^ big, np.where(diagonal, big, neg))
    return out.astype(np.float32), mirror


FOLD_TOLERANCE = 1  # grey levels: what Pillow's rotation may round differently in a mirror


class FoldCheck(NamedTuple):
    dice: int  # of the 1,530 (face, angle code) dice, those not equal to their folded mirror
    worst: int  # the largest difference, grey levels

    @property
    def holds(self) -> bool:
        """A model of the style may be folded: no die is more than FOLD_TOLERANCE off."""
        return self.worst <= FOLD_TOLERANCE


def fold_check(s: Style | None = None) -> FoldCheck:
    """Does the mirror fold hold for a style's renders: each of the 1,530 (face, angle code)
    dice against the mirror image of the die at its folded angle. The angle codes are the
    blob's (code / 127 is angle / 90; code 127 is -90 degrees, the same die). The shipped
    die's agree exactly; some other sizes have a few dice 1 grey level off at some angles
    (Pillow's bicubic rotation rounding a tie the other way), which a fold may ignore."""
    codes = np.arange(-127, 128)
    faces = np.repeat(np.arange(1, 7), len(codes))  # (1530,)
    degrees = np.tile(codes * 90.0 / 127, 6)
    degrees[degrees >= ANGLE_MAX] -= 180.0
    angles, mirror = fold_angles(faces, degrees)
    angles = np.where(angles >= ANGLE_MAX, angles - 180.0, angles)  # a six's 90 is -90
    want = render_batch(faces, degrees, s).astype(np.int16)
    got = render_batch(faces, angles, s).astype(np.int16)
    got[mirror] = got[mirror][:, :, ::-1]
    diff = np.abs(got - want)
    return FoldCheck(int(diff.any(axis=(1, 2)).sum()), int(diff.max()))


def folded(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A dataset as a folded model learns it: angles folded, those dice mirrored (exact)."""
    angles, mirror = fold_angles(data["faces"], data["angles"])
    images = data["images"].copy()
    images[mirror] = images[mirror][:, :, ::-1]
    return {"images": images, "faces": data["faces"], "angles": angles}


def angle_to_latent(angle_deg: np.ndarray | float) -> np.ndarray | float:
    """Degrees in [-90, 90) -> decoder latent in [-1, 1)."""
    return np.asarray(angle_deg, dtype=np.float32) / np.float32(90.0)


def save_dataset(path: str | Path, data: dict[str, np.ndarray]) -> None:
    np.savez_compressed(path, **data)


def load_dataset(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in ("images", "faces", "angles")}


def renders_key(s: Style | None = None) -> str:
    """What names a style's cached renders: a hash of the style and of this file, the
    drawing code itself, so neither an edit here nor another style is ever served stale."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"{(s or styles.SHIPPED).digest()}_{code}"


def cached_dataset(n: int, seed: int, cache: Path | None = None,
                   s: Style | None = None) -> dict[str, np.ndarray]:
    """make_dataset(n, seed, s), kept on disk: rendering costs about 0.4 ms per die."""
    cache = cache or paths.cache_dir()
    path = cache / f"dice_{renders_key(s)}_n{n}_s{seed}.npz"
    if path.exists():
        return load_dataset(path)
    data = make_dataset(n, seed, s)
    cache.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: two runs filling the cache at once must not share a file.
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    save_dataset(tmp, data)
    tmp.replace(path)  # atomic, so a stopped run never leaves a half-written cache
    return data
