"""Decoder training: parameter formula, loss goes down, deterministic, checkpoints round-trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pipdream import dataset, legibility, paths, train, train_plots
from pipdream.decoder import Decoder, DecoderConfig, layer_specs, mac_count, param_count

CONFIGS = [
    DecoderConfig(),
    DecoderConfig(4, 4, 4, 4, 0),
    DecoderConfig(2, 3, 5, 7, 1),
    DecoderConfig(16, 12, 8, 6, 3),
]
TINY = train.TrainConfig(steps=80, batch=32, lr=1e-2, warmup=5, n_train=400, n_val=50, threads=1)


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    """Renders for these tiny runs go to a temporary cache, not the repo's."""
    monkeypatch.setenv("PIPDREAM_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name())
def test_param_count_formula_matches_the_torch_model(cfg):
    model = Decoder(cfg)
    assert param_count(cfg) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name())
def test_every_layer_has_the_shape_its_spec_says(cfg):
    model = Decoder(cfg)
    x = torch.zeros(2, 7)
    for spec, layer in zip(model.specs, model.layers):
        x = layer(x)
        x = x.view(2, *spec.out_shape) if spec.kind == "fc" else x
        assert tuple(x.shape[1:]) == spec.out_shape
    assert tuple(x.shape[1:]) == (1, 32, 32)


def test_default_decoder_is_the_documented_size():
    cfg = DecoderConfig()
    assert param_count(cfg) == 4017
    assert mac_count(cfg) == sum(s.macs for s in layer_specs(cfg))


def test_a_short_training_run_lowers_the_loss():
    _, metrics = train.train(DecoderConfig(2, 2, 2, 2, 0), TINY, progress=False)
    losses = [loss for _, loss in metrics["loss_history"]]
    assert losses[-1] < 0.7 * losses[0]
    assert metrics["val_mse"] < losses[0]


def test_training_is_deterministic_for_a_seed():
    a, _ = train.train(DecoderConfig(2, 2, 2, 2, 1), TINY, progress=False)
    b, _ = train.train(DecoderConfig(2, 2, 2, 2, 1), TINY, progress=False)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name


def test_checkpoint_round_trips_and_writes_plots(tmp_path):
    model, metrics = train.train(DecoderConfig(2, 2, 2, 2, 1), TINY, progress=False)
    path = tmp_path / "d.pt"
    train.save_checkpoint(path, model, metrics)
    loaded = train.load_decoder(path)
    assert loaded.cfg == model.cfg
    x = torch.rand(5, 7)
    assert torch.equal(loaded(x), model.eval()(x))
    plots = train_plots.write_all(tmp_path / "d", loaded, metrics["loss_history"])
    assert all(p.stat().st_size > 0 for p in plots)


def test_loading_something_else_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"hello": 1}, bad)
    with pytest.raises(ValueError, match="not a pipdream decoder"):
        train.load_decoder(bad)
    with pytest.raises(ValueError, match="not found"):
        train.load_decoder(tmp_path / "missing.pt")
    newer = tmp_path / "newer.pt"
    version = train.CHECKPOINT_VERSION + 1
    torch.save({"format": train.CHECKPOINT_FORMAT, "version": version}, newer)
    with pytest.raises(ValueError, match=f"unsupported decoder checkpoint version {version}"):
        train.load_decoder(newer)


def test_shipped_decoder_is_the_default_architecture():
    model = train.load_decoder(paths.DECODER_PT)
    assert model.cfg == DecoderConfig(fold=True)  # the default layers, mirror-folded
    images = train.decode(model, np.array([1, 6]), np.array([0.0, -0.5]))
    assert images.shape == (2, 32, 32) and images.dtype == np.uint8


def test_the_margin_term_costs_only_pixels_short_of_their_side_of_the_threshold():
    target = torch.tensor([0.0, 1.0, 0.45, 0.5, 0.9])
    on_side = torch.tensor([0.3, 0.7, 0.40, 0.9, 0.66])  # each at least min(0.15, |t - 0.5|) past 0.5
    mse = float(torch.mean((on_side - target) ** 2))
    assert train.image_loss(on_side, target, 10.0) == pytest.approx(mse)
    dark_gap = torch.tensor([0.55, 1.0, 0.45, 0.5, 0.9])  # the black pixel is lit: 0.2 short of 0.35
    extra = train.image_loss(dark_gap, target, 10.0) - train.image_loss(dark_gap, target, 0.0)
    assert float(extra) == pytest.approx(10.0 * 0.2**2 / 5)


def test_a_weight_of_zero_is_the_plain_mse():
    out, target = torch.rand(4, 1, 32, 32), torch.rand(4, 1, 32, 32)
    assert torch.equal(train.image_loss(out, target), torch.mean((out - target) ** 2))


def test_fine_tuning_starts_from_the_given_checkpoint(tmp_path):
    cfg = DecoderConfig(2, 2, 2, 2, 0)
    start, metrics = train.train(cfg, TINY, progress=False)
    train.save_checkpoint(tmp_path / "start.pt", start, metrics)
    tuned, _ = train.train(cfg, train.TrainConfig(**{**vars(TINY), "steps": 1, "lr": 1e-9,
                                                     "init": str(tmp_path / "start.pt")}), progress=False)
    for (name, a), b in zip(start.state_dict().items(), tuned.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    with pytest.raises(ValueError, match="is a 2_2_2_2_h0 decoder, not 3_3_3_3_h0"):
        train.train(DecoderConfig(3, 3, 3, 3, 0), train.TrainConfig(init=str(tmp_path / "start.pt")),
                    progress=False)


def test_an_inverted_start_draws_the_complement_of_the_shipped_decoders_dice():
    """retrain --quick of an inverted style starts from the shipped model's exact complement."""
    shipped = train.load_decoder(paths.DECODER_PT)
    x = torch.cat([torch.eye(6), torch.linspace(-1, 1, 6).view(-1, 1)], dim=1)
    with torch.no_grad():
        before = shipped(x)
        train.invert_output(shipped)
        assert torch.allclose(shipped(x), 1.0 - before, atol=1e-6)
    assert float(before.std()) > 0.3  # dice, not a flat grey that is its own complement


def test_the_separator_term_asks_the_gap_between_two_pips_to_be_bright():
    six = dataset.render(6, 0.0)[None]  # (1, 32, 32)
    sep = train.separator_masks(six)[0]  # (32, 32) bool
    regions = legibility.regions(six).region[0]  # -1 on the body
    assert sep.any() and (regions[sep] == -1).all(), "separators are body pixels"
    # The 2-px gap between a column's top and middle pips is a separator; the body's centre,
    # 5 px from any pip, is not.
    column = sep[:, 16 - 7 : 16 - 3].any(axis=1)  # (32,) rows where the left column has one
    assert column[12:14].any() and not sep[16, 16]
    target = torch.from_numpy(six[None] / 255.0).float()  # (1, 1, 32, 32)
    mask = torch.from_numpy(sep[None, None]).float()
    dark = target.clone()
    dark[mask.bool()] = 0.4  # every separator below the threshold: the pips run together
    extra = (train.image_loss(dark, target, 0.0, train.MARGIN, mask, 100.0)
             - train.image_loss(dark, target))
    assert float(extra) == pytest.approx(100.0 * float(mask.sum()) * (0.15 + 0.1) ** 2 / 1024)
    assert float(train.image_loss(target, target, 0.0, train.MARGIN, mask, 100.0)) == 0.0


def test_face_weights_draw_each_face_in_proportion():
    faces = np.repeat(np.arange(1, 7), 1000)  # (6000,)
    sampler = train.BatchSampler(faces, (1, 1, 1, 1, 1, 3), np.random.default_rng(0))
    drawn = np.bincount(faces[sampler(80_000)], minlength=7)[1:] / 80_000
    np.testing.assert_allclose(drawn, np.array([1, 1, 1, 1, 1, 3]) / 8, atol=0.01)
    with pytest.raises(ValueError, match="six weights"):
        train.BatchSampler(faces, (1, 1, 1), np.random.default_rng(0))


def test_uniform_faces_keep_the_original_random_stream():
    """Without --face-weights a run draws exactly the batches it drew before the option."""
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    sampler = train.BatchSampler(np.ones(500, int), (), a)
    assert np.array_equal(sampler(64), b.integers(0, 500, size=64))


def test_fine_tuning_can_start_from_a_quantized_checkpoints_float_weights(tmp_path):
    """--init takes a `pipdream quantize` checkpoint too: training goes on from its float weights."""
    from pipdream import quantize

    cfg = DecoderConfig(2, 2, 2, 2, 0)
    start, _ = train.train(cfg, TINY, progress=False)
    qat = quantize.QATDecoder(start, [0.01] * len(start.specs))
    torch.save(quantize.qcheckpoint(qat, {}), tmp_path / "q.pt")
    tuned, _ = train.train(cfg, train.TrainConfig(**{**vars(TINY), "steps": 1, "lr": 1e-9,
                                                     "init": str(tmp_path / "q.pt")}), progress=False)
    for (name, a), b in zip(start.state_dict().items(), tuned.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
