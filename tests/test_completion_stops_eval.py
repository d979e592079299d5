"""`goldcrest eval`'s view of where completions stop and of the confidence cut: the
precision/answered curve, its column and chart, and the count of suggestions that run on into
the code that follows."""

from __future__ import annotations

from pathlib import Path

from goldcrest.evaluation.report import table, write_chart
from goldcrest.evaluation.results import ItemResult
from goldcrest.evaluation.suites.completion import repeats_following
from goldcrest.evaluation.summary import at_answered, curve, summarize


def result(item: str, passed: bool, sure: float | None, answered: bool = True) -> ItemResult:
    return ItemResult(
        suite="completion-single",
        item=item,
        model="embedded",
        variant="goldcrest",
        repeat=0,
        answered=answered,
        passed=passed,
        raw_ok=True,
        shown_ok=answered,
        latency_s=0.1,
        prompt_tokens=10,
        completion_tokens=5,
        served_by="embedded/m",
        output="x" if answered else None,
        raw="x",
        tallies={"repeats_suffix": int(item == "c")},
        confidence=sure,
    )


#: ten answers, the two least confident wrong, one more wrong in the middle, one unanswered
RESULTS = [
    *(result(f"ok{i}", True, -0.1 * i) for i in range(7)),
    result("c", False, -0.35),
    result("w1", False, -3.0),
    result("w2", False, -4.0),
    result("none", False, None, answered=False),
]


def test_the_curve_withholds_the_least_confident_first():
    points = curve(RESULTS)
    assert points[0] == (0.0, 1 / 11, 1.0)  # only the surest answer: right
    assert points[-1] == (-4.0, 10 / 11, 7 / 10)  # everything answered: the row's own figures
    assert (-0.35, 5 / 11, 4 / 5) in points  # the wrong one among the sure costs precision
    row = summarize(RESULTS)[0]
    assert at_answered(row, 0.7) == 7 / 8  # withholding the two unlikely wrong answers
    assert at_answered(row, 0.95) is None  # no cut answers more than the row already does


def test_answers_without_confidence_draw_no_curve():
    plain = [result("a", True, None), result("b", False, None)]
    assert curve(plain) == ()
    assert at_answered(summarize(plain)[0], 0.5) is None


def test_the_table_has_the_column_the_note_and_the_chart_the_curve(tmp_path: Path):
    rows = summarize(RESULTS)
    text = table(rows)
    header = text.splitlines()[0]
    assert "prec@90%" in header
    assert "1 shown end with the line that follows" in text
    write_chart(tmp_path / "chart.png", rows)
    with_curve = (tmp_path / "chart.png").stat().st_size
    write_chart(tmp_path / "bars.png", summarize([r for r in RESULTS if r.confidence is None]))
    assert with_curve > (tmp_path / "bars.png").stat().st_size  # the second panel is drawn


def test_a_suggestion_that_ends_with_the_line_that_follows_is_counted():
    prompt, suffix = "def f(x):\n", "    return x\n"
    assert repeats_following("    y = x\n    return x\n", prompt, suffix)
    assert not repeats_following("    y = x\n", prompt, suffix)
    assert not repeats_following("    if x:\n        return x\n", prompt, suffix)  # deeper
    # mid-line: the line that follows is the one after the cursor's
    assert repeats_following("1\n    return x", "    y = ", "\n    return x\n")
    assert not repeats_following("1", "    y = ", "\n    return x\n")
