"""The one interface every model backend implements: async, streaming, cancellable.

Backends know nothing of LSP or of tasks. A task describes what it wants as a
``GenerationRequest``; a backend turns it into its own API call and yields text chunks. Cancelling
the consuming task (as happens when the LSP request is cancelled) closes the stream, and a backend
must stop generating when that happens.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, Literal

from ..prompts import fill


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate. Exactly one of ``fim`` (prefix/suffix infilling) or ``messages`` (chat).

    ``fim_template`` is the family's raw FIM template from prompts/ (with ``{prefix}`` and
    ``{suffix}``) for backends that must build the FIM prompt themselves; backends with native
    infilling (Ollama's ``suffix``) ignore it.
    """

    messages: tuple[Message, ...] = ()
    prefix: str | None = None
    suffix: str | None = None
    #: the code from the prompt's split to the cursor, written after the FIM template as the
    #: start of the answer (``Family.fim`` ends where the model's part begins): so the code
    #: before the split and the suffix, the prompt's long parts, stay the same while the user
    #: types, and a model's cache of them holds; without a template it ends the prefix
    middle: str = ""
    fim_template: str | None = None
    #: what the FIM prompt starts with: the workspace's files for a family trained on
    #: repository prompts (``Family.repo``); backends that build the prompt put it first
    fim_context: str = ""
    temperature: float = 0.1
    max_tokens: int = 128
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = None
    seed: int | None = None
    #: ask for each generated token's log-probability (``Usage.logprobs``), where the backend
    #: can say it: a completion's confidence
    logprobs: bool = False
    #: stop generating this many seconds after the first token once a line is complete, and keep
    #: the complete lines (llama.cpp's ``t_max_predict_ms``, which llama.vscode sends): while
    #: the user types, a line shown within the pause beats a block shown after it
    predict_s: float | None = None
    #: a GBNF grammar (llama.cpp's) the answer must follow, for backends with ``grammar``:
    #: the names an object offers after ``name.`` (``workspace.offer``)
    grammar: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_fim(self) -> bool:
        return self.prefix is not None

    def fingerprint(self) -> str:
        """Stable hash of everything that shapes the answer, for the answer cache.

        The JSON is ``asdict``'s, built without its deep copy of the prompt (the encoder
        meets the messages and turns each into a dict itself): the same keys, sooner."""
        top = {f.name: getattr(self, f.name) for f in fields(self)}
        blob = json.dumps(top, sort_keys=True, default=_plain)
        return hashlib.sha256(blob.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """What ``json.dumps`` cannot encode itself: a message as its fields, anything else as text."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)


@dataclass(frozen=True)
class BackendStatus:
    """What ``goldcrest doctor`` and backend selection need to know."""

    name: str
    available: bool
    model: str
    detail: str
    remedy: str = ""


@dataclass
class Usage:
    """Tokens a call used, filled in by the backend while it streams."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: (text, natural-log probability) of each generated token, in order, when the request asked
    #: for them and the backend reports them; empty otherwise. The token that ended the answer
    #: may be missing.
    logprobs: list[tuple[str, float]] = field(default_factory=list)


class BackendError(RuntimeError):
    """A backend could not answer. ``user_message`` says what is wrong and how to fix it."""

    def __init__(self, user_message: str, *, transient: bool = True) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.transient = transient


class Backend(ABC):
    """A model behind one async streaming interface."""

    name: str
    model: str
    #: prompt family (a key of prompts/families.toml), e.g. "qwen2_5_coder"; "" when unknown.
    family: str = ""
    #: True when the backend fills a FIM hole natively from prefix + suffix.
    native_fim: bool = False
    #: True when the model runs inside this process: a slow answer then means a busy machine,
    #: not a server that is down, so a timeout does not make the next requests back off.
    in_process: bool = False
    #: True when FIM requests may carry a GBNF ``grammar`` that the model's tokens must follow
    grammar: bool = False

    @property
    def busy(self) -> bool:
        """Whether a request now would wait for others to finish first (a model in this
        process answers one at a time); by default never."""
        return False

    @abstractmethod
    def stream(self, request: GenerationRequest, usage: Usage | None = None) -> AsyncIterator[str]:
        """Yield text chunks as the model produces them; raise BackendError on failure."""

    @abstractmethod
    async def status(self) -> BackendStatus:
        """Check, cheaply and without generating, whether this backend can answer now."""

    async def supports_fim(self) -> bool:
        """Whether FIM requests work (natively or through a family template)."""
        return self.native_fim

    async def read(self, request: GenerationRequest) -> None:  # noqa: B027 - optional hook
        """Read the prompt of a request that may follow soon, where that makes it cheaper then
        (a model in this process keeps what it read); by default nothing."""

    async def warm_up(self) -> None:  # noqa: B027 - optional hook
        """Get ready for a first request (load weights, open connections)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections or model memory."""

    async def generate(self, request: GenerationRequest, usage: Usage | None = None) -> str:
        """The whole answer as one string."""
        return "".join([chunk async for chunk in self.stream(request, usage)])


def fim_prompt(request: GenerationRequest) -> str:
    """The raw FIM prompt of ``request`` for backends that build it themselves: the context,
    then the family's template filled with the prefix and suffix, then the middle's start."""
    if not request.fim_template:
        return request.fim_context + (request.prefix or "") + request.middle
    filled = fill(request.fim_template, prefix=request.prefix or "", suffix=request.suffix or "")
    return request.fim_context + filled + request.middle
