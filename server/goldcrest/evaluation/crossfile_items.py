"""Cross-file completion items cut from a real project, the way CrossCodeEval builds them.

A candidate is a line that uses a name the project defines (a call, an attribute chain, a
constructor, an assignment from one, an import of project names); the hole is the rest of that
line from a natural cursor point (after the callee name, after ``.``, after ``=``, after
``import``), and the document is the file cut there: the editor's prefix and suffix, the rest of
the line gone. Each item is labelled:

- ``cross``: the key name is defined in another file of the project, not in this one, and this
  file nowhere shows how it is used (no other ``name(`` or ``.name``): the answer needs the other
  file;
- ``in-file``: everything the answer names appears elsewhere in the file, so the file alone
  shows it.

Other candidates are dropped. The choice is a pure function of the project's files and a seed.
"""

from __future__ import annotations

import builtins
import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from ..context.scope import definitions_of
from ..documents import Document
from ..languages import language_for
from ..reserved import KEYWORDS
from ..workspace.scan import SKIP_DIRS

CROSS, IN_FILE = "cross", "in-file"
#: File extensions per project language (a project is built in one language).
EXTENSIONS = {"python": (".py",), "javascript": (".js", ".mjs", ".cjs")}
MIN_HOLE, MAX_HOLE = 3, 90
PER_FILE = 4  # most items from one file, so a few big files do not make the whole suite
MAX_FILE_BYTES = 200_000
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_STRING = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)""")
_JS_COMMON = """push pop shift unshift slice splice map filter reduce forEach find some every
indexOf includes join split concat keys values entries assign defineProperty create freeze isArray
from of parse stringify toString hasOwnProperty call apply bind then catch finally resolve reject
all race get set has delete add clear replace trim toLowerCase toUpperCase substring substr charAt
startsWith endsWith match test exec on once emit removeListener write end pipe destroy require
Error TypeError Promise Object Array String Number Boolean Symbol Map Set Date RegExp Buffer"""
#: Names of the languages' own types and globals (``dict.get``, ``Array.prototype.push``): a use
#: of one says nothing about the project even where the project defines the same name.
_COMMON = {
    "python": frozenset(
        name
        for kind in (builtins, dict, list, str, bytes, set, int, object, BaseException)
        for name in dir(kind)
    ),
    "javascript": frozenset(_JS_COMMON.split()),
}
_CALLS = {"call", "call_expression", "new_expression"}
_MEMBERS = {"attribute", "member_expression"}
_ASSIGNMENTS = {"assignment", "variable_declarator", "assignment_expression"}
_IMPORTS = {"import_from_statement", "import_statement"}
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPEN_ENDS = (",", "\\", "(", "[", "{", "+", "-", "*", "/", "=", "&", "|", "?", ".")
#: Line ends after which the statement goes on (in JavaScript also a ternary's ``:``).
_GOES_ON = {"python": _OPEN_ENDS, "javascript": (*_OPEN_ENDS, ":")}


@dataclass(frozen=True)
class CrossfileItem:
    """One hole: the document cut at the cursor, the rest of the line as the reference."""

    id: str
    path: str  # relative to the project root, "/"-separated
    line: int  # 0-based
    kind: str  # call, attribute, constructor, assign, import
    key: str  # the name whose definition decides the answer
    label: str  # CROSS or IN_FILE
    prefix: str  # the file up to the cursor
    suffix: str  # from the end of the hole's line
    reference: str  # the rest of the line: what a perfect suggestion holds
    defined_in: tuple[str, ...]  # the other files that define ``key``

    @property
    def group(self) -> str:
        """Holes of one file share a split half."""
        return self.path

    @property
    def text(self) -> str:
        """The document as the editor has it at the hole."""
        return self.prefix + self.suffix


def identifiers(code: str, language: str) -> list[str]:
    """The identifiers of a line of code in order, string literals and keywords left out."""
    stop = KEYWORDS.get(language, frozenset())
    return [w for w in _WORD.findall(_STRING.sub('""', code)) if w not in stop]


def balanced(code: str) -> bool:
    """Brackets close within ``code`` and none closes what it did not open."""
    stack: list[str] = []
    for char in _STRING.sub('""', code):
        if char in "([{":
            stack.append(char)
        elif char in _PAIRS and (not stack or stack.pop() != _PAIRS[char]):
            return False
    return not stack


def project_files(root: Path, language: str) -> list[Path]:
    """The project's source files in ``language``, sorted, without vendored or cache folders."""
    suffixes = EXTENSIONS[language]
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in suffixes
        and p.is_file()
        and p.stat().st_size <= MAX_FILE_BYTES
        and not any(part in SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts)
    )


def _field(node: Node, *names: str) -> Node | None:
    for name in names:
        if (child := node.child_by_field_name(name)) is not None:
            return child
    return None


def _name_of(node: Node | None) -> Node | None:
    """The name a callee or constructor ends with: ``b`` in ``a.b``, ``f`` in ``f``."""
    if node is None:
        return None
    if node.type in _MEMBERS:
        return _field(node, "attribute", "property")
    return node if node.type == "identifier" else None


def _cursor_points(node: Node) -> Iterator[tuple[str, Node, int]]:
    """(kind, key-name node, cursor byte) for the natural cursor points a node offers."""
    if node.type in _CALLS:
        callee = _field(node, "function", "constructor")
        name = _name_of(callee)
        if callee is None or name is None:
            return
        kind = "constructor" if node.type == "new_expression" or name.text[:1].isupper() else "call"
        yield kind, name, callee.end_byte
        if callee.type in _MEMBERS:
            yield "attribute", name, name.start_byte
    elif node.type in _ASSIGNMENTS:
        value = _field(node, "right", "value")
        if value is not None and value.type in _CALLS:
            name = _name_of(_field(value, "function", "constructor"))
            if name is not None:
                yield "assign", name, value.start_byte
    elif node.type in _IMPORTS:
        module = node.child_by_field_name("module_name")
        names = [
            c
            for c in node.named_children
            if c.type in ("dotted_name", "aliased_import", "import_clause") and c != module
        ]
        if names:
            first = names[0]
            ident = first if first.type != "aliased_import" else _field(first, "name")
            while ident is not None and ident.type not in ("identifier",):
                ident = ident.named_children[0] if ident.named_children else None
            if ident is not None:
                yield "import", ident, first.start_byte


def _walk(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


@dataclass(frozen=True)
class _Source:
    path: str
    doc: Document
    defined: frozenset[str]


def _load(root: Path, language: str) -> list[_Source]:
    sources = []
    for file in project_files(root, language):
        text = file.read_text(encoding="utf-8", errors="replace")
        doc = Document(file.as_uri(), language_for(None, file.name), 1, text)
        if doc.tree is None:
            continue
        names = frozenset(d.name for d in definitions_of(doc))
        sources.append(_Source(file.relative_to(root).as_posix(), doc, names))
    return sources


def _usage(key: str) -> re.Pattern[str]:
    """How a use of ``key`` shows in code: a call ``key(`` or a member access ``.key``."""
    word = re.escape(key)
    return re.compile(rf"(?<![\w$]){word}\s*\(|\.{word}(?![\w$])")


def _label(
    src: _Source, kind: str, key: str, hole: str, prefix: str, suffix: str, others: Sequence[str]
) -> str | None:
    """CROSS, IN_FILE or None (neither: the answer needs what no file shows, or is ambiguous)."""
    rest = prefix + suffix
    other_lines = prefix[: prefix.rfind("\n") + 1] + suffix
    language = src.doc.language.id
    if kind == "import":
        shown = re.search(rf"(?<![\w$]){re.escape(key)}(?![\w$])", other_lines) is not None
    else:
        shown = _usage(key).search(other_lines) is not None
    common = key in _COMMON.get(language, frozenset())
    if others and key not in src.defined and not shown and not common:
        return CROSS
    seen = set(identifiers(rest, language))
    if (key in src.defined or shown) and all(w in seen for w in identifiers(hole, language)):
        return IN_FILE
    return None


def _candidates(src: _Source, defined_at: dict[str, set[str]]) -> Iterator[CrossfileItem]:
    doc, text = src.doc, src.doc.text
    assert doc.tree is not None
    per_line: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for node in _walk(doc.tree.root_node):
        for kind, name, byte in _cursor_points(node):
            key = name.text.decode("utf-8", "replace") if name.text else ""
            if key and node.start_point[0] == doc.position_at(doc.offset_of_byte(byte))[0]:
                per_line[node.start_point[0]].append((kind, key, doc.offset_of_byte(byte)))
    for line, points in sorted(per_line.items()):
        for kind, key, offset in points:
            line_end = text.find("\n", offset)
            line_end = len(text) if line_end < 0 else line_end
            hole = text[offset:line_end].rstrip()
            if not MIN_HOLE <= len(hole.strip()) <= MAX_HOLE or not balanced(hole):
                continue
            if hole.endswith(_GOES_ON.get(src.doc.language.id, _GOES_ON["python"])):
                continue  # the statement goes on: not a line's end
            prefix, suffix = text[:offset], text[line_end:]
            others = sorted(defined_at.get(key, set()) - {src.path})
            label = _label(src, kind, key, hole, prefix, suffix, others)
            if label is None:
                continue
            item_id = f"{src.path}:{line + 1}:{kind}"
            yield CrossfileItem(
                item_id, src.path, line, kind, key, label, prefix, suffix, hole, tuple(others)
            )


def _rank(seed: int, item: CrossfileItem) -> str:
    return hashlib.sha256(f"{seed}:{item.id}".encode()).hexdigest()


def build_items(
    root: Path, language: str, seed: int = 0, cross: int = 30, in_file: int = 15
) -> list[CrossfileItem]:
    """Up to ``cross`` cross-file and ``in_file`` in-file items from the project at ``root``,
    one per line and at most ``PER_FILE`` per file, chosen by a seeded hash: the same files and
    seed give the same items on every machine."""
    sources = _load(root, language)
    defined_at: dict[str, set[str]] = defaultdict(set)
    for src in sources:
        for name in src.defined:
            defined_at[name].add(src.path)
    by_line: dict[tuple[str, int], list[CrossfileItem]] = defaultdict(list)
    for src in sources:
        for item in _candidates(src, defined_at):
            by_line[(item.path, item.line)].append(item)
    rng = random.Random(seed)
    one_per_line = [rng.choice(found) for _, found in sorted(by_line.items())]
    chosen: list[CrossfileItem] = []
    taken: dict[str, int] = defaultdict(int)
    wanted = {CROSS: cross, IN_FILE: in_file}
    for item in sorted(one_per_line, key=lambda i: _rank(seed, i)):
        if wanted[item.label] > 0 and taken[item.path] < PER_FILE:
            wanted[item.label] -= 1
            taken[item.path] += 1
            chosen.append(item)
    return sorted(chosen, key=lambda i: (i.path, i.line))
