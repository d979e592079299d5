"""Half-typed code in a long file: a request's copy finds the scopes around the cursor by
parsing its region again, not the whole file (context/scope.py ``enclosing_scopes``)."""

from __future__ import annotations

from typing import Any

import pytest

from goldcrest.context.scope import enclosing_scopes
from goldcrest.documents import Document, DocumentStore

CLASSES = "".join(
    f"class C{i} {{\n  int f{i}(int a) {{\n    return a + {i};\n  }}\n}}\n\n" for i in range(3000)
)


@pytest.mark.parametrize("tail", ["  }\n}\n", ""])
def test_a_folded_class_at_the_end_of_a_long_file_is_reparsed_locally(
    tail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = CLASSES + "class A {\n  void m() {\n    int x = foo.\n" + tail
    offset = text.index("foo.") + len("foo.")
    doc = DocumentStore().open("file:///A.java", "java", 1, text)
    view = doc.around(offset)
    assert view.region is not None
    parsed: list[Any] = []
    parse_ranges = Document.parse_ranges

    def spy(self: Document, ranges: Any, source: Any) -> Any:
        parsed.append(ranges)
        return parse_ranges(self, ranges, source)

    monkeypatch.setattr(Document, "parse_ranges", spy)
    found = [(s.kind, s.name) for s in enclosing_scopes(view, offset)]
    assert found == [("method", "m"), ("class", "A")]
    assert parsed and all(ranges is not None for ranges in parsed)  # the region, not the file
    assert found == [(s.kind, s.name) for s in enclosing_scopes(doc, offset)]
