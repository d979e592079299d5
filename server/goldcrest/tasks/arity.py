"""An answer that calls a project function with more arguments than the function takes.

After a callee's name a small model writes the arguments, and often passes what the caller
has at hand: ``initializeConcurrentStreams(subprocess)`` where the function, in another
module, takes none. Where the workspace index holds every definition of the name and each is
a function taking fewer positional arguments, the call is wrong whatever else is right
(Python raises ``TypeError``; JavaScript drops the argument, which the caller did not mean);
``complete`` asks once more with a grammar that passes at most that many (``at_most``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..context.symbols import Definition

_CALLEE = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)$")
_DECLARING = re.compile(r"\b(def|function\*?|class|new)\s*$")
_ARROW_ONE = re.compile(r"=\s*(?:async\s+)?[A-Za-z_$][\w$]*\s*=>\s*$")
_KEYWORD_ARG = re.compile(r"[A-Za-z_]\w*\s*=(?!=)")
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


def _split(inside: str) -> list[str] | None:
    """The top-level comma-separated items of ``inside``; None when brackets do not balance."""
    items, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(inside):
        ch = inside[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            items.append(inside[start:i].strip())
            start = i + 1
        i += 1
    if depth or quote:
        return None
    last = inside[start:].strip()
    return [*items, last] if last or items else []


def _between(text: str, at: int) -> str | None:
    """What stands between the parenthesis at ``text[at]`` and the one closing it."""
    depth, quote, i = 0, "", at
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
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return text[at + 1 : i]
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
    inside = _between(signature, at) if at >= 0 else None
    params = None if inside is None else _split(inside)
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
    inside = _between(answer, 0)
    args = None if inside is None else _split(inside)
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
    than any of its definitions (``defines``: the workspace's) takes; else None. Not judged
    when the ``document`` defines the name itself (the index may hold an older version of
    it) or when any definition says nothing of its arguments."""
    name = callee(line_before)
    if name is None or (count := passed(answer, language)) is None:
        return None
    definitions = defines(name)
    if not definitions:
        return None
    if re.search(rf"(?:def|function\*?)\s+{re.escape(name)}\b|\b{re.escape(name)}\s*=", document):
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
