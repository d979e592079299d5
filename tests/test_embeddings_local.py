"""The in-process embedding provider with the real all-MiniLM-L6-v2
(``goldcrest[embeddings-local]``, which the README's test command does not install:
``.ci/run`` installs it after the main run and runs this file again, so these tests run in CI
rather than counting as skipped)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from goldcrest.config import Settings
from goldcrest.workspace.embed_clients import LocalEmbedClient, embed_client, local_model_path
from goldcrest.workspace.embeddings import Embedder
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex

pytest.importorskip("sentence_transformers", reason="goldcrest[embeddings-local] not installed")
pytestmark = pytest.mark.model


def test_the_bundled_model_is_read_from_site_packages():
    folder = Path(local_model_path("all-MiniLM-L6-v2"))
    assert (folder / "model.safetensors").is_file()
    assert local_model_path("/elsewhere/model") == "/elsewhere/model"


async def test_real_vectors_rank_code_by_meaning():
    client = LocalEmbedClient("all-MiniLM-L6-v2")
    query, near, far = (
        await client.embed(
            input=[
                "sort the numbers in ascending order",
                "def merge_sorted_lists(left, right): merged = []",
                "def open_socket(host, port): return socket.create_connection",
            ]
        )
    ).embeddings
    assert len(query) == 384
    assert math.isclose(sum(x * x for x in query), 1.0, rel_tol=1e-3)

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert dot(query, near) > dot(query, far) + 0.1


async def test_the_index_reranks_with_the_configured_local_provider(tmp_path: Path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "net.py").write_text(
        "def connect(host, port):\n    return socket.create_connection((host, port))\n"
    )
    (root / "order.py").write_text("def arrange(values):\n    return sorted(values, key=abs)\n")
    settings = Settings.model_validate(
        {"embeddings": {"enabled": True, "provider": "sentence-transformers"}}
    )
    index = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    index.embedder = Embedder(embed_client(settings), "all-MiniLM-L6-v2", index.vectors)
    await index.build()
    assert await index.embed_chunks() == 2
    scored = [(1.0, cid) for cid in sorted(index.index._chunks)]
    assert index.embedder.rerank("sort the numbers by size", scored) is None
    await index.embedder.settled()
    best = index.embedder.rerank("sort the numbers by size", scored)
    assert best is not None and index.index.chunk(best[0][1]).name == "arrange"
    await index.aclose()
