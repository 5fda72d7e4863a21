"""The eval CNN in NumPy (the base install's judge, no torch) counts the pips exactly as the torch
model does, on the shipped weights read without torch, and refuses what is not its checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
from pipdream import dataset, evalnet, evalnet_numpy, paths


def test_the_numpy_judge_gives_the_torch_judges_faces_on_clean_augmented_and_1bit_dice():
    faces, angles = dataset.sample_labels(600, np.random.default_rng(3))
    clean = dataset.render_batch(faces, angles)
    for images in (clean, evalnet.augment(clean, np.random.default_rng(4)), evalnet.binarise(clean)):
        assert np.array_equal(evalnet_numpy.classify(images), evalnet.classify(images))


def test_the_weights_read_without_torch_are_the_checkpoints():
    sd = evalnet.load(paths.EVAL_PT).state_dict()
    mine = evalnet_numpy.load(paths.EVAL_PT)
    assert sorted(mine) == sorted(sd)
    for name, tensor in sd.items():
        assert np.array_equal(mine[name], tensor.numpy()), name


def test_a_file_that_is_not_an_eval_checkpoint_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"decoder\.pt is a pipdream decoder checkpoint, not an eval CNN"):
        evalnet_numpy.load(paths.DECODER_PT)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.pt is a text file, not an eval CNN checkpoint"):
        evalnet_numpy.load(junk)
