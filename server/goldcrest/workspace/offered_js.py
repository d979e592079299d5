"""The names a JavaScript module offers through an object it exports: ``export default { ... }``
(``import utils from './utils.js'``, then ``utils.``) or ``module.exports = { ... }`` (``const
utils = require('./utils')``). Helper bags like axios' ``utils`` are written this way, and a
small model asked for ``utils.`` names helpers the bag does not have.

As for classes (``offered``), the set is given only when it is whole: an object literal with no
spread and no computed key, exported as such or through a top-level ``const``; names the module
assigns on that object (``utils.extra = ...``) are added, and any other way of giving it names
(``Object.assign``, ``obj[key] =``) means no set.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tree_sitter import Node

from ..languages import LanguageInfo, new_parser

DEFAULT, REQUIRE = "default", "require"


def binding_kind(text: str, name: str) -> str | None:
    """How the current file binds ``name`` to a module: a default import, ``require``, or
    neither (a namespace import offers the module's named exports, not read here)."""
    word = re.escape(name)
    if re.search(rf"^\s*import\s+{word}\s*(?:,|\s+from\b)", text, re.M):
        return DEFAULT
    if re.search(rf"\b(?:const|let|var)\s+{word}\s*=\s*require\s*\(", text):
        return REQUIRE
    return None


@lru_cache(maxsize=16)
def exported_object_names(text: str, info: LanguageInfo, kind: str) -> frozenset[str] | None:
    """The keys of the object the module exports by ``kind`` (``DEFAULT`` or ``REQUIRE``);
    None unless they are all known. Kept per text: the check runs at every ``name.``."""
    parser = new_parser(info)
    if parser is None:
        return None
    source = text.encode("utf-8", errors="replace")
    root = parser.parse(source).root_node
    declared = _top_level_objects(root, source)
    exported = _export_default(root) if kind == DEFAULT else _module_exports(root, source)
    if exported is None:
        return None
    local = None
    if exported.type == "identifier":
        local = _text(exported, source)
        exported = declared.get(local)
    if exported is None or exported.type != "object":
        return None
    names = _keys(exported, source)
    if names is None:
        return None
    if local is not None:
        word = re.escape(local)
        if re.search(rf"Object\.(?:assign|defineProperty|defineProperties)\(\s*{word}\b", text):
            return None
        if re.search(rf"(?<![\w$.]){word}\s*\[[^\]]*\]\s*=(?!=)", text):
            return None
        names |= set(re.findall(rf"(?<![\w$.]){word}\.([\w$]+)\s*=(?!=)", text))
    return frozenset(names)


def _text(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _top_level_objects(root: Node, source: bytes) -> dict[str, Node]:
    """``const name = { ... }`` (or let/var) at the module's top level, by name."""
    found = {}
    for statement in root.named_children:
        if statement.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in statement.named_children:
            name, value = (declarator.child_by_field_name(f) for f in ("name", "value"))
            if name is not None and value is not None and name.type == "identifier":
                found[_text(name, source)] = value
    return found


def _export_default(root: Node) -> Node | None:
    for statement in root.named_children:
        if statement.type == "export_statement" and any(
            child.type == "default" for child in statement.children
        ):
            return statement.child_by_field_name("value")
    return None


def _module_exports(root: Node, source: bytes) -> Node | None:
    """The value of the last top-level ``module.exports = ...``."""
    found = None
    for statement in root.named_children:
        if statement.type != "expression_statement" or not statement.named_child_count:
            continue
        assignment = statement.named_children[0]
        if assignment.type != "assignment_expression":
            continue
        left = assignment.child_by_field_name("left")
        if left is not None and _text(left, source).replace(" ", "") == "module.exports":
            found = assignment.child_by_field_name("right")
    return found


def _keys(literal: Node, source: bytes) -> set[str] | None:
    """An object literal's keys; None when some cannot be known (spread, computed key)."""
    names = set()
    for part in literal.named_children:
        if part.type == "comment":
            continue
        if part.type == "shorthand_property_identifier":
            names.add(_text(part, source))
            continue
        if part.type not in ("pair", "method_definition"):
            return None  # a spread element, or something this reading does not know
        key = part.child_by_field_name("key" if part.type == "pair" else "name")
        if key is None or key.type not in ("property_identifier", "string", "number"):
            return None
        names.add(_text(key, source).strip("'\""))
    return names
