"""Loading the project's torch checkpoints, which carry a format tag and a version.

The file is recognised before torch reads it: a missing file, a directory, an empty
file, a model blob, a text file, someone else's checkpoint or another version is a
ValueError with one line naming the file, what it is and what was expected."""

from __future__ import annotations

from pathlib import Path

from pipdream import files

# format tag -> what messages call it (each tag is defined here once)
DECODER = "pipdream-decoder"
DECODER_Q = "pipdream-decoder-q"
EVAL = "pipdream-eval"
NAMES = {DECODER: "decoder checkpoint", DECODER_Q: "quantized checkpoint", EVAL: "eval CNN checkpoint"}
HINTS = {DECODER: " (pipdream train writes one)", DECODER_Q: " (pipdream quantize writes one)",
         EVAL: " (pipdream train-eval writes one)"}


def read(path: str | Path, what: str, hint: str = "") -> dict:
    """The dict torch.save wrote at `path`, once the file is known to be a torch checkpoint."""
    path = files.expect(path, "torch", what, hint)
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure: a file we cannot use
        first = (str(e).strip().splitlines() or [""])[0][:120]
        raise ValueError(f"{path} is a torch file pipdream cannot read, not {files.an(what)} "
                         f"({type(e).__name__}: {first})") from None
    if not isinstance(ckpt, dict):
        raise ValueError(f"{path} is a torch file holding a {type(ckpt).__name__}, not {files.an(what)}")
    return ckpt


def format_of(path: str | Path, fmts: tuple[str, ...], what: str, hint: str = "") -> str:
    """Which of the format tags `fmts` the checkpoint at path carries (ValueError otherwise)."""
    tag = read(path, what, hint).get("format")
    if tag in fmts:
        return tag
    if tag in NAMES:
        raise ValueError(f"{path} is a pipdream {NAMES[tag]}, not {files.an(what)}{hint}")
    raise ValueError(f"{path} is not a pipdream {what}: a torch file with no pipdream format tag")


def load_tagged(path: str | Path, fmt: str, version: int, what: str | None = None,
                hint: str | None = None) -> dict:
    """The checkpoint dict at `path` if its "format" is fmt and its "version" is version;
    `what` names the kind in messages (default NAMES[fmt]), `hint` (e.g. the command that
    makes one) follows the not-found message."""
    what = what or NAMES.get(fmt, fmt)
    hint = HINTS.get(fmt, "") if hint is None else hint
    ckpt = read(path, what, hint)
    tag = ckpt.get("format")
    if tag != fmt:
        if tag in NAMES:
            raise ValueError(f"{path} is a pipdream {NAMES[tag]}, not {files.an(what)}")
        raise ValueError(f"{path} is not a pipdream {what}")
    if ckpt.get("version") != version:
        raise ValueError(f"{path}: unsupported {what} version {ckpt.get('version')}")
    return ckpt


def check(path: str | Path, fmt: str, version: int) -> Path:
    """load_tagged for its checks only: call it before long work on a file read at the end."""
    load_tagged(path, fmt, version)
    return Path(path)
