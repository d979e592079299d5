"""Definitions a file provides (functions, methods, classes, types, module-level variables).

The walk visits only nodes that can hold declarations (modules, class bodies, namespaces,
export and preprocessor wrappers, ERROR nodes) and never enters a function body, so a large
file costs a few hundred node visits. Which nodes are declarations is decided in
declarations.py, shared with scope lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node, Tree

from goldcrest.context.declarations import (
    Declaration,
    c_declarator,
    classify,
    exported_name,
    header,
    node_text,
    one_line,
    strip_generics,
)
from goldcrest.languages import LanguageInfo

Kind = Literal["function", "method", "class", "variable", "type"]


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


# Walked through when looking for definitions; function bodies never are.
_TRANSPARENT = {
    "ERROR", "export_statement", "decorated_definition", "template_declaration",
    "ambient_declaration", "expression_statement", "statement_block", "declaration_list",
    "linkage_specification", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
    "preproc_elifdef", "if_statement", "else_clause", "elif_clause", "try_statement",
    "except_clause", "finally_clause", "block", "class_body", "interface_body", "enum_body",
    "enum_body_declarations", "field_declaration_list",
}  # fmt: skip
_COMMENTS = {"comment", "line_comment", "block_comment"}
_COMMENT_MARKER = re.compile(r"^\s*(?:/\*+|\*+/?|//[/!]?|#+)?\s?")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _docstring(node: Node, source: bytes, parser_name: str) -> str:
    """First line of the Python docstring, else of the comment block just above."""
    if parser_name == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_child_count else None
        if first is not None and first.type == "expression_statement" and first.named_child_count:
            string = first.named_children[0]
            if string.type == "string":
                content = [c for c in string.named_children if c.type == "string_content"]
                return _first_line(node_text(source, content[0])) if content else ""
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
    lines = (
        _COMMENT_MARKER.sub("", line) for line in node_text(source, first_comment).splitlines()
    )
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
            signature = one_line(_first_line(node_text(src, node.parent or node)))
            while node is not None and node.type == "assignment":
                target = node.child_by_field_name("left")
                if target is not None and target.type == "identifier":
                    self.add(node, node_text(src, target), "variable", signature, None)
                node = node.child_by_field_name("right")
        elif kind in ("type_alias_statement", "type_alias_declaration", "type_item"):
            name = node.child_by_field_name("name") or node.named_child(0)
            signature = one_line(node_text(src, node)).rstrip(";")
            self.add(node, strip_generics(node_text(src, name)), "type", signature, None)
        elif kind in ("alias_declaration", "const_item", "static_item"):
            signature = one_line(_first_line(node_text(src, node))).rstrip(";")
            item_kind: Kind = "type" if kind == "alias_declaration" else "variable"
            self.add(
                node, node_text(src, node.child_by_field_name("name")), item_kind, signature, None
            )
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
                    signature = one_line(_first_line(node_text(src, node))).rstrip(";")
                    self.add(declarator, node_text(src, name), "variable", signature, None)
        elif kind == "assignment_expression":  # CommonJS: `exports.name = value`
            name = exported_name(node, src)
            if name:
                signature = one_line(_first_line(node_text(src, node))).rstrip(";")
                self.add(node, name, "variable", signature, None)
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
                signature = one_line(f"{keyword} {_first_line(node_text(self.source, spec))}")
                for name in spec.children_by_field_name("name"):
                    if name.type == "identifier":
                        self.add(spec, node_text(self.source, name), "variable", signature, None)

    def go_type(self, spec: Node) -> None:
        type_node = spec.child_by_field_name("type")
        if spec.type == "type_spec" and type_node is not None:
            shape = {"struct_type": "struct", "interface_type": "interface"}.get(type_node.type)
            head = self.source[spec.start_byte : type_node.start_byte].decode("utf-8", "replace")
            signature = one_line(
                f"type {head}{shape or _first_line(node_text(self.source, type_node))}"
            )
            kind: Kind = "class" if shape == "struct" else "type"
        else:
            signature, kind = one_line(f"type {node_text(self.source, spec)}"), "type"
        self.add(
            spec, node_text(self.source, spec.child_by_field_name("name")), kind, signature, None
        )

    def c_declaration(self, node: Node) -> None:
        type_node = node.child_by_field_name("type")
        if type_node is not None and (
            declaration := classify(type_node, self.source, self.parser_name)
        ):
            self.declaration(type_node, declaration)
        signature = one_line(_first_line(node_text(self.source, node))).rstrip(";")
        kind: Kind = "type" if node.type == "type_definition" else "variable"
        for declarator in node.children_by_field_name("declarator"):
            name, _, is_function = c_declarator(self.source, declarator)
            if not is_function:
                self.add(node, name, kind, signature, None)


def extract_definitions(
    tree: Tree, text: bytes | bytearray | str, language: LanguageInfo, uri: str
) -> list[Definition]:
    """Every definition in the file, in document order; tolerant of syntax errors."""
    if language.parser_name is None:
        return []
    source = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    extractor = _Extractor(source, language.parser_name, uri)
    extractor.walk(tree.root_node)
    extractor.found.sort(key=lambda found: found[0])  # the walk visits containers last
    return [definition for _, definition in extractor.found]
