"""Privacy: a corpus of realistic secret formats never reaches a (fake) cloud server; ordinary
code is left alone; ignore rules keep files on the machine; the audit log records what left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_cloud import FakeCloud
from goldcrest.backends.anthropic import AnthropicBackend
from goldcrest.backends.base import GenerationRequest, Message
from goldcrest.backends.openai_compat import OpenAICompatBackend
from goldcrest.config import Settings, merge
from goldcrest.privacy.guard import CloudGuard, Withheld
from goldcrest.privacy.ignore import ignored_by
from goldcrest.privacy.redact import redact

# (what, text as it appears in code, the secret in it). Formats follow the providers' documented
# shapes; every value is made up.
CORPUS = [
    ("aws key id", 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"', "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws secret",
        "aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "github classic",
        "gh = Github('ghp_4kXq9ZtV2mLw8RbN3sYp7JdQ1cHf6GaE0uTi')",
        "ghp_4kXq9ZtV2mLw8RbN3sYp7JdQ1cHf6GaE0uTi",
    ),
    (
        "github fine-grained",
        "GH = 'github_pat_11AAAAAAA0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234'",
        "github_pat_11AAAAAAA0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
    ),
    (
        "gitlab",
        "client = Gitlab(url, private='glpat-x9Yz8Wv7Ut6Sr5Qp4On3')",
        "glpat-x9Yz8Wv7Ut6Sr5Qp4On3",
    ),
    (
        "slack bot",
        "slack = WebClient('xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx')",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    (
        "slack webhook",
        "requests.post('https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/xYz123AbC456dEf789gHi012')",
        "T0ABCDEF1/B0ABCDEF2/xYz123AbC456dEf789gHi012",
    ),
    (
        "stripe live",
        "stripe.api_key = 'sk_live_51H8xYzAbCdEfGhIjKlMnOpQr'",
        "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr",
    ),
    (
        "google api",
        "const key = 'AIzaSyD3xAmPlE-kEy_0123456789abcdefghij';",
        "AIzaSyD3xAmPlE-kEy_0123456789abcdefghij",
    ),
    (
        "openai project",
        "client = OpenAI(api_key='sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z')",
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    ),
    (
        "anthropic",
        'ANTHROPIC = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AAAA"',
        "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AAAA",
    ),
    (
        "jwt",
        "claims = decode('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U')",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (
        "rsa private key",
        'KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n'
        "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
        '-----END RSA PRIVATE KEY-----"""',
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
    ),
    (
        "openssh private key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ),
    (
        "database url",
        "DATABASE_URL = 'postgresql://admin:S3cr3tP4ss@db.example.com:5432/app'",
        "S3cr3tP4ss",
    ),
    (
        "bearer header",
        "fetch(url, { headers: { Authorization: `Bearer abc123.def456.ghi789xyz` } });",
        "abc123.def456.ghi789xyz",
    ),
    ("x-api-key header", '{"x-api-key": "k3y-0f-th3-s3rv1c3-42"}', "k3y-0f-th3-s3rv1c3-42"),
    ("python password", 'password = "correct-horse-battery"', "correct-horse-battery"),
    ("annotated password", 'db_password: str = "Tr0ub4dor&3"', "Tr0ub4dor&3"),
    ("js password", "const dbPassword = 'pa$$w0rd-for-prod';", "pa$$w0rd-for-prod"),
    ("go api key", 'apiKey := "abcd1234efgh5678"', "abcd1234efgh5678"),
    ("json client secret", '{"client_secret": "9f8e7d6c5b4a3f2e"}', "9f8e7d6c5b4a3f2e"),
    ("kwarg password", 'connect(user="app", password="s3cret-value")', "s3cret-value"),
    ("ruby hash", 'config = { :auth_token => "rb-t0ken-value-77" }', "rb-t0ken-value-77"),
    (
        "java constant",
        'private static final String API_TOKEN = "tok_live_abcdef123456";',
        "tok_live_abcdef123456",
    ),
    ("django secret", "SECRET_KEY = 'django-insecure-8f#k2!x@0zq'", "django-insecure-8f#k2!x@0zq"),
    ("yaml unquoted", "database:\n  password: hunter2!x\n", "hunter2!x"),
    (".env line", "DATABASE_PASSWORD=pa55word123\n", "pa55word123"),
    (".env export", "export STRIPE_API_KEY=whsec_Ab12Cd34Ef56\n", "whsec_Ab12Cd34Ef56"),
    ("compose env", "    environment:\n      - POSTGRES_PASSWORD=example123\n", "example123"),
    (
        "npm token",
        "//registry.npmjs.org/:_authToken=npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    ),
    (
        "pypi token",
        "TWINE = 'pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NTY3'",
        "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejAxMjM0NTY3",
    ),
    (
        "huggingface",
        "login(token='hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567')",
        "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567",
    ),
    (
        "sendgrid",
        "sg = SendGridAPIClient('SG.aBcDeFgHiJkLmNoPqR.sTuVwXyZ0123456789aBcDeF')",
        "SG.aBcDeFgHiJkLmNoPqR.sTuVwXyZ0123456789aBcDeF",
    ),
    (
        "twilio",
        "client = Client('SK0123456789abcdef0123456789abcdef', sid)",
        "SK0123456789abcdef0123456789abcdef",
    ),
    (
        "azure storage",
        "connect('DefaultEndpointsProtocol=https;AccountName=acct;"
        "AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;')",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==",
    ),
]

#: Ordinary code that names secrets without containing one: redaction must leave it alone.
CLEAN = [
    "password = get_password()",
    "token = tokens[0]",
    "def check_password(pw: str) -> bool:",
    "    secret: str",
    'API_KEY = os.environ["API_KEY"]',
    '    "password": password,',
    "max_tokens = 100000",
    "password_field = self.password_input",
    "auth = HTTPBasicAuth(user, pw)",
    'if token == "":',
    "headers = {'Authorization': f'Bearer {token}'}",
]


@pytest.mark.parametrize(("what", "text", "secret"), CORPUS, ids=[c[0] for c in CORPUS])
def test_every_secret_format_is_redacted(what: str, text: str, secret: str) -> None:
    cleaned, found = redact(text)
    assert secret not in cleaned
    assert "<redacted:" in cleaned and sum(found.values()) >= 1
    assert redact(cleaned)[0] == cleaned  # a second pass changes nothing


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_code_is_left_alone(text: str) -> None:
    assert redact(text) == (text, {})


def test_names_stay_readable() -> None:
    cleaned, _ = redact('db_password = "hunter2-horse"\nurl = "postgres://app:pw123456@db/x"')
    assert cleaned == (
        'db_password = "<redacted:assigned-secret>"\n'
        'url = "postgres://app:<redacted:url-password>@db/x"'
    )


def _settings(tmp_path: Path, **privacy: object) -> Settings:
    return merge(
        Settings(), {"privacy": {"audit_log": str(tmp_path / "audit.jsonl"), **privacy}}, "test"
    )


def _prepare(guard: CloudGuard, request: GenerationRequest, file: Path | None = None):
    return guard.prepare(
        request, file=file, tier="cloud", provider="openai", url="u", model="m", task="explain"
    )


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_planted_secrets_never_reach_the_cloud_server(tmp_path: Path, kind: str) -> None:
    planted = "\n\n".join(text for _, text, _ in CORPUS)
    guard = CloudGuard(_settings(tmp_path))
    chat = GenerationRequest(
        messages=(Message("system", "Explain."), Message("user", f"```python\n{planted}\n```"))
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
            await backend.generate(_prepare(guard, request))
        await backend.aclose()
        log = fake.log_text()
    assert len(fake.generations) == len(requests)
    leaked = [what for what, _, secret in CORPUS if secret in log]
    assert leaked == []
    audit = (tmp_path / "audit.jsonl").read_text()
    assert [what for what, _, secret in CORPUS if secret in audit] == []


def test_audit_log_says_what_was_sent_to_whom_when_and_how_big(tmp_path: Path) -> None:
    guard = CloudGuard(_settings(tmp_path))
    request = GenerationRequest(messages=(Message("user", 'token = "abc123-secret"'),))
    sent = _prepare(guard, request, tmp_path / "app.py")
    entry = json.loads((tmp_path / "audit.jsonl").read_text())
    assert entry["tier"] == "cloud" and entry["provider"] == "openai" and entry["model"] == "m"
    assert entry["time"] and entry["bytes"] > 0 and entry["file"].endswith("app.py")
    assert entry["redactions"] == {"assigned-secret": 1}
    assert entry["sent"]["messages"][0]["content"] == sent.messages[0].content
    assert "abc123-secret" not in json.dumps(entry)


def test_extra_patterns_and_a_broken_one(tmp_path: Path) -> None:
    guard = CloudGuard(_settings(tmp_path, extra_patterns=[r"ACME-[0-9]{6}"]))
    request = GenerationRequest(messages=(Message("user", "id = ACME-123456"),))
    assert "ACME-123456" not in _prepare(guard, request).messages[0].content
    broken = CloudGuard(_settings(tmp_path, extra_patterns=["(unclosed"]))
    with pytest.raises(Withheld, match="extra_patterns"):
        _prepare(broken, request)


def test_unwritable_audit_log_means_nothing_is_sent(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    guard = CloudGuard(
        merge(Settings(), {"privacy": {"audit_log": str(tmp_path / "blocker" / "a")}}, "t")
    )
    with pytest.raises(Withheld, match="audit log"):
        _prepare(guard, GenerationRequest(messages=(Message("user", "x"),)))


def test_ignore_rules(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".gitignore").write_text("build/\n*.log\n!keep.log\n/only_top/\n**/fixtures/*.json\n")
    (repo / ".goldcrestignore").write_text("# ours\nprivate_*.py\n")
    (repo / "src").mkdir()
    (repo / "src" / ".gitignore").write_text("gen/\n")
    cases = {
        "src/app.py": None,
        "build/out.py": ".gitignore",
        "debug.log": ".gitignore",
        "keep.log": None,
        "src/gen/x.py": ".gitignore",
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
