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


def decoder_config(ckpt: dict, path: str | Path):
    """The DecoderConfig a decoder checkpoint dict describes (ValueError naming what is wrong:
    a config that is not a mapping, an unknown key, a value of the wrong type)."""
    import dataclasses

    from pipdream.decoder import DecoderConfig

    config = ckpt.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: its config is a {type(config).__name__}, not a mapping of "
                         f"d1..d4, hires and fold")
    fields = {f.name: f.default for f in dataclasses.fields(DecoderConfig)}
    unknown = sorted(set(config) - set(fields))
    if unknown:
        raise ValueError(f"{path}: its config has unknown keys {', '.join(map(str, unknown))}")
    for key, value in config.items():
        kind = type(fields[key])  # int for the dims and hires, bool for fold
        lowest = 0 if key == "hires" else 1
        if type(value) is not kind or (kind is int and value < lowest):
            raise ValueError(f"{path}: its config {key}={value!r} is not "
                             + ("True or False" if kind is bool else f"an integer >= {lowest}"))
    return DecoderConfig(**config)


def _expected_shapes(cfg) -> dict[str, tuple[int, ...]]:
    """state_dict key -> tensor shape of the Decoder with this config (without building it)."""
    from pipdream.decoder import layer_specs

    shapes = {}
    for i, s in enumerate(layer_specs(cfg)):
        ci, co = s.in_shape[0], s.out_shape[0]
        if s.kind == "fc":
            n = co * s.out_shape[1] * s.out_shape[2]
            weight, bias = (n, ci), (n,)
        elif s.kind == "convT":
            weight, bias = (ci, co, s.kernel, s.kernel), (co,)
        else:
            weight, bias = (co, ci, s.kernel, s.kernel), (co,)
        shapes[f"layers.{i}.weight"], shapes[f"layers.{i}.bias"] = weight, bias
    return shapes


def check_weights(ckpt: dict, cfg, path: str | Path) -> dict:
    """ckpt's state_dict when its tensors are exactly those cfg's Decoder has; otherwise
    ValueError naming the first disagreement (checked before any model is built)."""
    state = ckpt.get("state_dict")
    if not isinstance(state, dict):
        raise ValueError(f"{path}: its state_dict is a {type(state).__name__}, not the model's weights")
    said = f"{path}: config " + " ".join(f"{k}={v}" for k, v in cfg.to_dict().items())
    expected = _expected_shapes(cfg)
    for key, shape in expected.items():
        if key not in state:
            raise ValueError(f"{said} does not match its weights: {key} missing")
        found = tuple(getattr(state[key], "shape", ()))
        if found != shape:
            show = lambda t: "x".join(map(str, t)) or "not a tensor"  # noqa: E731
            raise ValueError(f"{said} does not match its weights: {key} is {show(found)}, "
                             f"the config needs {show(shape)}")
    extra = sorted(set(state) - set(expected))
    if extra:
        raise ValueError(f"{said} does not match its weights: {extra[0]} has no place in it")
    return state
