"""Completion on HumanEval infilling: pass@1 of the suggestion Goldcrest shows at the hole.

Variants, all through the same engine and model:
- ``goldcrest``: ``tasks.complete.complete`` on a document holding prompt + suffix, cursor at the
  hole — exactly what an inline-completion request runs.
- ``naive``: a one-line instruction and the code before the cursor as a plain completion prompt;
  no suffix, no context, no post-processing, no validation. (On Ollama models with native
  infilling the backend sends it as infilling with an empty suffix.)
- ``no-context``: ``goldcrest`` without the labelled facts (enclosing scope, definitions used,
  workspace index): what that context adds.
- ``fim-raw``: the model family's own FIM template with prefix and suffix, the raw output inserted
  as is, cut only at the model's stop tokens — what FIM-only completion servers do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...backends.base import GenerationRequest
from ...config import CompletionSettings
from ...context.scope import enclosing_block_range
from ...documents import Document, DocumentStore
from ...prompts import Family, family
from ...tasks.complete import TASK, complete
from ...tasks.confidence import confidence
from ...tasks.stopping import same_line
from ...tasks.typeahead import TypeAhead
from ...validate import check_splice
from ..data import FIM_FILES, FimProblem, load_fim
from ..models import ObservedEngine
from ..scoring import completion_passes, failure
from .base import BASELINE_TIMEOUT_S, FIM_RAW, GOLDCREST, NAIVE, NO_CONTEXT, Attempt, Score

NAIVE_INSTRUCTION = "Complete the code."
#: A plain completion prompt through the FIM interface: the whole prompt is the "prefix".
_PLAIN = "{prefix}"


def naive_request(
    prefix: str, comment: str, fam: Family, settings: CompletionSettings
) -> GenerationRequest:
    """The instruction, as a comment, then the code before the cursor; nothing else."""
    return GenerationRequest(
        prefix=f"{comment} {NAIVE_INSTRUCTION}\n{prefix}",
        suffix="",
        fim_template=_PLAIN,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        stop=fam.stop,
    )


def fim_raw_request(
    prefix: str, suffix: str, fam: Family, settings: CompletionSettings
) -> GenerationRequest:
    """The family's FIM prompt over the whole prefix and suffix, stopped by its stop tokens."""
    return GenerationRequest(
        prefix=prefix,
        suffix=suffix,
        fim_template=fam.fim,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        stop=fam.stop,
        logprobs=True,  # for its precision/answered curve: what a confidence cut would give
    )


def repeats_following(shown: str, prompt: str, suffix: str) -> bool:
    """Whether the shown text's last line repeats, at the same depth, the first line of code
    that follows the hole (the suggestion ran on into what is already there)."""
    inserted = prompt[prompt.rfind("\n") + 1 :] + shown  # its first line with the line's start
    lines = [line for line in inserted.split("\n") if line.strip()]
    whole = suffix.split("\n")[0 if prompt.endswith("\n") or not prompt else 1 :]
    following = next((line for line in whole if line.strip()), "")
    return bool(lines and following) and same_line(lines[-1], following)


def validates(doc: Document, offset: int, text: str | None) -> bool | None:
    """Whether inserting ``text`` at ``offset`` passes Goldcrest's validator; None for no text."""
    if text is None:
        return None
    if not text.strip():
        return False
    return check_splice(doc, offset, offset, text, enclosing_block_range(doc, offset)).ok


async def completion_unsupported(variant: str, engine: ObservedEngine) -> str | None:
    """Why a completion suite cannot run ``variant`` on this engine (fim-raw needs a FIM
    prompt), or None."""
    backend = await engine.baseline_backend(TASK)
    if backend is None:
        return "no backend"
    if variant == FIM_RAW and not await backend.supports_fim():
        return f"{backend.model} has no fill-in-the-middle prompt"
    return None


@dataclass
class CompletionSuite:
    name: str
    path: Path
    timeout_s: float
    variants: tuple[str, ...] = (GOLDCREST, NAIVE, FIM_RAW, NO_CONTEXT)
    needs: tuple[str, ...] = ()  # the tests are plain Python

    def items(self) -> tuple[FimProblem, ...]:
        return load_fim(self.path)

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        return await completion_unsupported(variant, engine)

    async def attempt(self, item: FimProblem, variant: str, engine: ObservedEngine) -> Attempt:
        store = DocumentStore()
        doc = self.document(store, item)
        offset = len(item.prompt)
        source, sure = None, None
        if variant in (GOLDCREST, NO_CONTEXT):
            settings = engine.settings.completion
            if variant == NO_CONTEXT:
                settings = settings.model_copy(update={"facts": False})
            suggestion = await complete(doc, offset, store, engine, TypeAhead(), settings=settings)
            if suggestion is not None:
                source, sure = (suggestion.backend, suggestion.model), suggestion.confidence
            shown = suggestion.text if suggestion is not None else None
            # With routing, the first tier's output is the raw one; later tiers were escalations.
            raw = engine.answers[0].text if engine.answers else None
        else:
            raw = await self._baseline(item, doc, variant, engine)
            shown = raw if raw is not None and raw.strip() else None
            if shown is not None and engine.answers:
                sure = confidence(shown, shown, engine.answers[-1].usage.logprobs)
        detail = ""
        if shown is None:
            detail = "no model answer" if raw is None else "withheld"
        raw_ok, shown_ok = validates(doc, offset, raw), validates(doc, offset, shown)
        return Attempt(shown, raw, raw_ok, shown_ok, detail, source, confidence=sure)

    def document(self, store: DocumentStore, item: FimProblem) -> Document:
        """The file the hole is in, opened in ``store``."""
        text = item.prompt + item.suffix
        return store.open(f"file:///eval/{item.entry_point}.py", "python", 1, text)

    async def _baseline(
        self, item: FimProblem, doc: Document, variant: str, engine: ObservedEngine
    ) -> str | None:
        backend = await engine.baseline_backend(TASK)
        if backend is None:
            return None
        fam, settings = family(backend.family), engine.settings.completion
        if variant == NAIVE:
            request = naive_request(item.prompt, doc.language.line_comment, fam, settings)
        else:
            request = fim_raw_request(item.prompt, item.suffix, fam, settings)
        timeout_s = max(settings.timeout_s, BASELINE_TIMEOUT_S)
        answer = await engine.generate(
            f"eval-{variant}", request, backend=backend, timeout_s=timeout_s
        )
        return None if answer is None else answer.text

    def score(self, item: FimProblem, attempt: Attempt) -> Score:
        if attempt.shown is None:
            return Score(False, attempt.detail)
        result = completion_passes(item, attempt.shown, self.timeout_s)
        repeats = repeats_following(attempt.shown, item.prompt, item.suffix)
        return Score(result.ok, failure(result), {"repeats_suffix": int(repeats)})


def completion_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, CompletionSuite]]:
    """completion-single, completion-multi and completion-span."""
    for kind, file in FIM_FILES.items():
        name = f"completion-{kind}"
        yield name, CompletionSuite(name, data_dir / "humaneval-infilling" / file, timeout_s)
