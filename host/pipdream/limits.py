"""What the blob format can hold, checked before a long run rather than by `pack` after it.

The limits are the format's own (pipdream.blob.format); a decoder config the blob cannot hold
is refused by train (--dims, --hires), quantize and pack before their first step.
"""

from __future__ import annotations

from pipdream.blob import format as F


def blob_problem(cfg) -> str | None:
    """Why a blob cannot hold the decoder with this config (DecoderConfig), or None."""
    from pipdream.decoder import layer_specs  # (torch: every caller trains or packs)

    specs = layer_specs(cfg)
    if len(specs) > F.MAX_LAYERS:
        return f"{len(specs)} layers: the blob format holds at most {F.MAX_LAYERS}"
    for i, s in enumerate(specs):
        (ci, hi, wi), (co, ho, wo) = s.in_shape, s.out_shape
        channels = (co,) if s.kind == "fc" else (ci, co)
        for c in channels:
            if not 1 <= c <= F.MAX_CHANNELS:
                return f"layer {i} ({s.kind}) has {c} channels: the blob format holds 1..{F.MAX_CHANNELS}"
        if s.kind == "fc" and ci > F.MAX_FC_IN:
            return f"layer {i} (fc) has {ci} inputs: the blob format holds at most {F.MAX_FC_IN}"
        if s.kind == "fc" and co * ho * wo > F.MAX_FC_OUT:
            return (f"layer {i} (fc) has {co * ho * wo} outputs: the blob format holds at most "
                    f"{F.MAX_FC_OUT}")
        if max(hi, wi, ho, wo) > F.MAX_DIM:
            return f"layer {i} ({s.kind}) is {max(hi, wi, ho, wo)} wide: the blob format holds {F.MAX_DIM}"
    return None


def check_blob_holds(cfg, what: str) -> None:
    """ValueError '<what>: layer 0 (fc) has 40 channels: ...' when a blob cannot hold cfg."""
    problem = blob_problem(cfg)
    if problem:
        raise ValueError(f"{what}: {problem}")
