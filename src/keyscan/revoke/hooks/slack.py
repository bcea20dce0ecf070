"""Slack: ``auth.revoke`` with the token itself.

``POST https://slack.com/api/auth.revoke`` with ``Authorization: Bearer``.  Slack
answers HTTP 200 for errors too, so success is judged by the JSON body:
``{"ok": true, "revoked": true}``.  ``ok: false`` carries an ``error`` such as
``invalid_auth`` or ``token_revoked``.  ``auth.test`` is the read-only check.
Rate limit: Tier 3 (50+ per minute).
Doc: https://docs.slack.dev/reference/methods/auth.revoke
"""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.revoke.hooks.base import UNKNOWN_ADVICE, Context, HttpHook, bearer
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Liveness, Outcome

DEAD_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "token_expired", "not_authed"})
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "ratelimited", "service_unavailable",
                              "request_timeout"})
BEARER_PREFIXES = ("xoxb-", "xoxp-", "xoxa-", "xoxe.xoxb-", "xoxe.xoxp-", "xoxe.xoxa-")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class SlackHook(HttpHook):
    name = "slack"
    issuer = "Slack"
    console = "https://api.slack.com/apps"
    summary = "the token revokes itself with Slack's auth.revoke method"
    success = 'HTTP 200 with JSON {"ok": true, "revoked": true} (the status is 200 for errors too)'
    notes = ("revoking a bot token deactivates the bot user but does not uninstall the app",)

    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        secret = credential.secret
        if secret.startswith(BEARER_PREFIXES):
            return None
        if secret.startswith("xapp-"):
            return "app-level tokens are revoked in the app's settings (Basic Information > App-Level Tokens)"
        if secret.startswith(("xoxe-", "xoxr-")):
            return "a refresh token cannot call auth.revoke; revoke the app's tokens in its settings"
        if secret.startswith(("xoxc-", "xoxs-", "xoxd-")):
            return "a browser session token needs its cookie; sign the user out of all sessions instead"
        return "auth.revoke takes Slack bearer tokens (xoxb-, xoxp-, xoxa-, xoxe.xox...)"

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        return HttpRequest("slack", "POST", "/api/auth.revoke", {**bearer(credential), **FORM}, b"",
                           shown_path="/api/auth.revoke")

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict):
            return Outcome.UNKNOWN, f"HTTP {response.status} without a Slack JSON answer; {UNKNOWN_ADVICE}"
        if data.get("ok") is True:
            if data.get("revoked") is True:
                return Outcome.SUCCEEDED, "Slack reports the token revoked"
            return Outcome.FAILED, "Slack answered ok but did not revoke the token"
        error = str(data.get("error", "unknown_error"))[:60]
        if error in TRANSIENT_ERRORS:
            return Outcome.UNKNOWN, f"Slack error {error}; {UNKNOWN_ADVICE}"
        if error in DEAD_ERRORS:
            return Outcome.FAILED, f"Slack error {error}: the token is not valid (already revoked?)"
        return Outcome.FAILED, f"Slack error {error}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("slack", "POST", "/api/auth.test", {**bearer(credential), **FORM}, b"",
                           shown_path="/api/auth.test")

    def alive(self, response: HttpResponse) -> Liveness:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict):
            return Liveness.UNKNOWN
        if data.get("ok") is True:
            return Liveness.LIVE
        return Liveness.DEAD if data.get("error") in DEAD_ERRORS else Liveness.UNKNOWN
