"""What the name before the cursor offers, the way an editor's completion list shows it.

After ``module.`` or in ``from module import``, the answer is one of that module's top-level
names; after a variable whose class the code states (a parameter's annotation, an assignment
from a constructor), one of that class's methods or its bases'. The definitions the prompt's
head holds were chosen when the line began, and a big class or module (click's ``Context``,
axios's ``utils``) has more members than the head has places, so the cross-file tune project
showed the model neither list at most of its ``name.`` holes. This module writes the list as one
fact line above the cursor's line (``near``): the most used names first, as many as fit.
``lookup`` (how the file sees a name: its imports, its own, a safe guess) serves ``near`` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from goldcrest.context.symbols import Definition

from .lookup import Request
from .retrieval import guess, module_at_cursor

MEMBERS_CHARS = 320
"""Most characters of the member list line: about 90 tokens, a few seconds of reading on a
2-core CPU, so only where the list decides the answer."""
CLASS_KINDS = {"class", "struct", "interface", "trait"}
_MEMBER_AT = re.compile(r"(?<![\w.$])([^\W\d][\w$]*)\.$")  # `ctx.`, not `a.ctx.`
_WORD = re.compile(r"[^\W\d][\w$]*")
_EXPORTED = re.compile(r"(?:module\.)?exports\.")
_EXPORTS_OBJECT = re.compile(
    r"(?:(?:var|let|const)\s+)?([\w$]+)\s*=\s*(?:exports\s*=\s*)?module\.exports\b"
)
#: Words in a type annotation that name no project class.
_WRAPPERS = frozenset(
    ("t", "typing", "Optional", "Union", "List", "Dict", "Set", "Tuple", "Type", "Sequence",
     "Iterable", "Mapping", "Any", "None", "list", "dict", "set", "tuple", "type", "Callable",
     "Awaitable", "Iterator", "Final", "ClassVar")
)  # fmt: skip


def lookup(request: Request, name: str) -> list[Definition]:
    """The definitions of ``name`` as the request's file sees it: through its imports, its
    own, then by name as retrieval guesses."""
    if name in request.bound:
        return request.follow(request.bound[name])
    own = [d for d in request.definitions_in(request.path) if d.name == name]
    others = request.located(name)
    imported = [d for d, path in others if path in request.imported]
    found = own + (imported or guess(request, others, request.doc.language.id))
    classes = [(d, path) for d, path in others if d.kind in CLASS_KINDS]
    if not found and len({path for _, path in classes}) == 1:
        return [d for d, _ in classes]  # one class of that name (imported inside a function, say)
    return found


def _assigned(name: str) -> re.Pattern[str]:
    """The callee whose result ``name`` holds: ``name = Type(``, ``name: Type = f(``, ``const
    name = new Type(``, ``name = self.open(``, ``with client.stream(...) as name``; the
    annotation, when there is one, in group 1."""
    var = rf"(?<![\w.$]){re.escape(name)}"
    call = r"(?:await\s+)?(?:new\s+)?([^\W\d][\w$.]*)\s*\("
    return re.compile(
        rf"{var}\s*(?::\s*([^=\n]+?))?\s*=\s*{call}"
        rf"|\bwith\s+{call}[^\n]*\bas\s+{re.escape(name)}\b"
    )


def _annotation(name: str) -> re.Pattern[str]:
    """``name: Type`` in a function's parameters (Python, TypeScript)."""
    return re.compile(rf"(?<![\w.$]){re.escape(name)}\s*\??:\s*([^,)=]+)")


def _type_words(annotation: str, strict: bool = False) -> list[str]:
    """The names in an annotation that may be a project class, outermost wrappers dropped;
    ``strict``: the one class it names (``_plain_class``)."""
    if strict:
        return _plain_class(annotation)
    words = _WORD.findall(annotation.replace('"', " ").replace("'", " "))
    return [w for w in words if w not in _WRAPPERS]


def _plain_class(annotation: str) -> list[str]:
    """The one class an annotation says a value is, ``Optional``, ``| None`` and quotes
    unwrapped; none for a container (``list[Response]``), a union of classes or a generic."""
    text = re.sub(r"\b(?:t|typing)\.", "", annotation.replace('"', "").replace("'", ""))
    text = text.strip().rstrip(":{").strip()  # a signature's end
    while found := re.fullmatch(r"(?:Optional|Final|ClassVar)\[(.*)\]", text):
        text = found.group(1).strip()
    union = re.fullmatch(r"Union\[(.*)\]", text)
    parts = union.group(1).split(",") if union else text.split("|")
    names = [p.strip() for p in parts if p.strip() != "None"]
    if len(names) != 1 or not re.fullmatch(r"[^\W\d][\w.]*", names[0]):
        return []
    return [names[0].rsplit(".", 1)[-1]]


def _callee_types(request: Request, callee: str, strict: bool = False) -> list[str]:
    """Type names a call's result may have: the class called (``Type(``, ``Type.from(``), or
    the return annotation of the function or method called (``self.open(`` -> ``Stream``).
    ``strict``: only a class called by its name, or a plain class as the return annotation."""
    parts = callee.split(".")
    words: list[str] = []
    for word in dict.fromkeys((parts[-1], parts[0])):
        for definition in lookup(request, word):
            if definition.kind in CLASS_KINDS and (not strict or len(parts) == 1):
                words.append(word)
            elif "->" in definition.signature and (not strict or word == parts[-1]):
                words += _type_words(definition.signature.rsplit("->", 1)[1], strict)
    return words


def class_of(request: Request, name: str, strict: bool = False) -> list[Definition]:
    """The project class the code says ``name`` holds, nearest statement first: an assignment
    or ``with ... as`` before the cursor in its function (or file), else the function's
    parameter annotation. ``strict``: only where it says so plainly (an instance of it, not a
    list of them: ``_plain_class``), for the check that withholds answers."""
    text, offset = request.doc.text, request.offset
    function = next((s for s in request.scopes if s.kind in ("function", "method")), None)
    start = function.start if function is not None else 0
    line_start = text.rfind("\n", 0, offset) + 1
    candidates: list[str] = []
    assigned = list(_assigned(name).finditer(text, start, line_start))
    # strict: the nearest assignment alone decides (an earlier one may be stale)
    for match in reversed(assigned[-1:] if strict else assigned):
        annotated, callee, context = match.groups()
        candidates += _type_words(annotated or "", strict)
        if not strict:
            candidates += _callee_types(request, callee or context)
        elif not (annotated or context):  # ``with`` gives what ``__enter__`` returns
            candidates += _callee_types(request, callee, strict)
    stale = strict and assigned  # then the parameter's annotation may no longer say it
    if function is not None and not stale and (found := _annotation(name).search(function.header)):
        candidates += _type_words(found.group(1), strict)
    for word in dict.fromkeys(candidates):
        classes = [d for d in lookup(request, word) if d.kind in CLASS_KINDS]
        if classes:
            return classes[:1]
    return []


def _methods(request: Request, cls: Definition) -> list[Definition]:
    """The class's public methods, then its bases' (one level) that it does not override."""
    path = request.file_of(cls)
    if path is None:
        return []
    own = [d for d in request.members(path, cls.name) if not d.name.startswith("_")]
    names = {d.name for d in own}
    header = cls.signature.split("(", 1)[1] if "(" in cls.signature else ""
    extends = re.search(r"\bextends\s+([\w$.]+)", cls.signature)
    bases = _WORD.findall(header) + ([extends.group(1)] if extends else [])
    for base in dict.fromkeys(bases):
        for parent in lookup(request, base):
            parent_path = request.file_of(parent)
            if parent.kind not in CLASS_KINDS or parent_path is None or parent == cls:
                continue
            for d in request.members(parent_path, parent.name):
                if not d.name.startswith("_") and d.name not in names:
                    names.add(d.name)
                    own.append(d)
    return own


def _module_members(request: Request, path: str) -> list[Definition]:
    definitions = request.definitions_in(path)
    top = [d for d in definitions if d.container is None]
    if exported := _commonjs_exports(top, definitions):
        top = exported
    named: dict[str, Definition] = {}
    for definition in top:
        if not definition.name.startswith("_"):
            named.setdefault(definition.name, definition)
    return list(named.values())


def _commonjs_exports(
    top: Sequence[Definition], definitions: Sequence[Definition]
) -> list[Definition]:
    """What a CommonJS module's ``require`` gives: its ``exports.name = ...`` definitions, and
    the methods of the object it exports (``var app = exports = module.exports = {}`` then
    ``app.use = function``). Its other top-level names (its own ``require``s) are not members;
    none for a module that exports nothing this way."""
    exported = [d for d in top if _EXPORTED.match(d.signature)]
    holders = {m.group(1) for d in top if (m := _EXPORTS_OBJECT.match(d.signature))}
    return exported + [d for d in definitions if d.container in holders]


def members_at_cursor(request: Request) -> tuple[str, str, list[Definition]] | None:
    """(where, what, members) offered at the cursor: after ``module.``, in ``from module
    import``, or after a variable of a project class; None elsewhere."""
    if (path := module_at_cursor(request)) is not None:
        return request.where(path), "module", _module_members(request, path)
    text, offset = request.doc.text, request.offset
    member = _MEMBER_AT.search(text[text.rfind("\n", 0, offset) + 1 : offset])
    if member is None or member.group(1) in ("self", "this", "cls", "super"):
        return None  # the enclosing class's own members are in the prompt's head already
    classes = class_of(request, member.group(1))
    if not classes or (path := request.file_of(classes[0])) is None:
        return None
    return request.where(path), f"class {classes[0].name}", _methods(request, classes[0])


def member_line(
    where: str, what: str, members: Sequence[Definition], uses: Callable[[str], int]
) -> str | None:
    """One fact line naming the members, the most used in the workspace first (``uses``: how
    many indexed chunks mention a name), within ``MEMBERS_CHARS``; None when there are none."""
    ranked = sorted(enumerate(members), key=lambda p: (-uses(p[1].name.lower()), p[0]))
    head = f"{where}: {what} has "
    names: list[str] = []
    size = len(head)
    for _, definition in ranked:
        if any(n.rstrip("()") == definition.name for n in names):
            continue  # overloads
        shown = definition.name + ("()" if definition.kind in ("function", "method") else "")
        if size + len(shown) + 2 > MEMBERS_CHARS:
            break
        names.append(shown)
        size += len(shown) + 2
    return head + ", ".join(names) if names else None
