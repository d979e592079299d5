"""The pure pieces behind the editor actions: reading JSON and code out of answers, judging
rewrites, carrying findings over edits, the Python checks."""

from __future__ import annotations

import pytest

from goldcrest.documents import DocumentStore
from goldcrest.tasks import pycheck
from goldcrest.tasks.bug_answers import BugList, Finding, agree, read_sample, settled
from goldcrest.tasks.bug_rewrites import changed
from goldcrest.tasks.bugs import units
from goldcrest.tasks.candidates import (
    CLEAN,
    PARSES,
    REJECTED,
    Rules,
    find_target,
    judge,
    minimal_edit,
)
from goldcrest.tasks.code_answer import extract_code, reindent
from goldcrest.tasks.confidence import departure
from goldcrest.tasks.findings import remap
from goldcrest.tasks.structured import close_truncated, compact_schema, parse_answer

BUG = '{"line": 2, "code": "return a - b", "message": "wrong op"}'


@pytest.mark.parametrize(
    ("text", "raw_ok", "found"),
    [
        ('{"bugs": []}', True, 0),
        (f'{{"bugs": [{BUG}]}}', True, 1),
        (f'```json\n{{"bugs": [{BUG}]}}\n```', False, 1),
        (f'Sure, here it is: {{"bugs": [{BUG}]}} Hope it helps!', False, 1),
        (f"[{BUG}]", False, 1),  # a bare list where an object was asked for
        (f'{{"bugs": [{BUG}, {{"line": 3, "co', False, 1),  # cut off at max_tokens
        ('{"bugs": [{"line": "2", "code": "a - b", "message": "wrong op", "sure": 1}]}', False, 1),
        ('{"bugs": [{"line": 2, "message": "no quote"}]}', False, 0),  # unanchorable: dropped
        ('{"issues": [{"line": 2}]}', False, None),  # an inner list is not the answer
        ('{"bugs": "none"}', False, None),
        ("ROLE: You are a careful code reviewer.", False, None),
    ],
)
def test_bug_lists_are_read_tolerantly_but_only_in_the_right_shape(text, raw_ok, found):
    parsed = parse_answer(text, BugList)
    assert parsed.raw_ok is raw_ok
    assert (None if parsed.value is None else len(parsed.value.bugs)) == found


def test_close_truncated_keeps_complete_elements_only():
    assert close_truncated('{"a": [1, 2, {"b": 3}, {"c"') == '{"a": [1, 2, {"b": 3}]}'
    assert close_truncated('{"a": 1}') is None


def test_schema_is_compact():
    schema = compact_schema(BugList)
    assert "$defs" not in schema and "title" not in str(schema)
    assert schema["properties"]["bugs"]["maxItems"] == 5


def _doc(text: str, uri: str = "file:///t.py"):
    return DocumentStore().open(uri, "python", 1, text)


def _bugs(*bugs: tuple[int, str, str]) -> BugList:
    return BugList.model_validate(
        {"bugs": [{"line": n, "code": code, "message": m} for n, code, m in bugs]}
    )


def test_findings_are_anchored_by_their_quote_not_their_number():
    lines = ["def f(a, b):", "    total = a", "    total -= b", "    return total", "", "x = 1"]
    bugs = _bugs(
        (2, "total -= b", "should add b"),  # numbered one line too high: the quote wins
        (4, "12 |     return total", "copied numbering"),  # the prompt's "12 | " is ignored
        (3, "total *= b", "quote nowhere in the unit"),
        (3, "x = 1", "quote outside the unit"),
        (5, "", "no quote"),
    )
    found = read_sample(bugs, 0, 3, lines)
    assert found == {2: "should add b", 3: "copied numbering"}


def test_a_quote_found_twice_anchors_to_the_nearest_line():
    lines = ["def f(xs):", "    i = 0", "    while i < len(xs):", "        i = 0", "    i = 0"]
    assert read_sample(_bugs((4, "i = 0", "resets i forever")), 0, 4, lines) == {
        3: "resets i forever"
    }


def test_agreement_keeps_lines_two_samples_name_and_scores_disputes():
    samples = [{2: "adds", 5: "off by one"}, {2: "should add"}, {7: "maybe"}]
    agreed = agree(samples, min_votes=2)
    (finding,) = agreed.findings
    assert (finding.start_line, finding.message) == (2, "adds")
    assert finding.confidence == pytest.approx(2 / 3)
    assert agreed.disputed  # lines 5 and 7 had one vote each
    assert not agree([{2: "a"}, {2: "b"}], min_votes=2).disputed
    assert agree([{}, {}], min_votes=2) == agree([], min_votes=2)


def test_a_sure_line_is_kept_on_one_vote_as_if_agreed_on():
    samples = [{2: "a"}, {}, {}, {4: "the fill"}]
    (finding,) = agree(samples, min_votes=2, sure={4}).findings
    assert (finding.start_line, finding.message, finding.confidence) == (4, "the fill", 0.5)
    assert agree(samples, min_votes=2).findings == ()


def test_a_natural_line_needs_one_vote_more():
    samples = [{4: "a"}, {4: "b"}, {}, {}]
    assert agree(samples, min_votes=2, natural={4}).findings == ()
    assert len(agree([*samples, {4: "c"}], min_votes=2, natural={4}).findings) == 1
    assert not settled(samples[:2], planned=3, min_votes=2, natural={4})  # a third may agree
    assert settled(samples[:2], planned=3, min_votes=2)
    assert settled([{4: "a"}], planned=2, min_votes=2, sure={4})


def test_departure_is_how_sure_the_model_was_where_the_fill_leaves_the_code():
    tokens = [("return", -0.01), (" [", -0.3), ("n", -0.02), ("]", -0.0)]
    assert departure("    return []", "return [n]\n", tokens) == -0.3  # "[]" may be one token
    tokens = [("n", -0.5), (" &=", -0.04), (" n", -3.0), (" - 1", -0.0)]
    assert departure("n ^= n - 1", "n &= n - 1", tokens) == -0.04  # only the token with "&"
    tokens = [("n ", -0.5), ("&=", -0.04), (" n", -3.0), (" - 1", -0.0)]
    assert departure("n ^= n - 1", "n &= n - 1", tokens) == -0.5  # and the one ending there
    assert departure("x = 1", "x = 1\ny = 2", [("x", -1.0)]) is None  # it does not depart
    assert departure("x = 1", "x = 12", []) is None  # no log-probabilities


def test_test_evidence_ranks_findings_on_suspicious_lines_first():
    samples = [{2: "a", 6: "b"}, {2: "a", 6: "b"}]
    agreed = agree(samples, min_votes=2, suspicious={6: 0.9})
    assert [f.start_line for f in agreed.findings] == [6, 2]
    assert agreed.findings[0].severity == "error" and agreed.findings[1].severity == "warning"


def test_sampling_stops_when_more_samples_cannot_change_the_outcome():
    assert not settled([{2: "a"}], planned=3, min_votes=2)  # two more could agree on anything
    assert settled([{2: "a"}, {2: "b"}], planned=3, min_votes=2)
    assert not settled([{2: "a"}, {3: "b"}], planned=3, min_votes=2)  # a third may side
    assert settled([{}, {}], planned=3, min_votes=2)


def test_units_skip_imports_and_docstrings():
    text = 'import os\n\n\ndef f():\n    return 1\n\n\n"""\nDocs\nmore docs\n"""\n'
    assert [(u.first_line, u.last_line, u.label) for u in units(_doc(text))] == [(3, 4, "f")]


def test_findings_follow_moved_lines_and_drop_changed_ones():
    old = "a\nb\nc\nd\n"
    new = "new\na\nb\nC\nd\n"
    items = [Finding(1, 1, "on b", "error", 1.0), Finding(2, 2, "on c", "error", 1.0)]
    assert remap(items, old, new) == [Finding(2, 2, "on b", "error", 1.0)]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("```python\ndef f():\n    pass\n```", "def f():\n    pass\n"),
        ("Fixed:\n```py\ndef f():\n    pass\n```\nExplanation...", "def f():\n    pass\n"),
        ("def f():\n    pass", "def f():\n    pass\n"),
        ("```python\nprint(1)\n```\n```python\ndef f():\n    pass\n```", "def f():\n    pass\n"),
        ("Just prose, no fence but ``` marks", None),
    ],
)
def test_code_is_read_from_answers(answer, code):
    assert extract_code(answer, prefer="def f") == code


def test_reindent_moves_code_to_the_target_indentation():
    assert reindent("def m(self):\n    return 1\n", "    ") == "    def m(self):\n        return 1"


SRC = "import os\n\nclass A:\n    def m(self, x):\n        y = x + 1\n        return y\n"


@pytest.mark.parametrize(
    ("answer", "level", "reason"),
    [
        ("def m(self, x):\n    y = x + 2\n    return y", CLEAN, ""),
        ("def m(self, x):\n    return x + zz", PARSES, "undefined name(s) `zz`"),
        ("def m(self, x):\n    y = x + 1  # same\n    return y", REJECTED, "changed nothing"),
        ("def m(self, x)\n    return x", REJECTED, "fails to parse at line 1"),
        ("def m(self, x, z):\n    return x + z", PARSES, "changes the parameters of `m`"),
        ("def n(self, x):\n    return x + 2", REJECTED, "no longer defines `m`"),
        ("def m(self, x):\n    return x + 2\n\ndef k():\n    pass", REJECTED, "adds functions"),
        ("def m(self, x):\n    return x + 2\n\nprint(A().m(1))", CLEAN, ""),  # example dropped
    ],
)
def test_judge_grades_rewrites(answer, level, reason):
    doc = _doc(SRC)
    target = find_target(doc, SRC.index("y = x"), SRC.index("y = x"))
    assert (target.name, target.indent, target.first_line) == ("m", "    ", 3)
    candidate = judge(doc, target, f"```python\n{answer}\n```", Rules(keep_signature=False))
    assert candidate.level == level
    assert reason in candidate.reason


def test_minimal_edit_touches_only_changed_lines():
    doc = _doc(SRC)
    target = find_target(doc, SRC.index("y = x"), SRC.index("y = x"))
    edit = minimal_edit(doc, target, "    def m(self, x):\n        y = x + 2\n        return y")
    assert (edit.start, edit.end, edit.new_text) == ((4, 0), (4, 17), "        y = x + 2")


def test_python_checks():
    plain = "def f(x, y=1):\n    z = x + y\n    return z\n"
    hinted = "def f(x: int, y: int = 1) -> int:\n    z: int = x + y\n    return z\n"
    documented = 'def f(x, y=1):\n    """Add."""\n    z = x + y\n    return z\n'
    assert pycheck.same_but_annotations(plain, hinted) and pycheck.annotation_count(hinted) == 4
    assert pycheck.same_but_docstrings(plain, documented)
    assert not pycheck.same_but_docstrings(plain, hinted)
    assert pycheck.signature(plain, "f") == pycheck.signature(hinted, "f")
    assert pycheck.uses("def g():\n    pass\n\ndef f():\n    return g()\n", "g", within="f")


def test_findings_that_say_nothing_are_dropped():
    lines = ["def f(a, i, j, k):", "    a[i, j] = min(a[i, j], a[i, k] + a[j, k])", ""]
    same = "a[i, j] = min(a[i, j], a[i, k] + a[j, k])"
    bugs = _bugs(
        (2, same, f"The expression {same} is incorrect; it should be {same}"),  # no change
        (2, same, same),  # only the code
        (2, same, "The sum should be a[i, k] + a[k, j]."),  # a real claim
    )
    assert read_sample(bugs, 0, 1, lines) == {1: "The sum should be a[i, k] + a[k, j]."}


def test_a_correction_is_read_as_the_lines_it_changes():
    old = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total"
    spaced = old.replace("total += x", "total  +=  x")
    assert changed(old, spaced, 10) == {}  # spacing is not a change
    fixed = old.replace("total = 0", "total = 1")
    assert changed(old, fixed, 10) == {11: "A corrected version has `total = 1` here."}
    added = old.replace("    return total", "        x += 1\n    return total")
    assert changed(old, added, 10) == {13: "A corrected version adds `x += 1` after this line."}
    removed = old.replace("        total += x\n", "")
    assert changed(old, removed, 0) == {3: "A corrected version removes this line."}
