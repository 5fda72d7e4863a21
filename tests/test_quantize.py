"""Quantization: scale normalisation, the fake-quantized forward and the integer model agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pipdream import legibility, quantize, reference
from pipdream.blob import format as F
from pipdream.blob import load, pack
from pipdream.decoder import Decoder, DecoderConfig, make_input


def test_requant_params_normalise_the_multiplier_and_keep_the_scale():
    scales = np.array([1e-7, 3.3e-5, 1e-3, 0.05, 0.124, 0.5])
    mult, shift = quantize.requant_params(scales)
    assert mult.min() >= F.MULT_MIN and shift.max() <= F.MAX_SHIFT
    np.testing.assert_allclose(mult / 2.0 ** (16 + shift.astype(float)), scales, rtol=2**-12)


@pytest.mark.parametrize("bad", [0.0, -1e-3, 1.0, 1e-12])
def test_requant_params_refuse_scales_they_cannot_represent(bad):
    with pytest.raises(ValueError):
        quantize.requant_params(np.array([bad]))


@pytest.fixture(scope="module")
def tiny_qat():
    torch.manual_seed(0)
    model = Decoder(DecoderConfig(4, 4, 4, 4, 1))
    qat, _ = quantize.qat_finetune(
        model, quantize.QATConfig(epochs=1, steps_per_epoch=20, n_train=512, batch=64),
        progress=False)
    return qat


def test_the_packed_qat_model_passes_the_reader(tiny_qat):
    qmodel = quantize.to_qmodel(tiny_qat)
    assert load(pack(qmodel)).params == qmodel.params


def test_the_fake_quantized_forward_tracks_the_integer_model(tiny_qat):
    """Fake quantization rounds once where the chip rounds twice: at most 1 LSB apart, rarely."""
    qmodel = quantize.to_qmodel(tiny_qat)
    rng = np.random.default_rng(0)
    faces, latents = rng.integers(1, 7, 300), rng.uniform(-1, 1, 300)
    ints = reference.run(qmodel, faces, reference.angle_code(latents)).astype(float)
    with torch.no_grad():
        fake = tiny_qat(make_input(torch.from_numpy(faces), torch.from_numpy(latents).float()))
    diff = np.abs(fake[:, 0].numpy() * 255 - ints)
    assert diff.max() <= 1.01
    assert (diff > 0.5).mean() < 0.01



def test_the_activity_term_is_the_share_of_work_that_reads_nonzero_activations(tiny_qat):
    """QATDecoder.activity: each hidden layer's mean activation over its range, weighted by
    the next layer's share of the MACs; zero activations (which the AVR skips) cost nothing."""
    rng = np.random.default_rng(1)
    x = make_input(torch.from_numpy(rng.integers(1, 7, 64)), torch.from_numpy(rng.uniform(-1, 1, 64)).float())
    with torch.no_grad():
        tiny_qat(x)
        activity = float(tiny_qat.activity)
        # The same figure from the integer model's own activations (within fake-quant rounding).
        outs = reference.run_all_layers(quantize.to_qmodel(tiny_qat), x[:, :-1].argmax(1).numpy() + 1,
                                        reference.angle_code(x[:, -1].numpy()))[:-1]
    hidden = [float(o.mean()) / 255 for o in outs]
    expected = sum(share * h for share, h in zip(tiny_qat.read_share, hidden))
    assert 0 < activity < 1 and activity == pytest.approx(expected, rel=0.05)
    assert sum(tiny_qat.read_share) < 1  # the first layer reads the input, not an activation


def test_training_for_zero_activations_makes_more_of_them():
    def zero_share(weight: float) -> float:
        torch.manual_seed(0)
        qat, _ = quantize.qat_finetune(
            Decoder(DecoderConfig(4, 4, 4, 4, 1)),
            quantize.QATConfig(epochs=1, steps_per_epoch=30, n_train=512, batch=64, threads=1,
                               activity_weight=weight), progress=False)
        rng = np.random.default_rng(2)
        outs = reference.run_all_layers(quantize.to_qmodel(qat), rng.integers(1, 7, 200),
                                        reference.angle_code(rng.uniform(-1, 1, 200)))[:-1]
        return float(np.mean(np.concatenate([(o == 0).ravel() for o in outs])))

    assert zero_share(5.0) > zero_share(0.0) + 0.05

@pytest.mark.parametrize("name", ["default", "fast"])
def test_the_shipped_metrics_are_what_the_shipped_blob_gives(repo_root, name):
    """models/<name>_metrics.json is recomputed here, not trusted (fast: the AVR tumble frames)."""
    import json

    from pipdream import evaluate

    recorded = json.loads((repo_root / "models" / f"{name}_metrics.json").read_text())
    again = evaluate.evaluate("blob", repo_root / "models" / f"{name}.blob", recorded["n"],
                              recorded["seed"])
    for key in ("accuracy", "accuracy_1bit", "mse", "params", "macs", "legible", "legible_1bit",
                "legible_by_face", "legible_1bit_by_face"):
        assert again[key] == pytest.approx(recorded[key], rel=1e-9), key


def test_the_shipped_blob_meets_its_accuracy_and_legibility_targets(repo_root):
    import json

    m = json.loads((repo_root / "models" / "default_metrics.json").read_text())
    assert m["n"] >= 6000
    assert m["accuracy"] >= 0.999 and m["accuracy_1bit"] >= 0.999
    # Issue #13: 99.9% of the dice a person can count (the mirror-folded model passes 100%).
    assert m["legible"] >= 0.999 and m["legible_1bit"] >= 0.999


def test_no_shipped_die_shows_the_wrong_number_of_pips(repo_root):
    """The judge's strictest failure: a six read as five (the model kept by the judge's share
    alone, and not shipped, miscounted 4 of these 2,000)."""
    from pipdream import dataset

    faces, angles = dataset.sample_labels(2000, np.random.default_rng(0))
    blob = (repo_root / "models" / "default.blob").read_bytes()
    images = reference.generate_batch(blob, faces, reference.angle_code(dataset.angle_to_latent(angles)))
    assert np.array_equal(legibility.count_pips(images), faces)


def test_the_shipped_blob_is_within_10_percent_of_the_float_models_mse(repo_root):
    import json

    from pipdream import evaluate

    m = json.loads((repo_root / "models" / "default_metrics.json").read_text())
    float_model = evaluate.evaluate("checkpoint", repo_root / "models" / "decoder.pt", m["n"], m["seed"])
    assert float_model["mse"] == pytest.approx(m["float_mse"], rel=1e-6)  # the float figure is real too
    assert m["mse"] <= 1.10 * float_model["mse"]


def test_keep_best_returns_the_weights_the_judge_passed_most(monkeypatch):
    """--keep-best-every: the judge reads the dice at the start, every N steps and at the end;
    the weights at its best reading (fewest wrong counts, then most legible) are the ones
    returned, and the metrics say which step."""
    # (counted right, legible) at steps 0, 10, 20, 30 and the end (40): step 30 passes the
    # judge most, but step 20 miscounts fewer dice, and that comes first.
    readings = iter([(0.99, 0.3), (0.995, 0.5), (1.0, 0.9), (0.999, 0.95), (1.0, 0.6)])
    seen: list[dict] = []

    def judge(qat, faces, codes, style=None):
        assert faces.shape == codes.shape == (quantize.JUDGE_N,)
        seen.append({k: v.clone() for k, v in qat.state_dict().items()})
        return next(readings)

    monkeypatch.setattr(quantize, "judged_legible", judge)
    torch.manual_seed(0)
    qat, metrics = quantize.qat_finetune(
        Decoder(DecoderConfig(2, 2, 2, 2, 0)),
        quantize.QATConfig(epochs=2, steps_per_epoch=20, n_train=256, batch=16, threads=1,
                           keep_best_every=10), progress=False)
    assert [s for s, _ in metrics["judged_legible"]] == [0, 10, 20, 30, 40]
    assert metrics["kept_step"] == 20
    for name, value in qat.state_dict().items():
        assert torch.equal(value, seen[2][name]), name
    assert any(not torch.equal(seen[2][k], seen[4][k]) for k in seen[2]), "the weights moved on"


def test_the_keep_best_judge_reads_the_integer_models_dice(repo_root):
    """judged_legible of a QAT checkpoint is the judge's verdict on its blob's own bytes: on
    the failures among 1,200 random dice and as many passes, exactly half. The shipped model
    fails none, so it is read here unfolded: its weights drawing angles it never learned."""
    import dataclasses

    from pipdream import dataset
    from pipdream.blob import pack

    faces, angles = dataset.sample_labels(1200, np.random.default_rng(0))
    codes = reference.angle_code(dataset.angle_to_latent(angles))
    qat = quantize.load_qat(repo_root / "models" / "decoder_q.pt")
    qat.model.cfg = dataclasses.replace(qat.model.cfg, fold=False)
    images = reference.generate_batch(pack(quantize.to_qmodel(qat)), faces, codes)  # (1200, 32, 32)
    ok = legibility.is_legible(images, faces)
    assert 50 < (~ok).sum() < 600
    pick = np.concatenate([np.flatnonzero(~ok), np.flatnonzero(ok)[: (~ok).sum()]])
    right, legible = quantize.judged_legible(qat, faces[pick], codes[pick])
    assert legible == 0.5
    assert right == float(np.mean(legibility.count_pips(images[pick]) == faces[pick]))
