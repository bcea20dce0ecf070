"""Buildkite: an API access token revokes itself.

``DELETE https://api.buildkite.com/v2/access-token`` with ``Authorization: Bearer``;
204 No Content on success.  ``GET`` on the same path is the read-only check.
Doc: https://buildkite.com/docs/apis/rest-api/access-token
"""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.revoke.hooks.base import Context, HttpHook, bearer
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Outcome

PATH = "/v2/access-token"


class BuildkiteHook(HttpHook):
    name = "buildkite"
    issuer = "Buildkite"
    console = "https://buildkite.com/user/api-access-tokens"
    summary = "the token revokes itself through Buildkite's access token API"
    success = "HTTP 204 No Content"

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        return HttpRequest("buildkite", "DELETE", PATH, bearer(credential), shown_path=PATH)

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        if response.status == 204:
            return Outcome.SUCCEEDED, "token revoked"
        if response.status == 401:
            return Outcome.FAILED, "HTTP 401: the token is not valid (already revoked?)"
        return Outcome.FAILED, f"unexpected HTTP {response.status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("buildkite", "GET", PATH, bearer(credential), shown_path=PATH)
