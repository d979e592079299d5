"""Token log-probabilities through the OpenAI-compatible backend: read from raw completions
and from chat, and a server that refuses them is asked again without, from then on."""

from __future__ import annotations

import pytest

from fake_cloud import LOGPROB, FakeCloud, Reply
from goldcrest.backends.base import BackendError, GenerationRequest, Message, Usage
from goldcrest.backends.openai_compat import OpenAICompatBackend

FIM = GenerationRequest(
    prefix="def f(x):\n    return ",
    suffix="\n",
    fim_template="<PRE>{prefix}<SUF>{suffix}<MID>",
    logprobs=True,
)
CHAT = GenerationRequest(messages=(Message("user", "say hi"),), logprobs=True)


def _backend(fake: FakeCloud) -> OpenAICompatBackend:
    return OpenAICompatBackend(
        model="m", api_key="k", base_url=fake.base_url, fim=True, timeout_s=5
    )


async def test_raw_completions_and_chat_report_each_tokens_log_probability():
    with FakeCloud("openai", text="x + 1") as fake:
        backend = _backend(fake)
        for request in (FIM, CHAT):
            usage = Usage()
            text = await backend.generate(request, usage)
            assert "".join(token for token, _ in usage.logprobs) == text == "x + 1"
            assert {value for _, value in usage.logprobs} == {LOGPROB}
        assert [body["logprobs"] for body in fake.generations] == [0, True]
        await backend.aclose()


async def test_a_server_that_refuses_log_probabilities_is_asked_without():
    with FakeCloud("openai", text="x + 1") as fake:
        backend = _backend(fake)
        fake.push(Reply("no_logprobs"))  # llama-cpp-python's server without logits_all
        usage = Usage()
        assert await backend.generate(FIM, usage) == "x + 1"
        assert usage.logprobs == []
        assert await backend.generate(FIM, Usage()) == "x + 1"
        sent = [body.get("logprobs") for body in fake.generations]
        assert sent == [0, None, None]  # refused once, then never asked again
        await backend.aclose()


async def test_any_other_server_error_is_not_retried_and_keeps_log_probabilities():
    with FakeCloud("openai", text="x + 1") as fake:
        backend = _backend(fake)
        fake.push(Reply("error500"))
        with pytest.raises(BackendError):
            await backend.generate(FIM, Usage())
        assert await backend.generate(FIM, Usage()) == "x + 1"
        assert [body.get("logprobs") for body in fake.generations] == [0, 0]
        await backend.aclose()
