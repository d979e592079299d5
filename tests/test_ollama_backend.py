"""The Ollama backend against a fake Ollama server: requests it sends, streaming, every fault."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest

from fake_ollama import FakeOllama, Reply
from goldcrest.backends import ollama as ollama_backend
from goldcrest.backends.base import BackendError, GenerationRequest, Message, Usage
from goldcrest.backends.ollama import OllamaBackend
from goldcrest.config import OllamaSettings

MODEL = "qwen2.5-coder:7b"
FIM = GenerationRequest(
    prefix="def add(a, b):\n    return ",
    suffix="\n\nprint(add(1, 2))\n",
    temperature=0.2,
    max_tokens=40,
    stop=("\n\n",),
    seed=7,
)
CHAT = GenerationRequest(
    messages=(Message("system", "Answer in JSON."), Message("user", "Any bugs?")),
    json_schema={"type": "object", "properties": {"bugs": {"type": "array"}}},
)


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models=(MODEL,)) as server:
        yield server


def make(host: str, *, model: str = MODEL, timeout_s: float = 5.0, family: str | None = None):
    settings = OllamaSettings(host=host, model=model, keep_alive="12m", timeout_s=timeout_s)
    return OllamaBackend(settings, family=family)


@pytest.fixture
async def backend(fake: FakeOllama) -> AsyncIterator[OllamaBackend]:
    b = make(fake.url)
    yield b
    await b.aclose()


@contextmanager
def explicit_closing_only() -> Iterator[None]:
    """Stop asyncio closing dropped async generators when they are collected, which would hide
    a backend that forgets to close its HTTP stream. Use inside the test: the loop resets the
    hooks each time it starts."""
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=lambda agen: None)
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*hooks)


def free_port() -> int:
    """A port nothing listens on, for 'connection refused'."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def failure(backend: OllamaBackend, request: GenerationRequest = FIM) -> BackendError:
    """The error a request raises, checking that it is exactly a BackendError."""
    with pytest.raises(Exception) as info:
        await backend.generate(request)
    assert type(info.value) is BackendError, repr(info.value)
    return info.value


async def test_fim_sends_suffix_options_keep_alive_and_no_thinking(fake, backend):
    fake.push(Reply(chunks=["a ", "+ ", "b"], prompt_eval_count=31))
    usage = Usage()
    chunks = [c async for c in backend.stream(FIM, usage)]
    assert chunks == ["a ", "+ ", "b"]
    assert (usage.prompt_tokens, usage.completion_tokens) == (31, 3)
    body = fake.last("/api/generate")
    assert body["model"] == MODEL
    assert body["prompt"] == FIM.prefix
    assert body["suffix"] == FIM.suffix
    assert body["stream"] is True
    assert body["think"] is False
    assert body["keep_alive"] == "12m"
    assert body["options"] == {"temperature": 0.2, "num_predict": 40, "stop": ["\n\n"], "seed": 7}
    assert "raw" not in body
    assert "format" not in body


async def test_empty_suffix_still_infills(fake, backend):
    """Ollama treats an empty suffix as plain chat, so end-of-file completion sends a newline."""
    await backend.generate(GenerationRequest(prefix="x = ", suffix=""))
    assert fake.last("/api/generate")["suffix"] == "\n"


async def test_fim_without_insert_capability_uses_family_template_raw(fake):
    fake.capabilities = ["completion"]
    b = make(fake.url, family="qwen2_5_coder")
    request = GenerationRequest(prefix="p", suffix="s", fim_template="<A>{prefix}<B>{suffix}<C>")
    assert await b.generate(request) == "hello world"
    body = fake.last("/api/generate")
    assert body["prompt"] == "<A>p<B>s<C>"
    assert body["raw"] is True
    assert "suffix" not in body
    await b.aclose()


async def test_fim_with_workspace_files_goes_raw_with_the_files_first(fake, backend):
    """Ollama's infilling template has no place for other files: the prompt is built here."""
    request = GenerationRequest(
        prefix="p",
        suffix="s",
        fim_template="<A>{prefix}<B>{suffix}<C>",
        fim_context="<R>shop\n<F>a.py\ndef a(): ...\n<F>b.py\n",
    )
    await backend.generate(request)
    body = fake.last("/api/generate")
    assert body["prompt"] == "<R>shop\n<F>a.py\ndef a(): ...\n<F>b.py\n<A>p<B>s<C>"
    assert body["raw"] is True
    assert "suffix" not in body


async def test_chat_sends_messages_schema_and_ignores_thinking(fake, backend):
    fake.push(Reply(chunks=['{"bugs"', ": []}"], thinking=["hmm, ", "let me see"]))
    usage = Usage()
    assert [c async for c in backend.stream(CHAT, usage)] == ['{"bugs"', ": []}"]
    assert usage.completion_tokens == 2
    body = fake.last("/api/chat")
    assert body["messages"] == [
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": "Any bugs?"},
    ]
    assert body["think"] is False
    assert body["format"] == CHAT.json_schema
    assert body["options"] == {"temperature": 0.1, "num_predict": 128}
    assert body["keep_alive"] == "12m"
    assert fake.bodies("/api/generate") == []


async def test_responder_answers_from_the_request(fake, backend):
    fake.responder = lambda path, body: [body["prompt"].upper()]
    assert await backend.generate(GenerationRequest(prefix="abc", suffix="")) == "ABC"


async def test_connection_refused():
    b = make(f"http://127.0.0.1:{free_port()}")
    error = await failure(b)
    assert "Ollama is not running at http://127.0.0.1:" in error.user_message
    assert "`ollama serve`" in error.user_message
    assert "'embedded'" in error.user_message
    assert not error.transient
    await b.aclose()


async def test_model_not_pulled(fake, backend):
    fake.push("missing")
    error = await failure(backend, CHAT)
    assert error.user_message == f"Model {MODEL} is not pulled. Run `ollama pull {MODEL}`."
    assert not error.transient


async def test_http_500(fake, backend):
    fake.push("error500")
    error = await failure(backend)
    assert "HTTP 500" in error.user_message
    assert "llama runner process has terminated" in error.user_message
    assert "server log" in error.user_message


async def test_timeout(fake):
    b = make(fake.url, timeout_s=0.3)
    await b.supports_fim()  # probe first, so only the generation is slow
    fake.push(Reply("slow", delay=3))
    error = await failure(b)
    assert "did not answer within 0.3 s" in error.user_message
    assert "ollama.timeout_s" in error.user_message
    await b.aclose()


async def test_malformed_json(fake, backend):
    fake.push("garbage")
    error = await failure(backend)
    assert "malformed answer" in error.user_message


@pytest.mark.parametrize("mode", ["cut", "nodone"])
async def test_stream_cut_in_the_middle(fake, backend, mode):
    fake.push(Reply(mode, chunks=["one", "two"]))
    seen = []
    with pytest.raises(Exception) as info:
        async for chunk in backend.stream(FIM):
            seen.append(chunk)
    assert type(info.value) is BackendError
    assert "stopped in the middle of an answer" in info.value.user_message
    assert seen == ["one", "two"]


async def test_error_line_mid_stream(fake, backend):
    fake.push("error_line")
    error = await failure(backend)
    assert "failed while generating: llama runner process no longer running" in str(error)


async def test_closing_the_stream_drops_the_connection(fake, backend):
    chunks = [f"tok{i} " for i in range(200)]
    fake.push(Reply(chunks=chunks, chunk_delay=0.02))
    seen = []
    with explicit_closing_only():
        stream = backend.stream(FIM)
        async for chunk in stream:
            seen.append(chunk)
            if len(seen) == 2:
                break
        await stream.aclose()
    assert seen == chunks[:2]
    assert await asyncio.to_thread(fake.wait_disconnect, 3.0)
    [gone] = fake.disconnects
    assert gone.path == "/api/generate"
    assert gone.chunks_sent < 20


async def test_cancelling_the_task_drops_the_connection(fake, backend):
    fake.push(Reply(chunks=[f"tok{i} " for i in range(200)], chunk_delay=0.02))
    seen: list[str] = []

    async def consume() -> None:
        async for chunk in backend.stream(CHAT):
            seen.append(chunk)

    with explicit_closing_only():
        task = asyncio.create_task(consume())
        while len(seen) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    count = len(seen)
    assert await asyncio.to_thread(fake.wait_disconnect, 3.0)
    assert fake.disconnects[0].path == "/api/chat"
    assert fake.disconnects[0].chunks_sent < 30
    await asyncio.sleep(0.1)
    assert len(seen) == count


async def test_status_up(backend):
    status = await backend.status()
    assert status.available
    assert (status.name, status.model) == ("ollama", MODEL)


async def test_status_down():
    b = make(f"http://127.0.0.1:{free_port()}")
    status = await b.status()
    assert not status.available
    assert status.detail.startswith("Ollama is not running at")
    assert "`ollama serve`" in status.remedy
    await b.aclose()


async def test_status_model_missing(fake):
    b = make(fake.url, model="codellama")
    status = await b.status()
    assert not status.available
    assert "not pulled" in status.detail
    assert status.remedy == "Run `ollama pull codellama`."
    await b.aclose()


async def test_status_implicit_latest_tag(fake):
    fake.models = ["codellama:latest"]
    b = make(fake.url, model="codellama")
    assert (await b.status()).available
    await b.aclose()


async def test_status_slow_server_times_out_quickly(fake, backend, monkeypatch):
    monkeypatch.setattr(ollama_backend, "PROBE_TIMEOUT_S", 0.2)
    fake.push(Reply("slow", delay=3), path="/api/tags")
    status = await backend.status()
    assert not status.available
    assert "did not answer within 0.2 s" in status.detail


async def test_native_fim_from_capabilities_is_cached(fake, backend):
    assert await backend.supports_fim()
    assert await backend.supports_fim()
    assert backend.native_fim
    await backend.generate(FIM)
    assert len(fake.bodies("/api/show")) == 1


async def test_no_insert_capability(fake):
    fake.capabilities = ["completion"]
    coder = make(fake.url, family="qwen2_5_coder")
    assert await coder.supports_fim()  # through the family's raw template
    assert not coder.native_fim
    chat_only = make(fake.url, family="qwen3")
    assert not await chat_only.supports_fim()
    await coder.aclose()
    await chat_only.aclose()


async def test_old_ollama_without_capabilities_falls_back_to_family(fake):
    fake.capabilities = None
    coder = make(fake.url, model=MODEL)  # family guessed from the model name
    assert await coder.supports_fim()
    assert coder.native_fim
    chat_only = make(fake.url, family="qwen3")
    assert not await chat_only.supports_fim()
    assert len(fake.bodies("/api/show")) == 2
    await coder.aclose()
    await chat_only.aclose()


async def test_fim_probe_is_retried_while_ollama_is_down():
    b = make(f"http://127.0.0.1:{free_port()}", family="qwen3")
    assert not await b.supports_fim()
    assert not b._fim_probed
    await b.aclose()


def test_bad_host_is_a_backend_error():
    with pytest.raises(BackendError, match=r"ollama\.host"):
        make("http://localhost:notaport")
