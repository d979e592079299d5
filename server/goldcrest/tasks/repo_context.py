"""The workspace's facts as the files they come from, for models trained on repository prompts.

Qwen2.5-Coder (and StarCoder2) learnt from whole repositories written as ``<|repo_name|>`` and
one ``<|file_sep|>path`` block per file, the current file last. Facts written that way read to
the model like code it has seen, where comment lines above the prefix read like prose: the
cross-file eval compares the two (``goldcrest+comments``). Each file's block is an outline:
definitions as stubs (signature, the docstring's first line, no body) in file order, members
inside their class, similar snippets as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..context.symbols import Definition
from ..languages import LanguageInfo
from ..prompts import Family, fill
from ..workspace.retrieval import Chunk

_CLASS_KINDS = {"class", "struct", "interface", "trait", "enum"}


def repo_context(
    fam: Family, chunks: Sequence[Chunk], language: LanguageInfo, current: str, repo: str
) -> str:
    """What goes before the FIM prompt: the repository's name, one block per file that has
    facts, then the current file's header; "" when ``fam`` has no repository prompt or there
    is nothing to show."""
    if fam.repo is None or fam.file is None or not chunks:
        return ""
    by_file: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_file.setdefault(chunk.where, []).append(chunk)
    blocks = [fill(fam.repo, name=repo)]
    for where, found in by_file.items():
        found.sort(key=lambda c: c.start_line)
        blocks.append(fill(fam.file, path=where, code=outline(found, language)))
    blocks.append(fill(fam.file, path=current, code=""))
    return "".join(blocks)


def outline(chunks: Iterable[Chunk], language: LanguageInfo) -> str:
    """One file's chunks (in line order) as code: stubs for definitions, snippets verbatim."""
    lines: list[str] = []
    container: str | None = None  # the class whose members are being written
    for chunk in chunks:
        definition = chunk.definition
        member_of = definition.container if definition is not None else None
        if member_of != container:
            lines += _close(container, language)
            if member_of is not None:
                lines.append(_class_header(member_of, language))
            container = member_of
        if definition is None:
            lines += chunk.code.split("\n")
            continue
        lines += _stub(definition, language, "    " if container is not None else "")
        if definition.kind in _CLASS_KINDS and container is None:
            container = definition.name  # opened by its stub: its members go inside
    lines += _close(container, language)
    return "\n".join(lines) + "\n"


def _class_header(name: str, language: LanguageInfo) -> str:
    return f"class {name}:" if language.block_style == "indent" else f"class {name} {{"


def _close(container: str | None, language: LanguageInfo) -> list[str]:
    return ["}"] if container is not None and language.block_style == "brace" else []


def _stub(definition: Definition, language: LanguageInfo, indent: str) -> list[str]:
    """A definition without its body: Python gets its docstring inside and ``...``; brace
    languages get the docstring as a comment above and an empty body (a class is left open
    for its members)."""
    signature, doc = definition.signature.strip(), definition.docstring
    if language.block_style == "indent":
        if not signature.endswith(":"):
            return [indent + signature]  # a variable, or a signature cut short
        body = [f'{indent}    """{doc}"""'] if doc else []
        return [indent + signature, *body, f"{indent}    ..."]
    comment = [f"{indent}{language.line_comment} {doc}"] if doc else []
    if definition.kind in _CLASS_KINDS:  # left open unless it is itself a member
        return [*comment, f"{indent}{signature} {{" + ("}" if indent else "")]
    if definition.kind in {"function", "method"}:
        return [*comment, f"{indent}{signature} {{}}"]
    return [*comment, indent + signature]
