"""The Ollama backend: the default whenever an Ollama server answers.

It speaks to Ollama through the official client. Fill-in-the-middle goes to /api/generate with
``suffix`` when the model's Ollama template can infill (capability "insert") and the prompt
carries no workspace files, else as a raw prompt built from the family's FIM template; chat goes
to /api/chat. Thinking is always switched off: a completion cannot wait while a reasoning model
thinks. Every failure becomes a ``BackendError`` that tells the user what is wrong and what to
do, and closing the stream closes the HTTP response at once so Ollama stops generating.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import ollama

from ..config import OllamaSettings
from ..prompts import family as prompt_family
from ..prompts import family_for_model
from .base import Backend, BackendError, BackendStatus, GenerationRequest, Usage, fim_prompt

#: How long status() and the FIM probe may take: both run before a user sees anything.
PROBE_TIMEOUT_S = 1.5
#: After an inconclusive FIM probe, how long to go on with the family's guess before asking again.
FIM_REPROBE_S = 60.0


class _Cut(Exception):
    """The stream ended cleanly but without Ollama's final ``done`` line."""


#: What a failed call can raise through the ollama client (ValueError: malformed JSON).
_FAILURES = (
    _Cut,
    ollama.ResponseError,
    ollama.RequestError,
    httpx.HTTPError,
    ConnectionError,
    TimeoutError,
    ValueError,
)

_Part = ollama.GenerateResponse | ollama.ChatResponse


class OllamaBackend(Backend):
    """Generates through an Ollama server; one instance per settings and event loop."""

    name = "ollama"

    def __init__(self, settings: OllamaSettings, family: str | None = None) -> None:
        self.model = settings.model
        self.host = settings.host
        self.keep_alive = settings.keep_alive
        self.timeout_s = settings.timeout_s
        self.family = family or family_for_model(settings.model).name
        # A guess until /api/show answers: FIM families usually have an infilling template.
        self.native_fim = self._family_has_fim()
        self._fim_probed = False
        self._fim_probe_after = 0.0
        try:
            self._client = ollama.AsyncClient(host=settings.host, timeout=settings.timeout_s)
        except ValueError as exc:
            raise BackendError(
                f"Ollama host '{settings.host}' is not a valid address ({exc}). "
                "Fix ollama.host in the Goldcrest settings.",
                transient=False,
            ) from None

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        """Yield text as Ollama streams it; closing this generator drops the connection."""
        finished = False
        try:
            # aclosing: when this generator is closed or cancelled, the client's generator is
            # closed at once, which closes the httpx response and with it the socket.
            async with aclosing(await self._open(request)) as parts:
                async for part in parts:
                    if part.done:
                        finished = True
                        if usage is not None:
                            usage.prompt_tokens = part.prompt_eval_count or 0
                            usage.completion_tokens = part.eval_count or 0
                    # A chat model's `thinking` is dropped: only the answer is wanted.
                    chat = isinstance(part, ollama.ChatResponse)
                    text = part.message.content if chat else part.response
                    if usage is not None and part.logprobs:
                        usage.logprobs += [(p.token, p.logprob) for p in part.logprobs]
                    if text:
                        yield text
            if not finished:
                raise _Cut
        except _FAILURES as exc:
            problem, remedy, transient = self._describe(exc, self.timeout_s)
            raise BackendError(f"{problem} {remedy}", transient=transient) from exc

    async def _open(self, request: GenerationRequest) -> AsyncGenerator[_Part, None]:
        """Start the streaming call that fits the request."""
        common: dict[str, Any] = {
            "stream": True,
            "options": _options(request),
            "keep_alive": self.keep_alive,
            "think": False,
            "format": request.json_schema,
        }
        if request.logprobs:  # servers before 0.12.11 ignore it: no confidence, nothing breaks
            common["logprobs"] = True
        if not request.is_fim:
            messages = [{"role": m.role, "content": m.content} for m in request.messages]
            return await self._client.chat(self.model, messages=messages, **common)
        await self.supports_fim()
        if (self.native_fim and not request.fim_context) or not request.fim_template:
            # An empty suffix makes Ollama use the chat template instead of infilling.
            suffix = request.suffix or "\n"
            prompt = (request.prefix or "") + request.middle  # its template splits at the cursor
            return await self._client.generate(self.model, prompt=prompt, suffix=suffix, **common)
        prompt = fim_prompt(request)  # Ollama's template has no place for the context
        return await self._client.generate(self.model, prompt=prompt, raw=True, **common)

    async def status(self) -> BackendStatus:
        """Ask /api/tags, briefly, whether Ollama answers and has the model pulled."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                listing = await self._client.list()
        except _FAILURES as exc:
            detail, remedy, _ = self._describe(exc, PROBE_TIMEOUT_S)
            return BackendStatus(self.name, False, self.model, detail, remedy)
        if _full_tag(self.model) not in {_full_tag(m.model or "") for m in listing.models}:
            return BackendStatus(
                self.name,
                False,
                self.model,
                f"Ollama is running at {self.host} but model {self.model} is not pulled.",
                f"Run `ollama pull {self.model}`.",
            )
        return BackendStatus(
            self.name, True, self.model, f"Ollama at {self.host} has {self.model}."
        )

    async def supports_fim(self) -> bool:
        """Native infilling when /api/show lists "insert", else through the family's template."""
        if not self._fim_probed and time.monotonic() >= self._fim_probe_after:
            capabilities = await self._capabilities()
            if capabilities is not None:
                self.native_fim = "insert" in capabilities
                self._fim_probed = True
            else:  # unknown for now: use the family's guess, and don't ask on every keystroke
                self._fim_probe_after = time.monotonic() + FIM_REPROBE_S
        return self.native_fim or self._family_has_fim()

    async def _capabilities(self) -> list[str] | None:
        """The model's capabilities; None when unknown now (ask again later) or never listed."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                shown = await self._client.show(self.model)
        except _FAILURES:
            return None
        if shown.capabilities is None:
            # Ollama before 0.6 does not list capabilities: the family guess is all there is.
            self._fim_probed = True
        return shown.capabilities

    async def aclose(self) -> None:
        await self._client.close()

    def _family_has_fim(self) -> bool:
        return prompt_family(self.family).fim is not None

    def _describe(self, exc: BaseException, timeout_s: float) -> tuple[str, str, bool]:
        """(what is wrong, how to fix it, whether retrying may help) for a failed call."""
        host, model = self.host, self.model
        if isinstance(exc, httpx.ConnectError | ConnectionError):
            return (
                f"Ollama is not running at {host}.",
                "Start it with `ollama serve`, or set goldcrest backend to 'embedded'.",
                False,
            )
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return (
                f"Ollama at {host} did not answer within {timeout_s:g} s.",
                "The model may still be loading or be too big for this machine: try again, "
                "raise ollama.timeout_s, or choose a smaller model.",
                True,
            )
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404:
                return f"Model {model} is not pulled.", f"Run `ollama pull {model}`.", False
            if exc.status_code == -1:
                return (
                    f"Ollama failed while generating: {exc.error}.",
                    "Check the Ollama server log, then try again.",
                    True,
                )
            if exc.status_code >= 500:
                return (
                    f"Ollama failed with HTTP {exc.status_code}: {exc.error}.",
                    f"Check the Ollama server log; `ollama run {model}` shows the error directly.",
                    True,
                )
            return (
                f"Ollama rejected the request for {model} (HTTP {exc.status_code}): {exc.error}.",
                "Update Ollama, or choose a model that supports this kind of request.",
                False,
            )
        if isinstance(exc, _Cut | httpx.RemoteProtocolError | httpx.ReadError):
            return (
                f"Ollama at {host} stopped in the middle of an answer.",
                "It may have crashed or run out of memory: check the Ollama server log, "
                "then try again.",
                True,
            )
        if isinstance(exc, ValueError):
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return (
                f"Ollama at {host} sent a malformed answer ({first_line}).",
                "Check that ollama.host points at an Ollama server, and update Ollama.",
                True,
            )
        return f"Could not talk to Ollama at {host}: {exc}.", "Check ollama.host.", True


def _options(request: GenerationRequest) -> dict[str, Any]:
    """Ollama's sampling options for a request."""
    options: dict[str, Any] = {
        "temperature": request.temperature,
        "num_predict": request.max_tokens,
    }
    if request.stop:
        options["stop"] = list(request.stop)
    if request.seed is not None:
        options["seed"] = request.seed
    return options


def _full_tag(name: str) -> str:
    """``name`` with Ollama's implicit ``:latest``; a registry port is not a tag."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
