"""The names an answer may begin with after ``name.`` or in ``from module import``, when the
workspace knows them all: the check an editor's own completion list makes.

A small model asked for ``transport.`` writes ``request(`` where the class has
``handle_request``, or ``url.replace(`` for ``url.copy_with(``: a name the object does not
have is a wrong answer whatever follows it. Monitor-guided decoding (Agrawal et al., NeurIPS
2023) constrains such a model to the names static analysis offers there; ``tasks.complete``
withholds an answer whose first name is not offered and asks once more with a grammar that
allows only those names (``grammar``). The set must be whole, or the check would reject right
answers: it is given only when the class and all its bases are in the workspace (or are
builtins whose members Python can list), and counts attributes the class's code sets or reads
on ``self``/``this`` and its class-level names, not only its methods.
"""

from __future__ import annotations

import builtins
import copy
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from goldcrest.context.symbols import Definition
from goldcrest.documents import Document

from .imports import module_level_from_imports
from .lookup import Request, path_of_uri
from .members import CLASS_KINDS, class_of, lookup
from .offer import Offered
from .offered_js import binding_kind, exported_object_names
from .retrieval import Workspace, module_at_cursor

_TYPED = re.compile(r"[\w$]*$")
_AT_MEMBER = re.compile(r"(?<![\w.$])([^\W\d][\w$]*)\.[\w$]*$")  # `ctx.`, `ctx.fa`
_FROM_IMPORT = re.compile(r"^(\s*)from\s+(\.*)([\w.]*)\s+import\s")  # indent, level, module
_SELF_ATTR = {
    "python": re.compile(r"\bself\.(\w+)"),
    "javascript": re.compile(r"\bthis\.(#?[\w$]+)"),
}
_CLASS_LEVEL = re.compile(r"^(\s+)(?:static\s+)?(#?[^\W\d][\w$]*)\s*(?::|=|;|$)")
#: Bases that add no public names, or whose names Python lists (``builtins``).
_NO_MEMBERS = frozenset(("object", "ABC", "Generic", "Protocol", "Any"))
_JS_BUILTIN_BASES = {"Error": ("message", "name", "stack", "cause"), "Object": ()}
_NOT_BODY = ("#", "//", "@")
MAX_DEPTH = 4  # bases followed
MAX_FILE_BYTES = 2 * 1024 * 1024  # past the index's largest file (``[index] max_file_kb``)


def offered(
    ws: Workspace, doc: Document, offset: int, open_docs: Iterable[Document]
) -> Offered | None:
    """``offered_at_cursor`` for a document, the request built only where a name may be
    offered (most keystrokes are not after ``name.``)."""
    path = path_of_uri(doc.uri)
    offset = min(max(offset, 0), len(doc.text))
    before = doc.text[doc.text.rfind("\n", 0, offset) + 1 : offset]
    if path is None or not ws.index.files:
        return None
    if _AT_MEMBER.search(before) is None and _FROM_IMPORT.match(before) is None:
        return None
    return offered_at_cursor(Request(ws, doc, offset, path, open_docs))


def offered_at_cursor(request: Request) -> Offered | None:
    """The names that may follow at ``request``'s cursor, when the workspace knows them all;
    None elsewhere, and wherever the set might lack a name."""
    text, offset = request.doc.text, request.offset
    before = text[text.rfind("\n", 0, offset) + 1 : offset]
    typed = _TYPED.search(before).group(0)  # type: ignore[union-attr]  # matches ""
    member = _AT_MEMBER.search(before)
    in_import = _FROM_IMPORT.match(before) is not None
    if member is None and not in_import:
        return None
    at = copy.copy(request)
    at.offset = offset - len(typed)
    if (path := module_at_cursor(at)) is not None:
        taken: frozenset[str] = frozenset()
        if request.doc.language.id == "python":
            names = _module_names(request, path)
            taken = _imported_already(request.doc, offset, before) if in_import else taken
        else:
            names = _object_module_names(request, member.group(1), path) if member else None
        return Offered(typed, names, "module", in_import, taken) if names else None
    if member is None or member.group(1) in ("self", "this", "cls", "super"):
        return None
    classes = class_of(at, member.group(1), strict=True)
    if not classes or (names := _class_names(request, classes[0], 0, set())) is None:
        return None
    return Offered(typed, frozenset(names), f"class {classes[0].name}")


def _module_names(request: Request, path: str) -> frozenset[str] | None:
    """A Python module's top-level names, the names it imports, and a package's modules;
    None when it may have others (``__getattr__``, ``import *``)."""
    names = {d.name for d in request.definitions_in(path) if d.container is None}
    if "__getattr__" in names:
        return None
    _, imports = request.imports_in(path)
    for imp in imports:
        if imp.name == "*":
            return None
        names.add(imp.local or (imp.name or imp.module).split(".")[0])
    if path.endswith("/__init__.py"):
        names.update(_package_modules(Path(path).parent))
    return frozenset(names)


def _object_module_names(request: Request, name: str, path: str) -> frozenset[str] | None:
    """The keys of the object a JavaScript module exports, for ``name`` bound to it by a
    default import or ``require`` (``offered_js``), unless this file gives ``name`` more."""
    text = request.doc.text
    kind = binding_kind(text, name)
    if kind is None or re.search(rf"(?<![\w$.]){re.escape(name)}\.[\w$]+\s*=(?!=)", text):
        return None
    source = _file_text(request, path)
    if source is None:
        return None
    return exported_object_names(source, request.doc.language, kind)


def _imported_already(doc: Document, offset: int, before: str) -> frozenset[str]:
    """The names other module-level ``from`` statements of ``doc`` import from the module the
    cursor's statement (``before`` the cursor, on its line) names; none when that statement
    is indented (a function's import may repeat a ``TYPE_CHECKING`` one on purpose)."""
    at = _FROM_IMPORT.match(before)
    whole = doc.whole
    if at is None or at.group(1) or whole.version != doc.version or (tree := whole.tree) is None:
        return frozenset()
    level, module = len(at.group(2)), at.group(3)
    imports = module_level_from_imports(tree, whole.source, whole.byte_at(offset))
    return frozenset(i.name for i in imports if (i.level, i.module) == (level, module) and i.name)


def _package_modules(folder: Path) -> set[str]:
    try:
        return {
            p.stem if p.suffix == ".py" else p.name
            for p in folder.iterdir()
            if p.suffix == ".py" or (p / "__init__.py").is_file()
        }
    except OSError:
        return set()


def _class_names(request: Request, cls: Definition, depth: int, seen: set[str]) -> set[str] | None:
    """Every name an instance of ``cls`` has: its members, the attributes its code sets or
    reads on itself, its class-level names, and its bases' the same way; None when a base is
    neither in the workspace nor a builtin, or the class answers any name (``__getattr__``)."""
    path = request.file_of(cls)
    language = request.doc.language.id
    if path is None or depth > MAX_DEPTH or language not in _SELF_ATTR:
        return None
    if (key := f"{path}:{cls.name}") in seen:
        return set()
    seen.add(key)
    members = [d for d in request.definitions_in(path) if d.container == cls.name]
    names = {d.name for d in members}
    if names & {"__getattr__", "__getattribute__"}:
        return None
    found = _class_source(request, path, cls)
    if found is None or _changed_elsewhere(cls.name, found[1], language):
        return None
    source = found[0]
    names.update(_SELF_ATTR[language].findall(source))
    names.update(_class_level(source))
    for base in _bases(cls.signature, language):
        inherited = _base_names(request, cls, base, depth, seen)
        if inherited is None:
            return None
        names |= inherited
    return names


def _base_names(
    request: Request, cls: Definition, base: str, depth: int, seen: set[str]
) -> set[str] | None:
    """The names ``cls`` inherits from ``base``; None when they are not all known. A dotted
    base (``textwrap.TextWrapper``) is another module's: looked up by its last word it could
    be the wrong class, even ``cls`` itself."""
    word, language = base.rsplit(".", 1)[-1], request.doc.language.id
    if word in _NO_MEMBERS:
        return set()
    if "." in base:
        return None
    parents = [d for d in lookup(request, word) if d.kind in CLASS_KINDS and d != cls]
    if parents:
        return _class_names(request, parents[0], depth + 1, seen)
    if language == "javascript":
        known = _JS_BUILTIN_BASES.get(word)
        return set(known) if known is not None else None
    builtin = getattr(builtins, word, None)
    if isinstance(builtin, type):
        return {n for n in dir(builtin) if not n.startswith("__")}
    return None


def _bases(signature: str, language: str) -> list[str]:
    """The base classes a class header names (``class A(B, t.Generic[T], metaclass=M)``,
    ``class A extends B``), keyword arguments and type parameters left out."""
    if language == "javascript":
        found = re.search(r"\bextends\s+([\w$.]+)", signature)
        return [found.group(1)] if found else []
    if "(" not in signature:
        return []
    inside = signature.split("(", 1)[1].rsplit(")", 1)[0]
    inside = re.sub(r"\[[^\]]*\]", "", inside)  # Generic[T], Mapping[str, str]
    bases = []
    for part in inside.split(","):
        part = part.strip()
        if part and "=" not in part and not part.startswith("*"):
            bases.append(part)
    return bases


def _class_source(request: Request, path: str, cls: Definition) -> tuple[str, str] | None:
    """The class's lines and the rest of its file."""
    text = _file_text(request, path)
    if text is None:
        return None
    lines = text.split("\n")
    inside = lines[cls.start_line : cls.end_line + 1]
    return "\n".join(inside), "\n".join(lines[: cls.start_line] + lines[cls.end_line + 1 :])


def _file_text(request: Request, path: str) -> str | None:
    """A file's text, from the editor when it is open, else from disk."""
    doc = request.doc if path == request.path else request.live.get(path)
    if doc is not None:
        return doc.text
    try:
        found = Path(path).stat()
    except OSError:
        return None
    return _disk_text(path, found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=32)
def _disk_text(path: str, mtime_ns: int, size: int) -> str | None:
    """A file's text, read once per version (the check runs on every request at ``name.``);
    None for one too large to have been indexed or unreadable."""
    if size > MAX_FILE_BYTES:
        return None
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _changed_elsewhere(name: str, outside: str, language: str) -> bool:
    """Whether the class's file may give it names outside its body: ``Name.x = ...`` or
    ``setattr(Name`` in Python; in JavaScript any use of the name there (axios builds
    ``AxiosHeaders``' accessors with ``AxiosHeaders.accessor([...])``)."""
    word = re.escape(name)
    if language == "javascript":
        uses = re.findall(rf"(?<![\w$.]){word}\b(?!\s*[;,}}]|\s*$)", outside, re.M)
        return bool(uses)
    return re.search(rf"(?<![\w.]){word}\.\w+\s*=(?!=)|setattr\(\s*{word}\b", outside) is not None


def _class_level(source: str) -> set[str]:
    """Names assigned or declared directly in the class body (``x: int = 0``, JS fields)."""
    lines = source.split("\n")[1:]
    body = next(
        (ln for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", "//", "@"))), ""
    )
    indent = len(body) - len(body.lstrip())
    names = set()
    for line in lines:
        found = _CLASS_LEVEL.match(line)
        if found and len(found.group(1)) == indent and found.group(2) not in ("else", "try"):
            names.add(found.group(2))
    return names
