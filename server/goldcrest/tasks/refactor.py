"""Named single-purpose refactors, each with its own prompt and its own idea of what may change.

All keep the function's name and parameters; extract_function may add one function, which the
original must then use; type_hints and docstring may change nothing but annotations or the
docstring (checked on the Python syntax tree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, get_args

from ..documents import Document
from ..engine import Engine
from ..routing.features import measure
from ..workspace.retrieval import Retriever
from . import pycheck
from .candidates import CLEAN, Rules, find_target, frozen_copy
from .facts import facts_block
from .rewrite import Job, Outcome, Verify, routed_rewrite
from .structured import chat_request, resample

TASK = "refactor"
Kind = Literal["simplify", "extract_function", "type_hints", "docstring"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: Refactors whose answer may change what the code does (type hints and docstrings are checked
#: on the syntax tree to change nothing else). No static check sees a changed behaviour, and the
#: embedded model's simplifications broke QuixBugs' tests in 12 of 18 offers, so without tests
#: to judge them they are withheld unless ``actions.unverified_refactors`` is on.
UNCHECKED: dict[Kind, str] = {"simplify": "Simplify", "extract_function": "Extract function"}


def _extracted(old: str, new: str) -> str:
    added = set(pycheck.defined_names(new)) - set(pycheck.defined_names(old))
    if len(added) != 1:
        return "it does not add exactly one new function"
    helper = added.pop()
    original = next(iter(pycheck.defined_names(old)), None)
    if not pycheck.uses(new, helper, within=original):
        return f"the new function `{helper}` is never called"
    return ""


def _hinted(old: str, new: str) -> str:
    if not pycheck.same_but_annotations(old, new):
        return "it changes code besides the type hints"
    if pycheck.annotation_count(new) <= pycheck.annotation_count(old):
        return "it adds no type hints"
    return ""


def _documented(old: str, new: str) -> str:
    if not pycheck.same_but_docstrings(old, new):
        return "it changes code besides the docstring"
    names = pycheck.defined_names(new)
    if not names or not pycheck.docstring_of(new, names[0]):
        return "it adds no docstring"
    return ""


RULES: dict[Kind, Rules] = {
    "simplify": Rules(keep_signature=True, repair_meaning=False),
    "extract_function": Rules(
        keep_signature=True, new_functions=1, check=_extracted, repair_meaning=False
    ),
    "type_hints": Rules(keep_signature=True, check=_hinted, repair_meaning=False),
    "docstring": Rules(keep_signature=True, check=_documented, repair_meaning=False),
}


def unchecked_problem(kind: Kind) -> str:
    """Why ``kind`` is withheld without tests, and the two ways to have it."""
    return (
        f"{UNCHECKED[kind]} can change what the code does, and no tests check this function. "
        'Turn on the project\'s tests ([actions] tests = "on" or "ask"), or allow unchecked '
        "rewrites ([actions] unverified_refactors = true)."
    )


async def refactor(
    doc: Document,
    start: int,
    end: int,
    kind: Kind,
    engine: Engine,
    *,
    documents: Iterable[Document] = (),
    retriever: Retriever | None = None,
    verify: Verify | None = None,
    tier: str | None = None,
    on_tier: Callable[[str], None] | None = None,
) -> Outcome:
    """A validated ``kind`` refactor of the function around ``doc.text[start:end]``, routed
    over the tiers: an answer that fails the checks (or, with ``verify``, breaks the project's
    passing tests) escalates. ``tier`` names the tier the user asked for. An ``UNCHECKED`` kind
    needs ``verify`` or ``actions.unverified_refactors``. With ``verify`` up to
    ``actions.best_of_tests`` answers are sampled, and the first that keeps the tests passing
    wins: the tests can tell a good rewrite from a bad one, so each sample is another chance."""
    if kind == "extract_function" and not doc.text[start:end].strip():
        return Outcome(None, "select the code to extract first")
    settings = engine.settings.actions
    snapshot = frozen_copy(doc)
    target = find_target(snapshot, start, end)
    if target.name is None and kind != "extract_function":
        return Outcome(None, "put the cursor inside a function")
    if kind in UNCHECKED and verify is None and not settings.unverified_refactors:
        return Outcome(None, unchecked_problem(kind))
    values = {
        "facts": facts_block(doc, target.start, documents, retriever),
        "language": doc.language.id,
        "code": target.code.rstrip(),
        "selection": doc.text[start:end].strip("\n"),
    }
    request = chat_request(
        f"refactor_{kind}",
        values,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )
    samples = 1 if verify is None else settings.best_of_tests
    job = Job(
        TASK,
        snapshot,
        target,
        lambda i, n: request if i == 0 else resample(request, i, settings.sample_temperature),
        samples,
        RULES[kind],
        CLEAN,
        verify,
    )
    features = measure(snapshot, target.start, target.end, TASK, len(values["facts"]))
    return await routed_rewrite(engine, job, features, tier, on_tier)
