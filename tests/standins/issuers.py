"""Each issuer's documented revocation contract, implemented as a stand-in handler.

They answer as the issuer documents it (status codes, bodies) and enforce the
documented request shape -- GitHub's revocation API refuses an authenticated
request with 403, Slack answers HTTP 200 with ``ok: false`` for a bad token,
and so on -- so a client that sends the wrong thing fails here too.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qs, unquote

from tests.standins import Recorded, Reply

XML_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _json(status: int, data: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})


class TokenIssuer:
    """Shared state: which tokens exist and are still live."""

    def __init__(self, *live: str) -> None:
        self.live = set(live)
        self.revoked: list[str] = []

    def kill(self, token: str) -> bool:
        if token in self.live:
            self.live.discard(token)
            self.revoked.append(token)
            return True
        return False


class GitHub(TokenIssuer):
    """POST /credentials/revoke (unauthenticated, <= 1000 tokens, 202); GET /user; DELETE /installation/token."""

    def __call__(self, req: Recorded) -> Reply:
        if req.method == "POST" and req.path == "/credentials/revoke":
            if "authorization" in req.headers:
                return _json(403, {"message": "Must not be authenticated"})
            try:
                credentials = json.loads(req.body)["credentials"]
            except (ValueError, KeyError, TypeError):
                return _json(422, {"message": "Validation Failed"})
            if not isinstance(credentials, list) or not 0 < len(credentials) <= 1000:
                return _json(422, {"message": "Validation Failed"})
            for token in credentials:
                self.kill(token)
            return _json(202, {})
        if req.method == "GET" and req.path == "/user":
            return _json(200, {"login": "octocat"}) if req.bearer() in self.live else _json(401, {})
        if req.method == "DELETE" and req.path == "/installation/token":
            return Reply(204) if self.kill(req.bearer()) else _json(401, {"message": "Bad credentials"})
        return _json(404, {"message": "Not Found"})


class GitLab(TokenIssuer):
    """DELETE/GET /api/v4/personal_access_tokens/self with PRIVATE-TOKEN."""

    def __call__(self, req: Recorded) -> Reply:
        token = req.headers.get("private-token", "")
        if not req.path.endswith("/api/v4/personal_access_tokens/self"):
            return _json(404, {"message": "404 Not Found"})
        if token not in self.live:
            return _json(401, {"message": "401 Unauthorized"})
        if req.method == "DELETE":
            self.kill(token)
            return Reply(204)
        if req.method == "GET":
            return _json(200, {"id": 1, "name": "ci", "revoked": False, "active": True, "scopes": ["api"]})
        return _json(405, {})


class Slack(TokenIssuer):
    """POST /api/auth.revoke and /api/auth.test: always HTTP 200, the answer is in the JSON."""

    def __call__(self, req: Recorded) -> Reply:
        token = req.bearer()
        if req.method != "POST" or req.path not in ("/api/auth.revoke", "/api/auth.test"):
            return _json(404, {"ok": False, "error": "unknown_method"})
        if not token:
            return _json(200, {"ok": False, "error": "not_authed"})
        if token not in self.live:
            return _json(200, {"ok": False, "error": "invalid_auth"})
        if req.path == "/api/auth.test":
            return _json(200, {"ok": True, "team": "T", "user": "U"})
        if parse_qs(req.body.decode()).get("test") == ["1"]:
            return _json(200, {"ok": True, "revoked": False})
        self.kill(token)
        return _json(200, {"ok": True, "revoked": True})


class Buildkite(TokenIssuer):
    """GET/DELETE /v2/access-token with a Bearer token."""

    def __call__(self, req: Recorded) -> Reply:
        if req.path != "/v2/access-token":
            return _json(404, {})
        token = req.bearer()
        if token not in self.live:
            return _json(401, {"message": "Authentication required."})
        if req.method == "DELETE":
            self.kill(token)
            return Reply(204)
        return _json(200, {"scopes": ["read_builds"], "uuid": "b63254c0-3271-4a98-8270-7cfbd6c2f14e"})


class DigitalOcean(TokenIssuer):
    """POST /v1/oauth/revoke (form token=, Bearer) on the cloud host; GET /v2/account on the API host."""

    def __call__(self, req: Recorded) -> Reply:
        token = req.bearer()
        if req.method == "POST" and req.path == "/v1/oauth/revoke":
            form = parse_qs(req.body.decode())
            if form.get("token") != [token] or token not in self.live:
                return _json(401, {"error": "invalid_token"})
            self.kill(token)
            return _json(200, {})
        if req.method == "GET" and req.path == "/v2/account":
            return _json(200, {"account": {"status": "active"}}) if token in self.live else _json(401, {})
        return _json(404, {})


class Vault(TokenIssuer):
    """POST /v1/auth/token/revoke-self (204), GET /v1/auth/token/lookup-self; X-Vault-Token; 403 if invalid."""

    def __call__(self, req: Recorded) -> Reply:
        token = req.headers.get("x-vault-token", "")
        if token not in self.live:
            return _json(403, {"errors": ["permission denied"]})
        if req.method == "POST" and req.path == "/v1/auth/token/revoke-self":
            self.kill(token)
            return Reply(204)
        if req.method == "GET" and req.path == "/v1/auth/token/lookup-self":
            return _json(200, {"data": {"ttl": 3600, "policies": ["default"]}})
        return _json(404, {"errors": []})


class Npm(TokenIssuer):
    """DELETE /-/user/token/<token> (Bearer, same token) ends the session; GET /-/whoami."""

    def __call__(self, req: Recorded) -> Reply:
        token = req.bearer()
        if req.method == "DELETE" and req.path.startswith("/-/user/token/"):
            target = unquote(req.path[len("/-/user/token/"):])
            if token not in self.live or target != token:
                return _json(401, {"error": "unauthorized"})
            self.kill(token)
            return _json(200, {"ok": "logged out"})
        if req.method == "GET" and req.path == "/-/whoami":
            return _json(200, {"username": "dev"}) if token in self.live else _json(401, {})
        return _json(404, {})


class Iam:
    """IAM's Query API (form-encoded POST to /), SigV4-signed by the admin key only."""

    def __init__(self, admin_key_id: str, keys: dict[str, tuple[str, str]]) -> None:
        self.admin_key_id = admin_key_id
        self.keys = dict(keys)  # access key id -> (user, status)
        self.actions: list[dict[str, str]] = []

    def __call__(self, req: Recorded) -> Reply:
        auth = req.headers.get("authorization", "")
        if req.method != "POST" or req.path != "/":
            return self._error(404, "NotFound")
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={self.admin_key_id}/"):
            return self._error(403, "InvalidClientTokenId")
        params = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        self.actions.append(params)
        action, key_id = params.get("Action"), params.get("AccessKeyId", "")
        if action == "GetAccessKeyLastUsed":
            if key_id not in self.keys:
                return self._error(404, "NoSuchEntity")
            user = self.keys[key_id][0]
            return self._ok(action, f"<UserName>{user}</UserName><AccessKeyLastUsed><Region>N/A</Region>"
                                    "<ServiceName>N/A</ServiceName></AccessKeyLastUsed>")
        if action == "ListAccessKeys":
            members = "".join(
                f"<member><UserName>{u}</UserName><AccessKeyId>{k}</AccessKeyId><Status>{s}</Status>"
                "<CreateDate>2024-01-01T00:00:00Z</CreateDate></member>"
                for k, (u, s) in self.keys.items() if u == params.get("UserName"))
            return self._ok(action, f"<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>")
        if action in ("UpdateAccessKey", "DeleteAccessKey"):
            if key_id not in self.keys or self.keys[key_id][0] != params.get("UserName"):
                return self._error(404, "NoSuchEntity")
            if action == "DeleteAccessKey":
                del self.keys[key_id]
            else:
                self.keys[key_id] = (self.keys[key_id][0], params["Status"])
            return self._ok(action, None)
        return self._error(400, "InvalidAction")

    def _ok(self, action: str, result: str | None) -> Reply:
        inner = f"<{action}Result>{result}</{action}Result>" if result is not None else ""
        body = (f'<{action}Response xmlns="{XML_NS}">{inner}<ResponseMetadata><RequestId>'
                f"{secrets.token_hex(8)}</RequestId></ResponseMetadata></{action}Response>")
        return Reply(200, body.encode(), {"Content-Type": "text/xml"})

    def _error(self, status: int, code: str) -> Reply:
        body = (f'<ErrorResponse xmlns="{XML_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{code}</Message></Error><RequestId>{secrets.token_hex(8)}</RequestId></ErrorResponse>")
        return Reply(status, body.encode(), {"Content-Type": "text/xml"})
