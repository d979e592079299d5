"""The repository prompt: the workspace's facts written as the files they come from."""

from __future__ import annotations

from goldcrest.config import CompletionSettings
from goldcrest.context.symbols import Definition
from goldcrest.languages import language_for
from goldcrest.prompts import family, fill
from goldcrest.tasks.completion_prompt import CompletionContext, build_request
from goldcrest.tasks.cursor import Cursor
from goldcrest.tasks.repo_context import outline, repo_context
from goldcrest.workspace.retrieval import Chunk, Retrieved, Snippet, choose

PY = language_for("python", "x.py")
JS = language_for("javascript", "x.js")


def definition(name: str, kind: str, signature: str, line: int, **more: str) -> Definition:
    return Definition(
        name, kind, signature, more.get("doc", ""), "file:///p/a.py", line, line + 3,
        more.get("container"),
    )  # fmt: skip


TABLE = definition("TaxTable", "class", "class TaxTable:", 3, doc="Tax rates by category.")
RATE = definition(
    "rate_for", "method", "def rate_for(self, category: str) -> float:", 8, container="TaxTable"
)
APPLY = definition("apply_discount", "function", "def apply_discount(price, percent):", 1)


def chunks(*found: tuple[str, Definition]) -> list[Chunk]:
    return choose(Retrieved(definitions=found), 10_000)


def test_a_python_outline_is_stubs_in_file_order_with_members_inside_their_class():
    code = outline(chunks(("pricing.py", RATE), ("pricing.py", APPLY), ("pricing.py", TABLE)), PY)
    assert code == (
        "def apply_discount(price, percent):\n    ...\n"
        'class TaxTable:\n    """Tax rates by category."""\n    ...\n'
        "    def rate_for(self, category: str) -> float:\n        ...\n"
    )


def test_a_member_without_its_class_gets_the_class_header():
    assert outline(chunks(("pricing.py", RATE)), PY).startswith("class TaxTable:\n    def rate_")


def test_a_brace_outline_closes_what_it_opens_and_keeps_docs_as_comments():
    axios = definition("Axios", "class", "class Axios", 0, doc="An instance.")
    request = definition("request", "method", "async request(url, config)", 2, container="Axios")
    helper = definition("merge", "function", "function merge(a, b)", 9)
    code = outline(chunks(("a.js", axios), ("a.js", request), ("a.js", helper)), JS)
    assert code == (
        "// An instance.\nclass Axios {\n    async request(url, config) {}\n}\n"
        "function merge(a, b) {}\n"
    )


def test_snippets_are_kept_as_they_are_between_the_stubs():
    found = Retrieved(
        definitions=(("pricing.py", APPLY),),
        snippets=(Snippet("pricing.py", "total", 20, "def total(xs):\n    return sum(xs)"),),
    )
    code = outline(choose(found, 10_000), PY)
    assert code.endswith("def total(xs):\n    return sum(xs)\n")


def test_the_repository_prompt_lists_each_file_once_and_the_current_file_last():
    fam = family("qwen2_5_coder")
    found = chunks(("pkg/pricing.py", APPLY), ("pkg/tax.py", TABLE))
    text = repo_context(fam, found, PY, "pkg/cart.py", "shop")
    assert text == (
        "<|repo_name|>shop\n"
        "<|file_sep|>pkg/pricing.py\ndef apply_discount(price, percent):\n    ...\n"
        '<|file_sep|>pkg/tax.py\nclass TaxTable:\n    """Tax rates by category."""\n    ...\n'
        "<|file_sep|>pkg/cart.py\n"
    )
    assert repo_context(family("codellama"), found, PY, "pkg/cart.py", "shop") == ""
    assert repo_context(fam, [], PY, "pkg/cart.py", "shop") == ""


def _context(workspace: list[Chunk]) -> CompletionContext:
    cursor = Cursor(line_before="    x = ", line_after="", next_lines=(), block_style="indent")
    return CompletionContext(
        "def f():\n    x = ", "\n", ("inside function f: def f():",), tuple(workspace),
        cursor, "cart.py", "python", "#", (0, 20), "pkg/cart.py", "shop",
    )  # fmt: skip


def test_the_request_carries_other_files_as_context_and_this_files_facts_as_comments():
    own = chunks(("pkg/cart.py", definition("Cart", "class", "class Cart:", 40)))
    ctx = _context(chunks(("pkg/pricing.py", APPLY)) + own)
    files = CompletionSettings(repo_prompt=True)
    request = build_request(ctx, family("qwen2_5_coder"), True, files)
    assert request.fim_context.startswith("<|repo_name|>shop\n<|file_sep|>pkg/pricing.py\n")
    assert request.fim_context.endswith("<|file_sep|>pkg/cart.py\n")
    assert "apply_discount" not in request.prefix
    assert "# pkg/cart.py: class Cart:" in request.prefix
    assert "# inside function f: def f():" in request.prefix

    flat = build_request(ctx, family("qwen2_5_coder"), True, CompletionSettings())
    assert flat.fim_context == ""
    assert "# pkg/pricing.py: def apply_discount(price, percent):" in flat.prefix
    other = build_request(ctx, family("starcoder2"), True, files)
    assert other.fim_context == "" and "apply_discount" in other.prefix


def test_filling_is_one_pass_so_a_value_may_hold_another_placeholder():
    prefix = 'label = f"{suffix}{prefix}"\n'
    assert fill("<P>{prefix}<S>{suffix}<M>", prefix=prefix, suffix="x") == f"<P>{prefix}<S>x<M>"
