"""Named predicates that drop matches which are not real secrets.

Each filter takes ``(secret, line, path)`` and returns True to DROP the
match.  Rules list the filters they use by name (``filters:`` in YAML); each
one has its own table test, so a change to one cannot silently weaken another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

from keyscan.engine.decoding import decode_base64_text

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(?:^|[^a-z])(?:your|my|insert|enter|replace|put|add)(?:[_\-\s.]?own)?"
    r"(?:[_\-\s.][a-z]{2,12}){0,2}[_\-\s.]?"  # 'your-bot-token', 'your_stripe_secret_key'
    r"(?:api|access|secret|auth|app|private|client|token|key|password|pass|pwd|here)"
    r"|(?:^|[^a-z])(?:example|sample|dummy|placeholder|changeme|change[_-]?me|redacted|"
    r"replace[_-]?me|todo|fixme|notreal|not[_-]?a[_-]?real|fake|foobar|lorem|"
    r"xxxxx|test[_-]?(?:key|token|secret|password)|some[_-]?(?:key|token|secret|password))"
    # Long words cannot occur in a random value by chance, so no boundary is needed for them.
    r"|(?i:example|placeholder|changeme|redacted|notreal)"
)
_TEMPLATE = re.compile(
    r"\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|\{%[^%]*%\}|%\([a-z_]+\)[sd]|<%=?.*%>|"
    r"^<[^<>]+>$|^\[[A-Za-z_ -]+\]$|^\$[A-Z_][A-Z0-9_]*$|^%[A-Z_]+%$|^\{[a-z_]+\}$|^#\{.*\}$|"
    r"\{[A-Za-z_]?[\w.]*\}|^%[sdr]$",  # format fields: '{}', '{0}', '{name}', '%s'
    re.IGNORECASE,
)
_MASK = re.compile(r"^(.)\1{5,}|[*]{3,}|[x]{5,}|[X]{5,}|[.]{3,}|[•]{3,}")
_ENV_LOOKUP = re.compile(
    r"os\.environ|os\.getenv|getenv\s*\(|process\.env|ENV\s*\[|ENV\.fetch|System\.getenv|"
    r"Environment\.GetEnvironmentVariable|\$ENV\{|env\s*\(\s*['\"]|config\s*\(\s*['\"]|"
    r"secrets\.[A-Z_]+|\$\{\{\s*secrets\.|vault\s*\(|getSecret\s*\(|Deno\.env"
)
# Between a lookup and a quoted literal that holds the secret: the lookup's key (`["X"]`, `("X"`,
# `.get("X"`, `.X`), then an assignment, a default argument or a fallback operator, then the opening quote.
_LITERAL_AFTER_LOOKUP = re.compile(
    r"""(?:\s*(?:\.(?:get|fetch|setdefault))?\s*[\[(]?\s*\\?["'`][\w.-]{0,100}\\?["'`]\s*[\])]?|\.[A-Za-z_]\w{0,100})?"""
    r"""\s*(?:=(?![=~>])|,|\|\||\?\?|\bor\b)\s*[bruf]?\\?["'`][^"'`\\\n]*$"""
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEROKU_KEY_CONTEXT = re.compile(
    r"(?i)\bapi\.heroku\.com\b|heroku[_.-]?(?:api[_.-]?(?:key|token)|auth[_.-]?token|oauth[_.-]?token)"
)
_HASH_CONTEXT = re.compile(
    r"(?i)sha(?:1|224|256|384|512)?\b|sha(?:1|256|512)[-:]|md5|integrity|checksum|digest|\bhash\b|"
    r"commit|revision|\brev\b|etag|fingerprint|\bsum\b|h1:|nonce"
)
_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
# Stored password hashes (crypt(3) "$id$", Django "algo$", LDAP "{SCHEME}") are not the password.
_PASSWORD_HASH = re.compile(
    r"^\$(?:2[abxy]?|1|5|6|y|gy|7|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha\d+)?|sha\d*|md5)\$|"
    r"^(?:pbkdf2_sha\d+|bcrypt(?:_sha256)?|argon2|scrypt|sha1|md5|unsalted_\w+)\$|"
    r"^\{(?:S?SHA\d*|CRYPT|S?MD5|PBKDF2[\w-]*|ARGON2)\}",
    re.IGNORECASE,
)
_LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.sum",
        "cargo.lock",
        "poetry.lock",
        "pipfile.lock",
        "composer.lock",
        "gemfile.lock",
        "uv.lock",
        "pdm.lock",
        "packages.lock.json",
        "bun.lock",
        "flake.lock",
        "pubspec.lock",
        "mix.lock",
        "podfile.lock",
        "shasums",
        "sha256sums",
        "checksums.txt",
        "record",
    }
)
_XMPL = re.compile(r"(?i)(?:^|[^a-z])xmpl(?:[^a-z]|$)")
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zyxwvutsrq")
# Every 6-run of a sequence, and every 4-run read either way: one set lookup per window of a value
# instead of a substring search per sequence (``is_sequential`` runs on every generic candidate).
_RUNS_OF_6 = frozenset(seq[i : i + 6] for seq in _SEQUENCES for i in range(len(seq) - 5))
_RUNS_OF_4 = frozenset(run for seq in _SEQUENCES for i in range(len(seq) - 3)
                       for run in (seq[i : i + 4], seq[i : i + 4][::-1]))
_IDENTIFIER = re.compile(r"^[A-Za-z][a-z]+(?:[A-Z][a-z]+|_[a-z]+|[A-Z]{2,}(?=[A-Z][a-z]|$))*$")
_SECRET_WORDS = re.compile(
    r"(?i)secret|passw|token|api[_.-]?key|(?:access|auth|client|consumer|master|signing|encryption|hmac|webhook)"
    r"[_.-]?key|private|bearer|authori[sz]ation|credential"
)
# Passphrases as password managers generate them: two to five words and a number.
_PASSPHRASE = re.compile(r"^[A-Za-z][a-z]{2,11}(?:-[A-Za-z][a-z]{2,11}){1,4}-\d{2,8}$")
# A secret-like name right before the value: `PASSWORD=`, `"api_key": "`, `pass: '`, `--password `.
_SECRET_NAME_BEFORE = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)?|pwd|secret|token|credentials?|auth"
    r"|(?:api|access|secret|private|auth|app|client|master|signing|encryption)[_.-]?key)"
    r"(?:[_.-]?(?:value|str|string|prod|dev|staging|v?\d{1,2}))?"
    r"(?:[\"'`]?\]?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}|[ \t]{1,3})[bru]?[\"'`]?$"
    r"|(?<![\w-])-p[\"']?$"  # mysql -p'...'

)
# camelCase segments: an acronym run, or a word with an optional capital.
_VERSIONED_TYPE = re.compile(r"^[Vv][0-9]{1,2}(?:(?:alpha|beta)[0-9]{1,2})?([A-Z][A-Za-z]+)$")
_CAMEL_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
# Letter pairs that make up less than 0.1% of the pairs inside the words of 74,000 camelCase names
# collected from Python, JavaScript, Go and Java sources; random letters hit them all the time.
_RARE_PAIRS = frozenset(
    """ao bk bq bv bw bx bz cb cg cj cq cw cx cz dh dq dx dz fh fj fm fp fq fv fw fx fz gc gd gf gj gk
    gq gv gx hd hf hg hh hj hk hn hq hv hw hx hz ih iw iy jb jc jd jf jg jh jj jk jl jm jn jp jq jr
    jt jv jw jx jy jz kd kh kj kk kq kx ky kz lh lj lq lx mf mh mj mk mq mr mv mw mx mz nx nz oq pf
    pj pk pq pv pw px pz qa qb qc qd qe qf qg qh qi qj qk qm qn qo qp qq qr qt qv qw qx qy qz rh rj
    rz sj sz tj tq tv uh uj uk uq uu uv uw uy uz vd vh vj vk vl vn vq vr vs vt vu vv vw vx vy vz wb
    wc wd wf wg wj wm wp wq wt wu wv ww wx wy wz xb xd xf xg xh xj xk xl xn xq xr xu xv xw xx xz yd
    yf yh yj yk yq yu yv yx yy zb zc zd zf zg zh zj zk zl zn zp zq zr zs zt zv zw zx zz""".split()
)
_WORD_PART = re.compile(r"^(?:[A-Za-z][a-z]+(?:[A-Z][a-z]+|[A-Z]{2,}(?=[A-Z][a-z]|$))*|[A-Z]+|[a-z])$")
_NUMBER_PART = re.compile(r"^[vV]?\d+$")
_FILE_PATH = re.compile(
    r"^(?:\.{1,2}/|[A-Za-z]:\\|~/)"
    r"|\.(?:py|js|ts|json|ya?ml|txt|png|jpg|svg|html|css|md|go|rb|java|so|dll|pem|key|crt|p12|pfx|jks|der)$"
)
# A relative path is made of word-like parts; base64 secrets contain '/' too, but their parts
# mix upper case, lower case and digits at random.
_PATH_PART = re.compile(r"^(?:[a-z0-9_.-]+|[A-Z][a-z0-9_.-]*|[A-Z0-9_.-]+)$")
_CSS_COLOUR = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_DATA_URI = re.compile(r"data:[a-z]+/[\w.+-]+;base64,", re.IGNORECASE)
_PROVIDER_EXAMPLES = frozenset(
    {
        # Values the providers publish in their own documentation as examples.
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "xoxb-not-a-real-token-this-will-not-work",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        # The HS256 example token on https://jwt.io/introduction
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
        "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    }
)


def is_placeholder(secret: str, line: str = "", path: str = "") -> bool:
    """Template variables, masked values and obvious placeholder words, also when base64-encoded
    (a Kubernetes Secret's ``data:`` holding ``changeme`` or ``<your-api-key>``)."""
    decoded = _base64_text(secret)
    return any(
        _TEMPLATE.search(value) or _MASK.search(value) or _PLACEHOLDER_WORDS.search(value)
        for value in (secret, decoded.strip() if decoded is not None else None) if value
    )


def is_env_lookup(secret: str, line: str = "", path: str = "") -> bool:
    """The value is read from the environment or a secret store, not a literal.

    Only the lookup expression itself is dropped: a quoted literal on the same line that is
    assigned to the lookup (``os.environ["X"] = "amqp://u:p@h"``), given as its default
    (``os.getenv("X", "...")``) or as a fallback (``process.env.X || "..."``) is still a literal."""
    lookups = list(_ENV_LOOKUP.finditer(line))
    if not lookups or _is_quoted_in(secret, line):
        return False
    at = line.find(secret)
    if at < 0:
        return True
    if any(m.start() < at + len(secret) and at < m.end() for m in lookups):
        return True  # the secret is (part of) the lookup
    before = [m for m in lookups if m.end() <= at]
    return not (before and _LITERAL_AFTER_LOOKUP.match(line, before[-1].end(), at))


def _is_quoted_in(secret: str, line: str) -> bool:
    return any(f"{q}{secret}{q}" in line for q in ("'", '"', "`"))


def is_uuid(secret: str, line: str = "", path: str = "") -> bool:
    """A UUID is an identifier, not a secret, unless a rule says otherwise or the line is a Heroku
    API call or key: Heroku API keys and OAuth tokens are UUIDs (``Authorization: Bearer <uuid>``
    towards ``api.heroku.com``, ``HEROKU_API_KEY=<uuid>``)."""
    return bool(_UUID.match(secret)) and not _HEROKU_KEY_CONTEXT.search(line)


def is_hash(secret: str, line: str = "", path: str = "") -> bool:
    """A stored password hash; a hex digest of a common hash length; or any value on a line that
    speaks of hashes.  A hex value on a line that names a secret (``api_key = "<32 hex>"``) and
    says nothing of hashes is kept: many providers issue plain hex keys."""
    if _PASSWORD_HASH.search(secret):
        return True
    hash_line = bool(_HASH_CONTEXT.search(line))
    hex_only = all(c in "0123456789abcdefABCDEF" for c in secret)
    if hex_only and len(secret) in _HASH_LENGTHS and not _mixed_case(secret):
        return hash_line or not _names_secret(line)
    return hash_line and not _names_secret(line)


def _mixed_case(value: str) -> bool:
    return any(c.isupper() for c in value) and any(c.islower() for c in value)


def _names_secret(line: str) -> bool:
    return bool(_SECRET_WORDS.search(line))


def is_lockfile(secret: str, line: str = "", path: str = "") -> bool:
    """Lock files and checksum manifests hold integrity hashes, never credentials."""
    name = PurePosixPath(path).name.lower()
    return name in _LOCKFILES or name.endswith((".sum", ".sha256", ".sha512", ".md5", ".lock"))


def is_sequential(secret: str, line: str = "", path: str = "") -> bool:
    """Keyboard runs and counting sequences (``abcdef123456``, ``abcdefghijklmnop1234567890``):
    a 6-run with few distinct characters, or at least half the value made of 4-runs."""
    lowered = secret.lower()
    if len(set(lowered)) < len(lowered) * 0.6 and not _RUNS_OF_6.isdisjoint(
            lowered[i : i + 6] for i in range(len(lowered) - 5)):
        return True
    covered = set()
    for i in range(len(lowered) - 3):
        if lowered[i : i + 4] in _RUNS_OF_4:
            covered.update(range(i, i + 4))
    if len(covered) * 2 >= len(lowered) > 0:
        return True
    digits = "".join(c for c in lowered if c.isdigit())  # interleaved: a1b2c3d4567890ab
    return len(digits) >= 8 and len(digits) * 3 >= len(lowered) and digits[:8] in "01234567890123456789"


def is_repeated(secret: str, line: str = "", path: str = "") -> bool:
    """Few distinct characters (``aaaaaaaa``, ``abababab``)."""
    return len(set(secret)) <= max(3, len(secret) // 8)


def is_identifier(secret: str, line: str = "", path: str = "") -> bool:
    """camelCase, snake_case or CONSTANT_CASE words without digits: a name, not a key.  Also
    snake/dotted names whose only digits are whole number or version parts (``storage_creds_v2``).

    Kept all the same when the value sits where a secret goes (assigned to a password, secret, token
    or key name, or in the password slot of a URL) and is shaped like a chosen secret rather than a
    name: a passphrase (``maple-harbor-7586``) or random mixed-case letters (``kyYqXkhGMEoDvs``)."""
    if not _identifier_shaped(secret):
        return False
    return not ((_PASSPHRASE.match(secret) or _random_letters(secret)) and _in_secret_slot(secret, line))


def _identifier_shaped(secret: str) -> bool:
    versioned = _VERSIONED_TYPE.match(secret)  # V1SecretVolumeSource: an API model's class name
    if versioned and len(_CAMEL_SEGMENT.findall(versioned.group(1))) >= 2 and _IDENTIFIER.match(versioned.group(1)):
        return True
    parts = re.split(r"[_\-.]", secret)
    if any(c.isdigit() for c in secret):
        words = [p for p in parts if p and not _NUMBER_PART.match(p)]
        return (len(parts) > 2 and all(_WORD_PART.match(p) for p in words)
                and sum(len(p) >= 3 for p in words) >= 2)
    if _IDENTIFIER.match(secret):
        return True
    return len(parts) > 1 and all(_WORD_PART.match(p) for p in parts if p)


def _random_letters(value: str) -> bool:
    """Mixed-case letters that do not split into words: several letter pairs that (almost) never
    occur inside an English or programming word, and short camelCase segments (``vcNqbzMRPOnVdqDa``;
    not ``getUserPassword``, ``PasswordResetForm``, ``HTTPServerURL``)."""
    if not value.isalpha() or value.islower() or value.isupper():
        return False
    segments = _CAMEL_SEGMENT.findall(value)
    rare = 0
    for segment in segments:
        if segment.isupper():
            continue
        word = segment.lower()
        rare += sum(word[i : i + 2] in _RARE_PAIRS for i in range(len(word) - 1))
        rare += not any(c in "aeiouy" for c in word)
    return rare >= 2 and len(value) <= 3 * len(segments)


def _in_secret_slot(secret: str, line: str) -> bool:
    """The value is the password of a URL (``:secret@``, ``user/secret@``) or is assigned to a
    name that says password, secret, token or key (``SMTP_PASSWORD: "..."``, ``-p'...'``)."""
    at = line.find(secret)
    if at < 0:
        return False
    if line.startswith("@", at + len(secret)) and line[at - 1 : at] in (":", "/"):
        return True
    return bool(_SECRET_NAME_BEFORE.search(line, 0, at))


def is_file_path(secret: str, line: str = "", path: str = "") -> bool:
    """File system paths and file names."""
    if _FILE_PATH.search(secret):
        return True
    parts = secret.split("/")  # '/etc/app/token', 'config/keys/prod'; not '/v07TSrT+pCEbY63d/Fvmhq1'
    words = [p for p in parts if p]
    return (len(parts) >= 3 or (secret.startswith("/") and len(words) >= 1)) and all(
        _PATH_PART.match(p) for p in words
    )


def is_css_colour(secret: str, line: str = "", path: str = "") -> bool:
    """Hex colours such as ``#ff00aa``."""
    return bool(_CSS_COLOUR.match(secret)) and ("#" in line or "color" in line.lower())


def is_data_uri(secret: str, line: str = "", path: str = "") -> bool:
    """Base64 payloads of embedded images and fonts."""
    return bool(_DATA_URI.search(line))


def is_provider_example(secret: str, line: str = "", path: str = "") -> bool:
    """Keys the providers publish as examples in their documentation (AWS marks every example
    value with an upper-case ``EXAMPLE`` or an ``xmpl`` part)."""
    return (secret in _PROVIDER_EXAMPLES or secret.upper().endswith("EXAMPLE") or "EXAMPLE" in secret
            or bool(_XMPL.search(secret)))


def needs_digit_and_letter(secret: str, line: str = "", path: str = "") -> bool:
    """Generic random secrets mix letters and digits; pure words or numbers are dropped."""
    has_digit = any(c.isdigit() for c in secret)
    has_alpha = any(c.isalpha() for c in secret)
    return not (has_digit and has_alpha)


_DEFAULT_PASSWORDS = frozenset(
    {
        # Vendor defaults and the placeholders people type in docs and tests, compared after
        # trailing digits/punctuation are stripped ("admin123!" -> "admin").
        "password", "passwd", "pass", "pwd", "pw", "passw0rd", "p@ssw0rd", "p@ssword", "pa55word",
        "pa$$word", "mypassword", "mypass", "yourpassword", "userpass", "dbpassword", "secret", "s3cret",
        "s3cr3t", "secr3t", "mysecret", "changeme", "changeit", "admin", "administrator", "root", "toor",
        "guest", "test", "tester", "testing", "user", "username", "default", "letmein", "qwerty", "welcome",
        "master", "demo", "postgres", "mysql", "redis", "rabbitmq", "mongo", "mongodb", "oracle", "sa",
        "sysadmin", "superuser", "foo", "bar", "foobar", "baz", "abc", "abcd", "abcdef", "none", "null",
        "nil", "empty", "blank", "hunter", "iloveyou", "trustno", "asdf", "asdfgh", "zxcvbn", "1q2w3e4r",
        "pass1234", "abcd1234", "qwer1234", "",
    }
)


def _base64_text(value: str) -> str | None:
    """``value`` decoded when it is strict base64 of printable text (Basic headers, k8s Secrets),
    without the line break ``echo ... | base64`` leaves at its end."""
    if len(value) < 8 or len(value) % 4 or not _BASE64.fullmatch(value):
        return None
    text = decode_base64_text(value, min_length=1, printable=1.0)
    return text.strip() if text is not None and text.strip().isprintable() else None


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_LEET = str.maketrans("0134579@$", "oieastgas")


def is_default_credential(secret: str, line: str = "", path: str = "") -> bool:
    """Well-known default and placeholder passwords (``admin``, ``guest``, ``Password123!``), a
    password equal to its user name (``guest:guest@``), or base64 that decodes to one of those."""
    decoded = _base64_text(secret)
    candidates = [secret]
    if decoded is not None:
        user, sep, password = decoded.partition(":")
        candidates.append(password if sep else decoded)
        if sep and user == password:
            return True
    for value in candidates:
        lowered = value.lower()
        if lowered in _DEFAULT_PASSWORDS or lowered.rstrip("0123456789!@#$%^&*?._-") in _DEFAULT_PASSWORDS:
            return True
        letters = {re.sub(r"[^a-z]", "", lowered), re.sub(r"[^a-z]", "", lowered.translate(_LEET))}
        if any("password" in word or "passwd" in word for word in letters):
            return True  # "SomeKindOfPassword123!", "P@55w0rd!", "Pass@Word1"
    return f"{secret}:{secret}@" in line


def is_not_password_shaped(secret: str, line: str = "", path: str = "") -> bool:
    """Chosen passwords mix character classes: letters with digits (``Summer2024!``), upper and
    lower case with a symbol (``gpAgPzXrEdA!``), or random mixed-case letters (``UnCDtapOEbxTGRBb``).
    Words, numbers and labels (``Password``, ``PASSWORD``, ``12345678``) are dropped."""
    letters = [c for c in secret if c.isalpha()]
    if (letters and any(c.isdigit() for c in secret)) or _random_letters(secret):
        return False
    upper = sum(c.isupper() for c in letters)
    symbol = any(not c.isalnum() for c in secret)
    return not (symbol and upper >= 2 and len(letters) - upper >= 2)


FILTERS: dict[str, Callable[[str, str, str], bool]] = {
    "placeholder": is_placeholder,
    "env-lookup": is_env_lookup,
    "uuid": is_uuid,
    "hash": is_hash,
    "lockfile": is_lockfile,
    "sequential": is_sequential,
    "repeated": is_repeated,
    "identifier": is_identifier,
    "file-path": is_file_path,
    "css-colour": is_css_colour,
    "data-uri": is_data_uri,
    "provider-example": is_provider_example,
    "digit-and-letter": needs_digit_and_letter,
    "default-credential": is_default_credential,
    "password-shape": is_not_password_shaped,
}
