"""Chat prompts from prompts/ and answers that must come back as JSON of a given shape.

Small models get the format wrong in a few typical ways: prose or fences around the JSON, the
answer cut off at ``max_tokens``, a bare list where an object was asked for. The schema is sent to
the backend (grammar-constrained output where supported) and the answer is read tolerantly, but
only ever accepted when pydantic validates it. Whether the raw text was already right is counted,
so the benefit of the handling can be measured.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..backends.base import GenerationRequest, Message
from ..prompts import fill, load
from ..routing.cascade import Caller
from ..stats import Stats

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```[\w+-]*\n?(.*?)(?:```|$)", re.S)
_CLOSERS = {"{": "}", "[": "]"}


def compact_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with references inlined and titles dropped.

    Small schemas keep llama.cpp's grammar quick to build and leave Ollama nothing to misread.
    """
    full = model.model_json_schema()
    defs = full.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items() if k not in ("title", "description")}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(full)


def chat_request(
    prompt: str,
    values: dict[str, str],
    *,
    temperature: float,
    max_tokens: int,
    schema: dict[str, Any] | None = None,
    seed: int | None = None,
    stop: tuple[str, ...] = (),
) -> GenerationRequest:
    """System prompt, few-shot examples and the filled user template of ``prompts/<prompt>``."""
    spec = load(prompt)
    messages = [Message("system", spec["system"].strip())]
    for example in spec.get("examples", ()):
        messages += [Message("user", example["user"]), Message("assistant", example["assistant"])]
    messages.append(Message("user", fill(spec["user"], **values)))
    return GenerationRequest(
        messages=tuple(messages),
        temperature=temperature,
        max_tokens=max_tokens,
        json_schema=schema,
        seed=seed,
        stop=stop,
    )


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """``value`` is None when nothing of the right shape could be read; ``raw_ok`` says whether
    the text was exactly right before any handling."""

    value: T | None
    raw_ok: bool


def _exact(text: str, model: type[T]) -> T | None:
    """The answer when it is exactly right: JSON of the schema's shape, nothing to fill or fix."""
    try:
        data = json.loads(text)
        value = model.model_validate(data, strict=True)
    except ValueError:  # pydantic's ValidationError is a ValueError too
        return None
    return value if value.model_dump() == data else None


def _validate(model: type[T], data: Any) -> T | None:
    fields = list(model.model_fields)
    if isinstance(data, list) and len(fields) == 1:
        data = {fields[0]: data}  # a bare list where {"items": [...]} was asked for
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def close_truncated(text: str) -> str | None:
    """JSON cut off mid-answer, cut back to its last complete element and closed; else None."""
    stack: list[str] = []
    in_string = escaped = False
    last_good: tuple[int, list[str]] | None = None
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return None  # complete already: nothing to close
            if stack[-1] == "]":  # an element of a list just ended
                last_good = (i + 1, list(stack))
    if last_good is None:
        return None
    end, open_ = last_good
    return text[:end] + "".join(reversed(open_))


def parse_answer(text: str, model: type[T]) -> Parsed[T]:
    """Read ``model`` from a model's answer: as is, else from inside fences or prose, else from
    the complete part of an answer that was cut off."""
    stripped = text.strip()
    if (exact := _exact(stripped, model)) is not None:
        return Parsed(exact, True)
    for piece in [m.group(1) for m in _FENCE.finditer(stripped)] + [stripped]:
        for data in _json_values(piece):
            if (value := _validate(model, data)) is not None:
                return Parsed(value, False)
    return Parsed(None, False)


def _json_values(text: str) -> list[Any]:
    """The outermost JSON objects and lists in ``text``; one cut off at the end is closed."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while (i := _next_opening(text, i)) >= 0:
        try:
            data, i = decoder.raw_decode(text, i)
        except ValueError:
            closed = close_truncated(text[i:])
            if closed is not None:
                try:
                    found.append(json.loads(closed))
                    break
                except ValueError:
                    pass
            i += 1
            continue
        found.append(data)
    return found


def _next_opening(text: str, start: int) -> int:
    positions = [p for p in (text.find("{", start), text.find("[", start)) if p >= 0]
    return min(positions, default=-1)


@dataclass(frozen=True)
class Structured(Generic[T]):
    """An answer read into ``value``; when None, ``problem`` says why, fit to show a user."""

    value: T | None
    problem: str = ""


async def ask_json(
    call: Caller, task: str, request: GenerationRequest, model: type[T], stats: Stats
) -> Structured[T]:
    """Ask ``call``'s model for JSON of ``model``'s shape; one retry with a fresh sample when it
    is unreadable."""
    name = call.backend.model
    for attempt in range(2):
        answer = await call(request)
        if answer is None:
            return Structured(None, f"{call.tier.name} ({name}) did not answer.")
        parsed = parse_answer(answer.text, model)
        stats.add(name, task, "json_answers")
        stats.add(name, task, "json_raw_ok" if parsed.raw_ok else "json_raw_bad")
        if parsed.value is not None:
            stats.add(name, task, "json_ok")
            return Structured(parsed.value)
        stats.add(name, task, "json_unreadable")
        if attempt == 0:
            request = resample(request, 1)
    return Structured(None, f"the answer of {name} was not readable JSON of the right shape.")


def resample(request: GenerationRequest, n: int, temperature: float = 0.4) -> GenerationRequest:
    """Sample ``n`` of the same request: a temperature that samples afresh (and so skips the
    answer cache) and its own seed."""
    return replace(
        request, temperature=max(request.temperature, temperature), seed=(request.seed or 0) + n
    )
