"""The OpenAI-compatible and Anthropic backends against fake servers: what they send, streaming,
structured output, cancellation and every failure turned into a BackendError in words."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from fake_cloud import FakeCloud, Reply
from goldcrest.backends.anthropic import AnthropicBackend
from goldcrest.backends.base import Backend, BackendError, GenerationRequest, Message, Usage
from goldcrest.backends.openai_compat import OpenAICompatBackend

CHAT = GenerationRequest(
    messages=(Message("system", "Be brief."), Message("user", "Fix it.")),
    max_tokens=50,
    stop=("<a>", "<b>", "<c>", "<d>", "\n"),
    seed=3,
)
JSON = GenerationRequest(
    messages=(Message("user", "Any bugs?"),),
    json_schema={"type": "object", "properties": {"bugs": {"type": "array"}}},
)
FIM = GenerationRequest(
    prefix="def f():\n    return ", suffix="\n", fim_template="<P>{prefix}<S>{suffix}<M>"
)


@pytest.fixture(params=["openai", "anthropic"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeCloud]:
    with FakeCloud(request.param, text="x = 1  # fixed") as server:
        yield server


def make(fake: FakeCloud, *, timeout_s: float = 5.0, fim: bool = False) -> Backend:
    if fake.kind == "openai":
        return OpenAICompatBackend(
            model="m1", api_key="sk-k", base_url=fake.base_url, fim=fim, timeout_s=timeout_s
        )
    return AnthropicBackend(model="m1", api_key="sk-k", base_url=fake.base_url, timeout_s=timeout_s)


async def test_chat_streams_text_and_counts_tokens(fake: FakeCloud) -> None:
    backend, usage = make(fake), Usage()
    chunks = [c async for c in backend.stream(CHAT, usage)]
    assert len(chunks) > 1 and "".join(chunks) == "x = 1  # fixed"
    assert (usage.prompt_tokens, usage.completion_tokens) == (11, 2)
    sent = fake.generations[0]
    assert sent["model"] == "m1" and sent["max_tokens"] == 50 and sent["stream"] is True
    if fake.kind == "openai":
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
        assert sent["stop"] == ["<b>", "<c>", "<d>", "\n"]  # at most four; the task's kept
        assert sent["seed"] == 3 and sent["stream_options"] == {"include_usage": True}
    else:
        assert sent["system"] == "Be brief." and sent["messages"] == [
            {"role": "user", "content": "Fix it."}
        ]
        assert sent["stop_sequences"] == ["<a>", "<b>", "<c>", "<d>"]  # no whitespace-only stop
    headers = {k.lower(): v for k, v in fake.headers[0].items()}
    assert headers.get("authorization", headers.get("x-api-key", "")).endswith("sk-k")
    await backend.aclose()


async def test_structured_output_uses_the_providers_mechanism(fake: FakeCloud) -> None:
    fake.text = '{"bugs": []}'
    backend = make(fake)
    assert await backend.generate(JSON) == '{"bugs": []}'
    sent = fake.generations[0]
    if fake.kind == "openai":
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["schema"] == JSON.json_schema
    else:
        assert sent["tools"][0]["input_schema"] == JSON.json_schema
        assert sent["tool_choice"] == {"type": "tool", "name": sent["tools"][0]["name"]}
    await backend.aclose()


async def test_fim_only_where_the_server_takes_raw_prompts(fake: FakeCloud) -> None:
    backend = make(fake, fim=True)
    if fake.kind == "openai":
        assert await backend.supports_fim()
        assert await backend.generate(FIM) == "x = 1  # fixed"
        assert fake.generations[0]["_path"] == "/v1/completions"
        assert fake.generations[0]["prompt"] == "<P>def f():\n    return <S>\n<M>"
        assert not await make(fake).supports_fim()
    else:
        assert not await backend.supports_fim()
        with pytest.raises(BackendError, match="fill-in-the-middle"):
            await backend.generate(FIM)
    await backend.aclose()


@pytest.mark.parametrize(
    ("mode", "words", "transient"),
    [
        ("error500", "HTTP 500", True),
        ("unauthorized", "refused the API key", False),
        ("rate_limited", "rate-limiting", True),
    ],
)
async def test_failures_become_backend_errors(fake: FakeCloud, mode, words, transient) -> None:
    fake.push(mode)
    backend = make(fake)
    with pytest.raises(BackendError) as caught:
        await backend.generate(CHAT)
    assert words in caught.value.user_message and caught.value.transient is transient
    assert "sk-k" not in caught.value.user_message
    assert len(fake.generations) == 1  # the SDK's own retries are off
    await backend.aclose()


async def test_timeout_and_unreachable_server(fake: FakeCloud) -> None:
    fake.push(Reply("slow", delay=3))
    backend = make(fake, timeout_s=0.5)
    with pytest.raises(BackendError, match="did not answer in time"):
        await backend.generate(CHAT)
    await backend.aclose()
    gone = (
        OpenAICompatBackend(model="m", api_key="k", base_url="http://127.0.0.1:9/v1")
        if fake.kind == "openai"
        else AnthropicBackend(model="m", api_key="k", base_url="http://127.0.0.1:9")
    )
    with pytest.raises(BackendError, match="Could not reach"):
        await gone.generate(CHAT)
    status = await gone.status()
    assert not status.available and "Could not reach" in status.detail
    assert (await make(fake).status()).available
    await gone.aclose()


async def test_closing_the_stream_closes_the_connection(fake: FakeCloud) -> None:
    fake.push(Reply(text="y" * 400, chunk_delay=0.05))
    backend = make(fake)
    stream = backend.stream(CHAT)
    assert await anext(stream)
    await stream.aclose()
    assert await asyncio.to_thread(fake.hung_up.wait, 5.0)
    await backend.aclose()
