"""The mirror fold (FLAG_MIRROR_FOLD, docs/arithmetic.md): a die mirrored left-right is the same
face at another angle, so a folded model draws each face over only the angle codes no mirror
reaches, and every backend draws the other codes as the mirror of their folded code."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from conftest import default_arch_model
from pipdream import dataset, quantize, reference, train
from pipdream.backends import generate_images
from pipdream.blob import format as F
from pipdream.blob import load, pack
from pipdream.decoder import Decoder, DecoderConfig
from support.kernels import kernels

FACES = np.repeat(np.arange(1, F.N_FACES + 1), 2 * F.ANGLE_CODE_MAX + 1)  # (1530,) every face
CODES = np.tile(np.arange(-F.ANGLE_CODE_MAX, F.ANGLE_CODE_MAX + 1), F.N_FACES)  # at every code
WINDOWS = {1: (0, 63), 4: (0, 63), 5: (0, 63), 2: (-63, 63), 3: (-63, 63), 6: (0, 127)}


def code_degrees(code: int) -> float:
    """The angle a code stands for (latent code / 127 is angle / 90), in [-90, 90)."""
    deg = code * 90.0 / F.ANGLE_CODE_MAX
    return deg - 180.0 if deg >= 90.0 else deg  # 90 degrees is -90: every die turns into itself at 180


def folded_model(seed: int = 4):
    return dataclasses.replace(default_arch_model(seed), flags=F.FLAG_MIRROR_FOLD)


def test_each_face_is_folded_into_its_window_and_unfolded_codes_stay():
    codes, mirror = reference.fold(F.FLAG_MIRROR_FOLD, FACES, CODES)
    for face, (lo, hi) in WINDOWS.items():
        got = codes[FACES == face]
        assert got.min() == lo and got.max() == hi, face
        inside = (CODES[FACES == face] >= lo) & (CODES[FACES == face] <= hi)
        assert (got[inside] == CODES[FACES == face][inside]).all()  # a code in its window stays
        assert not mirror[FACES == face][inside].any()
    plain_codes, plain_mirror = reference.fold(0, FACES, CODES)
    assert (plain_codes == CODES).all() and not plain_mirror.any()


def test_the_true_die_at_every_code_is_the_mirror_of_the_die_at_its_folded_code():
    """The model-free ground for the fold: the renders agree pixel for pixel."""
    codes, mirror = reference.fold(F.FLAG_MIRROR_FOLD, FACES, CODES)
    want = dataset.render_batch(FACES, np.array([code_degrees(c) for c in CODES]))
    got = dataset.render_batch(FACES, np.array([code_degrees(c) for c in codes]))
    got[mirror] = got[mirror][:, :, ::-1]
    assert mirror.sum() > 600
    assert (got == want).all(), f"{int((got != want).any(axis=(1, 2)).sum())} dice differ"


def test_a_folded_blob_draws_the_mirror_of_its_folded_code():
    model = folded_model()
    assert load(pack(model)).flags == F.FLAG_MIRROR_FOLD  # the flag round-trips
    plain = dataclasses.replace(model, flags=0)
    faces, codes = FACES[::3], CODES[::3]  # 510 dice, every face at 85 codes
    folded, mirror = reference.fold(F.FLAG_MIRROR_FOLD, faces, codes)
    want = reference.run(plain, faces, folded)  # the plain model's die at the folded code
    want[mirror] = want[mirror][:, :, ::-1]
    got = reference.run(model, faces, codes)
    assert (got == want).all()
    assert (got != reference.run(plain, faces, codes)).any(axis=(1, 2)).sum() > 250  # not a no-op


def test_the_c_kernels_draw_every_folded_die_on_both_plans_and_split_in_parts():
    lib = kernels()
    blob = pack(folded_model())
    faces, codes = FACES[::2], CODES[::2]  # 765 dice, every face at 128 codes
    want = reference.run(load(blob), faces, codes)
    parsed = lib.model(blob)
    assert parsed.model.fold == F.FLAG_MIRROR_FOLD
    for face, code, img in zip(faces.tolist(), codes.tolist(), want):
        assert np.array_equal(lib.generate_full(parsed, face, code), img), (face, code, "full")
        assert np.array_equal(lib.generate_stream(parsed, face, code)[0], img), (face, code, "stream")
    for face, code, img in list(zip(faces.tolist(), codes.tolist(), want))[::26]:  # 30 dice, two cores
        image, status = lib.generate_split(parsed, face, code, parts=2)
        assert status == [0, 0] and np.array_equal(image, img), (face, code, "split")


@pytest.mark.parametrize("backend", ["natmod", "natmod-full", "viper"])
def test_the_device_backends_draw_the_folded_dice(backend):
    blob = pack(folded_model())
    step = 3 if backend.startswith("natmod") else 17  # 510 dice; viper: 90, mirrored and not
    faces, codes = FACES[::step], CODES[::step]
    assert (generate_images(backend, blob, faces, codes) == reference.run(load(blob), faces, codes)).all()


def test_pure_python_draws_a_mirrored_die():
    blob = pack(folded_model())
    faces, codes = np.array([6, 2, 1]), np.array([-40, 100, -30])  # each mirrored
    assert reference.fold(F.FLAG_MIRROR_FOLD, faces, codes)[1].all()
    assert (generate_images("python", blob, faces, codes) == reference.run(load(blob), faces, codes)).all()


# ---- training: the same fold in degrees --------------------------------------------------------


def test_the_fold_in_degrees_is_the_fold_on_codes_at_every_code():
    angles, mirror = dataset.fold_angles(FACES, CODES * 90.0 / F.ANGLE_CODE_MAX)
    codes, code_mirror = reference.fold(F.FLAG_MIRROR_FOLD, FACES, CODES)
    assert (reference.angle_code(dataset.angle_to_latent(angles)) == codes).all()
    assert (mirror == code_mirror).all()


def test_a_folded_dataset_is_the_renders_at_the_folded_angles():
    data = dataset.make_dataset(60, seed=3)
    folded = dataset.folded(data)
    assert (folded["faces"] == data["faces"]).all()
    assert (folded["images"] == dataset.render_batch(folded["faces"], folded["angles"])).all()
    assert not (folded["images"] == data["images"]).all()


def test_a_folded_float_model_draws_the_mirror_of_its_folded_angle():
    torch.manual_seed(0)
    plain = Decoder(DecoderConfig())
    folded = Decoder(DecoderConfig(fold=True))
    folded.load_state_dict(plain.state_dict())
    faces, latents = FACES[::5], CODES[::5] / F.ANGLE_CODE_MAX
    angles, mirror = dataset.fold_angles(faces, latents * 90.0)
    want = train.float_images(plain, faces, dataset.angle_to_latent(angles))
    want[mirror] = want[mirror][:, :, ::-1]
    assert np.array_equal(train.float_images(folded, faces, latents), want)
    assert mirror.any() and not np.array_equal(train.float_images(plain, faces, latents), want)


def test_a_folded_checkpoint_quantizes_to_a_folded_blob(tmp_path):
    model = Decoder(DecoderConfig(fold=True))
    train.save_checkpoint(tmp_path / "f.pt", model, {})
    assert train.load_decoder(tmp_path / "f.pt").cfg.fold
    qat = quantize.QATDecoder(model, quantize.calibrate(model, torch.rand(64, 7)))
    assert load(pack(quantize.to_qmodel(qat))).flags == F.FLAG_MIRROR_FOLD
    model.cfg = DecoderConfig()
    assert load(pack(quantize.to_qmodel(qat))).flags == 0


def test_pipdream_train_folds_unless_told_not_to(tmp_path):
    from pipdream.cli import build_parser, main

    out = tmp_path / "d.pt"
    assert main(["train", "--dims", "2,2,2,2", "--hires", "0", "--steps", "2", "--n-train", "64",
                 "--eval-n", "0", "--threads", "1", "--out", str(out)]) == 0
    assert train.load_decoder(out).cfg.fold
    argv = ["train", "--no-fold", "--out", "x.pt"]
    assert not build_parser(argv).parse_args(argv).fold


def test_a_checkpoint_from_before_the_fold_loads_unfolded(tmp_path):
    path = tmp_path / "old.pt"
    train.save_checkpoint(path, Decoder(DecoderConfig(2, 2, 2, 2, 0)), {})
    ckpt = torch.load(path, weights_only=False)
    del ckpt["config"]["fold"]  # as written before December 2026
    torch.save(ckpt, path)
    assert train.load_decoder(path).cfg == DecoderConfig(2, 2, 2, 2, 0, fold=False)


@pytest.mark.parametrize("flags", [0, F.FLAG_MIRROR_FOLD])
def test_the_reference_rejects_an_angle_code_out_of_range_folded_or_not(flags):
    model = dataclasses.replace(default_arch_model(), flags=flags)
    for code in (128, -128, 200):
        with pytest.raises(ValueError, match="angle codes must be in -127..127"):
            reference.run(model, np.array([1]), np.array([code]))
