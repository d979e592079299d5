"""Goldcrest settings: one pydantic model, merged from several sources.

Sources in rising precedence: defaults, the user file (``goldcrest.toml`` in the platform config
dir), the workspace ``goldcrest.toml``, LSP initializationOptions, and
workspace/didChangeConfiguration. A bad value never replaces good settings: ``merge`` raises
``ConfigError`` with one readable message and the caller keeps what it had.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

APP = "goldcrest"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class OllamaSettings(_Section):
    host: str = Field("http://127.0.0.1:11434", description="Ollama server address.")
    model: str = Field("qwen2.5-coder:7b", description="Model tag used for every task.")
    keep_alive: str = Field("30m", description="How long Ollama keeps the model loaded.")
    timeout_s: float = Field(30.0, gt=0, description="Per-request timeout in seconds.")


class EmbeddedSettings(_Section):
    model_path: str | None = Field(
        None,
        description="A GGUF file to load. Unset: the bundled Qwen2.5-Coder-1.5B-Instruct Q4_K_M.",
    )
    family: str | None = Field(
        None, description="Prompt family of model_path (e.g. 'qwen2.5-coder'); guessed if unset."
    )
    n_ctx: int = Field(4096, ge=512, le=131072, description="Context window in tokens.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads; unset: all cores.")


class CompletionSettings(_Section):
    enabled: bool = Field(True, description="Serve inline and ordinary completions.")
    max_tokens: int = Field(96, ge=1, le=1024, description="Most tokens one suggestion may use.")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature for code.")
    context_tokens: int = Field(
        1024, ge=64, le=32768, description="Token budget for prefix + suffix + facts."
    )
    max_lines: int = Field(12, ge=1, le=200, description="Most lines one suggestion may have.")
    timeout_s: float = Field(20.0, gt=0, description="Give up on a suggestion after this long.")


class CacheSettings(_Section):
    enabled: bool = Field(True, description="Keep answers on disk between runs.")
    directory: str | None = Field(None, description="Where; unset: the platform cache dir.")
    size_limit_mb: int = Field(256, ge=1, description="Disk budget for cached answers.")


class Settings(_Section):
    backend: Literal["auto", "ollama", "embedded"] = Field(
        "auto", description="'auto': Ollama when it answers, else the embedded model."
    )
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings)
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="How much goes to the editor's log (window/logMessage)."
    )

    def cache_dir(self) -> Path:
        """Where the answer cache lives."""
        if self.cache.directory:
            return Path(self.cache.directory).expanduser()
        return Path(platformdirs.user_cache_dir(APP)) / "answers"


def models_dir() -> Path:
    """Where the assembled embedded model lives: one copy per user, whatever the cache setting."""
    return Path(platformdirs.user_cache_dir(APP)) / "models"


class ConfigError(ValueError):
    """A settings source had a bad value; the message is fit to show a user."""


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(error: ValidationError, source: str) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    return f"Goldcrest settings from {source} were ignored: " + "; ".join(parts)


def merge(current: Settings, update: dict[str, Any] | None, source: str) -> Settings:
    """Return ``current`` overlaid with ``update``; raise ConfigError when the result is invalid."""
    if not update:
        return current
    if not isinstance(update, dict):
        raise ConfigError(f"Goldcrest settings from {source} were ignored: expected an object.")
    try:
        return Settings.model_validate(_deep_merge(current.model_dump(), update))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read a settings file; a missing file is empty, a broken one a ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Goldcrest settings file {path} was ignored: {exc}") from None


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "goldcrest.toml"


def load_files(workspace: Path | None) -> tuple[Settings, list[str]]:
    """Defaults, then the user file, then the workspace file; returns settings and problems."""
    settings, problems = Settings(), []
    sources = [user_config_path()]
    if workspace is not None:
        sources.append(workspace / "goldcrest.toml")
    for path in sources:
        try:
            settings = merge(settings, read_toml(path), str(path))
        except ConfigError as exc:
            problems.append(str(exc))
    return settings, problems
