"""Optional semantic ranking with an embedding model (Ollama's, or one in process:
``embed_clients``).

Off by default, never required. Chunks are embedded in the background after indexing; their
vectors live beside the chunks in the index's SQLite file, keyed by the chunk's content hash so
unchanged code is never embedded twice. No separate vector store: retrieval only re-ranks the
few dozen candidates lexical search found, which needs no nearest-neighbour index, and one
file keeps chunks and vectors consistent. The query's vector is computed in the background as
well: the request path never waits for the model, so the first request at a new line gets
lexical ranking, marked provisional so that the prompt does not keep it, and the following
ones (the user typing on) the blend.
"""

from __future__ import annotations

import asyncio
import logging
import math
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

SEMANTIC_WEIGHT = 0.5
_QUERY_CACHE = 64


class EmbedClient(Protocol):
    async def embed(self, model: str = "", input: str | Sequence[str] = "") -> object: ...


def pack(vector: Sequence[float]) -> bytes:
    return array("f", vector).tobytes()


def unpack(data: bytes) -> array[float]:
    vector = array("f")
    vector.frombytes(data)
    return vector


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class Embedder:
    """Embeds texts with one model and blends cosine similarity into lexical scores."""

    def __init__(
        self,
        client: EmbedClient,
        model: str,
        vectors: Callable[[Sequence[int]], dict[int, bytes]],
    ) -> None:
        self.model = model
        self._client = client
        self._vectors = vectors
        self._queries: OrderedDict[str, array[float]] = OrderedDict()
        self._pending: dict[str, asyncio.Task[None]] = {}
        self.failed = False

    async def embed(self, texts: Sequence[str]) -> list[bytes]:
        """Packed vectors of ``texts``; raises when the model cannot be reached."""
        response = await self._client.embed(model=self.model, input=list(texts))
        return [pack(v) for v in response.embeddings]  # type: ignore[attr-defined]

    async def _embed_query(self, text: str) -> None:
        try:
            (vector,) = await self.embed([text])
        except Exception as exc:  # the model is optional: note it once and carry on lexical
            if not self.failed:
                log.warning("embedding model %s unavailable: %s", self.model, exc)
            self.failed = True
            return
        finally:
            self._pending.pop(text, None)
        self._queries[text] = unpack(vector)
        while len(self._queries) > _QUERY_CACHE:
            self._queries.popitem(last=False)

    async def settled(self) -> None:
        """Wait for the query vectors being computed (the eval's stand-in for a user's pause)."""
        await asyncio.gather(*self._pending.values())

    def rerank(self, query: str, scored: list[tuple[float, int]]) -> list[tuple[float, int]] | None:
        """``scored`` re-ordered by a blend of lexical score and cosine similarity, when the
        query's vector is known; otherwise None, and the vector is asked for."""
        vector = self._queries.get(query)
        if vector is None:
            if self.failed:
                return scored
            if query not in self._pending:
                self._pending[query] = asyncio.get_running_loop().create_task(
                    self._embed_query(query)
                )
            return None
        self._queries.move_to_end(query)
        stored = self._vectors([chunk_id for _, chunk_id in scored])
        top = max(score for score, _ in scored) or 1.0
        blended = []
        for score, chunk_id in scored:
            data = stored.get(chunk_id)
            semantic = cosine(vector, unpack(data)) if data else 0.0
            blended.append(
                ((1 - SEMANTIC_WEIGHT) * score / top + SEMANTIC_WEIGHT * semantic, chunk_id)
            )
        blended.sort(reverse=True)
        return blended
