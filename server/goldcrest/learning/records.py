"""The acceptance log: what was shown, what the user accepted, applied or undid, on disk.

Events are kept in memory (no disk write on the keystroke path) and appended to a JSON-lines
file in the state dir by a background thread every ``FLUSH_S`` seconds and at close, with the
same durable append as the other logs (``statefiles.append_line``): a crash loses at most the
last second, several editors can share the file, and a disk that refuses writes keeps the
events in memory until it allows them (said once).

A ``shown`` event carries no code. Only when a suggestion is accepted (or a fix applied) does
a ``sample`` event keep what was sent and what was accepted, redacted in the writer thread by
the cloud guard's rules; a file the privacy rules keep from the cloud leaves no sample.
Readers fold the events by suggestion id (``fold``).
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..statefiles import append_line, say_once
from .capture import Sent

log = logging.getLogger(__name__)

FLUSH_S = 1.0
#: Turns a captured call and the accepted text into a sample's fields, or None to keep none.
Clean = Callable[[Sent, str], dict[str, Any] | None]


@dataclass
class Record:
    """One suggestion or edit as the events tell it."""

    id: str
    ts: float = 0.0
    task: str = ""
    tier: str = ""
    model: str = ""
    language: str = ""
    signature: str = ""
    latency_ms: float = 0.0
    chars: int = 0
    accepted: bool = False  # fully (a whole suggestion, an applied edit)
    partial_chars: int = 0  # characters accepted word by word or line by line
    undone: bool = False
    sample: dict[str, Any] | None = None

    @property
    def chars_accepted(self) -> int:
        return self.chars if self.accepted else self.partial_chars

    @property
    def partial(self) -> bool:
        return not self.accepted and self.partial_chars > 0


class AcceptanceLog:
    """The events of this process: kept in memory, appended to ``path`` in the background."""

    def __init__(self, path: Path, clean: Clean) -> None:
        self.path = path
        self._clean = clean
        self._lock = threading.Lock()  # guards the pending events
        self._io = threading.Lock()  # one writer of the file at a time
        self._pending: list[dict[str, Any] | tuple[str, str, Sent, str]] = []
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_periodically, daemon=True)
        self._writer.name = "goldcrest-acceptance"
        self._writer.start()
        atexit.register(self.close)

    def add(self, event: str, id: str, **fields: Any) -> None:
        """One event (``shown``, ``accept``, ``applied``, ``undone``) for suggestion ``id``."""
        self._queue({"ev": event, "id": id, **fields})

    def sample(self, id: str, task: str, sent: Sent, accepted: str) -> None:
        """Keep what was sent for ``id`` and the text the user took (cleaned when written)."""
        self._queue((id, task, sent, accepted))

    def _queue(self, item: dict[str, Any] | tuple[str, str, Sent, str]) -> None:
        with self._lock:
            self._pending.append(item)

    def _write_periodically(self) -> None:
        while not self._stop.wait(FLUSH_S):
            self.flush()

    def flush(self) -> None:
        """Append the pending events; on failure they wait for the next try."""
        with self._io:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            lines = [json.dumps(self._line(item), ensure_ascii=False) for item in batch]
            try:
                append_line(self.path, "\n".join(lines))
            except OSError as exc:
                with self._lock:
                    self._pending[:0] = [json.loads(line) for line in lines]
                say_once(
                    f"acceptance-unwritable:{self.path}",
                    f"Goldcrest: the acceptance log {self.path} cannot be written ({exc}); "
                    "events are kept in memory and written when the disk allows.",
                )

    def _line(self, item: dict[str, Any] | tuple[str, str, Sent, str]) -> dict[str, Any]:
        if isinstance(item, dict):
            return item
        id, task, sent, accepted = item
        try:
            fields = self._clean(sent, accepted)
        except Exception:  # a sample is a bonus: never lose the events over one
            log.exception("could not clean a sample for the acceptance log")
            fields = None
        return {"ev": "sample", "id": id, "task": task, **(fields or {"withheld": True})}

    def close(self) -> None:
        """Stop the background thread and write what is left (later events wait for a
        ``flush``)."""
        atexit.unregister(self.close)
        self._stop.set()
        if self._writer.is_alive() and self._writer is not threading.current_thread():
            self._writer.join(timeout=5.0)
        self.flush()


def read(path: Path) -> list[dict[str, Any]]:
    """Every event in the log, oldest first; lines that do not parse are skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            events.append(event)
    return events


def fold(events: Iterable[dict[str, Any]]) -> dict[str, Record]:
    """The records the events describe, by id; events for an id never shown are dropped."""
    records: dict[str, Record] = {}
    for event in events:
        kind, id = event.get("ev"), event["id"]
        if kind == "shown":
            fields = {k: v for k, v in event.items() if k in _SHOWN}
            records.setdefault(id, Record(id, **fields))
            continue
        record = records.get(id)
        if record is None:
            continue
        if kind == "accept":
            if event.get("kind") in ("full", "applied"):
                record.accepted = True
            else:
                record.partial_chars += int(event.get("chars") or 0)
        elif kind == "applied":
            record.accepted = True
        elif kind == "undone":
            record.undone = True
        elif kind == "sample" and not event.get("withheld"):
            record.sample = event
    return records


_SHOWN = ("ts", "task", "tier", "model", "language", "signature", "latency_ms", "chars")
