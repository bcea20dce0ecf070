"""DigitalOcean: the OAuth revoke endpoint, authenticated by the token being revoked.

``POST https://cloud.digitalocean.com/v1/oauth/revoke`` with ``Authorization:
Bearer <token>`` and the form body ``token=<token>``; 200 on success.  The
read-only check is ``GET https://api.digitalocean.com/v2/account``.
Doc: https://docs.digitalocean.com/reference/api/oauth/ ("/revoke: Revoke an access token").
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from keyscan.revoke.hooks.base import Context, HttpHook, bearer
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Outcome

PATH = "/v1/oauth/revoke"


class DigitalOceanHook(HttpHook):
    name = "digitalocean"
    issuer = "DigitalOcean"
    console = "https://cloud.digitalocean.com/account/api/tokens"
    summary = "revoke the token at DigitalOcean's OAuth revoke endpoint, authenticated by the token itself"
    success = "HTTP 200"
    notes = ("DigitalOcean documents this for OAuth tokens; use --validate to confirm a personal access "
             "token is gone afterwards",)

    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        if credential.secret.startswith("dor_"):
            return "a refresh token cannot authenticate the revoke call; remove the app's access in the console"
        return None

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        body = urlencode({"token": credential.secret}).encode()
        headers = {**bearer(credential), "Content-Type": "application/x-www-form-urlencoded"}
        return HttpRequest("digitalocean", "POST", PATH, headers, body, shown_path=PATH)

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        if response.status == 200:
            return Outcome.SUCCEEDED, "token revoked"
        if response.status == 401:
            return Outcome.FAILED, "HTTP 401: the token is not valid (already revoked?)"
        return Outcome.FAILED, f"unexpected HTTP {response.status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("digitalocean-api", "GET", "/v2/account", bearer(credential), shown_path="/v2/account")
