"""Carry out a reviewed plan: validate, confirm, revoke once, verify, and audit every step.

Order per credential: optional read-only check (a dead key is skipped), the
operator's confirmation (or ``--yes``), the ``--max`` cap, then exactly one
revocation.  Hooks that batch (GitHub) collect the confirmed credentials and
send them together at the end.  Nothing here retries a revocation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from keyscan.revoke.audit import AuditLog
from keyscan.revoke.hooks import Context
from keyscan.revoke.model import Check, Liveness, Outcome, Result
from keyscan.revoke.plan import Echo, Entry

Confirm = Callable[[Entry, "Check | None"], str]  # returns "yes", "no" or "quit"


@dataclass(frozen=True)
class RunOptions:
    validate: bool = False
    assume_yes: bool = False
    max_revocations: int | None = None
    interactive: bool = False


@dataclass
class Outcomes:
    results: list[tuple[Entry, Result]] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for _, r in self.results if r.outcome is outcome)

    @property
    def clean(self) -> bool:
        return not any(r.outcome in (Outcome.FAILED, Outcome.UNKNOWN) for _, r in self.results)


class Runner:
    def __init__(self, ctx: Context, options: RunOptions, audit: AuditLog, confirm: Confirm | None = None,
                 echo: Echo = print) -> None:
        self.ctx = ctx
        self.options = options
        self.audit = audit
        self.confirm = confirm
        self.echo = echo
        self.outcomes = Outcomes()
        self._batches: dict[tuple[type, str], list[tuple[Entry, str, Check | None]]] = {}
        self._mutations = 0
        self._stopped = False

    def run(self, entries: Sequence[Entry]) -> Outcomes:
        for entry in entries:
            self._one(entry)
        for queued in self._batches.values():
            self._flush(queued)
        order = {id(e): i for i, e in enumerate(entries)}
        self.outcomes.results.sort(key=lambda pair: order.get(id(pair[0]), 0))
        return self.outcomes

    # -- per credential ------------------------------------------------------------
    def _one(self, entry: Entry) -> None:
        if entry.kind == "skip":
            self._finish(entry, "revoke", Result(Outcome.SKIPPED, entry.refusal))
            return
        assert entry.hook is not None and entry.step is not None
        if entry.kind == "manual":
            self._finish(entry, "manual", entry.hook.revoke([entry.credential], self.ctx)[0])
            return
        if self._stopped:
            self._finish(entry, "revoke", Result(Outcome.SKIPPED, "stopped by the operator"))
            return
        cap = self.options.max_revocations
        if cap is not None and self._mutations >= cap:
            self._finish(entry, "revoke", Result(Outcome.SKIPPED, f"over the --max {cap} cap"))
            return
        check = None
        if self.options.validate:
            check = entry.hook.validate(entry.credential, self.ctx)
            self._audit_check(entry, "validate", check)
            if check.liveness is Liveness.DEAD:
                self._finish(entry, "revoke", Result(Outcome.SKIPPED, f"inactive: {check.detail}"))
                return
        confirmation = "--yes"
        if self.options.interactive and not self.options.assume_yes:
            answer = self.confirm(entry, check) if self.confirm is not None else "no"
            if answer == "quit":
                self._stopped = True
                self._finish(entry, "revoke", Result(Outcome.SKIPPED, "stopped by the operator"))
                return
            if answer != "yes":
                self._finish(entry, "revoke", Result(Outcome.SKIPPED, "declined by the operator"))
                return
            confirmation = "interactive"
        self._mutations += 1
        if entry.hook.batch_limit > 1:
            self._batches.setdefault((type(entry.hook), entry.hook_name), []).append((entry, confirmation, check))
            return
        result = entry.hook.revoke([entry.credential], self.ctx)[0]
        self._after(entry, result, confirmation)
        self.audit.sync()

    def _flush(self, queued: list[tuple[Entry, str, Check | None]]) -> None:
        hook = queued[0][0].hook
        assert hook is not None
        limit = hook.batch_limit
        for start in range(0, len(queued), limit):
            chunk = queued[start:start + limit]
            results = hook.revoke([entry.credential for entry, _, _ in chunk], self.ctx)
            for (entry, confirmation, _), result in zip(chunk, results, strict=True):
                self._after(entry, result, confirmation)
            self.audit.sync()

    def _after(self, entry: Entry, result: Result, confirmation: str) -> None:
        self._finish(entry, "revoke", result, confirmation)
        if self.options.validate and result.outcome is Outcome.SUCCEEDED and entry.hook is not None:
            check = entry.hook.validate(entry.credential, self.ctx)
            if check.liveness is not Liveness.NOT_CHECKED:
                self._audit_check(entry, "verify", check)

    # -- audit ---------------------------------------------------------------------
    def _finish(self, entry: Entry, action: str, result: Result, confirmation: str = "") -> None:
        self.outcomes.results.append((entry, result))
        record = self._base(entry, action)
        record.update({
            "request": result.request.to_dict() if result.request else None,
            "status": result.status,
            "outcome": result.outcome.value,
            "detail": result.detail,
        })
        if result.request_id:
            record["request_id"] = result.request_id
        if confirmation:
            record["confirmation"] = confirmation
        self.audit.write(record)

    def _audit_check(self, entry: Entry, action: str, check: Check) -> None:
        if action == "verify":
            outcome = {Liveness.DEAD: Outcome.SUCCEEDED, Liveness.LIVE: Outcome.FAILED}.get(
                check.liveness, Outcome.UNKNOWN)
            detail = {Liveness.DEAD: "verified: the issuer no longer accepts the credential",
                      Liveness.LIVE: "still accepted right after revocation (some issuers apply it with a "
                                     "delay): check again"}.get(check.liveness, check.detail)
        else:
            outcome = Outcome.SKIPPED if check.liveness is Liveness.NOT_CHECKED else (
                Outcome.UNKNOWN if check.liveness is Liveness.UNKNOWN else Outcome.SUCCEEDED)
            detail = check.detail
        record = self._base(entry, action)
        record.update({
            "request": check.request.to_dict() if check.request else None,
            "status": check.status,
            "liveness": check.liveness.value,
            "outcome": outcome.value,
            "detail": detail,
        })
        self.audit.write(record)
        if action == "verify":
            self.echo(f"verify {entry.credential.hint}: {detail}")

    def _base(self, entry: Entry, action: str) -> dict[str, Any]:
        credential = entry.credential
        return {
            "rule": entry.rule_id,
            "issuer": entry.issuer,
            "hook": entry.hook_name,
            "action": action,
            "step": entry.step.action if entry.step is not None else "",
            "fingerprint": credential.fingerprint,
            "secret_hint": credential.hint,
            "locations": [loc.to_dict() for loc in credential.locations],
        }


def render_results(outcomes: Outcomes, echo: Echo, audit_path: str) -> None:
    echo("")
    echo("Results:")
    for entry, result in outcomes.results:
        echo(f"  {result.outcome.value:<9}  {entry.rule_id}  {entry.credential.hint}  {result.detail}")
    parts = [f"{outcomes.count(o)} {o.value}" for o in Outcome]
    echo(f"Summary: {', '.join(parts)}.  Audit log: {audit_path}")
    if outcomes.count(Outcome.UNKNOWN):
        echo("Outcome 'unknown': the issuer may have acted. Check each one (e.g. keyscan revoke --validate, "
             "or the issuer's console) before trying again; keyscan never retries a revocation.")
