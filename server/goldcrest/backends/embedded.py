"""The embedded backend: a GGUF model run in-process by llama.cpp (llama-cpp-python).

It is what makes Goldcrest useful on a machine with nothing else installed. llama.cpp is not
thread-safe and its calls block, so every call runs on one dedicated worker thread, one token per
hop: cancelling the awaiting task stops generation at the next token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..config import EmbeddedSettings
from ..prompts import family_for_model
from .base import Backend, BackendError, BackendStatus, GenerationRequest, Usage
from .model_files import (
    INSTALL_HINT,
    MODEL_FAMILY,
    MODEL_NAME,
    ModelFileError,
    ensure_default_model,
)

_DONE = object()


def _llama_available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


class EmbeddedBackend(Backend):
    """A llama.cpp model loaded on first use and kept for the life of the server."""

    name = "embedded"
    in_process = True

    def __init__(self, settings: EmbeddedSettings, models_dir: Path) -> None:
        self._settings = settings
        self._models_dir = models_dir
        self._llama: Any = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="goldcrest-llama")
        self._load_lock = asyncio.Lock()
        if settings.model_path:
            self.model = Path(settings.model_path).name
            self.family = settings.family or family_for_model(self.model).name
        else:
            self.model = MODEL_NAME
            self.family = settings.family or MODEL_FAMILY

    async def supports_fim(self) -> bool:
        from ..prompts import family

        return family(self.family).fim is not None

    def _model_path(self) -> Path:
        if self._settings.model_path:
            path = Path(self._settings.model_path).expanduser()
            if not path.is_file():
                raise ModelFileError(f"The configured model file {path} does not exist.")
            return path
        return ensure_default_model(self._models_dir)

    def _load_blocking(self) -> Any:
        from llama_cpp import Llama

        return Llama(
            model_path=str(self._model_path()),
            n_ctx=self._settings.n_ctx,
            n_threads=self._settings.n_threads or os.cpu_count() or 2,
            verbose=False,
        )

    async def warm_up(self) -> None:
        await self.load()

    async def load(self) -> Any:
        """Load the model once (about 4 s for the default); later calls return it at once."""
        async with self._load_lock:
            if self._llama is None:
                if not _llama_available():
                    raise BackendError(
                        f"The embedded engine is not installed. Run: {INSTALL_HINT}",
                        transient=False,
                    )
                loop = asyncio.get_running_loop()
                try:
                    self._llama = await loop.run_in_executor(self._worker, self._load_blocking)
                except ModelFileError as exc:
                    raise BackendError(str(exc), transient=False) from None
                except (ValueError, RuntimeError, OSError) as exc:
                    raise BackendError(
                        f"The embedded model could not be loaded: {exc}", transient=False
                    ) from None
            return self._llama

    def _start(self, llama: Any, request: GenerationRequest, usage: Usage | None) -> Iterator[str]:
        """Begin a lazy llama.cpp stream (runs on the worker thread); yields text pieces."""
        common: dict[str, Any] = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop) or None,
            "stream": True,
        }
        if request.seed is not None:
            common["seed"] = request.seed
        if request.is_fim:
            if not request.fim_template:
                raise BackendError(f"Model family '{self.family}' has no FIM template.")
            from ..prompts import fill

            prompt = fill(
                request.fim_template, prefix=request.prefix or "", suffix=request.suffix or ""
            )
            if usage is not None:
                usage.prompt_tokens = len(llama.tokenize(prompt.encode(), special=True))
            chunks = llama.create_completion(prompt=prompt, **common)
            return (c["choices"][0].get("text") or "" for c in chunks)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.json_schema is not None:
            common["response_format"] = {"type": "json_object", "schema": request.json_schema}
        chunks = llama.create_chat_completion(messages=messages, **common)
        return (c["choices"][0]["delta"].get("content") or "" for c in chunks)

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        llama = await self.load()
        loop = asyncio.get_running_loop()
        pieces = await loop.run_in_executor(self._worker, self._start, llama, request, usage)
        try:
            while True:
                piece = await loop.run_in_executor(self._worker, next, pieces, _DONE)
                if piece is _DONE:
                    if usage is not None and not usage.prompt_tokens:
                        # chat streams report no usage: the context holds prompt + answer
                        usage.prompt_tokens = max(0, llama.n_tokens - usage.completion_tokens)
                    return
                if piece:  # (chat streams also send an empty role chunk and a closing one)
                    if usage is not None:
                        usage.completion_tokens += 1
                    yield piece
        finally:
            # Closing the generator on the worker thread ends llama.cpp's loop: no more tokens.
            await asyncio.shield(loop.run_in_executor(self._worker, pieces.close))

    async def status(self) -> BackendStatus:
        if not _llama_available():
            return BackendStatus(
                self.name,
                False,
                self.model,
                "llama-cpp-python is not installed",
                INSTALL_HINT,
            )
        try:
            path = await asyncio.get_running_loop().run_in_executor(None, self._model_path)
        except ModelFileError as exc:
            return BackendStatus(self.name, False, self.model, str(exc), INSTALL_HINT)
        return BackendStatus(self.name, True, self.model, f"model file {path}")

    async def aclose(self) -> None:
        self._llama = None
        self._worker.shutdown(wait=False, cancel_futures=True)
