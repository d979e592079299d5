"""FACTS blocks: what the code at hand uses from elsewhere, so the model need not guess it."""

from __future__ import annotations

from collections.abc import Iterable

from ..context.scope import used_definitions
from ..documents import Document
from ..prompts import load

MAX_FACTS = 8


def facts_block(doc: Document, offset: int, documents: Iterable[Document]) -> str:
    """Signatures (and first docstring lines) of definitions used near ``offset``; "" if none."""
    lines = []
    for definition in used_definitions(doc, offset, documents, limit=MAX_FACTS):
        where = definition.uri.rsplit("/", 1)[-1]
        note = f"  # {definition.docstring}" if definition.docstring else ""
        lines.append(f"- {where}: {definition.signature}{note}")
    if not lines:
        return ""
    return load("facts")["header"] + "\n" + "\n".join(lines) + "\n\n"
