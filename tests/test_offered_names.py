"""The names an answer may begin with after ``name.`` or in ``from module import``
(``workspace.offered``), given only when the workspace knows them all, and the check and
grammar built from them (``workspace.offer``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldcrest.workspace.offer import Offered
from index_support import indexed_at

SHOP = {
    "shop/__init__.py": "from .ledger import Ledger\n",
    "shop/base.py": (
        "class Store:\n"
        "    kind = 'store'\n"
        "    def connect(self, url: str) -> None:\n"
        "        self.url = url\n"
        "    def close(self) -> None: ...\n"
    ),
    "shop/ledger.py": (
        "from .base import Store\n"
        "import os\n\n\n"
        "class Ledger(Store):\n"
        "    rate: float = 0.2\n\n"
        "    def __init__(self, name: str) -> None:\n"
        "        self.name = name\n"
        "        self._entries = []\n"
        "    def post_entry(self, amount: float) -> None:\n"
        "        total = amount\n"
        "        self._entries.append(total)\n"
        "    def balance(self) -> float: ...\n\n\n"
        "class Lazy:\n"
        "    def __getattr__(self, name): ...\n\n\n"
        "class Remote(SomeClient):\n"
        "    def fetch(self): ...\n\n\n"
        "class Failure(ValueError):\n"
        "    def explain(self): ...\n\n\n"
        "class TextWrapper(textwrap.TextWrapper):\n"
        "    def extra_indent(self): ...\n\n\n"
        "class Patched:\n"
        "    def one(self): ...\n\n\n"
        "Patched.two = lambda self: 2\n\n\n"
        "def open_ledger(name: str) -> 'Ledger':\n"
        "    return Ledger(name)\n\n\n"
        "RATE = 0.2\n"
    ),
    "web/lib/headers.js": (
        "class Headers {\n"
        "  count = 0;\n"
        "  constructor(init) {\n    this.map = init;\n  }\n"
        "  get(name) {\n    return this.map[name];\n  }\n"
        "}\n\n"
        "export default Headers;\n"
    ),
    "web/lib/accessors.js": (
        "class Accessors {\n  get(name) {\n    return 1;\n  }\n}\n\n"
        "Accessors.accessor(['Content-Type']);\n\nexport default Accessors;\n"
    ),
    # helper bags: an object literal exported whole (axios' utils), or built up, or spread
    "web/lib/utils.js": (
        "function isString(v) {\n  return typeof v === 'string';\n}\n"
        "const trim = (s) => s.trim();\n\n"
        "export default {\n  isString,\n  trim,\n  hasOwnProp: Object.hasOwn, // alias\n"
        "  'kind-of': 1,\n  merge() {},\n};\n"
    ),
    "web/lib/helpers.js": (
        "const helpers = { twice: (v) => v * 2 };\nhelpers.thrice = (v) => v * 3;\n\n"
        "module.exports = helpers;\n"
    ),
    "web/lib/spread.js": (
        "import base from './utils.js';\n\nexport default { ...base, extra() {} };\n"
    ),
    "web/lib/assigned.js": (
        "const bag = { one: 1 };\nObject.assign(bag, more);\n\nexport default bag;\n"
    ),
}


async def _offered(tmp_path: Path, name: str, text: str) -> Offered | None:
    """What is offered at the end of ``text``, written as file ``name`` of the project."""
    async with indexed_at(tmp_path, SHOP, name, text) as (ws, doc):
        return ws.offered(doc, len(text), [doc])


@pytest.mark.asyncio
async def test_a_class_offers_its_methods_attributes_and_bases(tmp_path: Path) -> None:
    found = await _offered(
        tmp_path, "shop/use.py", "from .ledger import Ledger\n\n\ndef pay(book: Ledger):\n    book."
    )
    assert found is not None and found.what == "class Ledger"
    for text in (
        "from .ledger import open_ledger\n\n\ndef f():\n    book = open_ledger('x')\n    book.",
        "from .ledger import Ledger\n\n\ndef f(b: 't.Optional[Ledger]' = None):\n    b.",
        "from .ledger import Ledger\n\n\ndef f():\n    b: Ledger | None = find()\n    b.",
    ):
        also = await _offered(tmp_path, "shop/use.py", text)
        assert also is not None and also.names == found.names, text
    # methods, attributes set on self, class-level names, and the base's the same way
    for name in ("post_entry", "balance", "name", "_entries", "rate", "connect", "url", "kind"):
        assert name in found.names, name
    assert "total" not in found.names  # a method's local variable is not an attribute
    assert found.allows("balance()") and found.allows("name\n")
    assert not found.allows("balanse()") and not found.allows("post(1)")
    assert found.allows("__class__")  # dunders are never judged


@pytest.mark.asyncio
async def test_the_part_typed_counts(tmp_path: Path) -> None:
    text = "from .ledger import Ledger\n\n\ndef pay(book: Ledger):\n    book.po"
    found = await _offered(tmp_path, "shop/use.py", text)
    assert found is not None and found.typed == "po"
    assert found.allows("st_entry(1)") and not found.allows("ster()")
    grammar = found.grammar()
    assert grammar is not None and '"st_entry"' in grammar and '"balance"' not in grammar


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    [
        "from .ledger import Lazy\n\n\ndef f(x: Lazy):\n    x.",  # __getattr__: any name
        "from .ledger import Remote\n\n\ndef f(x: Remote):\n    x.",  # base not in the workspace
        "from .ledger import Patched\n\n\ndef f(x: Patched):\n    x.",  # Patched.two = ...
        # another module's class of the same name as its own: not itself
        "from .ledger import TextWrapper\n\n\ndef f(x: TextWrapper):\n    x.",
        "def f(x):\n    x.",  # nothing says what x is
        # a list of them, not one (httpx: `history: list[Response] = []`, `history.append(`)
        "from .ledger import Ledger\n\n\ndef f():\n    xs: list[Ledger] = []\n    xs.",
        "from .ledger import Ledger\n\n\ndef f(x: Ledger):\n    x = load()\n    x.",  # rebound
        "from .ledger import open_ledger\n\n\ndef f():\n    with open_ledger() as x:\n        x.",
        "class A:\n    def f(self):\n        self.",  # the class's own: in the prompt already
    ],
    ids=[
        "getattr",
        "unknown-base",
        "patched",
        "dotted-base",
        "untyped",
        "list-of",
        "rebound",
        "with-as",
        "self",
    ],
)
async def test_nothing_is_offered_where_a_name_could_be_missing(tmp_path: Path, text: str) -> None:
    assert await _offered(tmp_path, "shop/use.py", text) is None


@pytest.mark.asyncio
async def test_a_builtin_base_adds_its_names(tmp_path: Path) -> None:
    found = await _offered(
        tmp_path, "shop/use.py", "from .ledger import Failure\n\n\ndef f(e: Failure):\n    e."
    )
    assert found is not None and {"explain", "args", "with_traceback"} <= found.names


@pytest.mark.asyncio
async def test_a_module_offers_its_names_and_imports(tmp_path: Path) -> None:
    found = await _offered(tmp_path, "shop/use.py", "from .ledger import ")
    assert found is not None and found.import_list
    assert {"Ledger", "open_ledger", "RATE", "Store", "os"} <= found.names
    assert found.allows("Ledger, open_ledger") and found.allows("RATE as rate  # noqa")
    assert not found.allows("Ledger, Journal")  # every name in the list must exist
    package = await _offered(tmp_path, "shop/use.py", "from . import ")
    assert package is not None and {"ledger", "base", "Ledger"} <= package.names
    dotted = await _offered(tmp_path, "shop/use.py", "from . import ledger\n\nledger.")
    assert dotted is not None and "open_ledger" in dotted.names and not dotted.import_list


@pytest.mark.asyncio
async def test_names_imported_already_from_the_module_are_not_offered_again(
    tmp_path: Path,
) -> None:
    """A module-level ``from m import`` may not repeat a name another module-level statement
    imports from m (a sorted re-export block, click's ``__init__``): the answer and the grammar
    lose it. An import inside a function may repeat one made for type checking."""
    text = (
        "from .ledger import \n"
        "from .ledger import Ledger as Ledger\n"
        "from .ledger import (\n    open_ledger,\n    RATE as rate,\n)\n"
        "from .base import Store\n\n\n"
        "def later():\n    from .ledger import Ledger\n"
    )
    async with indexed_at(tmp_path, SHOP, "shop/use.py", text) as (ws, doc):
        found = ws.offered(doc, len("from .ledger import "), [doc])
        inside = ws.offered(doc, text.rindex("Ledger"), [doc])
    assert found is not None and found.taken == {"Ledger", "open_ledger", "RATE"}
    assert not found.allows("Ledger as Ledger") and not found.allows("RATE")
    assert found.allows("Store") and found.allows("Lazy as Lazy")  # Store: from .base only
    assert '"Ledger"' not in (found.grammar() or "") and '"Lazy"' in (found.grammar() or "")
    assert inside is not None and not inside.taken and inside.allows("Ledger")


@pytest.mark.asyncio
async def test_javascript_classes_and_their_fields(tmp_path: Path) -> None:
    text = "import Headers from './headers.js';\n\nconst h = new Headers({});\nh."
    found = await _offered(tmp_path, "web/lib/use.js", text)
    assert found is not None and {"get", "map", "count"} <= found.names
    text = "import Accessors from './accessors.js';\n\nconst h = new Accessors();\nh."
    assert await _offered(tmp_path, "web/lib/use.js", text) is None  # built outside its body


@pytest.mark.asyncio
async def test_javascript_modules_exporting_an_object_offer_its_keys(tmp_path: Path) -> None:
    text = "import utils from './utils.js';\n\nexport const f = (v) => utils."
    found = await _offered(tmp_path, "web/lib/use.js", text)
    assert found is not None and found.what == "module"
    assert found.names == {"isString", "trim", "hasOwnProp", "kind-of", "merge"}
    assert found.allows("isString(v)") and not found.allows("isArray(v)")
    text = "const helpers = require('./helpers');\n\nmodule.exports = (v) => helpers."
    found = await _offered(tmp_path, "web/lib/use.js", text)
    assert found is not None and found.names == {"twice", "thrice"}  # and what it assigns


LONG_JS = "".join(f"function f{i} (a) {{\n  return a + {i}\n}}\n\n" for i in range(300))
LONG_PY = "".join(f"def f{i}(a):\n    return a + {i}\n\n\n" for i in range(300))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "head", "typed", "expected"),
    [
        (  # a licence comment, then 'use strict', then CommonJS requires
            "web/lib/use.js",
            "// (c) someone\n\n'use strict'\n\nconst helpers = require('./helpers')\n\n",
            "module.exports = (v) => helpers.",
            {"twice", "thrice"},
        ),
        (  # a statement between the imports
            "shop/report.py",
            "import os\n\nWIN = os.name == 'nt'\n\nfrom shop import ledger\n\n\n",
            "def g():\n    return ledger.",
            {"Ledger", "Lazy", "Remote", "Failure"},
        ),
    ],
    ids=["commonjs", "python"],
)
async def test_the_end_of_a_long_file_sees_the_imports_at_its_head(
    tmp_path: Path, name: str, head: str, typed: str, expected: set[str]
) -> None:
    """A request reads a copy parsed around the cursor (``Document.around``), whose head must
    hold the file's imports: before, it stopped at the first statement that was not an
    import, and the check never knew ``helpers`` or ``ledger`` there."""
    text = head + (LONG_JS if name.endswith(".js") else LONG_PY) + typed
    async with indexed_at(tmp_path, SHOP, name, text) as (ws, doc):
        view = doc.around(len(text))
        assert view.region is not None  # parsed around the cursor, not whole
        found = ws.offered(view, len(text), [view])
        assert found is not None and expected <= found.names
        assert found == ws.offered(doc, len(text), [doc])


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    [
        "import base from './spread.js';\n\nbase.",  # spread: the other object's keys too
        "import bag from './assigned.js';\n\nbag.",  # Object.assign: any name
        "import * as utils from './utils.js';\n\nutils.",  # named exports: not read
        "import utils from './utils.js';\n\nutils.later = 1;\nutils.",  # given more here
    ],
    ids=["spread", "assign", "namespace", "assigned-here"],
)
async def test_no_javascript_object_keys_where_one_could_be_missing(
    tmp_path: Path, text: str
) -> None:
    assert await _offered(tmp_path, "web/lib/use.js", text) is None


def test_the_grammar_keeps_to_the_names_and_a_word_boundary() -> None:
    offered = Offered("", frozenset({"read", "read_all", "__enter__"}), "class Stream")
    grammar = offered.grammar()
    assert grammar is not None
    assert grammar.startswith('root ::= ("read" | "read_all") rest')
    assert "__enter__" not in grammar
    assert Offered("read", frozenset({"read", "read_all"}), "x").grammar() == (
        'root ::= ("_all")? rest\nrest ::= ([^a-zA-Z0-9_$\\x00] [^\\x00]*)?\n'
    )
    assert Offered("zz", frozenset({"read"}), "x").grammar() is None
