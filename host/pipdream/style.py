"""A die style is data: a TOML file of a few scales (styles/shipped.toml is the shipped die).

    from pipdream import style
    s = style.load("mine.toml")       # ValueError in one line: unknown key, value out of range
    s.digest()                        # names its cached renders (dataset.cached_dataset)

The geometry the scales multiply is dataset.py's; the checks below keep every pip inside
the body and apart from its neighbours, and every angle's die inside the canvas.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as a package (pyproject.toml)
    import tomli as tomllib

SHIPPED_FILE = Path(__file__).with_name("styles") / "shipped.toml"
# Each scale's range (inclusive); the geometric checks in check() bound their combinations.
RANGES = {"pip_scale": (0.7, 1.35), "corner_scale": (0.0, 2.0), "body_scale": (0.8, 1.0)}


@dataclass(frozen=True)
class Style:
    pip_scale: float = 1.0
    corner_scale: float = 1.0
    body_scale: float = 1.0
    invert: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def digest(self) -> str:
        """12 hex digits naming this style's renders (with the drawing code: dataset.py)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def describe(self) -> str:
        return ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
                         for k, v in self.to_dict().items())


def parse(text: str, source: str = "style", geometric: bool = True) -> Style:
    """TOML text -> a checked Style (ValueError naming the source and the key)."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source} is not valid TOML: {exc}") from None
    known = {f.name: f.type for f in fields(Style)}
    for key, value in table.items():
        if key not in known:
            raise ValueError(f"{source}: unknown key {key!r}; the keys are {', '.join(known)}")
        if key == "invert":
            if not isinstance(value, bool):
                raise ValueError(f"{source}: invert must be true or false, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{source}: {key} must be a number, got {value!r}")
        else:
            lo, hi = RANGES[key]
            if not lo <= value <= hi:
                raise ValueError(f"{source}: {key} must be {lo}..{hi}, got {value}")
    s = Style(**{k: (v if k == "invert" else float(v)) for k, v in table.items()})
    if geometric:
        check(s, source)
    return s


def load(path: str | Path) -> Style:
    """A style file -> Style (missing keys: the shipped values)."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read style file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse(text, f"style file {path}")


def check(s: Style, source: str = "style") -> None:
    """The combinations the ranges alone allow but the die does not (ValueError, one line)."""
    from pipdream import dataset  # its geometry; it imports this module

    g = dataset.geometry(s)
    if g.reach > dataset.REACH_MAX:
        raise ValueError(f"{source}: the die reaches {g.reach:.1f} px from the centre at 45 degrees, "
                         f"past the canvas ({dataset.REACH_MAX}): lower body_scale or raise corner_scale")
    if g.pip_gap < dataset.MIN_GAP:
        raise ValueError(f"{source}: pips {g.pip_gap:.1f} px apart in a six (at least {dataset.MIN_GAP} "
                         "of the 128-px drawing): lower pip_scale")
    if g.pip_margin < dataset.MIN_GAP:
        raise ValueError(f"{source}: a corner pip comes within {g.pip_margin:.1f} px of the outline "
                         f"(at least {dataset.MIN_GAP}): lower pip_scale or corner_scale")


# The shipped file's scales pass check() (tests/test_style.py); dataset.py, which check()
# reads, imports this module, so the check cannot run here.
SHIPPED = parse(SHIPPED_FILE.read_text(), str(SHIPPED_FILE), geometric=False)
