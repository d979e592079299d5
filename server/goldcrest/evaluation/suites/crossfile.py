"""Cross-file completion on real projects: what the workspace index is worth.

Two suites per project, ``crossfile/<project>/cross`` and ``crossfile/<project>/in-file`` (see
``crossfile_items`` for the labels), scored by exact match of the line (the table's pass@1),
with edit similarity and identifier F1 in the notes. The project is copied to a temporary
folder and indexed once; for each attempt the current file on disk is the cut one, as it would
be while the user types, so no index entry holds the answer. Variants, one engine and model:

- ``goldcrest``: ``tasks.complete.complete`` with the workspace index as retriever;
- ``goldcrest+<tuning>``: the same with other retrieval options (``TUNINGS``);
- ``goldcrest+embeddings``: the same with similar code ranked by ``[embeddings]``'s model too;
- ``no-context``: no facts at all (no index, no in-file facts);
- ``open-tabs``: Goldcrest's prompt whose workspace facts come from the open tabs' text instead
  of the index (``open_tabs``), the same share of the budget;
- ``fim-raw``: the family's FIM prompt on the same prefix and suffix windows, raw output.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ...config import CompletionSettings
from ...context.symbols import Definition
from ...documents import Document, DocumentStore
from ...languages import language_for
from ...prompts import family
from ...tasks.complete import TASK, complete
from ...tasks.completion_prompt import CHARS_PER_TOKEN, gather
from ...tasks.typeahead import TypeAhead
from ...tasks.windows import prefix_window, suffix_window
from ...workspace.embed_clients import embed_client, embedding_model
from ...workspace.embeddings import Embedder
from ...workspace.indexer import IndexOptions, WorkspaceIndex
from ...workspace.near import near_facts
from ...workspace.offer import Offered
from ...workspace.offered import offered
from ...workspace.retrieval import RetrievalOptions, Retrieved, Retriever, retrieve
from ..crossfile_items import CROSS, EXTENSIONS, IN_FILE, CrossfileItem, build_items
from ..crossfile_score import score_line
from ..models import ObservedEngine
from ..open_tabs import OpenTabs, open_tabs
from ..sources import PINNED, Source, fetch
from .base import BASELINE_TIMEOUT_S, FIM_RAW, GOLDCREST, NO_CONTEXT, Attempt, Score
from .completion import completion_unsupported, fim_raw_request, validates

OPEN_TABS = "open-tabs"
#: Whether the head facts come from the start of the hole's line, as while typing (``_prime``).
PRIMED = os.environ.get("GOLDCREST_EVAL_FRESH_FACTS") != "1"
CROSS_ITEMS, IN_FILE_ITEMS = 40, 20
#: Retrieval options measured against the defaults (README, "Evaluation").
TUNINGS = {
    "defs-4": RetrievalOptions(max_definitions=4),
    "cursor-first": RetrievalOptions(cursor_first=True),
    "no-module-members": RetrievalOptions(module_members=False),
    "no-imported": RetrievalOptions(imported=False),
    "snippets-0": RetrievalOptions(snippets=0),
    "lean-head": RetrievalOptions(max_definitions=4, snippets=0),
    "no-members": RetrievalOptions(class_members=False),
    "no-near-def": RetrievalOptions(near_definition=False),
    "members-at-cursor": RetrievalOptions(members_at_cursor=True),
    "no-member-check": RetrievalOptions(member_check=False),
    "no-growth-check": RetrievalOptions(growth_check=False),
    "no-arity-check": RetrievalOptions(arity_check=False),
    "no-usages": RetrievalOptions(near_usages=0),
    "no-unused": RetrievalOptions(near_unused=0),
    "usages-any-names": RetrievalOptions(usages_any_names=True),
}
#: Completion settings measured against the defaults, the same way.
SETTING_TUNINGS = {
    "repo-prompt": {"repo_prompt": True},
    "facts-512": {"facts_tokens": 512},
}
#: The variant with semantic ranking by the model ``[embeddings]`` names (enabled or not).
EMBEDDINGS = f"{GOLDCREST}+embeddings"
_EVAL_DATA = ("humaneval-infilling", "quixbugs")  # a folder with these is eval data, not a project


class _Tuned:
    """The index with given retrieval options; a new one per attempt, so the completion's
    per-document fact cache never carries one item's facts to the next."""

    def __init__(self, ws: WorkspaceIndex, options: RetrievalOptions) -> None:
        self.ws, self.options = ws, options

    def retrieve(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> Retrieved:
        return retrieve(self.ws, doc, offset, open_docs, visible_lines, self.options)

    def near(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> tuple[str, ...]:
        return near_facts(self.ws, doc, offset, open_docs, visible_lines, self.options)

    def offered(self, doc: Document, offset: int, open_docs: Iterable[Document]) -> Offered | None:
        return offered(self.ws, doc, offset, open_docs) if self.options.member_check else None

    def knows(self, name: str) -> bool | None:
        return self.ws.index.mentions(name) > 0 if self.options.growth_check else None

    def defines(self, name: str) -> list[Definition] | None:
        return self.ws.index.definitions(name) if self.options.arity_check else None


def _prime(
    item: CrossfileItem, doc: Document, retriever: Retriever, settings: CompletionSettings
) -> None:
    """Gather the prompt's head as the server did when the user began the hole's line: it keeps
    those facts while the line is typed (``tasks.completion_prompt.gather``), so a retrieval made
    afresh at the cursor would measure what the editor does not show. Like ``complete``, it
    reads the request's copy of the document around the cursor (``Document.around``): a bug
    in that copy (its head losing the imports, session 26) shows in the eval too."""
    start = item.prefix.rfind("\n") + 1
    early = Document(doc.uri, doc.language, 0, item.prefix[:start] + item.suffix)
    view = early.around(start)
    gather(
        view,
        start,
        [early],
        settings.context_tokens,
        retriever,
        settings.facts,
        facts_tokens=settings.facts_tokens,
    )


class Project:
    """A project's items (built once) and its workspace index over a temporary copy."""

    def __init__(self, name: str, language: str, locate: Callable[[], Path]) -> None:
        self.name, self.language = name, language
        self._locate = locate  # the project's folder, fetched if need be
        self._items: list[CrossfileItem] | None = None
        self._root: Path | None = None
        self._copy: Path | None = None
        self._ws: WorkspaceIndex | None = None
        self._embedder: Embedder | None = None
        self._lock = asyncio.Lock()

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = self._locate()
        return self._root

    def items(self, label: str) -> list[CrossfileItem]:
        if self._items is None:
            self._items = build_items(self.root, self.language, 0, CROSS_ITEMS, IN_FILE_ITEMS)
        return [i for i in self._items if i.label == label]

    async def workspace(self) -> tuple[WorkspaceIndex, Path]:
        """The index over a temporary copy of the project, built on first use."""
        async with self._lock:
            if self._ws is None or self._copy is None:
                tmp = Path(tempfile.mkdtemp(prefix=f"goldcrest-crossfile-{self.name}-"))
                self._copy = tmp / "project"
                shutil.copytree(self.root, self._copy)
                self._ws = WorkspaceIndex([self._copy], tmp / "index.sqlite", IndexOptions())
                await self._ws.build()
            return self._ws, self._copy

    async def aclose(self) -> None:
        """Close the index and remove the temporary copy: a run must not leave copies of the
        user's project behind."""
        async with self._lock:
            if self._ws is not None:
                await self._ws.aclose()
            if self._copy is not None:
                shutil.rmtree(self._copy.parent, ignore_errors=True)
            self._ws = self._copy = self._embedder = None

    async def embedder(self, engine: ObservedEngine) -> Embedder:
        """The ``[embeddings]`` model over the index's chunks, embedded on first use;
        ``failed`` when the model cannot be had."""
        ws, _ = await self.workspace()
        async with self._lock:
            if self._embedder is None:
                section = engine.settings.embeddings
                self._embedder = Embedder(
                    embed_client(engine.settings), embedding_model(section), ws.vectors
                )
                ws.embedder = self._embedder
                try:
                    await ws.embed_chunks()
                finally:
                    ws.embedder = None
            return self._embedder


@dataclass
class CrossfileSuite:
    name: str
    project: Project
    label: str
    variants: tuple[str, ...] = field(
        default=(
            GOLDCREST,
            NO_CONTEXT,
            OPEN_TABS,
            FIM_RAW,
            *(f"{GOLDCREST}+{t}" for t in (*TUNINGS, *SETTING_TUNINGS)),
            EMBEDDINGS,
        )
    )
    needs: tuple[str, ...] = ()  # scored in process (rapidfuzz), no tests to run

    def items(self) -> list[CrossfileItem]:
        return self.project.items(self.label)

    async def aclose(self) -> None:
        """The project's (shared with its other suite; closing twice is harmless)."""
        await self.project.aclose()

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        if (reason := await completion_unsupported(variant, engine)) is not None:
            return reason
        await self.project.workspace()  # the index is built before the clock runs
        if variant == EMBEDDINGS and (await self.project.embedder(engine)).failed:
            return "the [embeddings] model could not be had (see the log)"
        return None

    async def attempt(self, item: CrossfileItem, variant: str, engine: ObservedEngine) -> Attempt:
        ws, copy = await self.project.workspace()
        path = copy / item.path
        original = path.read_text(encoding="utf-8", errors="replace")
        path.write_text(item.text, encoding="utf-8")  # the file as it is while being typed
        await ws.update([path.as_posix()])
        if variant == EMBEDDINGS:
            ws.embedder = await self.project.embedder(engine)
            await ws.embed_chunks()  # the cut file's chunks, as the server embeds after a save
        try:
            return await self._attempt(item, variant, engine, ws, copy)
        finally:
            ws.embedder = None
            path.write_text(original, encoding="utf-8")
            await ws.update([path.as_posix()])

    async def _attempt(
        self,
        item: CrossfileItem,
        variant: str,
        engine: ObservedEngine,
        ws: WorkspaceIndex,
        copy: Path,
    ) -> Attempt:
        path = copy / item.path
        store = DocumentStore()
        doc = store.open(path.as_uri(), language_for(None, path.name).id, 1, item.text)
        offset = len(item.prefix)
        settings = engine.settings.completion
        source, sure = None, None
        if variant == FIM_RAW:
            raw = await self._fim_raw(item, doc, engine)
            shown = raw if raw is not None and raw.strip() else None
        else:
            retriever: Retriever = _Tuned(ws, RetrievalOptions())
            if variant == NO_CONTEXT:
                settings = settings.model_copy(update={"facts": False})
            elif variant == OPEN_TABS:
                tabs = [Path(t) for t in open_tabs(ws.index, doc)]
                retriever = OpenTabs(
                    [
                        (t.relative_to(copy).as_posix(), t.read_text("utf-8", "replace"))
                        for t in tabs
                    ]
                )
            elif (tuning := variant.removeprefix(f"{GOLDCREST}+")) in SETTING_TUNINGS:
                settings = settings.model_copy(update=SETTING_TUNINGS[tuning])
            elif variant.startswith(f"{GOLDCREST}+") and variant != EMBEDDINGS:
                retriever = _Tuned(ws, TUNINGS[tuning])
            if PRIMED:
                _prime(item, doc, retriever, settings)
            if ws.embedder is not None:
                # The line's first request asked for the query's vector (the query leaves the
                # line out, so it is the same all along the line); the user's next keystroke,
                # once it is known, gathers the head again: provisional facts are not kept.
                if not PRIMED:
                    gather(
                        doc,
                        offset,
                        [doc],
                        settings.context_tokens,
                        retriever,
                        facts_tokens=settings.facts_tokens,
                    )
                await ws.embedder.settled()
                if PRIMED:
                    _prime(item, doc, retriever, settings)
            suggestion = await complete(
                doc, offset, store, engine, TypeAhead(), retriever, settings
            )
            if suggestion is not None:
                source, sure = (suggestion.backend, suggestion.model), suggestion.confidence
            shown = suggestion.text if suggestion is not None else None
            raw = engine.answers[0].text if engine.answers else None
        detail = "" if shown is not None else ("no model answer" if raw is None else "withheld")
        raw_ok, shown_ok = validates(doc, offset, raw), validates(doc, offset, shown)
        return Attempt(shown, raw, raw_ok, shown_ok, detail, source, confidence=sure)

    async def _fim_raw(
        self, item: CrossfileItem, doc: Document, engine: ObservedEngine
    ) -> str | None:
        backend = await engine.baseline_backend(TASK)
        if backend is None:
            return None
        fam, settings = family(backend.family), engine.settings.completion
        budget = int(settings.context_tokens * CHARS_PER_TOKEN)
        text, offset = item.text, len(item.prefix)
        prefix = prefix_window(text, offset, budget - budget // 10, doc.language.line_comment)
        suffix = suffix_window(text, offset, budget // 10)
        request = fim_raw_request(prefix, suffix, fam, settings)
        timeout_s = max(settings.timeout_s, BASELINE_TIMEOUT_S)
        answer = await engine.generate(
            f"eval-{FIM_RAW}", request, backend=backend, timeout_s=timeout_s
        )
        return None if answer is None else answer.text

    def score(self, item: CrossfileItem, attempt: Attempt) -> Score:
        result = score_line(item.reference, attempt.shown, self.project.language)
        tallies = {
            "edit_sim_milli": round(1000 * result.edit_similarity),
            "id_f1_milli": round(1000 * result.identifier_f1),
        }
        detail = "" if result.exact else (attempt.detail or "differs")
        return Score(result.exact, detail, tallies)


def _language_of(folder: Path) -> str | None:
    """The language most of the folder's source files are in; None when it has none."""
    counts = {
        language: sum(1 for s in suffixes for _ in folder.rglob(f"*{s}"))
        for language, suffixes in EXTENSIONS.items()
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _suites(project: Project) -> Iterator[tuple[str, CrossfileSuite]]:
    for label in (CROSS, IN_FILE):
        name = f"crossfile/{project.name}/{label}"
        yield name, CrossfileSuite(name, project, label)


def crossfile_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, CrossfileSuite]]:
    """The pinned projects' suites; or, when ``--data`` is a project of the user's, its own."""
    del timeout_s  # nothing runs: the scores are computed from the text
    own = data_dir.is_dir() and not any((data_dir / d).exists() for d in _EVAL_DATA)
    language = _language_of(data_dir) if own else None
    if language is not None:
        yield from _suites(Project(data_dir.name, language, lambda: data_dir))
        return
    for source in PINNED:
        yield from _suites(Project(source.name, source.language, _locator(source)))


def _locator(source: Source) -> Callable[[], Path]:
    return lambda: fetch(source)
