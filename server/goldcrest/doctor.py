"""``goldcrest doctor``: which backends answer, which model each would use, what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .backends.model_files import INSTALL_HINT
from .config import ConfigError, load_files, merge, user_config_path
from .engine import build_backends


async def run_doctor(
    workspace: Path, say: Callable[[str], None], overrides: dict[str, Any] | None = None
) -> int:
    """Print a plain-words report; exit status 0 when at least one backend can answer.

    ``overrides`` are the editor's settings, so the report matches what the server will do.
    """
    settings, problems = load_files(workspace)
    try:
        settings = merge(settings, overrides, "--settings")
    except ConfigError as exc:
        problems.append(str(exc))
    say(f"Goldcrest {__version__}")
    say(f"  settings: defaults < {user_config_path()} < {workspace / 'goldcrest.toml'}")
    for problem in problems:
        say(f"  ! {problem}")
    say(f"  backend setting: {settings.backend}")
    say(
        f"  cache: {settings.cache_dir()}"
        + ("" if settings.cache.enabled else " (answer cache disabled)")
    )

    backends = build_backends(settings)
    usable = []
    for name, backend in backends.items():
        status = await backend.status()
        mark = "ok " if status.available else "no "
        say(f"[{mark}] {name}: model {status.model} ({backend.family or 'unknown family'})")
        say(f"       {status.detail}")
        if status.available:
            usable.append(name)
            fim = await backend.supports_fim()
            say(f"       completion prompt: {'fill-in-the-middle' if fim else 'chat'}")
        elif status.remedy:
            say(f"       to fix: {status.remedy}")
        await backend.aclose()

    if settings.backend == "auto":
        chosen = "ollama" if "ollama" in usable else "embedded" if "embedded" in usable else None
    else:
        chosen = settings.backend if settings.backend in usable else None
    if chosen:
        say(f"Goldcrest will use: {chosen} ({backends[chosen].model})")
        return 0
    if usable:
        say(
            f"The configured backend '{settings.backend}' cannot answer; "
            f'set backend = "auto" to fall back to: {", ".join(usable)}.'
        )
        return 1
    say(
        "Goldcrest has no usable model. Start Ollama (`ollama serve`, then `ollama pull "
        f"{settings.ollama.model}`) or install the embedded model: {INSTALL_HINT}"
    )
    return 1
