"""The user's own suggestions: the held-out split of ``goldcrest export`` as a suite.

``goldcrest eval --data <export folder>`` reads ``fim.heldout.jsonl`` (prompts exactly as
Goldcrest sent them, and the text the user accepted) so a user compares the base model and
their tuned one on their own code with the same table. There are no tests to run: an attempt
passes when what would be shown is what the user took (exact match, ends trimmed); the edit
similarity (Levenshtein ratio, as CrossCodeEval computes it) is kept per item.

Variants, through the same engine and model:
- ``goldcrest``: the completion task on a document holding the sent prefix and suffix (their
  labelled facts are comments, so the document reads as code), cursor at the hole.
- ``fim-raw``: the sent prefix and suffix in the model family's FIM prompt, raw output: what a
  tuned model sees in training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz

from ...documents import Document, DocumentStore
from .base import FIM_RAW, GOLDCREST, Attempt, Score
from .completion import CompletionSuite

HELDOUT = "fim.heldout.jsonl"
NAME = "accepted"


@dataclass(frozen=True)
class AcceptedItem:
    id: str
    prompt: str  # the sent FIM prefix (``prompt`` as in HumanEval: the text before the hole)
    suffix: str
    middle: str
    language: str

    @property
    def group(self) -> str:
        return self.id


@cache
def load_accepted(path: Path) -> tuple[AcceptedItem, ...]:
    """The exported examples, one item per line."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        key = hashlib.sha256((row["prefix"] + "\0" + row["suffix"]).encode()).hexdigest()[:12]
        language = row.get("language") or "python"
        items.append(AcceptedItem(key, row["prefix"], row["suffix"], row["middle"], language))
    return tuple(items)


@dataclass
class AcceptedSuite(CompletionSuite):
    """The completion suite's variants and engine calls over the user's examples; scored by
    what the user took instead of tests."""

    variants: tuple[str, ...] = (GOLDCREST, FIM_RAW)

    def items(self) -> tuple[AcceptedItem, ...]:  # type: ignore[override]
        return load_accepted(self.path)

    def document(self, store: DocumentStore, item: AcceptedItem) -> Document:  # type: ignore[override]
        return store.open(
            f"file:///eval/accepted/{item.id}", item.language, 1, item.prompt + item.suffix
        )

    def score(self, item: AcceptedItem, attempt: Attempt) -> Score:  # type: ignore[override]
        if attempt.shown is None:
            return Score(False, attempt.detail)
        ours, theirs = attempt.shown.strip(), item.middle.strip()
        similarity = round(fuzz.ratio(ours, theirs) * 10)
        detail = "" if ours == theirs else f"differs from what was accepted: {ours[:60]!r}"
        return Score(ours == theirs, detail, {"accepted_sim_milli": similarity})


def accepted_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, AcceptedSuite]]:
    """``accepted`` when ``data_dir`` is a ``goldcrest export`` folder."""
    if (data_dir / HELDOUT).is_file():
        yield NAME, AcceptedSuite(NAME, data_dir / HELDOUT, timeout_s)
