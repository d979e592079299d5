"""One result per attempted item, and the JSON-lines file that makes runs resumable."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

log = logging.getLogger(__name__)

Key = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item for one model, variant and repeat."""

    suite: str
    item: str
    model: str  # the --models spec, e.g. "embedded" or "ollama:qwen2.5-coder:7b"
    variant: str  # "goldcrest" or a baseline name
    repeat: int
    answered: bool  # something was shown to the user
    passed: bool  # the item's tests pass with what was shown
    raw_ok: bool | None  # the model's raw output validates as is; None: no output
    shown_ok: bool | None  # what was shown validates; None: nothing shown
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    served_by: str  # "backend/model" of the answer, "" when there was none
    output: str | None  # what was shown
    raw: str | None  # the model's raw output
    detail: str = ""  # why it failed, in a few words
    tallies: dict[str, int] = field(default_factory=dict)  # suite-specific counts
    confidence: float | None = None  # the model's confidence in what was shown, when known

    @property
    def key(self) -> Key:
        return (self.suite, self.item, self.model, self.variant, self.repeat)


class ResultStore:
    """Results by key, appended to a JSON-lines file as they arrive: a stopped run resumes."""

    def __init__(self, path: Path, fresh: bool = False) -> None:
        self.path = path
        self._results: dict[Key, ItemResult] = {}
        if fresh:
            path.unlink(missing_ok=True)
        elif path.is_file():
            self._load()

    def _load(self) -> None:
        names = {f.name for f in fields(ItemResult)}
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    row = json.loads(line)
                    result = ItemResult(**{k: v for k, v in row.items() if k in names})
                except (ValueError, TypeError) as exc:  # a line cut short by an interruption
                    log.warning("%s:%d ignored: %s", self.path, number, exc)
                    continue
                self._results[result.key] = result

    def get(self, key: Key) -> ItemResult | None:
        return self._results.get(key)

    def add(self, result: ItemResult) -> None:
        self._results[result.key] = result
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
