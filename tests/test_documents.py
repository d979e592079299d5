"""Documents: position conversions, incremental edits against full reparses, flags, store."""

from __future__ import annotations

import gc
import random
import re
import time
import weakref

import pytest

from goldcrest.context.scope import definitions_of, enclosing_scopes, identifiers_near
from goldcrest.documents import (
    MAX_PARSE_BYTES,
    Document,
    DocumentStore,
    StaleVersionError,
    TextChange,
    UnknownDocumentError,
)
from goldcrest.languages import language_for, new_parser


def make(text: str, uri: str = "file:///t.py", language_id: str | None = None) -> Document:
    return Document(uri, language_for(language_id, uri), 1, text)


def reference_offset(text: str, line: int, character: int) -> int:
    """Slow, obviously correct LSP position -> str offset (clamping like VS Code)."""
    pieces = re.split(r"(\r\n|\r|\n)", text)
    contents, breaks = pieces[0::2], [*pieces[1::2], ""]
    if line >= len(contents):
        return len(text)
    offset = sum(len(c) + len(b) for c, b in zip(contents[:line], breaks[:line], strict=True))
    units = 0
    for ch in contents[line]:
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > character:
            break
        units += width
        offset += 1
    return offset


def reference_position(text: str, offset: int) -> tuple[int, int]:
    """Slow LSP position of an offset that is not inside a \\r\\n pair."""
    ends = [m.end() for m in re.finditer(r"\r\n|\r|\n", text) if m.end() <= offset]
    start = ends[-1] if ends else 0
    return len(ends), len(text[start:offset].encode("utf-16-le")) // 2


# -- conversions -----------------------------------------------------------------------------


def test_emoji_is_two_utf16_units_and_four_bytes() -> None:
    doc = make("a😀b = 1\n")
    assert doc.offset_at(0, 1) == 1
    assert doc.offset_at(0, 3) == 2  # after the emoji
    assert doc.position_at(2) == (0, 3)
    assert doc.byte_at(2) == 5
    assert doc.offset_of_byte(5) == 2
    assert doc.offset_of_byte(3) == 1  # inside the emoji rounds down


def test_half_a_surrogate_pair_rounds_down() -> None:
    doc = make("😀x")
    assert doc.offset_at(0, 1) == 0


def test_cjk_is_one_unit_and_three_bytes() -> None:
    doc = make("x = '漢字'\ny = 2\n")
    assert doc.offset_at(0, 7) == 7
    assert doc.position_at(7) == (0, 7)
    assert doc.byte_at(7) == 5 + 3 + 3
    assert doc.offset_of_byte(11) == 7
    assert doc.byte_at(doc.offset_at(1, 0)) == len("x = '漢字'\n".encode())


def test_crlf_lines_and_clamping() -> None:
    text = "a = 1\r\nbb = 2\r\n\r\nc"
    doc = make(text)
    assert doc.line_count == 4
    assert doc.line(1) == "bb = 2"
    assert doc.line(2) == ""
    assert doc.offset_at(1, 0) == 7
    assert doc.offset_at(1, 99) == 13  # clamps before \r\n
    assert doc.offset_at(99, 0) == len(text)
    assert doc.position_at(7) == (1, 0)
    assert doc.position_at(len(text)) == (3, 1)


def test_lone_cr_is_a_line_break() -> None:
    doc = make("a\rb\nc")
    assert doc.line_count == 3
    assert doc.offset_at(1, 0) == 2
    assert doc.position_at(4) == (2, 0)


def test_conversions_match_reference_on_mixed_text() -> None:
    text = "def f():\r\n    return '😀漢字'  # é\n\r\nx = 1\rlast 😀"
    doc = make(text)
    for offset in range(len(text) + 1):
        if text[offset - 1 : offset + 1] == "\r\n":
            continue
        line, character = reference_position(text, offset)
        assert doc.position_at(offset) == (line, character), offset
        assert doc.offset_at(line, character) == offset
        assert doc.byte_at(offset) == len(text[:offset].encode())
        assert doc.offset_of_byte(doc.byte_at(offset)) == offset


# -- incremental edits -----------------------------------------------------------------------

PYTHON_SOURCE = '''import os


class Cache:
    """Keeps things."""

    def get(self, key: str) -> str | None:
        return self._items.get(key)  # 漢字


def load(path):
    with open(path) as handle:
        return [line.strip() for line in handle if line]
'''

GO_SOURCE = """package main

import "fmt"

type Node struct {
	Name string // 😀
}

func (n *Node) String() string {
	return fmt.Sprintf("%s", n.Name)
}

func main() {
	for i := 0; i < 3; i++ {
		fmt.Println(i)
	}
}
"""

SNIPPETS = [
    "", "", "x", " ", "\n", "\r\n", "\r", "(", ")", "{", "}", ":", "😀", "漢字",
    "def f(a):\n    return a\n", "func g() int { return 1 }\n", "\"", "'", "if x:\n", "    ",
    "\t", "# c\n", "// c\n", "é",
]  # fmt: skip


def random_range(rng: random.Random, doc: Document) -> tuple[tuple[int, int], tuple[int, int]]:
    """A short range, sometimes reversed or past the end, so the file keeps its size."""
    line = rng.randrange(doc.line_count + 1)
    start = (line, rng.randrange(len(doc.line(line)) + 3))
    if rng.random() < 0.6:
        return start, start
    end_line = line + rng.choice([0, 0, 0, 1])
    return start, (end_line, rng.randrange(len(doc.line(end_line)) + 3))


@pytest.mark.parametrize(
    ("uri", "source"),
    [("file:///x.py", PYTHON_SOURCE), ("file:///x.go", GO_SOURCE)],
    ids=["python", "go"],
)
def test_random_incremental_edits_match_full_parse(uri: str, source: str) -> None:
    rng = random.Random(20240611)
    doc = Document(uri, language_for(None, uri), 1, source)
    parser = new_parser(doc.language)
    assert parser is not None
    for step in range(400):
        start, end = random_range(rng, doc)
        s = reference_offset(doc.text, *start)
        e = reference_offset(doc.text, *end)
        s, e = min(s, e), max(s, e)
        insert = rng.choice(SNIPPETS)
        expected = doc.text[:s] + insert + doc.text[e:]
        doc.apply_changes(doc.version + 1, [TextChange(start, end, insert)])
        assert doc.text == expected, step
        assert doc.tree is not None
        fresh = parser.parse(expected.encode())
        assert str(doc.tree.root_node) == str(fresh.root_node), step
        for offset in rng.sample(range(len(expected) + 1), min(10, len(expected) + 1)):
            line, character = doc.position_at(offset)
            if expected[offset - 1 : offset + 1] != "\r\n":
                assert doc.offset_at(line, character) == offset
            assert doc.byte_at(offset) == len(expected[:offset].encode())
    assert doc.version == 401


def test_full_replacement_and_several_changes_in_order() -> None:
    doc = make("a = 1\n")
    doc.apply_changes(2, [(None, None, "b = 2\n"), ((0, 0), (0, 1), "c")])
    assert doc.text == "c = 2\n"
    assert doc.version == 2
    assert doc.tree is not None and "assignment" in str(doc.tree.root_node)


def test_stale_version_is_rejected_and_text_kept() -> None:
    doc = make("a = 1\n")
    doc.apply_changes(5, [((0, 0), (0, 1), "b")])
    for version in (5, 4):
        with pytest.raises(StaleVersionError):
            doc.apply_changes(version, [((0, 0), (0, 1), "zzz")])
    assert doc.text == "b = 1\n"
    assert doc.version == 5


def test_edits_stay_fast_on_a_long_file() -> None:
    text = "".join(f"def f{i}(x):\n    return x + {i}  # 漢\n\n" for i in range(1700))
    doc = make(text)
    assert doc.line_count > 5000
    timings = []
    for i in range(50):
        started = time.perf_counter()
        doc.apply_changes(i + 2, [((2500, 4), (2500, 4), "y")])
        timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.005


# -- languages and flags ---------------------------------------------------------------------


def test_unknown_language_has_no_tree_but_works() -> None:
    doc = make("puts 'hi'\n", uri="file:///x.rb", language_id="ruby")
    assert doc.language.parser_name is None
    assert doc.language.line_comment == "#"
    assert doc.tree is None
    doc.apply_changes(2, [((0, 0), (0, 4), "print")])
    assert doc.text == "print 'hi'\n"
    assert doc.position_at(len(doc.text)) == (1, 0)


def test_language_by_id_then_extension() -> None:
    assert language_for("typescriptreact", "file:///a").parser_name == "tsx"
    assert language_for("javascriptreact", "file:///a").id == "javascript"
    assert language_for(None, "file:///src/a%20b.hpp").id == "cpp"
    assert language_for("plaintext", "file:///a.py").id == "python"
    assert language_for(None, "untitled:Untitled-1").parser_name is None


def test_binary_and_huge_documents_are_flagged_without_tree() -> None:
    binary = make("a = 1\x00\x01\n")
    assert binary.binary and binary.tree is None
    binary.apply_changes(2, [((0, 5), (0, 7), "")])
    assert not binary.binary and binary.tree is not None

    huge = make("x = 1\n" * (MAX_PARSE_BYTES // 6 + 1))
    assert huge.too_large and huge.tree is None
    assert huge.position_at(len(huge.text)) == (MAX_PARSE_BYTES // 6 + 1, 0)


def test_store_open_change_close() -> None:
    store = DocumentStore()
    doc = store.open("file:///m.go", "go", 1, "package main\n")
    assert store.get("file:///m.go") is doc and list(store) == [doc]
    store.change("file:///m.go", 2, [((1, 0), (1, 0), "func f() {}\n")])
    assert "function_declaration" in str(doc.tree.root_node)
    with pytest.raises(UnknownDocumentError):
        store.change("file:///other.go", 2, [])
    store.close("file:///m.go")
    store.close("file:///m.go")
    assert store.get("file:///m.go") is None and len(store) == 0


# -- long files: the line index, requests' local trees, copies ------------------------------


def long_module(functions: int = 400) -> str:
    """A plausible Python module with a class of many methods and many functions."""
    methods = "".join(
        f"    def get_{i}(self, key: str) -> int:\n"
        f"        if key in self._items:\n"
        f"            return self._items[key] + {i}\n"
        f"        return helper_{i}([1.0, 2.0])\n\n"
        for i in range(60)
    )
    helpers = "".join(
        f"def helper_{i}(values: list[float]) -> float:\n"
        f"    total = 0.0\n"
        f"    for v in values:\n"
        f"        total += v * {i}\n"
        f"    return total\n\n\n"
        for i in range(functions)
    )
    return f"import math\nimport os\n\n\nclass Store:\n    limit = 3\n\n{methods}\n{helpers}"


def test_line_index_follows_jumping_edits_and_keeps_snapshots() -> None:
    rng = random.Random(7)
    doc = make(long_module())
    for step in range(300):
        line = rng.randrange(doc.line_count)
        start = (line, rng.randrange(len(doc.line(line)) + 1))
        before = doc.text
        frozen = doc.around(doc.offset_at(*start))  # a request's copy, alive during the edit
        insert = rng.choice(["x", "\n", "\n    ", "", "😀", "\r\n"])
        end = start if rng.random() < 0.7 else (line, len(doc.line(line)))
        doc.apply_changes(doc.version + 1, [TextChange(start, end, insert)])
        for offset in rng.sample(range(len(doc.text) + 1), 5):
            if doc.text[offset - 1 : offset + 1] != "\r\n":
                assert doc.offset_at(*doc.position_at(offset)) == offset, step
            assert doc.byte_at(offset) == len(doc.text[:offset].encode()), step
        for offset in rng.sample(range(len(before) + 1), 5):
            assert frozen.byte_at(offset) == len(before[:offset].encode()), step
    fresh = make(doc.text)
    assert [fresh.position_at(o) for o in range(0, len(doc.text), 97)] == [
        doc.position_at(o) for o in range(0, len(doc.text), 97)
    ]


def test_a_request_parses_only_the_code_around_the_cursor() -> None:
    from goldcrest.context.scope import enclosing_scopes, identifiers_near

    text = long_module(2000)
    doc = make(text)
    assert doc.line_count > 14000
    offset = text.index("return total", len(text) // 2) + len("return total")
    view = doc.around(offset)
    assert view.region is not None and view.region.line_count < 40
    assert view.tree is not None and view.tree.root_node.end_point.row < doc.line_count
    assert enclosing_scopes(view, offset) == enclosing_scopes(doc, offset)
    assert identifiers_near(view, offset) == identifiers_near(doc, offset)


def test_local_trees_match_the_whole_tree_anywhere() -> None:
    from goldcrest.context.scope import enclosing_scopes, identifiers_near

    def outline(scopes: list) -> list[tuple]:
        # A class opened around the cursor ends, for the request, where its local tree ends.
        return [
            (s.kind, s.name, s.start, s.header, s.end if s.kind != "class" else 0) for s in scopes
        ]

    text = long_module(300)
    doc = make(text)
    rng = random.Random(3)
    for offset in rng.sample(range(len(text)), 150):
        view = doc.around(offset)
        assert outline(enclosing_scopes(view, offset)) == outline(enclosing_scopes(doc, offset))
        assert identifiers_near(view, offset) == identifiers_near(doc, offset), offset


def test_inside_a_large_class_the_region_is_its_header_and_the_members_near_the_cursor() -> None:
    text = long_module(0)
    doc = make(text)
    offset = text.index("return helper_30(")
    region = doc.around(offset).region
    assert region is not None
    assert region.frame == ((4, 4),)  # "class Store:"
    assert region.unit[1] - region.unit[0] < 10
    assert region.line_count < 30 < doc.line_count / 5


def test_an_edited_copy_leaves_the_document_alone() -> None:
    text = "def f(x):\n    return \n\n\nprint(f(2))\n"
    doc = make(text)
    at = text.index("return ") + len("return ")
    copy = doc.edited(at, at, "x +\n        1")
    assert doc.text == text and doc.line_count == 6 and not doc.tree.root_node.has_error
    assert copy.text == text[:at] + "x +\n        1" + text[at:]
    assert copy.position_at(len(copy.text)) == (6, 0)
    parser = new_parser(copy.language)
    assert str(copy.tree.root_node) == str(parser.parse(copy.text.encode()).root_node)


def test_edits_are_parsed_once_when_the_tree_is_asked_for() -> None:
    doc = make(long_module(50))
    assert doc.tree is not None
    doc.take_sync_seconds()
    for i in range(30):
        doc.apply_changes(doc.version + 1, [((10 + i, 0), (10 + i, 0), "# c\n")])
    assert doc._stale  # nobody asked: nothing parsed yet
    tree = doc.tree
    assert not doc._stale and doc.take_sync_seconds() > 0 and doc.take_sync_seconds() == 0
    fresh = new_parser(doc.language).parse(doc.text.encode())
    assert str(tree.root_node) == str(fresh.root_node)


def test_a_closed_document_is_freed_at_once_not_by_the_garbage_collector() -> None:
    """Its tree and text go when the editor closes it (or a request's copy is dropped), not
    inside whichever later request the collector happens to run in."""
    store = DocumentStore()
    text = "class A:\n    def f(self, x):\n        return helper(x)\n" * 40
    doc = store.open("file:///tmp/freed.py", "python", 1, text)
    offset = text.index("helper")
    definitions_of(doc)
    enclosing_scopes(doc, offset)
    identifiers_near(doc, offset, limit=10)
    view, edited = doc.around(offset), doc.edited(offset, offset, "x")
    assert view.whole is doc and edited.whole is doc and doc.whole is doc
    definitions_of(view)
    gone = weakref.ref(doc), weakref.ref(view), weakref.ref(edited)
    gc.disable()
    try:
        store.close("file:///tmp/freed.py")
        del doc, view, edited
        assert [ref() for ref in gone] == [None, None, None]
    finally:
        gc.enable()
