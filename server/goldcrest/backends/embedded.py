"""The embedded backend: a GGUF model run in-process by llama.cpp (llama-cpp-python).

It is what makes Goldcrest useful on a machine with nothing else installed. llama.cpp is not
thread-safe and its calls block, so every call runs on one dedicated worker thread, one token per
hop. The prompt is evaluated in small steps after the longest prefix llama.cpp still holds in its
KV cache from the previous request (and the runs it holds further on, moved into place: see
kv_moves.py), so a request that repeats most of the last prompt costs only its new tokens, and a
cancelled one stops within a step: the next request reuses what the step evaluated. While the
user types, ``read`` evaluates the prompts that may follow ahead of their requests.
Generation is another matter: a token is of no use to the next request, so
cancelling aborts the token being computed (llama.cpp's abort callback, asked between the
layers' operations), and llama.cpp drops what it had written to its cache.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..config import EmbeddedSettings
from ..prompts import family_for_model
from .base import Backend, BackendError, BackendStatus, GenerationRequest, Usage, fim_prompt
from .kv_moves import move_runs
from .model_files import (
    INSTALL_HINT,
    MODEL_FAMILY,
    MODEL_NAME,
    ModelFileError,
    ensure_default_model,
)
from .turn import BACKGROUND, Turn

_DONE = object()
#: Prompt tokens evaluated per step: a cancelled request frees the model within one step.
PREFILL_STEP = 16
#: What llama-cpp-python raises for ``llama_decode`` returning 2: aborted by the callback.
_ABORTED = "llama_decode returned 2"


@dataclass
class _Call:
    cancelled: threading.Event
    #: llama.cpp may abort its evaluation: not while it reads the prompt, whose evaluated
    #: tokens the next request reuses (a step aborted each time would never get further)
    abortable: bool = False


def _llama_available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


class _TokenLogprobs:
    """A llama.cpp logits processor that only watches: it notes each sampled token's
    log-probability into ``usage.logprobs``.

    llama.cpp's own ``logprobs`` needs logits kept for every position (``logits_all``: 2.5 GB
    for a 4k context with a 150k vocabulary); this keeps one distribution. A processor sees the
    logits before the token is sampled, so each token is scored at the next step, when it is the
    last input; the last token written, which no step follows, is scored by ``settle``.
    """

    def __init__(self, llama: Any, usage: Usage) -> None:
        self._llama, self._usage = llama, usage
        self._last: Any = None  # log-softmax of the previous step's logits

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np  # llama-cpp-python's own dependency

        if self._last is not None:
            token = int(input_ids[-1])
            text = self._llama.detokenize([token]).decode("utf-8", errors="replace")
            self._usage.logprobs.append((text, float(self._last[token])))
        shifted = scores - np.max(scores)
        self._last = shifted - np.log(np.sum(np.exp(shifted)))
        return scores

    def settle(self, written: str) -> None:
        """Score the last token of ``written`` (the answer as streamed until its reader closed
        the stream: the stopping rules found it complete), which no next step scored. Without
        it a one-token answer (``()``) has no confidence and is never withheld. The text the
        scored tokens do not cover must be one token, else nothing is added."""
        scored = sum(len(text) for text, _ in self._usage.logprobs)
        rest = written[scored:]
        if self._last is None or not rest:
            return
        tokens = self._llama.tokenize(rest.encode(), add_bos=False, special=False)
        if len(tokens) == 1 and self._llama.detokenize(tokens).decode(errors="replace") == rest:
            self._usage.logprobs.append((rest, float(self._last[tokens[0]])))


class EmbeddedBackend(Backend):
    """A llama.cpp model loaded on first use and kept for the life of the server."""

    name = "embedded"
    in_process = True
    grammar = True

    def __init__(self, settings: EmbeddedSettings, models_dir: Path) -> None:
        self._settings = settings
        self._models_dir = models_dir
        self._llama: Any = None
        #: the call on the worker thread, which llama.cpp's abort callback asks about
        self._running: _Call | None = None
        self._abort_hook: Any = None  # the callback, kept alive: llama.cpp holds only a pointer
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="goldcrest-llama")
        self._load_lock = asyncio.Lock()
        #: one stream at a time (see turn.py); its llama.cpp generator, worker thread only
        self._turn = Turn()
        self._pieces: Iterator[str] | None = None
        self._scorer: _TokenLogprobs | None = None  # the stream's, when it was asked to score
        #: calls, cancelled, tokens, tokens_after_cancel, aborted (evaluations cut short by a
        #: cancel), prompt_tokens, reused_prompt_tokens (in place or moved), moved_prompt_tokens
        #: (see kv_moves.py), read_ahead_tokens (see ``read``)
        self.counters: Counter[str] = Counter()
        if settings.model_path:
            self.model = Path(settings.model_path).name
            self.family = settings.family or family_for_model(self.model).name
        else:
            self.model = MODEL_NAME
            self.family = settings.family or MODEL_FAMILY

    @property
    def busy(self) -> bool:
        return self._turn.busy

    async def supports_fim(self) -> bool:
        from ..prompts import family

        return family(self.family).fim is not None

    def _model_path(self) -> Path:
        if self._settings.model_path:
            path = Path(self._settings.model_path).expanduser()
            if not path.is_file():
                raise ModelFileError(f"The configured model file {path} does not exist.")
            return path
        return ensure_default_model(self._models_dir)

    def _load_blocking(self) -> Any:
        import llama_cpp

        llama = llama_cpp.Llama(
            model_path=str(self._model_path()),
            n_ctx=self._settings.n_ctx,
            n_threads=self._settings.n_threads or os.cpu_count() or 2,
            verbose=False,
        )

        @llama_cpp.ggml_abort_callback
        def aborted(_data: Any) -> bool:
            running = self._running
            return running is not None and running.abortable and running.cancelled.is_set()

        self._abort_hook = aborted
        llama_cpp.llama_set_abort_callback(llama._ctx.ctx, aborted, None)
        return llama

    async def warm_up(self) -> None:
        await self.load()

    async def load(self) -> Any:
        """Load the model once (about 4 s for the default); later calls return it at once."""
        async with self._load_lock:
            if self._llama is None:
                if not _llama_available():
                    raise BackendError(
                        f"The embedded engine is not installed. Run: {INSTALL_HINT}",
                        transient=False,
                    )
                loop = asyncio.get_running_loop()
                try:
                    self._llama = await loop.run_in_executor(self._worker, self._load_blocking)
                except ModelFileError as exc:
                    raise BackendError(str(exc), transient=False) from None
                except (ValueError, RuntimeError, OSError) as exc:
                    raise BackendError(
                        f"The embedded model could not be loaded: {exc}", transient=False
                    ) from None
            return self._llama

    def _start(
        self, llama: Any, request: GenerationRequest, usage: Usage | None, call: _Call
    ) -> Iterator[str] | None:
        """Evaluate the prompt and begin a lazy llama.cpp stream (runs on the worker thread);
        None when the request was cancelled meanwhile (while it waited for the worker, too)."""
        self._running = call
        if call.cancelled.is_set():
            return None
        common: dict[str, Any] = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop) or None,
            "stream": True,
        }
        if request.seed is not None:
            common["seed"] = request.seed
        if request.logprobs and usage is not None:
            from llama_cpp import LogitsProcessorList

            self._scorer = _TokenLogprobs(llama, usage)
            common["logits_processor"] = LogitsProcessorList([self._scorer])
        if request.is_fim:
            if not request.fim_template:
                raise BackendError(f"Model family '{self.family}' has no FIM template.")
            if request.grammar is not None:
                from llama_cpp import LlamaGrammar

                common["grammar"] = LlamaGrammar.from_string(request.grammar, verbose=False)
            prompt = fim_prompt(request)
            tokens = llama.tokenize(prompt.encode(), special=True)
            if usage is not None:
                usage.prompt_tokens = len(tokens)
            if not self._prefill(llama, tokens, call):
                return None
            call.abortable = True  # what is left is the last prompt token and the answer
            chunks = llama.create_completion(prompt=tokens, **common)
            self._pieces = (c["choices"][0].get("text") or "" for c in chunks)
            return self._pieces
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.json_schema is not None:
            common["response_format"] = {"type": "json_object", "schema": request.json_schema}
        chunks = llama.create_chat_completion(messages=messages, **common)
        self._pieces = (c["choices"][0]["delta"].get("content") or "" for c in chunks)
        return self._pieces

    def _close(self, written: str | None) -> None:
        """End the llama.cpp stream begun last, if any (worker thread): closing the generator
        ends its loop. Also the one begun for a request cancelled while it was begun.
        ``written``: what the stream gave before its reader closed it, whose last token is
        scored now (``settle``); None when it ended on its own (a stop sequence ends it inside
        a token, whose text was cut)."""
        if self._pieces is not None:
            pieces, self._pieces = self._pieces, None
            pieces.close()
        scorer, self._scorer = self._scorer, None
        if scorer is not None and written is not None:
            scorer.settle(written)

    async def read(self, request: GenerationRequest) -> None:
        """Evaluate the prompt of a FIM request that may follow soon (all of it but the last
        token), so that the request, if it comes, finds it in llama.cpp's cache: while the
        user types, the model reads each keystroke as it comes instead of all of them at the
        pause. Cancelling stops it at its next step; what it evaluated stays. It is background
        work: it does not start while the model is busy (it would overwrite the cache a
        stream generates from) and stops when a request comes."""
        if not request.is_fim or not request.fim_template:
            return
        llama = await self.load()
        if self._turn.busy:
            return
        call = _Call(threading.Event())
        async with self._turn.hold(call.cancelled.set, background=True):
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._worker, self._read, llama, fim_prompt(request), call
                )
            finally:
                call.cancelled.set()

    def _read(self, llama: Any, prompt: str, call: _Call) -> None:
        """Read ``prompt`` up to the word being typed: its tokens change with each keystroke."""
        self._running = call
        if call.cancelled.is_set():
            return
        end = len(prompt)
        while end and (prompt[end - 1].isalnum() or prompt[end - 1] == "_"):
            end -= 1
        tokens = llama.tokenize(prompt[:end].encode(), special=True)
        self._prefill(llama, tokens, call, ahead=True)

    def _prefill(self, llama: Any, tokens: list[int], call: _Call, ahead: bool = False) -> bool:
        """Evaluate ``tokens`` (but the last, which generation evaluates) a few at a time,
        after the longest prefix llama.cpp still holds from the previous request; False when
        the request is cancelled meanwhile (what was evaluated stays for the next one).
        ``ahead``: for ``read``, whose tokens are counted apart."""
        import numpy as np  # llama-cpp-python's own dependency

        held = llama.input_ids[: llama.n_tokens]
        limit = min(len(held), len(tokens) - 1)
        differ = np.flatnonzero(held[:limit] != np.asarray(tokens[:limit], dtype=held.dtype))
        common = int(differ[0]) if len(differ) else limit
        placed = move_runs(llama, tokens, common) if common < limit else common
        self.counters["moved_prompt_tokens"] += placed - common
        if not ahead:
            self.counters["prompt_tokens"] += len(tokens)
            self.counters["reused_prompt_tokens"] += placed
        llama.n_tokens = placed  # the next evaluation drops what the cache holds beyond
        for at in range(placed, len(tokens) - 1, PREFILL_STEP):
            if call.cancelled.is_set():
                return False
            step = tokens[at : min(at + PREFILL_STEP, len(tokens) - 1)]
            llama.eval(step)
            if ahead:
                self.counters["read_ahead_tokens"] += len(step)
        return not call.cancelled.is_set()

    def _aborted(self, exc: RuntimeError, call: _Call) -> None:
        """Count an evaluation the cancel aborted; re-raise any other failure."""
        if _ABORTED not in str(exc) or not call.cancelled.is_set():
            raise exc
        self.counters["aborted"] += 1

    def _next(self, pieces: Iterator[str], call: _Call) -> object:
        """The next piece (worker thread); a piece finished after the request was cancelled
        is counted: that is model time spent for nobody."""
        self._running = call
        if call.cancelled.is_set():
            return _DONE
        try:
            piece = next(pieces, _DONE)
        except RuntimeError as exc:
            self._aborted(exc, call)
            return _DONE
        if piece is not _DONE:
            call.abortable = True  # (a chat prompt is read before its first piece)
            self.counters["tokens"] += 1
            if call.cancelled.is_set():
                self.counters["tokens_after_cancel"] += 1
        return piece

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        llama = await self.load()
        loop = asyncio.get_running_loop()
        call = _Call(threading.Event())
        self.counters["calls"] += 1
        task = asyncio.current_task()

        def give_way() -> None:  # background work, a request waits: stop, unanswered
            call.cancelled.set()
            if task is not None:
                task.cancel()

        written: list[str] = []
        ended = False  # on its own, not closed by the reader
        async with self._turn.hold(give_way, BACKGROUND.get()):
            try:
                pieces = await loop.run_in_executor(
                    self._worker, self._start, llama, request, usage, call
                )
                while pieces is not None:
                    piece = await loop.run_in_executor(self._worker, self._next, pieces, call)
                    if piece is _DONE:
                        ended = True
                        if usage is not None and not usage.prompt_tokens:
                            # chat streams report no usage: the context holds prompt + answer
                            usage.prompt_tokens = max(0, llama.n_tokens - usage.completion_tokens)
                        return
                    if piece:  # (chat streams also send an empty role chunk and a closing one)
                        if usage is not None:
                            usage.completion_tokens += 1
                        written.append(piece)
                        yield piece  # type: ignore[misc]
            except asyncio.CancelledError:
                self.counters["cancelled"] += 1
                raise
            finally:
                call.cancelled.set()  # the worker stops at its next step
                # Closing the generator on the worker thread ends llama.cpp's loop; queued
                # there, it runs before the next stream begins even if this wait is cancelled.
                closing = partial(self._close, None if ended else "".join(written))
                await asyncio.shield(loop.run_in_executor(self._worker, closing))

    async def status(self) -> BackendStatus:
        if not _llama_available():
            return BackendStatus(
                self.name,
                False,
                self.model,
                "llama-cpp-python is not installed",
                INSTALL_HINT,
            )
        try:
            path = await asyncio.get_running_loop().run_in_executor(None, self._model_path)
        except ModelFileError as exc:
            return BackendStatus(self.name, False, self.model, str(exc), INSTALL_HINT)
        return BackendStatus(self.name, True, self.model, f"model file {path}")

    async def aclose(self) -> None:
        self._llama = None
        self._worker.shutdown(wait=False, cancel_futures=True)
