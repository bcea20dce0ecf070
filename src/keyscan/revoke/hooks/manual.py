"""Issuers with no revocation API (Stripe, PyPI, Telegram...): print the documented steps and the console.

Nothing is sent.  The steps come from the rule's ``revoke.steps`` or, failing
that, the "How to rotate" part of the rule's help; the link from
``revoke.console``.  The audit log records the credential as ``manual``.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from keyscan.revoke.hooks.base import Context, Hook
from keyscan.revoke.model import Credential, Outcome, Result, Step
from keyscan.rules.model import Rule

_ROTATE = regex.compile(r"\*\*How to (?:rotate|revoke)[^*]*\*\*\s*(.+?)(?=\s*\*\*[A-Z]|\Z)", regex.S)


def rotation_steps(rule: Rule | None, block: dict[str, object]) -> tuple[str, ...]:
    steps = block.get("steps")
    if isinstance(steps, str):
        return (" ".join(steps.split()),)
    if isinstance(steps, list):
        return tuple(" ".join(str(s).split()) for s in steps)
    if rule is not None:
        match = _ROTATE.search(rule.help)
        if match:
            return (" ".join(match.group(1).split()),)
        return (f"see `keyscan explain {rule.id}`",)
    return ()


class ManualHook(Hook):
    name = "manual"
    issuer = "(no API)"

    def plan(self, credential: Credential, ctx: Context) -> Step:
        provider = self.rule.provider if self.rule is not None else "the issuer"
        return Step(
            action="manual",
            summary=f"{provider} offers no revocation API: revoke it by hand",
            manual_steps=rotation_steps(self.rule, self.block),
            console=str(self.block.get("console") or ""),
        )

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        console = self.block.get("console")
        detail = f"revoke by hand at {console}" if console else "revoke by hand (steps printed above)"
        return [Result(Outcome.MANUAL, detail) for _ in batch]
