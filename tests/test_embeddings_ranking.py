"""Semantic ranking reaches the prompt: the first request at a line gets the lexical order and
does not keep it; once the query's vector is known the next request's head has the blend, and
keeps it. A scripted embedding client stands in for the model here (the real one:
``test_embeddings_local.py``)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from goldcrest.config import Settings
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.tasks.completion_prompt import gather
from goldcrest.workspace.embed_clients import LocalEmbedClient, embed_client, embedding_model
from goldcrest.workspace.embeddings import Embedder
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex

# Lexically ``bill`` and ``tax`` are nearer the query (``items``, ``price_table``, ``total``)
# than ``invoice_sum`` (``items``); the scripted model says ``invoice_sum`` means the same as the
# query, and the others do not. Two similar chunks are shown (the default).
FILES = {
    "shop/bill.py": "def bill(items, price_table):\n"
    "    total = sum(price_table[item] for item in items)\n"
    "    return total\n",
    "shop/tax.py": "def tax(items, price_table, rate):\n"
    "    total = sum(price_table[item] for item in items)\n"
    "    return total * rate\n",
    "shop/invoice.py": "def invoice_sum(items, prices):\n"
    "    total = 0\n"
    "    for item in items:\n"
    "        total += prices[item]\n"
    "    return total\n",
}
CURRENT = (
    "def order_total(items, price_table):\n    # add up the items' prices\n    total = 0\n    \n"
)


class Scripted:
    """Vectors by meaning as a model would give them: query and ``invoice_sum`` alike."""

    def __init__(self) -> None:
        self.calls = 0

    async def embed(self, model: str = "", input=()):
        self.calls += 1
        return SimpleNamespace(
            embeddings=[[0.0, 1.0] if "price_table[item]" in text else [1.0, 0.0] for text in input]
        )


async def test_the_head_waits_for_the_query_vector_then_keeps_the_blend(tmp_path: Path):
    root = tmp_path / "proj"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    index = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    client = Scripted()
    index.embedder = Embedder(client, "scripted", index.vectors)
    await index.build()
    assert await index.embed_chunks() == 3
    path = root / "shop" / "order.py"
    doc = Document(path.as_uri(), language_for(None, str(path)), 1, CURRENT)

    def similar() -> set[str]:
        context = gather(doc, len(CURRENT) - 1, [doc], 2048, index)
        return {chunk.lines[0] for chunk in context.workspace if "similar" in chunk.lines[0]}

    lexical = {"similar code in shop/bill.py:", "similar code in shop/tax.py:"}
    blended = {"similar code in shop/bill.py:", "similar code in shop/invoice.py:"}
    assert similar() == lexical  # provisional: the query's vector is being computed
    assert client.calls == 1
    await index.embedder.settled()
    assert client.calls == 2
    assert similar() == blended  # the blend, and the head keeps it
    index.embedder.failed = True  # were the head gathered again, the lexical order would return
    assert similar() == blended
    await index.aclose()


async def test_the_local_provider_without_its_library_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    settings = Settings.model_validate(
        {"embeddings": {"enabled": True, "provider": "sentence-transformers"}}
    )
    client = embed_client(settings)
    assert isinstance(client, LocalEmbedClient) and client.model == "all-MiniLM-L6-v2"
    with pytest.raises(RuntimeError, match=r"goldcrest\[embeddings-local\]"):
        await client.embed(input=["x"])
    assert embedding_model(Settings().embeddings) == "nomic-embed-text"
