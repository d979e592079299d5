"""Which tree-sitter nodes declare a function, class or similar, and their name, container and
header line, per grammar.

Kept apart from definition extraction (symbols.py) because scope lookup (scope.py) needs the
same answers for the nodes around the cursor: one table, so that a "method" there is a
"method" here.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple

from tree_sitter import Node

MAX_SIGNATURE = 200


class Declaration(NamedTuple):
    """A scope-like node: ``kind`` is fine-grained (``struct``, ``trait``, ``impl``...)."""

    kind: str
    name: str
    container: str | None


_JS_SCOPES = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "function_signature": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "method_definition": "method",
    "method_signature": "method",
    "abstract_method_signature": "method",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "internal_module": "namespace",
}
_C_SCOPES = {
    "function_definition": "function",
    "struct_specifier": "struct",
    "union_specifier": "struct",
    "enum_specifier": "enum",
}
_SCOPES: dict[str, dict[str, str]] = {
    "python": {"function_definition": "function", "class_definition": "class"},
    "javascript": _JS_SCOPES,
    "typescript": _JS_SCOPES,
    "tsx": _JS_SCOPES,
    "go": {"function_declaration": "function", "method_declaration": "method"},
    "rust": {
        "function_item": "function",
        "function_signature_item": "function",
        "struct_item": "struct",
        "union_item": "struct",
        "enum_item": "enum",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": "module",
    },
    "java": {
        "class_declaration": "class",
        "record_declaration": "class",
        "enum_declaration": "enum",
        "interface_declaration": "interface",
        "annotation_type_declaration": "interface",
        "method_declaration": "method",
        "constructor_declaration": "method",
    },
    "c": _C_SCOPES,
    "cpp": {**_C_SCOPES, "class_specifier": "class", "namespace_definition": "namespace"},
}

# Nodes whose members are methods, and the wrappers that may sit between them and a member.
_CLASS_LIKE = {
    "class_definition", "class_declaration", "abstract_class_declaration", "class",
    "interface_declaration", "enum_declaration", "record_declaration", "impl_item", "trait_item",
    "class_specifier", "struct_specifier", "union_specifier",
}  # fmt: skip
_MEMBER_WRAPPERS = {
    "block", "class_body", "declaration_list", "field_declaration_list", "decorated_definition",
    "template_declaration", "interface_body", "enum_body", "enum_body_declarations",
}  # fmt: skip
_FUNCTION_VALUES = {
    "arrow_function", "function_expression", "function", "generator_function",
}  # fmt: skip
_JS_FIELDS = {"field_definition", "public_field_definition"}
_JS_GRAMMARS = {"javascript", "typescript", "tsx"}
_EXPORTS = {"exports", "module.exports"}
_PLAIN_NAME = re.compile(r"[^\W\d][\w$]*")
_C_DECLARATORS = {
    "identifier", "field_identifier", "type_identifier", "destructor_name", "operator_name",
}  # fmt: skip
_C_SPECIFIERS = {"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"}
_TRAILING_COMMA = re.compile(r",\s*\n\s*([)\]}])")  # of a one-item-per-line list
_AFTER_OPEN = re.compile(r"([(\[])\s*\n\s*")
_BEFORE_CLOSE = re.compile(r"\s*\n\s*([)\]])")


def node_text(source: bytes, node: Node | None) -> str:
    """The code of ``node`` ("" for None); bad UTF-8 in a half-typed file is replaced."""
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line) header to one line of at most ``MAX_SIGNATURE`` chars."""
    if "\n" in text:
        text = _TRAILING_COMMA.sub(r"\1", text)
        text = _AFTER_OPEN.sub(r"\1", text)
        text = _BEFORE_CLOSE.sub(r"\1", text)
    text = " ".join(text.split())
    if len(text) > MAX_SIGNATURE:
        text = text[: MAX_SIGNATURE - 1].rstrip() + "…"
    return text


def strip_generics(name: str) -> str:
    """``Stack<T>`` or ``Stack[T]`` as ``Stack``: the name a container is looked up by."""
    return name.split("<", 1)[0].split("[", 1)[0].strip()


def c_declarator(source: bytes, node: Node | None) -> tuple[str, str | None, bool]:
    """(name, qualifying scope, is a function) found by following C/C++ declarator chains."""
    scope, is_function = None, False
    while node is not None:
        kind = node.type
        if kind in _C_DECLARATORS:
            return node_text(source, node), scope, is_function
        if kind == "qualified_identifier":
            qualifier = node.child_by_field_name("scope")
            if qualifier is not None:
                scope = strip_generics(node_text(source, qualifier).split("::")[-1])
            node = node.child_by_field_name("name")
        elif kind == "template_function":
            node = node.child_by_field_name("name")
        elif kind == "operator_cast":
            return "operator " + node_text(source, node.child_by_field_name("type")), scope, True
        else:
            is_function = is_function or kind == "function_declarator"
            inner = node.child_by_field_name("declarator")
            if inner is None and node.type == "reference_declarator" and node.named_child_count:
                inner = node.named_children[0]
            node = inner
    return "", scope, is_function


def _container(node: Node, source: bytes) -> str | None:
    """Name of the class-like node that ``node`` is a direct member of, if any."""
    parent = node.parent
    while parent is not None and parent.type in _MEMBER_WRAPPERS:
        parent = parent.parent
    if parent is None or parent.type not in _CLASS_LIKE:
        return None
    if parent.type == "impl_item":
        return strip_generics(node_text(source, parent.child_by_field_name("type")))
    return node_text(source, parent.child_by_field_name("name")) or None


def declaration_types(parser_name: str) -> Collection[str]:
    """Node types that declare a function, class or similar for that grammar."""
    return _SCOPES.get(parser_name, {}).keys()


def classify(node: Node, source: bytes, parser_name: str) -> Declaration | None:
    """Kind, name and container of a scope-like node (None for anything else)."""
    kind_by_type = _SCOPES.get(parser_name, {})
    node_type = node.type
    kind = kind_by_type.get(node_type)
    if kind is None:
        if node_type == "assignment_expression" and parser_name in _JS_GRAMMARS:
            return _assigned_function(node, source)
        if node_type == "variable_declarator" or node_type in _JS_FIELDS:
            value = _assigned_value(node.child_by_field_name("value"))
            if value is None or value.type not in _FUNCTION_VALUES:
                return None
            name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
            if name_node is None or name_node.type not in ("identifier", "property_identifier"):
                return None
            container = _container(node, source) if node_type in _JS_FIELDS else None
            kind = "method" if container else "function"
            return Declaration(kind, node_text(source, name_node), container)
        if parser_name in ("c", "cpp") and node_type in ("declaration", "field_declaration"):
            name, scope, is_function = c_declarator(source, node.child_by_field_name("declarator"))
            if not (name and is_function):
                return None
            container = scope or _container(node, source)
            return Declaration("method" if container else "function", name, container)
        return None
    if node_type in _C_SPECIFIERS and node.child_by_field_name("body") is None:
        return None  # a use such as `struct point p;`, not a definition
    if node_type == "impl_item":
        return Declaration(
            kind, strip_generics(node_text(source, node.child_by_field_name("type"))), None
        )
    if parser_name in ("c", "cpp") and node_type == "function_definition":
        name, scope, _ = c_declarator(source, node.child_by_field_name("declarator"))
    else:
        name, scope = node_text(source, node.child_by_field_name("name")), None
    if node_type == "method_declaration" and parser_name == "go":
        receiver = node.child_by_field_name("receiver")
        types = (
            [] if receiver is None else [node_text(source, t) for t in _receiver_types(receiver)]
        )
        return Declaration("method", name, strip_generics(types[0].lstrip("*")) if types else None)
    container = scope or _container(node, source)
    if kind == "function" and container:
        kind = "method"
    return Declaration(kind, name, container)


def _assigned_value(value: Node | None) -> Node | None:
    """What a chain of assignments finally assigns: ``var proto = module.exports = function``."""
    while value is not None and value.type == "assignment_expression":
        value = value.child_by_field_name("right")
    return value


def _member_target(node: Node, source: bytes) -> tuple[str, str] | None:
    """(object, property) of an assignment to ``object.property``; None for any other target."""
    left = node.child_by_field_name("left")
    if left is None or left.type != "member_expression":
        return None
    prop = left.child_by_field_name("property")
    if prop is None or prop.type != "property_identifier":
        return None
    return node_text(source, left.child_by_field_name("object")), node_text(source, prop)


def _assigned_function(node: Node, source: bytes) -> Declaration | None:
    """A function declared by assignment, as CommonJS and prototype-style code declares its API:
    ``exports.name = function``, ``module.exports.name = () =>``, ``module.exports = function
    name(``, ``Type.prototype.name = function`` and ``app.name = function`` (a method of
    ``Type`` or ``app``). None for anything else, ``this.name = ...`` included."""
    target, value = _member_target(node, source), node.child_by_field_name("right")
    if target is None or value is None or value.type not in _FUNCTION_VALUES:
        return None
    owner, name = target
    if target == ("module", "exports"):
        name = node_text(source, value.child_by_field_name("name"))
        return Declaration("function", name, None) if name else None
    owner = owner.removesuffix(".prototype")
    if owner in _EXPORTS:
        return Declaration("function", name, None)
    if owner == "this" or not _PLAIN_NAME.fullmatch(owner):
        return None
    return Declaration("method", name, owner)


def exported_name(node: Node, source: bytes) -> str | None:
    """The name a CommonJS ``exports.name = value`` (or ``module.exports.name``) exports."""
    target = _member_target(node, source)
    return target[1] if target is not None and target[0] in _EXPORTS else None


def _receiver_types(receiver: Node) -> list[Node]:
    return [t for p in receiver.named_children if (t := p.child_by_field_name("type")) is not None]


def header(node: Node, source: bytes, parser_name: str) -> str:
    """The declaration line of a scope-like node: everything before its body, on one line."""
    if node.type in ("variable_declarator", "assignment_expression") or node.type in _JS_FIELDS:
        value = _assigned_value(
            node.child_by_field_name("value") or node.child_by_field_name("right")
        )
        body = value.child_by_field_name("body") if value is not None else None
        end = body.start_byte if body is not None else node.end_byte
        keyword = ""
        if node.type == "variable_declarator" and node.parent is not None:
            keyword = node_text(source, node.parent.child(0)) + " "
        return one_line(keyword + source[node.start_byte : end].decode("utf-8", "replace"))
    body = node.child_by_field_name("body")
    end = node.end_byte
    if body is not None:
        end = body.start_byte
        if parser_name == "python":
            colons = [c for c in node.children if c.type == ":" and c.end_byte <= body.start_byte]
            end = colons[-1].end_byte if colons else end
    text = source[node.start_byte : end].decode("utf-8", "replace")
    return one_line(text).rstrip(";").rstrip()
