"""Find the hook for a rule: the operator's override, else the rule's ``revoke`` block.

Built-in hooks come from ``keyscan.revoke.hooks.BUILTIN``; anything else is
looked up among the entry points of group ``keyscan.revokers``, loaded only
when a rule names it.  A plugin is a ``Hook`` subclass (or a factory returning
a ``Hook``) and may declare extra allowlisted base URLs in ``endpoints``.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from keyscan.revoke.hooks import BUILTIN, Hook
from keyscan.revoke.model import Refusal
from keyscan.revoke.names import ENTRY_POINT_GROUP
from keyscan.revoke.settings import RevokeConfig
from keyscan.rules.model import Rule


def revoke_block(rule: Rule, config: RevokeConfig) -> dict[str, Any] | None:
    return config.overrides.get(rule.id) or rule.revoke


def _entry_point(name: str) -> metadata.EntryPoint | None:
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep
    return None


def make_hook(block: dict[str, Any], rule: Rule | None) -> Hook:
    """Instantiate the hook a block names, or raise ``Refusal`` with a one-line reason."""
    name = str(block.get("hook", ""))
    if name in BUILTIN:
        return BUILTIN[name](block, rule)
    ep = _entry_point(name)
    if ep is None:
        raise Refusal(f"unknown revoke hook {name!r} (not built in, no {ENTRY_POINT_GROUP} entry point)")
    try:
        loaded = ep.load()
        hook = loaded(block, rule) if isinstance(loaded, type) and issubclass(loaded, Hook) else loaded()
    except Exception as exc:  # a broken plugin must not stop the others
        raise Refusal(f"plugin hook {name!r} failed to load: {exc.__class__.__name__}") from None
    if not isinstance(hook, Hook):
        raise Refusal(f"plugin hook {name!r} is not a keyscan.revoke.hooks.Hook")
    if not hook.block:
        hook.block, hook.rule = dict(block), rule
    return hook


def plugin_endpoints(hook: Hook) -> dict[str, str]:
    """Extra allowlisted base URLs a plugin declares; built-ins use the fixed table only."""
    if type(hook) in BUILTIN.values():
        return {}
    endpoints = getattr(hook, "endpoints", {}) or {}
    return {str(k): str(v) for k, v in endpoints.items() if str(v).startswith("https://")}
