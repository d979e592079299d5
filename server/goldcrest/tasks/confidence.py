"""How sure the model was of a suggestion, from the log-probabilities of its tokens.

A small model that guesses writes tokens it gives little probability; withholding those
suggestions raises the share of shown suggestions that are right (a suggestion withheld is
better than a wrong one). Only the tokens behind what is shown count: a tail the stopping rules
cut off says nothing about the part kept.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Suggestions whose confidence (``confidence``) is below this are withheld: one token the model
#: gave under 2 % is enough. On the tune half (``bench/completion_stops.py``) the right answers'
#: least likely tokens stayed above -0.8, so this cut withholds none of them.
MIN_CONFIDENCE = -4.0


def behind(raw: str, shown: str, logprobs: Sequence[tuple[str, float]]) -> list[float]:
    """The log-probabilities of the tokens of ``raw`` that make up ``shown``: the part of the
    raw answer they share from its start (all of it when they share nothing)."""
    shared = next((i for i, (a, b) in enumerate(zip(raw, shown, strict=False)) if a != b), None)
    covered = min(len(raw), len(shown)) if shared is None else shared
    covered = covered or len(raw)
    values: list[float] = []
    at = 0
    for text, logprob in logprobs:
        if at >= covered:
            break
        values.append(logprob)
        at += len(text)
    return values


def confidence(raw: str, shown: str, logprobs: Sequence[tuple[str, float]]) -> float | None:
    """The lowest log-probability among the tokens behind ``shown`` (one unlikely token is
    enough to doubt a line of code); None when the backend gave no log-probabilities."""
    values = behind(raw, shown, logprobs)
    return min(values) if values else None


def unlikely(value: float | None, threshold: float = MIN_CONFIDENCE) -> bool:
    """Whether a suggestion with this confidence should be withheld (unknown: shown)."""
    return value is not None and value < threshold


def departure(code: str, written: str, logprobs: Sequence[tuple[str, float]]) -> float | None:
    """How sure the model was where ``written`` (the raw answer) departs from ``code`` (the line
    it replaces, indentation aside): the lowest log-probability among the tokens that touch the
    first character they differ at, or the one before it (the code may have been tokenized across
    that boundary). At p = 0.98 the model gave the code's own token at most 2 %. None without
    log-probabilities or where the answer does not depart from the code."""
    lead = len(written) - len(written.lstrip(" \t"))
    line, code = written[lead:].split("\n", 1)[0], code.strip()
    at = next((i for i, (a, b) in enumerate(zip(code, line, strict=False)) if a != b), None)
    if at is None and len(code) == len(line):
        return None
    at = min(len(code), len(line)) if at is None else at
    touching: list[float] = []
    start = -lead
    for text, logprob in logprobs:
        end = start + len(text)
        if start > at:
            break
        if end >= at and end > 0:
            touching.append(logprob)
        start = end
    return min(touching) if touching else None
