"""Definitions a file provides (functions, methods, classes, types, module-level variables).

The walk visits only nodes that can hold declarations (modules, class bodies, namespaces,
export and preprocessor wrappers, ERROR nodes) and never enters a function body, so a large
file costs a few hundred node visits. ``classify`` is shared with scope lookup so that a
"method" here is a "method" there.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, NamedTuple

from tree_sitter import Node, Tree

from goldcrest.languages import LanguageInfo

Kind = Literal["function", "method", "class", "variable", "type"]

MAX_SIGNATURE = 200


@dataclass(frozen=True)
class Definition:
    """One declared name; ``start_line``/``end_line`` are 0-based and span the whole body."""

    name: str
    kind: Kind
    signature: str
    docstring: str
    uri: str
    start_line: int
    end_line: int
    container: str | None


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
# Walked through when looking for definitions; function bodies never are.
_TRANSPARENT = {
    "ERROR", "export_statement", "decorated_definition", "template_declaration",
    "ambient_declaration", "expression_statement", "statement_block", "declaration_list",
    "linkage_specification", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
    "preproc_elifdef", "if_statement", "else_clause", "elif_clause", "try_statement",
    "except_clause", "finally_clause", "block", "class_body", "interface_body", "enum_body",
    "enum_body_declarations", "field_declaration_list",
}  # fmt: skip
_FUNCTION_VALUES = {
    "arrow_function", "function_expression", "function", "generator_function",
}  # fmt: skip
_JS_FIELDS = {"field_definition", "public_field_definition"}
_C_DECLARATORS = {
    "identifier", "field_identifier", "type_identifier", "destructor_name", "operator_name",
}  # fmt: skip
_C_SPECIFIERS = {"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"}
_COMMENTS = {"comment", "line_comment", "block_comment"}
_TRAILING_COMMA = re.compile(r",\s*\n\s*([)\]}])")  # of a one-item-per-line list
_AFTER_OPEN = re.compile(r"([(\[])\s*\n\s*")
_BEFORE_CLOSE = re.compile(r"\s*\n\s*([)\]])")
_COMMENT_MARKER = re.compile(r"^\s*(?:/\*+|\*+/?|//[/!]?|#+)?\s?")


def _text(source: bytes, node: Node | None) -> str:
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


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


def _strip_generics(name: str) -> str:
    return name.split("<", 1)[0].split("[", 1)[0].strip()


def _c_declarator(source: bytes, node: Node | None) -> tuple[str, str | None, bool]:
    """(name, qualifying scope, is a function) found by following C/C++ declarator chains."""
    scope, is_function = None, False
    while node is not None:
        kind = node.type
        if kind in _C_DECLARATORS:
            return _text(source, node), scope, is_function
        if kind == "qualified_identifier":
            qualifier = node.child_by_field_name("scope")
            if qualifier is not None:
                scope = _strip_generics(_text(source, qualifier).split("::")[-1])
            node = node.child_by_field_name("name")
        elif kind == "template_function":
            node = node.child_by_field_name("name")
        elif kind == "operator_cast":
            return "operator " + _text(source, node.child_by_field_name("type")), scope, True
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
        return _strip_generics(_text(source, parent.child_by_field_name("type")))
    return _text(source, parent.child_by_field_name("name")) or None


def declaration_types(parser_name: str) -> Collection[str]:
    """Node types that declare a function, class or similar for that grammar."""
    return _SCOPES.get(parser_name, {}).keys()


def classify(node: Node, source: bytes, parser_name: str) -> Declaration | None:
    """Kind, name and container of a scope-like node (None for anything else)."""
    kind_by_type = _SCOPES.get(parser_name, {})
    node_type = node.type
    kind = kind_by_type.get(node_type)
    if kind is None:
        if node_type == "variable_declarator" or node_type in _JS_FIELDS:
            value = node.child_by_field_name("value")
            if value is None or value.type not in _FUNCTION_VALUES:
                return None
            name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
            if name_node is None or name_node.type not in ("identifier", "property_identifier"):
                return None
            container = _container(node, source) if node_type in _JS_FIELDS else None
            kind = "method" if container else "function"
            return Declaration(kind, _text(source, name_node), container)
        if parser_name in ("c", "cpp") and node_type in ("declaration", "field_declaration"):
            name, scope, is_function = _c_declarator(source, node.child_by_field_name("declarator"))
            if not (name and is_function):
                return None
            container = scope or _container(node, source)
            return Declaration("method" if container else "function", name, container)
        return None
    if node_type in _C_SPECIFIERS and node.child_by_field_name("body") is None:
        return None  # a use such as `struct point p;`, not a definition
    if node_type == "impl_item":
        return Declaration(
            kind, _strip_generics(_text(source, node.child_by_field_name("type"))), None
        )
    if parser_name in ("c", "cpp") and node_type == "function_definition":
        name, scope, _ = _c_declarator(source, node.child_by_field_name("declarator"))
    else:
        name, scope = _text(source, node.child_by_field_name("name")), None
    if node_type == "method_declaration" and parser_name == "go":
        receiver = node.child_by_field_name("receiver")
        types = [] if receiver is None else [_text(source, t) for t in _receiver_types(receiver)]
        return Declaration("method", name, _strip_generics(types[0].lstrip("*")) if types else None)
    container = scope or _container(node, source)
    if kind == "function" and container:
        kind = "method"
    return Declaration(kind, name, container)


def _receiver_types(receiver: Node) -> list[Node]:
    return [t for p in receiver.named_children if (t := p.child_by_field_name("type")) is not None]


def header(node: Node, source: bytes, parser_name: str) -> str:
    """The declaration line of a scope-like node: everything before its body, on one line."""
    if node.type == "variable_declarator" or node.type in _JS_FIELDS:
        value = node.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
        end = body.start_byte if body is not None else node.end_byte
        keyword = ""
        if node.type == "variable_declarator" and node.parent is not None:
            keyword = _text(source, node.parent.child(0)) + " "
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


def _docstring(node: Node, source: bytes, parser_name: str) -> str:
    """First line of the Python docstring, else of the comment block just above."""
    if parser_name == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_child_count else None
        if first is not None and first.type == "expression_statement" and first.named_child_count:
            string = first.named_children[0]
            if string.type == "string":
                content = [c for c in string.named_children if c.type == "string_content"]
                return _first_line(_text(source, content[0])) if content else ""
    anchor = node
    while anchor.parent is not None and anchor.parent.type in (
        "export_statement", "decorated_definition", "template_declaration", "expression_statement",
        "lexical_declaration", "variable_declaration", "type_declaration", "var_declaration",
        "const_declaration", "var_spec_list", "declaration", "type_definition",
    ):  # fmt: skip
        anchor = anchor.parent
    first_comment = None
    row = anchor.start_point.row
    sibling = anchor.prev_named_sibling
    while sibling is not None and sibling.end_point.row >= row - 1:
        if sibling.type in _COMMENTS:
            first_comment = sibling
        elif sibling.type not in ("attribute_item", "decorator"):
            break
        row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    if first_comment is None:
        return ""
    lines = (_COMMENT_MARKER.sub("", line) for line in _text(source, first_comment).splitlines())
    return _first_line("\n".join(line.removesuffix("*/") for line in lines))


_DEFINITION_KIND: dict[str, Kind] = {
    "function": "function",
    "method": "method",
    "class": "class",
    "struct": "class",
    "interface": "type",
    "trait": "type",
}
# Members of these are methods; namespaces and modules only group top-level code.
_MEMBER_SCOPES = {"class", "struct", "enum", "interface", "trait", "impl"}
_GROUPING_SCOPES = {"namespace", "module"}


class _Extractor:
    def __init__(self, source: bytes, parser_name: str, uri: str) -> None:
        self.source = source
        self.parser_name = parser_name
        self.uri = uri
        self.found: list[tuple[int, Definition]] = []

    def add(self, node: Node, name: str, kind: Kind, signature: str, container: str | None) -> None:
        if not name:
            return
        definition = Definition(
            name=name,
            kind=kind,
            signature=signature,
            docstring=_docstring(node, self.source, self.parser_name),
            uri=self.uri,
            start_line=node.start_point.row,
            end_line=node.end_point.row,
            container=container,
        )
        self.found.append((node.start_byte, definition))

    def walk(self, root: Node) -> None:
        stack: list[tuple[Node, bool]] = [(root, True)]  # (node, at module level)
        while stack:
            node, top = stack.pop()
            pending: list[tuple[Node, bool]] = []
            for child in node.named_children:
                declaration = classify(child, self.source, self.parser_name)
                if declaration is not None:
                    self.declaration(child, declaration)
                    body = child.child_by_field_name("body")
                    grouping = declaration.kind in _GROUPING_SCOPES
                    if body is not None and (grouping or declaration.kind in _MEMBER_SCOPES):
                        pending.append((body, grouping))
                elif child.type in _TRANSPARENT:
                    pending.append((child, top))
                elif top:
                    self.module_level(child)
            stack.extend(reversed(pending))

    def declaration(self, node: Node, declaration: Declaration) -> None:
        kind = _DEFINITION_KIND.get(declaration.kind)
        if declaration.kind == "enum":
            kind = "class" if self.parser_name in ("java", "rust") else "type"
        if kind is not None:
            signature = header(node, self.source, self.parser_name)
            self.add(node, declaration.name, kind, signature, declaration.container)

    def module_level(self, node: Node) -> None:
        """Variables and type aliases, which count only outside functions and classes."""
        src, kind = self.source, node.type
        if kind == "assignment":  # Python: `A = B = 1`, `X: int = 3`
            signature = one_line(_first_line(_text(src, node.parent or node)))
            while node is not None and node.type == "assignment":
                target = node.child_by_field_name("left")
                if target is not None and target.type == "identifier":
                    self.add(node, _text(src, target), "variable", signature, None)
                node = node.child_by_field_name("right")
        elif kind in ("type_alias_statement", "type_alias_declaration", "type_item"):
            name = node.child_by_field_name("name") or node.named_child(0)
            signature = one_line(_text(src, node)).rstrip(";")
            self.add(node, _strip_generics(_text(src, name)), "type", signature, None)
        elif kind in ("alias_declaration", "const_item", "static_item"):
            signature = one_line(_first_line(_text(src, node))).rstrip(";")
            item_kind: Kind = "type" if kind == "alias_declaration" else "variable"
            self.add(node, _text(src, node.child_by_field_name("name")), item_kind, signature, None)
        elif kind in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                if declarator.type != "variable_declarator":
                    continue
                declaration = classify(declarator, src, self.parser_name)
                if declaration is not None:
                    self.declaration(declarator, declaration)
                    continue
                name = declarator.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    signature = one_line(_first_line(_text(src, node))).rstrip(";")
                    self.add(declarator, _text(src, name), "variable", signature, None)
        elif kind in ("var_declaration", "const_declaration"):
            self.go_values(node, "var" if kind == "var_declaration" else "const")
        elif kind == "type_declaration":
            for spec in node.named_children:
                if spec.type in ("type_spec", "type_alias"):
                    self.go_type(spec)
        elif kind in ("declaration", "type_definition"):
            self.c_declaration(node)

    def go_values(self, node: Node, keyword: str) -> None:
        for spec in node.named_children:
            if spec.type == "var_spec_list":
                self.go_values(spec, keyword)
            elif spec.type in ("var_spec", "const_spec"):
                signature = one_line(f"{keyword} {_first_line(_text(self.source, spec))}")
                for name in spec.children_by_field_name("name"):
                    if name.type == "identifier":
                        self.add(spec, _text(self.source, name), "variable", signature, None)

    def go_type(self, spec: Node) -> None:
        type_node = spec.child_by_field_name("type")
        if spec.type == "type_spec" and type_node is not None:
            shape = {"struct_type": "struct", "interface_type": "interface"}.get(type_node.type)
            head = self.source[spec.start_byte : type_node.start_byte].decode("utf-8", "replace")
            signature = one_line(
                f"type {head}{shape or _first_line(_text(self.source, type_node))}"
            )
            kind: Kind = "class" if shape == "struct" else "type"
        else:
            signature, kind = one_line(f"type {_text(self.source, spec)}"), "type"
        self.add(spec, _text(self.source, spec.child_by_field_name("name")), kind, signature, None)

    def c_declaration(self, node: Node) -> None:
        type_node = node.child_by_field_name("type")
        if type_node is not None and (
            declaration := classify(type_node, self.source, self.parser_name)
        ):
            self.declaration(type_node, declaration)
        signature = one_line(_first_line(_text(self.source, node))).rstrip(";")
        kind: Kind = "type" if node.type == "type_definition" else "variable"
        for declarator in node.children_by_field_name("declarator"):
            name, _, is_function = _c_declarator(self.source, declarator)
            if not is_function:
                self.add(node, name, kind, signature, None)


def extract_definitions(
    tree: Tree, text: bytes | str, language: LanguageInfo, uri: str
) -> list[Definition]:
    """Every definition in the file, in document order; tolerant of syntax errors."""
    if language.parser_name is None:
        return []
    source = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    extractor = _Extractor(source, language.parser_name, uri)
    extractor.walk(tree.root_node)
    extractor.found.sort(key=lambda found: found[0])  # the walk visits containers last
    return [definition for _, definition in extractor.found]
