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

from ...documents import DocumentStore
from ...prompts import family
from ...tasks.complete import TASK, complete
from ...tasks.typeahead import TypeAhead
from ..models import ObservedEngine
from .base import BASELINE_TIMEOUT_S, FIM_RAW, GOLDCREST, Attempt, Score
from .completion import fim_raw_request, validates

HELDOUT = "fim.heldout.jsonl"
NAME = "accepted"


@dataclass(frozen=True)
class AcceptedItem:
    id: str
    prefix: str
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
class AcceptedSuite:
    name: str
    path: Path
    variants: tuple[str, ...] = (GOLDCREST, FIM_RAW)
    needs: tuple[str, ...] = ()  # scored in process, nothing to run

    def items(self) -> tuple[AcceptedItem, ...]:
        return load_accepted(self.path)

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        backend = await engine.baseline_backend(TASK)
        if backend is None:
            return "no backend"
        if variant == FIM_RAW and not await backend.supports_fim():
            return f"{backend.model} has no fill-in-the-middle prompt"
        return None

    async def attempt(self, item: AcceptedItem, variant: str, engine: ObservedEngine) -> Attempt:
        store = DocumentStore()
        uri = f"file:///eval/accepted/{item.id}"
        doc = store.open(uri, item.language, 1, item.prefix + item.suffix)
        offset = len(item.prefix)
        source = None
        if variant == GOLDCREST:
            suggestion = await complete(doc, offset, store, engine, TypeAhead())
            if suggestion is not None:
                source = (suggestion.backend, suggestion.model)
            shown = suggestion.text if suggestion is not None else None
            raw = engine.answers[0].text if engine.answers else None
        else:
            raw = await self._raw(item, engine)
            shown = raw if raw is not None and raw.strip() else None
        detail = "" if shown is not None else ("no model answer" if raw is None else "withheld")
        raw_ok, shown_ok = validates(doc, offset, raw), validates(doc, offset, shown)
        return Attempt(shown, raw, raw_ok, shown_ok, detail, source)

    async def _raw(self, item: AcceptedItem, engine: ObservedEngine) -> str | None:
        """The sent prefix and suffix in the family's FIM prompt; the raw answer."""
        backend = await engine.baseline_backend(TASK)
        if backend is None:
            return None
        settings = engine.settings.completion
        request = fim_raw_request(item.prefix, item.suffix, family(backend.family), settings)
        timeout_s = max(settings.timeout_s, BASELINE_TIMEOUT_S)
        answer = await engine.generate(
            f"eval-{FIM_RAW}", request, backend=backend, timeout_s=timeout_s
        )
        return None if answer is None else answer.text

    def score(self, item: AcceptedItem, attempt: Attempt) -> Score:
        if attempt.shown is None:
            return Score(False, attempt.detail)
        ours, theirs = attempt.shown.strip(), item.middle.strip()
        similarity = round(fuzz.ratio(ours, theirs) * 10)
        detail = "" if ours == theirs else f"differs from what was accepted: {ours[:60]!r}"
        return Score(ours == theirs, detail, {"accepted_sim_milli": similarity})


def accepted_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, AcceptedSuite]]:
    """``accepted`` when ``data_dir`` is a ``goldcrest export`` folder."""
    if (data_dir / HELDOUT).is_file():
        yield NAME, AcceptedSuite(NAME, data_dir / HELDOUT)
