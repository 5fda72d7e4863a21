"""pipdream quantize: quantization-aware fine-tuning of the float decoder."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from pipdream import checkpoint, files, limits, paths, train
from pipdream.cli import SEED, THREADS, FloatRange, IntRange
from pipdream.commands import train as train_cmd

NAME = "quantize"
HELP = "fine-tune the decoder with int8 fake quantization (QAT) and report its error"
ORDER = 20
EXAMPLES = """examples:
  pipdream quantize --out models/decoder_q.pt
  pipdream quantize --checkpoint models/decoder.pt --epochs 2 --out /tmp/q.pt
  pipdream quantize --checkpoint /tmp/q.pt --lr 2e-3 --out /tmp/q2.pt   # continue a QAT run

Both checkpoints and the output paths are checked before the fine-tuning starts
(missing folders are created); the checkpoint is written under a temporary name
and renamed when complete.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, default=paths.DECODER_PT,
                   help="float decoder checkpoint, or a quantized one to continue its QAT "
                        "(default: models/decoder.pt)")
    p.add_argument("--float-checkpoint", type=Path, default=paths.DECODER_PT,
                   help="float model the errors are measured against (default: models/decoder.pt)")
    p.add_argument("--epochs", type=IntRange(1, 1000), default=4, help="QAT epochs, %(type)s (default: 4)")
    p.add_argument("--steps-per-epoch", type=IntRange(1, 1_000_000), default=1000,
                   help="steps per epoch, %(type)s (default: 1000)")
    p.add_argument("--lr", type=FloatRange(1e-7, 10), default=1e-2,
                   help="peak learning rate, cosine decay, %(type)s (default: 1e-2)")
    p.add_argument("--seed", type=SEED, default=1, help="random seed, %(type)s")
    p.add_argument("--threads", type=THREADS, default=2, help="torch threads, %(type)s (default: 2)")
    train_cmd.add_loss_arguments(p)  # --legibility-weight, --margin, --separator-weight, --face-weights
    p.add_argument("--activity-weight", type=FloatRange(0, 1e6), default=0.0,
                   help="weight of the activity term (quantize.QATDecoder): hidden activations "
                        "pushed to zero, which the AVR and M0+ cores skip, %(type)s (default 0: none)")
    p.add_argument("--keep-best-every", type=IntRange(0, 1_000_000), default=0,
                   help="every N steps the legibility judge reads the model's dice for 2,000 "
                        "validation pairs; keep the weights it passed most (default 0: the last)")
    p.add_argument("--fold", action="store_true",
                   help="fold the checkpoint's angles (train --fold): the QAT data, its calibration "
                        "and the blob; a folded checkpoint stays folded")
    p.add_argument("--out", type=Path, required=True, help="quantized checkpoint to write (.pt)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if args.epochs < 1 or args.steps_per_epoch < 1:
        raise ValueError("--epochs and --steps-per-epoch must be at least 1")
    import numpy as np  # heavy imports here keep `pipdream --help` quick
    import torch

    from pipdream import quantize, reference
    from pipdream.train import load_decoder

    files.output_file(args.out, "--out", (".pt",))
    metrics_path = args.out.with_name(args.out.stem + "_metrics.json")
    files.output_file(metrics_path, "the metrics file")
    kind = checkpoint.format_of(args.checkpoint, (checkpoint.DECODER, checkpoint.DECODER_Q),
                                "decoder checkpoint")  # float, or quantized to continue
    if kind == checkpoint.DECODER_Q:
        tuned = quantize.load_qat(args.checkpoint).model  # continue a QAT run
    else:
        tuned = load_decoder(args.checkpoint)
    float_model = load_decoder(args.float_checkpoint)
    limits.check_blob_holds(tuned.cfg, str(args.checkpoint))  # before the QAT, not at pack
    if args.fold or tuned.cfg.fold:  # the float model is measured drawn the same way
        tuned.cfg = dataclasses.replace(tuned.cfg, fold=True)
        float_model.cfg = dataclasses.replace(float_model.cfg, fold=True)
    qat, metrics = quantize.qat_finetune(
        tuned, quantize.QATConfig(epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                                  seed=args.seed, threads=args.threads, lr=args.lr,
                                  legibility_weight=args.legibility_weight, margin=args.margin,
                                  face_weights=args.face_weights,
                                  separator_weight=args.separator_weight,
                                  activity_weight=args.activity_weight,
                                  keep_best_every=args.keep_best_every),
        progress=not args.quiet)
    qmodel = quantize.to_qmodel(qat)
    rng = np.random.default_rng(args.seed + 1)
    faces, latents = rng.integers(1, 7, 1000), rng.uniform(-1, 1, 1000)
    errors = quantize.layer_errors(tuned, qmodel, qmodel.meta["act_scales"], faces, latents)
    ints = reference.run(qmodel, faces, reference.angle_code(latents)).astype(np.float64) / 255
    floats = train.float_images(float_model, faces, latents)
    errors["end_to_end_rms_vs_float"] = float(np.sqrt(np.mean((ints - floats) ** 2)))
    metrics.update(errors)
    with files.atomic(args.out) as tmp:  # an interrupted save leaves no half file
        torch.save(quantize.qcheckpoint(qat, metrics), tmp)
    slim = {k: v for k, v in metrics.items() if k != "qat_loss_history"}
    files.write_text(metrics_path, json.dumps(slim, indent=2) + "\n")
    for e in errors["per_layer"]:
        print(f"layer {e['layer']} {e['kind']:5s}  rms {e['rms_error']:.5f}  "
              f"relative {e['relative_rms_error']:.4f}")
    print(f"end to end rms vs the float model: {errors['end_to_end_rms_vs_float']:.5f} "
          f"(pixels in [0, 1])")
    print(f"wrote {args.out}")
    return 0
