"""How CrossCodeEval and RepoBench score a line completion when there are no tests to run.

Exact match of the line, edit similarity (Levenshtein ratio, RapidFuzz's ``fuzz.ratio``, as
CrossCodeEval computes it), and identifier F1: how many of the reference's identifiers the
suggestion names, against how many it names in all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz

from .crossfile_items import identifiers


@dataclass(frozen=True)
class LineScore:
    exact: bool
    edit_similarity: float  # 0..1
    identifier_f1: float  # 0..1


def first_line(suggestion: str) -> str:
    """What a line completion is judged on: the suggestion up to its first line end."""
    return suggestion.split("\n", 1)[0]


def score_line(reference: str, suggestion: str | None, language: str) -> LineScore:
    """The three scores of ``suggestion`` (None: nothing shown) against the rest of the line."""
    if suggestion is None:
        return LineScore(False, 0.0, 0.0)
    ours, theirs = first_line(suggestion).strip(), reference.strip()
    similarity = fuzz.ratio(ours, theirs) / 100
    wanted, named = Counter(identifiers(theirs, language)), Counter(identifiers(ours, language))
    if not wanted:
        f1 = float(not named)
    else:
        hits = sum((wanted & named).values())
        f1 = 0.0 if not hits else 2 * hits / (sum(wanted.values()) + sum(named.values()))
    return LineScore(ours == theirs, similarity, f1)
