"""A die style is a TOML file (pipdream.style); its renders are cached under a hash of the
style and of the drawing code, so no other style and no older drawing is ever served."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from pipdream import dataset, style

BIG_PIPS = "pip_scale = 1.25\ncorner_scale = 0.5\n"
GOLDEN_SUM = 7892816  # make_dataset(64, 1) images summed, at the commit before styles


def test_the_shipped_style_is_a_file_and_every_key_left_out_means_it():
    assert style.SHIPPED == style.Style() == style.parse("")
    assert style.load(style.SHIPPED_FILE) == style.SHIPPED  # and it passes the geometric checks
    assert style.parse("pip_scale = 1.25") == style.Style(pip_scale=1.25)


@pytest.mark.parametrize("text, words", [
    ("pip_size = 1.2", "unknown key 'pip_size'"),
    ("pip_scale = 3", "pip_scale must be 0.7..1.35, got 3"),
    ("body_scale = 1.1", "body_scale must be 0.8..1.0, got 1.1"),
    ("corner_scale = -1", "corner_scale must be 0.0..2.0, got -1"),
    ("invert = 1", "invert must be true or false, got 1"),
    ('pip_scale = "big"', "pip_scale must be a number"),
    ("pip_scale = true", "pip_scale must be a number"),
    ("pip_scale = ", "is not valid TOML"),
])
def test_an_unknown_key_or_a_value_out_of_range_is_one_line_naming_it(tmp_path, text, words):
    path = tmp_path / "mine.toml"
    path.write_text(text + "\n")
    with pytest.raises(ValueError) as err:
        style.load(path)
    assert words in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_style_file_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="cannot read style file"):
        style.load(tmp_path / "none.toml")


def test_the_shipped_style_draws_what_the_shipped_code_drew():
    """The sum of the renders before styles existed."""
    images = dataset.make_dataset(64, 1)["images"]
    assert int(images.sum(dtype=np.int64)) == GOLDEN_SUM


def test_each_style_gets_its_own_renders_and_the_inverted_one_is_the_complement(tmp_path):
    big, inv = style.parse(BIG_PIPS), style.parse("invert = true")
    shipped = dataset.cached_dataset(64, 1, tmp_path)
    got = dataset.cached_dataset(64, 1, tmp_path, s=big)
    assert np.array_equal(got["images"], dataset.make_dataset(64, 1, big)["images"])
    assert (got["images"] != shipped["images"]).any(axis=(1, 2)).all()  # every die differs
    assert np.array_equal(dataset.cached_dataset(64, 1, tmp_path, s=inv)["images"], 255 - shipped["images"])
    assert np.array_equal(dataset.cached_dataset(64, 1, tmp_path)["images"], shipped["images"])


def test_an_edit_of_the_drawing_code_is_never_served_from_the_cache(tmp_path):
    """The edit the README once asked for: a bigger _PIP_RADIUS in dataset.py."""
    source = Path(dataset.__file__).read_text()
    assert source.count("_PIP_RADIUS = 8.5") == 1
    edited_file = tmp_path / "dataset_edited.py"
    edited_file.write_text(source.replace("_PIP_RADIUS = 8.5", "_PIP_RADIUS = 10.5"))
    spec = importlib.util.spec_from_file_location("pipdream_dataset_edited", edited_file)
    edited = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edited)
    cache = tmp_path / "cache"
    before = dataset.cached_dataset(512, 1, cache)  # left in the cache by an earlier run
    after = edited.cached_dataset(512, 1, cache)
    assert np.array_equal(after["images"], edited.make_dataset(512, 1)["images"])
    assert (after["images"] != before["images"]).any(axis=(1, 2)).sum() > 500
    # The edit undone: the shipped names still hold the shipped renders.
    undone = dataset.cached_dataset(512, 1, cache)
    assert np.array_equal(undone["images"], dataset.make_dataset(512, 1)["images"])


@pytest.mark.parametrize("name", ["shipped", "big_pips", "square", "inverted"])
def test_the_judge_reads_every_render_of_each_style_the_tests_use(name):
    """The judge takes its expectations from the style (pip area, polarity): before it judges a
    model of a style it must pass all 6,000 of the style's own renders (retrain checks the same)."""
    from pipdream import legibility

    s = style.load(style.SHIPPED_FILE.with_name(f"{name}.toml"))
    data = dataset.make_dataset(6000, 0, s)
    judged = legibility.judge(data["images"], data["faces"], s)
    assert judged["legible"] == judged["legible_1bit"] == 1.0
    assert dataset.fold_check(s).holds


def test_an_inverted_die_is_judged_on_its_complement_and_not_as_the_shipped_one():
    from pipdream import legibility

    inverted = style.load(style.SHIPPED_FILE.with_name("inverted.toml"))
    data = dataset.make_dataset(200, 2, inverted)
    assert legibility.is_legible(data["images"], data["faces"], style=inverted).all()
    assert not legibility.is_legible(data["images"], data["faces"]).any()  # the shipped judge: no body
