"""Hard negatives: text that looks like a secret, sits where secrets sit, and is not one.

Placeholders, template variables and environment lookups under secret-like names; providers'
documented example keys; identifiers that are random but public (UUIDs, commit SHAs, content
hashes, lock-file integrity values, OAuth client ids, publishable keys, public keys); encoded
media; encrypted blobs.  A scanner that reports one of these raises a false alarm.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from common import ALNUM, B64URL, Bundle, Item, Rand, neg
from formats import PASSWORD_NAMES, SECRET_NAMES, TOKEN_NAMES

SECRETISH = (
    PASSWORD_NAMES
    + SECRET_NAMES
    + TOKEN_NAMES
    + [
        "github_token",
        "stripe_secret_key",
        "openai_api_key",
        "aws_secret_access_key",
        "slack_bot_token",
        "db_password",
    ]
)

PLACEHOLDERS = [
    "YOUR_API_KEY",
    "your-api-key-here",
    "<your-api-key>",
    "<token>",
    "<TOKEN>",
    "<password>",
    "changeme",
    "CHANGEME",
    "change-me-in-production",
    "REPLACE_ME",
    "replace_with_your_token",
    "xxxxxxxxxxxxxxxxxxxxxxxx",
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "****************",
    "your_secret_here",
    "INSERT_KEY_HERE",
    "TODO",
    "<YOUR_GITHUB_TOKEN>",
    "<insert-secret>",
    "dummy",
    "example-secret",
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xoxb-your-bot-token",
    "AKIAXXXXXXXXXXXXXXXX",
    "your_aws_secret_access_key",
    "sk-...",
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "<redacted>",
    "REDACTED",
    "${SECRET}",
    "none",
    "null",
]

# Providers' own documentation values, published as examples.
DOC_EXAMPLES = [
    ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE", "aws-doc-example"),
    ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-doc-example"),
    ("aws_access_key_id", "AKIAI44QH8DHBEXAMPLE", "aws-doc-example"),
    ("aws_secret_access_key", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "aws-doc-example"),
    (
        "azure_storage_connection_string",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJP"
        "LlmEtlCDXJ1OUzFT50uSRZ6"
        "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        "azurite-dev-key",
    ),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaW"
        "F0IjoxNTE2MjM5"
        "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt-io-example",
    ),
    ("slack_bot_token", "xoxb-not-a-real-token-this-will-not-work", "slack-doc-example"),
    ("twilio_account_sid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "twilio-doc-example"),
]

ENV_LOOKUPS: dict[str, list[str]] = {
    "python": [
        'os.environ["{N}"]',
        'os.environ.get("{N}")',
        'os.getenv("{N}")',
        'os.getenv("{N}", "")',
        'config("{N}")',
        'env("{N}")',
        "settings.{N}",
    ],
    "js": [
        "process.env.{N}",
        "process.env['{N}']",
        "process.env.{N} ?? ''",
        "import.meta.env.VITE_{N}",
        "Deno.env.get('{N}')",
    ],
    "go": ['os.Getenv("{N}")', 'viper.GetString("{n}")', 'mustEnv("{N}")'],
    "java": ['System.getenv("{N}")', 'env.getProperty("{n}")', 'System.getProperty("{n}")'],
    "kotlin": ['System.getenv("{N}")', 'System.getenv("{N}") ?: ""', 'env["{N}"]'],
    "ruby": ["ENV['{N}']", 'ENV.fetch("{N}")', "ENV.fetch('{N}', nil)", "Rails.application.credentials.{n}"],
    "php": ["getenv('{N}')", "$_ENV['{N}']", "env('{N}')", "$_SERVER['{N}']"],
    "csharp": [
        'Environment.GetEnvironmentVariable("{N}")',
        'Configuration["{P}"]',
        'config.GetValue<string>("{P}")',
    ],
    "shell": ['"${N}"', '"${{{N}}}"', '"${{{N}:?missing {N}}}"', "$(cat /run/secrets/{n})"],
}

TEMPLATES = [
    "${{{N}}}",
    "${{{N}:-}}",
    "{{{{ .Values.{p} }}}}",
    "{{{{ {n} }}}}",
    "{{{{ vault_{n} }}}}",
    "%({n})s",
    "${{{{ secrets.{N} }}}}",
    "${{var.{n}}}",
    "$({N})",
    "<%= ENV['{N}'] %>",
    "%env({N})%",
    "#{{{N}}}",
    "@{n}@",
    "${{env:{N}}}",
    '{{{{ env "{N}" }}}}',
    "((/{p}))",
]


def _names(name: str) -> dict[str, str]:
    from common import style

    return {
        "N": style(name, "screaming"),
        "n": style(name, "snake"),
        "p": style(name, "camel"),
        "P": style(name, "pascal"),
    }


CODE_REFERENCES: dict[str, list[str]] = {
    "python": [
        "getpass.getpass()",
        "self.{n}",
        "settings.{N}",
        'request.headers.get("Authorization")',
        "base64.b64decode(encoded_{n})",
        "hash_password(raw, salt)",
        "None",
        'kwargs.pop("{n}", None)',
        "secrets.token_urlsafe(32)",
        'keyring.get_password("app", "{n}")',
    ],
    "js": [
        "req.headers.authorization",
        "this.{p}",
        'config.get("{n}")',
        'await getSecret("{n}")',
        'crypto.randomBytes(32).toString("hex")',
        "options.{p} ?? null",
    ],
    "go": ["cfg.{P}", 'r.Header.Get("Authorization")', 'secrets.Get(ctx, "{n}")'],
    "java": ["properties.get{P}()", 'vault.read("{n}")', 'request.getHeader("Authorization")'],
    "kotlin": ["properties.{p}", 'secretManager.get("{n}")'],
    "ruby": ["Rails.application.credentials.dig(:{n})", "params[:{n}]", "SecureRandom.hex(32)"],
    "php": ["config('services.{n}')", "$request->input('{n}')", "bin2hex(random_bytes(32))"],
    "csharp": [
        "_options.{P}",
        'await _secrets.GetSecretAsync("{N}")',
        'configuration.GetConnectionString("Default")',
    ],
}


def code_reference(r: Rand, lang: str) -> Bundle:
    """A secret-named variable set from code, not from a literal."""
    name = r.choice(SECRETISH)
    expr = r.choice(CODE_REFERENCES.get(lang, CODE_REFERENCES["python"])).format(**_names(name))
    return Bundle([Item(name, expr, neg(expr, "code-reference", "code-reference"), raw=True)])


def placeholder(r: Rand) -> Bundle:
    name, value = r.choice(SECRETISH), r.choice(PLACEHOLDERS)
    return Bundle([Item(name, value, neg(value, "placeholder", "placeholder"))])


def doc_example(r: Rand) -> Bundle:
    name, value, fmt_name = r.choice(DOC_EXAMPLES)
    return Bundle([Item(name, value, neg(value, fmt_name, "provider-example"))])


def env_lookup(r: Rand, lang: str) -> Bundle:
    name = r.choice(SECRETISH)
    expr = r.choice(ENV_LOOKUPS.get(lang, ENV_LOOKUPS["python"])).format(**_names(name))
    return Bundle([Item(name, expr, neg(expr, "env-lookup", "env-lookup"), raw=True)])


def template(r: Rand) -> Bundle:
    name = r.choice(SECRETISH)
    value = r.choice(TEMPLATES).format(**_names(name))
    return Bundle([Item(name, value, neg(value, "template-variable", "template"))])


def uuid_id(r: Rand) -> Bundle:
    name = r.pick(
        "request_id",
        "tenant_id",
        "client_id",
        "subscription_id",
        "correlation_id",
        "installation_id",
        "project_id",
        "workspace_id",
        "device_id",
        "trace_parent_id",
        "azure_tenant_id",
        "app_id",
    )
    value = r.uuid()
    return Bundle([Item(name, value, neg(value, "uuid", "uuid"))])


def git_sha(r: Rand) -> Bundle:
    name = r.pick("commit", "commit_sha", "revision", "git_sha", "base_ref", "last_release_sha", "pinned_rev")
    value = r.hex(40)
    return Bundle([Item(name, value, neg(value, "git-sha", "hash"))])


def content_hash(r: Rand) -> Bundle:
    kind = r.randint(0, 4)
    data = r.raw(32)
    if kind == 0:
        name, value = (
            r.pick("sha256", "checksum", "digest", "content_sha256"),
            hashlib.sha256(data).hexdigest(),
        )
    elif kind == 1:
        name, value = r.pick("image_digest", "digest"), "sha256:" + hashlib.sha256(data).hexdigest()
    elif kind == 2:
        name, value = r.pick("etag", "md5", "content_md5"), hashlib.md5(data).hexdigest()
    elif kind == 3:
        name, value = "integrity", "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    else:
        name, value = (
            r.pick("sri_hash", "integrity"),
            "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode(),
        )
    return Bundle([Item(name, value, neg(value, "content-hash", "hash"))])


def public_ids(r: Rand) -> Bundle:
    kind = r.randint(0, 4)
    if kind == 0:
        name, value, fmt_name = "stripe_publishable_key", f"pk_live_51{r.alnum(97)}", "stripe-publishable-key"
    elif kind == 1:
        name, value, fmt_name = (
            "google_client_id",
            f"{r.digits(12)}-{r.lower_alnum(32)}.apps.googleusercontent.com",
            "google-oauth-client-id",
        )
    elif kind == 2:
        name, value, fmt_name = "stripe_publishable_key", f"pk_test_{r.alnum(24)}", "stripe-publishable-key"
    elif kind == 3:
        name, value, fmt_name = "sentry_public_key", r.hex(32), "sentry-public-key"
    else:
        name, value, fmt_name = "recaptcha_site_key", "6L" + r.s(B64URL, 38), "recaptcha-site-key"
    return Bundle([Item(name, value, neg(value, fmt_name, "public-id"))])


def secretish_non_secret(r: Rand) -> Bundle:
    """Secret-like names holding a URL, header name, file path, duration or resource name."""
    options = [
        ("token_url", "https://oauth2.googleapis.com/token"),
        ("token_endpoint", "https://login.example.com/oauth/token"),
        ("api_key_header", "X-API-Key"),
        ("secret_name", "prod/payments/db-credentials"),
        ("secret_key_file", "/run/secrets/django_secret_key"),
        ("google_application_credentials", "/var/secrets/google/key.json"),
        ("ssh_key_path", "~/.ssh/id_ed25519"),
        ("password_reset_path", "/accounts/password/reset/"),
        ("token_ttl_seconds", "3600"),
        ("password_min_length", "12"),
        ("credentials_provider", "DefaultAWSCredentialsProviderChain"),
        ("api_key_env_var", "OPENAI_API_KEY"),
        ("secret_arn", f"arn:aws:secretsmanager:us-east-1:{r.digits(12)}:secret:prod/api-{r.alnum(6)}"),
        ("token_type", "Bearer"),
        ("password_hasher", "django.contrib.auth.hashers.Argon2PasswordHasher"),
        ("vault_secret_path", "secret/data/payments/stripe"),
        ("keystore_path", "/etc/ssl/private/server.p12"),
        ("auth_token_cookie_name", "__Host-session"),
        ("private_key_id_field", "private_key_id"),
    ]
    name, value = r.choice(options)
    return Bundle([Item(name, value, neg(value, "secretish-name-non-secret", "identifier"))])


def long_identifier(r: Rand) -> Bundle:
    parts = [
        "Abstract",
        "Default",
        "Token",
        "Secret",
        "Credentials",
        "Provider",
        "Factory",
        "Bean",
        "Refresh",
        "Authentication",
        "Manager",
        "Handler",
        "Resolver",
        "Registry",
        "Configuration",
        "Key",
        "Password",
        "Encoder",
        "Validator",
        "Strategy",
    ]
    value = "".join(r.sample(parts, r.randint(5, 8)))
    name = r.pick("handler_class", "provider_class", "bean_name", "strategy")
    return Bundle([Item(name, value, neg(value, "long-identifier", "identifier"))])


def file_path(r: Rand) -> Bundle:
    value = r.pick(
        f"/usr/local/lib/python3.11/site-packages/{r.pick('botocore', 'google', 'azure')}/data"
        f"/{r.alnum(6).lower()}"
        f"/service-2.json",
        f"src/main/resources/keys/{r.pick('public', 'jwks')}/{r.lower_alnum(12)}.pem",
        f"/home/runner/work/{r.lower_alnum(8)}/{r.lower_alnum(8)}/node_modules/.cache/{r.hex(16)}",
        f"C:\\Users\\build\\AppData\\Local\\Temp\\{r.hex(8)}\\credentials.json",
        f"assets/img/{r.hex(20)}.webp",
    )
    name = r.pick("cert_path", "credentials_file", "cache_dir", "asset_path", "token_cache_path", "key_file")
    return Bundle([Item(name, value, neg(value, "file-path", "file-path"))])


def encrypted_value(r: Rand) -> Bundle:
    if r.chance(0.5):
        value = f"ENC[AES256_GCM,data:{r.b64(r.randint(12, 40))},iv:{r.b64(32)},tag:{r.b64(16)},type:str]"
        fmt_name = "sops-encrypted"
    else:
        value = "AgB" + r.s(ALNUM + "+/", r.randint(300, 500)) + "=="
        fmt_name = "sealed-secret"
    name = r.choice(SECRETISH)
    return Bundle([Item(name, value, neg(value, fmt_name, "encrypted"))])


def data_uri(r: Rand, kind: str | None = None) -> str:
    kind = kind or r.pick("png", "gif", "woff2", "svg", "jpeg")
    if kind == "png":
        raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + r.raw(r.randint(60, 400)) + b"IEND\xaeB`\x82"
        return "data:image/png;base64," + base64.b64encode(raw).decode()
    if kind == "gif":
        return "data:image/gif;base64," + base64.b64encode(b"GIF89a" + r.raw(r.randint(30, 120))).decode()
    if kind == "jpeg":
        return (
            "data:image/jpeg;base64,"
            + base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF" + r.raw(300)).decode()
        )
    if kind == "woff2":
        return (
            "data:font/woff2;base64,"
            + base64.b64encode(b"wOF2\x00\x01\x00\x00" + r.raw(r.randint(400, 900))).decode()
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M{r.randint(1, 9)} '
        f'2h8v{r.randint(4, 12)}H4z"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def colour(r: Rand) -> str:
    return "#" + r.hex(r.pick(3, 6, 8))


ASSIGNMENT_NEGATIVES: list[tuple[Callable[[Rand], Bundle], float]] = [
    (placeholder, 4),
    (doc_example, 1.5),
    (template, 3),
    (uuid_id, 2),
    (git_sha, 1.5),
    (content_hash, 1.5),
    (public_ids, 1.5),
    (secretish_non_secret, 2.5),
    (long_identifier, 1),
    (file_path, 1),
    (encrypted_value, 0.7),
]


def assignment_negative(r: Rand, lang: str) -> Bundle:
    if r.chance(0.2):
        return env_lookup(r, lang)
    if lang in CODE_REFERENCES and r.chance(0.15):
        return code_reference(r, lang)
    gens, weights = zip(*ASSIGNMENT_NEGATIVES, strict=True)
    return r.choices(gens, weights)[0](r)
