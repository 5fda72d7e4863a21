"""One command from a die style to a blob: `pipdream retrain --style F --out DIR`.

Stages, each writing its own files under DIR (nothing in models/ is read for a comparison
or written): the style checked (its renders legible to the judge, the fold tested), the
judge's eval CNN trained on the style, the float decoder, QAT, the legibility stage, the
blob, the evaluation. DIR/retrain.json records the finished stages, so the same command
after a Ctrl-C goes on from the last finished one.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipdream import dataset, files, paths
from pipdream import style as styles
from pipdream.style import Style

STATE = "retrain.json"
JUDGE_CHECK_N = 6000  # renders of the style the judge must read all legible before it judges
EVAL_N = 6000  # dice of the final evaluation (seed 0, as `pipdream evaluate`)
LEGIBILITY_TERMS = {"legibility_weight": 10.0, "separator_weight": 100.0,
                    "face_weights": (1, 1, 1, 1, 1, 1.5)}  # docs/training.md, the shipped recipe


@dataclass(frozen=True)
class Plan:
    """How long each stage trains. Seconds per unit: measured by bench/retrain.py on the
    2-core machine (bench/results/retrain.json), for the estimate printed before a run."""

    name: str
    warm: bool  # the float stage starts from the shipped float decoder (models/decoder.pt)
    eval_n_train: int
    eval_epochs: int
    n_train: int  # cached renders the decoder stages draw batches from
    float_steps: int
    float_lr: float
    qat_steps: int
    qat_lr: float
    legibility_steps: int
    legibility_lr: float
    keep_best_every: int


FULL = Plan("full", False, 30000, 8, 60000, 12000, 1e-2, 4000, 1e-2, 1500, 2e-3, 100)  # the shipped model's
# a user's die is close to the shipped one: fine-tuning its decoder needs a fifth of the steps
QUICK = Plan("quick", True, 10000, 3, 20000, 2500, 3e-3, 200, 2e-3, 600, 2e-3, 100)
# Seconds per eval-CNN sample-epoch, per float step, per QAT step (legibility stage: with its
# judge readings), per render; from the stage seconds in bench/results/retrain.json (2 cores,
# 2 torch threads: quick's float stage 100 s for 2,500 steps, QAT and legibility 76 s for 800).
RATES = {"eval": 3.5e-4, "float": 0.04, "qat": 0.095, "render": 6e-4}


def estimate_seconds(plan: Plan) -> float:
    renders = plan.eval_n_train + 6000 + plan.n_train + 4000 + JUDGE_CHECK_N + EVAL_N + 3060
    return (RATES["eval"] * plan.eval_n_train * plan.eval_epochs + RATES["float"] * plan.float_steps
            + RATES["qat"] * (plan.qat_steps + plan.legibility_steps) + RATES["render"] * renders + 30)


class Run:
    """A retraining in DIR: its files, and which stages are finished."""

    def __init__(self, out: Path, style: Style, plan: Plan, seed: int, threads: int,
                 log: Callable[[str], None] = print) -> None:
        self.out, self.style, self.plan, self.seed = out, style, plan, seed
        self.threads, self.log = threads, log
        self.state_path = out / STATE
        self.settings = {"style": style.to_dict(), "plan": dataclasses.asdict(plan), "seed": seed}
        self.state = {"settings": self.settings, "done": {}}
        if self.state_path.exists():
            try:
                state = json.loads(self.state_path.read_text())
            except (ValueError, OSError):
                raise ValueError(f"{paths.shown(self.state_path)} is not a retrain record: "
                                 "use an empty --out folder") from None
            if state.get("settings") != self.settings:
                raise ValueError(f"{paths.shown(out)} holds a retraining with other settings "
                                 f"({_differences(state.get('settings') or {}, self.settings)}): "
                                 "use another --out, or the same --style and options to resume")
            self.state = state
        elif out.exists() and any(out.iterdir()):
            raise ValueError(f"{paths.shown(out)} is not empty and holds no {STATE}: use a new --out folder")

    def path(self, name: str) -> Path:
        return self.out / name

    def done(self, stage: str) -> bool:
        outputs = self.state["done"].get(stage)
        return outputs is not None and all(self.path(o).exists() for o in outputs)

    def finish(self, stage: str, outputs: list[str], figures: dict | None = None) -> None:
        self.state["done"][stage] = outputs
        if figures:
            self.state.setdefault("figures", {})[stage] = figures
        files.write_text(self.state_path, json.dumps(self.state, indent=2) + "\n")

    def figures(self, stage: str) -> dict:
        return self.state.get("figures", {}).get(stage, {})


def _differences(old: dict, new: dict) -> str:
    keys = [k for k in new if old.get(k) != new.get(k)]
    if "style" in keys:
        a, b = old.get("style") or {}, new["style"]
        return "style " + ", ".join(f"{k} {a.get(k)} -> {b[k]}" for k in b if a.get(k) != b[k])
    return ", ".join(keys) or "unreadable"


# ---- the stages: each returns the files it wrote (under DIR) and its figures ------------------

def stage_style(run: Run) -> tuple[list[str], dict]:
    """Copy the style, preview it, check that the judge reads every render of it and whether
    the fold holds (if not, the decoder trains unfolded)."""
    from pipdream import grid, legibility

    s = run.style
    files.write_text(run.path("style.toml"), "".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else v}\n" for k, v in s.to_dict().items()))
    preview = dataset.make_dataset(48, 1, s)
    with files.atomic(run.path("preview.png")) as tmp:
        grid.save_grid(tmp, preview["images"], grid.face_angle_labels(preview["faces"], preview["angles"]))
    data = dataset.make_dataset(JUDGE_CHECK_N, 0, s)
    judged = legibility.judge(data["images"], data["faces"], s)
    if judged["legible"] < 1 or judged["legible_1bit"] < 1:
        raise ValueError(f"the judge reads only {judged['legible']:.2%} of this style's own renders as "
                         f"legible ({JUDGE_CHECK_N} dice): its pips are too close for 32x32; "
                         "lower pip_scale or raise body_scale")
    fold = dataset.fold_check(s)
    figures = {"judge_on_renders": {k: judged[k] for k in ("legible", "legible_1bit")},
               "fold_dice_off": fold.dice, "fold_worst_grey_levels": fold.worst, "fold": fold.holds}
    if not fold.holds:
        run.log(f"the mirror fold does not hold for this style ({fold.dice} of 1,530 dice differ from "
                f"their mirror, by up to {fold.worst} grey levels): training unfolded")
    elif fold.dice:
        run.log(f"the mirror fold holds within {dataset.FOLD_TOLERANCE} grey level ({fold.dice} of 1,530 "
                "dice): training folded")
    files.write_text(run.path("style_check.json"), json.dumps(figures, indent=2) + "\n")
    return ["style.toml", "preview.png", "style_check.json"], figures


def stage_judge(run: Run) -> tuple[list[str], dict]:
    """The eval CNN of this style, in DIR (never models/eval.pt)."""
    from pipdream import evalnet, train

    model, metrics = evalnet.train_evalnet(run.plan.eval_n_train, run.plan.eval_epochs, 6000, run.seed + 1,
                                           run.threads, style=run.style)
    evalnet.save(run.path("eval.pt"), model, metrics)
    train.write_metrics(run.path("eval_metrics.json"), metrics)
    figures = {k: metrics[k] for k in ("clean_accuracy", "clean_1bit_accuracy")}
    return ["eval.pt", "eval_metrics.json"], figures


def stage_float(run: Run) -> tuple[list[str], dict]:
    from pipdream import train
    from pipdream.decoder import DecoderConfig

    cfg = DecoderConfig(fold=bool(run.figures("style")["fold"]))
    init = str(paths.DECODER_PT) if run.plan.warm else ""  # an inverted die starts from its complement
    tc = train.TrainConfig(steps=run.plan.float_steps, lr=run.plan.float_lr, n_train=run.plan.n_train,
                           seed=run.seed, threads=run.threads, init=init,
                           init_inverted=bool(init) and run.style.invert != styles.SHIPPED.invert,
                           **LEGIBILITY_TERMS)
    model, metrics = train.train(cfg, tc, style=run.style)
    metrics.pop("loss_history")
    train.save_checkpoint(run.path("decoder.pt"), model, metrics)
    train.write_metrics(run.path("decoder_metrics.json"), metrics)
    return ["decoder.pt", "decoder_metrics.json"], {"val_mse": metrics["val_mse"]}


def _qat_stage(run: Run, start: str, out: str, steps: int, lr: float, seed: int, **terms) -> dict:
    import torch

    from pipdream import quantize, train

    start_path = run.path(start)
    model = quantize.load_qat(start_path).model if start.endswith("_q.pt") else train.load_decoder(start_path)
    tc = quantize.QATConfig(epochs=1, steps_per_epoch=steps, lr=lr, n_train=run.plan.n_train, seed=seed,
                            threads=run.threads, **terms)
    qat, metrics = quantize.qat_finetune(model, tc, style=run.style)
    with files.atomic(run.path(out)) as tmp:
        torch.save(quantize.qcheckpoint(qat, metrics), tmp)
    slim = {k: v for k, v in metrics.items() if k != "qat_loss_history"}
    files.write_text(run.path(out.replace(".pt", "_metrics.json")), json.dumps(slim, indent=2) + "\n")
    return slim


def stage_qat(run: Run) -> tuple[list[str], dict]:
    m = _qat_stage(run, "decoder.pt", "decoder_q.pt", run.plan.qat_steps, run.plan.qat_lr, run.seed + 1)
    return ["decoder_q.pt", "decoder_q_metrics.json"], {"qat_seconds": m["qat_seconds"]}


def stage_legibility(run: Run) -> tuple[list[str], dict]:
    m = _qat_stage(run, "decoder_q.pt", "decoder_l_q.pt", run.plan.legibility_steps, run.plan.legibility_lr,
                   run.seed + 2, keep_best_every=run.plan.keep_best_every, **LEGIBILITY_TERMS)
    run.log(f"the judge kept step {m['kept_step']} of {run.plan.legibility_steps}")
    return ["decoder_l_q.pt", "decoder_l_q_metrics.json"], {"kept_step": m["kept_step"]}


def stage_pack(run: Run) -> tuple[list[str], dict]:
    from pipdream import quantize
    from pipdream.blob import load, pack

    blob = pack(quantize.to_qmodel(quantize.load_qat(run.path("decoder_l_q.pt"))))
    load(blob)  # the writer's output must pass the reader's checks
    files.write_bytes(run.path("model.blob"), blob)
    return ["model.blob"], {"blob_bytes": len(blob)}


def stage_evaluate(run: Run) -> tuple[list[str], dict]:
    """The blob and the user's own float decoder, against the style's renders, by the style's
    eval CNN and judge."""
    from pipdream import evaluate

    kw = {"n": EVAL_N, "seed": 0, "eval_weights": run.path("eval.pt"), "style": run.style}
    q = evaluate.evaluate("blob", run.path("model.blob"), **kw)
    f = evaluate.evaluate("checkpoint", run.path("decoder.pt"), **kw)
    float_keys = [k for k in f if k.startswith(("accuracy", "legible"))]
    metrics = {**q, "float_checkpoint": str(run.path("decoder.pt")), "float_mse": f["mse"],
               **{f"float_{k}": f[k] for k in float_keys}, "mse_vs_float": q["mse"] / f["mse"],
               "blob_bytes": run.path("model.blob").stat().st_size, "eval_weights": str(run.path("eval.pt")),
               "style": run.style.to_dict()}
    metrics["boards"] = board_times(metrics["macs"], metrics["blob_bytes"])
    files.write_text(run.path("model_metrics.json"), json.dumps(metrics, indent=2) + "\n")
    return ["model_metrics.json"], {}


STAGES: list[tuple[str, Callable[[Run], tuple[list[str], dict]]]] = [
    ("style", stage_style), ("judge", stage_judge), ("float", stage_float), ("qat", stage_qat),
    ("legibility", stage_legibility), ("pack", stage_pack), ("evaluate", stage_evaluate),
]


def board_times(macs: int, blob_bytes: int) -> dict:
    """Each board's time per image at its measured cycles per MAC (bench/results: the shipped
    blob's worst image in simavr, its generate() on the rp2 firmware in rp2040js, over its
    MACs), and whether the Uno's flash holds the firmware with this blob for the shipped one."""
    from pipdream.evaluate import size_of_blob

    results = paths.DATA / "bench" / "results"  # the checkout's, or the wheel's copies
    avr = json.loads((results / "avr.json").read_text())
    rp2 = json.loads((results / "rp2040_firmware.json").read_text())
    avr_cpm = avr["cycles_per_image"]["max"] / size_of_blob(paths.DATA / avr["model"]["blob"])[1]
    rp2_cpm = rp2["generate_ms"]["natmod_full"] * 1e-3 * 125e6 / size_of_blob(paths.DATA / rp2["model"])[1]
    flash = avr["flash"]
    firmware = flash["total"] - flash["model_blob"] + blob_bytes
    return {
        "atmega328p_16mhz_ms": round(macs * avr_cpm / 16e6 * 1e3, 1),
        "atmega328p_cycles_per_mac": round(avr_cpm, 2),
        "rp2040_125mhz_ms": round(macs * rp2_cpm / 125e6 * 1e3, 2),
        "rp2040_cycles_per_mac": round(rp2_cpm, 2),
        "uno_flash_bytes": firmware, "uno_flash_limit": flash["usable_with_optiboot"],
        "fits_uno_flash": firmware <= flash["usable_with_optiboot"],
    }


def table(m: dict) -> str:
    """The final table: every figure about the user's model."""
    b = m["boards"]
    rows = [
        ("legible, greyscale / 1-bit (the judge)", f"{m['legible']:.2%} / {m['legible_1bit']:.2%}"),
        ("  your float decoder", f"{m['float_legible']:.2%} / {m['float_legible_1bit']:.2%}"),
        ("eval-CNN accuracy, 8-bit / 1-bit", f"{m['accuracy']:.2%} / {m['accuracy_1bit']:.2%}"),
        ("MSE vs the style's renders", f"{m['mse']:.5f} ({m['mse_vs_float']:.2f}x your float model's)"),
        ("params / MACs per image", f"{m['params']:,} / {m['macs']:,}"),
        ("blob", f"{m['blob_bytes']:,} bytes"),
        ("ATmega328p at 16 MHz", f"{b['atmega328p_16mhz_ms']:,} ms an image "
                                 f"({b['atmega328p_cycles_per_mac']} cycles/MAC, bench/results/avr.json)"),
        ("RP2040 at 125 MHz", f"{b['rp2040_125mhz_ms']} ms an image "
                              f"({b['rp2040_cycles_per_mac']} cycles/MAC, rp2040_firmware.json)"),
        ("fits the Uno's flash", f"{'yes' if b['fits_uno_flash'] else 'NO'} ({b['uno_flash_bytes']:,} of "
                                 f"{b['uno_flash_limit']:,} bytes)"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {v}" for a, v in rows) + f"\n({m['n']:,} dice, seed 0)"


def retrain(out: Path, style: Style, plan: Plan, seed: int = 0, threads: int = 2,
            log: Callable[[str], None] = print) -> dict:
    """Run (or resume) every stage; returns the evaluation's metrics."""
    import torch

    torch.set_num_threads(threads)
    run = Run(out, style, plan, seed, threads, log)
    out.mkdir(parents=True, exist_ok=True)
    todo = [name for name, _ in STAGES if not run.done(name)]
    if len(todo) < len(STAGES):
        log(f"resuming in {paths.shown(out)}: {len(STAGES) - len(todo)} of {len(STAGES)} stages finished")
    log(f"retrain ({plan.name}) of the style {style.describe()}: about "
        f"{estimate_seconds(plan) / 60:.0f} min on a 2-core machine")
    for i, (name, fn) in enumerate(STAGES, 1):
        if name not in todo:
            continue
        log(f"[{i}/{len(STAGES)}] {name}")
        t0 = time.perf_counter()
        outputs, figures = fn(run)
        run.finish(name, outputs, {**figures, "seconds": round(time.perf_counter() - t0, 1)})
    metrics = json.loads(run.path("model_metrics.json").read_text())
    return metrics


def load_style(path: Path | None) -> Style:
    return styles.SHIPPED if path is None else styles.load(path)


def stage_seconds(out: Path) -> dict[str, float]:
    """The seconds each stage of a finished run took (its retrain.json)."""
    state = json.loads((out / STATE).read_text())
    return {k: v.get("seconds", 0.0) for k, v in state.get("figures", {}).items()}

