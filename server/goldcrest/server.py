"""The Goldcrest language server: state shared by the feature handlers.

Handlers live in features/; this module holds what they share (documents, settings, the engine)
and how the server talks to the user (once per problem, never a traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from . import __version__
from .backends.base import BackendError
from .config import ConfigError, Settings, merge
from .documents import DocumentStore
from .engine import Engine
from .protocol import GoldcrestProtocol
from .stats import Stats
from .stdio import serve
from .tasks.typeahead import TypeAhead

if TYPE_CHECKING:
    from .workspace.indexer import WorkspaceIndex

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "goldcrest/status"
#: A request answered sooner than this never shows "thinking" (nor the "ready" after it).
THINKING_AFTER_S = 0.15
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_BACKEND_SECTIONS = ("backend", "ollama", "embedded", "cache", "tiers", "spend")


class LspReporter:
    """Tells the user about problems once (until resolved) and publishes status for clients:
    only changes of state, and "thinking" only for a request that takes a noticeable time."""

    def __init__(self, server: GoldcrestServer) -> None:
        self._server = server
        self._shown: set[str] = set()
        self._last: tuple[str, ...] | None = None  # the status the client has
        self._thinking: asyncio.TimerHandle | None = None  # "thinking", not yet shown

    def problem(self, key: str, message: str) -> None:
        self._server.log(message, types.MessageType.Warning)
        if key not in self._shown:
            self._shown.add(key)
            self._server.show(message, types.MessageType.Warning)

    def resolved(self, key: str, message: str) -> None:
        if key in self._shown:
            self._shown.discard(key)
            self._server.show(message, types.MessageType.Info)

    def status(
        self, state: str, backend: str, model: str, tier: str = "", message: str = ""
    ) -> None:
        status = (state, backend, model, tier, message)
        if self._thinking is not None:
            self._thinking.cancel()
            self._thinking = None
        if state == "thinking" and not message and self._last != status:
            with contextlib.suppress(RuntimeError):  # no loop: say it at once
                loop = asyncio.get_running_loop()
                self._thinking = loop.call_later(THINKING_AFTER_S, self._send, status)
                return
        self._send(status)

    def _send(self, status: tuple[str, ...]) -> None:
        self._thinking = None
        if status != self._last:
            self._last = status
            self._server.notify_status(*status)


class _LogForwarder(logging.Handler):
    """Sends the server's own log records to the editor as window/logMessage."""

    def __init__(self, server: GoldcrestServer) -> None:
        super().__init__()
        self._server = server

    def emit(self, record: logging.LogRecord) -> None:
        kind = (
            types.MessageType.Error
            if record.levelno >= logging.ERROR
            else types.MessageType.Warning
            if record.levelno >= logging.WARNING
            else types.MessageType.Info
            if record.levelno >= logging.INFO
            else types.MessageType.Log
        )
        with contextlib.suppress(Exception):  # the transport may be gone during shutdown
            self._server.log(record.getMessage(), kind)


class GoldcrestServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("goldcrest", __version__, protocol_cls=GoldcrestProtocol)
        self.settings = Settings()
        self.documents = DocumentStore()
        self.stats = Stats()
        self.reporter = LspReporter(self)
        self.engine = Engine(self.settings, self.reporter, self.stats)
        self.typeahead = TypeAhead()
        self.index: WorkspaceIndex | None = None  # built once the workspace folders are known
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        self._forwarder = _LogForwarder(self)
        logging.getLogger("goldcrest").addHandler(self._forwarder)

    # -- talking to the user ------------------------------------------------------------------
    def show(self, message: str, kind: types.MessageType) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def notify_status(
        self, state: str, backend: str, model: str, tier: str = "", message: str = ""
    ) -> None:
        self.protocol.notify(
            STATUS_NOTIFICATION,
            {
                "state": state,
                "backend": backend,
                "model": model,
                "tier": tier or backend or None,
                "message": message or None,
            },
        )

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, stdin read on the event loop (see stdio.py)."""
        serve(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)

    def shutdown(self) -> None:
        """The loop has ended (exit, or the editor went away): write the unwritten counters
        and answers."""
        self.engine.answer_cache.flush()
        self.engine.ledger.close()
        super().shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log unexpected errors; never show a traceback in the editor."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)

    # -- settings ------------------------------------------------------------------------------
    def apply_settings(self, update: dict[str, Any] | None, source: str) -> None:
        """Overlay ``update``; a bad value is reported once and the last good settings stay."""
        try:
            new = merge(self.settings, update, source)
        except ConfigError as exc:
            self.show(str(exc), types.MessageType.Error)
            return
        self.use_settings(new)

    def use_settings(self, new: Settings) -> None:
        old, self.settings = self.settings, new
        logging.getLogger("goldcrest").setLevel(_LEVELS[new.log_level])
        self._forwarder.setLevel(_LEVELS[new.log_level])
        old_dump, new_dump = old.model_dump(), new.model_dump()
        if any(old_dump[k] != new_dump[k] for k in _BACKEND_SECTIONS):
            retired = self.engine
            self.engine = Engine(new, self.reporter, self.stats)
            asyncio.get_event_loop().create_task(retired.aclose())
        else:
            self.engine.settings = new

    async def warm_up(self) -> None:
        """Pick a backend and load a local model ahead of the first request."""
        try:
            backend = await self.engine.refresh_choice()
            if backend is None:
                return
            try:
                await backend.warm_up()
            except BackendError as exc:
                self.reporter.problem(f"backend:{backend.name}", exc.user_message)
                return
            self.reporter.status("ready", backend.name, backend.model)
        except Exception:  # warm-up is best effort; requests report their own failures
            log.exception("warm-up failed")

    # -- request bookkeeping ------------------------------------------------------------------
    def supersede(self, key: str) -> None:
        """Make the current task the only live one for ``key``, cancelling an older one."""
        current = asyncio.current_task()
        previous = self._inflight.get(key)
        if previous is not None and previous is not current and not previous.done():
            previous.cancel()
        if current is not None:
            self._inflight[key] = current

    def finished(self, key: str) -> None:
        if self._inflight.get(key) is asyncio.current_task():
            del self._inflight[key]


def create_server() -> GoldcrestServer:
    """A server with every feature registered."""
    from .features import register_all

    server = GoldcrestServer()
    register_all(server)
    return server
