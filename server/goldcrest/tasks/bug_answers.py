"""Reading list-bugs answers: the schema, anchoring by quote, and agreement between samples.

Small models copy text far better than they count: each reported bug quotes the code of its
line, and the finding is anchored where that quote is in the unit (nearest to the line the model
named), or dropped when the quote is nowhere in it. Their self-reported confidence is useless (a
1.5B model says 0.9 to everything), so confidence is agreement instead: several samples are read
and a finding is kept when at least two of them put a bug on the same anchored line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ..prompts import load
from .structured import compact_schema

MAX_BUGS = 5
MAX_QUOTE = 200
#: a line this suspicious (failing tests run it, passing ones mostly do not) is shown as an error
STANDS_OUT = 0.7
_NUMBERED = re.compile(r"^\s*\d+\s*\|\s?")  # "12 | " copied from the prompt's numbering
_SHOULD_BE = re.compile(r"\bshould (?:be|read)\s*:?\s*`?(.+?)`?\s*\.?$", re.IGNORECASE | re.DOTALL)

Severity = Literal["error", "warning", "info"]


class Bug(BaseModel):
    """One bug as the model reports it: the line's number, its code quoted, what is wrong."""

    line: int
    code: str = Field(max_length=MAX_QUOTE)
    message: str = Field(max_length=300)


class BugList(BaseModel):
    bugs: list[Bug] = Field(max_length=MAX_BUGS)

    @field_validator("bugs", mode="before")
    @classmethod
    def _usable(cls, value: Any) -> Any:
        """Keep the items that have a line, a quote and a message (unknown keys are ignored)."""
        if not isinstance(value, list):
            return value
        kept = [
            {k: item[k] for k in ("line", "code", "message")}
            for item in value
            if isinstance(item, dict)
            and "line" in item
            and item.get("code")
            and item.get("message")
        ]
        return kept[:MAX_BUGS]


SCHEMA = compact_schema(BugList)


@dataclass(frozen=True)
class Finding:
    """A bug at lines [start_line, end_line] (0-based) of the text it was found in;
    ``confidence`` is the share of samples that agree on it."""

    start_line: int
    end_line: int
    message: str
    severity: Severity
    confidence: float


def squeeze(text: str) -> str:
    return "".join(text.split())


def anchor(bug: Bug, first: int, last: int, lines: Sequence[str]) -> int | None:
    """The 0-based line in [first, last] whose code ``bug`` quotes, nearest to the line it
    names; None when the quote is nowhere there."""
    quote_lines = [_NUMBERED.sub("", q) for q in bug.code.split("\n") if q.strip()]
    quote = squeeze(quote_lines[0]) if quote_lines else ""
    if len(quote) < 2:
        return None
    hits = [n for n in range(first, min(last, len(lines) - 1) + 1) if quote in squeeze(lines[n])]
    if not hits:
        return None
    named = bug.line - 1
    return min(hits, key=lambda n: (abs(n - named), n))


def _echoed(message: str) -> bool:
    """A message copied from the prompt's own example or instructions."""
    spec = load("bugs")
    copied = [example["assistant"] for example in spec.get("examples", ())] + [spec["system"]]
    return len(message) < 8 or any(message in text for text in copied)


def says_nothing(message: str, code: str) -> bool:
    """A message that is only the line's own code, or asks for the code the line already has
    ("x is incorrect; it should be x"): small models write these when they have no real bug."""
    squeezed = squeeze(message).rstrip(".")
    if squeezed and squeezed in squeeze(code):
        return True
    wanted = _SHOULD_BE.search(message)
    asked = squeeze(wanted.group(1)) if wanted else ""
    return len(asked) >= 6 and asked in squeeze(code)


def read_sample(bugs: BugList, first: int, last: int, lines: Sequence[str]) -> dict[int, str]:
    """One sample's findings: anchored line -> message, dropping what cannot be anchored or
    says nothing."""
    found: dict[int, str] = {}
    for bug in bugs.bugs:
        line = anchor(bug, first, last, lines)
        message = bug.message.strip()
        if line is None or not lines[line].strip() or _echoed(message):
            continue
        if says_nothing(message, lines[line]):
            continue
        found.setdefault(line, message)
    return found


@dataclass(frozen=True)
class Agreement:
    """Findings that enough samples agree on, and whether any sample said something the
    others did not (the cascade's "score low")."""

    findings: tuple[Finding, ...]
    disputed: bool


def agree(
    samples: Sequence[Mapping[int, str]],
    *,
    min_votes: int,
    suspicious: Mapping[int, float] | None = None,
    proven: Mapping[int, str] | None = None,
    sure: Collection[int] = (),
    natural: Collection[int] = (),
) -> Agreement:
    """Findings on lines at least ``min_votes`` samples name, most agreed (and, with test
    evidence, most suspicious) first; confidence = votes / samples. ``proven`` lines (a
    corrected version that passes the project's tests changes them) come first, as errors;
    ``sure`` lines (a sample the model was sure of names them) count as agreed on;
    ``natural`` lines (the model would write them as they are) need one vote more."""
    votes = Counter(line for sample in samples for line in sample)
    suspicious = suspicious or {}
    proven = proven or {}
    kept = [
        line
        for line, n in votes.items()
        if (n >= min_votes + (line in natural) or line in sure) and line not in proven
    ]
    kept.sort(key=lambda line: (-suspicious.get(line, 0.0), -votes[line], line))
    findings = [Finding(line, line, proven[line], "error", 1.0) for line in sorted(proven)]
    for line in kept[: max(MAX_BUGS - len(findings), 0)]:
        message = next(sample[line] for sample in samples if line in sample)
        agreeing = max(votes[line], min_votes) if line in sure else votes[line]
        confidence = agreeing / len(samples)
        severity: Severity = "error" if suspicious.get(line, 0.0) >= STANDS_OUT else "warning"
        findings.append(Finding(line, line, message, severity, confidence))
    disputed = not proven and any(n < min_votes for n in votes.values())
    return Agreement(tuple(findings), disputed)


def settled(
    samples: Sequence[Mapping[int, str]],
    planned: int,
    min_votes: int,
    sure: Collection[int] = (),
    natural: Collection[int] = (),
) -> bool:
    """True when more samples cannot change which lines are kept (``agree``'s rules)."""
    left = planned - len(samples)
    if left >= min_votes:
        return False  # a line no sample has named yet could still be agreed on
    votes = Counter(line for sample in samples for line in sample)
    needs = {line: min_votes + (line in natural) for line in votes}
    return all(
        line in sure or n >= needs[line] or n + left < needs[line] for line, n in votes.items()
    )
