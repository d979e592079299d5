"""The Anthropic backend, through the official ``anthropic`` SDK.

Claude has no fill-in-the-middle, so tasks prompt it through chat (``supports_fim`` is false).
Sampling temperature is left to the provider: this SDK no longer takes one.
Structured output uses the provider's own mechanism: one forced tool whose ``input_schema`` is the
answer schema, streamed as ``input_json_delta`` pieces. The SDK's retries are off: the engine
decides what a failure means. Closing the stream closes the HTTP response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anthropic

from .base import Backend, BackendError, BackendStatus, GenerationRequest, Usage
from .sdk_errors import describe, transient

PROBE_TIMEOUT_S = 1.5
DEFAULT_URL = "https://api.anthropic.com"
_TOOL = "answer"


class AnthropicBackend(Backend):
    """Generates through the Anthropic Messages API."""

    name = "anthropic"

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        family: str = "",
        timeout_s: float = 30.0,
    ) -> None:
        self.model = model
        self.family = family
        self.base_url = base_url or DEFAULT_URL
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or "unset",
            base_url=self.base_url,
            timeout=timeout_s,
            max_retries=0,
        )

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        """Yield text (or the tool's JSON) as it streams; closing this drops the connection."""
        if request.is_fim:
            raise BackendError(
                f"{self.model} has no fill-in-the-middle; Goldcrest prompts it through chat.",
                transient=False,
            )
        try:
            events = await self._client.messages.create(
                model=self.model, stream=True, **_params(request)
            )
            try:
                async for event in events:
                    if event.type == "message_start" and usage is not None:
                        usage.prompt_tokens = event.message.usage.input_tokens or 0
                    elif event.type == "message_delta" and usage is not None:
                        usage.completion_tokens = event.usage.output_tokens or 0
                    elif event.type == "content_block_delta":
                        delta = event.delta
                        text = (
                            delta.text
                            if delta.type == "text_delta"
                            else delta.partial_json
                            if delta.type == "input_json_delta"
                            else ""
                        )
                        if text:
                            yield text
            finally:
                await events.close()
        except anthropic.AnthropicError as exc:
            raise BackendError(self._describe(exc), transient=transient(anthropic, exc)) from exc

    async def status(self) -> BackendStatus:
        """List models, briefly: the API answers this without generating."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await self._client.models.list(limit=1)
        except (anthropic.AnthropicError, TimeoutError) as exc:
            return BackendStatus(self.name, False, self.model, self._describe(exc))
        return BackendStatus(self.name, True, self.model, f"{self.base_url} answers.")

    async def aclose(self) -> None:
        await self._client.close()

    def _describe(self, exc: BaseException) -> str:
        return describe(anthropic, exc, self.model, self.base_url)


def _params(request: GenerationRequest) -> dict[str, Any]:
    """Messages API parameters: system apart, a forced tool for structured answers."""
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    params: dict[str, Any] = {
        "messages": [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ],
        "max_tokens": request.max_tokens,
    }
    if system:
        params["system"] = system
    # Anthropic rejects stop sequences made only of whitespace (such as "\n").
    stops = [s for s in request.stop if s.strip()]
    if stops:
        params["stop_sequences"] = stops
    if request.json_schema is not None:
        params["tools"] = [
            {"name": _TOOL, "description": "Give the answer.", "input_schema": request.json_schema}
        ]
        params["tool_choice"] = {"type": "tool", "name": _TOOL}
    return params
