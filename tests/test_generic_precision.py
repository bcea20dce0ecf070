"""Precision and recall of the generic, URL-credential and JWT rules through the FULL built-in catalog.

Hard negatives (placeholders, environment lookups, hashes, lock files, identifiers...) must not be
reported by ANY rule; each positive syntax must be reported exactly once, by the expected rule, at
the secret's own line and column.  Every secret-looking value below is randomly generated test data.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules

FULL = Detector(list(load_builtin_rules()))


def _scan(text: str, path: str):  # type: ignore[no-untyped-def]
    return FULL.scan(Chunk(text=text, path=path)).findings


def _jwt(header: dict[str, object], payload: dict[str, object], signature: str) -> str:
    def enc(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{enc(header)}.{enc(payload)}.{signature}"


JWT_HS256 = _jwt(
    {"alg": "HS256", "typ": "JWT"},
    {"sub": "svc-7f3a", "exp": 1893456000},
    "aSml68tvcUPLsWr1zZ2HeRc0AGl4afhK4oHQJFz2fsR",
)
JWT_NONE = _jwt({"alg": "none"}, {"sub": "admin", "role": "owner"}, "")
BASIC = base64.b64encode(b"deploy:RzkSYjHZj8voNUf8n9Um").decode()

# (rule id, path, text, secret)
POSITIVES: list[tuple[str, str, str, str]] = [
    # .env, shell, Dockerfile
    (
        "generic-api-key-config",
        ".env",
        "APP_ENV=prod\nAPI_KEY=DxYZro7XzNIzZPeGCeGp7sUHYlwd\n",
        "DxYZro7XzNIzZPeGCeGp7sUHYlwd",
    ),
    ("generic-token", ".env", 'export AUTH_TOKEN="5vDY2D7jwhufcHDspD0dfDmkWOBC"\n', "5vDY2D7jwhufcHDspD0dfDmkWOBC"),
    (
        "generic-secret-config",
        "scripts/deploy.sh",
        "#!/bin/sh\nexport CLIENT_SECRET=n9q9l6HpiQSr9JlyNuqKuc3J\n",
        "n9q9l6HpiQSr9JlyNuqKuc3J",
    ),
    (
        "generic-secret-config",
        "Dockerfile",
        "FROM python:3.12\nENV APP_SECRET=kPIiQPxDInt7j6IOME7U\n",
        "kPIiQPxDInt7j6IOME7U",
    ),
    ("generic-password-config", "Dockerfile", "ARG DB_PASSWORD=Summer2024!\n", "Summer2024!"),
    ("generic-password-config", ".env", "DB_PASSWORD=hunter2x9q\n", "hunter2x9q"),
    # YAML, JSON, TOML, INI, properties
    (
        "generic-secret-config",
        "config/app.yaml",
        "stripe:\n  secret_key: MnrQeuwWarwC4Ze1mbKEkcQajGgd\n",
        "MnrQeuwWarwC4Ze1mbKEkcQajGgd",
    ),
    (
        "generic-token",
        "config/app.yml",
        "slack:\n  bot_token: 'iNUx8VKE1VWZeRpBRkIQ0ha2'\n",
        "iNUx8VKE1VWZeRpBRkIQ0ha2",
    ),
    ("generic-password", "config/database.yml", 'production:\n  password: "Xk9fPq2LmZt"\n', "Xk9fPq2LmZt"),
    (
        "generic-secret",
        "appsettings.json",
        '{\n  "Auth": {\n    "ClientSecret": "mEOVgdpUf5vCCWhHcY5DsZmiFmcwzngu"\n  }\n}',
        "mEOVgdpUf5vCCWhHcY5DsZmiFmcwzngu",
    ),
    ("generic-password", "creds.json", '{"username": "svc", "password": "JX1efvbW7Akq84"}', "JX1efvbW7Akq84"),
    ("generic-api-key", "pyproject.toml", '[tool.service]\napi_key = "GZfktOw7PQdGKcIFoEc4"\n', "GZfktOw7PQdGKcIFoEc4"),
    ("generic-password-config", "settings.ini", "[database]\nhost = db01\npassword = 9ULFzhNR0b19W\n", "9ULFzhNR0b19W"),
    ("generic-api-key-config", "application.properties", "mail.api.key=aYBGoS6meo39kRwxrFCE\n", "aYBGoS6meo39kRwxrFCE"),
    ("generic-password-config", "application.properties", "spring.datasource.password: a48rmLMJQJKw\n", "a48rmLMJQJKw"),
    # XML
    (
        "generic-xml-secret",
        "settings.xml",
        "<servers>\n  <server>\n    <password>nSev3nhexRe3wAIR</password>\n",
        "nSev3nhexRe3wAIR",
    ),
    (
        "generic-xml-secret",
        "Web.config",
        '<appSettings>\n  <add key="ApiKey" value="YBxyT2eX4enNGDHRXrBA" />\n',
        "YBxyT2eX4enNGDHRXrBA",
    ),
    # code embedded in a JSON string (notebook exports, Postman collections): escaped quotes
    (
        "generic-api-key",
        "collection.json",
        '{"exec": ["const apiKey = \\"hq16B6C0IEhMsx86nZpfg7f7\\";"]}',
        "hq16B6C0IEhMsx86nZpfg7f7",
    ),
    # HCL / Terraform
    (
        "generic-password",
        "main.tf",
        'resource "aws_db_instance" "db" {\n  password = "OaWLaWVuTn8y6C"\n}\n',
        "OaWLaWVuTn8y6C",
    ),
    (
        "generic-secret",
        "terraform.tfvars",
        'datadog_app_secret = "28PsiTaKaGI36KNsakHKnZSC"\n',
        "28PsiTaKaGI36KNsakHKnZSC",
    ),
    # command lines
    (
        "generic-cli-password",
        "Makefile",
        "migrate:\n\tmigrate-tool --password lYvx7BCnZTXj --host db\n",
        "lYvx7BCnZTXj",
    ),
    ("generic-cli-password", "run.sh", "tool login --password=o0BIA06mbEfz\n", "o0BIA06mbEfz"),
    ("generic-cli-password", "backup.sh", "mysqldump -u backup -p'9yTIVAhc6EXg' shop > shop.sql\n", "9yTIVAhc6EXg"),
    # Python
    ("generic-api-key", "app/settings.py", 'API_KEY = "yUoEStA5QQXChIMVVLkb"\n', "yUoEStA5QQXChIMVVLkb"),
    (
        "generic-token",
        "app/client.py",
        'CONFIG = {\n    "access_token": "cyrxvU9UQiex186F7LQp5oL4d9r6PEJu",\n}\n',
        "cyrxvU9UQiex186F7LQp5oL4d9r6PEJu",
    ),
    (
        "generic-password",
        "app/db.py",
        'conn = connect(host="db", user="app", password="hq16B6C0IEhM")\n',
        "hq16B6C0IEhM",
    ),
    # JavaScript / TypeScript
    ("generic-api-key", "src/api.js", 'const apiKey = "TTkbboHVzpZR5Fen6x9uKfYE";\n', "TTkbboHVzpZR5Fen6x9uKfYE"),
    (
        "generic-api-key",
        "src/config.ts",
        "export const config = {\n  apiKey: 'fSUCn04jDpk4NYvMuOFkVTLF',\n};\n",
        "fSUCn04jDpk4NYvMuOFkVTLF",
    ),
    # Go, Java, Kotlin
    (
        "generic-api-key",
        "main.go",
        'func main() {\n\tapiKey := "0HwfkHVjLv7AxvjTKQ0lbAJK"\n}\n',
        "0HwfkHVjLv7AxvjTKQ0lbAJK",
    ),
    (
        "generic-password",
        "Db.java",
        'class Db {\n  private static final String password = "tLnRHPpFy2WQ";\n}\n',
        "tLnRHPpFy2WQ",
    ),
    ("generic-token", "Api.kt", 'val token = "Mj4EemrFi9AWfIO7vXlCpxoI"\n', "Mj4EemrFi9AWfIO7vXlCpxoI"),
    # Ruby, PHP, C#
    (
        "generic-api-key",
        "config/initializers/api.rb",
        "Client.new(:api_key => 'ekEelpfeBANanmB8zAdGF2h1')\n",
        "ekEelpfeBANanmB8zAdGF2h1",
    ),
    (
        "generic-api-key",
        "config/initializers/pay.rb",
        "Pay.configure(api_key: 'l8PriReJSo7icStjChs1B3Bu')\n",
        "l8PriReJSo7icStjChs1B3Bu",
    ),
    ("generic-password", "config/db.php", "return [\n    'password' => 'cALJrjd2GfqA',\n];\n", "cALJrjd2GfqA"),
    ("generic-api-key", "index.php", "<?php\n$apiKey = 'n8FbqZgUuM2e3hpYaExyYmpJ';\n", "n8FbqZgUuM2e3hpYaExyYmpJ"),
    ("generic-secret", "Startup.cs", 'var secret = "NE5hSoTLedx81wvllilGtzj3";\n', "NE5hSoTLedx81wvllilGtzj3"),
    (
        "generic-api-key",
        "Options.cs",
        'new ClientOptions { ApiKey = "RzkSYjHZj8voNUf8n9Um" };\n',
        "RzkSYjHZj8voNUf8n9Um",
    ),
    # HTTP headers and URLs
    (
        "generic-bearer-token",
        "notes.md",
        'curl -H "Authorization: Bearer YO8L6pNu84cArDn4dla5xQ" https://api.internal/\n',
        "YO8L6pNu84cArDn4dla5xQ",
    ),
    ("generic-basic-auth-header", "request.http", f"GET /v1/builds\nAuthorization: Basic {BASIC}\n", BASIC),
    (
        "generic-api-key-header",
        "client.py",
        'r = call("X-API-Key: aXasSbKEq41K1AyJSVZwQfwx")\n',
        "aXasSbKEq41K1AyJSVZwQfwx",
    ),
    (
        "generic-api-key-config",
        "request.http",
        "GET /v1/items\napi-key: HEHptXXep4TsfXRCWgI9\n",
        "HEHptXXep4TsfXRCWgI9",
    ),
    (
        "generic-url-query-secret",
        "fetch.py",
        'URL = "https://api.weather.internal/v1?q=oslo&apikey=3Eingjwoanq2D4aHBfc3"\n',
        "3Eingjwoanq2D4aHBfc3",
    ),
    (
        "generic-url-query-secret",
        "README.md",
        "GET https://maps.internal/v1/geo?key=Tq7vWm2pXcR9sLk4BnF8hJd3&q=x\n",
        "Tq7vWm2pXcR9sLk4BnF8hJd3",
    ),
    # connection strings
    (
        "generic-connection-string-password",
        "Program.cs",
        'var cs = "Server=sql01;Database=Orders;User Id=app;Password=afhK4oHQJFz2;";\n',
        "afhK4oHQJFz2",
    ),
    (
        "generic-connection-string-password",
        "db.py",
        'DSN = "host=db01 dbname=orders user=app password=Xk9fPq2LmZt"\n',
        "Xk9fPq2LmZt",
    ),
    # URL credentials
    (
        "postgres-url-password",
        ".env",
        "DATABASE_URL=postgres://app:7ZBMDyj6aN2I21ge@db01.internal:5432/orders\n",
        "7ZBMDyj6aN2I21ge",
    ),
    ("mysql-url-password", "settings.py", 'DB = "mysql://shop:QOCFcY1OmsEPkL@mysql.internal/shop"\n', "QOCFcY1OmsEPkL"),
    (
        "mongodb-url-password",
        "app.js",
        'mongoose.connect("mongodb+srv://api:6Xi1ddRa9GYj@c0.ab1cd.mongodb.net/prod");\n',
        "6Xi1ddRa9GYj",
    ),
    (
        "redis-url-password",
        "compose.yaml",
        "environment:\n  REDIS_URL: redis://:QA4KqB8BEzPLkNFiZhgi@cache:6379/0\n",
        "QA4KqB8BEzPLkNFiZhgi",
    ),
    ("amqp-url-password", ".env", "BROKER_URL=amqps://orders:BULMSEPsA6ew@rabbit.internal/prod\n", "BULMSEPsA6ew"),
    ("ftp-url-password", "deploy.sh", "lftp ftp://deploy:43Q4795oasnW@ftp.hosting.internal\n", "43Q4795oasnW"),
    (
        "ldap-url-password",
        ".env",
        "LDAP_URL=ldaps://svc-bind:GReLiEw5ei8LKzcs@dc01.corp.internal:636\n",
        "GReLiEw5ei8LKzcs",
    ),
    (
        "smtp-url-password",
        ".env",
        "MAILER_DSN=smtp://alerts:uYGACSayAhJ9JGO7ciOe@smtp.mail.internal:587\n",
        "uYGACSayAhJ9JGO7ciOe",
    ),
    (
        "jdbc-url-password",
        "application.properties",
        "spring.datasource.url=jdbc:mysql://db01:3306/shop?user=shop&password=QNnS78cLvJGrUu\n",
        "QNnS78cLvJGrUu",
    ),
    (
        "http-basic-auth-url",
        "pip.conf",
        "[global]\nindex-url = https://ci:zriZ4v7pILCS@pypi.corp.internal/simple/\n",
        "zriZ4v7pILCS",
    ),
    # positional passwords: the API name says which argument is the password
    ("generic-login-call-password", "mail.py", 'smtp.login("reports@shop.invalid", "bDLQnfMbAHy30AWN9mY")\n',
     "bDLQnfMbAHy30AWN9mY"),
    ("generic-http-basic-auth-password", "sync.py", 'r = requests.get(url, auth=("svc", "aI9AM0h0ExrJVZVE"))\n',
     "aI9AM0h0ExrJVZVE"),
    ("generic-dotnet-network-credential", "Mailer.cs", 'var c = new NetworkCredential("app", "cQdvhIjYbfQTMxnwb");\n',
     "cQdvhIjYbfQTMxnwb"),
    ("generic-php-db-connect-password", "db.php", "$pdo = new PDO($dsn, 'shop', 'zDnEfPaDkkLGMbm');\n",
     "zDnEfPaDkkLGMbm"),
    # passphrases and random mixed-case letters where a password goes
    ("generic-password-config", ".env", "POSTGRES_PASSWORD=maple-harbor-7586\n", "maple-harbor-7586"),
    ("redis-url-password", ".env", "REDIS_URL=rediss://:polar-zephyr-3236@cache:6379/0\n", "polar-zephyr-3236"),
    # a literal assigned to an environment variable is a literal
    ("amqp-url-password", "conftest.py", "os.environ[\"BROKER_URL\"] = 'amqp://app:TpYaFPAWMlQOEc@mq/prod'\n",
     "TpYaFPAWMlQOEc"),
    # JWTs
    ("jwt", "auth.py", f'TOKEN = "{JWT_HS256}"\n', JWT_HS256),
    ("jwt", "test.http", f"Authorization: Bearer {JWT_HS256}\n", JWT_HS256),
    ("jwt", "fixture.json", f'{{"id_token": "{JWT_NONE}"}}\n', JWT_NONE),
]


@pytest.mark.parametrize(
    ("rule_id", "path", "text", "secret"), POSITIVES, ids=[f"{i}-{p[0]}-{p[1]}" for i, p in enumerate(POSITIVES)]
)
def test_positive_is_reported_once_at_its_position(rule_id: str, path: str, text: str, secret: str) -> None:
    findings = _scan(text, path)
    assert [(f.rule_id, f.secret) for f in findings] == [(rule_id, secret)]
    offset = text.index(secret)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    assert (findings[0].line, findings[0].column) == (line, column)


HARD_NEGATIVES: list[tuple[str, str]] = [
    # placeholders
    ("app.py", 'API_KEY = "YOUR_API_KEY"'),
    ("app.py", 'api_key = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'),
    ("curl.sh", 'curl -H "Authorization: Bearer <token>" https://api.internal/'),
    ("config.yml", "password: changeme"),
    (".env", "API_SECRET=${API_SECRET}"),
    ("values.yaml", "auth_token: '{{ .Values.authToken }}'"),
    ("config.yml", "api_key: {{ api_key }}"),
    ("settings.py", 'DATABASE_PASSWORD = "%(db_password)s"'),
    ("config/database.yml", 'password: <%= ENV["DATABASE_PASSWORD"] %>'),
    ("config.js", "const secret = `${process.env.APP_SECRET}`;"),
    ("README.md", "export GITHUB_TOKEN=<your-token-here>"),
    ("README.md", "Set `api_key = 'your-api-key-goes-here'` in settings."),
    # environment lookups
    ("app.py", 'password = os.environ["DB_PASSWORD"]'),
    ("app.py", 'api_key = os.getenv("API_KEY")'),
    ("app.js", "const token = process.env.GITHUB_TOKEN;"),
    ("app.rb", 'secret = ENV["APP_SECRET"]'),
    ("App.java", 'String apiKey = System.getenv("API_KEY");'),
    ("Program.cs", 'var secret = Environment.GetEnvironmentVariable("APP_SECRET");'),
    ("main.go", 'token := os.Getenv("API_TOKEN")'),
    (".github/workflows/ci.yml", "          token: ${{ secrets.GITHUB_TOKEN }}"),
    # UUIDs, git SHAs, hashes
    ("app.py", 'api_key = "550e8400-e29b-41d4-a716-446655440000"'),
    ("events.json", '{"request_id": "6fa459ea-ee8a-3ca4-894e-db77e160355e", "token_type": "bearer"}'),
    ("deps.yaml", "commit: 8c9ae4a15fa2e6e7fb4fe9d6057fafd721eb314b"),
    (".gitmodules", "\trev = 8c9ae4a15fa2e6e7fb4fe9d6057fafd721eb314b"),
    ("release.json", '{"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}'),
    (
        "release.json",
        '{"sha512": "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f'
        '63b931bd47417a81a538327af927da3e"}',
    ),
    ("image.yaml", "digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    # lock files
    (
        "package-lock.json",
        '      "integrity": "sha512-bgXlsCYwXvjA1SpqfLBamtvJz6xeKRwfFIagykoPaSml68tvcUPLsWr1zZ2HeRc0AGl4afhK4o'
        'HQJFz2fsR3JRaQ==",',
    ),
    ("go.sum", "golang.org/x/crypto v0.21.0 h1:X31++rzVUdKhX5sWmSOFZxx8UW/ldWx55cbf08iNAMA="),
    ("Cargo.lock", 'checksum = "8c9ae4a15fa2e6e7fb4fe9d6057fafd721eb314b8c9ae4a15fa2e6e7fb4fe9d6"'),
    (
        "poetry.lock",
        'files = [\n    {file = "token-1.0.tar.gz", '
        'hash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},\n]',
    ),
    ("yarn.lock", "  integrity sha1-8c9ae4a15fa2e6e7fb4fe9d6057fafd721eb314b"),
    # base64 images, fonts, data URIs, CSS colours
    (
        "style.css",
        ".logo { background: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA"
        "CXBIWXMAAAsTAAALEwEAmpwYAAAA) }",
    ),
    ("style.css", "@font-face { src: url(data:font/woff2;base64,d09GMgABAAAAAAfsAA4AAAAAEWgAAAeWAAEAAAAAAAAAAAAA) }"),
    (
        "icons.json",
        '{"token_icon": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="}',
    ),
    ("theme.css", ".secret-banner { color: #ff00aa; background-color: #a1b2c3; }"),
    ("theme.scss", "$token-primary: #1a2b3c;"),
    # minified-looking code
    (
        "dist/app.min.js",
        '!function(e,t){"use strict";var n={apiKey:e.apiKey,token:t&&t.token,secret:null,password:void 0};'
        'function r(o){return o.token?"Bearer "+o.token:""}e.auth=function(o){return n.apiKey=o.apiKey||n.apiKey,'
        'r(o)}}(window,{token:""});',
    ),
    # long identifiers, names that are not secrets
    ("app.py", "token = getAccessTokenFromRefreshToken(refresh_token)"),
    ("settings.py", "PASSWORD_RESET_TIMEOUT = 3600"),
    ("constants.js", 'const TOKEN_STORAGE_KEY = "authTokenStorageKeyForSession";'),
    ("config.py", 'SECRET_KEY_SETTING = "DJANGO_SECRET_KEY_FROM_ENVIRONMENT"'),
    ("client.py", 'token_url = "https://auth.internal/oauth2/v1/token"'),
    ("client.py", 'next_page_token = "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3czF0MXNz"'),
    ("api.ts", 'const csrfToken = "4kT9vX2mQ8rLzP6wN3yB7cF1";'),
    ("tokenizer.py", 'pad_token = "<pad>"; eos_token = "</s>"'),
    # file paths
    ("app.py", 'password_file = "/etc/app/secret.txt"'),
    ("config.yml", "tls_private_key: /etc/ssl/private/server.key"),
    ("settings.py", 'SECRET_KEY_PATH = "config/secrets/production.key"'),
    # empty, None, booleans, type annotations, function calls
    ("app.py", "password = None"),
    ("config.yml", 'password: ""'),
    ("config.yml", "token: true"),
    ("models.py", "class User:\n    password: str\n    api_key: Optional[str] = None"),
    ("types.ts", "interface Creds { apiKey: string; password?: string }"),
    ("app.py", "secret = get_secret()"),
    ("app.py", "api_key = settings.API_KEY"),
    ("app.go", "password := cfg.Database.Password"),
    # i18n strings and prose
    ("locales/en.json", '{"password": "Password", "enter_password": "Please enter your password"}'),
    ("locales/de.json", '{"password_hint": "Mindestens 8 Zeichen", "forgot_password": "Passwort vergessen?"}'),
    ("messages.properties", "login.password=Password\nlogin.token.expired=Your session token has expired"),
    ("README.md", "The token: a short-lived credential issued by the API."),
    # connection URLs that carry no real password
    (".env", "DATABASE_URL=postgres://user:${DB_PASSWORD}@db:5432/app"),
    ("docker-compose.yml", "DATABASE_URL: postgres://user:password@localhost:5432/app"),
    ("docs.md", "Connect with https://user:<password>@nexus.corp.internal/repository/"),
    ("app.py", 'client = MongoClient("mongodb://localhost:27017")'),
    ("requirements.txt", "lib @ https://example.com/path@v1"),
    ("setup.cfg", "url = git@github.com:org/repo.git"),
    ("notes.md", "amqp://user:pass@host:10000/vhost"),
    ("compose.yml", "RABBITMQ_URL: amqp://guest:guest@rabbitmq:5672/"),
    # JWT near misses
    ("auth.py", 'TOKEN = "' + JWT_HS256[: JWT_HS256.index(".") + 20] + '"'),
    ("auth.py", 'TOKEN = "eyJub3RfYV9qd3RfYXRfYWxs.eyJ0aGlzX2lzX25vdA.c2lnbmF0dXJlX2hlcmVfMTIzNDU2Nzg"'),
    # passwords that are placeholders or defaults
    ("app.py", 'password = "password123"'),
    ("tests/conftest.py", 'wrong_password = "Summer2024!"'),
    ("db.yml", "password: P@ssw0rd!"),
    ("users.yml", 'password: "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5CiVqz.BY9yXZ1Je6WvAQvhoNEYMoXa"'),
    ("k8s/secret.yaml", "data:\n  password: cGFzc3dvcmQ="),
    ("template.yaml", "  MasterUserPassword: !Ref DBPassword"),
    ("compose.yaml", "  password: *default_password"),
    ("App.config", '<add key="ApiKey" value="YOUR_API_KEY" />'),
    ("pom.xml", "<password>${env.DEPLOY_PASSWORD}</password>"),
    ("ci.sh", "mysql -u root -p orders < dump.sql"),
    ("usage.txt", "usage: tool [--password PASSWORD] [--token TOKEN]"),
    ("cfn.json", '{"AWS::SecretsManager::Secret": "c85175a4ebcce361"}'),
    ("api.json", '{"NextToken": "mXLajQrkaJM24WbSjcsOmSWs9q5l", "PolicyUpdateToken": "1:p+2RpKR4wPFx7mcrL1UOQQ=="}'),
    ("docs.md", 'export AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'),
    ("urls.py", "('http', 'user/name', 'password', 'localhost:22')"),
    # positional credentials that are variables, lookups, prompts or placeholders
    ("mail.py", "smtp.login(user, password)"),
    ("mail.py", 'server.login(SMTP_USER, os.environ["SMTP_PASSWORD"])'),
    ("mail.py", "server.login(user, getpass.getpass())"),
    ("Mailer.cs", 'smtp.Credentials = new NetworkCredential("username", "password");'),
    ("db.php", "$pdo = new PDO($dsn, $user, $pass);"),
    ("Db.java", 'Connection c = DriverManager.getConnection(url, "app", System.getenv("DB_PASSWORD"));'),
    ("sync.py", 'r = requests.get(url, auth=("admin", "<password>"))'),
    ("settings.py", "password = self.password_field"),
    ("forms.py", 'PASSWORD_FORM = "PasswordResetForm"'),
    # base64 placeholders in a Kubernetes Secret
    ("k8s/secret.yaml", "data:\n  DB_PASSWORD: Y2hhbmdlbWUK\n  SLACK_TOKEN: eG94Yi15b3VyLWJvdC10b2tlbg==\n"),
]


@pytest.mark.parametrize(("path", "text"), HARD_NEGATIVES, ids=[f"{i}-{p}" for i, (p, _) in enumerate(HARD_NEGATIVES)])
def test_hard_negative_is_not_reported(path: str, text: str) -> None:
    findings = _scan(text, path)
    assert [(f.rule_id, f.line) for f in findings] == []


def test_unquoted_values_count_only_outside_program_source() -> None:
    line = "api_key = DxYZro7XzNIzZPeGCeGp7sUHYlwd\n"
    assert [f.rule_id for f in _scan(line, "config.ini")] == ["generic-api-key-config"]
    assert _scan(line, "app.py") == []


def test_provider_rule_wins_over_generic_on_the_same_value() -> None:
    text = f'auth_token = "{JWT_HS256}"\n'
    assert [f.rule_id for f in _scan(text, "app.py")] == ["jwt"]


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_KEY_LINES = [
    (".env", "API_KEY={v}"),
    ("config.yml", "  client_secret: {v}"),
    ("a.json", '{{"access_token": "{v}"}}'),
    ("a.py", 'client = Client(api_key="{v}")'),
    ("a.go", 'apiKey := "{v}"'),
    ("A.java", 'private static final String SECRET = "{v}";'),
    ("a.rb", "  :api_key => '{v}',"),
    ("a.sh", 'curl -H "Authorization: Bearer {v}" https://api.internal/'),
]
_PASSWORD_LINES = [
    (".env", "DB_PASSWORD={v}"),
    ("a.py", 'PASSWORD = "{v}"'),
    ("main.tf", '  password = "{v}"'),
    ("a.cs", 'var cs = "Server=db;User Id=sa;Password={v};";'),
    (".env", "DATABASE_URL=postgres://app:{v}@db.internal:5432/app"),
]


def test_recall_on_generated_secrets() -> None:
    """Random keys (20-40 alnum) and passwords (10-16 chars with symbols) in common syntaxes: at least
    97% are reported with the exact value (those without a digit or a symbol may be missed by design)."""
    rng = random.Random(20240611)
    found = total = 0
    for _ in range(200):
        path, template = rng.choice(_KEY_LINES)
        value = "".join(rng.choice(_ALNUM) for _ in range(rng.randint(20, 40)))
        total += 1
        found += any(f.secret == value for f in _scan(template.format(v=value), path))
        path, template = rng.choice(_PASSWORD_LINES)
        value = "".join(rng.choice(_ALNUM + "!#%^*-_.") for _ in range(rng.randint(10, 16)))
        total += 1
        found += any(f.secret == value for f in _scan(template.format(v=value), path))
    assert found / total >= 0.97, (found, total)
