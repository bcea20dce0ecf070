"""HashiCorp Vault: a token revokes itself (and its children).

``POST {address}/v1/auth/token/revoke-self`` with ``X-Vault-Token``; 204 on
success.  The address comes only from ``vault.address`` in the operator's
revoke config -- never from the scanned repository, which could plant a
``VAULT_ADDR`` pointing elsewhere.  ``GET /v1/auth/token/lookup-self`` is the
read-only check.  Doc: https://developer.hashicorp.com/vault/api-docs/auth/token
"""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.revoke.hooks.base import Context, HttpHook
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Outcome

PATH = "/v1/auth/token/revoke-self"
LOOKUP = "/v1/auth/token/lookup-self"


class VaultHook(HttpHook):
    name = "vault"
    issuer = "HashiCorp Vault"
    summary = "the token revokes itself with Vault's revoke-self endpoint"
    success = "HTTP 204 No Content"
    notes = ("also revokes the token's child tokens and the leases it created",
             "the Vault address comes only from vault.address in the revoke config")

    def _headers(self, credential: Credential, ctx: Context) -> dict[str, str]:
        headers = {"X-Vault-Token": credential.secret}
        if ctx.config.vault_namespace:
            headers["X-Vault-Namespace"] = ctx.config.vault_namespace
        return headers

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        return HttpRequest("vault", "POST", PATH, self._headers(credential, ctx), shown_path=PATH)

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        if response.status in (200, 204):
            return Outcome.SUCCEEDED, "token revoked"
        if response.status == 403:
            return Outcome.FAILED, "HTTP 403: permission denied (token invalid, expired or already revoked)"
        return Outcome.FAILED, f"unexpected HTTP {response.status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("vault", "GET", LOOKUP, self._headers(credential, ctx), shown_path=LOOKUP)
