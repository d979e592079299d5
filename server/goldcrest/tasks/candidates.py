"""Judging one rewrite answer: what it may replace, how good it is, the edit it becomes.

A rewrite answer is the whole function; each becomes a candidate that is judged (does the
document still parse, does Python compile, are its names defined, did the signature and the names
it defines stay), the best is chosen, and it becomes one minimal edit confined to that function.
Everything works on a frozen copy of the document, so edits made while the model runs cannot
shift what the answer is checked against.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..context.scope import enclosing_scopes
from ..documents import Document
from ..validate import check_splice, syntax_error
from . import pycheck
from .code_answer import dedent, extract_code, reindent

REJECTED, PARSES, CLEAN = 0, 1, 2
UNCHANGED = "the answer changed nothing"
_FUNCTION_KINDS = ("function", "method")

#: (old code, new code) -> why the new code is not the rewrite wanted ("" when it is)
KindCheck = Callable[[str, str], str]


@dataclass(frozen=True)
class Target:
    """The whole lines a rewrite may replace: a function, or the selected lines outside one."""

    start: int  # str offset of the first line's start
    end: int  # str offset of the last line's end (before its line break)
    name: str | None  # the function's name; None for plain lines
    indent: str  # the first line's indentation
    code: str  # the text without that indentation
    first_line: int  # 0-based


@dataclass(frozen=True)
class Rules:
    """What a rewrite may change, besides the body of the function."""

    keep_signature: bool  # True: a changed signature rejects; False: it only ranks lower
    new_functions: int = 0  # top-level functions the rewrite may add next to the target
    check: KindCheck | None = None
    #: the repair round may mend an answer that parses but uses undefined names or changes the
    #: parameters. A fix may; a refactor, which must keep behaviour, may only when tests judge:
    #: the mended code has to invent what the missing names meant, which no check can catch
    repair_meaning: bool = True


@dataclass(frozen=True)
class Edit:
    """A validated replacement, in the coordinates of document ``version``."""

    uri: str
    version: int
    start: tuple[int, int]  # LSP (line, UTF-16 column)
    end: tuple[int, int]
    new_text: str


@dataclass(frozen=True)
class Candidate:
    code: str
    level: int
    reason: str  # why it is not CLEAN; "" when it is
    key: str  # equal for candidates that differ only in layout


def frozen_copy(doc: Document) -> Document:
    """A private copy of ``doc`` as it is now, with its own syntax tree."""
    return Document(doc.uri, doc.language, doc.version, doc.text)


def _anchor(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets just inside the first and last non-blank characters of [start, end)."""
    lo = start
    while lo < len(text) and text[lo].isspace() and (lo < end or end <= start):
        lo += 1
    hi = max(end, lo + 1)
    while hi > lo + 1 and text[hi - 1].isspace():
        hi -= 1
    return min(lo + 1, len(text)), min(hi, len(text))


def find_target(doc: Document, start: int, end: int) -> Target:
    """The innermost function holding [start, end), else the whole lines it covers."""
    text = doc.text
    lo, hi = _anchor(text, start, end)
    begin, finish, name = start, end, None
    for scope in enclosing_scopes(doc, lo):
        if scope.kind in _FUNCTION_KINDS and scope.start < hi <= scope.end:
            begin, finish, name = scope.start, scope.end, scope.name
            break
    line_start = text.rfind("\n", 0, begin) + 1
    line_end = text.find("\n", max(finish - 1, line_start))
    line_end = len(text) if line_end < 0 else line_end
    if line_end > line_start and text[line_end - 1] == "\r":
        line_end -= 1
    code, indent = dedent(text[line_start:line_end])
    return Target(line_start, line_end, name, indent, code, text.count("\n", 0, line_start))


def judge(doc: Document, target: Target, answer: str, rules: Rules) -> Candidate:
    """How good one answer is as a replacement for ``target``."""
    code = extract_code(answer, prefer=target.name)
    if code is None:
        return Candidate("", REJECTED, "the answer had no code", "")
    return judge_code(doc, target, code, rules)


def judge_code(doc: Document, target: Target, code: str, rules: Rules) -> Candidate:
    """How good ``code`` (the whole new target, any indentation) is as its replacement."""
    python = doc.language.id == "python"
    if python:
        if (error := syntax_error(code)) is not None:
            line, message = error
            return Candidate(code, REJECTED, f"it fails to parse at line {line}: {message}", "")
        if target.name is not None and not pycheck.definitions_only(code):
            code = pycheck.keep_definitions(code)  # drop the usage example after the function
    new_text = reindent(code, target.indent)
    if " ".join(new_text.split()) == " ".join(doc.text[target.start : target.end].split()):
        return Candidate(code, REJECTED, UNCHANGED, "")
    verdict = check_splice(doc, target.start, target.end, new_text, (0, len(doc.text)))
    if not verdict.ok:
        return Candidate(code, REJECTED, f"the edit {verdict.reason}", "")
    if python:
        return _judge_python(doc, target, code, new_text, rules)
    return Candidate(code, CLEAN, "", " ".join(code.split()))


def _judge_python(
    doc: Document, target: Target, code: str, new_text: str, rules: Rules
) -> Candidate:
    key = pycheck.normalized(code)
    original_parses = syntax_error(target.code) is None
    if original_parses and key == pycheck.normalized(target.code):
        return Candidate(code, REJECTED, UNCHANGED, key)  # only comments or layout changed
    if target.name is not None:
        defined = pycheck.defined_names(code)
        if target.name not in defined:
            return Candidate(code, REJECTED, f"it no longer defines `{target.name}`", key)
        if len(defined) > 1 + rules.new_functions:
            return Candidate(code, REJECTED, "it adds functions besides the one asked for", key)
    if rules.check is not None:
        reason = (
            rules.check(target.code, code) if original_parses else "the original fails to parse"
        )
        if reason:
            return Candidate(code, REJECTED, reason, key)
    # (check_splice has already compiled the statements around the edit)
    new_doc = doc.text[: target.start] + new_text + doc.text[target.end :]
    first = target.first_line + 1
    missing = pycheck.undefined_names(new_doc, first, first + new_text.count("\n"))
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        return Candidate(code, PARSES, f"it uses undefined name(s) {names}", key)
    if (
        target.name is not None
        and original_parses
        and pycheck.signature(code, target.name) != pycheck.signature(target.code, target.name)
    ):
        reason = f"it changes the parameters of `{target.name}`"
        return Candidate(code, REJECTED if rules.keep_signature else PARSES, reason, key)
    return Candidate(code, CLEAN, "", key)


def choose(candidates: list[Candidate], target: Target, min_level: int) -> Candidate | None:
    """The best usable candidate: highest level, then most agreed on, then the smallest change."""
    usable = [c for c in candidates if c.level >= min_level]
    if not usable:
        return None
    top = max(c.level for c in usable)
    pool = [c for c in usable if c.level == top]
    votes = Counter(c.key for c in pool)

    def closeness(c: Candidate) -> float:
        return difflib.SequenceMatcher(None, target.code, c.code, autojunk=False).ratio()

    return max(pool, key=lambda c: (votes[c.key], closeness(c)))


def minimal_edit(doc: Document, target: Target, new_text: str) -> Edit:
    """The replacement trimmed to the lines that really change."""
    old_lines = doc.text[target.start : target.end].split("\n")
    new_lines = new_text.split("\n")
    head = 0
    while head < min(len(old_lines), len(new_lines)) - 1 and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - head - 1
        and old_lines[-1 - tail] == new_lines[-1 - tail]
    ):
        tail += 1
    start = target.start + sum(len(line) + 1 for line in old_lines[:head])
    end = target.end - sum(len(line) + 1 for line in old_lines[len(old_lines) - tail :])
    replacement = "\n".join(new_lines[head : len(new_lines) - tail])
    return Edit(doc.uri, doc.version, doc.position_at(start), doc.position_at(end), replacement)
