"""The document's UTF-8 buffer (``Document.source``): patched in place per keystroke, shared
with a request's copy, and copied only when an edit comes while such a copy is alive."""

from __future__ import annotations

import gc
import random

from goldcrest.documents import DocumentStore, TextChange


def _doc(text: str):
    return DocumentStore().open("file:///t.py", "python", 1, text)


def test_copies_alive_during_edits_keep_their_bytes() -> None:
    rng = random.Random(13)
    doc = _doc("".join(f"def f{i}(x):\n    return x + {i}  # é😀\n\n" for i in range(200)))
    alive = []
    for step in range(400):
        line = rng.randrange(doc.line_count)
        at = (line, rng.randrange(len(doc.line(line)) + 1))
        if rng.random() < 0.3:  # a request in flight (sometimes a copy of a copy)
            base = alive[-1] if alive and rng.random() < 0.3 else doc
            view = base.around(base.offset_at(*at))
            alive.append(view)
            alive.append(doc.edited(0, 0, "# ahead\n"))  # (its own buffer)
        if alive and rng.random() < 0.4:
            alive.pop(rng.randrange(len(alive)))
            gc.collect()
        insert = rng.choice(["x", "\n", "é", "😀", "", "  "])
        end = at if rng.random() < 0.8 else (line, len(doc.line(line)))
        doc.apply_changes(doc.version + 1, [TextChange(at, end, insert)])
        assert bytes(doc.source) == doc.text.encode(), step
        for view in alive:
            assert bytes(view.source) == view.text.encode(), step


def test_a_keystroke_after_its_request_is_done_copies_nothing() -> None:
    doc = _doc("def f(x):\n    return x\n" * 1000)
    buffer = doc.source
    view = doc.around(doc.offset_at(1, 12))
    assert view.source is buffer  # shared while the request runs
    del view
    gc.collect()
    doc.apply_changes(2, [TextChange((1, 12), (1, 12), " + 1")])
    assert doc.source is buffer  # patched in place
    view = doc.around(doc.offset_at(1, 16))
    doc.apply_changes(3, [TextChange((1, 16), (1, 16), " + 2")])
    assert doc.source is not buffer and bytes(view.source) == view.text.encode()
