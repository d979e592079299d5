"""Keeping the garbage collector's full passes off the keystroke path.

A full pass visits every object the collector tracks. After the workspace index is built, and
again after each file it re-indexes, those are hundreds of thousands (definitions, cached
lookups), and a pass that fell inside a completion request cost it 2–7 ms (young passes) to
40–100 ms (full ones): most of the first request's p99 after a save
(bench/bench_retrieval.py, "first at the cursor"). ``settle`` runs where the server has just
done slow work anyway: it collects what is garbage now, then freezes what is alive, so later
passes visit only what requests make.
"""

from __future__ import annotations

import gc
import itertools

FULL_EVERY = 64
"""Every this many settles, the frozen objects are collected too: garbage that was alive when
it was frozen (a finished task's reference cycle) is otherwise kept until the server exits."""

_settles = itertools.count(1)


def settle() -> None:
    """Collect the garbage among the objects not frozen yet, then freeze the survivors."""
    if next(_settles) % FULL_EVERY == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
