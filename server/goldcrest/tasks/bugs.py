"""Listing likely bugs: one prompt that asks only for bugs, answered as schema-constrained JSON.

A scan is planned on a snapshot of the document (which units to look at, one request each) and
run unit by unit, so a caller can report progress, publish findings as they come and stop early.
Findings are in the snapshot's lines; ``findings.remap`` carries them over to later text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ..backends.base import Backend, GenerationRequest
from ..config import ActionSettings
from ..context.scope import definitions_of
from ..documents import Document
from ..engine import Engine
from ..prompts import load
from ..workspace.retrieval import Retriever
from .facts import facts_block
from .findings import split_lines
from .structured import ask_json, chat_request, compact_schema

TASK = "bugs"
MAX_BUGS = 5
MAX_UNIT_LINES = 120
MAX_SPAN = 8  # a "bug" over more lines than this is pinned to its first line
BUG_TOKENS = 400
_NOT_CODE = {"package_clause", "package_declaration", "preproc_include", "use_declaration"}
_SEVERITY: dict[str, Literal["error", "warning", "info"]] = {
    "critical": "error",
    "high": "error",
    "major": "error",
    "error": "error",
    "info": "info",
    "hint": "info",
    "low": "info",
}


class Bug(BaseModel):
    """One bug as the model reports it (lines as numbered in the prompt)."""

    line: int
    end_line: int
    message: str = Field(max_length=300)
    severity: Literal["error", "warning", "info"]
    confidence: float

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> str:
        return _SEVERITY.get(str(value).lower(), "warning")

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> float:
        number = float(value)
        return min(max(number / 100 if number > 1 else number, 0.0), 1.0)


class BugList(BaseModel):
    bugs: list[Bug] = Field(max_length=MAX_BUGS)

    @field_validator("bugs", mode="before")
    @classmethod
    def _usable(cls, value: Any) -> Any:
        """Keep the items that have a line and a message; fill what small models leave out."""
        if not isinstance(value, list):
            return value
        kept = []
        for item in value:
            if isinstance(item, dict) and "line" in item and item.get("message"):
                kept.append(
                    {"end_line": item["line"], "severity": "warning", "confidence": 0.5} | item
                )
        return kept[:MAX_BUGS]


SCHEMA = compact_schema(BugList)


@dataclass(frozen=True)
class Unit:
    """Lines scanned together (0-based, inclusive): a function, or code outside functions."""

    first_line: int
    last_line: int
    label: str


@dataclass(frozen=True)
class Finding:
    """A bug at lines [start_line, end_line] (0-based) of the text it was found in."""

    start_line: int
    end_line: int
    message: str
    severity: Literal["error", "warning", "info"]
    confidence: float


@dataclass(frozen=True)
class Scan:
    """What to ask about one snapshot of a document."""

    uri: str
    version: int
    text: str
    units: tuple[Unit, ...]
    requests: tuple[GenerationRequest, ...]


@dataclass(frozen=True)
class UnitResult:
    findings: tuple[Finding, ...]
    problem: str = ""  # why the unit could not be checked, fit to show a user


def _windows(first: int, last: int, label: str) -> list[Unit]:
    return [
        Unit(start, min(start + MAX_UNIT_LINES - 1, last), label)
        for start in range(first, last + 1, MAX_UNIT_LINES)
    ]


def units(doc: Document, lines: tuple[int, int] | None = None) -> list[Unit]:
    """Functions and methods overlapping ``lines`` (all when None), then the code outside them.

    Code outside functions counts only when some of it is more than imports, comments and
    docstrings; long units are cut into windows a small model can take in.
    """
    first, last = lines if lines is not None else (0, doc.line_count - 1)
    found: list[Unit] = []
    covered: set[int] = set()
    for definition in definitions_of(doc):
        if definition.kind == "class":
            covered.add(definition.start_line)  # its methods are units of their own
        if definition.kind not in ("function", "method"):
            continue
        covered.update(range(definition.start_line, definition.end_line + 1))
        if definition.end_line >= first and definition.start_line <= last:
            found += _windows(definition.start_line, definition.end_line, definition.name)
    rest = [
        n
        for n in _code_lines(doc)
        if first <= n <= last
        and n not in covered
        and doc.line(n).strip()
        and not doc.line(n).lstrip().startswith("@")  # a decorator
    ]
    if rest and (lines is not None or len(rest) >= 3):
        found += _windows(rest[0], rest[-1], f"lines {rest[0] + 1}-{rest[-1] + 1}")
    return sorted(found, key=lambda u: u.first_line)


def _code_lines(doc: Document) -> list[int]:
    """Lines of top-level statements that can hold a bug (not imports, comments, docstrings)."""
    if doc.tree is None:
        return [n for n in range(doc.line_count) if doc.line(n).strip()]
    lines: list[int] = []
    for node in doc.tree.root_node.named_children:
        if node.type in _NOT_CODE or "import" in node.type or "comment" in node.type:
            continue
        if node.type == "expression_statement" and all(
            child.type == "string" for child in node.named_children
        ):
            continue
        lines += range(node.start_point.row, node.end_point.row + 1)
    return lines


def _numbered(doc: Document, unit: Unit) -> str:
    width = len(str(unit.last_line + 1))
    return "\n".join(
        f"{n + 1:>{width}} | {doc.line(n)}" for n in range(unit.first_line, unit.last_line + 1)
    )


def plan_scan(
    doc: Document,
    documents: Iterable[Document],
    settings: ActionSettings,
    lines: tuple[int, int] | None = None,
    retriever: Retriever | None = None,
) -> Scan:
    """The units of ``doc`` to scan (within ``lines``, else the whole file) and their prompts."""
    planned = units(doc, lines)
    others = list(documents)
    requests = []
    for unit in planned:
        offset = doc.offset_at(unit.first_line, len(doc.line(unit.first_line)))
        values = {
            "facts": facts_block(doc, offset, others, retriever),
            "path": doc.uri.rsplit("/", 1)[-1],
            "language": doc.language.id,
            "code": _numbered(doc, unit),
        }
        requests.append(
            chat_request(
                "bugs",
                values,
                temperature=settings.temperature,
                max_tokens=min(settings.max_tokens, BUG_TOKENS),
                schema=SCHEMA,
            )
        )
    return Scan(doc.uri, doc.version, doc.text, tuple(planned), tuple(requests))


def _echoed(message: str) -> bool:
    """A message copied from the prompt's own example or instructions."""
    spec = load("bugs")
    copied = [example["assistant"] for example in spec.get("examples", ())] + [spec["system"]]
    return len(message) < 8 or any(message in text for text in copied)


_SHOULD_BE = re.compile(r"\bshould (?:be|read)\s*:?\s*`?(.+?)`?\s*\.?$", re.IGNORECASE | re.DOTALL)


def _says_nothing(message: str, code: str) -> bool:
    """A message that is only the line's own code, or asks for the code the line already has
    ("x is incorrect; it should be x"): small models write these when they have no real bug."""
    squeezed = "".join(message.split()).rstrip(".")
    if squeezed and squeezed in "".join(code.split()):
        return True
    wanted = _SHOULD_BE.search(message)
    asked = "".join(wanted.group(1).split()) if wanted else ""
    return len(asked) >= 6 and asked in "".join(code.split())


def findings(bugs: BugList, unit: Unit, lines: list[str], min_confidence: float) -> list[Finding]:
    """The reported bugs that point at code inside ``unit``, in 0-based lines, deduplicated."""
    kept: dict[tuple[int, str], Finding] = {}
    for bug in bugs.bugs:
        start = bug.line - 1
        end = min(max(bug.end_line - 1, start), unit.last_line)
        if not unit.first_line <= start <= unit.last_line or not lines[start].strip():
            continue
        if bug.confidence < min_confidence or _echoed(bug.message.strip()):
            continue
        if _says_nothing(bug.message, "\n".join(lines[start : end + 1])):
            continue
        if end - start > MAX_SPAN:
            end = start
        message = bug.message.strip()
        kept.setdefault(
            (start, message), Finding(start, end, message, bug.severity, bug.confidence)
        )
    return list(kept.values())


async def check_unit(
    scan: Scan, index: int, engine: Engine, backend: Backend, settings: ActionSettings
) -> UnitResult:
    """Ask about one unit of ``scan``; findings in the scan's lines."""
    unit = scan.units[index]
    answer = await ask_json(
        engine,
        TASK,
        scan.requests[index],
        BugList,
        backend=backend,
        timeout_s=settings.timeout_s,
    )
    if answer.value is None:
        return UnitResult((), f"{unit.label}: {answer.problem}")
    lines = split_lines(scan.text)
    return UnitResult(tuple(findings(answer.value, unit, lines, settings.min_confidence)))


async def list_bugs(
    doc: Document,
    engine: Engine,
    *,
    lines: tuple[int, int] | None = None,
    documents: Iterable[Document] = (),
) -> tuple[list[Finding], list[str]]:
    """Every finding in ``doc`` (or in ``lines``), and the problems met: the whole scan at once."""
    settings = engine.settings.actions
    backend = await engine.backend()
    if backend is None:
        return [], ["no model is available"]
    scan = plan_scan(doc, documents, settings, lines)
    found: list[Finding] = []
    problems: list[str] = []
    for index in range(len(scan.units)):
        result = await check_unit(scan, index, engine, backend, settings)
        found += result.findings
        problems += [result.problem] if result.problem else []
    return found, problems
