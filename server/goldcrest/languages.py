"""Which language a document is in, and the tree-sitter grammar that parses it.

Grammars come from the per-language wheels and are imported only when a document of that
language first opens, so starting the server costs nothing for languages never used.
"""

from __future__ import annotations

import importlib
import logging
import posixpath
from dataclasses import dataclass
from functools import cache
from typing import Literal
from urllib.parse import unquote, urlsplit

import tree_sitter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LanguageInfo:
    """``id`` is canonical (``typescriptreact`` becomes ``typescript``); ``parser_name`` says
    which grammar to load (``tsx`` for TSX files), or None when there is none."""

    id: str
    line_comment: str
    block_style: Literal["indent", "brace"]
    parser_name: str | None


_KNOWN = {
    "python": LanguageInfo("python", "#", "indent", "python"),
    "javascript": LanguageInfo("javascript", "//", "brace", "javascript"),
    "typescript": LanguageInfo("typescript", "//", "brace", "typescript"),
    "tsx": LanguageInfo("typescript", "//", "brace", "tsx"),
    "go": LanguageInfo("go", "//", "brace", "go"),
    "rust": LanguageInfo("rust", "//", "brace", "rust"),
    "java": LanguageInfo("java", "//", "brace", "java"),
    "c": LanguageInfo("c", "//", "brace", "c"),
    "cpp": LanguageInfo("cpp", "//", "brace", "cpp"),
}

_BY_LANGUAGE_ID = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "rust": "rust",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
}

#: File extension → language id, for files opened without a languageId and for the workspace scan.
BY_EXTENSION = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
}

# Languages without a grammar: only the comment marker is guessed, so prompts can still say
# "write a comment" correctly. Keys are LSP language ids and file extensions.
_HASH_COMMENT = {
    "shellscript", "ruby", "perl", "r", "yaml", "toml", "makefile", "dockerfile", "elixir",
    "julia", "nim", "powershell", "coffeescript", "cmake", "ini",
    ".sh", ".bash", ".zsh", ".rb", ".pl", ".r", ".yaml", ".yml", ".toml", ".mk", ".ex", ".exs",
    ".jl", ".nim", ".ps1", ".cmake", ".ini", ".cfg",
}  # fmt: skip
_SLASH_COMMENT = {
    "csharp", "kotlin", "swift", "scala", "dart", "php", "zig", "objective-c", "objective-cpp",
    "groovy", "fsharp", "jsonc", "less", "scss", "proto", "solidity", "v",
    ".cs", ".kt", ".kts", ".swift", ".scala", ".dart", ".php", ".zig", ".m", ".mm", ".groovy",
    ".gradle", ".fs", ".jsonc", ".less", ".scss", ".proto", ".sol",
}  # fmt: skip

# parser_name -> (module, function returning the grammar pointer)
_GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}


def _extension(uri: str) -> str:
    path = unquote(urlsplit(uri).path) if "://" in uri or uri.startswith("file:") else uri
    return posixpath.splitext(path.replace("\\", "/"))[1].lower()


def language_for(language_id: str | None, uri: str) -> LanguageInfo:
    """The client's languageId wins; the file extension decides when the id is missing or
    names a language we have no grammar for (e.g. ``plaintext`` on a ``.py`` file)."""
    lang_id = (language_id or "").lower()
    key = _BY_LANGUAGE_ID.get(lang_id)
    ext = _extension(uri)
    if key is None:
        key = BY_EXTENSION.get(ext)
    if key is not None:
        return _KNOWN[key]
    if lang_id in _HASH_COMMENT or ext in _HASH_COMMENT:
        comment = "#"
    elif lang_id in _SLASH_COMMENT or ext in _SLASH_COMMENT:
        comment = "//"
    else:
        comment = ""
    return LanguageInfo(
        id=lang_id or ext.lstrip(".") or "plaintext",
        line_comment=comment,
        block_style="brace" if comment == "//" else "indent",
        parser_name=None,
    )


@cache
def _load_grammar(parser_name: str) -> tree_sitter.Language | None:
    spec = _GRAMMARS.get(parser_name)
    if spec is None:
        return None
    module_name, function = spec
    try:
        module = importlib.import_module(module_name)
        return tree_sitter.Language(getattr(module, function)())
    except (ImportError, AttributeError, ValueError) as exc:  # missing wheel or ABI mismatch
        log.warning("tree-sitter grammar %s unavailable: %s", parser_name, exc)
        return None


def ts_language(info: LanguageInfo) -> tree_sitter.Language | None:
    """The loaded grammar, or None when the language has none (or its wheel is broken)."""
    return _load_grammar(info.parser_name) if info.parser_name else None


def new_parser(info: LanguageInfo) -> tree_sitter.Parser | None:
    """A fresh parser: parsers hold per-parse state, so each document gets its own."""
    language = ts_language(info)
    return tree_sitter.Parser(language) if language is not None else None
