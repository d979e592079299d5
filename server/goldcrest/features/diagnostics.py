"""Bug findings as diagnostics (source "goldcrest"): published per document as each scanned unit
is done, carried along when the text moves, dropped when the lines they point at change, and
replaced region by region when the code is scanned again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from lsprotocol import types

from ..documents import Document
from ..routing.router import Refused
from ..tasks.bug_answers import Finding
from ..tasks.bugs import check_unit, function_names, plan_scan
from ..tasks.findings import remap, remap_span
from .progress import WorkDone
from .test_trust import evidence_for

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

SOURCE = "goldcrest"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
SURE = 0.7  # below this confidence an "error" is shown as a warning
_LINE_END = 1 << 30  # a column past any line's end: offset_at clamps it to the end


@dataclass
class _Findings:
    text: str  # the text the findings' lines refer to
    findings: list[Finding] = field(default_factory=list)


class FindingStore:
    """The findings of each document, kept in step with its text."""

    def __init__(self) -> None:
        self._docs: dict[str, _Findings] = {}

    def get(self, doc: Document) -> list[Finding]:
        """The findings, moved to the document's current text."""
        self.refresh(doc)
        entry = self._docs.get(doc.uri)
        return list(entry.findings) if entry else []

    def refresh(self, doc: Document) -> bool:
        """Carry the findings over to the current text; True when any moved or vanished."""
        entry = self._docs.get(doc.uri)
        if entry is None or entry.text is doc.text:
            return False
        moved = remap(entry.findings, entry.text, doc.text)
        changed = moved != entry.findings
        self._docs[doc.uri] = _Findings(doc.text, moved)
        return changed

    def replace(
        self, doc: Document, scanned_text: str, lines: tuple[int, int], found: list[Finding]
    ) -> None:
        """Findings of a scan of ``lines`` of ``scanned_text`` replace those in that region."""
        self.refresh(doc)
        entry = self._docs.setdefault(doc.uri, _Findings(doc.text))
        region = remap_span(*lines, scanned_text, doc.text)
        kept = [
            f
            for f in entry.findings
            if region is None or f.end_line < region[0] or f.start_line > region[1]
        ]
        kept += remap(found, scanned_text, doc.text)
        entry.findings = sorted(kept, key=lambda f: (f.start_line, f.end_line))

    def forget(self, uri: str) -> None:
        self._docs.pop(uri, None)


_stores: WeakKeyDictionary[GoldcrestServer, FindingStore] = WeakKeyDictionary()


def store(ls: GoldcrestServer) -> FindingStore:
    """The server's findings."""
    return _stores.setdefault(ls, FindingStore())


def lsp_diagnostic(doc: Document, finding: Finding) -> types.Diagnostic:
    first = doc.line(finding.start_line)
    start = types.Position(line=finding.start_line, character=len(first) - len(first.lstrip()))
    end_line, end_character = doc.position_at(doc.offset_at(finding.end_line, _LINE_END))
    end = types.Position(line=end_line, character=end_character)
    severity = _SEVERITY[finding.severity]
    if severity == types.DiagnosticSeverity.Error and finding.confidence < SURE:
        severity = types.DiagnosticSeverity.Warning
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=finding.message,
        severity=severity,
        source=SOURCE,
        code="bug",
        data={"confidence": finding.confidence},
    )


def publish(ls: GoldcrestServer, doc: Document) -> None:
    diagnostics = [lsp_diagnostic(doc, f) for f in store(ls).get(doc)]
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version)
    )


def refresh_findings(ls: GoldcrestServer, uri: str) -> None:
    """After an edit: republish when findings moved or were dropped."""
    doc = ls.documents.get(uri)
    if doc is not None and store(ls).refresh(doc):
        publish(ls, doc)


def forget_findings(ls: GoldcrestServer, uri: str) -> None:
    """After close: the findings go with the document."""
    store(ls).forget(uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@dataclass(frozen=True)
class ScanSummary:
    units: int  # how many units were checked
    findings: int  # findings published for the scanned region
    problems: tuple[str, ...]
    cancelled: bool


async def scan(
    ls: GoldcrestServer,
    doc: Document,
    lines: tuple[int, int] | None,
    tier: str | None = None,
) -> ScanSummary:
    """Scan ``lines`` of ``doc`` (the whole file when None) unit by unit, each routed on its own,
    publishing as it goes; a whole-file scan shows cancellable progress naming the tier at work.
    ``tier``: the tier the user asked for (``"strongest"`` or a name). When the workspace's
    tests may run, they run first and what they say is evidence for every unit."""
    settings = ls.settings.actions
    plan = plan_scan(doc, ls.documents, settings, lines, ls.index)
    checked: list[Finding] = []
    problems: list[str] = []

    async def run_all(work: WorkDone) -> None:
        nonlocal plan
        tests = await evidence_for(ls, doc, function_names(doc, lines), work.note)
        evidence = tests.for_bugs() if tests is not None else None
        if evidence is not None:
            plan = plan_scan(doc, ls.documents, settings, lines, ls.index, evidence)
        for index, unit in enumerate(plan.units):
            where = f"{unit.label} ({index + 1}/{len(plan.units)})"
            work.report(index, len(plan.units), where)
            result = await check_unit(
                plan,
                index,
                ls.engine,
                settings,
                tier=tier,
                on_tier=lambda name, where=where: work.note(f"{where}: {name} is working"),
                evidence=evidence,
            )
            problems.extend([result.problem] if result.problem else [])
            current = ls.documents.get(doc.uri)
            if current is None:
                return
            if not result.problem:
                checked.extend(result.findings)
                span = (unit.first_line, unit.last_line)
                store(ls).replace(current, plan.text, span, list(result.findings))
                publish(ls, current)

    async with WorkDone(ls, "Goldcrest: listing bugs", visible=lines is None) as work:
        try:
            _, cancelled = await work.run(run_all(work))
        except Refused as exc:
            return ScanSummary(0, 0, (str(exc),), False)
    return ScanSummary(len(plan.units), len(checked), tuple(problems), cancelled)
