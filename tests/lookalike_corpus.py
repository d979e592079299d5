"""Look-alikes for the redaction tests and bench: code that resembles a secret (lockfile hashes,
base64 images in tests, UUIDs in tests, long identifiers, git SHAs, versions, URLs without
credentials, lorem, secret-named code without a secret) and must come back byte for byte.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from secret_corpus import B64, HEX, PLACES, Gen, place


@dataclass(frozen=True)
class LookAlike:
    what: str
    text: str
    path: str = "app.py"


def _image(g: Gen, magic: bytes, size: int) -> str:
    return base64.b64encode(magic + g.rng.randbytes(size)).decode()


def lookalikes(seed: int = 20240611) -> list[LookAlike]:
    """Code that resembles secrets and must be left exactly as it is."""
    g = Gen(seed + 1)
    out: list[LookAlike] = []

    def add(what: str, text: str, path: str = "app.py") -> None:
        out.append(LookAlike(what, text, path))

    # Hashes in lockfiles and next to the word that says they are hashes.
    for i in range(4):
        sha512 = g.b64(64)
        add("npm integrity", f'    "integrity": "sha512-{sha512}",', "package-lock.json")
        add(
            "poetry hash",
            f'    {{file = "pkg-{i}.0-py3-none-any.whl", hash = "sha256:{g.s(HEX, 64)}"}},',
            "poetry.lock",
        )
        add("cargo checksum", f'checksum = "{g.s(HEX, 64)}"', "Cargo.lock")
        add("yarn integrity", f"  integrity sha1-{g.b64(20)}", "yarn.lock")
    add("go.sum", f"golang.org/x/text v0.14.0 h1:{g.b64(32)}", "go.sum")
    add("pipfile hashes", f'"hashes": ["sha256:{g.s(HEX, 64)}"],', "Pipfile.lock")
    add("requirements hash", f"requests==2.32.3 --hash=sha256:{g.s(HEX, 64)}", "requirements.txt")
    add(
        "uv.lock hash",
        f'sdist = {{ url = "https://f.example/x.tar.gz", hash = "sha256:{g.s(HEX, 64)}" }}',
        "uv.lock",
    )
    add("pnpm resolution", f"    resolution: {{integrity: sha512-{g.b64(64)}}}", "pnpm-lock.yaml")
    add("composer shasum", f'"shasum": "{g.s(HEX, 40)}",', "composer.lock")
    add("sha256 constant", f'EXPECTED_SHA256 = "{g.s(HEX, 64)}"')
    add("sha256 variable", f'sha256 = "{g.s(HEX, 64)}"')
    add("checksum assert", f'assert checksum == "{g.s(HEX, 64)}"', "tests/test_dl.py")
    add("md5 in comment", f"# md5: {g.s(HEX, 32)}")
    add("digest dict", f'{{"digest": "sha256:{g.s(HEX, 64)}", "size": 1024}}', "m.json")
    add("docker digest", f"FROM python:3.12-slim@sha256:{g.s(HEX, 64)}", "Dockerfile")
    add("etag", f'etag = "{g.s(HEX, 32)}"')
    add("sri in html", f'<script src="x.js" integrity="sha384-{g.b64(48)}"></script>', "a.html")
    add("hashlib hexdigest comment", f"digest = hashlib.sha256(data).hexdigest()  # {g.s(HEX, 64)}")
    add("model file hash", f'MODEL_SHA256 = "{g.s(HEX, 64)}"  # checked before loading')
    # Git SHAs in comments and pins.
    for _ in range(3):
        add("git sha in comment", f"# fixed upstream in {g.s(HEX, 40)}, see the changelog")
    add(
        "pre-commit rev",
        f"  - repo: https://github.com/a/b\n    rev: {g.s(HEX, 40)}",
        ".pre-commit-config.yaml",
    )
    add("actions pin", f"      - uses: actions/checkout@{g.s(HEX, 40)}  # v4", "ci.yml")
    add("gitHead", f'"gitHead": "{g.s(HEX, 40)}",', "package.json")
    add("commit constant", f'COMMIT = "{g.s(HEX, 40)}"')
    add("revision kwarg", f'hf_hub_download(repo, "w.bin", revision="{g.s(HEX, 40)}")')
    add("js sha comment", f"// regression from {g.s(HEX, 12)} ({g.s(HEX, 40)})", "a.js")
    # Base64 images and files in tests.
    magics = [
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"GIF89a", "gif"),
        (b"%PDF-1.4\n", "pdf"),
        (b"RIFF\x00\x00\x00\x00WEBP", "webp"),
        (b"PK\x03\x04", "zip"),
    ]
    for magic, kind in magics:
        data = _image(g, magic, 60)
        add(f"base64 {kind} in a test", f'PIXEL_{kind.upper()} = "{data}"', "tests/test_img.py")
        add(f"data uri {kind}", f'img.src = "data:image/{kind};base64,{data}";', "a.test.js")
    png = _image(g, b"\x89PNG\r\n\x1a\n", 150)
    chunks = "\n".join(f'    "{png[i : i + 64]}"' for i in range(0, len(png), 64))
    add("png split over lines", f"LOGO = (\n{chunks}\n)", "tests/test_logo.py")
    # UUIDs in tests.
    for _ in range(3):
        add("uuid test id", f'user_id = "{g.uuid()}"', "tests/test_users.py")
    add("uuid fixture", f'{{"id": "{g.uuid()}", "name": "Ada"}}', "tests/fixtures/user.json")
    add("uuid assert", f'assert resp.json()["request_id"] == "{g.uuid()}"', "tests/test_api.py")
    add("uuid constructor", f'ORDER = uuid.UUID("{g.uuid()}")', "tests/test_orders.py")
    add("uuid token in test", f'session_token = "{g.uuid()}"', "tests/test_session.py")
    add("uuid in go test", f'id := "{g.uuid()}"', "store_test.go")
    # Long identifiers and other names.
    names = [
        "AbstractSingletonProxyFactoryBeanConfigurationProvider",
        "get_user_profile_settings_for_account_with_permissions",
        "FETCH_USER_PROFILE_SETTINGS_SUCCESS",
        "settings.security.twoFactorAuthentication.title",
        "btn-primary-outline-large-responsive-dark",
        "GOLDCREST_CLOUD_TIER_FALLBACK_ENABLED",
        "org.springframework.boot.autoconfigure.jdbc",
        "com.example.payments.internal.RefundProcessor",
        "TransactionIsolationLevelReadCommittedSnapshot",
        "handleIncomingWebhookDeliveryRetryBackoff",
    ]
    for i, name in enumerate(names):
        template, path = PLACES[i % len(PLACES)][1:]
        add("long identifier", place(template, "handler", name), path)
    # Version strings.
    add("dunder version", '__version__ = "1.24.3"')
    add("semver build", '"version": "2.0.0-beta.3+exp.sha.5114f85",', "package.json")
    add("python_requires", 'python_requires=">=3.11,<3.14",', "setup.py")
    add("image tag", "image: postgres:16.2-alpine3.19", "compose.yaml")
    add("go module version", "require golang.org/x/net v0.25.0", "go.mod")
    add("user agent", 'UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"')
    # URLs without credentials.
    add("api url", 'API = "https://api.example.com/v2/users?page=2&per_page=50"')
    add("ssh remote", "git remote add origin git@github.com:org/repo.git", "setup.sh")
    add("ssh url", 'REPO = "ssh://git@github.com/org/repo.git"')
    add("local postgres", 'DATABASE_URL = "postgresql://localhost:5432/app"')
    add("redis no auth", "REDIS_URL=redis://redis:6379/0", ".env.example")
    add("cdn with @", '<script src="https://cdn.jsdelivr.net/npm/lib@1.2.3/dist/x.js">', "a.html")
    add("scoped npm", "npm view @scope/pkg@latest", "a.sh")
    add("mailto", 'CONTACT = "mailto:support@example.com"')
    add("token url", 'TOKEN_URL = "https://oauth2.googleapis.com/token"')
    add("env url default", 'os.getenv("DATABASE_URL", "sqlite:///db.sqlite3")')
    add("template url", 'url = f"postgres://{user}:{password}@{host}/{db}"')
    add("env interpolated url", 'url: "postgres://app:${DB_PASSWORD}@db/app"', "c.yml")
    # Lorem.
    add("lorem", 'DESCRIPTION = "Lorem ipsum dolor sit amet, consectetur adipiscing elit"')
    add("lorem secret name", 'secret_message = "Lorem ipsum dolor sit amet"')
    add("lorem placeholder", 'placeholder: "lorem ipsum dolor sit amet consectetur"', "a.yml")
    # Names that say secret, values that are not.
    for text in [
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
        "PASSWORD_MIN_LENGTH = 12",
        'token_type = "bearer"',
        'SECRET_NAME = "prod/db/password"',
        'API_KEY_HEADER = "X-API-Key"',
        "password_hash = bcrypt.hashpw(raw, bcrypt.gensalt())",
        'os.environ.get("LOG_LEVEL", "info")',
        'os.getenv("PORT", "8080")',
        "const mode = process.env.NODE_ENV || 'development';",
        "  password: ${DB_PASSWORD}",
        'password = "{{ vault_db_password }}"',
        "token_expiry_seconds = 3600",
        "    auth_method: oauth2",
        "connect(user=user, password=pw)",
        "  password: !vault |",
        "export API_TOKEN=$(cat /run/secrets/api_token)",
        "password: string;",
        "const { apiKey } = useConfig();",
        'api_key = "YOUR_API_KEY"',
        "secret_key = settings.SECRET_KEY",
    ]:
        add("secret-named code", text)
    # Shapes met in real libraries' code (openai, anthropic, jinja2, botocore, pydantic...).
    for text in [
        "    password: bytes | str",
        "    admin_api_key: str | None = None",
        "    client_secret: ClientSecret",
        "    input_tokens_details: UsageInputTokensDetails",
        "    authorization: Optional[str] = None",
        'password = password.encode("latin1")',
        'scope = auth.get("scope")',
        'if token.value == "filter":',
        'elif token == "keyword":',
        'tokens.pop("LABEL")',
        'auth = {"x-api-key": self.api_key, "api-key": self.api_key}',
        "self._expected_authorization = expected_authorization",
        'ENV_API_KEY = "ANTHROPIC_API_KEY"',
        "ACCESS_KEY = 'aws_access_key_id'",
        '_AUTHORIZATION = "authorization"',
        'WORKSPACE_SEMANTIC_TOKENS_REFRESH = "workspace/semanticTokens/refresh"',
        "    max_tokens_per_1_minute: The maximum tokens per minute.",
        "key_or_pass = r'(?:key|pwd|password|pass|token)'",
        "re.compile(r'AccountKey=[a-zA-Z0-9+\\/=]{88}'),",
        'token = f"goldcrest-{uuid.uuid4()}"',
        'password = ask_password("Password: ")',
        '    basic_auth_encoding: str = "latin-1",',
        ":param proxy_url: The proxy url, i.e. https://username:password@proxy.com",
        "MyDatabaseModel(db='postgres://user:pass@localhost:5432')",
        '        "id": "toolu_01D7FLrfh4GYq7yT1ULFeyMV",',
        '"""\nhttps://github.com/Microsoft/vscode-uri/blob/e59cab84f5df6265aed18ae5f43552d3eef13bb9/x.ts\n"""',
        'SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"',
        "EMPTY_SHA256_HASH = (\n"
        "    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n)",
        "# Account SID (ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)",
    ]:
        add("library code", text, "lib/client.py")
    # Other random-looking things that are not secrets.
    add(
        "base64 alphabet",
        'ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"',
    )
    add("regex of a key", 'KEY_RE = re.compile(r"^[A-Za-z0-9+/]{40}$")')
    add("path", 'SITE = "/usr/local/lib/python3.11/site-packages/goldcrest"')
    add("windows path", r'LOG = "C:\\Users\\ada\\AppData\\Local\\goldcrest\\logs"')
    add("timestamp", 'CREATED = "2024-05-01T12:00:00.123456+00:00"')
    add("ipv6", 'HOST = "2001:db8:85a3::8a2e:370:7334"')
    add("css color", "color: #ff00aa;", "a.css")
    add("cron", 'SCHEDULE = "*/15 2-5 * * 1-5"')
    add("sql", 'Q = "SELECT id, password_hash FROM users WHERE email = %s"')
    add(
        "base64 text",
        f'GREETING = "{base64.b64encode(b"Hello there, this is a friendly message").decode()}"',
    )
    add(
        "ssh public key",
        f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{g.s(B64, 43)} ada@laptop",
        "authorized_keys.example",
    )
    add("public key block", f'PUB = """{g.pem("PUBLIC KEY")}"""')
    add("certificate", f'CA = """{g.pem("CERTIFICATE")}"""')
    add("numbers", 'PHONE = "+44 20 7946 0958"')
    add("long number", 'ACCOUNT_NUMBER_FORMAT = "000000000000"')
    return out
