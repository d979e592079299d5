"""The code a FIM prompt shows around a place: what comes before it and after it, within a
budget of characters, cut at line boundaries (completion and the fills of ``line_infill``),
and where a completion prompt splits what comes before (``middle_start``)."""

from __future__ import annotations

from ..documents import Document


def prefix_window(text: str, offset: int, budget: int, comment: str) -> str:
    """The text before ``offset`` within ``budget`` characters: the file's head (imports) and
    the lines nearest the cursor, the middle dropped (see ``window_start``)."""
    head_end, start = window_start(text, offset, budget)
    if not start:
        return text[:offset]
    marker = f"{comment} …\n" if comment else "\n"
    return text[:head_end] + marker + text[start:offset]


def window_start(text: str, offset: int, budget: int) -> tuple[int, int]:
    """(end of the kept head, start of the kept tail) of the text before ``offset``.

    The tail starts at a line found in steps of a quarter of the budget rather than a
    character at a time, so while the user types, the prompt's head stays the same, and the
    model's cache of it stays good, until the tail has grown by a quarter budget."""
    if offset <= budget:
        return 0, 0
    head_end = text.rfind("\n", 0, budget // 6) + 1
    tail_budget = budget - head_end
    step = max(tail_budget // 4, 1)
    start = -(-(offset - tail_budget) // step) * step  # rounded up to a step
    start = text.find("\n", start - 1, offset) + 1 or offset
    return (head_end, start) if start > head_end else (0, 0)


def suffix_window(text: str, offset: int, budget: int) -> str:
    """The text after ``offset`` within ``budget`` characters, ending at a line end."""
    cut = text[offset : offset + budget + 1]
    if len(cut) <= budget:
        return cut
    cut = cut[:budget]
    return cut[: cut.rfind("\n") + 1] if "\n" in cut else cut


def middle_start(doc: Document, offset: int, step_lines: int) -> int:
    """Where a completion prompt splits the code before ``offset``: the start of the last line
    whose number is a multiple of ``step_lines``, at or before the line of the last character
    typed (``offset`` itself with 0). The code after the split goes after the FIM template, as
    the answer's start (see ``GenerationRequest.middle``): while the user types on, at the end
    of a line or on the next lines, everything before it, suffix included, stays the same, so
    the model reads only the new keystrokes instead of the whole suffix again at each one.

    The split moves on with the first character of a line, not with the line break before it:
    people pause at a fresh line, and the model should not be reading the suffix again then."""
    if step_lines <= 0:
        return offset
    text, typed = doc.text, offset
    while typed and text[typed - 1].isspace():  # a fresh line counts as the line before it
        typed -= 1
    line = doc.position_at(max(typed - 1, 0))[0]
    return doc.offset_at(line - line % step_lines, 0)
