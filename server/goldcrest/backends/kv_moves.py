"""Reuse what llama.cpp's cache holds further on in the new prompt, moved into place.

llama.cpp keeps the KV cache of the last prompt; a new prompt that only shares its start reads
everything after that again. When the user types on, a completion prompt often holds the old
prompt's later parts too, just further forward: the code window dropped some lines at its
start, or the split moved a few lines from after the suffix to before it (see
``tasks/windows.py``). Runs of at least ``MOVE_MIN`` tokens that come in the same order are
shifted to their new positions (llama.cpp re-rotates their keys), the tokens between are
dropped, and only what is left is read. This is llama.cpp server's ``--cache-reuse``, which
llama.vscode relies on; a moved run keeps what it computed next to its old neighbours, an
approximation that server accepts for the same reason: reading it again costs seconds here.
"""

from __future__ import annotations

from typing import Any

#: Fewest tokens a run must have to be moved rather than read again (llama.vscode asks the
#: server for 256; the runs here are a split's few lines, so fewer).
MOVE_MIN = 64


def move_runs(llama: Any, tokens: list[int], common: int) -> int:
    """Move the runs of the cache that ``tokens[:-1]`` holds after its first ``common``
    tokens (which the cache holds in place) to where ``tokens`` has them; returns how many of
    its tokens the cache now holds in place (``common`` when nothing moved). The caller sets
    ``llama.n_tokens`` to that and reads the rest."""
    import llama_cpp

    memory = llama_cpp.llama_get_memory(llama._ctx.ctx)
    if not llama_cpp.llama_memory_can_shift(memory):
        return common
    held = llama.input_ids[: llama.n_tokens].tolist()
    wanted = tokens[: len(tokens) - 1]  # the last token is read by generation
    cache_at = place_at = common
    while cache_at < len(held) and place_at < len(wanted):
        run = _run(held, cache_at, wanted, place_at)
        if run < MOVE_MIN:
            cache_at += 1
            continue
        llama_cpp.llama_memory_seq_rm(memory, 0, place_at, cache_at)
        llama_cpp.llama_memory_seq_add(memory, 0, cache_at, cache_at + run, place_at - cache_at)
        llama.input_ids[place_at : place_at + run] = held[cache_at : cache_at + run]
        cache_at, place_at = cache_at + run, place_at + run
    return place_at


def _run(held: list[int], at: int, wanted: list[int], start: int) -> int:
    """How many tokens from ``held[at]`` on equal those from ``wanted[start]`` on."""
    n, most = 0, min(len(held) - at, len(wanted) - start)
    while n < most and held[at + n] == wanted[start + n]:
        n += 1
    return n
