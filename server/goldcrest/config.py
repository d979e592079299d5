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
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

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
    facts_tokens: int = Field(
        0,
        ge=0,
        le=8192,
        description="Tokens of the workspace index's facts (definitions, similar code), on top "
        "of context_tokens, the code window then being what it is without them (0: they take "
        "at most a quarter of context_tokens, out of the code before the cursor; 512 had 57/104 "
        "exact against 53 on the cross-file tune projects and 19/64 against 23 on the report "
        "projects, README).",
    )
    max_lines: int = Field(12, ge=1, le=200, description="Most lines one suggestion may have.")
    max_predict_ms: int = Field(
        500,
        ge=0,
        le=60000,
        description="While you type, stop generating this long after the first token once a "
        "line is complete, and show the complete lines (0: no limit). A suggestion you ask for "
        "(the editor's trigger key) is always whole.",
    )
    facts: bool = Field(
        True,
        description="Label facts for the model: the enclosing scope when out of view and the "
        "definitions the code uses (open files and the workspace index).",
    )
    repo_prompt: bool = Field(
        False,
        description="For models trained on whole repositories (Qwen2.5-Coder), show the "
        "workspace's definitions as outlines of the files they come from, before the current "
        "file, instead of as comments above it (off: on the cross-file tune project the two tied).",
    )
    middle_lines: int = Field(
        8,
        ge=0,
        le=200,
        description="While you type and the model runs in Goldcrest's process (embedded), "
        "FIM prompts split the code before the cursor at every Nth line: the lines since the "
        "split follow the suffix, as the start of the answer, so the prompt before them and the "
        "suffix stay the same and the model reads only what is new (0: the classic FIM prompt, "
        "which the model reads again from the cursor on at every keystroke). A suggestion you "
        "ask for, other backends and a short suffix (the end of a file) get the classic prompt.",
    )
    read_ahead: bool = Field(
        True,
        description="While you type, a model that runs in Goldcrest's own process (embedded) "
        "reads each keystroke's prompt during the debounce, so that at a pause only the "
        "answer is left to compute.",
    )
    timeout_s: float = Field(20.0, gt=0, description="Give up on a suggestion after this long.")
    debounce_max_ms: int = Field(
        250,
        ge=0,
        le=2000,
        description="Longest wait for a next keystroke before a model call; the wait itself "
        "is your typical gap between keystrokes, learned as you type (0: no wait).",
    )


class CacheSettings(_Section):
    enabled: bool = Field(True, description="Keep answers on disk between runs.")
    directory: str | None = Field(None, description="Where; unset: the platform cache dir.")
    size_limit_mb: int = Field(256, ge=1, description="Disk budget for cached answers.")


TASKS = ("complete", "bugs", "fix", "refactor", "explain")
#: What a tier that sends code off the machine serves unless configured: no keystroke waits on it.
CLOUD_TASKS = ("bugs", "fix", "refactor", "explain")


class IndexSettings(_Section):
    enabled: bool = Field(True, description="Index the workspace's symbols for prompt context.")
    max_files: int = Field(20000, ge=1, description="Index at most this many files.")
    max_file_kb: int = Field(512, ge=1, description="Skip files larger than this (KB).")
    exclude: list[str] = Field(
        default_factory=list, description="Extra gitignore-style patterns to leave out."
    )
    member_list: bool = Field(
        False,
        description="After `name.` or in `from module import`, write the members offered there "
        "(a module's names, a typed variable's methods) above the cursor's line for the model "
        "(off: on the cross-file tune project it tied on exact match and lost edit similarity).",
    )
    member_check: bool = Field(
        True,
        description="After `name.` or in `from module import`, withhold a completion whose "
        "first name the object or module lacks, when the workspace knows all it has, and ask "
        "the embedded model once more for one of those names; likewise a completion that grows "
        "the name before the cursor into one the workspace never uses.",
    )


class EmbeddingSettings(_Section):
    enabled: bool = Field(False, description="Also rank similar code semantically.")
    provider: Literal["ollama", "sentence-transformers"] = Field(
        "ollama",
        description="'ollama': its embed API; 'sentence-transformers': a small model in the "
        'server\'s process (pip install "goldcrest[embeddings-local]").',
    )
    model: str | None = Field(
        None,
        description="Embedding model; unset: nomic-embed-text (ollama) or all-MiniLM-L6-v2 "
        "(sentence-transformers, a hub name or a folder).",
    )
    host: str | None = Field(None, description="Ollama address; unset: ollama.host.")


class TierSettings(_Section):
    """One model in the ordered list the router chooses from (cheapest and most local first)."""

    name: str = Field(description="Shown to the user and used in stats, e.g. 'local-8b', 'cloud'.")
    backend: Literal["embedded", "ollama", "openai", "anthropic"] = Field(
        description="'openai' is any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LiteLLM)."
    )
    model: str | None = Field(None, description="Model name; unset: the backend section's model.")
    base_url: str | None = Field(None, description="Server address; unset: the provider default.")
    api_key: SecretStr | None = Field(None, description="Key; prefer api_key_env.")
    api_key_env: str | None = Field(None, description="Environment variable holding the key.")
    family: str | None = Field(None, description="Prompt family; guessed from the model name.")
    fim: bool = Field(False, description="openai: the server fills FIM holes at /v1/completions.")
    cloud: bool | None = Field(
        None,
        description="Code sent to it leaves the machine (privacy rules, budget). "
        "Unset: true for openai/anthropic, false for embedded/ollama.",
    )
    tasks: list[str] | None = Field(
        None, description=f"Tasks it may serve. Unset: all, or {list(CLOUD_TASKS)} when cloud."
    )
    timeout_s: float = Field(30.0, gt=0, description="Longest one call to it may take.")

    @model_validator(mode="after")
    def _known_tasks(self) -> TierSettings:
        unknown = set(self.tasks or ()) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)}; known: {list(TASKS)}")
        return self

    @property
    def is_cloud(self) -> bool:
        return self.cloud if self.cloud is not None else self.backend in ("openai", "anthropic")

    @property
    def serves(self) -> tuple[str, ...]:
        if self.tasks is not None:
            return tuple(self.tasks)
        return CLOUD_TASKS if self.is_cloud else TASKS


class RoutingSettings(_Section):
    """The router's policy as data. Default: start at the cheapest tier that serves the task;
    each hard signal (large, deep, branchy, wide) starts one tier higher; a tier that failed
    validation on most recent similar requests is skipped; an answer that fails validation
    escalates to the next tier while the task's latency budget lasts."""

    large_chars: int = Field(6000, ge=1, description="Code + context above this is 'large'.")
    deep_nesting: int = Field(5, ge=1, description="Nesting depth from this on is 'deep'.")
    many_branches: int = Field(12, ge=1, description="Branch count from this on is 'branchy'.")
    wide_lines: int = Field(80, ge=1, description="A selection of this many lines is 'wide'.")
    failure_rate: float = Field(
        0.6, gt=0, le=1, description="Skip a tier that failed this share of similar requests."
    )
    min_history: int = Field(3, ge=1, description="Similar requests needed before skipping.")
    history_s: float = Field(900.0, gt=0, description="How long a failure is remembered.")
    accept_score: float = Field(
        1.0, ge=0, le=1, description="Valid answers scoring lower escalate (kept as fallback)."
    )
    acceptance_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Skip a tier whose shown suggestions the user accepted less often than "
        "this on similar requests (0: acceptance never steers the router).",
    )
    acceptance_min_shown: int = Field(
        20, ge=1, description="Similar suggestions shown before acceptance steers the router."
    )
    acceptance_history_s: float = Field(
        14 * 86400.0, gt=0, description="How long a shown suggestion counts (across restarts)."
    )
    budget_s: dict[str, float] = Field(
        default_factory=dict,
        description="Latency budget per task for all tiers together, e.g. {complete = 3}; "
        "unset: the task's own timeout (completion.timeout_s for completion).",
    )


class CloudSettings(_Section):
    enabled: bool = Field(
        False, description="Allow cloud tiers for this workspace; off unless switched on."
    )
    daily_budget_usd: float | None = Field(
        None, ge=0, description="Estimated cloud spend per day after which requests stay local."
    )
    prices: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="USD per million tokens by model: {input = .., output = ..}.",
    )


class PrivacySettings(_Section):
    redact: bool = Field(True, description="Replace secrets with placeholders before sending.")
    extra_patterns: list[str] = Field(
        default_factory=list, description="More regular expressions whose matches are secret."
    )
    audit_log: str | None = Field(
        None, description="JSON-lines log of every cloud request; unset: the platform log dir."
    )


class SpendSettings(_Section):
    database: str | None = Field(
        None, description="SQLite file of per-tier counters; unset: the platform state dir."
    )


class TelemetrySettings(_Section):
    local_acceptance: bool = Field(
        True,
        description="Count which suggestions and fixes you accept (on this machine only, in "
        "the state dir): for `goldcrest stats`, the router and `goldcrest export`.",
    )


class ActionSettings(_Section):
    """Settings of the editor actions (bugs, fix, refactor, explain)."""

    best_of: int = Field(3, ge=1, le=8, description="Fix candidates sampled per request.")
    best_of_tests: int = Field(
        6, ge=1, le=12, description="Fix and refactor candidates sampled when the project's "
        "tests judge them (sampling stops at the first that passes).",
    )  # fmt: skip
    fix_infills: int = Field(
        6, ge=0, le=12, description="Fix first fills in the reported lines by completion (a "
        "few tokens each): with the project's tests this many candidates, without them only "
        "the most natural one. 0: none.",
    )  # fmt: skip
    temperature: float = Field(0.1, ge=0, le=2, description="Temperature of single answers.")
    sample_temperature: float = Field(0.6, ge=0, le=2, description="Temperature for best-of-N.")
    max_tokens: int = Field(640, ge=32, le=4096, description="Most tokens one answer may use.")
    timeout_s: float = Field(120.0, gt=0, description="Give up on one model answer after this.")
    min_confidence: float = Field(
        0.3, ge=0, le=1, description="Hide bugs fewer than this share of samples agree on."
    )
    bug_samples: int = Field(
        3, ge=1, le=8, description="List-bugs answers sampled per unit; shown: lines two agree on."
    )
    bug_rewrites: int = Field(
        1, ge=0, le=8, description="Corrected versions of each function list bugs also asks for; "
        "the lines they change are votes (with failing tests: up to best_of_tests, and one that "
        "passes them is proof). 0: none.",
    )  # fmt: skip
    bug_fills: int = Field(
        1, ge=0, le=5, description="Without failing tests, list bugs also fills in each line "
        "of a function (completion); the N lines whose fill differs most narrowly from them "
        "are one more vote. 0: none.",
    )  # fmt: skip
    bug_fill_sure: float = Field(
        0.98, gt=0, le=1, description="A line whose fill departs from it at a token the model "
        "gave at least this probability is shown on the fill alone (needs the backend's token "
        "log-probabilities). 1: never.",
    )  # fmt: skip
    hover_budget_s: float = Field(0.8, gt=0, description="How long hover waits for the model.")
    repair: bool = Field(True, description="Ask once for a corrected edit when one fails checks.")
    tests: Literal["off", "ask", "on"] = Field(
        "off",
        description="Run the workspace's tests as evidence for bugs, fix and refactor: 'ask' "
        "asks once per workspace (runs its code, like VS Code's workspace trust).",
    )
    test_command: str | None = Field(
        None, description="Command running the tests; '{tests}' = the selected ones. Unset: "
        "detected (pytest, go test, cargo test, npm test).",
    )  # fmt: skip
    test_timeout_s: float = Field(60.0, gt=0, description="Stop one test run after this long.")
    test_memory_mb: int = Field(2048, ge=64, description="Memory one test run may use (MB).")
    unverified_refactors: bool = Field(
        False, description="Offer Simplify and Extract function when no tests check them; they "
        "can change what the code does, which no static check sees.",
    )  # fmt: skip


class Settings(_Section):
    backend: Literal["auto", "ollama", "embedded"] = Field(
        "auto", description="'auto': Ollama when it answers, else the embedded model."
    )
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings)
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    tiers: list[TierSettings] = Field(
        default_factory=list,
        description="Ordered models to route between; empty: the one 'backend' chooses.",
    )
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    cloud: CloudSettings = Field(default_factory=CloudSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    spend: SpendSettings = Field(default_factory=SpendSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="How much goes to the editor's log (window/logMessage)."
    )

    def cache_dir(self) -> Path:
        """Where the answer cache lives."""
        if self.cache.directory:
            return Path(self.cache.directory).expanduser()
        return Path(platformdirs.user_cache_dir(APP)) / "answers"

    def audit_path(self) -> Path:
        """Where every cloud request is logged."""
        if self.privacy.audit_log:
            return Path(self.privacy.audit_log).expanduser()
        return Path(platformdirs.user_log_dir(APP)) / "cloud-audit.jsonl"

    def spend_path(self) -> Path:
        """Where per-tier counters persist between server runs."""
        if self.spend.database:
            return Path(self.spend.database).expanduser()
        return Path(platformdirs.user_state_dir(APP)) / "spend.sqlite"

    def acceptance_path(self) -> Path:
        """Where shown and accepted suggestions are logged (beside the spend counters)."""
        return self.spend_path().with_name("acceptance.jsonl")


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
