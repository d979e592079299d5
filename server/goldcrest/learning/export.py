"""``goldcrest export``: the accepted suggestions and kept edits as a training set.

Two formats the common trainers read without conversion (TRL's ``sft``, Axolotl, Unsloth):

- ``chat.jsonl``: ``{"messages": [system, user, ..., assistant]}``, the messages exactly as
  Goldcrest sent them and, as the assistant's turn, what the user took (the suggestion as
  inserted; a fix's or refactor's answer as the model wrote it).
- ``fim.jsonl``: ``{"prefix", "suffix", "middle", "text"}`` for completions sent as fill-in-the-
  middle (``prefix``: all the code before the cursor); ``text`` is the prompt as sent (the
  model family's FIM prompt, then the code since the prompt's split) followed by the middle,
  the string a completion-only trainer needs.

Every prompt is redacted as for the cloud (see samples.py). Duplicates (the same prompt) keep
the latest answer; an edit the user undid is left out. A held-out split (``*.heldout.jsonl``)
takes whole files, chosen by a seeded hash, so no held-out prompt shares its code with a
training one; it is the same on every run over the same data.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..prompts import fill
from .records import Record, fold, read

HELDOUT_SHARE = 0.1
SPLIT_SEED = "goldcrest-export-1"
FILES = ("chat.jsonl", "chat.heldout.jsonl", "fim.jsonl", "fim.heldout.jsonl")


@dataclass(frozen=True)
class Filters:
    since: datetime.date | None = None
    tasks: tuple[str, ...] = ()  # empty: every task
    min_chars: int = 0


@dataclass
class Exported:
    """How many examples went where, and how many were left out and why."""

    written: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    undone: int = 0
    no_sample: int = 0  # accepted, but nothing to learn from (withheld file, older session)


def examples(records: Iterable[Record], filters: Filters) -> tuple[list[Record], Exported]:
    """The accepted records that pass ``filters``, one per distinct prompt (the latest)."""
    since = (
        datetime.datetime.combine(filters.since, datetime.time()).timestamp()
        if filters.since
        else 0.0
    )
    counts = Exported()
    kept: dict[str, Record] = {}
    for record in sorted(records, key=lambda r: r.ts):
        if not (record.accepted or record.partial) or record.ts < since:
            continue
        if filters.tasks and record.task not in filters.tasks:
            continue
        if record.undone:
            counts.undone += 1
            continue
        sample = record.sample
        if sample is None:
            counts.no_sample += 1
            continue
        if len(sample["accepted"].strip()) < max(filters.min_chars, 1):
            continue
        key = _key(sample["prompt"])
        counts.duplicates += key in kept
        kept.pop(key, None)
        kept[key] = record
    return list(kept.values()), counts


def _key(prompt: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(prompt, sort_keys=True).encode()).hexdigest()


def heldout_groups(groups: Iterable[str], share: float = HELDOUT_SHARE) -> set[str]:
    """The groups (files) held out: a seeded-hash order, the first ``share`` of them, at least
    one when there are two or more."""
    ordered = sorted(
        set(groups), key=lambda g: hashlib.sha256(f"{SPLIT_SEED}:{g}".encode()).hexdigest()
    )
    if len(ordered) < 2:
        return set()
    return set(ordered[: max(1, math.floor(share * len(ordered)))])


def _group(record: Record) -> str:
    """What a held-out example must not share with a training one: its file."""
    return (record.sample or {}).get("file") or record.id


def as_chat(record: Record) -> dict[str, Any] | None:
    sample = record.sample or {}
    messages = sample["prompt"].get("messages")
    if not messages:
        return None
    reply = {"role": "assistant", "content": sample["accepted"]}
    return {"messages": [*messages, reply], "task": record.task, "language": record.language}


def as_fim(record: Record) -> dict[str, Any] | None:
    sample = record.sample or {}
    prompt = sample["prompt"]
    if "prefix" not in prompt:
        return None
    middle, begun = sample["accepted"], prompt.get("middle", "")  # (the code since the split)
    out = {
        "prefix": prompt["prefix"] + begun,
        "suffix": prompt["suffix"],
        "middle": middle,
        "language": record.language,
    }
    if template := prompt.get("fim_template"):
        sent = fill(template, prefix=prompt["prefix"], suffix=prompt["suffix"]) + begun
        out["text"] = sent + middle
    return out


def export(log: Path, out: Path, filters: Filters) -> Exported:
    """Write the four files under ``out`` from the acceptance log ``log``."""
    chosen, counts = examples(fold(read(log)).values(), filters)
    held = heldout_groups(_group(r) for r in chosen)
    files: dict[str, list[dict[str, Any]]] = {name: [] for name in FILES}
    for record in chosen:
        split = ".heldout" if _group(record) in held else ""
        if (chat := as_chat(record)) is not None:
            files[f"chat{split}.jsonl"].append(chat)
        if (fim := as_fim(record)) is not None:
            files[f"fim{split}.jsonl"].append(fim)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        partial = out / f".{name}.{os.getpid()}.tmp"
        partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        partial.replace(out / name)
        counts.written[name] = len(rows)
    return counts
