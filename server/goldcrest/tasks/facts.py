"""FACTS blocks: what the code at hand uses from elsewhere, so the model need not guess it."""

from __future__ import annotations

from collections.abc import Iterable

from ..context.scope import used_definitions
from ..documents import Document
from ..prompts import load
from ..workspace.retrieval import Retrieved, Retriever, as_facts, describe

MAX_FACTS = 8
WORKSPACE_CHARS = 1200  # room for definitions found in the rest of the workspace


def facts_block(
    doc: Document,
    offset: int,
    documents: Iterable[Document],
    retriever: Retriever | None = None,
) -> str:
    """Signatures (and first docstring lines) of definitions used near ``offset``, from the open
    documents and, through ``retriever``, from the rest of the workspace; "" if none."""
    documents = list(documents)
    used = used_definitions(doc, offset, documents, limit=MAX_FACTS)
    lines = [describe(d.uri.rsplit("/", 1)[-1], d) for d in used]
    if retriever is not None:
        line = doc.position_at(offset)[0]
        found = retriever.retrieve(doc, offset, documents, (line, line))
        lines += as_facts(Retrieved(definitions=found.definitions), WORKSPACE_CHARS, used)
    if not lines:
        return ""
    lines = [f"- {line}" for line in lines]
    return load("facts")["header"] + "\n" + "\n".join(lines) + "\n\n"
