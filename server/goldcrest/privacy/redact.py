"""Secret redaction: what a cloud model must never see is replaced before a request leaves.

The detectors (``privacy.detectors``: provider formats, URL credentials, secret-named values,
high-entropy strings) say exactly where each secret is; only that span is replaced, by a
placeholder such as ``<secret:password#1>``. Within one request the same secret always gets
the same placeholder, in every text that leaves (chat messages, FIM prefix and suffix, stop
strings, schema), so the model can still see that two places use one key; a secret found in
one place is replaced wherever else it appears. A second pass changes nothing: placeholders
are never taken for secrets. The values stay on the machine, so an answer that repeats a
placeholder can be given back its secret before it reaches the user's code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from ..backends.base import GenerationRequest
from .detectors import DETECTORS, PLACEHOLDER, Detector, Finding, Scope
from .detectors.base import word_char

#: A secret this long is also replaced where no detector saw it (a key used twice); a shorter
#: one could be an ordinary word elsewhere in the code.
_REUSE_MIN = 8


def _uses(text: str, value: str) -> Iterator[tuple[int, int]]:
    """Where ``value`` appears in ``text`` as a whole token (not inside a longer word)."""
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        before = start > 0 and word_char(value[0]) and word_char(text[start - 1])
        after = end < len(text) and word_char(value[-1]) and word_char(text[end])
        if not (before or after):
            yield start, end
        start = text.find(value, start + 1)


class Redactor:
    """One request's redaction: finds the secrets in all of its texts, then replaces them."""

    def __init__(self, detectors: Iterable[Detector] = DETECTORS, path: str | None = None):
        self._detectors = tuple(detectors)
        self._scope = Scope(path)
        self._labels: dict[str, str] = {}  # secret -> placeholder
        self._numbers: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        """How many secrets of each kind were replaced (occurrences, never values)."""

    @property
    def secrets(self) -> Mapping[str, str]:
        """Placeholder → secret, to put an answer's placeholders back (never logged)."""
        return {label: value for value, label in self._labels.items()}

    def scan(self, text: str) -> list[Finding]:
        """The secrets in ``text``, non-overlapping; each new value gets its placeholder."""
        for taken in PLACEHOLDER.finditer(text):  # numbering continues past earlier passes
            kind, number = taken.group()[8:-1].split("#")
            self._numbers[kind] = max(self._numbers[kind], int(number))
        found = [f for d in self._detectors for f in d.find(text, self._scope)]
        kept = _non_overlapping(found, [m.span() for m in PLACEHOLDER.finditer(text)])
        for finding in kept:
            value = text[finding.start : finding.end]
            if value not in self._labels:
                self._numbers[finding.kind] += 1
                self._labels[value] = f"<secret:{finding.kind}#{self._numbers[finding.kind]}>"
        return kept

    def apply(
        self, text: str, findings: list[Finding], cuts: tuple[int, ...] = ()
    ) -> tuple[str, list[int]]:
        """``text`` with the findings and any other use of a known secret replaced; each of
        ``cuts`` (where a FIM prompt's parts meet) is moved along, to the end of a secret it
        fell inside."""
        spans = [(f.start, f.end) for f in findings]
        taken = spans + [m.span() for m in PLACEHOLDER.finditer(text)]
        for value in sorted((v for v in self._labels if len(v) >= _REUSE_MIN), key=len)[::-1]:
            for start, end in _uses(text, value):
                if not any(start < e and s < end for s, e in taken):
                    spans.append((start, end))
                    taken.append((start, end))
        out, pos, new_cuts = [], 0, list(cuts)
        for start, end in sorted(spans):
            label = self._labels[text[start:end]]
            out += [text[pos:start], label]
            self.counts[label[8 : label.index("#")]] += 1
            for i, cut in enumerate(cuts):
                if start < cut:
                    new_cuts[i] += len(label) - (min(end, cut) - start)
            pos = end
        out.append(text[pos:])
        return "".join(out), new_cuts


def _non_overlapping(found: list[Finding], taken: list[tuple[int, int]]) -> list[Finding]:
    """Surest first, then widest: a finding that overlaps one already kept is dropped."""
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.priority, f.start - f.end, f.start)):
        if not any(finding.start < e and s < finding.end for s, e in taken):
            taken.append((finding.start, finding.end))
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


def redact(
    text: str, detectors: Iterable[Detector] = DETECTORS, path: str | None = None
) -> tuple[str, Counter[str]]:
    """``text`` with every secret replaced, and how many of each kind were found."""
    redactor = Redactor(detectors, path)
    cleaned, _ = redactor.apply(text, redactor.scan(text))
    return cleaned, redactor.counts


@dataclass(frozen=True)
class Redacted:
    """A request as it may leave, what was taken out of it (kinds and counts), and the way
    back for an answer that repeats a placeholder."""

    request: GenerationRequest
    counts: Counter[str]
    secrets: Mapping[str, str]

    def restore(self, text: str) -> str:
        """``text`` with this request's placeholders turned back into the secrets."""
        if not self.secrets or "<secret:" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self.secrets.get(m.group(), m.group()), text)


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string in it (tuples, lists, dicts, dataclasses)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, tuple | list):
        return type(value)(_walk(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _walk(v, fn) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _walk(getattr(value, f.name), fn) for f in fields(value)})
    return value


def redact_request(
    request: GenerationRequest, detectors: Iterable[Detector] = DETECTORS, path: str | None = None
) -> Redacted:
    """The request with secrets replaced in every text a model would see: all messages, the
    FIM prefix, middle and suffix (read as one text, in the code's order, so a string cut by
    the cursor is still seen whole), the FIM template, stop strings, the schema and extras."""
    redactor = Redactor(detectors, path)
    others = replace(request, prefix=None, middle="", suffix=None)
    prefix, middle = request.prefix or "", request.middle
    fim = prefix + middle + (request.suffix or "") if request.is_fim else None
    fim_found = redactor.scan(fim) if fim is not None else []
    found: list[list[Finding]] = []
    _walk(others, lambda text: found.append(redactor.scan(text)) or text)
    pending = iter(found)
    cleaned = _walk(others, lambda text: redactor.apply(text, next(pending))[0])
    if fim is not None:
        joined, (split, cut) = redactor.apply(
            fim, fim_found, (len(prefix), len(prefix) + len(middle))
        )
        suffix = joined[cut:] if request.suffix is not None else None
        cleaned = replace(cleaned, prefix=joined[:split], middle=joined[split:cut], suffix=suffix)
    return Redacted(cleaned, redactor.counts, redactor.secrets)
