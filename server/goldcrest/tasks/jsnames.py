"""Names a JavaScript or TypeScript completion reads that nothing in its file has.

A small model copies a callee's parameter name where the caller has its own variable:
``onAbortedSignal(mainSignal, signal)`` in a file whose variable is ``cancelSignal``. Python has
``pycheck.unknown_reads`` (the symbol table) for this; JavaScript has no such table to hand, so
the check is by words: a name the answer reads that is not a word anywhere else in the file,
not declared by the answer itself, and not a keyword or a global of the language is unknown.
A word the file has only in comments or quoted strings does not count: the callee's
``(source, destination)`` copied into a file whose comments talk of "the source" is unknown.
It leans to letting names through (a word in a template literal counts as known; what follows
``.``, object keys and template literals are not judged), as it must never reject a right answer.
"""

from __future__ import annotations

import re

from ..reserved import GLOBALS, KEYWORDS

#: Comments, quoted strings and template literals; ``_code_words`` keeps a template's words
#: (its ``${...}`` read names).
_PROSE = re.compile(
    r"""//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""",
    re.DOTALL,
)
#: ``_PROSE`` and regular expressions: what an answer's words are not read in.
_SKIPPED = re.compile(
    _PROSE.pattern
    + r"|(?:(?<=[(,=:\[!&|?{};>])|(?<=return)|^)"
    + r"\s*/(?![/*])(?:\\.|\[[^\]\n]*\]|[^/\\\n])+/[a-z]*",
    re.DOTALL,
)
_WORD = re.compile(r"(?<![\w$])[A-Za-z_$][\w$]*")
#: A word that is declared, not read: after a declaring keyword, or as an arrow's parameter.
_DECLARED = re.compile(
    r"\b(?:const|let|var|function\*?|class|catch\s*\()\s*([A-Za-z_$][\w$]*)"
    r"|([A-Za-z_$][\w$]*)\s*=>"
)
_DECLARING = re.compile(r"\b(?:const|let|var)\b")
_MORE_DECLARED = re.compile(r",\s*([A-Za-z_$][\w$]*)\s*=(?![=>])")
_JSX = re.compile(r"</|<[A-Za-z][\w.]*[\s/>]")
_PARAMETERS = re.compile(r"\(([^()]*)\)\s*(?:=>|\{)")
_DESTRUCTURED = re.compile(r"\b(?:const|let|var)\s*[{\[]([^=]*)[}\]]\s*=")


def unknown_names(text: str, start: int, end: int, language: str) -> list[str]:
    """The names ``text[start:end]`` (an answer spliced into its file) reads that no word of the
    rest of ``text`` is, that the answer does not declare, and that the language does not give
    every program. A name that begins before ``start`` (still being typed) is not judged."""
    if _JSX.search(text[start:end]):
        return []  # JSX's text and attributes are not names
    lead = text[text.rfind("\n", 0, start) + 1 : start]  # the cursor's line before it
    if "`" in lead or text.count("`", start, end) > 2:
        return []  # maybe inside a template, or templates nested: not read word by word
    if text.rfind("/*", 0, start) > text.rfind("*/", 0, start):
        return []  # inside a comment
    code = _SKIPPED.sub(lambda m: " " * len(m.group(0)), lead + text[start:end])
    if any(quote in code for quote in "`'\""):
        return []  # a string or template that does not end here: where the cursor is, unsure
    declared = _declared(code)
    reads, private = [], []
    for match in _WORD.finditer(code):
        if match.start() < len(lead):
            continue  # typed already, or still being typed
        before = code[: match.start()].rstrip()
        after = code[match.end() :].lstrip()
        if before.endswith("#"):
            private.append(f"#{match.group(0)}")  # a class's private name: declared in the file
            continue
        if before.endswith(".") and not before.endswith(".."):
            continue  # a member: the member check's
        if after.startswith(":") and not after.startswith("::") and _in_object(before):
            continue  # an object key
        if before.endswith(("<", "/")):
            continue  # a JSX tag, a type argument; or a division's, left alone
        reads.append(match.group(0))
    reserved = KEYWORDS.get(language, frozenset()) | GLOBALS.get(language, frozenset())
    candidates = [n for n in dict.fromkeys(reads) if n not in reserved and n not in declared]
    # ``this.#url`` where no class of the file has ``#url`` is an early SyntaxError
    undeclared = [n for n in dict.fromkeys(private) if not _has_private(text, start, end, n)]
    if not candidates:
        return undeclared
    rest = words_outside(text, start, end)
    return [n for n in candidates if n not in rest] + undeclared


def _has_private(text: str, start: int, end: int, name: str) -> bool:
    """Whether ``name`` (``#url``) is written in ``text`` outside the answer ``[start, end)``."""
    word = re.compile(rf"{re.escape(name)}(?![\w$])")
    return bool(word.search(text, 0, start) or word.search(text, end))


def words_outside(text: str, start: int, end: int) -> set[str]:
    """The names written in ``text`` outside ``[start, end)`` (the answer), not counting the
    words of comments and quoted strings: what the file has, as far as a check by words can
    tell. Each side is read on its own, so a comment the cut leaves open ends with its side."""
    return _code_words(text[:start]) | _code_words(text[end:])


def _code_words(code: str) -> set[str]:
    words: set[str] = set()
    at = 0
    for prose in _PROSE.finditer(code):
        if prose.group(0).startswith("`"):
            continue  # a template: its words stay (``${name}`` reads a name)
        words.update(_WORD.findall(code, at, prose.start()))
        at = prose.end()
    words.update(_WORD.findall(code, at))
    return words


def _declared(code: str) -> set[str]:
    """The names the answer itself declares: variables, functions, classes, parameters."""
    names = {a or b for a, b in _DECLARED.findall(code)}
    if _DECLARING.search(code):  # `var k = keys(mod), i = 0`
        names.update(_MORE_DECLARED.findall(code))
    for group in (*_PARAMETERS.findall(code), *_DESTRUCTURED.findall(code)):
        names.update(_WORD.findall(group))
    return names


def _in_object(before: str) -> bool:
    """Whether a word after ``before`` starts an object's key (``{`` or ``,`` before it
    inside braces), not the middle of a ternary (``a ? b : c``)."""
    if not before.endswith(("{", ",")):
        return False
    depth = 0
    for char in reversed(before):
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth == 0:
                return char == "{"
            depth -= 1
    return True  # the object began before the answer
