"""Generate a labelled secret-scanning corpus: a tree of realistic files of many types with planted
credentials (positives) and look-alikes that must not be reported (hard negatives).

    python benchmarks/corpus/generate.py OUT_DIR [--seed N] [--files 600]

Writes OUT_DIR/files/... (the tree to scan) and OUT_DIR/labels.jsonl, one line per planted item:
path, line (and end_line), value, format, family, kind (positive | negative | ignore), severity
("low" for test/sandbox credentials), alt (other acceptable secrets, e.g. the decoded value),
match (value | range | path), and cell / cell_line for notebooks.  The same seed always gives the
same corpus.  Never commit a generated corpus.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import filler
import formats
import idioms
import keys
import negatives
from common import ALNUM, B64URL, Bundle, Label, Rand, neg, pos, style
from render import (
    Doc,
    Leaf,
    Placed,
    Tree,
    code_bundle,
    emit_flat,
    emit_hcl,
    emit_json,
    emit_sections,
    emit_yaml,
    fix_label,
    lit,
    place,
)

CODE_LANGS = {
    "python": ".py",
    "js": ".js",
    "ts": ".ts",
    "go": ".go",
    "java": ".java",
    "kotlin": ".kt",
    "ruby": ".rb",
    "php": ".php",
    "csharp": ".cs",
}
SERVICES = [
    "billing",
    "checkout",
    "auth",
    "notifications",
    "search",
    "reporting",
    "inventory",
    "gateway",
    "ingest",
    "scheduler",
    "accounts",
    "media",
    "analytics",
    "webhooks",
    "catalog",
    "payments",
    "users",
    "orders",
]


class Corpus:
    def __init__(self, seed: int, files: int) -> None:
        self.r = Rand(seed)
        self.target_files = files
        self.files: dict[str, bytes] = {}
        self.placed: dict[str, list[Placed]] = {}
        self.queue: list[formats.Format] = []

    # -- planted items --------------------------------------------------------------------------

    def bundle(self) -> Bundle:
        """The next positive, cycling through every format so each appears several times."""
        if not self.queue:
            pool: list[formats.Format] = []
            for f in formats.FORMATS:
                pool += [f] * max(1, round(f.weight * 2))
            self.r.shuffle(pool)
            self.queue = pool
        return self.queue.pop().gen(self.r)

    def negative(self, lang: str) -> Bundle:
        return negatives.assignment_negative(self.r, lang)

    def items(self, lang: str, lo: int, hi: int, neg_lo: int = 0, neg_hi: int = 2) -> list[Bundle]:
        r = self.r
        out = [self.bundle() for _ in range(r.randint(lo, hi))]
        out += [self.negative(lang) for _ in range(r.randint(neg_lo, neg_hi))]
        r.shuffle(out)
        return out

    # -- output -----------------------------------------------------------------------------------

    def unique(self, path: str) -> str:
        for svc in self.r.sample(SERVICES, 4):
            if path not in self.files:
                return path
            path = f"services/{svc}/{path}" if not path.startswith("services/") else f"{svc}/{path}"
        base, n = path, 2
        while path in self.files:
            stem, dot, ext = base.rpartition(".")
            path = f"{stem}-{n}.{ext}" if dot and "/" not in ext else f"{base}-{n}"
            n += 1
        return path

    def write(self, path: str, doc: Doc | str | bytes, placed: list[Placed] | None = None) -> None:
        path = self.unique(path)
        if isinstance(doc, Doc):
            self.files[path] = doc.text().encode()
            self.placed[path] = doc.placed
        else:
            self.files[path] = doc if isinstance(doc, bytes) else doc.encode()
            self.placed[path] = placed or []

    def svc(self) -> str:
        return self.r.choice(SERVICES)


# --- code files ----------------------------------------------------------------------------------


def code_file(c: Corpus, lang: str, path: str, lo: int = 0, hi: int = 3) -> None:
    r = c.r
    doc = Doc()
    doc.add(*filler.head(r, lang))
    if lang == "go":
        doc.add("")
    bundles = c.items(lang, lo, hi, 0, 2) if r.chance(0.7) else c.items(lang, 0, 1, 1, 3)
    blocks = [filler.block(r, lang) for _ in range(r.randint(5, 15))]
    in_func = lang == "go"
    for i, block in enumerate(blocks):
        if bundles and (i == 0 or r.chance(0.4)):
            bundle = bundles.pop()
            lines, marks = code_bundle(r, lang, bundle)
            if in_func and not lines[0].startswith("\t"):
                doc.add("")
            doc.put(lines, marks)
            doc.add("")
        if r.chance(0.06):
            snippet_into(doc, r, lang, http_snippet(c, lang))
        if r.chance(0.1):
            snippet_into(doc, r, lang, idioms.idiom(r, lang))
        doc.add(*block)
        doc.add("")
    while bundles:
        lines, marks = code_bundle(r, lang, bundles.pop())
        doc.put(lines, marks)
    if r.chance(0.06):
        b = c.bundle()
        it = b.items[-1]
        mark = {"python": "#", "ruby": "#", "shell": "#"}.get(lang, "//")
        doc.put(
            [f"{mark} old value, remove before release: {style(it.name, 'screaming')}={it.value}"],
            [(0, it.label)] if it.label else [],
        )
    if r.chance(0.15) and lang in ("python", "js", "ts", "ruby", "go"):
        embed_key(c, doc, lang)
    doc.add(*filler.TAIL.get(lang, []))
    c.write(path, doc)


def wrap(r: Rand, lang: str, lines: list[str]) -> tuple[list[str], int]:
    """Statements go inside a function where the language wants them there."""
    name = f"{r.choice(filler.VERBS)}{r.choice(filler.NOUNS).capitalize()}"
    before, after = {
        "go": ([f"func {name}(ctx context.Context) error {{"], ["\treturn nil", "}"]),
        "java": ([f"    void {name}() throws Exception {{"], ["    }"]),
        "kotlin": ([f"    fun {name}() {{"], ["    }"]),
        "ruby": ([f"  def {style(name, 'snake')}"], ["  end"]),
        "php": ([f"    public function {name}(): void", "    {"], ["    }"]),
        "csharp": ([f"        public async Task {name.capitalize()}Async()", "        {"], ["        }"]),
    }.get(lang, ([], []))
    indent = {"kotlin": "    "}.get(lang, "")
    return [*before, *(indent + x for x in lines), *after], len(before)


def snippet_into(
    doc: Doc, r: Rand, lang: str, snippet: tuple[list[str], list[tuple[int, Label]]] | None
) -> None:
    if not snippet:
        return
    lines, marks = snippet
    wrapped, shift = wrap(r, lang, lines)
    doc.put(wrapped, [(o + shift, lab) for o, lab in marks])
    doc.add("")


def http_snippet(c: Corpus, lang: str) -> tuple[list[str], list[tuple[int, Label]]] | None:
    """An HTTP call with a hard-coded Authorization or API-key header."""
    r = c.r
    kind = r.pick("bearer", "bearer", "jwt", "basic", "apikey")
    if kind == "bearer":
        value = r.s(ALNUM, 40) if r.chance(0.5) else r.s(B64URL, 43)
        label, header = pos(value, "http-bearer-token", "generic"), f"Bearer {value}"
    elif kind == "jwt":
        value = formats.jwt(r, r.pick("HS256", "RS256"))
        label, header = pos(value, "jwt", "jwt"), f"Bearer {value}"
    elif kind == "basic":
        user, pw = r.pick("admin", "api", "svc-export", "deploy"), formats.url_password(r)
        value = base64.b64encode(f"{user}:{pw}".encode()).decode()
        label, header = pos(value, "http-basic-auth", "generic", alt=[pw]), f"Basic {value}"
    else:
        value = r.alnum(32)
        label, header = pos(value, "http-api-key-header", "generic"), value
    name = "X-API-Key" if kind == "apikey" else "Authorization"
    url = f"https://{r.choice(filler.DOMAINS)}/v1/{r.choice(filler.NOUNS)}s"
    lines = {
        "python": [f'response = requests.get("{url}", headers={{"{name}": "{header}"}}, timeout=30)'],
        "js": [f'const res = await fetch("{url}", {{ headers: {{ "{name}": "{header}" }} }});'],
        "ts": [f'const res = await fetch("{url}", {{ headers: {{ "{name}": "{header}" }} }});'],
        "go": [f'\treq.Header.Set("{name}", "{header}")'],
        "java": [
            f'        HttpRequest request = HttpRequest.newBuilder(URI.create("{url}"))',
            f'                .header("{name}", "{header}").build();',
        ],
        "kotlin": [f'    val request = Request.Builder().url("{url}").header("{name}", "{header}").build()'],
        "ruby": [f'    request["{name}"] = "{header}"'],
        "php": [f"        $response = Http::withHeaders(['{name}' => '{header}'])->get('{url}');"],
        "csharp": [f'            client.DefaultRequestHeaders.Add("{name}", "{header}");'],
        "shell": [f'curl -fsS -H "{name}: {header}" "{url}"'],
        "http": [f"GET {url}", f"{name}: {header}", "Accept: application/json"],
    }.get(lang)
    if lines is None:
        return None
    offset = next(i for i, line in enumerate(lines) if value in line)
    return lines, [(offset, label)]


def cli_snippet(c: Corpus) -> tuple[list[str], list[tuple[int, Label]]]:
    """A command line that carries a password or token as an argument."""
    r = c.r
    pw = formats.url_password(r)
    label = pos(pw, "cli-password", "generic")
    kind = r.randint(0, 9)
    if kind == 0:
        line = f"mysql -h {r.choice(formats.HOSTS)} -u root -p'{pw}' app < dump.sql"
    elif kind == 1:
        line = f"mysqldump -uadmin -p{pw} --single-transaction orders > backup.sql"
    elif kind == 2:
        line = f"docker login -u deploy -p {pw} registry.{r.choice(formats.DOMAINS_SHORT)}"
    elif kind == 3:
        line = (
            f"sshpass -p '{pw}' ssh -o StrictHostKeyChecking=no deploy@10.0.{r.randint(0, 9)}"
            f".{r.randint(2, 250)}"
        )
    elif kind == 4:
        line = f"redis-cli -h cache.internal -a {pw} --no-auth-warning ping"
    elif kind == 5:
        line = f"PGPASSWORD={pw} psql -h {r.choice(formats.HOSTS)} -U app -d app -f schema.sql"
    elif kind == 6:
        line = f"htpasswd -bc /etc/nginx/.htpasswd admin {pw}"
    elif kind == 7:
        secret = formats.azure_entra(r).items[-1].value
        label = pos(secret, "azure-entra-client-secret", "cloud")
        line = f"az login --service-principal -u {r.uuid()} -p {secret} --tenant {r.uuid()}"
    elif kind == 8:
        token = formats.gitlab_pat(r).items[0].value
        label = pos(token, "gitlab-pat-in-url", "code-hosting")
        line = f"git clone https://oauth2:{token}@gitlab.com/{r.choice(SERVICES)}/{r.choice(SERVICES)}.git"
    else:
        line = (
            f"curl -u admin:{pw} -X POST https://jenkins.{r.choice(formats.DOMAINS_SHORT)}/job/deploy/build"
        )
    return [line], [(0, label)]


def embed_key(c: Corpus, doc: Doc, lang: str) -> None:
    """A private key pasted into source as a multi-line string."""
    text, label = key_material(c)
    if "PuTTY" in text:
        return
    lines = text.split("\n")
    if lang == "python":
        doc.add(f'{c.r.pick("PRIVATE_KEY", "SIGNING_KEY", "DEPLOY_KEY")} = """')
        doc.block(lines, label)
        doc.add('"""')
    elif lang in ("js", "ts"):
        doc.add("const privateKey = `")
        doc.block(lines, label)
        doc.add("`;")
    elif lang == "ruby":
        doc.add("PRIVATE_KEY = <<~PEM")
        doc.block(["  " + x for x in lines], label)
        doc.add("PEM")
    else:
        doc.add("const privateKey = `")
        doc.block(lines, label)
        doc.add("`")


# --- key material -------------------------------------------------------------------------------


def key_material(c: Corpus, allow_rsa: bool = True) -> tuple[str, Label]:
    r = c.r
    kind = r.pick(
        "rsa",
        "ec",
        "pkcs8-ec",
        "pkcs8-ed25519",
        "pkcs8-rsa",
        "openssh",
        "openssh",
        "openssh-enc",
        "pkcs8-enc",
        "legacy-enc",
        "dsa",
        "putty",
        "putty-enc",
        "pgp",
    )
    if not allow_rsa and kind in ("rsa", "pkcs8-rsa"):
        kind = "ec"
    if kind == "rsa":
        text = keys.pem("RSA PRIVATE KEY", keys.rsa_pkcs1(r))
    elif kind == "ec":
        text = keys.pem("EC PRIVATE KEY", keys.ec_sec1(r))
    elif kind == "pkcs8-ec":
        text = keys.pem("PRIVATE KEY", keys.ec_pkcs8(r))
    elif kind == "pkcs8-ed25519":
        text = keys.pem("PRIVATE KEY", keys.ed25519_pkcs8(r))
    elif kind == "pkcs8-rsa":
        text = keys.pem("PRIVATE KEY", keys.rsa_pkcs8(r))
    elif kind == "openssh":
        text = keys.openssh_private(r, f"{r.pick('deploy', 'ci', 'jenkins', 'backup')}@{r.choice(SERVICES)}")
    elif kind == "openssh-enc":
        text = keys.openssh_private(r, "ops@bastion", encrypted=True)
    elif kind == "pkcs8-enc":
        text = keys.pem("ENCRYPTED PRIVATE KEY", keys.encrypted_pkcs8(r))
    elif kind == "legacy-enc":
        label = r.pick("RSA", "EC")
        headers = f"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{r.hex(32).upper()}\n\n"
        text = keys.pem(f"{label} PRIVATE KEY", r.raw(r.pick(1200, 1232, 128)), headers)
    elif kind == "dsa":
        text = keys.pem("DSA PRIVATE KEY", keys.dsa_der(r))
    elif kind == "putty":
        text = keys.putty_ppk(r, f"eddsa-key-2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}")
    elif kind == "putty-enc":
        text = keys.putty_ppk(r, "imported-openssh-key", encrypted=True)
    else:
        text = keys.pgp_private(r)
    return text, pos(text, f"private-key-{kind}", "key-material", match="range")


def key_file(c: Corpus) -> None:
    r = c.r
    text, label = key_material(c)
    if text.startswith("PuTTY"):
        path = f"{r.pick('ops', 'tools', 'deploy')}/{r.pick('jump', 'bastion', 'prod')}.ppk"
    elif "PGP" in text:
        path = (
            f"{r.pick('release', 'signing', 'ci')}/{r.pick('private', 'secret-key', 'release-signing')}.asc"
        )
    elif "OPENSSH" in text:
        path = (
            f"{r.pick('deploy', '.ssh', 'ansible/files', 'ci')}"
            f"/{r.pick('id_ed25519', 'deploy_key', 'id_rsa')}"
        )
    else:
        path = (
            f"{r.pick('certs', 'config/ssl', 'secrets', 'docker/nginx', 'src/main/resources')}/"
            f"{r.pick('server', 'private', 'tls', 'jwt-signing', 'saml')}.{r.pick('key', 'pem')}"
        )
    lines = text.split("\n")
    doc = Doc()
    doc.block(lines, label)
    c.write(path, doc)


def binary_keystore(c: Corpus) -> None:
    r = c.r
    if r.chance(0.5):
        data = b"0\x82" + r.raw(2) + b"\x02\x01\x030\x82" + r.raw(r.randint(1500, 2500))
        path = (
            f"{r.pick('certs', 'src/main/resources', 'config')}/{r.pick('client', 'keystore', 'signing')}.p12"
        )
        fmt_name = "pkcs12-file"
    else:
        data = b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + r.raw(r.randint(1500, 2500))
        path = (
            f"{r.pick('android/app', 'src/main/resources', 'config')}/{r.pick('release', 'server')}."
            f"{r.pick('jks', 'keystore')}"
        )
        fmt_name = "java-keystore-file"
    label = pos("", fmt_name, "key-material", match="path")
    c.write(path, data, [Placed(label, 1, 1)])


# --- config files ----------------------------------------------------------------------------------


def filler_tree(c: Corpus) -> Tree:
    r = c.r
    tree: Tree = {}
    for _ in range(r.randint(2, 6)):
        section = r.choice(
            [*filler.NOUNS, "server", "logging", "cache", "database", "features", "http", "metrics"]
        )
        body: Tree = {}
        for _ in range(r.randint(3, 8)):
            key, value = r.choice(
                [
                    ("host", r.pick("0.0.0.0", "localhost", "db.internal", f"{section}.svc.cluster.local")),
                    ("port", r.choice([80, 443, 5432, 6379, 8080, 9090])),
                    ("timeout_seconds", r.randint(1, 120)),
                    ("enabled", r.chance(0.7)),
                    ("log_level", r.pick("info", "debug", "warning")),
                    ("region", r.pick("us-east-1", "eu-west-1", "westeurope", "ap-southeast-2")),
                    (
                        "bucket",
                        f"{r.choice(SERVICES)}-{r.pick('prod', 'staging')}"
                        f"-{r.pick('assets', 'exports', 'logs')}",
                    ),
                    ("url", f"https://{r.choice(filler.DOMAINS)}/{section}"),
                    ("pool_size", r.randint(2, 64)),
                    ("retries", r.randint(0, 10)),
                    ("batch_size", r.choice([10, 50, 100, 500])),
                    ("user", r.pick("app", "svc_" + section, "readonly")),
                    ("database", r.pick("app", "orders", section)),
                    ("queue", f"{section}-{r.pick('events', 'jobs', 'dlq')}"),
                    ("max_connections", r.randint(10, 500)),
                    ("cors_origins", [f"https://{d}" for d in r.sample(filler.DOMAINS, 2)]),
                ]
            )
            body[key] = value
        tree[section] = body
    return tree


def config_tree(c: Corpus, lang: str, lo: int, hi: int, neg_lo: int = 0, neg_hi: int = 2) -> Tree:
    tree = filler_tree(c)
    for bundle in c.items(lang, lo, hi, neg_lo, neg_hi):
        if any(i.raw for i in bundle.items):
            bundle = negatives.template(c.r)
        place(c.r, tree, bundle)
    keys_ = list(tree)
    c.r.shuffle(keys_)
    return {k: tree[k] for k in keys_}


def env_file(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    if r.chance(0.6):
        heading = r.pick(
            "Local development settings", "Production environment", "Copied from 1Password", "Staging"
        )
        doc.add(f"# {heading}")
    tree = config_tree(c, "env", 2, 7, 1, 3)
    lines, marks = emit_flat(r, tree, "env")
    doc.put(lines, marks)
    if r.chance(0.12):
        text, label = key_material(c, allow_rsa=r.chance(0.3))
        if not text.startswith("PuTTY"):
            one_line = text.replace("\n", "\\n")
            var = r.pick("PRIVATE_KEY", "JWT_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY", "SAML_SP_KEY")
            doc.put(
                [f'{var}="{one_line}"'],
                [(0, pos(one_line, label.fmt, "key-material", alt=[text]))],
            )
    name = r.pick(
        ".env", ".env", ".env.production", ".env.local", ".env.staging", ".env.development", "app.env"
    )
    c.write(f"{r.pick('', 'services/' + c.svc() + '/', 'apps/web/', 'config/', 'deploy/')}{name}", doc)


def yaml_config(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    doc.add(f"# {filler.prose(r)}")
    lines, marks = emit_yaml(r, config_tree(c, "yaml", 1, 4), r.pick("snake", "snake", "camel"))
    doc.put(lines, marks)
    if r.chance(0.15):
        text, label = key_material(c, allow_rsa=r.chance(0.3))
        doc.add("tls:", f"  {r.pick('key', 'private_key', 'privateKey')}: |")
        doc.block(["    " + x for x in text.split("\n")], label)
    path = r.pick(
        "config/settings.yml",
        "config/application.yml",
        "src/main/resources/application.yml",
        f"services/{c.svc()}/config.yaml",
        "ansible/group_vars/all.yml",
        "helm/values.yaml",
        "config/secrets.yml",
        "deploy/values-prod.yaml",
        "config/database.yml",
    )
    c.write(path, doc)


def json_config(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    tree = config_tree(c, "json", 1, 4)
    appsettings = r.chance(0.3)
    lines, marks = emit_json(tree, "pascal" if appsettings else r.pick("camel", "snake"))
    doc.add("{")
    doc.put(lines, marks)
    doc.add("}")
    path = (
        "appsettings.Production.json"
        if appsettings
        else r.pick(
            "config/default.json",
            "config/production.json",
            f"services/{c.svc()}/config.json",
            "settings.json",
            ".vscode/settings.json",
            "firebase-config.json",
            "local.settings.json",
        )
    )
    c.write(path, doc)


def toml_ini_properties(c: Corpus) -> None:
    r = c.r
    form = r.pick("toml", "ini", "properties", "properties")
    doc = Doc()
    tree = config_tree(c, form, 1, 4)
    if form == "properties":
        doc.add(f"# {filler.prose(r)}")
        lines, marks = emit_flat(r, tree, "properties")
        path = r.pick(
            "src/main/resources/application.properties",
            "gradle.properties",
            "config/app.properties",
            f"services/{c.svc()}/src/main/resources/application-prod.properties",
        )
    else:
        lines, marks = emit_sections(r, tree, form)
        path = (
            r.pick("config.toml", ".streamlit/secrets.toml", "netlify.toml", "pyproject.toml")
            if form == "toml"
            else r.pick("config.ini", "setup.cfg", "alembic.ini", "settings.ini", "app.cfg", "odoo.conf")
        )
    doc.put(lines, marks)
    c.write(path, doc)


def xml_config(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    bundles = c.items("xml", 1, 3, 0, 2)
    kind = r.pick("webconfig", "maven", "spring", "android")
    if kind == "webconfig":
        doc.add('<?xml version="1.0" encoding="utf-8"?>', "<configuration>", "  <appSettings>")
        doc.add(f'    <add key="Environment" value="{r.pick("Production", "Staging")}" />')
        for b in bundles:
            for it in b.items:
                value = it.value if not it.raw else "${" + style(it.name, "screaming") + "}"
                doc.put(
                    [f'    <add key="{style(it.name, "pascal")}" value="{value}" />'],
                    [(0, it.label)] if it.label else [],
                )
        doc.add("  </appSettings>", "  <connectionStrings>")
        if r.chance(0.5):
            b = formats.ado(r)
            doc.put(
                [
                    f'    <add name="Default" connectionString="{b.items[0].value}" providerName="Sy'
                    f'stem.Data.SqlClient" />'
                ],
                [(0, b.items[0].label)],
            )
        doc.add("  </connectionStrings>", "</configuration>")
        path = r.pick("web.config", "App.config", f"src/{c.svc().capitalize()}.Api/Web.config")
    elif kind == "maven":
        doc.add("<settings>", "  <servers>")
        for b in bundles:
            if any(i.label is not None and i.label.kind == "negative" for i in b.items) and not any(
                i.raw for i in b.items
            ):
                b = negatives.placeholder(r)  # every value here is a <password>
            for it in b.items:
                value = it.value if not it.raw else "${env." + style(it.name, "screaming") + "}"
                doc.add(
                    "    <server>",
                    f"      <id>{r.pick('nexus', 'releases', 'github', 'artifactory')}</id>",
                    f"      <username>{r.pick('deploy', 'ci-bot', 'jenkins')}</username>",
                )
                doc.put([f"      <password>{value}</password>"], [(0, it.label)] if it.label else [])
                doc.add("    </server>")
        doc.add("  </servers>", "</settings>")
        path = r.pick("settings.xml", ".m2/settings.xml", "ci/maven-settings.xml")
    elif kind == "spring":
        doc.add(
            '<beans xmlns="http://www.springframework.org/schema/beans">',
            '  <bean id="dataSource" class="com.zaxxer.hikari.HikariDataSource">',
        )
        for b in bundles:
            for it in b.items:
                value = it.value if not it.raw else "${" + style(it.name, "dotted") + "}"
                doc.put(
                    [f'    <property name="{style(it.name, "camel")}" value="{value}" />'],
                    [(0, it.label)] if it.label else [],
                )
        doc.add("  </bean>", "</beans>")
        path = r.pick("src/main/resources/applicationContext.xml", "WEB-INF/spring/datasource.xml")
    else:
        doc.add('<?xml version="1.0" encoding="utf-8"?>', "<resources>")
        for b in bundles:
            for it in b.items:
                value = it.value if not it.raw else "@string/placeholder"
                doc.put(
                    [f'    <string name="{style(it.name, "snake")}">{value}</string>'],
                    [(0, it.label)] if it.label else [],
                )
        doc.add("</resources>")
        path = "android/app/src/main/res/values/secrets.xml"
    c.write(path, doc)


def terraform(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick("tfvars", "provider", "variables")
    bundles = c.items("hcl", 1, 3, 0, 2)
    if kind == "tfvars":
        tree: Tree = {
            "region": r.pick("us-east-1", "eu-west-1"),
            "environment": r.pick("prod", "staging"),
            "instance_type": r.pick("t3.medium", "m5.large"),
        }
        for b in bundles:
            if any(i.raw for i in b.items):
                b = negatives.template(r)
            for it in b.items:
                tree[style(it.name, "snake")] = Leaf(it.value, [it.label] if it.label else [])
        lines, marks = emit_hcl(r, tree)
        doc.put(lines, marks)
        path = r.pick("terraform.tfvars", "envs/prod.tfvars", "infra/terraform.auto.tfvars")
    elif kind == "provider":
        doc.add("terraform {", '  required_version = ">= 1.5"', "}", "")
        for b in bundles:
            module = b.items[0].name.split("_")[0]
            doc.add(f'module "{module}" {{', f'  source = "./modules/{module}"')
            for it in b.items:
                value = it.value if not it.raw else "${var." + style(it.name, "snake") + "}"
                doc.put([f"  {style(it.name, 'snake')} = {lit(value)}"], [(0, it.label)] if it.label else [])
            doc.add("}", "")
        path = r.pick("main.tf", "modules.tf", f"infra/{c.svc()}/main.tf")
    else:
        for b in bundles:
            for it in b.items:
                value = it.value if not it.raw else ""
                doc.add(
                    f'variable "{style(it.name, "snake")}" {{', "  type      = string", "  sensitive = true"
                )
                doc.put([f"  default   = {lit(value)}"], [(0, it.label)] if it.label else [])
                doc.add("}", "")
        path = r.pick("variables.tf", f"modules/{c.svc()}/variables.tf")
    if r.chance(0.2):
        doc.add(
            'resource "tls_private_key" "deploy" {',
            '  algorithm = "ED25519"',
            "}",
            "",
            'resource "local_file" "deploy_key" {',
            "  content = <<-EOT",
        )
        text, label = key_material(c, allow_rsa=False)
        doc.block(["    " + x for x in text.split("\n")], label)
        doc.add("  EOT", '  filename = "${path.module}/deploy.pem"', "}")
    c.write(path, doc)


def dockerfile(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    base = r.pick("python:3.12-slim", "node:20-alpine", "golang:1.22", "eclipse-temurin:21-jre", "ruby:3.3")
    if r.chance(0.4):
        digest = hashlib.sha256(r.raw(16)).hexdigest()
        doc.put([f"FROM {base}@sha256:{digest}"], [(0, neg(digest, "image-digest", "hash"))])
    else:
        doc.add(f"FROM {base}")
    doc.add("", "WORKDIR /app")
    for b in c.items("dockerfile", 0, 3, 0, 2):
        if any(i.raw for i in b.items):
            b = negatives.template(r)
        for it in b.items:
            kw = r.pick("ENV", "ENV", "ARG")
            line = (
                f"{kw} {style(it.name, 'screaming')}={it.value}"
                if " " not in it.value
                else f'{kw} {style(it.name, "screaming")}="{it.value}"'
            )
            doc.put([line], [(0, it.label)] if it.label else [])
    doc.add(
        "COPY requirements.txt package*.json ./ ",
        "RUN pip install --no-cache-dir -r requirements.txt || npm ci",
    )
    if r.chance(0.4):
        lines, marks = cli_snippet(c)
        doc.put(["RUN " + lines[0]], marks)
    doc.add("COPY . .", "EXPOSE 8080", f'CMD ["{r.pick("gunicorn", "node", "./server", "java")}", "app"]')
    c.write(r.pick("Dockerfile", f"services/{c.svc()}/Dockerfile", "docker/Dockerfile.prod"), doc)


def shell_script(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    doc.add(*filler.head(r, "shell"), "")
    for b in c.items("shell", 0, 3, 0, 2):
        for it in b.items:
            value = it.value if it.raw else lit(it.value, "'") if "'" not in it.value else lit(it.value)
            doc.put([f"export {style(it.name, 'screaming')}={value}"], [(0, it.label)] if it.label else [])
    doc.add("")
    for _ in range(r.randint(1, 3)):
        doc.add(*filler.block(r, "shell"), "")
        if r.chance(0.5):
            doc.put(*cli_snippet(c))
        if r.chance(0.3):
            snippet = http_snippet(c, "shell")
            if snippet:
                doc.put(*snippet)
        if r.chance(0.35):
            snippet = idioms.idiom(r, "shell")
            if snippet:
                doc.put(*snippet)
    c.write(
        r.pick(
            "scripts/deploy.sh",
            "bin/setup",
            "scripts/backup.sh",
            "ci/release.sh",
            "tools/seed-db.sh",
            f"services/{c.svc()}/run.sh",
            "Makefile.include.sh",
        ),
        doc,
    )


def compose(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    doc.add("services:")
    for svc in r.sample(SERVICES, r.randint(1, 3)):
        doc.add(
            f"  {svc}:",
            f"    image: ghcr.io/acme/{svc}:{r.pick('latest', '1.4.2', 'main')}",
            "    environment:",
        )
        list_form = r.chance(0.5)
        for b in c.items("yaml", 0, 3, 0, 2):
            if any(i.raw for i in b.items):
                b = negatives.template(r)
            for it in b.items:
                key = style(it.name, "screaming")
                line = f"      - {key}={it.value}" if list_form else f"      {key}: {json.dumps(it.value)}"
                doc.put([line], [(0, it.label)] if it.label else [])
        doc.add("    ports:", f'      - "{r.randint(3000, 9000)}:8080"')
    c.write(
        r.pick("docker-compose.yml", "docker-compose.prod.yml", "compose.yaml", "deploy/docker-compose.yml"),
        doc,
    )


def workflow(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    gitlab = r.chance(0.3)
    if gitlab:
        doc.add("stages:", "  - test", "  - deploy", "", "variables:")
    else:
        sha = r.hex(40)
        doc.add(
            f"name: {r.pick('CI', 'Deploy', 'Release')}", "on:", "  push:", "    branches: [main]", "", "env:"
        )
    for b in c.items("yaml", 1, 3, 1, 2):
        if any(i.raw for i in b.items):
            b = negatives.template(r)
        for it in b.items:
            doc.put(
                [f"  {style(it.name, 'screaming')}: {json.dumps(it.value)}"],
                [(0, it.label)] if it.label else [],
            )
    if gitlab:
        doc.add("", "deploy:", "  stage: deploy", "  script:")
        lines, marks = cli_snippet(c)
        doc.put(["    - " + lines[0]], marks)
    else:
        doc.add("", "jobs:", "  build:", "    runs-on: ubuntu-latest", "    steps:")
        doc.put([f"      - uses: actions/checkout@{sha} # v4"], [(0, neg(sha, "action-pin-sha", "hash"))])
        doc.add("      - name: Deploy", "        run: |")
        lines, marks = cli_snippet(c)
        doc.put(["          " + lines[0]], marks)
        doc.add("        env:", "          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}")
    c.write(
        ".gitlab-ci.yml"
        if gitlab
        else f".github/workflows/{r.pick('ci', 'deploy', 'release', 'nightly')}.yml",
        doc,
    )


def k8s_secret(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    name = f"{c.svc()}-{r.pick('secrets', 'credentials', 'env')}"
    kind = r.pick("data", "data", "stringData", "tls", "dockerconfig")
    namespace = r.pick("prod", "default", "payments")
    doc.add("apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", f"  namespace: {namespace}")
    if kind == "tls":
        text, label = key_material(c, allow_rsa=True)
        encoded = base64.b64encode((text + "\n").encode()).decode()
        cert = keys.certificate(r)
        cert_b64 = base64.b64encode(cert.encode()).decode()
        doc.add("type: kubernetes.io/tls", "data:")
        doc.put([f"  tls.crt: {cert_b64}"], [(0, neg(cert_b64, "certificate-b64", "public-key"))])
        doc.put([f"  tls.key: {encoded}"], [(0, pos(encoded, label.fmt, "key-material", alt=[text]))])
    elif kind == "dockerconfig":
        user, pw = r.pick("deploy", "_json_key", "robot$ci"), formats.url_password(r)
        auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
        cfg = json.dumps(
            {
                "auths": {
                    f"registry.{r.choice(formats.DOMAINS_SHORT)}": {
                        "username": user,
                        "password": pw,
                        "auth": auth,
                    }
                }
            }
        )
        encoded = base64.b64encode(cfg.encode()).decode()
        doc.add("type: kubernetes.io/dockerconfigjson", "data:")
        doc.put(
            [f"  .dockerconfigjson: {encoded}"],
            [(0, pos(encoded, "k8s-dockerconfigjson", "registries", alt=[pw, auth]))],
        )
    else:
        doc.add("type: Opaque", f"{kind}:")
        for b in c.items("yaml", 1, 4, 0, 2):
            if any(i.label is not None and i.label.kind == "negative" for i in b.items):
                b = negatives.placeholder(r)  # a rendered manifest holds values, not template syntax
            for it in b.items:
                key = r.choice(
                    [style(it.name, "screaming"), style(it.name, "kebab"), style(it.name, "snake")]
                )
                if kind == "data":
                    encoded = base64.b64encode(it.value.encode()).decode()
                    label = None
                    if it.label:
                        original = it.label
                        label = Label(
                            encoded,
                            original.fmt,
                            original.family,
                            original.kind,
                            original.severity,
                            [original.value, *original.alt],
                        )
                    doc.put([f"  {key}: {encoded}"], [(0, label)] if label else [])
                else:
                    doc.put([f"  {key}: {json.dumps(it.value)}"], [(0, it.label)] if it.label else [])
    c.write(f"k8s/{r.pick('base', 'overlays/prod', c.svc())}/{name}.yaml", doc)


def k8s_deployment(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    svc = c.svc()
    doc.add(
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {svc}",
        "spec:",
        f"  replicas: {r.randint(1, 6)}",
        "  template:",
        "    spec:",
        "      containers:",
        f"        - name: {svc}",
        f"          image: registry.example.com/{svc}:{r.hex(7)}",
        "          env:",
    )
    for b in c.items("yaml", 0, 3, 1, 2):
        for it in b.items:
            doc.add(f"            - name: {style(it.name, 'screaming')}")
            if it.raw:
                doc.add(
                    "              valueFrom:",
                    "                secretKeyRef:",
                    f"                  name: {svc}-secrets",
                    f"                  key: {style(it.name, 'kebab')}",
                )
                continue
            doc.put([f"              value: {json.dumps(it.value)}"], [(0, it.label)] if it.label else [])
    c.write(f"k8s/{r.pick('base', 'overlays/prod', 'apps')}/{svc}-deployment.yaml", doc)


def kubeconfig(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    ca = base64.b64encode(keys.certificate(r).encode()).decode()
    doc.add("apiVersion: v1", "kind: Config", "clusters:", "  - cluster:")
    doc.put([f"      certificate-authority-data: {ca}"], [(0, neg(ca, "certificate-b64", "public-key"))])
    doc.add(
        f"      server: https://{r.hex(32).upper()}.gr7.us-east-1.eks.amazonaws.com",
        "    name: prod",
        "contexts:",
        "  - context:",
        "      cluster: prod",
        "      user: deployer",
        "    name: prod",
        "current-context: prod",
        "users:",
        "  - name: deployer",
        "    user:",
    )
    if r.chance(0.5):
        token = formats.jwt(
            r,
            "RS256",
            {
                "iss": "kubernetes/serviceaccount",
                "kubernetes.io/serviceaccount/namespace": "kube-system",
                "sub": "system:serviceaccount:kube-system:deployer",
            },
        )
        doc.put([f"      token: {token}"], [(0, pos(token, "jwt", "jwt"))])
    else:
        text, label = key_material(c, allow_rsa=False)
        encoded = base64.b64encode((text + "\n").encode()).decode()
        doc.put(
            [f"      client-key-data: {encoded}"], [(0, pos(encoded, label.fmt, "key-material", alt=[text]))]
        )
    c.write(r.pick("kubeconfig", ".kube/config", "deploy/kubeconfig.yaml"), doc)


def notebook(c: Corpus) -> None:
    r = c.r
    cells: list[tuple[str, list[str], list[tuple[int, Label]]]] = []
    cells.append(("markdown", [f"# {r.choice(filler.NOUNS).capitalize()} analysis", "", filler.prose(r)], []))
    for b in c.items("python", 1, 3, 0, 2):
        if r.chance(0.4):
            code = ["import os", ""]
            marks = []
            for it in b.items:
                value = it.value if it.raw else lit(it.value)
                if it.label:
                    marks.append((len(code), it.label))
                code.append(f'os.environ["{style(it.name, "screaming")}"] = {value}')
        else:
            code, marks = code_bundle(r, "python", b)
        code += ["", f"df = load_{r.choice(filler.NOUNS)}s(limit={r.randint(10, 1000)})", "df.head()"]
        cells.append(("code", code, marks))
    cells.append(("code", filler.block(r, "python"), []))
    doc_cells = []
    for kind, source, _ in cells:
        text = [line + "\n" for line in source[:-1]] + [source[-1]]
        cell = {"cell_type": kind, "metadata": {}, "source": text}
        if kind == "code":
            cell = {
                "cell_type": "code",
                "execution_count": r.randint(1, 40),
                "metadata": {},
                "outputs": [],
                "source": text,
            }
        doc_cells.append(cell)
    nb = {
        "cells": doc_cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    raw = json.dumps(nb, indent=1)
    raw_lines = raw.split("\n")
    placed: list[Placed] = []
    search_from = 0
    for number, (_, source, marks) in enumerate(cells, start=1):
        for offset, label in marks:
            line_text = source[offset] + ("\n" if offset < len(source) - 1 else "")
            needle = json.dumps(line_text)
            for i in range(search_from, len(raw_lines)):
                if raw_lines[i].strip().rstrip(",") == needle:
                    fix_label(label, raw_lines[i])
                    placed.append(Placed(label, i + 1, i + 1, cell=number, cell_line=offset + 1))
                    search_from = i + 1
                    break
    c.write(
        f"notebooks/{r.pick('explore', 'eda', 'prototype', 'scratch')}_{r.choice(filler.NOUNS)}.ipynb",
        raw + "\n",
        placed,
    )


def markdown_doc(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    doc.add(f"# {c.svc().capitalize()} service", "", filler.prose(r), "")
    for _ in range(r.randint(2, 7)):
        doc.add(*filler.block(r, "markdown"), "")
        if r.chance(0.5):
            doc.add(" ".join(r.sample(filler.PROSE, 3)), "")
    doc.add("## Setup", "", "Create a `.env` file:", "", "```env")
    for b in c.items("env", 0, 1, 1, 3):
        if any(i.raw for i in b.items):
            b = negatives.placeholder(r)
        for it in b.items:
            doc.put([f"{style(it.name, 'screaming')}={it.value}"], [(0, it.label)] if it.label else [])
    doc.add("```", "")
    if r.chance(0.5):
        doc.add("Call the API:", "", "```bash")
        snippet = http_snippet(c, "shell") if r.chance(0.5) else idioms.idiom(r, "shell")
        if snippet and r.chance(0.6):
            doc.put(*snippet)
        else:
            doc.add(
                f'curl -H "Authorization: Bearer $API_TOKEN" https://{r.choice(filler.DOMAINS)}/v1/status'
            )
        doc.add("```", "")
    if r.chance(0.3):
        doc.add("Example with the AWS documentation keys:", "", "```ini", "[default]")
        doc.put(
            ["aws_access_key_id = AKIAIOSFODNN7EXAMPLE"],
            [(0, neg("AKIAIOSFODNN7EXAMPLE", "aws-doc-example", "provider-example"))],
        )
        doc.put(
            ["aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
            [(0, neg("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-doc-example", "provider-example"))],
        )
        doc.add("```")
    c.write(
        r.pick(
            "README.md",
            "docs/setup.md",
            f"docs/{c.svc()}.md",
            "CONTRIBUTING.md",
            "docs/runbook.md",
            f"services/{c.svc()}/README.md",
        ),
        doc,
    )


def http_file(c: Corpus) -> None:
    doc = Doc()
    for _ in range(c.r.randint(1, 3)):
        snippet = http_snippet(c, "http") if c.r.chance(0.6) else idioms.bearer_provider(c.r, "http")
        assert snippet
        doc.put(*snippet)
        doc.add("", "###", "")
    c.write(c.r.pick("api.http", "requests/smoke.http", f"docs/{c.svc()}.http"), doc)


# --- credential files with fixed formats ------------------------------------------------------------


def dotfile(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick(
        "npmrc",
        "pypirc",
        "netrc",
        "git-credentials",
        "pgpass",
        "aws",
        "edgerc",
        "s3cfg",
        "dockercfg",
        "gcp-sa",
    )
    if kind == "npmrc":
        doc.add("@acme:registry=https://npm.pkg.github.com", "always-auth=true")
        tok = formats.npm(r).items[0]
        doc.put([f"//registry.npmjs.org/:_authToken={tok.value}"], [(0, tok.label)] if tok.label else [])
        if r.chance(0.6):
            gh = formats.github_style(r, "ghp")
            doc.put([f"//npm.pkg.github.com/:_authToken={gh}"], [(0, pos(gh, "github-ghp", "code-hosting"))])
        if r.chance(0.5):
            value = r.s(ALNUM, 64)
            doc.put(
                [
                    f"//artifactory.{r.choice(formats.DOMAINS_SHORT)}/artifactory/api/npm/npm/:_auth"
                    f"Token={value}"
                ],
                [(0, pos(value, "npmrc-auth-token", "registries"))],
            )
        doc.put(
            ["//registry.npmjs.org/:_authToken=${NPM_TOKEN}"],
            [(0, neg("${NPM_TOKEN}", "template-variable", "template"))],
        )
        path = r.pick(".npmrc", "frontend/.npmrc")
    elif kind == "pypirc":
        tok = formats.pypi_macaroon(r, "pypi.org")
        doc.add("[distutils]", "index-servers =", "    pypi", "", "[pypi]", "username = __token__")
        doc.put([f"password = {tok}"], [(0, pos(tok, "pypi-api-token", "registries"))])
        path = ".pypirc"
    elif kind == "netrc":
        for _ in range(r.randint(1, 3)):
            b = r.pick("heroku", "github", "generic")
            if b == "heroku":
                v = r.uuid()
                label = pos(v, "heroku-api-key", "cloud")
                host = "api.heroku.com"
            elif b == "github":
                v = formats.github_style(r, "ghp")
                label = pos(v, "github-ghp", "code-hosting")
                host = "github.com"
            else:
                v = formats.url_password(r)
                label = pos(v, "netrc-password", "generic")
                host = f"ftp.{r.choice(formats.DOMAINS_SHORT)}"
            doc.put(
                [f"machine {host} login {r.pick('me@example.com', 'deploy', 'ci')} password {v}"],
                [(0, label)],
            )
        path = r.pick(".netrc", "ci/netrc")
    elif kind == "git-credentials":
        for _ in range(r.randint(1, 3)):
            if r.chance(0.5):
                v = formats.github_style(r, "ghp")
                doc.put(
                    [f"https://{r.pick('x-access-token', 'octocat')}:{v}@github.com"],
                    [(0, pos(v, "github-ghp", "code-hosting"))],
                )
            else:
                v = formats.url_password(r)
                doc.put(
                    [f"https://deploy:{v}@git.{r.choice(formats.DOMAINS_SHORT)}"],
                    [(0, pos(v, "url-https", "urls"))],
                )
        path = ".git-credentials"
    elif kind == "pgpass":
        for _ in range(r.randint(1, 3)):
            pw = formats.url_password(r)
            doc.put(
                [f"{r.choice(formats.HOSTS)}:5432:{r.pick('app', '*')}:{r.choice(formats.DB_USERS)}:{pw}"],
                [(0, pos(pw, "pgpass-password", "generic"))],
            )
        path = ".pgpass"
    elif kind == "aws":
        for profile in r.sample(["default", "prod", "staging", "ci"], r.randint(1, 3)):
            b = formats.aws_pair(r)
            doc.add(f"[{profile}]")
            for it in b.items:
                key = style(it.name, "snake") if it.name.startswith("aws") else "aws_" + it.name
                doc.put(
                    [f"{key} = {it.value}"],
                    [(0, it.label)] if it.label else [],
                )
            doc.add(f"region = {r.pick('us-east-1', 'eu-west-1')}", "")
        path = r.pick(".aws/credentials", "ci/aws-credentials")
    elif kind == "edgerc":
        doc.add("[default]")
        b = formats.akamai(r)
        for it in b.items:
            doc.put([f"{it.name} = {it.value}"], [(0, it.label)] if it.label else [])
        path = ".edgerc"
    elif kind == "s3cfg":
        b = formats.aws_pair(r)
        doc.add("[default]")
        doc.put([f"access_key = {b.items[0].value}"], [(0, b.items[0].label)] if b.items[0].label else [])
        doc.put([f"secret_key = {b.items[1].value}"], [(0, b.items[1].label)] if b.items[1].label else [])
        doc.add("host_base = s3.amazonaws.com", "use_https = True")
        path = ".s3cfg"
    elif kind == "dockercfg":
        user, pw = r.pick("deploy", "ci-bot"), formats.url_password(r)
        auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
        doc.add("{", '  "auths": {', f'    "registry.{r.choice(formats.DOMAINS_SHORT)}": {{')
        doc.put([f'      "auth": "{auth}"'], [(0, pos(auth, "docker-config-auth", "registries", alt=[pw]))])
        doc.add("    },", '    "https://index.docker.io/v1/": {}', "  },", '  "credsStore": "desktop"', "}")
        path = r.pick(".docker/config.json", "ci/docker-config.json")
    else:
        project = f"{r.choice(SERVICES)}-{r.randint(100000, 999999)}"
        text = keys.pem("PRIVATE KEY", keys.rsa_pkcs8(r)) + "\n"
        key_id = r.hex(40)
        doc.add(
            "{",
            '  "type": "service_account",',
            f'  "project_id": "{project}",',
            f'  "private_key_id": "{key_id}",',
        )
        escaped = json.dumps(text)
        doc.put(
            [f'  "private_key": {escaped},'],
            [(0, pos(escaped[1:-1], "gcp-service-account-key", "cloud", alt=[text]))],
        )
        doc.add(
            f'  "client_email": "deployer@{project}.iam.gserviceaccount.com",',
            f'  "client_id": "{r.digits(21)}",',
            '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",',
            '  "token_uri": "https://oauth2.googleapis.com/token"',
            "}",
        )
        path = r.pick("credentials.json", f"{project}-{key_id[:12]}.json", "config/gcp-service-account.json")
    c.write(path, doc)


# --- hard-negative files -----------------------------------------------------------------------------


def lock_file(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick("package-lock", "yarn", "go.sum", "cargo", "poetry", "pnpm", "terraform", "composer")
    pkgs = [
        "lodash",
        "react",
        "express",
        "axios",
        "chalk",
        "debug",
        "semver",
        "uuid",
        "yaml",
        "zod",
        "ms",
        "qs",
        "minimist",
        "commander",
        "tslib",
        "rxjs",
        "glob",
        "ws",
        "cookie",
        "jsonwebtoken",
    ]

    def integrity() -> str:
        return "sha512-" + base64.b64encode(hashlib.sha512(r.raw(16)).digest()).decode()

    if kind == "package-lock":
        doc.add("{", '  "name": "web",', '  "lockfileVersion": 3,', '  "packages": {')
        names = [f"{p}{suffix}" for p in pkgs for suffix in ("", "-utils", "-core", "-parser")]
        for i, p in enumerate(r.sample(names, r.randint(20, 60))):
            v = f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
            doc.add(
                f'    "node_modules/{p}": {{',
                f'      "version": "{v}",',
                f'      "resolved": "https://registry.npmjs.org/{p}/-/{p}-{v}.tgz",',
            )
            value = integrity()
            doc.put([f'      "integrity": "{value}"'], [(0, neg(value, "lockfile-integrity", "lockfile"))])
            doc.add("    }," if i < 100 else "    }")
        doc.add('    "": {}', "  }", "}")
        path = r.pick("package-lock.json", "frontend/package-lock.json")
    elif kind == "yarn":
        for p in r.sample(pkgs, r.randint(5, 14)):
            v = f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
            sha1 = r.hex(40)
            doc.add(f"{p}@^{v}:", f'  version "{v}"')
            doc.put(
                [f'  resolved "https://registry.yarnpkg.com/{p}/-/{p}-{v}.tgz#{sha1}"'],
                [(0, neg(sha1, "lockfile-integrity", "lockfile"))],
            )
            value = integrity()
            doc.put([f"  integrity {value}"], [(0, neg(value, "lockfile-integrity", "lockfile"))])
            doc.add("")
        path = "yarn.lock"
    elif kind == "go.sum":
        mods = [
            "github.com/spf13/cobra",
            "golang.org/x/net",
            "github.com/stretchr/testify",
            "go.uber.org/zap",
            "github.com/google/uuid",
            "google.golang.org/grpc",
            "github.com/aws/aws-sdk-go-v2",
        ]
        for m in r.sample(mods, r.randint(3, 7)):
            v = f"v{r.randint(0, 2)}.{r.randint(0, 40)}.{r.randint(0, 9)}"
            for suffix in ("", "/go.mod"):
                h = base64.b64encode(hashlib.sha256(r.raw(8)).digest()).decode()
                doc.put([f"{m} {v}{suffix} h1:{h}"], [(0, neg(h, "lockfile-integrity", "lockfile"))])
        path = "go.sum"
    elif kind == "cargo":
        doc.add("version = 3", "")
        for p in r.sample(
            ["serde", "tokio", "anyhow", "regex", "clap", "rand", "hyper", "bytes"], r.randint(3, 7)
        ):
            h = hashlib.sha256(r.raw(8)).hexdigest()
            doc.add(
                "[[package]]",
                f'name = "{p}"',
                f'version = "1.{r.randint(0, 40)}.{r.randint(0, 9)}"',
                'source = "registry+https://github.com/rust-lang/crates.io-index"',
            )
            doc.put([f'checksum = "{h}"'], [(0, neg(h, "lockfile-integrity", "lockfile"))])
            doc.add("")
        path = "Cargo.lock"
    elif kind == "poetry":
        for p in r.sample(
            ["requests", "urllib3", "certifi", "idna", "charset-normalizer", "pydantic"], r.randint(2, 5)
        ):
            doc.add(
                "[[package]]",
                f'name = "{p}"',
                f'version = "2.{r.randint(0, 30)}.{r.randint(0, 9)}"',
                "files = [",
            )
            for _ in range(2):
                h = hashlib.sha256(r.raw(8)).hexdigest()
                doc.put(
                    [f'    {{file = "{p}-2.0-py3-none-any.whl", hash = "sha256:{h}"}},'],
                    [(0, neg(h, "lockfile-integrity", "lockfile"))],
                )
            doc.add("]", "")
        path = "poetry.lock"
    elif kind == "pnpm":
        doc.add("lockfileVersion: '9.0'", "", "packages:", "")
        for p in r.sample(pkgs, r.randint(4, 10)):
            value = integrity()
            doc.add(f"  {p}@{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}:")
            doc.put(
                [f"    resolution: {{integrity: {value}}}"],
                [(0, neg(value, "lockfile-integrity", "lockfile"))],
            )
            doc.add("")
        path = "pnpm-lock.yaml"
    elif kind == "terraform":
        for provider in r.sample(
            ["hashicorp/aws", "hashicorp/random", "datadog/datadog", "cloudflare/cloudflare"], r.randint(1, 3)
        ):
            doc.add(
                f'provider "registry.terraform.io/{provider}" {{',
                f'  version = "5.{r.randint(0, 60)}.0"',
                "  hashes = [",
            )
            h1 = base64.b64encode(hashlib.sha256(r.raw(8)).digest()).decode()
            doc.put([f'    "h1:{h1}",'], [(0, neg(h1, "lockfile-integrity", "lockfile"))])
            for _ in range(r.randint(2, 5)):
                zh = hashlib.sha256(r.raw(8)).hexdigest()
                doc.put([f'    "zh:{zh}",'], [(0, neg(zh, "lockfile-integrity", "lockfile"))])
            doc.add("  ]", "}", "")
        path = ".terraform.lock.hcl"
    else:
        doc.add("{", '    "packages": [')
        for p in r.sample(
            ["monolog/monolog", "guzzlehttp/guzzle", "symfony/console", "laravel/framework"], r.randint(1, 3)
        ):
            ref = r.hex(40)
            doc.add(
                "        {",
                f'            "name": "{p}",',
                '            "source": {',
                '                "type": "git",',
            )
            doc.put([f'                "reference": "{ref}"'], [(0, neg(ref, "git-sha", "hash"))])
            doc.add("            }", "        },")
        doc.add("    ]", "}")
        path = "composer.lock"
    c.write(path, doc)


def minified_js(c: Corpus) -> None:
    r = c.r
    parts: list[str] = []
    labels: list[Label] = []
    ident = list("abcdefghijklmnopqrstuvwxyz")
    for _ in range(r.randint(30, 80)):
        a, b, d = r.sample(ident, 3)
        parts.append(
            r.pick(
                f"function {a}({b},{d}){{return {b}&&{b}.{r.choice(filler.NOUNS)}||{d}}}",
                f"var {a}={b}.exports={{{r.choice(filler.NOUNS)}:function(){{return {r.randint(0, 999)}}}}};",
                f"{a}.prototype.{r.choice(filler.VERBS)}=function({b}){{this._{b}={b}}};",
                f'{a}("{r.s(B64URL, r.randint(8, 20))}",{b});',
                f'{a}.color="{negatives.colour(r)}";',
            )
        )
        if r.chance(0.08):
            uri = negatives.data_uri(r, r.pick("png", "svg", "gif"))
            parts.append(f'{a}.icon="{uri}";')
            labels.append(neg(uri, "data-uri", "data-uri"))
        if r.chance(0.05):
            chunk = r.hex(20)
            parts.append(f'{a}.p+"static/js/"+{{{r.randint(1, 900)}:"{chunk}"}}[{b}]+".chunk.js"')
            labels.append(neg(chunk, "chunk-hash", "minified"))
    if r.chance(0.35):
        b = c.bundle()
        it = b.items[-1]
        parts.insert(r.randint(0, len(parts)), f'const {style(it.name, "camel")}="{it.value}";')
        if it.label:
            labels.append(it.label)
    line = "".join(parts)
    doc = Doc()
    doc.put(
        [f"/*! {c.svc()} v{r.randint(1, 9)}.{r.randint(0, 20)}.0 | MIT */", line],
        [(1, lab) for lab in labels],
    )
    c.write(
        f"{r.pick('static/js', 'dist', 'public/assets', 'build/static/js')}"
        f"/{r.pick('main', 'vendor', 'app')}."
        f"{r.hex(8)}.min.js",
        doc,
    )


def css_file(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    for _ in range(r.randint(6, 20)):
        sel = r.pick(
            f".{r.choice(filler.NOUNS)}-{r.choice(filler.ADJS)}",
            f"#{r.choice(filler.NOUNS)}",
            f".btn--{r.choice(filler.ADJS)}:hover",
        )
        doc.add(f"{sel} {{")
        col = negatives.colour(r)
        doc.put([f"  color: {col};"], [(0, neg(col, "css-colour", "css-colour"))])
        doc.add(f"  padding: {r.randint(0, 24)}px {r.randint(0, 24)}px;")
        if r.chance(0.2):
            uri = negatives.data_uri(r)
            doc.put([f'  background-image: url("{uri}");'], [(0, neg(uri, "data-uri", "data-uri"))])
        doc.add("}", "")
    if r.chance(0.5):
        uri = negatives.data_uri(r, "woff2")
        doc.add("@font-face {", '  font-family: "Inter";')
        doc.put([f'  src: url({uri}) format("woff2");'], [(0, neg(uri, "data-uri", "data-uri"))])
        doc.add("}")
    c.write(
        f"{r.pick('static/css', 'src/styles', 'assets/css')}/{r.choice(filler.NOUNS)}"
        f".{r.pick('css', 'scss')}",
        doc,
    )


def svg_html(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    if r.chance(0.5):
        doc.add(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'viewBox="0 0 64 64">'
        )
        doc.add(
            f'  <path fill="{negatives.colour(r)}" d="M{r.randint(1, 9)} {r.randint(1, 9)}'
            f"h{r.randint(10, 50)}"
            f'v{r.randint(10, 50)}H{r.randint(1, 9)}z"/>'
        )
        uri = negatives.data_uri(r, "png")
        doc.put(
            [f'  <image width="64" height="64" xlink:href="{uri}"/>'], [(0, neg(uri, "data-uri", "data-uri"))]
        )
        doc.add("</svg>")
        c.write(f"{r.pick('static/img', 'assets/icons', 'public')}/{r.choice(filler.NOUNS)}.svg", doc)
        return
    sri = "sha384-" + base64.b64encode(hashlib.sha384(r.raw(8)).digest()).decode()
    doc.add("<!doctype html>", "<html>", "<head>", '  <meta charset="utf-8">')
    doc.put(
        [
            f'  <script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js" '
            f'integrity="{sri}" crossorigin="anonymous"></script>'
        ],
        [(0, neg(sri, "sri-hash", "hash"))],
    )
    uri = negatives.data_uri(r, "png")
    doc.put([f'  <link rel="icon" href="{uri}">'], [(0, neg(uri, "data-uri", "data-uri"))])
    doc.add("</head>", "<body>", '  <form method="post">')
    doc.put(
        ['    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'],
        [(0, neg("{{ csrf_token() }}", "template-variable", "template"))],
    )
    doc.add(
        '    <input type="password" name="password" placeholder="Password">',
        "  </form>",
        "</body>",
        "</html>",
    )
    c.write(f"templates/{r.choice(filler.NOUNS)}.html", doc)


def public_material(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick("authorized_keys", "known_hosts", "cert", "pubkey")
    if kind in ("authorized_keys", "known_hosts"):
        for _ in range(r.randint(1, 4)):
            line = keys.ssh_public_line(r, f"{r.pick('alice', 'bob', 'ci', 'deploy')}@{r.choice(SERVICES)}")
            blob = line.split()[1]
            prefix = (
                f"{r.pick('github.com', 'gitlab.com', '10.0.0.' + str(r.randint(2, 250)))} "
                if kind == "known_hosts"
                else ""
            )
            doc.put([prefix + line], [(0, neg(blob, "ssh-public-key", "public-key"))])
        path = (
            r.pick("deploy/authorized_keys", ".ssh/known_hosts")
            if kind == "authorized_keys"
            else "ssh/known_hosts"
        )
    elif kind == "cert":
        text = keys.certificate(r)
        doc.block(text.split("\n"), neg(text, "certificate", "public-key", match="range"))
        path = f"certs/{r.pick('ca', 'server', 'chain')}.crt"
    else:
        text = keys.pem("PUBLIC KEY", keys.ec_pkcs8(r)[:91])
        doc.block(text.split("\n"), neg(text, "public-key-pem", "public-key", match="range"))
        path = f"keys/{r.pick('jwt', 'webhook', 'license')}-public.pem"
    c.write(path, doc)


def encrypted_file(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick("ansible-vault", "sops", "sealed")
    if kind == "ansible-vault":
        body = r.hex(r.randint(600, 1200))
        lines = ["$ANSIBLE_VAULT;1.1;AES256"] + [body[i : i + 80] for i in range(0, len(body), 80)]
        doc.block(lines, neg("\n".join(lines), "ansible-vault", "encrypted", match="range"))
        path = r.pick("group_vars/prod/vault.yml", "ansible/secrets.yml")
    elif kind == "sops":
        for _ in range(r.randint(2, 5)):
            b = negatives.encrypted_value(r)
            value = f"ENC[AES256_GCM,data:{r.b64(r.randint(12, 40))},iv:{r.b64(32)},tag:{r.b64(16)},type:str]"
            doc.put([f"{b.items[0].name}: {value}"], [(0, neg(value, "sops-encrypted", "encrypted"))])
        doc.add(
            "sops:",
            "    age:",
            f"        - recipient: age1{r.s('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}",
            f'    lastmodified: "2025-0{r.randint(1, 9)}-1{r.randint(0, 9)}T10:00:00Z"',
        )
        mac = f"ENC[AES256_GCM,data:{r.b64(32)},iv:{r.b64(32)},tag:{r.b64(16)},type:str]"
        doc.put([f"    mac: {mac}"], [(0, neg(mac, "sops-encrypted", "encrypted"))])
        doc.add("    version: 3.8.1")
        path = r.pick("secrets.enc.yaml", "deploy/secrets.sops.yaml")
    else:
        doc.add(
            "apiVersion: bitnami.com/v1alpha1",
            "kind: SealedSecret",
            "metadata:",
            f"  name: {c.svc()}",
            "spec:",
            "  encryptedData:",
        )
        for _ in range(r.randint(1, 4)):
            value = "AgB" + r.s(ALNUM + "+/", r.randint(300, 500)) + "=="
            doc.put(
                [f"    {r.choice(negatives.SECRETISH).upper()}: {value}"],
                [(0, neg(value, "sealed-secret", "encrypted"))],
            )
        path = f"k8s/sealed/{c.svc()}-sealedsecret.yaml"
    c.write(path, doc)


def plain_code(c: Corpus) -> None:
    """Ordinary code with nothing planted: what most of a repository is."""
    r = c.r
    lang = r.choice(list(CODE_LANGS))
    doc = Doc()
    doc.add(*filler.head(r, lang), "")
    for _ in range(r.randint(6, 20)):
        doc.add(*filler.block(r, lang), "")
    doc.add(*filler.TAIL.get(lang, []))
    base = {
        "python": "src/{svc}",
        "js": "src/{svc}",
        "ts": "src/{svc}",
        "go": "internal/{svc}",
        "java": "src/main/java/com/example/{svc}",
        "kotlin": "src/main/kotlin/com/example/{svc}",
        "ruby": "app/models",
        "php": "app/Http/Controllers",
        "csharp": "src/{svc}",
    }[lang]
    stem = r.choice(filler.NOUNS)
    if lang in ("java", "kotlin", "csharp", "php"):
        stem = stem.capitalize() + r.pick("Service", "Controller", "Repository", "Handler")
    c.write(f"{base.format(svc=c.svc())}/{stem}{CODE_LANGS[lang]}", doc)


def manifest(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    kind = r.pick("package.json", "requirements.txt", "go.mod", "tsconfig.json", "Gemfile", ".gitignore")
    if kind == "package.json":
        deps = r.sample(
            ["react", "next", "express", "axios", "zod", "lodash", "dayjs", "pino", "stripe", "@sentry/node"],
            5,
        )
        doc.add(
            "{",
            f'  "name": "@acme/{c.svc()}",',
            f'  "version": "{r.randint(0, 4)}.{r.randint(0, 20)}.0",',
            '  "private": true,',
            '  "scripts": {',
            '    "build": "tsc -p .",',
            '    "test": "vitest run"',
            "  },",
            '  "dependencies": {',
        )
        doc.add(
            *[
                f'    "{d}": "^{r.randint(1, 18)}.{r.randint(0, 9)}.0"' + ("," if i < 4 else "")
                for i, d in enumerate(deps)
            ]
        )
        doc.add("  }", "}")
    elif kind == "requirements.txt":
        for p in r.sample(
            [
                "django",
                "requests",
                "boto3",
                "celery",
                "redis",
                "psycopg2-binary",
                "stripe",
                "sentry-sdk",
                "pydantic",
                "httpx",
                "gunicorn",
            ],
            6,
        ):
            line = f"{p}=={r.randint(1, 5)}.{r.randint(0, 30)}.{r.randint(0, 9)}"
            if r.chance(0.3):
                h = hashlib.sha256(r.raw(8)).hexdigest()
                doc.put([line + f" --hash=sha256:{h}"], [(0, neg(h, "lockfile-integrity", "lockfile"))])
            else:
                doc.add(line)
    elif kind == "go.mod":
        doc.add(f"module github.com/acme/{c.svc()}", "", "go 1.22", "", "require (")
        for m in r.sample(["github.com/spf13/cobra", "go.uber.org/zap", "github.com/google/uuid"], 3):
            doc.add(f"\t{m} v1.{r.randint(0, 20)}.{r.randint(0, 9)}")
        pseudo = (
            f"v0.0.0-2024{r.randint(1, 12):02d}{r.randint(10, 28)}{r.randint(100000, 235959)}-{r.hex(12)}"
        )
        doc.put([f"\tgolang.org/x/exp {pseudo}"], [(0, neg(pseudo, "go-pseudo-version", "hash"))])
        doc.add(")")
    elif kind == "tsconfig.json":
        doc.add(
            "{",
            '  "compilerOptions": {',
            '    "target": "ES2022",',
            '    "module": "NodeNext",',
            '    "strict": true,',
            '    "outDir": "dist"',
            "  }",
            "}",
        )
    elif kind == "Gemfile":
        doc.add(
            'source "https://rubygems.org"',
            "",
            'gem "rails", "~> 7.1"',
            'gem "pg"',
            'gem "sidekiq"',
            'gem "stripe"',
        )
    else:
        doc.add(".env", ".env.*", "!.env.example", "node_modules/", "*.pem", "__pycache__/", "dist/")
    c.write(kind if r.chance(0.5) else f"services/{c.svc()}/{kind}", doc)


def locale_file(c: Corpus) -> None:
    """UI strings under secret-like keys: words, not credentials."""
    r = c.r
    doc = Doc()
    entries = [
        ("password_label", "Password"),
        ("password_placeholder", "Enter your password"),
        ("forgot_password", "Forgot your password?"),
        ("token_expired", "Your session has expired."),
        ("api_key_help", "Create an API key in Settings, then paste it here."),
        ("secret_hint", "Keep this secret safe"),
        ("passwordTooShort", "Use at least 12 characters"),
        ("reset_token_invalid", "This reset link is no longer valid"),
        ("credentials", "Credentials"),
        ("api_token", "API token"),
        ("client_secret", "Client secret"),
    ]
    chosen = r.sample(entries, r.randint(5, len(entries)))
    doc.add("{")
    for i, (k, v) in enumerate(chosen):
        comma = "," if i < len(chosen) - 1 else ""
        doc.put([f'  "{k}": "{v}"{comma}'], [(0, neg(v, "ui-string", "identifier"))])
    doc.add("}")
    c.write(
        f"{r.pick('locales', 'src/i18n', 'public/locales/en')}"
        f"/{r.pick('en', 'de', 'fr', 'translation')}.json",
        doc,
    )


def log_file(c: Corpus) -> None:
    """A log or captured output with a credential printed into it."""
    r = c.r
    doc = Doc()
    for i in range(r.randint(10, 40)):
        ts = (
            f"2025-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}"
            f":{r.randint(10, 59)}Z"
        )
        if i == 5 or r.chance(0.05):
            b = c.bundle()
            it = b.items[-1]
            kind = r.pick("debug", "env", "header")
            if kind == "header":
                line = f'{ts} DEBUG http.client send: headers={{"Authorization": "Bearer {it.value}"}}'
            elif kind == "env":
                line = f"{ts} INFO  config loaded {style(it.name, 'screaming')}={it.value}"
            else:
                line = f"{ts} DEBUG {c.svc()}: using {style(it.name, 'snake')}='{it.value}'"
            doc.put([line], [(0, it.label)] if it.label else [])
        else:
            rid = r.uuid()
            doc.put(
                [
                    f"{ts} INFO  {r.choice(filler.VERBS)} {r.choice(filler.NOUNS)} request_id={rid} "
                    f"status={r.pick(200, 201, 204, 404, 500)} duration_ms={r.randint(2, 900)}"
                ],
                [(0, neg(rid, "uuid", "uuid"))] if r.chance(0.3) else [],
            )
    c.write(f"{r.pick('logs', 'tmp', 'ci-artifacts')}/{c.svc()}-{r.pick('debug', 'app', 'build')}.log", doc)


def sql_fixture(c: Corpus) -> None:
    r = c.r
    doc = Doc()
    doc.add("-- seed data for local development", "BEGIN;")
    for _ in range(r.randint(1, 3)):
        b = c.bundle()
        it = b.items[-1]
        doc.put(
            [
                f"INSERT INTO integrations (name, provider, {style(it.name, 'snake')}) VALUES "
                f"('{c.svc()}', '{it.name.split('_')[0]}', '{it.value}');"
            ],
            [(0, it.label)] if it.label else [],
        )
    for _ in range(r.randint(1, 3)):
        pw = formats.password(r)
        if r.chance(0.5):
            doc.put(
                [f"CREATE USER {r.pick('app', 'reporting', 'etl')} WITH PASSWORD '{pw}';"],
                [(0, pos(pw, "sql-password", "generic"))],
            )
        else:
            doc.put(
                [f"ALTER USER {r.pick('app', 'reporting', 'etl')} IDENTIFIED BY '{pw}';"],
                [(0, pos(pw, "sql-password", "generic"))],
            )
    h = "$2b$12$" + r.s(ALNUM + "./", 53)
    doc.add(f"INSERT INTO users (email, password_hash) VALUES ('admin@example.com', '{h}');", "COMMIT;")
    c.write(
        f"{r.pick('db/seeds', 'migrations', 'sql')}/{r.randint(1, 99):03d}_{r.choice(filler.NOUNS)}.sql", doc
    )


# --- the whole corpus --------------------------------------------------------------------------------


def _code(lang: str) -> Callable[[Corpus], None]:
    def build(c: Corpus) -> None:
        r = c.r
        base = {
            "python": ["app", "src/{svc}", "services/{svc}", "scripts", "tests"],
            "js": ["src", "web/src", "lib", "server"],
            "ts": ["src", "apps/web/src", "packages/api/src"],
            "go": ["internal/{svc}", "cmd/{svc}", "pkg/{svc}"],
            "java": ["src/main/java/com/example/{svc}"],
            "kotlin": ["src/main/kotlin/com/example/{svc}", "app/src/main/java/com/example"],
            "ruby": ["app/models", "app/services", "config/initializers", "lib/{svc}"],
            "php": ["app/Services", "config", "src/{svc}"],
            "csharp": ["src/{svc}", "Services"],
        }[lang]
        names = {
            "python": ["settings", "config", "client", "tasks", "views", "utils", "conftest", "worker"],
            "js": ["config", "client", "index", "api", "server", "webpack.config"],
            "ts": ["config", "client", "index", "api", "env"],
            "go": ["config", "client", "main", "handler"],
            "java": ["AppConfig", "PaymentClient", "Application", "SecurityConfig"],
            "kotlin": ["Config", "ApiClient", "Repository"],
            "ruby": ["stripe", "config", "client", "sync"],
            "php": ["config", "Client", "services"],
            "csharp": ["Startup", "Settings", "ApiClient"],
        }[lang]
        path = f"{r.choice(base).format(svc=c.svc())}/{r.choice(names)}{CODE_LANGS[lang]}"
        if lang == "ts" and r.chance(0.3):
            path = path[:-3] + ".tsx"
        code_file(c, lang, path)

    return build


KINDS: list[tuple[Callable[[Corpus], None], float]] = [
    (_code("python"), 55),
    (_code("js"), 30),
    (_code("ts"), 25),
    (_code("go"), 22),
    (_code("java"), 18),
    (_code("kotlin"), 10),
    (_code("ruby"), 15),
    (_code("php"), 15),
    (_code("csharp"), 15),
    (notebook, 14),
    (env_file, 38),
    (yaml_config, 25),
    (json_config, 22),
    (toml_ini_properties, 30),
    (xml_config, 14),
    (terraform, 18),
    (dockerfile, 15),
    (shell_script, 22),
    (compose, 12),
    (workflow, 14),
    (k8s_secret, 16),
    (k8s_deployment, 10),
    (kubeconfig, 4),
    (markdown_doc, 30),
    (http_file, 5),
    (dotfile, 26),
    (key_file, 18),
    (binary_keystore, 4),
    (lock_file, 22),
    (minified_js, 10),
    (css_file, 12),
    (svg_html, 12),
    (public_material, 9),
    (encrypted_file, 6),
    (plain_code, 60),
    (manifest, 15),
    (locale_file, 5),
    (log_file, 6),
    (sql_fixture, 6),
]


def build(seed: int, files: int) -> Corpus:
    c = Corpus(seed, files)
    total = sum(w for _, w in KINDS)
    plan: list[Callable[[Corpus], None]] = []
    for kind, weight in KINDS:
        plan += [kind] * max(1 if files >= len(KINDS) else 0, round(weight * files / total))
    while len(plan) < files:
        plan.append(c.r.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0])
    c.r.shuffle(plan)
    for kind in plan[:files]:
        kind(c)
    return c


def label_records(c: Corpus) -> list[dict]:
    out = []
    for path in sorted(c.placed):
        for p in c.placed[path]:
            lab = p.label
            rec = {
                "path": path,
                "line": p.line,
                "end_line": p.end_line,
                "value": lab.value,
                "format": lab.fmt,
                "family": lab.family,
                "kind": lab.kind,
                "severity": lab.severity,
                "alt": lab.alt,
                "match": lab.match,
            }
            if p.cell is not None:
                rec["cell"], rec["cell_line"] = p.cell, p.cell_line
            out.append(rec)
    return out


def write(c: Corpus, out: Path) -> tuple[int, int]:
    tree = out / "files"
    if tree.exists():
        shutil.rmtree(tree)
    for path, data in c.files.items():
        target = tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    records = label_records(c)
    with open(out / "labels.jsonl", "w") as handle:
        for rec in records:
            handle.write(json.dumps(rec, sort_keys=True) + "\n")
    return len(c.files), len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="output directory (files/ and labels.jsonl are written there)")
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--files", type=int, default=600)
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error("--files must be at least 1")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"{args.out} exists and is not a directory")
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = build(args.seed, args.files)
    nfiles, nlabels = write(corpus, args.out)
    counts: dict[str, int] = {}
    for rec in label_records(corpus):
        counts[rec["kind"]] = counts.get(rec["kind"], 0) + 1
    formats_seen = {rec["format"] for rec in label_records(corpus) if rec["kind"] == "positive"}
    size = sum(len(d) for d in corpus.files.values())
    print(
        f"{nfiles} files, {size / 1e6:.1f} MB, {nlabels} labels "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), {len(formats_seen)} positive formats "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
