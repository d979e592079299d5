"""An answer that grows the name before the cursor into one nothing defines.

After a whole name (``isVerbose``), a small model sometimes takes it for the start of a longer
one and writes ``Info(verbose) ? 'short' : 'full'`` (``isVerboseInfo``, which the project lacks).
Where the workspace knows every name (the index), a called, dotted or compared name that neither
it, the file, the open files nor the language has is wrong; ``complete`` asks once more with a
grammar that goes on from the name as typed (``GOES_ON``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..reserved import GLOBALS, KEYWORDS
from ..workspace.offer import AFTER_NAME

#: A GBNF grammar (llama.cpp's) for an answer that does not go on with the name.
GOES_ON = f"root ::= {AFTER_NAME}\n"
_TYPED = re.compile(r"[A-Za-z_$][\w$]*$")
_LEAD = re.compile(r"[\w$]+")
#: What reads the name before it: a call, a member, or a comparison or logical operator (a
#: comma, a bracket or nothing may end a parameter, a key or a name being destructured).
_READ = re.compile(r"[(.]|\s*(?:===?|!==?|&&|\|\||\?\?|(?:and|or)\b)")
#: Words before a name that make it a new one (a declaration), not a use.
_DECLARING = frozenset({
    "def", "class", "function", "const", "let", "var", "import", "as", "from", "async",
    "interface", "type", "enum",
})  # fmt: skip


def grown_unknown(
    line_before: str,
    text: str,
    language: str,
    texts: Iterable[str],
    knows: Callable[[str], bool | None],
    *,
    file_scoped: bool = False,
) -> str | None:
    """The name ``text`` (the answer) makes of the name ending ``line_before`` (the cursor's
    line up to it) when that is a name called, dotted or compared (``parseFd`` + ``Name ===
    'ipc'``) that nothing defines, while the typed name is known; else None. ``texts``: the
    document's text first, then the open files';
    ``knows``: whether the workspace uses a name (None: cannot say, and nothing is judged).
    ``file_scoped`` (JavaScript, TypeScript): a name the file reads must be declared or
    imported in it, so a grown name the document lacks is unknown even where another module
    defines it (``parseFd`` grown into ``parseFdName``, a helper ``specific.js`` keeps to
    itself)."""
    typed, lead = _TYPED.search(line_before), _LEAD.match(text)
    if typed is None or lead is None or not _READ.match(text, lead.end()):
        return None
    if "$" in typed.group(0) + lead.group(0):
        return None  # the index's words leave ``$`` out
    before = line_before[: typed.start()].rstrip()
    if before.endswith(".") or (before.split() or [""])[-1] in _DECLARING:
        return None  # a member (the member check's) or a name being declared
    if text.split("\n", 1)[0].rstrip().endswith(("{", ":")):
        return None  # a method or function being defined
    name, grown = typed.group(0), typed.group(0) + lead.group(0)
    reserved = KEYWORDS.get(language, frozenset()) | GLOBALS.get(language, frozenset())
    if grown in reserved or name in KEYWORDS.get(language, frozenset()):
        return None
    texts = list(texts)
    known = knows(grown.lower())
    if known is None or (known and not file_scoped):
        return None
    if _used(grown, texts[:1] if file_scoped else texts, 1):
        return None
    if not (knows(name.lower()) or _used(name, texts, 2)):
        return None  # a name still being typed: what it grows into cannot be judged
    return grown


def _used(name: str, texts: list[str], times: int) -> bool:
    """Whether ``name`` is a whole word ``times`` times or more in ``texts`` together."""
    word = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
    seen = 0
    for text in texts:
        for _ in word.finditer(text):
            seen += 1
            if seen >= times:
                return True
    return False
