"""An answer that calls a project function with more arguments than the function takes.

After a callee's name a small model writes the arguments, and often passes what the caller
has at hand: ``initializeConcurrentStreams(subprocess)`` where the function, in another
module, takes none. Where the file imports the name from a module of the workspace and each
definition of it there is a function taking fewer positional arguments, the call is wrong
whatever else is right (Python raises ``TypeError``; JavaScript drops the argument, which the
caller did not mean); ``complete`` asks once more with a grammar that passes at most that
many (``at_most``). A name the file does not import may be a builtin or a library's
(``enumerate``, ``diff``) that a project function of the same name says nothing about.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..context.symbols import Definition

_CALLEE = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)$")
_DECLARING = re.compile(r"\b(def|function\*?|class|new)\s*$")
_ARROW_ONE = re.compile(r"=\s*(?:async\s+)?[A-Za-z_$][\w$]*\s*=>\s*$")
_KEYWORD_ARG = re.compile(r"[A-Za-z_]\w*\s*=(?!=)")
_PY_IMPORT = re.compile(r"^[ \t]*from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_JS_IMPORT = re.compile(
    r"\bimport\s+([^;]*?)\s+from\s*['\"]([^'\"]+)['\"]"
    r"|\b(?:const|let|var)\s+(\{[^}]*\})\s*=\s*require\(\s*['\"]([^'\"]+)['\"]"
)
_JS_ENDINGS = ("", ".js", ".mjs", ".cjs", ".ts", ".tsx", "/index.js", "/index.ts")
_OPEN, _CLOSE = "([{", ")]}"
#: Pieces of an argument list (GBNF): anything but a top-level comma, brackets balanced.
_ARG_RULES = r"""arg ::= part+
part ::= [^,()\[\]{}"'`\x00] | group | str
group ::= "(" inner* ")" | "[" inner* "]" | "{" inner* "}"
inner ::= [^()\[\]{}"'`\x00] | group | str
str ::= ["] ([^"\\\n\x00] | esc)* ["] | ['] ([^'\\\n\x00] | esc)* ['] | "`" ([^`\\\x00] | esc)* "`"
esc ::= "\\" [^\x00]
tail ::= [^\x00]*
"""


def callee(line_before: str) -> str | None:
    """The name a call at the cursor would call: the cursor's line ends with it, not as a
    member (``obj.name``), nor as a name being declared or constructed."""
    found = _CALLEE.search(line_before)
    if found is None or _DECLARING.search(line_before[: found.start()]):
        return None
    return found.group(1)


def _module_paths(document: str, name: str, language: str) -> tuple[str, ...]:
    """The file paths (endings) of the module ``document`` imports ``name`` from under its
    own name; () when it does not (or renames it, or imports it from a folder's package)."""
    word = re.compile(rf"(?<![\w$])(?<!as ){re.escape(name)}(?![\w$])")
    if language == "python":
        for found in _PY_IMPORT.finditer(document):
            module = found.group(1).lstrip(".").replace(".", "/")
            if module and word.search(found.group(2)):
                return (f"/{module}.py", f"/{module}/__init__.py")
        return ()
    for found in _JS_IMPORT.finditer(document):
        names, module = found.group(1) or found.group(3), found.group(2) or found.group(4)
        if module.startswith(".") and word.search(names):
            stem = re.sub(r"^(\.\.?/)+", "/", module)
            return tuple(stem + ending for ending in _JS_ENDINGS)
    return ()


def _items(text: str, at: int) -> list[str] | None:
    """The comma-separated items inside the bracket that opens at ``text[at]``, up to the one
    closing it (commas inside nested brackets and strings do not count); None when it is not
    closed in ``text``."""
    items, depth, quote, start, i = [], 0, "", at + 1, at + 1
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        elif ch in _CLOSE:
            last = text[start:i].strip()
            return [*items, last] if last or items else []
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
        i += 1
    return None


def most_args(definition: Definition, language: str) -> int | None:
    """How many positional arguments the function takes at most; None when any number (a
    ``*args`` or ``...rest``), when it is no plain function, or the signature does not say."""
    if definition.kind != "function":
        return None
    signature = definition.signature
    if language in ("javascript", "typescript", "tsx") and _ARROW_ONE.search(signature):
        return 1  # ``name = param =>``
    at = signature.find("(", signature.find(definition.name) + len(definition.name))
    params = _items(signature, at) if at >= 0 else None
    if params is None:
        return None
    count = 0
    for param in params:
        if param.startswith("..."):
            return None
        if language == "python":
            if param.startswith("**") or param == "/":
                continue
            if param.startswith("*"):
                return None if param != "*" else count  # after a bare ``*``: keywords only
            if count == 0 and param in ("self", "cls") and definition.container:
                continue
        count += 1
    return count


def passed(answer: str, language: str) -> int | None:
    """How many positional arguments an answer that opens a call passes; None when it does
    not open one, leaves it open, or spreads a sequence (``*args``, ``...rest``)."""
    if not answer.startswith("("):
        return None
    args = _items(answer, 0)
    if args is None or any(a.startswith(("*", "...")) for a in args):
        return None
    if language == "python":
        args = [a for a in args if not _KEYWORD_ARG.match(a)]
    return len(args)


def too_many(
    line_before: str,
    answer: str,
    language: str,
    defines: Callable[[str], list[Definition] | None],
    document: str,
) -> int | None:
    """The most arguments the callee before the cursor takes, when ``answer`` passes it more
    than any of its definitions in the module the ``document`` imports it from (``defines``:
    the workspace's) takes; else None. Not judged when the file does not import the name
    from a module of the workspace (JavaScript: a relative one), or when any of those
    definitions says nothing of its arguments."""
    name = callee(line_before)
    if name is None or (count := passed(answer, language)) is None:
        return None
    paths = _module_paths(document, name, language)
    definitions = [d for d in defines(name) or () if d.uri.endswith(paths)] if paths else []
    if not definitions:
        return None
    takes = [most_args(d, language) for d in definitions]
    if not takes or None in takes:
        return None
    most = max(t for t in takes if t is not None)
    return most if count > most else None


def at_most(count: int) -> str:
    """A GBNF grammar (llama.cpp's) for an answer that opens a call with at most ``count``
    arguments and goes on as it likes after closing it."""
    if count == 0:
        return 'root ::= "(" [ \\t]* ")" tail\n' + _ARG_RULES
    more = f' ("," arg){{0,{count - 1}}}' if count > 1 else ""
    return f'root ::= "(" (arg{more})? ")" tail\n' + _ARG_RULES
