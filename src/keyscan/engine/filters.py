"""Named predicates that drop matches which are not real secrets.

Each filter takes ``(secret, line, path)`` and returns True to DROP the
match.  Rules list the filters they use by name (``filters:`` in YAML); each
one has its own table test, so a change to one cannot silently weaken another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)(?:^|[^a-z])(?:your|my|insert|enter|replace|put|add)[_\-\s.]?(?:own[_\-\s.]?)?"
    r"(?:api|access|secret|auth|app|private|client|token|key|password|pass|pwd|here)"
    r"|(?:^|[^a-z])(?:example|sample|dummy|placeholder|changeme|change[_-]?me|redacted|"
    r"replace[_-]?me|todo|fixme|notreal|not[_-]?a[_-]?real|fake|foobar|lorem|"
    r"xxxxx|test[_-]?(?:key|token|secret|password)|some[_-]?(?:key|token|secret|password))"
)
_TEMPLATE = re.compile(
    r"\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|\{%[^%]*%\}|%\([a-z_]+\)[sd]|<%=?.*%>|"
    r"^<[^<>]+>$|^\[[A-Za-z_ -]+\]$|^\$[A-Z_][A-Z0-9_]*$|^%[A-Z_]+%$|^\{[a-z_]+\}$|^#\{.*\}$",
    re.IGNORECASE,
)
_MASK = re.compile(r"^(.)\1{5,}|[*]{3,}|[x]{5,}|[X]{5,}|[.]{3,}|[•]{3,}")
_ENV_LOOKUP = re.compile(
    r"os\.environ|os\.getenv|getenv\s*\(|process\.env|ENV\s*\[|ENV\.fetch|System\.getenv|"
    r"Environment\.GetEnvironmentVariable|\$ENV\{|env\s*\(\s*['\"]|config\s*\(\s*['\"]|"
    r"secrets\.[A-Z_]+|\$\{\{\s*secrets\.|vault\s*\(|getSecret\s*\(|Deno\.env"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HASH_CONTEXT = re.compile(
    r"(?i)sha(?:1|224|256|384|512)?\b|sha(?:1|256|512)[-:]|md5|integrity|checksum|digest|\bhash\b|"
    r"commit|revision|\brev\b|etag|fingerprint|\bsum\b|h1:|nonce"
)
_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
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
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zyxwvutsrq")
_IDENTIFIER = re.compile(r"^[A-Za-z][a-z]+(?:[A-Z][a-z]+|_[a-z]+|[A-Z]{2,}(?=[A-Z][a-z]|$))*$")
_FILE_PATH = re.compile(
    r"^(?:\.{0,2}/|[A-Za-z]:\\|~/)|^[\w.-]+(?:/[\w.-]+){2,}$"
    r"|\.(?:py|js|ts|json|ya?ml|txt|png|jpg|svg|html|css|md|go|rb|java|so|dll)$"
)
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
    }
)


def is_placeholder(secret: str, line: str = "", path: str = "") -> bool:
    """Template variables, masked values and obvious placeholder words."""
    return bool(_TEMPLATE.search(secret) or _MASK.search(secret) or _PLACEHOLDER_WORDS.search(secret))


def is_env_lookup(secret: str, line: str = "", path: str = "") -> bool:
    """The line reads the value from the environment or a secret store, not a literal."""
    return bool(_ENV_LOOKUP.search(line)) and not _is_quoted_in(secret, line)


def _is_quoted_in(secret: str, line: str) -> bool:
    return any(f"{q}{secret}{q}" in line for q in ("'", '"', "`"))


def is_uuid(secret: str, line: str = "", path: str = "") -> bool:
    """A UUID is an identifier, not a secret, unless a rule says otherwise."""
    return bool(_UUID.match(secret))


def is_hash(secret: str, line: str = "", path: str = "") -> bool:
    """A hex digest of a common hash length, or any value on a line that speaks of hashes."""
    hex_only = all(c in "0123456789abcdefABCDEF" for c in secret)
    if hex_only and len(secret) in _HASH_LENGTHS and not _mixed_case(secret):
        return True
    return bool(_HASH_CONTEXT.search(line)) and not _names_secret(line)


def _mixed_case(value: str) -> bool:
    return any(c.isupper() for c in value) and any(c.islower() for c in value)


def _names_secret(line: str) -> bool:
    return bool(re.search(r"(?i)secret|passw|token|api[_-]?key|private", line))


def is_lockfile(secret: str, line: str = "", path: str = "") -> bool:
    """Lock files and checksum manifests hold integrity hashes, never credentials."""
    name = PurePosixPath(path).name.lower()
    return name in _LOCKFILES or name.endswith((".sum", ".sha256", ".sha512", ".md5", ".lock"))


def is_sequential(secret: str, line: str = "", path: str = "") -> bool:
    """Keyboard runs and counting sequences (``abcdef123456``)."""
    lowered = secret.lower()
    return any(seq[i : i + 6] in lowered for seq in _SEQUENCES for i in range(len(seq) - 5)) and len(
        set(lowered)
    ) < len(lowered) * 0.6


def is_repeated(secret: str, line: str = "", path: str = "") -> bool:
    """Few distinct characters (``aaaaaaaa``, ``abababab``)."""
    return len(set(secret)) <= max(3, len(secret) // 8)


def is_identifier(secret: str, line: str = "", path: str = "") -> bool:
    """camelCase, snake_case or CONSTANT_CASE words without digits: a name, not a key."""
    if any(c.isdigit() for c in secret):
        return False
    if _IDENTIFIER.match(secret):
        return True
    parts = re.split(r"[_\-.]", secret)
    return len(parts) > 1 and all(p.isalpha() for p in parts if p)


def is_file_path(secret: str, line: str = "", path: str = "") -> bool:
    """File system paths and file names."""
    return bool(_FILE_PATH.search(secret))


def is_css_colour(secret: str, line: str = "", path: str = "") -> bool:
    """Hex colours such as ``#ff00aa``."""
    return bool(_CSS_COLOUR.match(secret)) and ("#" in line or "color" in line.lower())


def is_data_uri(secret: str, line: str = "", path: str = "") -> bool:
    """Base64 payloads of embedded images and fonts."""
    return bool(_DATA_URI.search(line))


def is_provider_example(secret: str, line: str = "", path: str = "") -> bool:
    """Keys the providers publish as examples in their documentation."""
    return secret in _PROVIDER_EXAMPLES or secret.upper().endswith("EXAMPLE")


def needs_digit_and_letter(secret: str, line: str = "", path: str = "") -> bool:
    """Generic random secrets mix letters and digits; pure words or numbers are dropped."""
    has_digit = any(c.isdigit() for c in secret)
    has_alpha = any(c.isalpha() for c in secret)
    return not (has_digit and has_alpha)


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
}
