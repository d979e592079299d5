"""A generated corpus for the redaction tests and bench: secrets in the shapes people paste them
(their look-alikes, which must survive untouched, are in lookalike_corpus.py). Every value is made
up (a seeded random generator fills the documented formats), so the corpus can be printed,
committed and shared.

``secrets()`` gives ``Secret(what, text, value, path)``: ``value`` is exactly the part of
``text`` that must be replaced, nothing more.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
UPPER32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class Secret:
    what: str
    text: str
    value: str
    path: str = "app.py"


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.rng.randbytes(nbytes)).decode()

    def b64url(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(nbytes)).decode().rstrip("=")

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self.rng.randbytes(16), version=4))

    def password(self) -> str:
        words = ["Tr0ub4dor", "hunter", "Sunfl0wer", "kettle", "M4ngo", "orbit", "Z3bra"]
        return self.rng.choice(words) + self.s("!#%&*+-", 1) + self.s(string.digits, 3)

    def url_password(self) -> str:
        """A password as it must appear in a URL: its symbols percent-encoded."""
        return quote(self.password(), safe="")

    def jwt(self) -> str:
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        body = base64.urlsafe_b64encode(
            f'{{"sub":"{self.s(string.digits, 10)}","iat":{self.s(string.digits, 10)}}}'.encode()
        )
        return f"{head}.{body.decode().rstrip('=')}.{self.b64url(32)}"

    def pem(self, label: str, lines: int = 4) -> str:
        body = "\n".join(self.b64(48) for _ in range(lines))
        return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def _tokens(g: Gen) -> list[tuple[str, str, str]]:
    """(what, a keyword-style name, a made-up token in the provider's documented shape)."""
    return [
        ("aws access key id", "aws_access_key_id", "AKIA" + g.s(UPPER32, 16)),
        ("aws temporary key id", "aws_key", "ASIA" + g.s(UPPER32, 16)),
        ("aws secret access key", "aws_secret_access_key", g.s(B64, 40)),
        ("gcp api key", "google_api_key", "AIza" + g.s(URLSAFE, 35)),
        ("gcp oauth client secret", "google_client_secret", "GOCSPX-" + g.s(URLSAFE, 28)),
        ("gcp oauth access token", "google_token", "ya29." + g.s(URLSAFE, 60)),
        ("azure ad client secret", "azure_client_secret", g.s(ALNUM, 3) + "8Q~" + g.s(ALNUM, 34)),
        ("azure storage key", "azure_storage_key", g.b64(64)),
        ("github classic token", "github_token", "ghp_" + g.s(ALNUM, 36)),
        ("github oauth token", "gh_oauth_token", "gho_" + g.s(ALNUM, 36)),
        ("github app token", "gh_app_token", "ghs_" + g.s(ALNUM, 36)),
        ("github refresh token", "gh_refresh_token", "ghr_" + g.s(ALNUM, 76)),
        ("github fine-grained pat", "github_pat", "github_pat_" + g.s(ALNUM + "_", 82)),
        ("gitlab pat", "gitlab_token", "glpat-" + g.s(URLSAFE, 20)),
        ("gitlab deploy token", "gitlab_deploy_token", "gldt-" + g.s(URLSAFE, 20)),
        ("gitlab runner token", "runner_token", "glrt-" + g.s(URLSAFE, 20)),
        ("gitlab trigger token", "trigger_token", "glptt-" + g.s(HEX, 40)),
        (
            "slack bot token",
            "slack_bot_token",
            f"xoxb-{g.s(string.digits, 12)}-{g.s(string.digits, 13)}-{g.s(ALNUM, 24)}",
        ),
        (
            "slack user token",
            "slack_user_token",
            f"xoxp-{g.s(string.digits, 12)}-"
            f"{g.s(string.digits, 12)}-{g.s(string.digits, 13)}-{g.s(HEX, 32)}",
        ),
        (
            "slack app token",
            "slack_app_token",
            f"xapp-1-A{g.s(UPPER32, 10)}-{g.s(string.digits, 13)}-{g.s(HEX, 64)}",
        ),
        ("stripe live secret", "stripe_secret_key", "sk_live_" + g.s(ALNUM, 99)),
        ("stripe restricted", "stripe_restricted_key", "rk_live_" + g.s(ALNUM, 24)),
        ("stripe test secret", "stripe_test_key", "sk_test_" + g.s(ALNUM, 24)),
        ("stripe webhook secret", "stripe_webhook_secret", "whsec_" + g.s(ALNUM, 32)),
        ("twilio api key", "twilio_api_key", "SK" + g.s(HEX, 32)),
        ("twilio auth token", "twilio_auth_token", g.s(HEX, 32)),
        ("sendgrid key", "sendgrid_api_key", f"SG.{g.s(URLSAFE, 22)}.{g.s(URLSAFE, 43)}"),
        ("openai project key", "openai_api_key", "sk-proj-" + g.s(URLSAFE, 120)),
        ("openai legacy key", "openai_key", f"sk-{g.s(ALNUM, 20)}T3BlbkFJ{g.s(ALNUM, 20)}"),
        ("openai service account", "openai_svc_key", "sk-svcacct-" + g.s(URLSAFE, 60)),
        ("anthropic key", "anthropic_api_key", f"sk-ant-api03-{g.s(URLSAFE, 93)}AA"),
        ("anthropic admin key", "anthropic_admin_key", f"sk-ant-admin01-{g.s(URLSAFE, 93)}AA"),
        ("huggingface token", "hf_token", "hf_" + g.s(string.ascii_letters, 34)),
        ("npm token", "npm_token", "npm_" + g.s(ALNUM, 36)),
        ("pypi token", "pypi_token", "pypi-AgEIcHlwaS5vcmc" + g.s(URLSAFE, 120)),
        ("jwt", "id_token", g.jwt()),
        ("mailchimp key", "mailchimp_api_key", g.s(HEX, 32) + "-us14"),
        ("mailgun key", "mailgun_api_key", "key-" + g.s(HEX, 32)),
        (
            "discord bot token",
            "discord_token",
            f"M{g.s(ALNUM, 23)}.{g.s(URLSAFE, 6)}.{g.s(URLSAFE, 27)}",
        ),
        ("telegram bot token", "telegram_token", f"{g.s(string.digits, 10)}:AA{g.s(URLSAFE, 33)}"),
        ("square access token", "square_access_token", "EAAA" + g.s(URLSAFE, 60)),
        ("square oauth secret", "square_oauth_secret", "sq0csp-" + g.s(URLSAFE, 43)),
        ("shopify token", "shopify_token", "shpat_" + g.s(HEX, 32)),
        ("digitalocean token", "do_token", "dop_v1_" + g.s(HEX, 64)),
        ("databricks token", "databricks_token", "dapi" + g.s(HEX, 32)),
        ("heroku api key", "heroku_api_key", g.uuid()),
        ("datadog api key", "dd_api_key", g.s(HEX, 32)),
        ("vault token", "vault_token", "hvs." + g.s(URLSAFE, 90)),
        ("linear api key", "linear_api_key", "lin_api_" + g.s(ALNUM, 40)),
        ("notion token", "notion_token", "secret_" + g.s(ALNUM, 43)),
        ("groq key", "groq_api_key", "gsk_" + g.s(ALNUM, 52)),
        ("replicate token", "replicate_api_token", "r8_" + g.s(ALNUM, 37)),
        ("postman key", "postman_api_key", f"PMAK-{g.s(HEX, 24)}-{g.s(HEX, 34)}"),
        ("grafana service token", "grafana_token", "glsa_" + g.s(ALNUM, 32) + "_" + g.s(HEX, 8)),
        ("new relic key", "newrelic_api_key", "NRAK-" + g.s(UPPER32, 27)),
        ("doppler token", "doppler_token", "dp.st.prd." + g.s(ALNUM, 43)),
        ("age secret key", "age_key", "AGE-SECRET-KEY-1" + g.s(UPPER32.replace("B", ""), 58)),
        (
            "firebase server key",
            "fcm_server_key",
            f"AAAA{g.s(URLSAFE, 7)}:APA91b{g.s(URLSAFE, 134)}",
        ),
    ]


# Where a token sits: (syntax, template, path, quoted). {n}: snake name, {N}: upper, {c}: camel.
PLACES: list[tuple[str, str, str]] = [
    ("python", '{n} = "{v}"', "settings.py"),
    ("python kwarg", "client = Client(endpoint, {n}='{v}')", "client.py"),
    ("python dict", 'CONFIG = {{"{n}": "{v}", "timeout": 30}}', "config.py"),
    ("js", "const {c} = '{v}';", "config.js"),
    ("ts object", "export default {{ {c}: `{v}`, retries: 3 }};", "config.ts"),
    ("json", '{{\n  "{n}": "{v}",\n  "region": "eu-west-1"\n}}', "config.json"),
    ("yaml", "service:\n  {n}: {v}\n  port: 8080\n", "config.yaml"),
    ("toml", '[service]\n{n} = "{v}"\nport = 8080\n', "config.toml"),
    ("ini", "[service]\n{n} = {v}\nport = 8080\n", "config.ini"),
    (".env", "{N}={v}\nPORT=8080\n", ".env.example"),
    ("shell", "export {N}={v}\n./deploy.sh\n", "deploy.sh"),
    ("go", '{c} := "{v}"', "main.go"),
    ("java", 'private static final String {N} = "{v}";', "Config.java"),
]

# Names that say nothing about secrets: the value alone has to give it away.
_NEUTRAL = ["upstream", "primary", "value", "backend_ref", "conn", "target", "default_arg"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def place(template: str, name: str, value: str) -> str:
    return template.format(n=name, N=name.upper(), c=_camel(name), v=value)


def _provider_secrets(g: Gen) -> list[Secret]:
    out = []
    for i, (what, name, token) in enumerate(_tokens(g)):
        for j in range(3):
            syntax, template, path = PLACES[(3 * i + j) % len(PLACES)]
            # One placement in three under a neutral name: provider shape or entropy must tell.
            # A UUID under a neutral name is an id as far as anyone can tell: named only.
            neutral = j == 2 and what != "heroku api key"
            label = _NEUTRAL[(i + j) % len(_NEUTRAL)] if neutral else name
            out.append(Secret(f"{what} / {syntax}", place(template, label, token), token, path))
    return out


def _generic_secrets(g: Gen) -> list[Secret]:
    out: list[Secret] = []

    def add(what: str, text_of: Callable[[str], str], value: str, path: str = "app.py") -> None:
        out.append(Secret(what, text_of(value), value, path))

    pw = g.password
    add("python password", lambda v: f'db_password = "{v}"', pw())
    add("annotated password", lambda v: f'db_password: str = "{v}"', pw())
    add("default argument", lambda v: f'def login(user: str, passwd: str = "{v}") -> None:', pw())
    add("kwarg password", lambda v: f'connect(user="app", password="{v}")', pw())
    add("compared password", lambda v: f'if password == "{v}":', pw())
    add("js password", lambda v: f"const dbPassword = '{v}';", pw(), "db.js")
    add("json password", lambda v: f'{{"password": "{v}"}}', pw(), "x.json")
    add("yaml password", lambda v: f"database:\n  password: {v}\n", pw(), "db.yml")
    add("yaml quoted", lambda v: f"database:\n  password: '{v}'\n", pw(), "db.yml")
    add("toml password", lambda v: f'[db]\npassword = "{v}"\n', pw(), "db.toml")
    add("ini password", lambda v: f"[db]\npassword={v}\n", pw(), "db.ini")
    add(".env password", lambda v: f"DATABASE_PASSWORD={v}\n", pw(), ".env")
    add("shell export", lambda v: f"export PGPASSWORD='{v}'\n", pw(), "run.sh")
    add("compose env", lambda v: f"    environment:\n      - POSTGRES_PASSWORD={v}\n", pw())
    add("dockerfile env", lambda v: f"ENV API_TOKEN={v}\n", g.s(ALNUM, 24), "Dockerfile")
    add("django secret", lambda v: f"SECRET_KEY = '{v}'", "django-insecure-" + g.s(ALNUM, 30))
    add("ruby hash", lambda v: f'config = {{ :auth_token => "{v}" }}', g.s(ALNUM, 20), "a.rb")
    add("php array", lambda v: f"'api_key' => '{v}',", g.s(ALNUM, 32), "config.php")
    add("csharp verbatim", lambda v: f'var apiSecret = @"{v}";', g.s(ALNUM, 28), "A.cs")
    add("go short decl", lambda v: f'apiKey := "{v}"', g.s(ALNUM, 16), "main.go")
    add("k8s secret data", lambda v: f"data:\n  password: {v}\n", g.b64(12), "secret.yaml")
    add("netrc line", lambda v: f"machine api.example.com login bob password {v}", pw())
    # Environment lookups whose default is the credential (leaked before).
    add("environ.get default", lambda v: f'KEY = os.environ.get("X", "{v}")', pw())
    add("environ.get token", lambda v: f'tok = os.environ.get("SERVICE_TOKEN", "{v}")', pw())
    add("getenv default", lambda v: f'os.getenv("UPSTREAM", "{v}")', "zq_" + g.s(ALNUM, 30))
    add("getenv kw default", lambda v: f'getenv("DB_PASS", default="{v}")', pw())
    add(
        "process.env fallback", lambda v: f'const key = process.env.API_KEY || "{v}";', pw(), "a.js"
    )
    add("shell default", lambda v: f'PASS="${{DB_PASSWORD:-{v}}}"', pw(), "run.sh")
    add("ENV.fetch default", lambda v: f'ENV.fetch("SECRET_KEY_BASE", "{v}")', g.s(HEX, 64), "a.rb")
    # Credentials in URLs and headers.
    add(
        "postgres url",
        lambda v: f"DATABASE_URL = 'postgresql://admin:{v}@db.internal:5432/app'",
        g.url_password(),
    )
    add(
        "mysql url",
        lambda v: f'engine = create_engine("mysql+pymysql://root:{v}@localhost/db")',
        g.url_password(),
    )
    add(
        "mongodb srv",
        lambda v: f'MONGO = "mongodb+srv://svc:{v}@cluster0.ab1cd.mongodb.net/"',
        g.s(ALNUM, 16),
    )
    add("redis empty user", lambda v: f'REDIS_URL = "redis://:{v}@cache:6379/0"', g.url_password())
    add("amqp empty user", lambda v: f"broker_url = 'amqp://:{v}@rabbit//'", g.s(ALNUM, 20))
    add(
        "url in yaml",
        lambda v: f"db:\n  url: postgres://app:{v}@db/app\n",
        g.url_password(),
        "c.yml",
    )
    add(
        "git remote token",
        lambda v: f"git clone https://x-access-token:{v}@github.com/o/r.git",
        g.s(ALNUM, 40),
        "ci.sh",
    )
    add(
        "sentry dsn",
        lambda v: f'sentry_sdk.init("https://{v}@o451.ingest.sentry.io/5678")',
        g.s(HEX, 32),
    )
    add(
        "jdbc password param",
        lambda v: f'url = "jdbc:postgresql://db/app?user=app&password={v}"',
        g.url_password(),
    )
    add(
        "ado.net connection",
        lambda v: f'"Server=db;Database=app;User Id=sa;Password={v};"',
        pw(),
        "a.cs",
    )
    add(
        "azure connection string",
        lambda v: (
            "conn = 'DefaultEndpointsProtocol=https;AccountName"
            f"=acct;AccountKey={v};EndpointSuffix=core.windows.net'"
        ),
        g.b64(64),
    )
    add(
        "azure sas",
        lambda v: (
            "url = 'https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b"
            f"&sp=r&se=2030-01-01&sig={v}'"
        ),
        g.b64(32).replace("+", "%2B").replace("/", "%2F"),
    )
    add(
        "basic header",
        lambda v: f'headers = {{"Authorization": "Basic {v}"}}',
        base64.b64encode(f"svc:{g.password()}".encode()).decode(),
    )
    add(
        "bearer header js",
        lambda v: f"fetch(u, {{ headers: {{ Authorization: `Bearer {v}` }} }});",
        g.s(ALNUM, 32),
        "a.js",
    )
    add(
        "curl bearer",
        lambda v: f'curl -H "Authorization: Bearer {v}" https://api.x.io',
        g.jwt(),
        "a.sh",
    )
    add(
        "custom auth header",
        lambda v: f'curl -H "X-Custom-Auth: {v}" https://api.x.io',
        g.s(ALNUM, 28),
        "a.sh",
    )
    add("x-api-key header", lambda v: f'{{"x-api-key": "{v}"}}', g.s(ALNUM, 24))
    add("curl basic auth", lambda v: f"curl -u deploy:{v} https://ci.example.com/api", pw(), "a.sh")
    add("requests auth tuple", lambda v: f'requests.get(url, auth=("api", "{v}"))', pw())
    add("HTTPBasicAuth", lambda v: f'auth = HTTPBasicAuth("svc", "{v}")', pw())
    add(
        "npmrc token",
        lambda v: f"//registry.npmjs.org/:_authToken={v}",
        "npm_" + g.s(ALNUM, 36),
        ".npmrc.example",
    )
    add(
        "pip index url",
        lambda v: f"index-url = https://ci:{v}@pypi.corp.example/simple",
        g.url_password(),
        "pip.conf",
    )
    add(
        "slack webhook",
        lambda v: f"requests.post('{v}', json=msg)",
        f"https://hooks.slack.com/services/T{g.s(UPPER32, 8)}/B{g.s(UPPER32, 10)}/"
        + g.s(ALNUM, 24),
    )
    # Private keys, with the whole block as the secret.
    for label in (
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
        "DSA PRIVATE KEY",
    ):
        add(label.lower(), lambda v: f'KEY = """{v}\n"""', g.pem(label))
    gcp_key = g.pem("PRIVATE KEY").replace("\n", "\\n")
    add(
        "gcp service account json",
        lambda v: (
            f'{{\n  "type": "service_account",\n  '
            f'"private_key": "{v}\\n",\n  "client_email": "a@b.iam.gserviceaccount.com"\n}}'
        ),
        gcp_key,
        "sa.json",
    )
    return out


def _unknown_and_entropy(g: Gen) -> list[Secret]:
    """Tokens whose prefix no rule knows, and random values under names that say nothing."""
    prefixes = ["zq_live_", "acme-", "tok_", "svc.", "k1_", "pk_prod_", "xk-", "ak_", "fly_", "qq."]
    out = []
    for i, prefix in enumerate(prefixes):
        token = prefix + g.s(ALNUM, 40)
        syntax, template, path = PLACES[(i * 5) % len(PLACES)]
        name = _NEUTRAL[i % len(_NEUTRAL)]
        out.append(
            Secret(f"unknown prefix {prefix} / {syntax}", place(template, name, token), token, path)
        )
    for i, (syntax, template, path) in enumerate(PLACES):
        b64 = g.b64(30 + i)
        out.append(Secret(f"base64 entropy / {syntax}", place(template, "blob_a", b64), b64, path))
        hexed = g.s(HEX, 32 + 8 * (i % 5))
        out.append(Secret(f"hex entropy / {syntax}", place(template, "cfg_b", hexed), hexed, path))
    return out


def secrets(seed: int = 20240611) -> list[Secret]:
    """Every secret format of the corpus (made-up values, stable for a seed)."""
    g = Gen(seed)
    return [*_provider_secrets(g), *_generic_secrets(g), *_unknown_and_entropy(g)]
