"""The evaluation CNN: the shipped weights judge clean and 1-bit renders perfectly."""

from __future__ import annotations

import numpy as np
import pytest
from pipdream import dataset, evalnet


@pytest.fixture(scope="module")
def fresh():
    """Clean renders the CNN never saw (its train/test seeds are 101 and 201)."""
    return dataset.make_dataset(600, seed=4242)


def test_shipped_eval_cnn_counts_every_clean_die(fresh):
    assert np.array_equal(evalnet.classify(fresh["images"]), fresh["faces"])


def test_shipped_eval_cnn_counts_1bit_dice_as_the_oled_shows_them(fresh):
    faces = evalnet.classify(evalnet.binarise(fresh["images"]))
    assert np.mean(faces == fresh["faces"]) >= 0.995


def test_shipped_eval_cnn_mostly_counts_augmented_dice(fresh):
    augmented = evalnet.augment(fresh["images"], np.random.default_rng(0))
    assert np.mean(evalnet.classify(augmented) == fresh["faces"]) >= 0.98


def test_binarise_thresholds_at_128():
    img = np.array([[0, 127, 128, 255]], np.uint8)
    np.testing.assert_array_equal(evalnet.binarise(img), [[0, 0, 255, 255]])


def test_augment_keeps_shape_and_changes_about_half(fresh):
    images = fresh["images"]
    out = evalnet.augment(images, np.random.default_rng(1))
    assert out.shape == images.shape and out.dtype == np.uint8
    changed = np.mean([not np.array_equal(a, b) for a, b in zip(images, out)])
    assert 0.6 < changed < 0.99  # shift, blur and noise each hit about half


@pytest.mark.parametrize("bad", [np.zeros((2, 16, 16), np.uint8), np.zeros((2, 32, 32), np.float32)])
def test_classify_rejects_wrong_shapes_and_dtypes(bad):
    with pytest.raises(ValueError):
        evalnet.classify(bad)


def test_a_tiny_training_run_produces_a_loadable_judge(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPDREAM_CACHE", str(tmp_path / "cache"))
    model, metrics = evalnet.train_evalnet(n_train=300, epochs=1, n_test=60, threads=1,
                                           progress=False)
    assert {"clean_accuracy", "augmented_accuracy", "clean_1bit_accuracy"} <= metrics.keys()
    evalnet.save(tmp_path / "e.pt", model, metrics)
    faces = evalnet.classify(dataset.make_dataset(5, 0)["images"], tmp_path / "e.pt")
    assert faces.shape == (5,) and set(faces) <= {1, 2, 3, 4, 5, 6}
