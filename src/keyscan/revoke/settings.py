"""The operator's revocation config: self-managed addresses, the AWS admin profile, command hooks.

It is read only from an explicit ``--revoke-config`` file, ``KEYSCAN_REVOKE_CONFIG``
or the user's own config directory -- never from the repository being scanned,
which could otherwise point ``vault.address`` at an attacker's server and
collect every token keyscan revokes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from keyscan.errors import ConfigError
from keyscan.revoke.names import check_revoke_block

TOP_KEYS = ("allow", "aws", "commands", "gitlab", "overrides", "vault")


@dataclass(frozen=True)
class CommandSpec:
    """An operator-defined command that receives the secret on stdin (e.g. an internal rotation service)."""

    name: str
    argv: tuple[str, ...]
    timeout: float = 120.0
    reversible: bool = False
    description: str = ""


@dataclass(frozen=True)
class RevokeConfig:
    source: str = ""
    allow: frozenset[str] | None = None  # issuers/hooks that may be acted on; None: all
    gitlab_url: str = ""
    vault_address: str = ""
    vault_namespace: str = ""
    aws_profile: str = ""
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule id -> revoke block


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "keyscan" / "revoke.yaml"


def find_config(explicit: Path | None) -> Path | None:
    """The explicit file, else ``KEYSCAN_REVOKE_CONFIG``, else the user's file if it exists."""
    if explicit is not None:
        return explicit
    env = os.environ.get("KEYSCAN_REVOKE_CONFIG")
    if env:
        return Path(env)
    path = default_path()
    return path if path.is_file() else None


def load_revoke_config(path: Path | None) -> RevokeConfig:
    if path is None:
        return RevokeConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read revoke config: {exc.__class__.__name__}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: invalid YAML in revoke config") from None
    if raw is None:
        return RevokeConfig(source=str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the revoke config must be a mapping")
    return parse_revoke_config(raw, str(path))


def parse_revoke_config(raw: dict[str, Any], source: str) -> RevokeConfig:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: key '{key}': {problem}")

    for key in raw:
        if key not in TOP_KEYS:
            raise fail(str(key), f"unknown key (known: {', '.join(TOP_KEYS)})")
    allow = raw.get("allow")
    if allow is not None and (not isinstance(allow, list) or not all(isinstance(a, str) for a in allow)):
        raise fail("allow", "must be a list of hook names")
    gitlab = _section(raw, "gitlab", ("url",), fail)
    vault = _section(raw, "vault", ("address", "namespace"), fail)
    aws = _section(raw, "aws", ("profile",), fail)
    return RevokeConfig(
        source=source,
        allow=frozenset(allow) if allow is not None else None,
        gitlab_url=_text(gitlab, "url", "gitlab.url", fail),
        vault_address=_text(vault, "address", "vault.address", fail),
        vault_namespace=_text(vault, "namespace", "vault.namespace", fail),
        aws_profile=_text(aws, "profile", "aws.profile", fail),
        commands=_commands(raw.get("commands", {}), fail),
        overrides=_overrides(raw.get("overrides", {}), fail),
    )


def _section(raw: dict[str, Any], key: str, allowed: tuple[str, ...], fail: Any) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise fail(key, "must be a mapping")
    for name in value:
        if name not in allowed:
            raise fail(f"{key}.{name}", f"unknown key (known: {', '.join(allowed)})")
    return value


def _text(section: dict[str, Any], key: str, label: str, fail: Any) -> str:
    value = section.get(key, "")
    if not isinstance(value, str):
        raise fail(label, "must be a string")
    return value.strip()


def _commands(value: Any, fail: Any) -> dict[str, CommandSpec]:
    if not isinstance(value, dict):
        raise fail("commands", "must be a mapping of name to command")
    commands = {}
    for name, spec in value.items():
        label = f"commands.{name}"
        if isinstance(spec, list):
            spec = {"argv": spec}
        if not isinstance(spec, dict):
            raise fail(label, "must be a list (argv) or a mapping with 'argv'")
        extra = sorted(set(spec) - {"argv", "timeout", "reversible", "description"})
        if extra:
            raise fail(f"{label}.{extra[0]}", "unknown key (known: argv, description, reversible, timeout)")
        argv = spec.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
            raise fail(f"{label}.argv", "must be a non-empty list of strings (no shell is used)")
        timeout = spec.get("timeout", 120)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise fail(f"{label}.timeout", "must be a positive number of seconds")
        reversible = spec.get("reversible", False)
        if not isinstance(reversible, bool):
            raise fail(f"{label}.reversible", "must be true or false")
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise fail(f"{label}.description", "must be a string")
        commands[str(name)] = CommandSpec(str(name), tuple(argv), float(timeout), reversible, description)
    return commands


def _overrides(value: Any, fail: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise fail("overrides", "must be a mapping of rule id to a revoke block")
    result = {}
    for rule_id, block in value.items():
        problem = check_revoke_block(block)
        if problem:
            raise fail(f"overrides.{rule_id}", problem)
        result[str(rule_id)] = dict(block)
    return result
