"""The embedded model scores the tokens it writes: what the confidence cut reads."""

from __future__ import annotations

import math

import pytest

from goldcrest.backends.base import GenerationRequest, Usage
from goldcrest.backends.embedded import EmbeddedBackend
from goldcrest.config import EmbeddedSettings, models_dir
from goldcrest.prompts import family

pytestmark = pytest.mark.model

PREFIX = "import math\n\n\ndef circle_area(radius):\n    return math.pi * radius**2\n\n\n"


def _request(logprobs: bool) -> GenerationRequest:
    return GenerationRequest(
        prefix=PREFIX + "def square_area(side):\n    return ",
        suffix="\n",
        fim_template=family("qwen2_5_coder").fim,
        temperature=0.0,
        max_tokens=8,
        logprobs=logprobs,
    )


async def test_each_token_comes_with_its_log_probability_when_asked():
    backend = EmbeddedBackend(EmbeddedSettings(), models_dir())
    try:
        usage = Usage()
        text = await backend.generate(_request(True), usage)
        tokens = "".join(token for token, _ in usage.logprobs)
        assert usage.logprobs and text.startswith(tokens)
        # greedy decoding takes the likeliest token, whose probability is at least 1/vocabulary:
        # a log-probability read for the wrong token would fall far below
        vocabulary = 151_936
        assert all(-math.log(vocabulary) <= value <= 0 for _, value in usage.logprobs)
        plain = Usage()
        assert await backend.generate(_request(False), plain) == text
        assert plain.logprobs == []
    finally:
        await backend.aclose()


async def test_the_last_token_before_the_reader_stops_is_scored_too():
    """The stopping rules close the stream as soon as the answer is complete, before the step
    that would score its last token: a one-token answer had no confidence at all and could
    never be withheld."""
    backend = EmbeddedBackend(EmbeddedSettings(), models_dir())
    try:
        usage = Usage()
        stream = backend.stream(_request(True), usage)
        first = await anext(stream)
        await stream.aclose()
        assert [token for token, _ in usage.logprobs] == [first]
        assert -math.log(151_936) <= usage.logprobs[0][1] <= 0
    finally:
        await backend.aclose()
