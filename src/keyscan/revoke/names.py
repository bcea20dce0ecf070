"""Hook names a rule's ``revoke`` block may use, checked when rules load.

Lives apart from the hooks so the rule schema can validate ``revoke: {hook: ...}``
without importing any network code.
"""

from __future__ import annotations

import functools
from typing import Any

BUILTIN_HOOKS = ("aws", "buildkite", "digitalocean", "github", "gitlab", "npm", "slack", "vault")
SPECIAL_HOOKS = ("command", "manual")
ENTRY_POINT_GROUP = "keyscan.revokers"
BLOCK_KEYS = ("console", "hook", "name", "note", "steps")


@functools.lru_cache(maxsize=1)
def plugin_names() -> frozenset[str]:
    """Names of hooks installed as entry points (group ``keyscan.revokers``).  ``importlib.metadata`` is
    imported here, when a rule names a hook keyscan does not ship: it costs ~30 ms of every start."""
    from importlib import metadata

    try:
        return frozenset(ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # a broken distribution must not stop rule loading
        return frozenset()


def known_hooks() -> tuple[str, ...]:
    return (*BUILTIN_HOOKS, *SPECIAL_HOOKS, *sorted(plugin_names()))


def check_revoke_block(block: Any) -> str | None:
    """The problem with a rule's ``revoke`` block, or None when it is valid."""
    if not isinstance(block, dict) or not isinstance(block.get("hook"), str):
        return "must be a mapping with a 'hook' name"
    unknown = sorted(str(k) for k in block if k not in BLOCK_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r} (known: {', '.join(BLOCK_KEYS)})"
    hook = block["hook"]
    if hook not in BUILTIN_HOOKS and hook not in SPECIAL_HOOKS and hook not in plugin_names():
        return (f"unknown hook {hook!r}; known: {', '.join(BUILTIN_HOOKS + SPECIAL_HOOKS)}, "
                f"or a plugin registered under {ENTRY_POINT_GROUP}")
    console = block.get("console")
    if console is not None and (not isinstance(console, str) or not console.startswith("https://")):
        return "'console' must be an https:// URL"
    steps = block.get("steps")
    if steps is not None and not (
        (isinstance(steps, str) and steps.strip())
        or (isinstance(steps, list) and steps and all(isinstance(s, str) and s.strip() for s in steps))
    ):
        return "'steps' must be a string or a list of strings"
    name = block.get("name")
    if hook == "command" and (not isinstance(name, str) or not name.strip()):
        return "hook 'command' needs 'name': the command's name in the operator's revoke config"
    if name is not None and not isinstance(name, str):
        return "'name' must be a string"
    return None
