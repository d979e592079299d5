"""The project's tests as a judge the model hears from: a verdict on a candidate, and the next
request carrying the failed candidate with what the tests said about it.

A small model asked again with the same prompt mostly writes the same wrong fix (or the function
unchanged); shown its own answer and the failing assertion ("assert 1 == 2 where 1 =
lcs_length('witch', 'sandwich')") it is asked for something it has not tried, with the
evidence that decides between answers. This is the repair loop of self-debugging work on code
models, with the project's tests as the feedback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal

from ..backends.base import GenerationRequest, Message
from ..prompts import fill, load

Kind = Literal["fix", "refactor"]


@dataclass(frozen=True)
class Verdict:
    """How the tests ended on one candidate: ``passed`` None when they could not run;
    ``failures`` what the failing ones said, one line each."""

    passed: bool | None
    failures: tuple[str, ...] = ()


def _no_facts(first_line: int, last_line: int) -> str:
    return ""


@dataclass(frozen=True)
class Verify:
    """The project's tests as the judge of a rewrite of ``kind``: ``run`` takes the candidate's
    whole new file text; ``facts`` is what the tests say about lines [first, last] (0-based) of
    the text as it is, as a FACTS block for the first prompt ("" when they say nothing)."""

    kind: Kind
    run: Callable[[str], Awaitable[Verdict]]
    facts: Callable[[int, int], str] = _no_facts


def retry_request(
    request: GenerationRequest,
    kind: Kind,
    language: str,
    code: str,
    failures: tuple[str, ...],
) -> GenerationRequest:
    """``request`` followed by the candidate ``code`` as the model's answer and the tests'
    verdict on it (``failures``; none: the candidate was the code unchanged)."""
    templates = load("test_feedback")
    if failures:
        said = fill(templates[kind], failures="\n".join(f"- {line}" for line in failures))
    else:
        said = templates["unchanged"]
    answer = f"```{language}\n{code.rstrip()}\n```"
    turns = (Message("assistant", answer), Message("user", said))
    return replace(request, messages=request.messages + turns)
