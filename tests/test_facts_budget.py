"""The workspace facts' share of the prompt: a quarter taken from the code before the cursor,
or (``facts_tokens``) a budget of their own that leaves the code as it is without them."""

from __future__ import annotations

from collections.abc import Iterable

from goldcrest.context.symbols import Definition
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.tasks.completion_prompt import CompletionContext, gather
from goldcrest.workspace.offer import Offered
from goldcrest.workspace.retrieval import Retrieved, Snippet

PY = language_for("python", "cart.py")
#: 400 lines, far longer than a 1,024-token window
CODE = "".join(f"total_{i} = price_{i} * quantity_{i}\n" for i in range(400)) + "total = "


def definition(i: int) -> Definition:
    signature = f"def helper_{i}(price: float, quantity: int, discount: float = 0.0) -> float:"
    start = i * 5
    return Definition(
        f"helper_{i}", "function", signature, "", "file:///p/h.py", start, start + 3, None
    )


class Found:
    """A retriever that finds 12 definitions (retrieval's most) and a snippet wherever asked."""

    def retrieve(
        self, doc: Document, offset: int, open_docs: Iterable[Document], visible: tuple[int, int]
    ) -> Retrieved:
        snippet = "def cart_total(items):\n" + "    total = sum(i.price for i in items)\n" * 6
        return Retrieved(
            definitions=tuple(("h.py", definition(i)) for i in range(12)),
            snippets=(Snippet("orders.py", "cart_total", 3, snippet),),
        )

    def near(
        self, doc: Document, offset: int, open_docs: Iterable[Document], visible: tuple[int, int]
    ) -> tuple[str, ...]:
        return ()

    def offered(self, doc: Document, offset: int, open_docs: Iterable[Document]) -> Offered | None:
        return None

    def knows(self, name: str) -> bool | None:
        return None

    def defines(self, name: str) -> list[Definition] | None:
        return None


def _context(facts_tokens: int, with_facts: bool = True) -> CompletionContext:
    doc = Document("file:///p/cart.py", PY, 1, CODE)
    return gather(doc, len(CODE), [doc], 1024, Found(), with_facts, facts_tokens=facts_tokens)


def _size(context: CompletionContext) -> int:
    return sum(len(line) + 1 for chunk in context.workspace for line in chunk.lines)


def test_by_default_the_facts_take_a_quarter_out_of_the_code_before_the_cursor():
    bare, shared = _context(0, with_facts=False), _context(0)
    assert shared.workspace and _size(shared) <= int(1024 * 3.5) // 4
    assert len(shared.prefix) < len(bare.prefix)
    assert bare.prefix[-300:] == shared.prefix[-300:]  # the middle of the file goes first


def test_a_budget_of_their_own_leaves_the_code_as_it_is_and_holds_more_facts():
    bare, shared, own = _context(0, with_facts=False), _context(0), _context(512)
    assert own.prefix == bare.prefix and own.suffix == bare.suffix
    assert _size(shared) < _size(own) <= int(512 * 3.5)
    lines = [line for chunk in own.workspace for line in chunk.lines]
    assert "similar code in orders.py:" in lines
