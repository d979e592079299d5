"""What may follow ``name.`` or ``from module import`` at the cursor, and the check of an
answer against it (``offered`` finds it in the workspace)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEADING = re.compile(r"[\w$]*")
_IMPORTED_NAME = re.compile(r"(?<!\w)([^\W\d]\w*)(?:\s+as\s+\w+)?\s*(,|$)")
#: GBNF for what may follow a whole name: nothing, or a character that ends it, then anything.
AFTER_NAME = "([^a-zA-Z0-9_$\\x00] [^\\x00]*)?"


@dataclass(frozen=True)
class Offered:
    """What may follow at the cursor: ``typed`` is the part of the name typed already."""

    typed: str
    names: frozenset[str]
    what: str  # "module" or "class Name", for logs and tests
    import_list: bool = False  # in ``from module import``: every name in the list is checked
    #: names the file imports from that module already, at the same level: naming one again
    #: would only repeat an import
    taken: frozenset[str] = frozenset()

    def allows(self, text: str) -> bool:
        """Whether an answer (the text after the cursor) begins with an offered name."""
        first = self.typed + _LEADING.match(text).group(0)  # type: ignore[union-attr]
        if not self._known(first):
            return False
        if self.import_list:
            line = (self.typed + text).split("\n", 1)[0].split("#", 1)[0].strip().strip("()")
            return all(self._known(m.group(1)) for m in _IMPORTED_NAME.finditer(line))
        return True

    def _known(self, name: str) -> bool:
        if name in self.taken:
            return False
        return not name or name in self.names or (name.startswith("__") and name.endswith("__"))

    def grammar(self) -> str | None:
        """A GBNF grammar (llama.cpp's) for an answer that begins with an offered name, the
        part typed left out, and ends it at a word boundary; None when nothing is offered."""
        rest = sorted(
            n[len(self.typed) :]
            for n in self.names
            if n.startswith(self.typed) and not n.startswith("__") and n not in self.taken
        )
        alternatives = [f'"{r}"' for r in rest if r]
        if not alternatives:
            return None
        name = " | ".join(alternatives)
        optional = "?" if "" in rest else ""
        return f"root ::= ({name}){optional} rest\nrest ::= {AFTER_NAME}\n"
