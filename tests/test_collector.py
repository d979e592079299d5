"""collector.settle: garbage goes, survivors are frozen out of later passes, and the frozen
garbage is collected every FULL_EVERY settles. Run in a child interpreter: freezing is
process-wide, and pytest's own objects are none of this test's business."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, weakref
    from goldcrest.collector import FULL_EVERY, settle

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return a

    garbage = weakref.ref(cycle())  # a cycle nobody holds: only a collection frees it
    kept = cycle()
    settle()
    assert garbage() is None, "garbage survived settle"
    assert gc.get_freeze_count() > 0, "nothing frozen"

    frozen_garbage = weakref.ref(kept)
    del kept  # now garbage, but frozen: ordinary passes leave it
    gc.collect()
    assert frozen_garbage() is not None, "a frozen object was collected by an ordinary pass"
    for _ in range(FULL_EVERY):
        settle()
    assert frozen_garbage() is None, "frozen garbage survived a full settle"
    assert gc.get_freeze_count() > 0
    print("ok")
    """
)


def test_settle_collects_freezes_and_now_and_then_collects_the_frozen() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
