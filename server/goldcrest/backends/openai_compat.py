"""The OpenAI-compatible backend: OpenAI itself, vLLM, a llama.cpp server, LM Studio, a LiteLLM
proxy or a team's GPU box, through the official ``openai`` SDK with a configurable base URL.

Chat goes to /v1/chat/completions (structured output as ``response_format`` JSON schema); FIM
goes to /v1/completions with the family's raw template, only when the tier says the server takes
raw prompts (hosted chat models do not). The SDK's own retries are off: the engine decides what
a failure means. Closing the stream closes the HTTP response, so the server stops generating.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import openai

from .base import Backend, BackendError, BackendStatus, GenerationRequest, Usage, fim_prompt
from .sdk_errors import describe, transient

#: How long status() may take: it runs before a user sees anything.
PROBE_TIMEOUT_S = 1.5
DEFAULT_URL = "https://api.openai.com/v1"


class OpenAICompatBackend(Backend):
    """Generates through any server that speaks the OpenAI API."""

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        family: str = "",
        fim: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self.model = model
        self.family = family
        self.base_url = base_url or DEFAULT_URL
        self._fim = fim
        self._schema_style = "json_schema"  # or "json_object" for servers that only know that
        self._logprobs = True  # until the server refuses them
        # Servers without auth (llama.cpp, vLLM) accept any key; the SDK insists on one.
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "unused",
            base_url=self.base_url,
            timeout=timeout_s,
            max_retries=0,
        )

    async def supports_fim(self) -> bool:
        return self._fim

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        """Yield text as the server streams it; closing this generator drops the connection."""
        try:
            if request.logprobs and not self._logprobs:
                request = replace(request, logprobs=False)
            try:
                chunks = await self._open(request)
            except openai.APIStatusError as exc:
                if not request.logprobs or "logprob" not in str(exc).lower():
                    raise
                # a server that cannot score tokens (llama-cpp-python's without logits_all)
                # is asked again without, and from now on
                self._logprobs = False
                request = replace(request, logprobs=False)
                chunks = await self._open(request)
            try:
                async for chunk in chunks:
                    if chunk.usage is not None and usage is not None:
                        usage.prompt_tokens = chunk.usage.prompt_tokens or 0
                        usage.completion_tokens = chunk.usage.completion_tokens or 0
                    if chunk.choices:
                        choice = chunk.choices[0]
                        text = choice.text if request.is_fim else choice.delta.content
                        if usage is not None and choice.logprobs is not None:
                            usage.logprobs += _token_logprobs(choice.logprobs)
                        if text:
                            yield text
            finally:
                await chunks.close()
        except openai.OpenAIError as exc:
            raise BackendError(self._describe(exc), transient=transient(openai, exc)) from exc

    async def _open(self, request: GenerationRequest) -> Any:
        """Start the streamed call that fits the request: raw FIM completion or chat."""
        if not request.is_fim:
            return await self._chat(request)
        if not (self._fim and request.fim_template):
            raise BackendError(
                f"{self.model} at {self.base_url} is not set up for fill-in-the-middle.",
                transient=False,
            )
        prompt = fim_prompt(request)
        return await self._client.completions.create(
            model=self.model, prompt=prompt, **_common(request)
        )

    async def _chat(self, request: GenerationRequest) -> Any:
        """Start a streamed chat; a server that refuses the standard ``json_schema`` response
        format (llama-cpp-python's server takes only ``json_object`` with a ``schema``) is asked
        again the way it understands, and remembered."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        try:
            return await self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                **_common(request),
                **_response_format(request, self._schema_style),
            )
        except openai.APIStatusError as exc:  # 400/422, or 500 from llama-cpp-python's server
            if request.json_schema is None or self._schema_style != "json_schema":
                raise
            if "response_format" not in str(exc) and "json_schema" not in str(exc):
                raise
            self._schema_style = "json_object"
            return await self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                **_common(request),
                **_response_format(request, self._schema_style),
            )

    async def status(self) -> BackendStatus:
        """List the server's models, briefly; a hosted API answers this without generating."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await self._client.models.list()
        except (openai.OpenAIError, TimeoutError) as exc:
            return BackendStatus(self.name, False, self.model, self._describe(exc))
        return BackendStatus(self.name, True, self.model, f"{self.base_url} answers.")

    async def aclose(self) -> None:
        await self._client.close()

    def _describe(self, exc: BaseException) -> str:
        return describe(openai, exc, self.model, self.base_url)


def _common(request: GenerationRequest) -> dict[str, Any]:
    """Sampling options shared by chat and raw completions."""
    options: dict[str, Any] = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    if request.stop:
        # OpenAI takes at most four stops; the task's own (e.g. "\n" for one line) come last.
        options["stop"] = list(request.stop)[-4:]
    if request.seed is not None:
        options["seed"] = request.seed
    if request.logprobs:  # chat takes a flag; raw completions the number of alternatives
        options["logprobs"] = 0 if request.is_fim else True
    return options


def _token_logprobs(logprobs: Any) -> list[tuple[str, float]]:
    """(token, log-probability) pairs from a chunk: raw completions list ``tokens`` and
    ``token_logprobs`` side by side, chat lists ``content`` entries."""
    if getattr(logprobs, "content", None):
        return [(t.token, t.logprob) for t in logprobs.content]
    tokens = getattr(logprobs, "tokens", None) or []
    values = getattr(logprobs, "token_logprobs", None) or []
    return [(t, v) for t, v in zip(tokens, values, strict=False) if v is not None]


def _response_format(request: GenerationRequest, style: str = "json_schema") -> dict[str, Any]:
    if request.json_schema is None:
        return {}
    if style == "json_object":
        return {"response_format": {"type": "json_object", "schema": request.json_schema}}
    schema = {"name": "answer", "schema": request.json_schema}
    return {"response_format": {"type": "json_schema", "json_schema": schema}}
