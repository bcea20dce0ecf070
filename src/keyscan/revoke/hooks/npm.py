"""npm: end the token's session at the registry, as ``npm logout`` does.

``DELETE https://registry.npmjs.org/-/user/token/<token>`` with
``Authorization: Bearer <token>`` -- the request the npm CLI sends for
``npm logout``, documented to "invalidate the token everywhere you're using
it".  The token sits in the path, so the path is masked in the plan and the
audit log.  ``GET /-/whoami`` is the read-only check.  npm notes a revocation
may take up to an hour to apply.
Docs: https://docs.npmjs.com/cli/commands/npm-logout , https://docs.npmjs.com/revoking-access-tokens
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from keyscan.redact import redact
from keyscan.revoke.hooks.base import Context, HttpHook, bearer
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Outcome


class NpmHook(HttpHook):
    name = "npm"
    issuer = "npm"
    console = "https://www.npmjs.com/settings/~/tokens"
    summary = "end the token's session at the npm registry (what `npm logout` does), authenticated by the token"
    success = "HTTP 200 or 204"
    notes = ("npm warns a revocation can take up to an hour to apply",
             "accounts that require a one-time password must revoke in the web console")

    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        if not credential.secret.startswith("npm_"):
            return "only npm access tokens (npm_) are supported"
        return None

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        path = "/-/user/token/" + quote(credential.secret, safe="")
        return HttpRequest("npm", "DELETE", path, bearer(credential),
                           shown_path="/-/user/token/" + redact(credential.secret))

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        if response.status in (200, 204):
            return Outcome.SUCCEEDED, "token session ended at the registry"
        if response.status == 401:
            if "otp" in response.headers.get("www-authenticate", "").lower():
                return Outcome.FAILED, "HTTP 401: the account requires a one-time password; revoke in the console"
            return Outcome.FAILED, "HTTP 401: the token is not valid (already revoked?)"
        return Outcome.FAILED, f"unexpected HTTP {response.status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("npm", "GET", "/-/whoami", bearer(credential), shown_path="/-/whoami")
