"""Acceptance, server side: every suggestion shown carries a command the client runs when the
user accepts it (``goldcrest.accepted`` ``{id, kind: full|word|line|applied, chars?}``); a fix
or refactor the user applies is counted, and one undone soon after (the document back to its
text before the edit, on a later didChange within ``UNDO_WINDOW_S``) is counted as undone.

Counting is a few dictionary operations on the loop; the acceptance log writes in the
background (learning/records.py). The router hears each suggestion shown and accepted; at
start (and when the engine is rebuilt) it is seeded from the log, so acceptance history
survives restarts. ``[telemetry] local_acceptance = false`` turns all of it off: items then
carry no command and nothing is written.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from lsprotocol import types

from ..learning.capture import Sent, capturing, last_by
from ..learning.records import AcceptanceLog, fold, read
from ..learning.report import rows
from ..learning.samples import cleaner
from ..routing.router import FailureHistory
from ..tasks.complete import Suggestion

if TYPE_CHECKING:
    from ..server import GoldcrestServer
    from ..tasks.rewrite import Outcome

ACCEPTED = "goldcrest.accepted"
KINDS = ("full", "word", "line", "applied")
#: An applied edit whose document is back to its old text within this long was undone.
UNDO_WINDOW_S = 120.0
_LIVE = 300  # suggestions whose accept can still be matched to what was sent


@dataclass
class _Live:
    """A suggestion or edit of this session, as long as its accept may still come."""

    id: str
    uri: str
    task: str
    text: str  # what is inserted (a suggestion) or the model's answer (an edit)
    sent: Sent | None
    offset: int = 0
    shown: bool = True  # False: prepared ahead, not shown yet
    sampled: int = -1  # characters of the last sample written
    before: str | None = None  # an edit: the document's text before it


@dataclass
class _State:
    log: AcceptanceLog | None = None
    live: OrderedDict[str, _Live] = field(default_factory=OrderedDict)
    ids: dict[Suggestion, str] = field(default_factory=dict)  # shown, command not yet made
    watches: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # uri: id, text, until
    seeded: FailureHistory | None = None  # the history the log was read into
    log_for: object = None  # the settings ``log`` was opened for (its path is theirs)


_states: WeakKeyDictionary[GoldcrestServer, _State] = WeakKeyDictionary()


def _state(ls: GoldcrestServer) -> _State:
    if (found := _states.get(ls)) is None:
        found = _states[ls] = _State()
    return found


def enabled(ls: GoldcrestServer) -> bool:
    return ls.settings.telemetry.local_acceptance


def _log(ls: GoldcrestServer) -> AcceptanceLog:
    own = _state(ls)
    if own.log is not None and own.log_for is ls.settings:
        return own.log  # (resolving the path costs more than the rest of a shown suggestion)
    own.log_for = ls.settings
    path = ls.settings.acceptance_path()
    if own.log is None or own.log.path != path:
        if own.log is not None:
            asyncio.get_running_loop().run_in_executor(None, own.log.close)
        own.log = AcceptanceLog(path, cleaner(lambda: ls.settings))
    return own.log


def _history(ls: GoldcrestServer) -> FailureHistory:
    """The router's history, seeded from the log once per engine (read off the loop)."""
    own, history = _state(ls), ls.engine.history
    if own.seeded is not history:
        own.seeded = history
        policy = ls.settings.routing
        path = ls.settings.acceptance_path()
        future = asyncio.get_running_loop().run_in_executor(None, read, path)
        future.add_done_callback(lambda f: _seed(history, f.result(), policy.acceptance_history_s))
    return history


def seed_router(ls: GoldcrestServer) -> None:
    """At start: read the acceptance history of earlier sessions into the router's (off the
    loop; requests meanwhile route without it)."""
    if enabled(ls):
        _history(ls)


def _seed(history: FailureHistory, events: list[dict[str, Any]], within_s: float) -> None:
    since = time.time() - within_s
    for event in events:
        if event.get("ev") == "shown" and event.get("ts", 0) >= since and event.get("tier"):
            history.shown(event.get("signature", ""), event["tier"], event["id"], event["ts"])
        elif event.get("ev") in ("accept", "applied"):
            history.accepted(event["id"])


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


def _remember(ls: GoldcrestServer, live: _Live) -> None:
    own = _state(ls)
    own.live[live.id] = live
    while len(own.live) > _LIVE:
        own.live.popitem(last=False)


def _show(ls: GoldcrestServer, live: _Live, latency_s: float, model: str, chars: int) -> None:
    """Count ``live`` as shown: in the log and in the router's history."""
    live.shown = True
    sent = live.sent
    tier, signature = (sent.tier, sent.signature) if sent else ("", "")
    _log(ls).add(
        "shown",
        live.id,
        ts=time.time(),
        task=live.task,
        tier=tier,
        model=model,
        language=sent.language if sent else "",
        signature=signature,
        latency_ms=round(1000 * latency_s, 1),
        chars=chars,
    )
    if sent is not None:
        _history(ls).shown(signature, tier, live.id)


def _continued(live: _Live, uri: str, found: Suggestion) -> bool:
    """``found`` is the rest of ``live`` after the user typed its beginning."""
    typed = found.offset - live.offset
    return (
        live.uri == uri
        and live.task == "complete"
        and 0 <= typed == len(live.text) - len(found.text)
        and live.text.endswith(found.text)
    )


def shown(
    ls: GoldcrestServer, uri: str, found: Suggestion, calls: list[Sent], latency_s: float
) -> None:
    """A completion is about to be shown: count it (a suggestion the user is typing through,
    or one prepared ahead, keeps its id) and keep the id for its item's command."""
    if not enabled(ls):
        return
    own = _state(ls)
    sent = last_by(calls, "", found.model) if found.source != "typeahead" else None
    if sent is not None:
        live = _Live(_new_id(), uri, "complete", found.text, sent, found.offset, shown=False)
        _remember(ls, live)
    else:  # the rest of a suggestion the user is typing through, or one prepared ahead
        live = next((v for v in reversed(own.live.values()) if _continued(v, uri, found)), None)
        if live is None:
            return  # no longer known: nothing to count it against
    if not live.shown:
        model = live.sent.model if live.sent else found.model
        _show(ls, live, latency_s, model, len(live.text))
    own.ids[found] = live.id
    while len(own.ids) > 8:
        del own.ids[next(iter(own.ids))]


def prepared(ls: GoldcrestServer, uri: str, found: Suggestion, calls: list[Sent]) -> None:
    """A suggestion made ahead of the user: counted only once it is shown."""
    if enabled(ls) and (sent := last_by(calls, "", found.model)) is not None:
        live = _Live(_new_id(), uri, "complete", found.text, sent, found.offset, shown=False)
        _remember(ls, live)


def command(ls: GoldcrestServer, found: Suggestion) -> types.Command | None:
    """The command a client runs when the user accepts ``found`` whole."""
    id = _state(ls).ids.pop(found, None)
    if id is None:
        return None
    return types.Command(
        title="Goldcrest: accepted", command=ACCEPTED, arguments=[{"id": id, "kind": "full"}]
    )


async def watched(work: Awaitable[Outcome]) -> tuple[Outcome, list[Sent], float]:
    """Run a fix or refactor, noting its model calls and how long it took (for ``offered``)."""
    began = time.perf_counter()
    with capturing() as calls:
        outcome = await work
    return outcome, calls, time.perf_counter() - began


def offered(
    ls: GoldcrestServer, task: str, outcome: Outcome, calls: list[Sent], latency_s: float
) -> str | None:
    """A fix or refactor edit offered for the document as it is now; its id, to report an
    apply with."""
    edit = outcome.edit
    doc = ls.documents.get(edit.uri) if edit is not None else None
    if not enabled(ls) or edit is None or doc is None:
        return None
    sent = _answer_with(calls, outcome.tier, edit.new_text)
    live = _Live(_new_id(), edit.uri, task, sent.answer if sent else "", sent)
    live.before = doc.text
    _remember(ls, live)
    _show(ls, live, latency_s, sent.model if sent else "", len(edit.new_text))
    return live.id


def _answer_with(calls: list[Sent], tier: str, new_text: str) -> Sent | None:
    """The call of ``tier`` whose answer holds the edit's code (best-of-N asks several)."""
    line = next((t.strip() for t in new_text.splitlines() if t.strip()), "")
    for sent in reversed(calls):
        if sent.tier == tier and (line in sent.answer or line in sent.answer.replace('\\"', '"')):
            return sent
    return None


def applied_command(id: str) -> types.Command:
    """The command a client runs after applying an edit's action."""
    return types.Command(
        title="Goldcrest: applied", command=ACCEPTED, arguments=[{"id": id, "kind": "applied"}]
    )


def accepted(ls: GoldcrestServer, args: dict[str, Any]) -> dict[str, Any]:
    """``goldcrest.accepted``: count an accept (whole, a word, a line) or an applied edit."""
    id, kind = args.get("id"), args.get("kind", "full")
    chars = args.get("chars")
    if not isinstance(id, str) or kind not in KINDS or not isinstance(chars, int | None):
        return {"counted": False, "problem": f"expected {{id, kind in {KINDS}, chars?}}"}
    if not enabled(ls):
        return {"counted": False, "problem": "telemetry.local_acceptance is off"}
    own = _state(ls)
    live = own.live.get(id)
    _log(ls).add("accept", id, ts=time.time(), kind=kind, chars=chars)
    _history(ls).accepted(id)
    if live is not None and live.sent is not None:
        take = len(live.text) if kind in ("full", "applied") or live.before is not None else 0
        if not take:  # word or line: the suggestion's start, as far as accepted so far
            take = min(len(live.text), max(live.sampled, 0) + (chars or 0))
        if take > live.sampled:
            live.sampled = take
            _log(ls).sample(id, live.task, live.sent, live.text[:take])
    if kind == "applied" and live is not None and live.before is not None:
        until = time.monotonic() + UNDO_WINDOW_S
        own.watches[live.uri] = (id, live.before, until)
    return {"counted": True}


def changed(ls: GoldcrestServer, uri: str) -> None:
    """After a didChange: an applied edit whose document is back to its old text is undone."""
    own = _state(ls)
    watch = own.watches.get(uri)
    if watch is None:
        return
    id, before, until = watch
    doc = ls.documents.get(uri)
    if doc is None or time.monotonic() > until:
        del own.watches[uri]
    elif len(doc.text) == len(before) and doc.text == before:
        del own.watches[uri]
        _log(ls).add("undone", id, ts=time.time())


def flush(ls: GoldcrestServer) -> None:
    """Write what is pending (shutdown, and before the counts are read)."""
    if (acceptance := _state(ls).log) is not None:
        acceptance.flush()


def summary(ls: GoldcrestServer) -> list[dict[str, Any]]:
    """Acceptance per tier, model, language and task over the whole log (a stats request)."""
    flush(ls)
    return [row.as_dict() for row in rows(fold(read(ls.settings.acceptance_path())).values())]
