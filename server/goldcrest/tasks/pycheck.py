"""Cheap static checks of rewritten Python: it compiles, its names are defined, its signature and
the names it defines stay as they were, and a refactor changes only what it is meant to."""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import symtable
import tokenize
from collections.abc import Iterator

_MODULE_NAMES = {"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__"}
_BUILTINS = set(dir(builtins)) | _MODULE_NAMES


_DEFINITIONS = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def defined_names(code: str) -> list[str]:
    """Names of the functions and classes ``code`` defines at its top level, in order."""
    return [node.name for node in ast.parse(code).body if isinstance(node, _DEFINITIONS)]


def definitions_only(code: str) -> bool:
    """Whether ``code`` holds nothing but definitions (no test call, import or print)."""
    return all(isinstance(node, _DEFINITIONS) for node in ast.parse(code).body)


def keep_definitions(code: str) -> str:
    """Only the functions and classes of ``code`` (with their decorators): drops the usage
    examples, prints and tests small models like to add after the function."""
    body = ast.parse(code).body
    lines = code.split("\n")
    kept = []
    for node in body:
        if isinstance(node, _DEFINITIONS) and node.end_lineno is not None:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            kept.append("\n".join(lines[first - 1 : node.end_lineno]))
    return "\n\n".join(kept) + "\n"


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _tables(child)


def undefined_names(module: str, first_line: int, last_line: int) -> list[str]:
    """Names the code on lines [first_line, last_line] (1-based) of ``module`` reads but nothing
    defines: not a local, not a module-level name, not a builtin. [] when it cannot tell."""
    if "import *" in module:
        return []
    try:
        top = symtable.symtable(module, "<module>", "exec")
    except SyntaxError:
        return []
    known = _BUILTINS | _defined_at_top(top)
    missing: list[str] = []
    for table in _tables(top):
        if table.get_type() == "module" or not first_line <= table.get_lineno() <= last_line:
            continue
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if symbol.is_referenced() and symbol.is_global() and name not in known:
                missing.append(name)
    return sorted(set(missing))


def unknown_reads(module: str, start: int, end: int, scope_line: int) -> list[str] | None:
    """The names ``module[start:end]`` (a completion spliced in) reads that nothing around it
    defines, judged in the scope whose definition begins on ``scope_line`` (1-based, a
    decorator's line counts; 0: the module level). None when it cannot tell: the module does
    not compile, has ``import *`` or writes to ``globals()``.

    The check must not reject right answers, so a name is never called unknown after ``.``,
    before ``=`` (a keyword argument), inside a comprehension or lambda of the code, or when
    another scope of the file reads it undefined too (a name the file gets some other way,
    gettext's ``_``). A name the code goes on typing from before ``start`` is judged whole.
    """
    if "import *" in module or "globals()" in module or "__builtins__" in module:
        return None
    try:
        top = symtable.symtable(module, "<module>", "exec")
    except (SyntaxError, ValueError):
        return None
    tables = list(_tables(top))
    path = _scope_path(top, scope_line) if scope_line else [top]
    if path is None:
        return None
    table = path[-1]
    visible = _defined_at_top(top)
    for outer in path[1:]:
        if outer.get_type() == "function" or outer is table:
            visible.update(s.get_name() for s in outer.get_symbols() if not _only_read(s))
    unknown = []
    for name in _reads(module, start, end):
        try:
            symbol = table.lookup(name)
        except KeyError:  # read only in a nested scope of the code (a comprehension, a lambda)
            continue
        if name in _BUILTINS or name in visible or symbol.is_free():
            continue
        if (symbol.is_global() or table is top) and not _read_elsewhere(tables, table, name):
            unknown.append(name)
    return unknown


def _read_elsewhere(
    tables: list[symtable.SymbolTable], table: symtable.SymbolTable, name: str
) -> bool:
    """Whether a scope other than ``table`` reads ``name`` as a global too."""
    for other in tables:
        if other is table:
            continue
        try:
            symbol = other.lookup(name)
        except KeyError:
            continue
        if symbol.is_referenced() and (symbol.is_global() or other.get_type() == "module"):
            return True
    return False


def _defined_at_top(top: symtable.SymbolTable) -> set[str]:
    return {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}


def _only_read(symbol: symtable.Symbol) -> bool:
    return not (symbol.is_assigned() or symbol.is_imported() or symbol.is_parameter())


def _scope_path(top: symtable.SymbolTable, line: int) -> list[symtable.SymbolTable] | None:
    """The tables from the module down to the function or class defined at ``line`` (its first
    table at or after that line: decorators come before the ``def``)."""
    found: list[tuple[int, list[symtable.SymbolTable]]] = []
    stack = [[top]]
    while stack:
        path = stack.pop()
        for child in reversed(path[-1].get_children()):
            here = [*path, child]
            if child.get_lineno() >= line:
                found.append((child.get_lineno(), here))
            stack.append(here)
    return min(found, key=lambda f: (f[0], len(f[1])))[1] if found else None


def _reads(module: str, start: int, end: int) -> Iterator[str]:
    """Each plain name ``module[start:end]`` reads: not after ``.``, not a keyword argument's
    or an assignment's target, not a keyword; a name begun before ``start`` and continued after
    it counts. The tokens are read from the line's start; they stop where the code stops being
    tokenizable (an unclosed bracket at its end is fine)."""
    line_start = module.rfind("\n", 0, start) + 1
    tokens: list[tokenize.TokenInfo] = []
    try:
        lines = io.StringIO(module[line_start:end]).readline
        for token in tokenize.generate_tokens(lines):
            tokens.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    column = start - line_start
    for i, token in enumerate(tokens):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        if token.end[0] == 1 and token.end[1] <= column:  # all of it before ``start``
            continue
        before = tokens[i - 1].string if i else ""
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if before == "." or after in ("=", ":="):
            continue
        yield token.string


def _function(code: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def signature(code: str, name: str) -> tuple | None:
    """What callers rely on in function ``name``: parameter names, kinds and which have
    defaults, and whether it is async. None when ``code`` does not define it."""
    node = _function(code, name)
    if node is None:
        return None
    a = node.args
    return (
        isinstance(node, ast.AsyncFunctionDef),
        tuple(p.arg for p in a.posonlyargs),
        tuple(p.arg for p in a.args),
        len(a.defaults),
        a.vararg.arg if a.vararg else None,
        tuple(p.arg for p in a.kwonlyargs),
        tuple(d is not None for d in a.kw_defaults),
        a.kwarg.arg if a.kwarg else None,
    )


class _StripDocstrings(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
        return node


class _StripAnnotations(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        return ast.Assign(targets=[node.target], value=node.value, type_comment=None)


def _dump(code: str, *strip: ast.NodeTransformer) -> str:
    tree = ast.parse(code)
    for transformer in strip:
        tree = transformer.visit(tree)
    return ast.dump(tree, include_attributes=False)


def normalized(code: str) -> str:
    """The code's syntax tree as text: equal for code that differs only in layout/comments."""
    return _dump(code)


def same_but_docstrings(old: str, new: str) -> bool:
    return _dump(old, _StripDocstrings()) == _dump(new, _StripDocstrings())


def same_but_annotations(old: str, new: str) -> bool:
    return _dump(old, _StripAnnotations()) == _dump(new, _StripAnnotations())


def docstring_of(code: str, name: str) -> str | None:
    node = _function(code, name)
    return ast.get_docstring(node) if node is not None else None


def annotation_count(code: str) -> int:
    """How many parameters, returns and variables ``code`` annotates."""
    return sum(
        (isinstance(node, ast.arg) and node.annotation is not None)
        or (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None)
        or isinstance(node, ast.AnnAssign)
        for node in ast.walk(ast.parse(code))
    )


def uses(code: str, name: str, within: str | None) -> bool:
    """Whether function ``within`` of ``code`` (all of ``code`` when None, except the
    definition of ``name`` itself) reads ``name``, directly or as an attribute (``self.name``)."""
    roots = [
        node
        for node in ast.parse(code).body
        if (within is None and getattr(node, "name", None) != name)
        or getattr(node, "name", None) == within
    ]
    return any(
        (isinstance(node, ast.Name) and node.id == name)
        or (isinstance(node, ast.Attribute) and node.attr == name)
        for root in roots
        for node in ast.walk(root)
    )
