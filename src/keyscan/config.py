"""The config file: ``.keyscan.yaml`` or ``[tool.keyscan]`` in ``pyproject.toml``.

Discovery walks from the scan root up to the git top level; ``--config``
overrides.  Unknown keys are errors, never silently ignored: a typo in an
allowlist must not quietly widen or narrow what is reported.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from keyscan.errors import ConfigError
from keyscan.model import Confidence, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAMES = (".keyscan.yaml", ".keyscan.yml")
TOP_KEYS = {"rules", "allow", "max_file_size", "entropy", "fail", "regex_timeout"}
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}


@dataclass(frozen=True)
class Config:
    """The validated config; defaults when no file is found."""

    source: str = ""
    disabled_rules: frozenset[str] = frozenset()
    disabled_tags: frozenset[str] = frozenset()
    extra_rule_files: tuple[Path, ...] = ()
    allow_paths: tuple[str, ...] = ()
    allow_values: tuple[regex.Pattern[str], ...] = field(default=())
    max_file_size: int | None = None
    entropy: dict[str, float] = field(default_factory=dict)
    fail_min_severity: Severity = Severity.LOW
    fail_min_confidence: Confidence = Confidence.LOW
    regex_timeout: float | None = None


def discover(start: Path, stop: Path | None) -> Path | None:
    """The first ``.keyscan.yaml`` or ``pyproject.toml`` with ``[tool.keyscan]`` from start up to stop."""
    current = start.resolve()
    if current.is_file():
        current = current.parent
    limit = stop.resolve() if stop is not None else None
    while True:
        for name in CONFIG_NAMES:
            if (current / name).is_file():
                return current / name
        pyproject = current / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if limit is None or current == limit or current.parent == current:
            return None
        current = current.parent


def _has_tool_table(path: Path) -> bool:
    try:
        return "keyscan" in tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def load_config(path: Path | None) -> Config:
    """Parse and validate; any problem is one ``ConfigError`` line naming the key."""
    if path is None:
        return Config()
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if not path.is_file():
        raise ConfigError(f"{path}: config path is not a file")
    raw = _read(path)
    if raw is None:
        return Config(source=str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping")
    return parse_config(raw, path)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.__class__.__name__}") from None
    if path.suffix == ".toml":
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {' '.join(str(exc).split())}") from None
        if path.name != "pyproject.toml":
            return document
        tool = document.get("tool", {})
        return tool.get("keyscan", {}) if isinstance(tool, dict) else {}
    import yaml  # here, not at the top: a run without a YAML config file does not need it (~25 ms)

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}") from None


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{path}: key '{key}': {problem}")

    unknown = sorted(str(k) for k in set(raw) - TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    rules = _mapping(raw.get("rules", {}), "rules", {"disable", "disable_tags", "extra"}, fail)
    allow = _mapping(raw.get("allow", {}), "allow", {"paths", "values"}, fail)
    fail_on = _mapping(raw.get("fail", {}), "fail", {"min_severity", "min_confidence"}, fail)
    base = path.parent
    values = []
    for item in _strings(allow.get("values", []), "allow.values", fail):
        try:
            values.append(regex.compile(item))
        except regex.error as exc:
            raise fail("allow.values", f"{item!r} is not a valid regex: {exc}") from None
    return Config(
        source=str(path),
        disabled_rules=frozenset(_strings(rules.get("disable", []), "rules.disable", fail)),
        disabled_tags=frozenset(_strings(rules.get("disable_tags", []), "rules.disable_tags", fail)),
        extra_rule_files=_rule_files(rules.get("extra", []), base, fail),
        allow_paths=tuple(_strings(allow.get("paths", []), "allow.paths", fail)),
        allow_values=tuple(values),
        max_file_size=_size(raw["max_file_size"], fail) if "max_file_size" in raw else None,
        entropy=_entropy(raw.get("entropy", {}), fail),
        fail_min_severity=_level(fail_on, "min_severity", Severity, fail),
        fail_min_confidence=_level(fail_on, "min_confidence", Confidence, fail),
        regex_timeout=_positive(raw, "regex_timeout", fail),
    )


def _mapping(value: Any, key: str, allowed: set[str], fail: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(key, "must be a mapping")
    unknown = sorted(str(k) for k in set(value) - allowed)
    if unknown:
        raise fail(f"{key}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(allowed))})")
    return value


def _rule_files(value: Any, base: Path, fail: Any) -> tuple[Path, ...]:
    """Custom rule files or directories, relative to the config file; a missing one is an error."""
    files = []
    for item in _strings(value, "rules.extra", fail):
        path = base / item
        if not path.exists():
            raise fail("rules.extra", f"{item!r} does not exist (paths are relative to the config file)")
        files.append(path)
    return tuple(files)


def check_rule_references(config: Config, rule_ids: set[str], tags: set[str]) -> None:
    """``rules.disable`` and ``rules.disable_tags`` must name existing rules and tags: a typo must not
    leave a rule silently enabled."""
    where = config.source or "config"
    for rule_id in sorted(config.disabled_rules):
        if rule_id not in rule_ids:
            raise ConfigError(f"{where}: key 'rules.disable': no rule with id {rule_id!r} "
                              "(see 'keyscan rules list')")
    for tag in sorted(config.disabled_tags):
        if tag not in tags:
            raise ConfigError(f"{where}: key 'rules.disable_tags': no rule has the tag {tag!r}")


def _strings(value: Any, key: str, fail: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(key, "must be a list of non-empty strings")
    return value


def parse_size(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        match = regex.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
        if match and match.group(2).lower() in {**_SIZE_UNITS, "": 1}:
            size = int(float(match.group(1)) * _SIZE_UNITS.get(match.group(2).lower(), 1))
            return size if size > 0 else None
    return None


def _size(value: Any, fail: Any) -> int:
    size = parse_size(value)
    if size is None:
        raise fail("max_file_size", "must be a positive size such as 10485760 or '10MiB'")
    return size


def _entropy(value: Any, fail: Any) -> dict[str, float]:
    allowed = {"hex", "base64", "alnum", "any"}
    mapping = _mapping(value, "entropy", allowed, fail)
    result = {}
    for name, number in mapping.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= 8:
            raise fail(f"entropy.{name}", "must be a number from 0 to 8")
        result[name] = float(number)
    return result


def _level(mapping: dict[str, Any], key: str, kind: Any, fail: Any) -> Any:
    if key not in mapping:
        return kind.LOW
    try:
        return kind.parse(str(mapping[key]))
    except KeyError:
        names = "|".join(m.name.lower() for m in kind)
        raise fail(f"fail.{key}", f"must be one of {names}") from None


def _positive(raw: dict[str, Any], key: str, fail: Any) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise fail(key, "must be a positive number of seconds")
    return float(value)


def env_config_path() -> Path | None:
    value = os.environ.get("KEYSCAN_CONFIG")
    return Path(value) if value else None
