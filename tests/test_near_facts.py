"""The definition of the name being typed, written just above the cursor's line
(``workspace.near``), on the shop fixture project."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfile_support import write_project
from goldcrest.config import CompletionSettings
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.prompts import family
from goldcrest.tasks.completion_prompt import CompletionContext, build_request
from goldcrest.tasks.cursor import Cursor
from goldcrest.workspace.imports import unused_imports
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.near import near_facts
from goldcrest.workspace.retrieval import RetrievalOptions


async def _near(
    tmp_path: Path,
    text: str,
    visible: tuple[int, int],
    options: RetrievalOptions,
    more: dict[str, str] | None = None,
) -> tuple[str, ...]:
    """Near facts at the end of ``text``, written as ``shop/report.py``; ``more``: other files
    of the shop, by name."""
    root = write_project(tmp_path / "project")
    for name, other in (more or {}).items():
        (root / "shop" / name).write_text(other)
    path = root / "shop" / "report.py"
    path.write_text(text)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    try:
        doc = Document(path.as_uri(), language_for(None, "report.py"), 1, text)
        return near_facts(ws, doc, len(text), [doc], visible, options)
    finally:
        await ws.aclose()


@pytest.mark.asyncio
async def test_the_definition_of_the_name_at_the_cursor_is_a_near_fact(tmp_path: Path):
    """``table.rate_for`` is a method of another file's class, reached through an attribute;
    ``TaxTable(`` is a class, shown with its constructor."""
    text = "from .pricing import TaxTable\n\n\ndef tax(table, category):\n    return table.rate_for"
    found = await _near(tmp_path / "a", text, (4, 4), RetrievalOptions(near_usages=0))
    assert found == ("shop/pricing.py: def rate_for(self, category: str) -> float:",)
    off = await _near(tmp_path / "b", text, (4, 4), RetrievalOptions(near_definition=False))
    assert off == ()
    text = "from .pricing import TaxTable\n\n\ndef table(region):\n    return TaxTable("
    found = await _near(tmp_path / "c", text, (4, 4), RetrievalOptions(near_usages=0))
    assert found == (
        "shop/pricing.py: class TaxTable:",
        "shop/pricing.py: def __init__(self, region: str, rates: dict[str, float]) -> None:",
    )


@pytest.mark.asyncio
async def test_with_usages_on_the_lines_that_call_it_elsewhere_follow(tmp_path: Path):
    """``near_usages``: how the project calls the function, whole lines only, one per line,
    and only a call whose names the cursor's place has too (a call site's own variables would
    be copied): here ``DEFAULT_RATES`` only once the file imports it."""
    text = (
        "from .pricing import DEFAULT_RATES, TaxTable\n\n\ndef table(region):\n    return TaxTable"
    )
    found = await _near(tmp_path / "a", text, (4, 4), RetrievalOptions())
    assert found[-1] == "called as: table = TaxTable(self.region, DEFAULT_RATES)"
    assert len(found) == 3 and found[:2] == await _near(
        tmp_path / "b", text, (4, 4), RetrievalOptions(near_usages=0)
    )
    lacking = text.replace("DEFAULT_RATES, ", "")
    assert len(await _near(tmp_path / "c", lacking, (4, 4), RetrievalOptions())) == 2
    any_names = RetrievalOptions(usages_any_names=True)  # the eval's ``usages-any-names``
    assert (await _near(tmp_path / "d", lacking, (4, 4), any_names))[-1] == found[-1]


@pytest.mark.asyncio
async def test_call_sites_are_read_once_and_again_after_the_calling_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The keystroke path asks for the same name on every request: the store is read once; a
    saved change to the calling file gives its new line, not the remembered one."""
    root = write_project(tmp_path / "project")
    text = (
        "from .pricing import DEFAULT_RATES, TaxTable\n\n\ndef table(region):\n    return TaxTable"
    )
    path = root / "shop" / "report.py"
    path.write_text(text)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    reads: list[int] = []
    texts = ws.texts
    monkeypatch.setattr(ws, "texts", lambda ids: reads.append(len(ids)) or texts(ids))
    doc = Document(path.as_uri(), language_for(None, "report.py"), 1, text)
    try:
        ask = lambda: near_facts(ws, doc, len(text), [doc], (4, 4), RetrievalOptions())  # noqa: E731
        assert ask()[-1] == "called as: table = TaxTable(self.region, DEFAULT_RATES)"
        assert ask()[-1] == "called as: table = TaxTable(self.region, DEFAULT_RATES)"
        assert len(reads) == 1
        cart = root / "shop" / "cart.py"
        cart.write_text(cart.read_text().replace("(self.region, DEFAULT_RATES)", "(region=region)"))
        await ws.update([str(cart)])
        assert ask()[-1] == "called as: table = TaxTable(region=region)"
        assert len(reads) == 2
    finally:
        await ws.aclose()


@pytest.mark.asyncio
async def test_a_definition_in_view_or_unknown_is_not_repeated(tmp_path: Path):
    text = "def helper(x):\n    return x\n\n\ndef f():\n    return helper"
    assert await _near(tmp_path / "a", text, (0, 5), RetrievalOptions()) == ()
    text = "def f(cart):\n    return cart.no_such_method"
    assert await _near(tmp_path / "b", text, (0, 1), RetrievalOptions()) == ()


def test_near_facts_are_written_just_above_the_cursor_line_at_its_indent():
    cursor = Cursor(line_before="    x = ", line_after="", next_lines=(), block_style="indent")
    ctx = CompletionContext(
        "import os\n\n\ndef f():\n    x = ", "\n", (), (), cursor, "cart.py", "python", "#",
        (0, 20), near=("pkg/tax.py: def rate_for(self, category):",),
    )  # fmt: skip
    fim = build_request(ctx, family("qwen2_5_coder"), True, CompletionSettings())
    assert fim.prefix == (
        "import os\n\n\ndef f():\n    # pkg/tax.py: def rate_for(self, category):\n    x = "
    )
    chat = build_request(ctx, family("qwen2_5_coder"), False, CompletionSettings())
    assert "pkg/tax.py: def rate_for(self, category):" in chat.messages[-1].content


@pytest.mark.asyncio
async def test_names_imported_for_code_not_written_yet_are_near_facts(tmp_path: Path):
    """After ``=`` nothing is named: the one import the file does not use yet is what the line
    is likely to call. Not once the file uses it, not for a typed start it lacks, not after
    ``name.``, not inside an import statement, and not when many are unused (a re-export)."""
    head = "from .pricing import TaxTable, apply_discount\n\n\ndef table(region):\n"
    text = head + "    TaxTable(region)\n    price = "
    unused = "shop/pricing.py: def apply_discount(price: float, percent: float, *, floor: float = 0.0) -> float:"  # noqa: E501
    assert await _near(tmp_path / "a", text, (0, 5), RetrievalOptions()) == (unused,)
    assert await _near(tmp_path / "b", text + "app", (0, 5), RetrievalOptions()) == (unused,)
    assert await _near(tmp_path / "c", text + "tab", (0, 5), RetrievalOptions()) == ()
    assert await _near(tmp_path / "d", text, (0, 5), RetrievalOptions(near_unused=0)) == ()
    used = head + "    TaxTable(region)\n    apply_discount(1.0, 2.0)\n    price = "
    assert await _near(tmp_path / "e", used, (0, 5), RetrievalOptions()) == ()
    assert await _near(tmp_path / "f", text + "region.", (0, 5), RetrievalOptions()) == ()
    writing = "from .pricing import TaxTable\nfrom .pricing import "
    assert await _near(tmp_path / "g", writing, (0, 1), RetrievalOptions()) == ()
    many = "from .cart import Cart, Line\nfrom .pricing import DEFAULT_RATES, TaxTable, apply_discount\n\nx = "  # noqa: E501
    assert await _near(tmp_path / "h", many, (0, 3), RetrievalOptions()) == ()


def test_unused_imports_in_javascript():
    """Named, default and aliased imports; a name used once, or only inside a longer name,
    counts as used (``parseFd`` in ``parseFdNumber``: no fact rather than a wrong one)."""
    text = (
        "import {filterDuplicates, getDuplicateStream as dup} from './duplicate.js';\n"
        "import parseFd from './fd.js';\n"
        "import * as utils from './utils.js';\n\n"
        "const x = dup(1) + parseFdNumber(2);\nconst y = "
    )
    doc = Document("file:///p/a.js", language_for(None, "a.js"), 1, text)
    assert doc.tree is not None
    found = unused_imports(doc.tree, doc.source, "javascript", len(doc.source))
    assert found == ["filterDuplicates", "utils"]
    assert unused_imports(doc.tree, doc.source, "javascript", 10) == []  # inside an import


_RAISERS = {  # errors.py's error raised in six places; index order: a.py ... e.py, pool_a.py
    "errors.py": "class InvalidArgument(Exception):\n    pass\n",
    **{
        f"{name}.py": (
            "from errors import InvalidArgument\n\n\n"
            f"def {word}_of(text):\n    if not text.isdigit():\n"
            f'        raise InvalidArgument("{word}: not a number")\n    return int(text)\n'
        )
        for name, word in zip("abcde", ("price", "weight", "height", "width", "depth"), strict=True)
    },
    "pool_a.py": (
        "from errors import InvalidArgument\n\n\nclass PoolA:\n"
        "    def __init__(self, opts):\n        if not opts.agent:\n"
        '            raise InvalidArgument("opts.agent must implement Agent")\n'
        "        self.agent = opts.agent\n        self.connections = opts.connections\n"
    ),
}


@pytest.mark.asyncio
async def test_the_call_sites_shown_are_those_most_like_the_code_above_the_cursor(
    tmp_path: Path,
):
    """A name raised in six places: the sibling of the pool being written says what its line
    says, and is shown first although five files come before it in the index's order; code
    like ``c.py``'s shows ``c.py``'s line first instead."""
    root = tmp_path / "project"
    root.mkdir()
    for name, text in _RAISERS.items():
        (root / name).write_text(text)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()

    def sites(name: str, text: str) -> list[str]:
        doc = Document((root / name).as_uri(), language_for(None, name), 1, text)
        facts = near_facts(ws, doc, len(text), [doc], (0, 0), RetrievalOptions())
        return [f for f in facts if f.startswith("called as: ")]

    try:
        pool = (
            "from errors import InvalidArgument\n\n\nclass PoolB:\n"
            "    def __init__(self, opts):\n        self.connections = opts.connections\n"
            "        if not opts.agent:\n            raise InvalidArgument"
        )
        found = sites("pool_b.py", pool)
        assert found[0] == 'called as: raise InvalidArgument("opts.agent must implement Agent")'
        assert len(found) == 2
        number = (
            "from errors import InvalidArgument\n\n\ndef height_in_cm(text):\n"
            "    if not text.isdigit():\n        raise InvalidArgument"
        )
        shown = 'called as: raise InvalidArgument("height: not a number")'
        assert sites("f.py", number)[0] == shown
    finally:
        await ws.aclose()


@pytest.mark.asyncio
async def test_a_call_passing_a_function_and_hex_numbers_reads_only_its_variables(
    tmp_path: Path,
):
    """``(char) => char === 0x9`` reads no ``char``, ``x9`` or ``x20``: the call line is shown
    where its one variable, ``value``, is a name of the cursor's place too."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "chars.js").write_text(
        "function removeChars (str, leading, trailing, predicate) {\n  return str\n}\n"
        "module.exports = { removeChars }\n"
    )
    (root / "header.js").write_text(
        "const { removeChars } = require('./chars')\n\nfunction clean (value) {\n"
        "  value = removeChars(value, true, true, (char) => char === 0x9 || char === 0x20)\n"
        "  return value\n}\n"
    )
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    text = (
        "const { removeChars } = require('./chars')\n\nfunction trim (value) {\n"
        "  value = removeChars\n  return value\n}\n"
    )
    doc = Document((root / "trim.js").as_uri(), language_for(None, "trim.js"), 1, text)
    cursor = text.index("\n  return")
    try:
        found = near_facts(ws, doc, cursor, [doc], (0, 0), RetrievalOptions())
    finally:
        await ws.aclose()
    assert found[-1] == (
        "called as: value = removeChars(value, true, true, (char) => char === 0x9 || char === 0x20)"
    )


@pytest.mark.asyncio
async def test_the_call_that_begins_as_the_cursor_line_does_is_shown_first(tmp_path: Path):
    """Of two calls in the same chunk, the one whose line begins as the cursor's does comes
    first, though the other comes first in the file."""
    sale = {
        "sale.py": "from .pricing import apply_discount\n\n\ndef sale(price):\n"
        "    total = apply_discount(price, 5)\n    return round(apply_discount(price, 10), 2)\n"
    }
    text = "from .pricing import apply_discount\n\n\ndef h(price):\n    return round(apply_discount"
    one = RetrievalOptions(near_usages=1)
    found = await _near(tmp_path / "a", text, (0, 4), one, sale)
    assert found[-1] == "called as: return round(apply_discount(price, 10), 2)"
    other = text.replace("return round(apply_discount", "total = apply_discount")
    found = await _near(tmp_path / "b", other, (0, 4), one, sale)
    assert found[-1] == "called as: total = apply_discount(price, 5)"


@pytest.mark.asyncio
async def test_a_call_site_shows_only_where_its_names_are_variables(tmp_path: Path):
    """``names_here``: a method's own name, or a word in a comment, is no variable the call's
    ``region`` could be (undici's getter ``get url ()`` showed ``URLSerializer(url, true)``); a
    parameter is, and so is a module imported from outside the workspace (``sys``)."""
    sale = {
        "sale.py": "import sys\n\nfrom .pricing import TaxTable\n\n\n"
        "def local(region):\n    return TaxTable(region, {})\n\n\n"
        "def native():\n    return TaxTable(sys.platform, {})\n"
    }

    async def calls(where: str, text: str) -> list[str]:
        options = RetrievalOptions(near_usages=3)
        found = await _near(tmp_path / where, text, (0, 9), options, sale)
        return [line for line in found if line.startswith("called as:")]

    head = "from .pricing import TaxTable\n\n\n"
    method = "class Report:\n    def region(self):\n        # the region's table\n"
    assert await calls("a", head + method + "        return TaxTable") == []
    parameter = "def build(region):\n    # the region's table\n"
    assert await calls("b", head + parameter + "    return TaxTable") == [
        "called as: return TaxTable(region, {})"
    ]
    native = await calls("c", "import sys\n" + head + "def build():\n    return TaxTable")
    assert native == ["called as: return TaxTable(sys.platform, {})"]
