"""Execution plans of a model: scratch bytes and MACs, mirroring natmod/kernels/pd_plan.c.

    from pipdream.plan import plan, FULL, STREAM
    info = plan(model, STREAM)     # info.scratch_bytes, info.macs, info.strips, info.layers[j]

Full plan: layer by layer; layer j's input and output sit at opposite ends of
one scratch buffer (ping-pong), the last layer writes the caller's image.

Streaming plan: depth first, in `strips` column strips of the output. Per
strip, every layer's needed input columns are back-propagated from the strip
(halos are recomputed), and layer j keeps a ring of R_j input rows of that
window; it computes rows [0, P_j), the rows its consumer reads. When that is
smaller, the last layer instead takes its input one row at a time and adds
its taps into A int32 accumulator rows, requantized in place into the output
row (accumulator mode). The strip count is the smallest whose scratch fits
STREAM_TARGET_BYTES (else the one with the least scratch). docs/kernels.md explains the design; a test checks
this module and the C plan agree on every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipdream.blob import format as F
from pipdream.blob.model import QLayer, QModel, taps_1d

FULL, STREAM = 0, 1  # PD_PLAN_FULL, PD_PLAN_STREAM
KINDS = {"full": FULL, "stream": STREAM}
STREAM_TARGET_BYTES = 1536  # PD_STREAM_TARGET_BYTES in pd_model.h
U32_MAX = 0xFFFFFFFF  # the C plan's MAC counts saturate here


@dataclass
class PlanLayer:
    bytes: int  # scratch holding this layer's input (ring or whole buffer)
    macs: int  # this layer's share of the plan's MACs per image
    ring_rows: int  # input rows kept
    win_w: int  # input columns kept (widest strip)
    rows: int  # output rows computed per strip


@dataclass
class PlanInfo:
    kind: int
    scratch_bytes: int
    macs: int
    strips: int  # column strips of the output (1 for the full plan)
    strip_w: int  # columns of the widest strip
    layers: list[PlanLayer] = field(default_factory=list)
    acc_rows: int = 0  # streaming: int32 accumulator rows of the last layer (0: ring mode)
    state_bytes: int = 0  # streaming executor state (part of scratch_bytes)
    row_bytes: int = 0  # streaming output row segment in ring mode (part of scratch_bytes)


def _sat(x: int) -> int:
    return min(x, U32_MAX)


def hull(layer: QLayer, o: int, n_in: int) -> tuple[int, int] | None:
    """Input indices [lo, hi] feeding output index o along one axis (pd_hull): every
    index in the range is a tap; None when no tap lands inside the input."""
    k, s, p = layer.kernel, layer.stride, layer.padding
    if layer.kind == F.KIND_FC:
        lo, hi = 0, 0
    elif layer.kind == F.KIND_CONVT:
        num = o + p - k + 1
        hi = (o + p) // s
        lo = 0 if num <= 0 else (num + s - 1) // s
    else:
        lo = o * s - p
        hi = lo + k - 1
    lo, hi = max(lo, 0), min(hi, n_in - 1)
    return (lo, hi) if lo <= hi else None


def hull_range(layer: QLayer, o0: int, o1: int, n_in: int) -> tuple[int, int] | None:
    """Hull of the inputs feeding outputs [o0, o1) (pd_hull_range): the per-output
    hulls are monotone, so the first and the last non-empty ones bound it."""
    first = next((h for o in range(o0, o1) if (h := hull(layer, o, n_in))), None)
    if first is None:
        return None
    last = next(h for o in range(o1 - 1, o0 - 1, -1) if (h := hull(layer, o, n_in)))
    return first[0], last[1]


def stream_rows(model: QModel, j: int) -> int:
    """P_j: rows layer j computes per strip."""
    rows = model.out_shape[1]
    for layer in reversed(model.layers[j + 1:]):
        hs = [h for o in range(rows) if (h := hull(layer, o, layer.in_shape[1]))]
        rows = hs[-1][1] + 1 if hs else 0
    return rows


def stream_ring(model: QModel, j: int) -> int:
    """R_j: input rows layer j keeps (at least 1)."""
    layer = model.layers[j]
    hulls = [hull(layer, o, layer.in_shape[1]) for o in range(stream_rows(model, j))]
    spans = [h[1] - h[0] + 1 for h in hulls if h]
    return max([1, *spans])


def strip_cols(model: QModel, strips: int, t: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """Strip t's output columns [a, b) and every layer's input columns [x0, x0 + w) as (x0, w)."""
    out_w = model.out_shape[2]
    a, b = t * out_w // strips, (t + 1) * out_w // strips
    c0, c1 = a, b
    wins = [(0, 0)] * len(model.layers)
    for j in reversed(range(len(model.layers))):
        layer = model.layers[j]
        h = hull_range(layer, c0, c1, layer.in_shape[2]) if c0 < c1 else None
        c0, c1 = (h[0], h[1] + 1) if h else (0, 0)
        wins[j] = (c0, c1 - c0)
    return (a, b), wins


def stream_win_w(model: QModel, strips: int, j: int) -> int:
    widths = [strip_cols(model, strips, t)[1][j][1] for t in range(strips)]
    return max([1 if j == 0 else 0, *widths])  # layer 0's window always holds the input pixel


def acc_rows_needed(model: QModel) -> int:
    """Accumulator rows open at once when the last layer takes input rows 0, 1, ...
    in turn: a row opens when an input row first reaches it and closes once its
    last input row is in (the executor's order)."""
    last = model.layers[-1]
    out_h, n_in = last.out_shape[1], last.in_shape[1]
    hulls = [hull(last, o, n_in) for o in range(out_h)]
    opened = emit = 0
    most = 1
    for r in range(stream_rows(model, len(model.layers) - 2)):
        for o in range(emit, out_h):
            h = hulls[o]
            if h and h[0] > r:
                break
            if h and h[1] >= r:
                opened = max(opened, o + 1)
        most = max(most, opened - emit)
        while emit < out_h and not (hulls[emit] and hulls[emit][1] > r):
            emit += 1
            opened = max(opened, emit)
    return most


def stream_acc_rows(model: QModel, strips: int) -> int:
    """A if the last layer runs in accumulator mode with this many strips, else 0."""
    last = model.layers[-1]
    if len(model.layers) < 2 or last.kind == F.KIND_FC:
        return 0
    strip_w = -(-model.out_shape[2] // strips)
    acc = acc_rows_needed(model)
    win = stream_win_w(model, strips, len(model.layers) - 1) * last.in_shape[0]
    ring_cost = stream_ring(model, len(model.layers) - 1) * win + strip_w * F.OUT_C
    acc_cost = win + acc * strip_w * F.OUT_C * 4
    return acc if acc_cost < ring_cost else 0


def stream_layer_bytes(model: QModel, strips: int, j: int, acc_rows: int) -> int:
    ci = model.layers[j].in_shape[0]
    if acc_rows and j == len(model.layers) - 1:
        return stream_win_w(model, strips, j) * ci + acc_rows * -(-model.out_shape[2] // strips) * F.OUT_C * 4
    return stream_ring(model, j) * stream_win_w(model, strips, j) * ci


def stream_scratch(model: QModel, strips: int) -> int:
    acc_rows = stream_acc_rows(model, strips)
    total = state_bytes(model) + sum(stream_layer_bytes(model, strips, j, acc_rows)
                                     for j in range(len(model.layers)))
    return total + (0 if acc_rows else -(-model.out_shape[2] // strips) * F.OUT_C)


def state_bytes(model: QModel) -> int:
    """PD_STREAM_STATE_BYTES: per layer a uint32 ring offset and four uint8 fields."""
    return 8 * len(model.layers)


def stream_strips(model: QModel, target_bytes: int = STREAM_TARGET_BYTES) -> int:
    best, best_bytes = 1, None
    for n in range(1, model.out_shape[2] + 1):
        nbytes = stream_scratch(model, n)
        if nbytes <= target_bytes:
            return n
        if best_bytes is None or nbytes < best_bytes:
            best, best_bytes = n, nbytes
    return best


def _taps(layer: QLayer, n_in: int, o0: int, o1: int) -> int:
    return taps_1d(layer.kind, n_in, o1, layer.kernel, layer.stride, layer.padding, o0)


def layer_macs(layer: QLayer, rows: int, c0: int, c1: int) -> int:
    """MACs of computing output rows [0, rows) and columns [c0, c1) (saturating like C)."""
    per = layer.in_shape[0] * layer.out_shape[0]
    if layer.kind == F.KIND_FC:
        return _sat(per * rows * (c1 - c0))
    taps_y = _taps(layer, layer.in_shape[1], 0, rows)
    return _sat(_sat(per * taps_y) * _taps(layer, layer.in_shape[2], c0, c1))


def plan_layer(model: QModel, kind: int, j: int, target_bytes: int = STREAM_TARGET_BYTES,
               strips: int | None = None) -> PlanLayer:
    layer = model.layers[j]
    ci, hi, wi = layer.in_shape
    co, ho, wo = layer.out_shape
    if kind == FULL:
        return PlanLayer(hi * wi * ci, layer_macs(layer, ho, 0, wo), hi, wi, ho)
    if kind != STREAM:
        raise ValueError(f"unknown plan kind {kind}")
    strips = strips or stream_strips(model, target_bytes)
    acc_rows = stream_acc_rows(model, strips)
    ring = 1 if acc_rows and j == len(model.layers) - 1 else stream_ring(model, j)
    win_w, rows = stream_win_w(model, strips, j), stream_rows(model, j)
    macs = 0
    for t in range(strips):
        (a, b), wins = strip_cols(model, strips, t)
        if j + 1 < len(model.layers):  # this layer fills its consumer's window
            a, b = wins[j + 1][0], wins[j + 1][0] + wins[j + 1][1]
        macs = _sat(macs + layer_macs(layer, rows, a, b))
    return PlanLayer(stream_layer_bytes(model, strips, j, acc_rows), macs, ring, win_w, rows)


def plan(model: QModel, kind: int | str, target_bytes: int = STREAM_TARGET_BYTES) -> PlanInfo:
    """Scratch bytes, MACs and geometry of a plan ("full"/FULL or "stream"/STREAM).
    target_bytes: the streaming plan's scratch target (PD_STREAM_TARGET_BYTES)."""
    kind = KINDS[kind] if isinstance(kind, str) else kind
    strips = stream_strips(model, target_bytes) if kind == STREAM else None
    layers = [plan_layer(model, kind, j, target_bytes, strips) for j in range(len(model.layers))]
    macs = 0
    for pl in layers:
        macs = _sat(macs + pl.macs)
    out_w = model.out_shape[2]
    if kind == FULL:
        need = [pl.bytes + (0 if j + 1 == len(layers) else int(_prod(model.layers[j].out_shape)))
                for j, pl in enumerate(layers)]
        return PlanInfo(kind, max(need), macs, 1, out_w, layers)
    strip_w = -(-out_w // strips)
    acc_rows = stream_acc_rows(model, strips)
    return PlanInfo(kind, stream_scratch(model, strips), macs, strips, strip_w, layers, acc_rows,
                    state_bytes(model), 0 if acc_rows else strip_w * F.OUT_C)


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for v in shape:
        n *= v
    return n
