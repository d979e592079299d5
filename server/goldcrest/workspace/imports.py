"""What a file imports, and which workspace file each import names.

Python (absolute and relative), JavaScript/TypeScript (relative ES imports, ``require`` and
``export ... from``), C/C++ (``#include "..."``) and Java are resolved to files; for the other
languages retrieval falls back to matching names.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol

from tree_sitter import Node, Tree

STAR = "*"


class Import(NamedTuple):
    """One imported binding: ``local`` is the name the file uses ("" when it binds none);
    ``name`` is the imported name, None for the module itself, ``*`` for all of it."""

    local: str
    module: str
    name: str | None
    level: int = 0  # Python's leading dots


class Binding(NamedTuple):
    """Where an import leads: a file, and a name in it (None or ``*``: the whole file)."""

    path: str
    name: str | None


class Paths(Protocol):
    """The indexed files, as import resolution needs them."""

    def has(self, path: str) -> bool: ...

    def named(self, basename: str) -> Sequence[str]: ...


_CONTAINERS = {
    "if_statement", "else_clause", "elif_clause", "try_statement", "except_clause",
    "finally_clause", "block", "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif",
    "linkage_specification", "declaration_list",
}  # fmt: skip
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS = {"javascript", "typescript", "tsx"}


def _text(source: bytes, node: Node | None) -> str:
    return (
        "" if node is None else source[node.start_byte : node.end_byte].decode("utf-8", "replace")
    )


def _top_level(root: Node) -> Iterator[Node]:
    stack = list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        if node.type in _CONTAINERS:
            stack.extend(reversed(node.named_children))
        else:
            yield node


def _python(node: Node, source: bytes) -> list[Import]:
    found = []
    if node.type == "import_statement":
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                module = _text(source, item.child_by_field_name("name"))
                found.append(Import(_text(source, item.child_by_field_name("alias")), module, None))
            else:
                module = _text(source, item)
                found.append(Import(module.split(".")[0], module, None))
    elif node.type == "import_from_statement":
        module_node = node.child_by_field_name("module_name")
        module, level = _text(source, module_node), 0
        if module_node is not None and module_node.type == "relative_import":
            prefix = next((c for c in module_node.children if c.type == "import_prefix"), None)
            level = len(_text(source, prefix))
            module = module[level:]
        if any(c.type == "wildcard_import" for c in node.named_children):
            return [Import("", module, STAR, level)]
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                name = _text(source, item.child_by_field_name("name"))
                local = _text(source, item.child_by_field_name("alias"))
            else:
                name = local = _text(source, item)
            found.append(Import(local, module, name, level))
    return found


def _string(node: Node | None, source: bytes) -> str:
    if node is None:
        return ""
    fragments = [c for c in node.named_children if c.type in ("string_fragment", "string_content")]
    return _text(source, fragments[0]) if fragments else ""


def _javascript(node: Node, source: bytes) -> list[Import]:
    if node.type in ("import_statement", "export_statement"):
        module = _string(node.child_by_field_name("source"), source)
        if not module:
            return []
        found = []
        for clause in node.named_children:
            if clause.type in ("import_clause", "export_clause"):
                for part in clause.named_children:
                    if part.type == "identifier":  # default import
                        found.append(Import(_text(source, part), module, None))
                    elif part.type == "namespace_import" and part.named_child_count:
                        found.append(Import(_text(source, part.named_children[0]), module, None))
                    elif part.type in ("named_imports", "export_specifier"):
                        specs = part.named_children if part.type == "named_imports" else [part]
                        for spec in specs:
                            name = _text(source, spec.child_by_field_name("name"))
                            alias = _text(source, spec.child_by_field_name("alias")) or name
                            found.append(Import(alias, module, name))
        if node.type == "export_statement" and not found:
            found.append(Import("", module, STAR))  # export * from '...'
        return found
    if node.type not in ("lexical_declaration", "variable_declaration"):
        return []
    found = []
    for declarator in node.named_children:
        value = declarator.child_by_field_name("value")
        if value is None or value.type != "call_expression":
            continue
        if _text(source, value.child_by_field_name("function")) != "require":
            continue
        arguments = value.child_by_field_name("arguments")
        module = _string(arguments.named_children[0], source) if arguments.named_child_count else ""
        pattern = declarator.child_by_field_name("name")
        if not module or pattern is None:
            continue
        if pattern.type == "identifier":
            found.append(Import(_text(source, pattern), module, None))
        elif pattern.type == "object_pattern":
            for part in pattern.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    found.append(Import(_text(source, part), module, _text(source, part)))
                elif part.type == "pair_pattern":
                    key = _text(source, part.child_by_field_name("key"))
                    found.append(
                        Import(_text(source, part.child_by_field_name("value")), module, key)
                    )
    return found


def _c(node: Node, source: bytes) -> list[Import]:
    path = node.child_by_field_name("path") if node.type == "preproc_include" else None
    if path is None or path.type != "string_literal":
        return []
    return [Import("", _string(path, source), None)]


def _java(node: Node, source: bytes) -> list[Import]:
    if node.type != "import_declaration" or any(c.type == "asterisk" for c in node.children):
        return []
    name = next((c for c in node.named_children if c.type == "scoped_identifier"), None)
    if name is None:
        return []
    module, _, last = _text(source, name).rpartition(".")
    return [Import(last, module, last)]


_EXTRACTORS = {
    "python": _python,
    "javascript": _javascript,
    "typescript": _javascript,
    "tsx": _javascript,
    "c": _c,
    "cpp": _c,
    "java": _java,
}


def imports_of(tree: Tree, source: bytes, parser_name: str) -> list[Import]:
    """The file's imports (top level, and inside conditionals such as ``if TYPE_CHECKING``)."""
    return [i for _, imports in import_statements(tree, source, parser_name) for i in imports]


def import_statements(
    tree: Tree, source: bytes, parser_name: str
) -> list[tuple[Node, list[Import]]]:
    """The file's import statements (those ``imports_of`` reads), each with its imports."""
    extractor = _EXTRACTORS.get(parser_name)
    if extractor is None:
        return []
    found = ((node, extractor(node, source)) for node in _top_level(tree.root_node))
    return [(node, imports) for node, imports in found if imports]


def unused_imports(tree: Tree, source: bytes, parser_name: str, cursor: int) -> list[str]:
    """The names the file's imports bind that nothing outside its import statements mentions,
    in the file's order: what the user imported for code not written yet. None while the cursor
    (a byte offset) is inside an import statement."""
    statements = import_statements(tree, source, parser_name)
    if any(node.start_byte <= cursor <= node.end_byte for node, _ in statements):
        return []
    unused: dict[str, None] = {}
    for _, imports in statements:
        for imp in imports:
            if not imp.local or imp.name == STAR or imp.local in unused:
                continue
            name = imp.local.encode()
            inside = sum(source.count(name, n.start_byte, n.end_byte) for n, _ in statements)
            if source.count(name) == inside:  # a longer name holding it counts as a use: none
                unused[imp.local] = None
    return list(unused)


def module_level_from_imports(tree: Tree, source: bytes, skip: int) -> list[Import]:
    """A Python file's ``from ... import`` bindings made at module level, outside conditionals,
    except the statement around byte ``skip`` (the one being written)."""
    return [
        found
        for node in tree.root_node.named_children
        if node.type == "import_from_statement" and not node.start_byte <= skip <= node.end_byte
        for found in _python(node, source)
    ]


def _nearest(candidates: Sequence[str], importing: str) -> str | None:
    """The candidate sharing the longest directory prefix with ``importing`` (then shortest)."""
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda p: (-len(posixpath.commonpath([p, importing])), len(p), p),
    )


def _by_suffix(paths: Paths, suffix: str, importing: str) -> str | None:
    tail = "/" + suffix
    basename = posixpath.basename(suffix)
    return _nearest([p for p in paths.named(basename) if p.endswith(tail)], importing)


def _python_module(paths: Paths, importing: str, module: str, level: int) -> str | None:
    parts = module.replace(".", "/")
    if level:
        base = posixpath.dirname(importing)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, parts) if parts else base
        for candidate in (stem + ".py", stem + ".pyi", stem + "/__init__.py"):
            if paths.has(candidate):
                return candidate
        return None
    if not parts:
        return None
    for suffix in (parts + ".py", parts + ".pyi", parts + "/__init__.py"):
        if found := _by_suffix(paths, suffix, importing):
            return found
    return None


def _resolve_python(paths: Paths, importing: str, imp: Import) -> Binding | None:
    if imp.name not in (None, STAR):
        dotted = f"{imp.module}.{imp.name}" if imp.module else imp.name
        if submodule := _python_module(paths, importing, dotted, imp.level):
            return Binding(submodule, None)
    module = _python_module(paths, importing, imp.module, imp.level)
    return Binding(module, imp.name) if module else None


def _resolve_javascript(paths: Paths, importing: str, imp: Import) -> Binding | None:
    if not imp.module.startswith("."):
        return None  # a package or a path alias: not resolved
    base = posixpath.normpath(posixpath.join(posixpath.dirname(importing), imp.module))
    stem, ext = posixpath.splitext(base)
    candidates = [base] if ext in _JS_EXTENSIONS else []
    if ext in (".js", ".jsx", ".mjs", ".cjs"):  # TypeScript imports "./x.js" meaning x.ts
        candidates += [stem + e for e in _JS_EXTENSIONS]
    candidates += [base + e for e in _JS_EXTENSIONS]
    candidates += [f"{base}/index{e}" for e in _JS_EXTENSIONS]
    found = next((c for c in candidates if paths.has(c)), None)
    return Binding(found, imp.name) if found else None


def _resolve_c(paths: Paths, importing: str, imp: Import) -> Binding | None:
    beside = posixpath.normpath(posixpath.join(posixpath.dirname(importing), imp.module))
    found = beside if paths.has(beside) else _by_suffix(paths, imp.module, importing)
    return Binding(found, None) if found else None


def _resolve_java(paths: Paths, importing: str, imp: Import) -> Binding | None:
    parts = imp.module.replace(".", "/")
    if found := _by_suffix(paths, f"{parts}/{imp.name}.java", importing):
        return Binding(found, imp.name)
    found = _by_suffix(paths, parts + ".java", importing)  # a static import of a member
    return Binding(found, imp.name) if found else None


_RESOLVERS = {
    "python": _resolve_python,
    "javascript": _resolve_javascript,
    "typescript": _resolve_javascript,
    "c": _resolve_c,
    "cpp": _resolve_c,
    "java": _resolve_java,
}
RESOLVED_LANGUAGES = frozenset({"python", *_JS})
"""Languages whose names come from other files only through imports (or are builtins)."""


def resolve(paths: Paths, importing: str, language: str, imp: Import) -> Binding | None:
    """The workspace file (and name) an import of ``importing`` refers to, if indexed."""
    resolver = _RESOLVERS.get(language)
    return resolver(paths, importing, imp) if resolver else None
