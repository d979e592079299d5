"""The members offered after ``name.`` or in ``from module import``, written above the cursor's
line (``workspace.members`` through ``workspace.near``), on small fixture projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldcrest.config import Settings
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.members import MEMBERS_CHARS
from goldcrest.workspace.near import near_facts
from goldcrest.workspace.retrieval import RetrievalOptions
from index_support import indexed_at

ON = RetrievalOptions(members_at_cursor=True)  # ``[index] member_list``; off by default

SHOP = {
    "shop/__init__.py": "",
    "shop/base.py": (
        "class Store:\n"
        "    def connect(self, url: str) -> None: ...\n"
        "    def close(self) -> None: ...\n"
    ),
    "shop/ledger.py": (
        "from .base import Store\n\n\n"
        "class Ledger(Store):\n"
        "    def __init__(self, name: str) -> None: ...\n"
        "    def post_entry(self, amount: float) -> None: ...\n"
        "    def balance(self) -> float: ...\n"
        "    def _audit(self) -> None: ...\n"
        "    def close(self) -> None: ...\n\n\n"
        "def open_ledger(name: str) -> 'Ledger':\n"
        "    return Ledger(name)\n\n\n"
        "def reconcile(a, b):\n    return a\n\n\n"
        "RATE = 0.2\n"
    ),
    "shop/uses.py": (
        "from .ledger import Ledger\n\n\n"
        "def one(l: Ledger):\n    l.balance()\n    l.post_entry(1)\n\n\n"
        "def two(l: Ledger):\n    return l.balance()\n"
    ),
}


async def _near(
    tmp_path: Path, files: dict[str, str], name: str, text: str, options: RetrievalOptions
) -> tuple[str, ...]:
    """Near facts at the end of ``text``, written as file ``name`` of the project."""
    async with indexed_at(tmp_path, files, name, text) as (ws, doc):
        return near_facts(ws, doc, len(text), [doc], (0, 0), options)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("module", "offered", "not_offered"),
    [
        (
            "var mime = require('mime');\n"
            "exports.isAbsolute = function(path) { return path[0] === '/'; };\n"
            "exports.etag = makeEtag({ weak: false });\n",
            ["isAbsolute()", "etag"],
            ["mime"],
        ),
        (
            "var View = require('./view');\n"
            "var app = exports = module.exports = {};\n"
            "app.render = function render(name, options) {};\n"
            "app.listen = function listen() {};\n",
            ["render()", "listen()"],
            ["View", "app"],
        ),
    ],
    ids=["exports", "exported-object"],
)
async def test_a_commonjs_module_offers_what_it_exports(
    tmp_path: Path, module: str, offered: list[str], not_offered: list[str]
):
    """``require`` gives the exports, not the module's own ``require``s."""
    text = "var lib = require('./lib');\n\nfunction f(v) {\n  return lib."
    found = await _near(tmp_path, {"lib.js": module}, "use.js", text, ON)
    assert len(found) == 1 and found[0].startswith("lib.js: module has ")
    names = found[0].removeprefix("lib.js: module has ").split(", ")
    assert sorted(names) == sorted(offered)
    assert not set(names) & set(not_offered)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    [
        "from .ledger import Ledger\n\n\ndef pay(book: Ledger, amount):\n    book.",
        "from .ledger import Ledger\n\n\ndef pay(book: 'Optional[Ledger]' = None):\n    book.",
        "from .ledger import Ledger\n\n\ndef pay(amount):\n    book = Ledger('main')\n    book.",
        "from .ledger import open_ledger\n\n\ndef pay(amount):\n    book = open_ledger('x')\n"
        "    book.",
        "def pay(amount):\n    from .ledger import Ledger\n\n    book = Ledger('main')\n    book.",
        "from .ledger import open_ledger\n\n\ndef pay():\n    with open_ledger('x') as book:\n"
        "        book.",
    ],
    ids=["annotation", "optional", "constructor", "return-annotation", "local-import", "with"],
)
async def test_a_variable_of_a_project_class_offers_its_methods_and_its_bases(
    tmp_path: Path, text: str
):
    """The most used first (``balance`` is called in two functions, ``post_entry`` in one);
    private methods and ``__init__`` left out; a base's method once, overridden or not."""
    found = await _near(tmp_path, SHOP, "shop/pay.py", text, ON)
    expected = "shop/ledger.py: class Ledger has balance(), post_entry(), close(), connect()"
    assert found == (expected,)


@pytest.mark.asyncio
async def test_a_module_offers_its_top_level_names(tmp_path: Path):
    text = "from . import ledger\n\n\ndef pay():\n    return ledger."
    found = await _near(tmp_path / "a", SHOP, "shop/pay.py", text, ON)
    assert found == ("shop/ledger.py: module has Ledger, open_ledger(), reconcile(), RATE",)
    text = "from .ledger import "
    found = await _near(tmp_path / "b", SHOP, "shop/pay.py", text, ON)
    assert found == ("shop/ledger.py: module has Ledger, open_ledger(), reconcile(), RATE",)


@pytest.mark.asyncio
async def test_a_javascript_default_import_offers_the_module_s_functions(tmp_path: Path):
    files = {
        "lib/utils.js": (
            "function isString(v) { return typeof v === 'string'; }\n"
            "const toArray = (v) => [v];\n"
            "export default { isString, toArray };\n"
        ),
    }
    text = "import utils from './utils.js';\n\nexport function f(v) {\n  return utils."
    found = await _near(tmp_path, files, "lib/use.js", text, ON)
    assert len(found) == 1 and found[0].startswith("lib/utils.js: module has ")
    assert "isString()" in found[0] and "toArray" in found[0]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    [
        "from .ledger import Ledger\n\n\ndef pay(book: Ledger):\n    book.close().",  # a chain
        "def pay(book):\n    book.",  # nothing says what book is
        "class Pay:\n    def run(self):\n        self.",  # the class's own: the head has them
        "from .ledger import Ledger\n\n\ndef pay(book: Ledger):\n    book.balance",  # a name
    ],
    ids=["chain", "unknown", "self", "name-typed"],
)
async def test_no_member_list_where_the_code_does_not_say_what_is_offered(
    tmp_path: Path, text: str
):
    found = await _near(tmp_path, SHOP, "shop/pay.py", text, ON)
    assert not any(" has " in line for line in found)


@pytest.mark.asyncio
async def test_the_member_list_is_one_line_within_its_size_and_can_be_turned_off(tmp_path: Path):
    methods = "".join(f"    def method_number_{i}(self) -> None: ...\n" for i in range(80))
    files = {"big/__init__.py": "", "big/wide.py": f"class Wide:\n{methods}"}
    text = "from .wide import Wide\n\n\ndef f(w: Wide):\n    w."
    found = await _near(tmp_path / "a", files, "big/use.py", text, ON)
    assert len(found) == 1 and len(found[0]) <= MEMBERS_CHARS
    assert found[0].startswith("big/wide.py: class Wide has method_number_0(), method_number_1()")
    assert await _near(tmp_path / "b", files, "big/use.py", text, RetrievalOptions()) == ()


@pytest.mark.asyncio
async def test_the_index_writes_the_member_list_only_when_the_settings_ask(tmp_path: Path):
    """``[index] member_list`` reaches the index's near facts; off by default."""
    root = tmp_path / "project"
    for rel, body in SHOP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    text = "from .ledger import Ledger\n\n\ndef pay(book: Ledger):\n    book."
    path = root / "shop" / "pay.py"
    path.write_text(text)
    doc = Document(path.as_uri(), language_for(None, path.name), 1, text)
    for member_list in (False, True):
        settings = Settings.model_validate({"index": {"member_list": member_list}})
        options = IndexOptions.from_settings(settings)
        ws = WorkspaceIndex([root], tmp_path / f"index-{member_list}.sqlite", options)
        await ws.build()
        try:
            found = ws.near(doc, len(text), [doc], (0, 0))
        finally:
            await ws.aclose()
        assert bool(found) is member_list
