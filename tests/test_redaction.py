"""Privacy: planted secrets never reach a (fake) cloud server through the official SDKs, every text
field of a request is redacted with stable placeholders, the audit log records kinds and counts
but no values, and ignore rules keep files on the machine."""

from __future__ import annotations

import errno
import json
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from fake_cloud import FakeCloud
from goldcrest.backends.anthropic import AnthropicBackend
from goldcrest.backends.base import GenerationRequest, Message
from goldcrest.backends.openai_compat import OpenAICompatBackend
from goldcrest.config import Settings, merge
from goldcrest.privacy.guard import CloudGuard, Withheld
from goldcrest.privacy.ignore import ignored_by
from goldcrest.privacy.redact import Redacted, redact, redact_request
from secret_corpus import secrets

CORPUS = secrets()
PY = [s for s in CORPUS if s.path.endswith(".py")]


def _settings(tmp_path: Path, **privacy: object) -> Settings:
    return merge(
        Settings(), {"privacy": {"audit_log": str(tmp_path / "audit.jsonl"), **privacy}}, "test"
    )


def _prepare(guard: CloudGuard, request: GenerationRequest, file: Path | None = None) -> Redacted:
    return guard.prepare(
        request, file=file, tier="cloud", provider="openai", url="u", model="m", task="explain"
    )


def test_the_four_leaks_of_the_issue_are_closed() -> None:
    """Empty URL user, an environment lookup's default, an unknown prefix, a neutral name."""
    module = (
        'CACHE = "redis://:Kx9-vQ2mZ7pL@cache.internal:6379/0"\n'
        'STRIPE = os.environ.get("X", "Tr0ub4dor&3-prod")\n'
        'client = Client("zq_live_8fJ2kLm9QpX4vR7tY1wZ3nB6cD0eH5gA")\n'
        'upstream = "q7Vb2Lk9Xz4Rt1Wm8Np3Hs6Jd0Gf5Ca2Ey7Ui4Oo"\n'
    )
    cleaned, found = redact(module, path="settings.py")
    for secret in ("Kx9-vQ2mZ7pL", "Tr0ub4dor&3-prod", "zq_live_8fJ2", "q7Vb2Lk9Xz4R"):
        assert secret not in cleaned
    assert cleaned.splitlines()[0] == 'CACHE = "redis://:<secret:password#1>@cache.internal:6379/0"'
    assert sum(found.values()) == 4


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_planted_secrets_never_reach_the_cloud_server(tmp_path: Path, kind: str) -> None:
    planted = "\n\n".join(s.text for s in CORPUS)
    guard = CloudGuard(_settings(tmp_path))
    chat = GenerationRequest(
        messages=(Message("system", "Explain."), Message("user", f"```\n{planted}\n```"))
    )
    fim = GenerationRequest(prefix=planted, suffix=planted, fim_template="<P>{prefix}<S>{suffix}")
    with FakeCloud(kind) as fake:
        if kind == "openai":
            backend = OpenAICompatBackend(
                model="m", api_key="k", base_url=fake.base_url, fim=True, timeout_s=5
            )
            requests = [chat, fim]
        else:
            backend = AnthropicBackend(model="m", api_key="k", base_url=fake.base_url, timeout_s=5)
            requests = [chat]
        for request in requests:
            await backend.generate(_prepare(guard, request).request)
        await backend.aclose()
        log = fake.log_text()
    assert len(fake.generations) == len(requests)
    assert [s.what for s in CORPUS if s.value in log] == []
    audit = (tmp_path / "audit.jsonl").read_text()
    assert [s.what for s in CORPUS if s.value in audit] == []


def test_a_settings_module_with_fifty_credentials(tmp_path: Path) -> None:
    """The issue's trial: one Python settings module, 50 credentials of different kinds."""
    chosen = list({s.value: s for s in PY}.values())[:50]
    module = "\n".join(s.text for s in chosen)
    sent = _prepare(CloudGuard(_settings(tmp_path)), GenerationRequest(prefix=module, suffix=""))
    assert len(chosen) == 50
    assert [s.what for s in chosen if s.value in (sent.request.prefix or "")] == []


def test_audit_log_records_kinds_and_counts_never_values(tmp_path: Path) -> None:
    guard = CloudGuard(_settings(tmp_path))
    text = 'token = "abc123-secret-x"\nretry(token="abc123-secret-x")\nPASSWORD = "hunter2!x9"'
    sent = _prepare(guard, GenerationRequest(messages=(Message("user", text),)), tmp_path / "a.py")
    entry = json.loads((tmp_path / "audit.jsonl").read_text())
    assert entry["tier"] == "cloud" and entry["provider"] == "openai" and entry["model"] == "m"
    assert entry["time"] and entry["bytes"] > 0 and entry["file"].endswith("a.py")
    assert entry["redactions"] == {"token": 2, "password": 1}
    assert entry["sent"]["messages"][0]["content"] == sent.request.messages[0].content
    assert "abc123-secret-x" not in json.dumps(entry) and "hunter2!x9" not in json.dumps(entry)


def test_names_stay_readable() -> None:
    cleaned, _ = redact('db_password = "hunter2-horse"\nurl = "postgres://app:pw123456@db/x"')
    assert cleaned == (
        'db_password = "<secret:password#1>"\nurl = "postgres://app:<secret:password#2>@db/x"'
    )


def test_every_text_field_of_a_request_is_redacted() -> None:
    key = "ghp_" + "Zq8" * 12
    request = GenerationRequest(
        messages=(
            Message("system", f"Never print {key}."),
            Message("user", f"FACTS:\nGH = '{key}'"),
            Message("assistant", f"token={key}"),
        ),
        prefix=f"a = '{key}'\n",
        middle=f"m = '{key}'\n",
        suffix=f"b = '{key}'\n",
        fim_template=f"<{key}>{{prefix}}{{suffix}}",
        fim_context=f"<|file_sep|>keys.py\nKEY = '{key}'\n",
        stop=("\n\n", key),
        json_schema={"description": f"uses {key}", "items": [key]},
        extra={"note": key},
        grammar=f'root ::= "{key}" rest',
    )
    # A new text field must be added here (and is then covered by the walk over all fields).
    assert {f.name for f in fields(GenerationRequest)} == {
        *("messages", "prefix", "suffix", "fim_template", "temperature", "max_tokens", "stop"),
        *("json_schema", "seed", "extra", "logprobs", "predict_s", "fim_context", "middle"),
        "grammar",
    }
    sent = redact_request(request)
    assert key not in json.dumps(asdict(sent.request))
    assert json.dumps(asdict(sent.request)).count("<secret:github_token#1>") == 13
    assert sent.counts == {"github_token": 13}
    assert sent.request.fim_template == "<<secret:github_token#1>>{prefix}{suffix}"


def test_the_same_secret_keeps_one_placeholder_across_the_request() -> None:
    text = 'API_KEY = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9"\nDB_PASSWORD = "hunter2!x9"\n'
    later = 'requests.get(url, headers={"X": "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9"})'
    sent = redact_request(GenerationRequest(messages=(Message("user", text),), prefix=later))
    assert sent.request.messages[0].content == (
        'API_KEY = "<secret:api_key#1>"\nDB_PASSWORD = "<secret:password#1>"\n'
    )
    # Nothing there says "secret", but it is the same key: same placeholder.
    assert sent.request.prefix == 'requests.get(url, headers={"X": "<secret:api_key#1>"})'
    assert redact_request(sent.request).request == sent.request  # a second pass changes nothing


def test_a_secret_cut_by_the_cursor_is_still_found() -> None:
    """FIM prefix and suffix are read as one text: the key the user is typing does not leak."""
    request = GenerationRequest(prefix='KEY = "sk_live_4eC39HqLyjWDarj', suffix='tp7dc"\nx = 1\n')
    sent = redact_request(request)
    assert sent.request.prefix == 'KEY = "<secret:stripe_key#1>'
    assert sent.request.suffix == '"\nx = 1\n'


def test_a_secret_across_the_split_and_the_cursor_is_still_found() -> None:
    """Prefix, middle and suffix are read as one text in the code's order; each part keeps
    its own share of it, and the placeholder takes the parts the secret ran across."""
    request = GenerationRequest(
        prefix="x = 1\n", middle='KEY = "sk_live_4eC39HqLyjWDarj', suffix='tp7dc"\ny = 2\n'
    )
    sent = redact_request(request)
    assert sent.request.prefix == "x = 1\n"
    assert sent.request.middle == 'KEY = "<secret:stripe_key#1>'
    assert sent.request.suffix == '"\ny = 2\n'
    split = GenerationRequest(prefix='KEY = "sk_live_4eC39', middle="HqLyjWDarjtp7dc", suffix='"\n')
    sent = redact_request(split)
    assert (sent.request.prefix, sent.request.middle) == ('KEY = "<secret:stripe_key#1>', "")
    assert sent.request.suffix == '"\n'


def test_an_answer_gets_its_secrets_back() -> None:
    sent = redact_request(GenerationRequest(messages=(Message("user", 'pw = "hunter2!x9"'),)))
    assert sent.restore('login(pw="<secret:password#1>", other="<secret:token#7>")') == (
        'login(pw="hunter2!x9", other="<secret:token#7>")'
    )


def test_redaction_can_be_turned_off(tmp_path: Path) -> None:
    request = GenerationRequest(messages=(Message("user", 'pw = "hunter2!x9"'),))
    sent = _prepare(CloudGuard(_settings(tmp_path, redact=False)), request)
    assert sent.request == request and sent.restore("x") == "x"


def test_extra_patterns_and_a_broken_one(tmp_path: Path) -> None:
    guard = CloudGuard(_settings(tmp_path, extra_patterns=[r"ACME-[0-9]{6}"]))
    request = GenerationRequest(messages=(Message("user", "id = ACME-123456"),))
    assert _prepare(guard, request).request.messages[0].content == "id = <secret:custom#1>"
    broken = CloudGuard(_settings(tmp_path, extra_patterns=["(unclosed"]))
    with pytest.raises(Withheld, match="extra_patterns"):
        _prepare(broken, request)


def test_unwritable_audit_log_means_nothing_is_sent(tmp_path: Path) -> None:
    guard = CloudGuard(_settings(tmp_path))

    def disk_full(**entry: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    guard.audit.record = disk_full  # type: ignore[method-assign]
    with pytest.raises(Withheld, match="audit log"):
        _prepare(guard, GenerationRequest(messages=(Message("user", "x"),)))


def test_ignore_rules(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".gitignore").write_text("build/\n*.log\n!keep.log\n/only_top/\n**/fixtures/*.json\n")
    (repo / ".goldcrestignore").write_text("# ours\nprivate_*.py\n")
    (repo / "src").mkdir()
    (repo / "src" / ".gitignore").write_text("gen/\n!important.log\n")
    cases = {
        "src/app.py": None,
        "build/out.py": ".gitignore",
        "debug.log": ".gitignore",
        "keep.log": None,
        "src/important.log": None,
        "src/gen/x.py": "src/.gitignore",
        "only_top/a.py": ".gitignore",
        "src/only_top/a.py": None,
        "a/fixtures/data.json": ".gitignore",
        "src/private_keys.py": ".goldcrestignore",
        ".env": "built-in",
        ".env.production": "built-in",
        "deploy/server.pem": "built-in",
        "home/id_ed25519": "built-in",
    }
    for relative, expected in cases.items():
        why = ignored_by(repo / relative)
        assert (why is None) == (expected is None), relative
        assert expected is None or expected in why, (relative, why)


def test_ignored_file_is_withheld(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".goldcrestignore").write_text("secret_stuff/\n")
    guard = CloudGuard(_settings(tmp_path))
    request = GenerationRequest(messages=(Message("user", "x"),))
    with pytest.raises(Withheld, match="goldcrestignore"):
        _prepare(guard, request, tmp_path / "secret_stuff" / "a.py")
    assert not (tmp_path / "audit.jsonl").exists()
