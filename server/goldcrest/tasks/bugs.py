"""Listing likely bugs: one prompt that asks only for bugs, answered as schema-constrained JSON.

A scan is planned on a snapshot of the document (which units to look at, one request each) and
run unit by unit, so a caller can report progress, publish findings as they come and stop early.
Findings are in the snapshot's lines; ``findings.remap`` carries them over to later text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..context.scope import definitions_of
from ..documents import Document
from ..engine import Engine
from ..routing.cascade import Caller, Checked
from ..routing.features import RouteFeatures, measure
from ..workspace.retrieval import Retriever
from . import bug_fills, bug_rewrites
from .bug_answers import SCHEMA, BugList, Finding, agree, read_sample, settled
from .bug_rewrites import Probe
from .candidates import frozen_copy
from .facts import facts_block
from .findings import split_lines
from .rewrite import Verify
from .structured import ask_json, chat_request, resample

TASK = "bugs"
MAX_UNIT_LINES = 120
BUG_TOKENS = 400
MIN_VOTES = 2  # samples that must name a line before it is shown
_NOT_CODE = {"package_clause", "package_declaration", "preproc_include", "use_declaration"}


@dataclass(frozen=True)
class Unit:
    """Lines scanned together (0-based, inclusive): a function, or code outside functions."""

    first_line: int
    last_line: int
    label: str


@dataclass(frozen=True)
class Scan:
    """What to ask about one snapshot of a document."""

    uri: str
    version: int
    text: str
    units: tuple[Unit, ...]
    requests: tuple[GenerationRequest, ...]
    features: tuple[RouteFeatures, ...] = ()
    probes: tuple[Probe | None, ...] = ()  # per unit: how to ask for its function corrected


@dataclass(frozen=True)
class UnitResult:
    findings: tuple[Finding, ...]
    problem: str = ""  # why the unit could not be checked, fit to show a user
    tier: str = ""  # the tier whose answer it is


@dataclass(frozen=True)
class Evidence:
    """What the project's tests say about the scanned text: FACTS for lines [first, last]
    (0-based) of a unit, how suspicious each 0-based line is (failing tests run it and
    passing ones do not, or a failing test's traceback passes through it), and a ``verify``
    that runs them on a corrected text (when some fail)."""

    facts_for: Callable[[int, int], str]
    suspicious: Mapping[int, float] = field(default_factory=dict)
    verify: Verify | None = None


def _windows(first: int, last: int, label: str) -> list[Unit]:
    return [
        Unit(start, min(start + MAX_UNIT_LINES - 1, last), label)
        for start in range(first, last + 1, MAX_UNIT_LINES)
    ]


def units(doc: Document, lines: tuple[int, int] | None = None) -> list[Unit]:
    """Functions and methods overlapping ``lines`` (all when None), then the code outside them.

    Code outside functions counts only when some of it is more than imports, comments and
    docstrings; long units are cut into windows a small model can take in.
    """
    first, last = lines if lines is not None else (0, doc.line_count - 1)
    found: list[Unit] = []
    covered: set[int] = set()
    for definition in definitions_of(doc):
        if definition.kind == "class":
            covered.add(definition.start_line)  # its methods are units of their own
        if definition.kind not in ("function", "method"):
            continue
        covered.update(range(definition.start_line, definition.end_line + 1))
        if definition.end_line >= first and definition.start_line <= last:
            found += _windows(definition.start_line, definition.end_line, definition.name)
    rest = [
        n
        for n in _code_lines(doc)
        if first <= n <= last
        and n not in covered
        and doc.line(n).strip()
        and not doc.line(n).lstrip().startswith("@")  # a decorator
    ]
    if rest and (lines is not None or len(rest) >= 3):
        found += _windows(rest[0], rest[-1], f"lines {rest[0] + 1}-{rest[-1] + 1}")
    return sorted(found, key=lambda u: u.first_line)


def function_names(doc: Document, lines: tuple[int, int] | None = None) -> list[str]:
    """The functions and methods overlapping ``lines`` (all when None): whose tests to run."""
    first, last = lines if lines is not None else (0, doc.line_count - 1)
    return list(
        dict.fromkeys(
            d.name
            for d in definitions_of(doc)
            if d.kind in ("function", "method") and d.end_line >= first and d.start_line <= last
        )
    )


def _code_lines(doc: Document) -> list[int]:
    """Lines of top-level statements that can hold a bug (not imports, comments, docstrings)."""
    if doc.tree is None:
        return [n for n in range(doc.line_count) if doc.line(n).strip()]
    lines: list[int] = []
    for node in doc.tree.root_node.named_children:
        if node.type in _NOT_CODE or "import" in node.type or "comment" in node.type:
            continue
        if node.type == "expression_statement" and all(
            child.type == "string" for child in node.named_children
        ):
            continue
        lines += range(node.start_point.row, node.end_point.row + 1)
    return lines


def _numbered(doc: Document, unit: Unit) -> str:
    width = len(str(unit.last_line + 1))
    return "\n".join(
        f"{n + 1:>{width}} | {doc.line(n)}" for n in range(unit.first_line, unit.last_line + 1)
    )


def plan_scan(
    doc: Document,
    documents: Iterable[Document],
    settings: ActionSettings,
    lines: tuple[int, int] | None = None,
    retriever: Retriever | None = None,
    evidence: Evidence | None = None,
) -> Scan:
    """The units of ``doc`` to scan (within ``lines``, else the whole file), their prompts and
    what the router measures of each."""
    planned = units(doc, lines)
    others = list(documents)
    snapshot = frozen_copy(doc)
    requests, features, probes = [], [], []
    for unit in planned:
        offset = doc.offset_at(unit.first_line, len(doc.line(unit.first_line)))
        facts = facts_block(doc, offset, others, retriever)
        tests = evidence.facts_for(unit.first_line, unit.last_line) if evidence else ""
        facts += f"{tests}\n\n" if tests else ""
        end = doc.offset_at(unit.last_line, len(doc.line(unit.last_line)))
        features.append(measure(doc, doc.offset_at(unit.first_line, 0), end, TASK, len(facts)))
        probes.append(bug_rewrites.probe(snapshot, unit.first_line, unit.last_line, facts))
        values = {
            "facts": facts,
            "path": doc.uri.rsplit("/", 1)[-1],
            "language": doc.language.id,
            "code": _numbered(doc, unit),
        }
        requests.append(
            chat_request(
                "bugs",
                values,
                temperature=settings.temperature,
                max_tokens=min(settings.max_tokens, BUG_TOKENS),
                schema=SCHEMA,
            )
        )
    return Scan(
        doc.uri,
        doc.version,
        doc.text,
        tuple(planned),
        tuple(requests),
        tuple(features),
        tuple(probes),
    )


@dataclass(frozen=True)
class _Plan:
    """How many answers one tier gives about a unit: the near misses of its lines filled in
    (0 or 1 sample), JSON bug lists, then corrected versions."""

    asks: int
    repairs: int
    fills: int = 0

    @property
    def total(self) -> int:
        return self.fills + self.asks + self.repairs


def _plan(
    call: Caller, scan: Scan, index: int, settings: ActionSettings, verify: Verify | None
) -> _Plan:
    """A cloud tier answers once (it reads JSON well); a local one ``bug_samples`` times plus
    ``bug_rewrites`` corrected versions when the unit is a whole function, or, when failing
    tests can prove one right, up to ``best_of_tests`` (sampling stops at the first pass);
    without such tests, a whole function's lines filled in are one more sample."""
    if call.cloud:
        return _Plan(1, 0)
    if not scan.probes or scan.probes[index] is None:
        return _Plan(settings.bug_samples, 0)
    fills = int(verify is None and settings.bug_fills > 0)
    if not settings.bug_rewrites:
        return _Plan(settings.bug_samples, 0, fills)
    most = (
        settings.bug_rewrites
        if verify is None
        else max(settings.bug_rewrites, settings.best_of_tests)
    )
    return _Plan(settings.bug_samples, most, fills)


@dataclass
class _Samples:
    found: list[dict[int, str]] = field(default_factory=list)
    proven: dict[int, str] = field(default_factory=dict)  # lines a test-passing version changes
    problem: str = ""
    near_misses: bug_fills.NearMisses | None = None  # the fill sample, counted last (votes)

    @property
    def votes(self) -> list[dict[int, str]]:
        """Every sample, the fill sample last: a finding quotes the first sample naming its
        line, and a model's own words say more than the fill it would have written."""
        return self.found + ([self.near_misses.votes] if self.near_misses is not None else [])

    @property
    def fills(self) -> bug_fills.NearMisses:
        return self.near_misses or bug_fills.NearMisses()

    def settled(self, planned: int) -> bool:
        """More samples, up to ``planned``, cannot change which lines are kept."""
        fills = self.fills
        return settled(self.votes, planned, _needed(planned), fills.sure, fills.natural)


async def _samples(
    call: Caller,
    scan: Scan,
    index: int,
    plan: _Plan,
    settings: ActionSettings,
    engine: Engine,
    verify: Verify | None,
    suspicious: Mapping[int, float] | None = None,
) -> _Samples:
    """Up to ``plan`` readable answers about one unit, each read into anchored findings; stops
    as soon as more samples could not change the outcome, or a corrected version passes the
    project's tests. With failing tests the most suspicious lines are filled in first, and a
    fill that passes them ends it before any sample is asked for."""
    unit, lines = scan.units[index], split_lines(scan.text)
    got = _Samples()
    probe = scan.probes[index] if plan.repairs or plan.fills else None
    if verify is not None and probe is not None and suspicious:
        stats = engine.stats
        proven = await bug_rewrites.fill_suspects(call, probe, suspicious, settings, stats, verify)
        if proven:  # proof, at the cost of a few tokens: what the samples say would add doubt
            got.proven = proven
            return got
    if plan.fills and probe is not None:
        top = settings.bug_fills
        got.near_misses = await bug_fills.near_misses(call, probe, settings, engine.stats, top)
    for n in range(plan.asks):
        request = scan.requests[index]
        if n:
            request = resample(request, n, settings.sample_temperature)
        answer = await ask_json(call, TASK, request, BugList, engine.stats)
        if answer.value is None:
            got.problem = answer.problem
            if not got.found and n == 0:
                return got  # no readable answer at all: this tier failed
            continue
        got.found.append(read_sample(answer.value, unit.first_line, unit.last_line, lines))
        if (verify is None or not plan.repairs) and got.settled(plan.total):
            return got  # (a correction that passes the tests could still prove a line)
    for n in range(plan.repairs if probe is not None else 0):
        repair = await bug_rewrites.ask(
            call, probe, settings, n, plan.repairs, engine.stats, verify
        )
        if repair is None:
            break
        if repair.proven:
            got.proven = repair.findings
            break
        got.found.append(repair.findings)
        if verify is None and got.settled(plan.total):
            break
    return got


def _needed(planned: int) -> int:
    return min(MIN_VOTES, planned)


async def check_unit(
    scan: Scan,
    index: int,
    engine: Engine,
    settings: ActionSettings,
    *,
    tier: str | None = None,
    on_tier: Callable[[str], None] | None = None,
    evidence: Evidence | None = None,
) -> UnitResult:
    """Ask about one unit of ``scan``, routed on its own; findings in the scan's lines.

    A tier fails when none of its answers is readable; findings that only one sample names are
    disputed, which scores low and so escalates while the budget lasts (the agreed findings
    stay as the fallback).
    """
    unit = scan.units[index]
    problems: list[str] = []
    suspicious = evidence.suspicious if evidence is not None else None
    verify = evidence.verify if evidence is not None else None

    async def attempt(call: Caller) -> Checked[tuple[Finding, ...]] | None:
        plan = _plan(call, scan, index, settings, verify)
        got = await _samples(call, scan, index, plan, settings, engine, verify, suspicious)
        if not got.found and not got.proven:
            problems.append(got.problem)
            return None
        agreed = agree(
            got.votes,
            min_votes=_needed(plan.total),
            suspicious=suspicious,
            proven=got.proven,
            sure=got.fills.sure,
            natural=got.fills.natural,
        )
        kept = tuple(f for f in agreed.findings if f.confidence >= settings.min_confidence)
        return Checked(kept, 0.5 if agreed.disputed else 1.0)

    features = scan.features[index] if scan.features else RouteFeatures(TASK)
    routed = await engine.run(
        TASK, features, attempt, budget_s=settings.timeout_s, tier=tier, on_tier=on_tier
    )
    if routed is None:
        why = problems[-1] if problems and problems[-1] else "no model answered"
        return UnitResult((), f"{unit.label}: {why}")
    return UnitResult(routed.value, "", routed.tier)


async def list_bugs(
    doc: Document,
    engine: Engine,
    *,
    lines: tuple[int, int] | None = None,
    documents: Iterable[Document] = (),
    evidence: Evidence | None = None,
    tier: str | None = None,
) -> tuple[list[Finding], list[str]]:
    """Every finding in ``doc`` (or in ``lines``), and the problems met: the whole scan at once."""
    settings = engine.settings.actions
    scan = plan_scan(doc, documents, settings, lines, evidence=evidence)
    found: list[Finding] = []
    problems: list[str] = []
    for index in range(len(scan.units)):
        result = await check_unit(scan, index, engine, settings, tier=tier, evidence=evidence)
        found += result.findings
        problems += [result.problem] if result.problem else []
    return found, problems
