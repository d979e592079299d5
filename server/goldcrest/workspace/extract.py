"""One file's contribution to the index: definitions, imports and function-level chunks.

Runs off the event loop (in the indexer's worker thread), so it parses with its own parsers.
A chunk is a function or method, or a class with no methods (a record, a struct): the unit
that similar-snippet retrieval returns whole.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import tree_sitter

from goldcrest.context.symbols import Definition, extract_definitions
from goldcrest.languages import LanguageInfo, language_for, new_parser

from .imports import Import, imports_of

MAX_CHUNK_LINES = 60
MAX_CHUNK_CHARS = 2400
MAX_TOKENS = 256

_WORD = re.compile(r"[^\W\d]\w*")
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_local = threading.local()


@dataclass(frozen=True)
class Chunk:
    name: str
    start_line: int
    end_line: int
    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class FileFacts:
    language: str
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    chunks: tuple[Chunk, ...]


def tokens(text: str, limit: int = MAX_TOKENS) -> tuple[str, ...]:
    """Distinct lower-case identifiers, plus the words of compound ones (``parse_header``,
    ``parseHeader`` also give ``parse`` and ``header``), in order of appearance."""
    seen: dict[str, None] = {}
    for word in dict.fromkeys(_WORD.findall(text)):  # each word once: a repeat adds nothing
        if len(word) < 2:
            continue
        seen[word.lower()] = None
        if "_" in word.strip("_") or not (word.islower() or word.isupper()):
            for part in _PART.findall(word):
                if len(part) > 2:
                    seen[part.lower()] = None
        if len(seen) >= limit:
            break
    return tuple(seen)


def _parser(info: LanguageInfo) -> tree_sitter.Parser | None:
    """One parser per language per thread: parsers are not thread-safe."""
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    if info.parser_name not in parsers:
        parsers[info.parser_name] = new_parser(info)
    return parsers[info.parser_name]


def _chunks(definitions: tuple[Definition, ...], lines: list[str]) -> tuple[Chunk, ...]:
    with_methods = {d.container for d in definitions if d.kind == "method"}
    found = []
    for d in definitions:
        if d.end_line <= d.start_line:
            continue  # a prototype or a one-liner: its signature says it all
        if d.kind not in ("function", "method") and not (
            d.kind == "class" and d.name not in with_methods
        ):
            continue
        body = lines[d.start_line : d.end_line + 1]
        text = "\n".join(body[:MAX_CHUNK_LINES])[:MAX_CHUNK_CHARS]
        found.append(Chunk(d.name, d.start_line, d.end_line, text, tokens("\n".join(body))))
    return tuple(found)


def extract(path: str, source: bytes, uri: str) -> FileFacts:
    """Parse ``source`` (the bytes of ``path``) and take what the index keeps of it."""
    info = language_for(None, path)
    parser = _parser(info)
    if parser is None or info.parser_name is None:
        return FileFacts(info.id, (), (), ())
    tree = parser.parse(source)
    definitions = tuple(extract_definitions(tree, source, info, uri))
    imports = tuple(imports_of(tree, source, info.parser_name))
    lines = [line.rstrip("\r") for line in source.decode("utf-8", "replace").split("\n")]
    return FileFacts(info.id, definitions, imports, _chunks(definitions, lines))
