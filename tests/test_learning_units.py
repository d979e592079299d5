"""Pure pieces of learning from use: folding the log, writing it when the disk refuses, cleaning
samples as for the cloud, the router's acceptance signal, choosing what to export."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest

from goldcrest.backends.base import GenerationRequest, Message
from goldcrest.config import RoutingSettings, Settings
from goldcrest.learning import records
from goldcrest.learning.capture import Sent, capturing, last_by, note
from goldcrest.learning.export import Filters, as_chat, as_fim, examples
from goldcrest.learning.records import AcceptanceLog, fold, read
from goldcrest.learning.report import rows
from goldcrest.learning.samples import cleaner
from goldcrest.routing.features import RouteFeatures
from goldcrest.routing.router import FailureHistory, route
from goldcrest.routing.tiers import Tier

STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
FIM = GenerationRequest(prefix=f'KEY = "{STRIPE}"\nx = ', suffix="\n", fim_template="<P>{prefix}")


def _sent(request: GenerationRequest = FIM, file: str | None = None) -> Sent:
    return Sent("local", "m", "complete:python:s8:n1:b0", "python", file, request, "ans")


def _shown(id: str, ts: float = 1.0, **extra: object) -> dict[str, object]:
    return {"ev": "shown", "id": id, "ts": ts, "task": "complete", "chars": 10, **extra}


def test_fold_tells_whole_partial_applied_and_undone() -> None:
    events = [
        _shown("a", latency_ms=100.0),
        _shown("b", latency_ms=300.0),
        _shown("c", latency_ms=200.0),
        {"ev": "accept", "id": "a", "kind": "word", "chars": 3},
        {"ev": "accept", "id": "a", "kind": "line", "chars": 4},
        {"ev": "accept", "id": "b", "kind": "word", "chars": 2},
        {"ev": "accept", "id": "b", "kind": "full"},
        {"ev": "accept", "id": "ghost", "kind": "full"},  # never shown: dropped
        {"ev": "sample", "id": "c", "withheld": True},
    ]
    found = fold(events)
    assert set(found) == {"a", "b", "c"}
    assert (found["a"].partial, found["a"].chars_accepted) == (True, 7)
    assert (found["b"].accepted, found["b"].chars_accepted) == (True, 10)
    assert found["c"].sample is None
    (row,) = rows(found.values())
    assert (row.shown, row.accepted, row.partial, row.chars) == (3, 1, 1, 17)
    assert row.as_dict()["p50_ms_accepted"] in (100.0, 300.0)
    assert row.as_dict()["p50_ms_ignored"] == 200.0
    applied = fold(
        [_shown("f", task="fix"), {"ev": "applied", "id": "f"}, {"ev": "undone", "id": "f"}]
    )
    assert applied["f"].accepted and applied["f"].undone


def test_log_keeps_events_while_the_disk_refuses(tmp_path: Path, monkeypatch) -> None:
    log = AcceptanceLog(tmp_path / "acceptance.jsonl", cleaner(Settings))
    real = records.append_line
    monkeypatch.setattr(
        records, "append_line", lambda path, line: (_ for _ in ()).throw(OSError(28, "full"))
    )
    log.add("shown", "a", ts=1.0)
    log.flush()
    assert read(log.path) == []
    monkeypatch.setattr(records, "append_line", real)
    log.add("accept", "a", kind="full")
    log.close()
    assert [e["ev"] for e in read(log.path)] == ["shown", "accept"]
    log.path.write_text(log.path.read_text() + "{half a line\n")
    assert len(read(log.path)) == 2


def test_samples_are_redacted_as_for_the_cloud(tmp_path: Path) -> None:
    clean = cleaner(lambda: Settings())
    sample = clean(_sent(), f'"{STRIPE}"')
    assert sample is not None and STRIPE not in json.dumps(sample)
    assert sample["prompt"]["prefix"] == 'KEY = "<secret:stripe_key#1>"\nx = '
    assert sample["accepted"] == '"<secret:stripe_key#1>"'  # one placeholder for both
    chat = GenerationRequest(messages=(Message("system", "S"), Message("user", "U")))
    assert clean(_sent(chat), "A")["prompt"] == {
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    }
    (tmp_path / ".git").mkdir()
    (tmp_path / ".goldcrestignore").write_text("private/\n")
    assert clean(_sent(file=str(tmp_path / "private" / "a.py")), "x") is None
    assert clean(_sent(file=str(tmp_path / "public.py")), "x") is not None
    bad = cleaner(lambda: Settings(privacy={"extra_patterns": ["("]}))
    assert bad(_sent(), "x") is None


def test_capture_notes_calls_only_inside_a_capture() -> None:
    features = RouteFeatures("complete", "python", code_chars=10)
    note("t", "m", features, FIM, "outside")
    with capturing() as calls:
        note("small", "m1", features, FIM, "one")
        note("big", "m2", features, FIM, "two")
    assert [c.answer for c in calls] == ["one", "two"]
    assert last_by(calls, "", "m1").answer == "one" and last_by(calls, "big", "").answer == "two"


def test_router_passes_over_a_rarely_accepted_tier() -> None:
    tiers = [Tier(n, backend=None, tasks=("complete",)) for n in ("small", "big")]  # type: ignore[arg-type]
    features = RouteFeatures("complete", "python", code_chars=500, nesting=2)
    sig = features.signature()
    policy = RoutingSettings(acceptance_min_shown=3, acceptance_rate=0.3)
    history = FailureHistory()
    for n in range(2):
        history.shown(sig, "small", f"k{n}")
    assert route(policy, features, tiers, history).order[0].name == "small"  # too little history
    history.shown(sig, "small", "k2")
    history.shown(sig, "small", "k2")  # the same suggestion again: counted once
    path = route(policy, features, tiers, history)
    assert path.order[0].name == "big" and "small: 0/3 similar suggestions accepted" in path.reasons
    history.accepted("k0")
    assert route(policy, features, tiers, history).order[0].name == "small"  # 1/3 >= 0.3
    off = RoutingSettings(acceptance_min_shown=3, acceptance_rate=0.0)
    history.shown(sig, "small", "k3", at=time.time() - 100)
    assert route(off, features, tiers, history).order[0].name == "small"
    assert history.acceptance(sig, "small", within_s=50) == (1, 3)  # k3 is older


def _record(id: str, ts: float, accepted: str, **fields: object) -> records.Record:
    sample = {
        "prompt": {"prefix": f"p{id}", "suffix": "", "fim_template": None},
        "accepted": accepted,
    }
    return records.Record(id, ts=ts, task="complete", accepted=True, sample=sample | fields)


def test_examples_filter_and_keep_the_latest_of_a_prompt() -> None:
    day = datetime.datetime(2026, 6, 1).timestamp()
    found = [
        _record("1", day, "old answer"),
        _record(
            "2",
            day + 10,
            "later answer",
            prompt={"prefix": "p1", "suffix": "", "fim_template": None},
        ),
        _record("3", day - 86400, "yesterday"),
        _record("4", day, "x"),
    ]
    chosen, counts = examples(found, Filters(datetime.date(2026, 6, 1), (), 2))
    assert [r.id for r in chosen] == ["2"] and counts.duplicates == 1
    assert as_fim(chosen[0]) == {
        "prefix": "p1",
        "suffix": "",
        "middle": "later answer",
        "language": "",
    }
    assert as_chat(chosen[0]) is None
    assert examples(found, Filters(tasks=("fix",)))[0] == []


@pytest.mark.parametrize("kind", ["word", "full"])
def test_partial_accepts_export_what_was_taken(kind: str) -> None:
    events = [
        _shown("a"),
        {"ev": "accept", "id": "a", "kind": kind, "chars": 4},
        {"ev": "sample", "id": "a", "prompt": {"prefix": "p", "suffix": "s"}, "accepted": "take"},
    ]
    (record,) = fold(events).values()
    chosen, _ = examples([record], Filters())
    assert as_fim(chosen[0])["middle"] == "take"
