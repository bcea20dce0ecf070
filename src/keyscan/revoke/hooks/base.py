"""The hook interface: describe the action (no network), check liveness, revoke.

Built-in hooks and plugins (entry point group ``keyscan.revokers``) subclass
``Hook``.  Most issuers need one HTTP request, so ``HttpHook`` does the
sending and the outcome rules shared by all of them; a subclass only builds
its request and reads the issuer's answer.

The shared outcome rules, for a mutation:

* no connection was made: ``failed`` (nothing reached the issuer);
* a timeout or a broken connection after sending, a 5xx, a 429, or a redirect
  (never followed): ``unknown`` -- the issuer may have acted, so check before
  any retry.  keyscan never retries a revocation by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from keyscan.redact import redact
from keyscan.revoke.http import HttpRequest, HttpResponse, SafeClient, TransportError
from keyscan.revoke.model import Check, Credential, Liveness, Outcome, Refusal, RequestInfo, Result, Step
from keyscan.revoke.ratelimit import RateLimited
from keyscan.revoke.settings import RevokeConfig
from keyscan.rules.model import Rule

UNKNOWN_ADVICE = "the issuer may or may not have acted: check the credential before retrying"


@dataclass
class Context:
    """What a hook may use: the operator's config, the safe HTTP client, and the run's options."""

    config: RevokeConfig
    client: SafeClient
    aws_delete: bool = False
    timeout: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)


class Hook:
    """One issuer's way to revoke a credential.  Subclasses set the class attributes."""

    name: ClassVar[str] = ""
    issuer: ClassVar[str] = ""
    batch_limit: ClassVar[int] = 1  # how many credentials one request may carry
    console: ClassVar[str] = ""  # where a person can check or revoke by hand

    def __init__(self, block: dict[str, Any] | None = None, rule: Rule | None = None) -> None:
        self.block = dict(block or {})
        self.rule = rule

    def plan(self, credential: Credential, ctx: Context) -> Step:
        """Describe exactly what ``revoke`` would do.  No network.  Raise ``Refusal`` to decline."""
        raise NotImplementedError

    def validate(self, credential: Credential, ctx: Context) -> Check:
        """A read-only liveness check; hooks without one say so."""
        return Check(Liveness.NOT_CHECKED, "the issuer offers no read-only check")

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        """Revoke every credential of ``batch`` (at most ``batch_limit``); one result per credential."""
        raise NotImplementedError


class HttpHook(Hook):
    """A hook that is one HTTP request to an allowlisted endpoint."""

    action: ClassVar[str] = "revoke"
    summary: ClassVar[str] = ""
    success: ClassVar[str] = ""
    reversible: ClassVar[bool] = False
    notes: ClassVar[tuple[str, ...]] = ()

    # -- what subclasses provide -------------------------------------------------
    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        """A reason to decline this credential before anything is sent."""
        return None

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        raise NotImplementedError

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        raise NotImplementedError

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        """The read-only validation request, if the issuer has one."""
        return None

    def alive(self, response: HttpResponse) -> Liveness:
        if response.status == 200:
            return Liveness.LIVE
        if response.status in (401, 403):
            return Liveness.DEAD
        return Liveness.UNKNOWN

    # -- shared behaviour ----------------------------------------------------------
    def plan(self, credential: Credential, ctx: Context) -> Step:
        reason = self.refuse(credential, ctx)
        if reason:
            raise Refusal(reason)
        request = self.build([credential], ctx)
        info = ctx.client.describe(request)
        probe = self.probe(credential, ctx)
        notes = self.notes
        if probe is not None:
            notes = (*notes, f"--validate checks first with {probe.method} {ctx.client.describe(probe).path}")
        return Step(
            action=self.action,
            summary=self.summary,
            request=info,
            header_names=tuple(sorted(request.headers)),
            body=_mask(request.body, credential.secret),
            reversible=self.reversible,
            success=self.success,
            notes=notes,
            console=str(self.block.get("console") or self.console),
        )

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        request = self.build(batch, ctx)
        result = self._send_mutation(request, batch, ctx)
        return [result for _ in batch]

    def _send_mutation(self, request: HttpRequest, batch: Sequence[Credential], ctx: Context) -> Result:
        try:
            response = ctx.client.send(request)
        except Refusal as exc:
            return Result(Outcome.SKIPPED, str(exc))
        except RateLimited as exc:
            return Result(Outcome.SKIPPED, f"not sent: {exc}")
        except TransportError as exc:
            if exc.sent:
                return Result(Outcome.UNKNOWN, f"{exc.kind} after sending; {UNKNOWN_ADVICE}", None, exc.request)
            return Result(Outcome.FAILED, f"not sent: {exc.kind}", None, exc.request)
        outcome, detail = _generic(response) or self.judge(response, batch)
        return Result(outcome, detail, response.status, response.request, response.request_id)

    def validate(self, credential: Credential, ctx: Context) -> Check:
        request = self.probe(credential, ctx)
        if request is None:
            return Check(Liveness.NOT_CHECKED, "the issuer offers no read-only check for this token type")
        try:
            response = ctx.client.send(request)
        except Refusal as exc:
            return Check(Liveness.UNKNOWN, str(exc))
        except RateLimited as exc:
            return Check(Liveness.UNKNOWN, f"not checked: {exc}")
        except TransportError as exc:
            return Check(Liveness.UNKNOWN, f"check failed: {exc.kind}", None, exc.request)
        liveness = self.alive(response)
        return Check(liveness, f"HTTP {response.status}", response.status, response.request)


def _generic(response: HttpResponse) -> tuple[Outcome, str] | None:
    """The answers whose meaning does not depend on the issuer."""
    status = response.status
    if 300 <= status < 400:
        return Outcome.UNKNOWN, f"HTTP {status} redirect, not followed; {UNKNOWN_ADVICE}"
    if status == 429:
        return Outcome.UNKNOWN, f"HTTP 429 rate limited; {UNKNOWN_ADVICE}"
    if status >= 500:
        return Outcome.UNKNOWN, f"HTTP {status} server error; {UNKNOWN_ADVICE}"
    return None


def _mask(body: bytes, secret: str) -> str:
    text = body.decode("utf-8", "replace")
    masked = redact(secret)
    for form in (secret, _form_quoted(secret)):
        text = text.replace(form, masked)
    return text


def _form_quoted(secret: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(secret)


def bearer(credential: Credential) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential.secret}"}


def info_or_none(ctx: Context, request: HttpRequest) -> RequestInfo | None:
    try:
        return ctx.client.describe(request)
    except Refusal:
        return None
