"""A small project for the cross-file suite's tests: a shop whose cart uses its pricing module.

``cart.py`` calls ``apply_discount`` and builds a ``TaxTable`` from ``pricing.py`` once each (so
their use can only be learnt from pricing.py), and calls its own ``_subtotal`` twice.
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "shop/__init__.py": '"""A shop."""\n',
    "shop/pricing.py": '''"""Prices, discounts and taxes."""

DEFAULT_RATES = {"food": 0.05, "books": 0.0}


def apply_discount(price: float, percent: float, *, floor: float = 0.0) -> float:
    """The price less ``percent`` per cent, never below ``floor``."""
    return max(price * (1 - percent / 100), floor)


class TaxTable:
    """Tax rates of one region by category."""

    def __init__(self, region: str, rates: dict[str, float]) -> None:
        self.region = region
        self.rates = rates

    def rate_for(self, category: str) -> float:
        return self.rates.get(category, 0.2)
''',
    "shop/cart.py": '''"""A shopping cart."""

from dataclasses import dataclass, field

from .pricing import DEFAULT_RATES, TaxTable, apply_discount


@dataclass
class Line:
    name: str
    price: float
    category: str


@dataclass
class Cart:
    region: str
    discount: float = 0.0
    lines: list[Line] = field(default_factory=list)

    def add(self, name: str, price: float, category: str) -> None:
        self.lines.append(Line(name, price, category))

    def _subtotal(self, lines: list[Line]) -> float:
        return sum(line.price for line in lines)

    def total(self) -> float:
        table = TaxTable(self.region, DEFAULT_RATES)
        taxed = 0.0
        for line in self.lines:
            price = apply_discount(line.price, self.discount, floor=1.0)
            taxed += price * (1 + table.rate_for(line.category))
        return round(taxed, 2)

    def books_total(self) -> float:
        books = [line for line in self.lines if line.category == "books"]
        return self._subtotal(books)

    def food_total(self) -> float:
        food = [line for line in self.lines if line.category == "food"]
        return self._subtotal(food)
''',
    "shop/checkout.py": '''"""Checking out a cart."""

from .cart import Cart


def receipt(region: str, items: list[tuple[str, float, str]]) -> str:
    cart = Cart(region, discount=10.0)
    for name, price, category in items:
        cart.add(name, price, category)
    return f"{len(cart.lines)} items: {cart.total():.2f}"
''',
}


def write_project(root: Path) -> Path:
    """The shop, written under ``root``; returns ``root``."""
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
