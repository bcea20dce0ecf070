"""Table tests for every named false-positive filter in ``keyscan.engine.filters``.

Each filter has its own table of ``(value, line, path, expected)`` rows, where ``expected`` is True
when the filter DROPS the match.  A change that weakens one filter fails that filter's table only.
Every random-looking value here is freshly generated test data, not a credential.
"""

from __future__ import annotations

import pytest

from keyscan.engine.filters import FILTERS

Row = tuple[str, str, str, bool]

PLACEHOLDER: list[Row] = [
    ("YOUR_API_KEY", "api_key = 'YOUR_API_KEY'", "app.py", True),
    ("your-token-here", "token: your-token-here", "c.yml", True),
    ("xxxxxxxxxxxxxxxxxxxx", "", "", True),
    ("<token>", "Authorization: Bearer <token>", "", True),
    ("changeme", "", "", True),
    ("${API_KEY}", "", "", True),
    ("{{ api_key }}", "", "", True),
    ("%(token)s", "", "", True),
    ('<%= ENV["X"] %>', "", "", True),
    ("{0}", "", "", True),
    ("{user}:{password}", "", "", True),
    ("%s", "", "", True),
    ("$DB_PASSWORD", "", "", True),
    ("********", "", "", True),
    ("idpexamplesecret456", "", "", True),
    ("sk_placeholder_value_1", "", "", True),
    ("REDACTED", "", "", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "api_key = 'mXLajQrkaJM24WbSjcsOmSWs9q5l'", "app.py", False),
    ("Summer2024!", "", "", False),
    ("cJS5eb6LFV8urOb5S9x1xXnBY6U8", "", "", False),
    # base64-encoded placeholders (Kubernetes Secret data) are placeholders too
    ("Y2hhbmdlbWUK", "  DB_PASSWORD: Y2hhbmdlbWUK", "k8s/secret.yaml", True),  # 'changeme\n'
    ("PHlvdXItcGFzc3dvcmQ+", "  password: PHlvdXItcGFzc3dvcmQ+", "k8s/secret.yaml", True),  # '<your-password>'
    ("eG94Yi15b3VyLWJvdC10b2tlbg==", "  SLACK_TOKEN: eG94Yi15b3VyLWJvdC10b2tlbg==", "k8s/secret.yaml", True),
    ("xoxb-your-bot-token", "", "", True),
    ("cUY3aFp5a0JXcjJtTnZUOA==", "  password: cUY3aFp5a0JXcjJtTnZUOA==", "secret.yaml", False),  # 'qF7hZykBWr2mNvT8'
]

ENV_LOOKUP: list[Row] = [
    ('os.environ["DB_PASSWORD"]', 'password = os.environ["DB_PASSWORD"]', "app.py", True),
    ('os.getenv("API_KEY")', 'key = os.getenv("API_KEY")', "app.py", True),
    ("process.env.API_KEY", "const key = process.env.API_KEY", "app.js", True),
    ('ENV["X"]', 'token = ENV["X"]', "app.rb", True),
    ('System.getenv("X")', 'String t = System.getenv("X");', "A.java", True),
    ("TOKEN", "token: ${{ secrets.TOKEN }}", "ci.yml", True),
    # a literal default next to the lookup is still a literal
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", 'key = os.getenv("K", "mXLajQrkaJM24WbSjcsOmSWs9q5l")', "app.py", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", 'api_key = "mXLajQrkaJM24WbSjcsOmSWs9q5l"', "app.py", False),
    # a literal assigned to a lookup, given as its default or as a fallback is a literal
    ("XwVq3bTRu9Lm", "os.environ[\"BROKER_URL\"] = 'amqp://app:XwVq3bTRu9Lm@mq:5672/prod'", "conftest.py", False),
    ("XwVq3bTRu9Lm", '"os.environ[\\"MONGO_URI\\"] = \\"mongodb://app:XwVq3bTRu9Lm@db/app\\"\\n",', "a.ipynb", False),
    ("XwVq3bTRu9Lm", 'url = os.getenv("DB_URL", "postgres://app:XwVq3bTRu9Lm@db/app")', "app.py", False),
    ("XwVq3bTRu9Lm", 'const url = process.env.DB_URL || "postgres://app:XwVq3bTRu9Lm@db/app";', "db.js", False),
    # ... but a value that is part of the lookup, or an expression on a lookup line, is not
    ("process.env.DB_URL", "DB_URL=process.env.DB_URL", ".env", True),
    ("XwVq3bTRu9Lm", "url: ${DB_URL:-postgres://app:XwVq3bTRu9Lm@db/app}  # read by os.getenv", "c.yml", True),
]

HEROKU = "1b8e0f2c-5d4a-4f3e-9a6b-7c2d1e0f9a8b"
HEX40 = "0b1f4c2e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"

UUID: list[Row] = [
    ("550e8400-e29b-41d4-a716-446655440000", "", "", True),
    ("6FA459EA-EE8A-3CA4-894E-DB77E160355E", "", "", True),
    ("550e8400e29b41d4a716446655440000", "", "", False),
    ("550e8400-e29b-41d4-a716-44665544000", "", "", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    # Heroku API keys and OAuth tokens are UUIDs
    (HEROKU, f'fetch("https://api.heroku.com/apps", {{headers: {{Authorization: "Bearer {HEROKU}"}}}})', "a.js", False),
    (HEROKU, f"HEROKU_API_KEY={HEROKU}", ".env", False),
    (HEROKU, f"heroku_app_id: {HEROKU}", "app.yml", True),
    (HEROKU, f"Authorization: Bearer {HEROKU}", "a.http", True),
]

HASH: list[Row] = [
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "commit = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'", "", True),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", "", True),
    ("d41d8cd98f00b204e9800998ecf8427e", "checksum: d41d8cd98f00b204e9800998ecf8427e", "", True),
    ("kT3vR8pWq2ZxkT3vR8pWq2Zx", "sha256: kT3vR8pWq2ZxkT3vR8pWq2Zx", "", True),
    ("$2b$12$C6UzMDM.H6dfI/f/IKcEeO5CiVqz.BY9yXZ1Je6WvAQvhoNEYMoXa", "password: '$2b$12$C6Uz...'", "", True),
    ("pbkdf2_sha256$600000$abc$def", "", "", True),
    ("{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "userPassword: {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "", True),
    # a plain hex key assigned to a secret name is kept: many providers issue hex keys
    ("ce05d4259fb206b33ce10257f8092e6b", 'api_key = "ce05d4259fb206b33ce10257f8092e6b"', "", False),
    ("89d8e91c5599a4d54346e2a8053a3d4e", "Authorization: Bearer 89d8e91c5599a4d54346e2a8053a3d4e", "", False),
    ("faff0adcdf2403c19aa9a8f40aa9705e", "service.api.key=faff0adcdf2403c19aa9a8f40aa9705e", "", False),
    ("ce05d4259fb206b33ce10257f8092e6b", 'token_sha = "ce05d4259fb206b33ce10257f8092e6b"', "", True),
    (HEX40, f'  CLIENT_KEY: "{HEX40}"', "ci.yml", False),
    (HEX40, f'  cache_key: "{HEX40}"', "ci.yml", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "api_key = mXLajQrkaJM24WbSjcsOmSWs9q5l", "", False),
    ("CE05D4259fb206b33ce10257f8092e6b", "", "", False),
]

LOCKFILE: list[Row] = [
    ("sha512-abc", '"integrity": "sha512-abc"', "web/package-lock.json", True),
    ("h1:abc=", "golang.org/x/net v0.1.0 h1:abc=", "go.sum", True),
    ("abc", 'checksum = "abc"', "Cargo.lock", True),
    ("abc", "", "poetry.lock", True),
    ("abc", "", "yarn.lock", True),
    ("abc", "", "release/SHA256SUMS", True),
    ("abc", "", "dist/app.tar.gz.sha256", True),
    ("abc", "", "package.json", False),
    ("abc", "", "lock.py", False),
    ("abc", "", ".env", False),
]

SEQUENTIAL: list[Row] = [
    ("abcdef123456", "", "", True),
    ("abcdefghijklmnop1234567890", "", "", True),
    ("qwertyuiop123", "", "", True),
    ("a1b2c3d4567890ab", "", "", True),
    ("zyxwvutsrq9876543210", "", "", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("Summer2024!", "", "", False),
    ("f798ab4899346a88599180fee9e14fa1", "", "", False),
]

REPEATED: list[Row] = [
    ("aaaaaaaaaaaaaaaa", "", "", True),
    ("abababababababab", "", "", True),
    ("00000000", "", "", True),
    ("aabbccaabbccaabbccaabbccaabbcc11", "", "", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("hunter2x9q", "", "", False),
]

IDENTIFIER: list[Row] = [
    ("getAccessTokenFromRefreshToken", "", "", True),
    ("PASSWORD_RESET_TIMEOUT", "", "", True),
    ("secret_key_base", "", "", True),
    ("self.session_token_value", "", "", True),
    ("Password", "", "", True),
    ("app-secret-name", "", "", True),
    ("hunter2x9q", "", "", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("PQjztGWNLpuYfhBXcZvosGQz", "", "", False),
    ("storage_credentials_v2", "", "", True),
    # versioned API model class names (kubernetes client): 'secret': 'V1SecretVolumeSource'
    ("V1SecretVolumeSource", "'secret': 'V1SecretVolumeSource',", "", True),
    ("V2beta1HorizontalPodAutoscaler", "", "", True),
    ("V1xQ9rT", "", "", False),
    ("my_secret_value_123", "", "", True),
    ("sZi-QOtvptxBV", "", "", False),
    ("live_1234567890123456", "", "", False),
    # passphrases and random mixed-case letters where a secret goes are kept ...
    ("maple-harbor-7586", "PGPASSWORD=maple-harbor-7586 psql -h db01 -U app", "ci.yml", False),
    ("polar-zephyr-3236", '  SMTP_PASSWORD: "polar-zephyr-3236"', ".gitlab-ci.yml", False),
    ("maple-tiger-2044", "REDIS_URL=rediss://:maple-tiger-2044@cache.internal:6379/0", ".env", False),
    ("violet-nimbus-5998", "URL='jdbc:oracle:thin:etl/violet-nimbus-5998@db01:1521:ORCL'", ".env", False),
    ("nimbus-tiger-9532", "mysql -h db01 -u root -p'nimbus-tiger-9532' app < dump.sql", "Dockerfile", False),
    ("kyYqXkhGMEoDvs", "SMTP_URL=smtp://apikey:kyYqXkhGMEoDvs@smtp.internal:587", ".env", False),
    ("XlzZXFsUgueuDrdAnEWD", "PD_API_KEY=XlzZXFsUgueuDrdAnEWD", ".env", False),
    ("vcNqbzMRPOnVdqDa", 'sql.Open("mysql", "app:vcNqbzMRPOnVdqDa@tcp(db:3306)/app")', "main.go", False),
    # ... real names are still names there, and passphrase shapes elsewhere are still names
    ("getUserPassword", "password = getUserPassword", ".env", True),
    ("PasswordResetForm", 'password: "PasswordResetForm"', "c.yml", True),
    ("AccessTokenProvider", "token: AccessTokenProvider", "c.yml", True),
    ("self.password_field", "password = self.password_field", ".env", True),
    ("maple-harbor-7586", "release_name: maple-harbor-7586", "c.yml", True),
    ("kyYqXkhGMEoDvs", "label: kyYqXkhGMEoDvs", "c.yml", True),
    ("storage_creds_v2", "credentials = storage_creds_v2", ".env", True),
]

FILE_PATH: list[Row] = [
    ("/etc/app/secret.txt", "", "", True),
    ("./config/keys", "", "", True),
    ("~/.ssh/id_ed25519", "", "", True),
    ("C:\\secrets\\db.txt", "", "", True),
    ("config/secrets/prod", "", "", True),
    ("certs/server.pem", "", "", True),
    ("settings.json", "", "", True),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzRANDOMKEY", "", "", False),
    ("/run/secrets/db_password", "", "", True),
    ("/v07TSrT+pCEbY63dFIlsT6/vmhq1DifMSlxgvNa", "", "", False),
    ("k1zPZM6uVxMQ3oxq/goYlNuJPyRTZ1vRE/s76zTQE3eJk=", "", "", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
]

CSS_COLOUR: list[Row] = [
    ("#ff00aa", "color: #ff00aa;", "a.css", True),
    ("ff00aa", "background-color: #ff00aa", "a.css", True),
    ("#FFF", "border: 1px solid #FFF", "a.css", True),
    ("ff00aa", "token = 'ff00aa'", "a.py", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "color: mXLajQrkaJM24WbSjcsOmSWs9q5l", "", False),
]

DATA_URI: list[Row] = [
    ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", 'src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"', "", True),
    ("d09GRgABAAAAA", "src: url(data:font/woff;base64,d09GRgABAAAAA)", "a.css", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", 'token = "mXLajQrkaJM24WbSjcsOmSWs9q5l"', "", False),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "base64 token mXLajQrkaJM24WbSjcsOmSWs9q5l", "", False),
]

PROVIDER_EXAMPLE: list[Row] = [
    ("AKIAIOSFODNN7EXAMPLE", "", "", True),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "", True),
    ("8P+SQvWIuLnKhh8d++jpw0nNmQRBZvNEXAMPLEKEY", "", "", True),
    ("cloudformation/7870825a-xmpl-4def-92e7-c4f8dd360cca", "", "", True),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
        "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "",
        "",
        True,
    ),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("xmplaQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("AKIAEEUWNDE462NTPWA5", "", "", False),
]

DIGIT_AND_LETTER: list[Row] = [
    ("PasswordPassword", "", "", True),
    ("1234567890123456", "", "", True),
    ("!!!!----____", "", "", True),
    ("mXLajQrkaJM24WbSjcsOmSWs9q5l", "", "", False),
    ("Summer2024!", "", "", False),
]

DEFAULT_CREDENTIAL: list[Row] = [
    ("password", "postgres://user:password@localhost/app", "", True),
    ("admin123", "", "", True),
    ("Password123!", "", "", True),
    ("P@55w0rd!", "", "", True),
    ("Pass@Word1", "", "", True),
    ("SomeKindOfPassword123!@#", "", "", True),
    ("changeit", "", "", True),
    ("12345678", "", "", True),
    ("guest", "amqp://guest:guest@localhost:5672/", "", True),
    ("app01x", "postgres://app01x:app01x@db/app", "", True),
    ("dXNlcjpwYXNzd29yZA==", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "", True),  # user:password
    ("cGFzc3dvcmQ=", "password: cGFzc3dvcmQ=", "secret.yaml", True),  # base64 of 'password'
    ("Summer2024!", "password = 'Summer2024!'", "", False),
    ("hunter2x9q", "", "", False),
    ("7ZBMDyj6aN2I21ge", "postgres://app:7ZBMDyj6aN2I21ge@db/app", "", False),
    ("ZGVwbG95OnVPZngyV2xEd1F2c3pT", "Authorization: Basic ZGVwbG95OnVPZngyV2xEd1F2c3pT", "", False),
]

PASSWORD_SHAPE: list[Row] = [
    ("Password", 'password = "Password"', "", True),
    ("PASSWORD", "", "", True),
    ("Password!", "", "", True),
    ("12345678", "", "", True),
    ("correcthorse", "", "", True),
    ("Summer2024!", "", "", False),
    ("hunter2x9q", "", "", False),
    ("gpAgPzXrEdA!", "", "", False),
    ("lhqGTfYfyMJ#Yk", "", "", False),
    ("UnCDtapOEbxTGRBb", 'auth: { user: "app", pass: "UnCDtapOEbxTGRBb" }', "", False),
    ("ClZwCdXzmF", "", "", False),
    ("PasswordPassword", "", "", True),
    ("MySecretPassword", "", "", True),
]

TABLES: dict[str, list[Row]] = {
    "placeholder": PLACEHOLDER,
    "env-lookup": ENV_LOOKUP,
    "uuid": UUID,
    "hash": HASH,
    "lockfile": LOCKFILE,
    "sequential": SEQUENTIAL,
    "repeated": REPEATED,
    "identifier": IDENTIFIER,
    "file-path": FILE_PATH,
    "css-colour": CSS_COLOUR,
    "data-uri": DATA_URI,
    "provider-example": PROVIDER_EXAMPLE,
    "digit-and-letter": DIGIT_AND_LETTER,
    "default-credential": DEFAULT_CREDENTIAL,
    "password-shape": PASSWORD_SHAPE,
}


def _cases(name: str) -> list[object]:
    return [pytest.param(*row, id=f"{name}-{i}") for i, row in enumerate(TABLES.get(name, []))]


def _check(name: str, value: str, line: str, path: str, expected: bool) -> None:
    assert FILTERS[name](value, line, path) is expected, (name, value, line, path)


def test_every_filter_has_a_table() -> None:
    missing = sorted(set(FILTERS) - set(TABLES))
    assert not missing, f"add a table for {missing} to tests/test_filters.py"
    for name, rows in TABLES.items():
        assert name in FILTERS, name
        assert any(r[3] for r in rows) and not all(r[3] for r in rows), f"{name}: needs drop and keep rows"


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("placeholder"))
def test_placeholder(value: str, line: str, path: str, expected: bool) -> None:
    _check("placeholder", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("env-lookup"))
def test_env_lookup(value: str, line: str, path: str, expected: bool) -> None:
    _check("env-lookup", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("uuid"))
def test_uuid(value: str, line: str, path: str, expected: bool) -> None:
    _check("uuid", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("hash"))
def test_hash(value: str, line: str, path: str, expected: bool) -> None:
    _check("hash", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("lockfile"))
def test_lockfile(value: str, line: str, path: str, expected: bool) -> None:
    _check("lockfile", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("sequential"))
def test_sequential(value: str, line: str, path: str, expected: bool) -> None:
    _check("sequential", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("repeated"))
def test_repeated(value: str, line: str, path: str, expected: bool) -> None:
    _check("repeated", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("identifier"))
def test_identifier(value: str, line: str, path: str, expected: bool) -> None:
    _check("identifier", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("file-path"))
def test_file_path(value: str, line: str, path: str, expected: bool) -> None:
    _check("file-path", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("css-colour"))
def test_css_colour(value: str, line: str, path: str, expected: bool) -> None:
    _check("css-colour", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("data-uri"))
def test_data_uri(value: str, line: str, path: str, expected: bool) -> None:
    _check("data-uri", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("provider-example"))
def test_provider_example(value: str, line: str, path: str, expected: bool) -> None:
    _check("provider-example", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("digit-and-letter"))
def test_digit_and_letter(value: str, line: str, path: str, expected: bool) -> None:
    _check("digit-and-letter", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("password-shape"))
def test_password_shape(value: str, line: str, path: str, expected: bool) -> None:
    _check("password-shape", value, line, path, expected)


@pytest.mark.parametrize(("value", "line", "path", "expected"), _cases("default-credential"))
def test_default_credential(value: str, line: str, path: str, expected: bool) -> None:
    _check("default-credential", value, line, path, expected)


def _is_sequential_reference(secret: str) -> bool:
    """``is_sequential`` as first written (a substring search per sequence): the set-based version must
    answer the same."""
    sequences = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zyxwvutsrq")
    lowered = secret.lower()
    if any(seq[i : i + 6] in lowered for seq in sequences for i in range(len(seq) - 5)) and len(
            set(lowered)) < len(lowered) * 0.6:
        return True
    covered: set[int] = set()
    for i in range(len(lowered) - 3):
        window = lowered[i : i + 4]
        if any(window in seq or window[::-1] in seq for seq in sequences):
            covered.update(range(i, i + 4))
    if len(covered) * 2 >= len(lowered) > 0:
        return True
    digits = "".join(c for c in lowered if c.isdigit())
    return len(digits) >= 8 and len(digits) * 3 >= len(lowered) and digits[:8] in "01234567890123456789"


def test_is_sequential_answers_as_the_substring_search_did() -> None:
    import random
    import string

    from keyscan.engine.filters import is_sequential

    rng = random.Random(11)
    runs = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zyxwvutsrq", "9876543210",
            "ZYXWVU", "lkjhgfdsa"]
    cases = ["", "abc", "abcdef", "abcdef123456", "abcdefghijklmnop1234567890", "a1b2c3d4567890ab", "qwer1234",
             "ghp_DqlXZ7oSWMpwt4LdRtJykMyyuYW9EX13sFIg"]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.5:
                run = rng.choice(runs)
                start = rng.randint(0, len(run) - 1)
                parts.append(run[start : start + rng.randint(1, 8)])
            else:
                parts.append("".join(rng.choice(string.ascii_letters + string.digits + "_-")
                                     for _ in range(rng.randint(1, 12))))
        cases.append("".join(parts))
    answers = [is_sequential(case) for case in cases]
    assert answers == [_is_sequential_reference(case) for case in cases]
    assert 100 < sum(answers) < len(cases) - 100  # both answers are well represented
