"""One finished test run, and what it says as FACTS for a prompt.

``evidence`` turns a run into short lines a small model can use when it looks at one function:
the failing tests' messages, where inside the function they failed, and which of its lines the
failing tests ran and the passing ones did not. ``compare`` judges a candidate edit by two runs:
it must make failing tests pass without breaking passing ones.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .localize import Spectrum
from .results import Frame, TestOutcome

_MAX_FACT = 200
#: How much a line in every failing test's traceback adds to its Ochiai score (at most 1.0).
FRAME_WEIGHT = 0.25
_SPACES = re.compile(r"\s+")


def _one_line(text: str, lines: int = 2) -> str:
    """The first ``lines`` non-blank lines of ``text``, joined and shortened."""
    kept = [line.strip() for line in text.splitlines() if line.strip()][:lines]
    joined = _SPACES.sub(" ", "; ".join(kept))
    return joined if len(joined) <= _MAX_FACT else joined[: _MAX_FACT - 1] + "…"


@dataclass(frozen=True)
class TestRun:
    """The outcome of running some tests once in a sandbox.

    ``spectrum`` is set when one file was traced (``traced``, "/"-separated, relative to
    ``root``); ``sources`` are the texts the run used instead of the files on disk; ``problem``
    says why no test ran when none did (the command failed to start, collected nothing).
    """

    __test__ = False

    root: Path
    command: tuple[str, ...]
    tests: tuple[TestOutcome, ...]
    returncode: int | None
    timed_out: bool
    duration_s: float
    output: str
    isolated: bool
    traced: str | None = None
    spectrum: Spectrum | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """How many tests ended each way, e.g. ``{"passed": 7, "failed": 2}``."""
        return dict(Counter(test.outcome for test in self.tests))

    @property
    def failing(self) -> tuple[TestOutcome, ...]:
        return tuple(test for test in self.tests if test.failing)

    @property
    def passing(self) -> tuple[TestOutcome, ...]:
        return tuple(test for test in self.tests if test.outcome == "passed")

    @property
    def ok(self) -> bool:
        """Some test ran, none failed and the run finished in time."""
        return bool(self.passing) and not self.failing and not self.timed_out

    @property
    def line_scores(self) -> dict[int, float]:
        """Ochiai suspiciousness per 1-based line of the traced file (empty if untraced)."""
        return self.spectrum.scores() if self.spectrum else {}

    def suspicious(self) -> list[tuple[int, float]]:
        """Lines of the traced file, most suspicious first: the Ochiai score plus up to
        ``FRAME_WEIGHT`` for the share of failing tests whose traceback passes through the line
        (where they raised, recursed or were stopped). On QuixBugs the frames lift the buggy
        line into the top 3 for two more programs than Ochiai alone (bench/evidence_localize.py).
        """
        failing = self.failing
        through: Counter[int] = Counter()
        for test in failing:
            through.update({f.line for f in test.frames if f.path == self.traced})
        scores = {
            line: score + FRAME_WEIGHT * through[line] / max(1, len(failing))
            for line, score in self.line_scores.items()
            if score > 0
        }
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def summary(self) -> str:
        """One line: how many tests ran, how they ended, how long it took."""
        if not self.tests:
            head = f"no tests ran ({self.problem})" if self.problem else "no tests ran"
        else:
            parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
            head = f"{len(self.tests)} test{'s' if len(self.tests) != 1 else ''} ran: {parts}"
        tail = " (stopped at the time limit)" if self.timed_out else ""
        return f"{head} in {self.duration_s:.1f} s{tail}"

    def _relative(self, target: Path | str) -> str:
        path = Path(target)
        if path.is_absolute():
            try:
                return path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                return path.as_posix()
        return path.as_posix()

    def _code(self, rel: str, source: str | None) -> list[str]:
        if source is None:
            source = self.sources.get(rel)
        if source is None:
            try:
                source = (self.root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                source = ""
        return source.splitlines()

    def evidence(
        self,
        target: Path | str,
        first_line: int,
        last_line: int,
        source: str | None = None,
        limit: int = 3,
    ) -> list[str]:
        """FACTS lines about lines ``first_line..last_line`` (1-based) of ``target``; ``source``
        is the file's text when it differs from what the run saw."""
        rel = self._relative(target)
        code = self._code(rel, source)

        def quote(line: int) -> str:
            text = code[line - 1].strip() if 0 < line <= len(code) else ""
            return f": {text}" if text else ""

        facts = []
        if self.timed_out:
            facts.append("the test run was stopped at its time limit before it finished")
        failing = self.failing
        stopped = [test for test in failing if test.timed_out]
        if stopped:
            facts.append(_stopped_fact(stopped, rel, first_line, last_line, quote))
        failed = [test for test in failing if not test.timed_out]
        for test in failed[:limit]:
            fact = f"failing test {test.name}: {_one_line(test.message) or test.outcome}"
            inside = _inside(test, rel, first_line, last_line)
            if inside:
                fact += f" (raised at line {inside[-1].line}{quote(inside[-1].line)})"
            facts.append(fact)
        if len(failed) > limit:
            more = len(failed) - limit
            facts.append(f"{more} more test{'s fail' if more > 1 else ' fails'}")
        if self.passing and failing:
            passing = len(self.passing)
            facts.append(f"{passing} test{'s pass' if passing > 1 else ' passes'}")
        if self.spectrum is not None and self.traced == rel:
            facts += _spectrum_facts(self.spectrum, first_line, last_line, quote)
        return facts


def _inside(test: TestOutcome, rel: str, first: int, last: int) -> list[Frame]:
    return [f for f in test.frames if f.path == rel and first <= f.line <= last]


def _stopped_fact(
    stopped: list[TestOutcome], rel: str, first: int, last: int, quote: Callable[[int], str]
) -> str:
    """One fact for the tests stopped at the time limit, with the lines they were stopped at."""
    where = Counter(frames[-1].line for t in stopped if (frames := _inside(t, rel, first, last)))
    if len(stopped) == 1:
        fact = f"test {stopped[0].name} did not finish ({stopped[0].message})"
    else:
        fact = f"{len(stopped)} tests did not finish ({stopped[0].message}), e.g. {stopped[0].name}"
    if where:
        places = ", ".join(
            f"line {line}{quote(line)}"
            + (f" ({n} test{'s' if n > 1 else ''})" if len(stopped) > 1 else "")
            for line, n in where.most_common(3)
        )
        fact += f"; {'it was' if len(stopped) == 1 else 'they were'} running {places}"
    return fact


def _spectrum_facts(
    spectrum: Spectrum, first: int, last: int, quote: Callable[[int], str], most: int = 3
) -> list[str]:
    """The lines that stand out: the top-scored ones, when no more than ``most`` share it (a tie
    over the whole function says nothing)."""
    ranked = spectrum.ranked(first, last)
    if not ranked:
        return []
    top = [line for line, score in ranked if score == ranked[0][1]]
    if len(top) > most:
        return []
    out = []
    total_failed, total_passed = spectrum.failed_total, spectrum.passed_total
    for line in top:
        failed, passed = spectrum.hits[line]
        fails = (
            "every failing test"
            if failed == total_failed
            else f"{failed} of {total_failed} failing tests"
        )
        passes = "no passing one" if passed == 0 else f"{passed} of {total_passed} passing ones"
        out.append(f"line {line} ran in {fails} and {passes}{quote(line)}")
    return out


@dataclass(frozen=True)
class Comparison:
    """What a candidate's run changed against the run before it, by test id."""

    fixed: tuple[str, ...]  # failing before, passing after
    broken: tuple[str, ...]  # passing before, not passing after (or no longer run)
    still_failing: tuple[str, ...]

    @property
    def improves(self) -> bool:
        """It makes failing tests pass without breaking passing ones."""
        return bool(self.fixed) and not self.broken

    @property
    def keeps_passing(self) -> bool:
        """Every test that passed still does (what a refactor must do)."""
        return not self.broken

    def summary(self) -> str:
        parts = [f"{len(self.fixed)} fixed", f"{len(self.broken)} broken"]
        if self.still_failing:
            parts.append(f"{len(self.still_failing)} still failing")
        return ", ".join(parts)


def compare(before: TestRun, after: TestRun) -> Comparison:
    """Compare two runs of the same tests (say, the file as it is and a candidate fix)."""
    now = {test.id: test for test in after.tests}
    fixed, broken, still = [], [], []
    for test in before.tests:
        later = now.get(test.id)
        passes = later is not None and later.outcome == "passed"
        if test.outcome == "passed" and not passes:
            broken.append(test.id)
        elif test.failing:
            (fixed if passes else still).append(test.id)
    return Comparison(tuple(fixed), tuple(broken), tuple(still))
