"""The code a FIM prompt shows around a place: what comes before it and after it, within a
budget of characters, cut at line boundaries (completion and the fills of ``line_infill``)."""

from __future__ import annotations


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
