"""GitLab: a personal (or project/group) access token revokes itself.

``DELETE {base}/api/v4/personal_access_tokens/self`` with the token in the
``PRIVATE-TOKEN`` header; 204 No Content on success (GitLab 15.0+, added "to
quickly revoke PATs in case of a leak").  The base is https://gitlab.com or,
for a self-managed instance, ``gitlab.url`` from the operator's revoke config.
``GET .../personal_access_tokens/self`` is the read-only check.
Doc: https://docs.gitlab.com/api/personal_access_tokens/
"""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.revoke.hooks.base import Context, HttpHook
from keyscan.revoke.http import HttpRequest, HttpResponse
from keyscan.revoke.model import Credential, Liveness, Outcome

PATH = "/api/v4/personal_access_tokens/self"


class GitLabHook(HttpHook):
    name = "gitlab"
    issuer = "GitLab"
    console = "https://gitlab.com/-/user_settings/personal_access_tokens"
    summary = "the token revokes itself through GitLab's personal access token API"
    success = "HTTP 204 No Content"
    notes = ("self-managed GitLab: the base URL comes only from gitlab.url in the revoke config",)

    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        if not credential.secret.startswith("glpat-"):
            return "only personal, project and group access tokens (glpat-) can revoke themselves"
        return None

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        (credential,) = batch
        return HttpRequest("gitlab", "DELETE", PATH, {"PRIVATE-TOKEN": credential.secret}, shown_path=PATH)

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        if response.status == 204:
            return Outcome.SUCCEEDED, "token revoked"
        if response.status == 401:
            return Outcome.FAILED, "HTTP 401: the token is not valid (already revoked, expired or wrong instance)"
        if response.status == 403:
            return Outcome.FAILED, "HTTP 403: the token may not revoke itself here"
        return Outcome.FAILED, f"unexpected HTTP {response.status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        return HttpRequest("gitlab", "GET", PATH, {"PRIVATE-TOKEN": credential.secret}, shown_path=PATH)

    def alive(self, response: HttpResponse) -> Liveness:
        if response.status == 200:
            data = response.json()
            if isinstance(data, dict) and (data.get("revoked") is True or data.get("active") is False):
                return Liveness.DEAD
            return Liveness.LIVE
        return super().alive(response)
