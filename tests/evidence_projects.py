"""Small generated projects for the tests-as-evidence tests, and a snapshot of a folder's bytes."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

#: The pricing module of the toy shop: the coupon line divides by 10 where it means 100.
PRICING = textwrap.dedent(
    """\
    def total_price(items, coupon=None):
        total = 0
        for price in items:
            total += price
        if coupon:
            total = total - total * coupon / 10
        return total


    def describe(items):
        return f"{len(items)} items"
    """
)
PRICING_FIXED = PRICING.replace("coupon / 10", "coupon / 100")
BUG_LINE = 6

TESTS = textwrap.dedent(
    """\
    from shop.pricing import total_price
    from shop.pricing import describe as say


    def test_no_coupon():
        assert total_price([10, 20]) == 30


    def test_empty():
        assert total_price([]) == 0


    def test_coupon():
        assert total_price([100], coupon=10) == 90


    def test_describe():
        assert say([1, 2]) == "2 items"


    class TestBig:
        def test_many(self):
            assert total_price([1] * 100) == 100
    """
)


def shop(root: Path) -> Path:
    """A Python project with one bug and a test suite where exactly one test fails."""
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "pricing.py").write_text(PRICING)
    (root / "tests").mkdir()
    (root / "tests" / "test_pricing.py").write_text(TESTS)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "0"\n')
    return root


def add_test(root: Path, name: str, body: str) -> str:
    """Add ``tests/test_<name>.py`` with ``body``; its path relative to ``root``."""
    rel = f"tests/test_{name}.py"
    (root / rel).write_text(textwrap.dedent(body))
    return rel


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: its bytes and modification time."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
