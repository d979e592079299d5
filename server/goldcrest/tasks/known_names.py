"""A grammar for a JavaScript or TypeScript answer that reads only names its file has.

When an answer reads a name nothing defines (``complete.names_at``: a callee's parameter name
written for the caller's variable, ``onAbortedSignal(mainSignal, signal)``), the model usually
knew the shape and missed one name. Asked once more under this grammar (llama.cpp's GBNF), it
must spell every name it reads from the file's words, the language's keywords and globals; what
follows ``.``, an object's keys, strings and numbers stay free. The answer is checked again
like any other. Python's answers are not asked again: on the tune project (click) the answers
the retry gave read names the scope lacks again (``(ctx)`` for ``(self.ctx)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..reserved import GLOBALS, KEYWORDS
from .jsnames import words_outside

#: Past this many distinct words the grammar is too big to be worth it (llama.cpp follows
#: every alternative a character allows); the answer is withheld instead.
MAX_WORDS = 3000
_IDENT = "[A-Za-z_$] [A-Za-z0-9_$]*"
_RULES = f"""root ::= head gap? (word gap)* word?
gap ::= (mark | member | key | string)+
word ::= known | number
member ::= "." {_IDENT}
key ::= [{{,] [ \\t\\n]* {_IDENT} ":"
number ::= [0-9] [A-Za-z0-9_.]*
string ::= ["] double* ["] | ['] single* [']
double ::= [^"\\\\\\n\\x00] | escape
single ::= [^'\\\\\\n\\x00] | escape
escape ::= "\\\\" [^\\x00]
mark ::= [^A-Za-z0-9_$"'`.\\x00] | "." | "`" [^`\\x00]* "`"
"""


def known_grammar(text: str, start: int, end: int, language: str) -> str | None:
    """The grammar for an answer at ``text[start:end]`` whose names are the rest of ``text``'s
    words or the language's (the name the cursor is in may go on freely); None when there are
    too many words for one."""
    words = words_outside(text, start, end)
    words |= KEYWORDS.get(language, frozenset()) | GLOBALS.get(language, frozenset())
    if not words or len(words) > MAX_WORDS:
        return None
    typing = start > 0 and re.match(r"[\w$]", text[start - 1]) is not None
    head = "[A-Za-z0-9_$]*" if typing else '""'  # the rest of a name being typed is free
    return _RULES + f"head ::= {head}\nknown ::= {_trie(sorted(words))}\n"


def _trie(words: Iterable[str]) -> str:
    """The words as one GBNF expression, shared beginnings written once (``"ca" ("ncel" |
    "ll")``), so llama.cpp follows one alternative per character typed, not one per word."""
    groups: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    alternatives = []
    for first, rests in groups.items():
        stem = first
        while len(rests) > 1 and all(rests) and len({r[0] for r in rests}) == 1:
            stem += rests[0][0]
            rests = [r[1:] for r in rests]
        if len(rests) == 1:
            alternatives.append(_literal(stem + rests[0]))
        else:
            alternatives.append(f"{_literal(stem)} {_trie(rests)}")
    body = " | ".join(alternatives)
    if ends:
        return f"({body})?"
    return f"({body})" if len(alternatives) > 1 else body


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
