"""GitHub: the credential revocation API, for tokens the caller does not own.

``POST https://api.github.com/credentials/revoke`` with ``{"credentials": [...]}``
(up to 1000 per request), sent **unauthenticated** -- "any authenticated
requests will return a 403".  Limited to 60 requests an hour, so credentials
are batched.  202 Accepted means GitHub took the list; it does not say whether
a token was valid.  Accepted types: ``ghp_``, ``github_pat_``, ``gho_``,
``ghu_``, ``ghr_``.  Doc: https://docs.github.com/en/rest/credentials/revoke

An installation token (``ghs_``) is not accepted there; it revokes itself with
``DELETE /installation/token`` authenticated by the token (204).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from keyscan.revoke.hooks.base import Context, HttpHook, bearer
from keyscan.revoke.http import HttpRequest, HttpResponse, json_body
from keyscan.revoke.model import Credential, Outcome, Result, Step

API_VERSION = "2022-11-28"
REVOCABLE = ("ghp_", "github_pat_", "gho_", "ghu_", "ghr_")
INSTALLATION = "ghs_"
BATCH_LIMIT = 1000


def _headers() -> dict[str, str]:
    return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION,
            "Content-Type": "application/json"}


class GitHubHook(HttpHook):
    name = "github"
    issuer = "GitHub"
    batch_limit = BATCH_LIMIT
    console = "https://github.com/settings/tokens"
    reversible = False

    def refuse(self, credential: Credential, ctx: Context) -> str | None:
        if credential.secret.startswith((*REVOCABLE, INSTALLATION)):
            return None
        return "not a GitHub token type the revocation API accepts (ghp_, github_pat_, gho_, ghu_, ghr_, ghs_)"

    def plan(self, credential: Credential, ctx: Context) -> Step:
        step = super().plan(credential, ctx)
        if credential.secret.startswith(INSTALLATION):
            summary = "revoke the GitHub App installation token with itself (DELETE /installation/token)"
            success = "HTTP 204 No Content"
            notes = step.notes
        else:
            summary = ("submit the token to GitHub's credential revocation API, unauthenticated; GitHub "
                       "revokes it and notifies the owner")
            success = "HTTP 202 Accepted (GitHub does not say whether the token was valid)"
            notes = (*step.notes, f"sent in batches of up to {BATCH_LIMIT} tokens (60 requests per hour); "
                                  "no Authorization header is sent")
        return dataclasses.replace(step, summary=summary, success=success, notes=notes)

    def build(self, batch: Sequence[Credential], ctx: Context) -> HttpRequest:
        if len(batch) == 1 and batch[0].secret.startswith(INSTALLATION):
            return HttpRequest("github", "DELETE", "/installation/token",
                               {**_headers(), **bearer(batch[0])}, shown_path="/installation/token")
        if any(c.secret.startswith(INSTALLATION) for c in batch):
            raise ValueError("installation tokens are revoked one at a time")
        body = json_body({"credentials": [c.secret for c in batch]})
        return HttpRequest("github", "POST", "/credentials/revoke", _headers(), body,
                           shown_path="/credentials/revoke", bucket="github-revoke")

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        results: dict[int, Result] = {}
        listed = [c for c in batch if not c.secret.startswith(INSTALLATION)]
        for start in range(0, len(listed), BATCH_LIMIT):
            chunk = listed[start:start + BATCH_LIMIT]
            result = self._send_mutation(self.build(chunk, ctx), chunk, ctx)
            results.update({id(c): result for c in chunk})
        for credential in batch:
            if credential.secret.startswith(INSTALLATION):
                results[id(credential)] = self._send_mutation(self.build([credential], ctx), [credential], ctx)
        return [results[id(c)] for c in batch]

    def judge(self, response: HttpResponse, batch: Sequence[Credential]) -> tuple[Outcome, str]:
        status = response.status
        if status == 202:
            return Outcome.SUCCEEDED, "accepted by GitHub (it does not confirm the token was valid)"
        if status == 204:
            return Outcome.SUCCEEDED, "installation token revoked"
        if status == 422:
            return Outcome.FAILED, "HTTP 422: validation failed, or the endpoint has been spammed"
        if status == 403:
            return Outcome.FAILED, "HTTP 403: refused (the revocation API rejects authenticated requests)"
        if status == 401:
            return Outcome.FAILED, "HTTP 401: the token is not valid (already revoked or expired)"
        return Outcome.FAILED, f"unexpected HTTP {status}"

    def probe(self, credential: Credential, ctx: Context) -> HttpRequest | None:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION,
                   **bearer(credential)}
        if credential.secret.startswith(INSTALLATION):
            return HttpRequest("github", "GET", "/installation/repositories?per_page=1", headers,
                               shown_path="/installation/repositories?per_page=1")
        if credential.secret.startswith("ghr_"):
            return None  # a refresh token cannot call the API
        return HttpRequest("github", "GET", "/user", headers, shown_path="/user")
