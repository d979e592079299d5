"""Prompt templates are data in prompts/: this module finds, loads and fills them.

A change of wording needs no code change. Templates use ``{name}`` placeholders, filled by plain
replacement (never ``str.format``) so code with braces inside the values is safe.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


def prompts_dir() -> Path:
    """prompts/ inside the installed wheel, or at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parents[1] / "prompts"):
        if (candidate / "families.toml").is_file():
            return candidate
    raise FileNotFoundError("Goldcrest's prompts/ folder is missing from this installation")


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed ``prompts/<name>.toml``."""
    with (prompts_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def fill(template: str, **values: str) -> str:
    """Replace each ``{key}`` in ``template`` with its value, in one pass: a value that holds
    another key's placeholder (an f-string's ``{suffix}`` in the prefix) stays as it is."""
    if not values:
        return template
    keys = re.compile("|".join(re.escape("{" + key + "}") for key in values))
    return keys.sub(lambda found: values[found.group()[1:-1]], template)


@dataclass(frozen=True)
class Family:
    """How one family of models is prompted."""

    name: str
    fim: str | None
    stop: tuple[str, ...]
    #: repository prompts (``{name}``) and one file in them (``{path}``, ``{code}``), for
    #: models trained on whole repositories: the workspace's facts are then shown as the
    #: files they come from, before the current file's FIM prompt
    repo: str | None = None
    file: str | None = None


def family(name: str) -> Family:
    """A family by name; unknown names are the generic chat family."""
    table = load("families")
    entry = table.get(name) or table["generic"]
    key = name if name in table else "generic"
    return Family(
        key,
        entry.get("fim"),
        tuple(entry.get("stop", ())),
        entry.get("repo"),
        entry.get("file"),
    )


def family_for_model(model: str) -> Family:
    """Guess a model's family from its name (Ollama tag or GGUF file name)."""
    lowered = model.lower()
    for name, entry in load("families").items():
        if any(pattern in lowered for pattern in entry.get("match", ())):
            return family(name)
    return family("generic")
