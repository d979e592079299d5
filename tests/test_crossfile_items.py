"""The cross-file item builder and its scores, on a small project written for the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crossfile_support import write_project
from goldcrest.evaluation import crossfile_items
from goldcrest.evaluation.crossfile_items import CROSS, IN_FILE, build_items, identifiers
from goldcrest.evaluation.crossfile_score import score_line


@pytest.fixture
def shop(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setattr(crossfile_items, "PER_FILE", 100)  # every candidate, not a sample
    return write_project(tmp_path / "project")


def test_items_are_the_same_for_a_seed(shop: Path):
    first = build_items(shop, "python", seed=3)
    assert first == build_items(shop, "python", seed=3)
    assert {i.label for i in first} == {CROSS, IN_FILE}


def test_a_cross_file_hole_needs_the_other_file(shop: Path):
    items = {(i.path, i.key): i for i in build_items(shop, "python") if i.label == CROSS}
    discount = items[("shop/cart.py", "apply_discount")]
    assert discount.reference.startswith(("apply_discount(", "(line.price"))
    assert discount.defined_in == ("shop/pricing.py",)
    for item in items.values():
        here = (shop / item.path).read_text()
        assert not re.search(rf"(def|class) {item.key}\b", here)  # not defined in this file
        for other in item.defined_in:
            assert re.search(rf"(def|class) {item.key}\b", (shop / other).read_text())
        assert item.reference.strip() not in item.prefix  # the answer is not in the prefix
        head = item.prefix[: item.prefix.rfind("\n") + 1]
        assert f"{item.key}(" not in head + item.suffix  # nor is a use to copy from


def test_an_in_file_hole_names_only_what_the_file_shows(shop: Path):
    items = [i for i in build_items(shop, "python") if i.label == IN_FILE]
    assert any(i.key == "_subtotal" for i in items)
    for item in items:
        seen = set(identifiers(item.prefix + item.suffix, "python"))
        assert set(identifiers(item.reference, "python")) <= seen


def test_the_document_is_the_file_cut_at_the_hole(shop: Path):
    for item in build_items(shop, "python"):
        original = (shop / item.path).read_text()
        assert item.prefix + item.reference + item.suffix == original
        assert item.text.count("\n") == original.count("\n")


def test_a_seed_picks_a_sample_and_per_file_caps_it(shop: Path, monkeypatch):
    monkeypatch.setattr(crossfile_items, "PER_FILE", 1)
    picked = build_items(shop, "python", seed=0, cross=1, in_file=1)
    assert sorted(i.label for i in picked) == [CROSS, IN_FILE]
    assert len({i.path for i in picked}) == 2


def test_javascript_items_come_from_imports_and_calls(tmp_path: Path):
    (tmp_path / "util.js").write_text("export function clamp(value, low, high) {\n  return 0;\n}\n")
    (tmp_path / "main.js").write_text(
        "import { clamp } from './util.js';\n\nexport const fit = (v) => clamp(v, 0, 10);\n"
    )
    items = build_items(tmp_path, "javascript")
    assert [(i.path, i.key, i.label) for i in items if i.label == CROSS] == [
        ("main.js", "clamp", CROSS)
    ]


def test_commonjs_items_come_from_what_other_files_assign(tmp_path: Path):
    """express-style code: the API is assigned (``exports.x =``, ``Type.prototype.x =``)."""
    (tmp_path / "layer.js").write_text(
        "function Layer(path) {\n  this.path = path;\n}\n\n"
        "Layer.prototype.match = function match(path) {\n  return path === this.path;\n};\n"
        "module.exports = Layer;\n"
    )
    (tmp_path / "utils.js").write_text("exports.isAbsolute = function(path) {\n  return 1;\n};\n")
    (tmp_path / "router.js").write_text(
        "var Layer = require('./layer');\nvar utils = require('./utils');\n\n"
        "function find(layer, path) {\n  return layer.match(path) && utils.isAbsolute(path);\n}\n"
    )
    cross = [i for i in build_items(tmp_path, "javascript") if i.label == CROSS]
    assert {(i.key, i.defined_in) for i in cross} <= {
        ("match", ("layer.js",)),
        ("isAbsolute", ("utils.js",)),
    }
    assert cross


def test_line_scores():
    exact = score_line(
        "apply_discount(line.price, self.discount)",
        "apply_discount(line.price, self.discount)\nmore",
        "python",
    )
    assert exact.exact and exact.edit_similarity == 1.0 and exact.identifier_f1 == 1.0
    near = score_line(
        "apply_discount(line.price, self.discount)", "apply_discount(line.price)", "python"
    )
    assert not near.exact and 0.6 < near.edit_similarity < 1.0
    assert near.identifier_f1 == pytest.approx(2 * 3 / (5 + 3))
    nothing = score_line("x(1)", None, "python")
    assert (nothing.exact, nothing.edit_similarity, nothing.identifier_f1) == (False, 0.0, 0.0)
    assert identifiers('f(a, "b c", not d)', "python") == ["f", "a", "d"]
