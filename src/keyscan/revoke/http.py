"""The only HTTP client that carries a secret: one request, one allowlisted host, no surprises.

Built on ``http.client`` directly, which gives the guarantees the revocation
design needs without configuration that could be forgotten: it never follows
a redirect, never retries, never reads proxy or netrc settings from the
environment, and verifies TLS with the system's trust store.  Errors carry
only an exception class name, so a token cannot leak into a message.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keyscan import __version__
from keyscan.revoke.endpoints import Base, Endpoints
from keyscan.revoke.model import RequestInfo
from keyscan.revoke.ratelimit import RateLimiter

USER_AGENT = f"keyscan/{__version__} (credential revocation)"
MAX_BODY = 1 << 20
REQUEST_ID_HEADERS = ("x-github-request-id", "x-request-id", "x-amzn-requestid", "x-slack-req-id",
                      "x-vault-request-id", "cf-ray")


@dataclass(frozen=True)
class HttpRequest:
    """A request to one allowlisted endpoint.  ``shown_path`` is ``path`` with any secret masked."""

    endpoint: str
    method: str
    path: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: bytes = field(default=b"", repr=False)
    shown_path: str = ""
    bucket: str = ""  # rate-limit bucket; defaults to the endpoint

    def info(self, base: Base) -> RequestInfo:
        return RequestInfo(self.method, base.netloc, base.prefix + (self.shown_path or self.path), base.scheme)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes = field(repr=False)
    request: RequestInfo

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def request_id(self) -> str:
        for name in REQUEST_ID_HEADERS:
            if self.headers.get(name):
                return self.headers[name][:100]
        return ""


class TransportError(Exception):
    """No usable response.  ``sent`` tells whether the request may have reached the issuer."""

    def __init__(self, kind: str, sent: bool, request: RequestInfo) -> None:
        super().__init__(f"{kind} talking to {request.host}")
        self.kind = kind
        self.sent = sent
        self.request = request


def json_body(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


Connector = Callable[[Base, float], http.client.HTTPConnection]


def _connect(base: Base, timeout: float) -> http.client.HTTPConnection:
    if base.scheme == "https":
        return http.client.HTTPSConnection(base.host, base.port, timeout=timeout,
                                           context=ssl.create_default_context())
    if base.source != "test":  # defence in depth: Endpoints only yields http for loopback test overrides
        raise ValueError("plain HTTP is only allowed for test endpoints")
    return http.client.HTTPConnection(base.host, base.port, timeout=timeout)


class SafeClient:
    """Sends ``HttpRequest`` objects; records what it sent (method, host, masked path) for the tests and audit."""

    def __init__(self, endpoints: Endpoints, limiter: RateLimiter | None = None, timeout: float = 10.0,
                 connector: Connector = _connect) -> None:
        self.endpoints = endpoints
        self.limiter = limiter or RateLimiter()
        self.timeout = timeout
        self.connector = connector
        self.sent: list[RequestInfo] = []

    def describe(self, request: HttpRequest) -> RequestInfo:
        return request.info(self.endpoints.resolve(request.endpoint))

    def send(self, request: HttpRequest) -> HttpResponse:
        """Exactly one attempt.  Raises ``Refusal``, ``RateLimited`` (nothing sent) or ``TransportError``."""
        base = self.endpoints.resolve(request.endpoint)
        info = request.info(base)
        if not request.path.startswith("/") or request.path.startswith("//"):
            raise ValueError("request paths are absolute paths on the endpoint's host")
        bucket = request.bucket or request.endpoint
        self.limiter.acquire(bucket)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Connection": "close",
                   **request.headers}
        connection = self.connector(base, self.timeout)
        try:
            try:
                connection.connect()
            except TimeoutError:
                raise TransportError("connection timeout", False, info) from None
            except ssl.SSLError:
                raise TransportError("TLS error", False, info) from None
            except OSError as exc:
                raise TransportError(exc.__class__.__name__, False, info) from None
            self.sent.append(info)
            try:
                connection.request(request.method, base.prefix + request.path, body=request.body or None,
                                   headers=headers)
                response = connection.getresponse()
                body = response.read(MAX_BODY)
            except TimeoutError:
                raise TransportError("timeout", True, info) from None
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(exc.__class__.__name__, True, info) from None
        finally:
            connection.close()
        names = {name.lower(): value for name, value in response.getheaders()}
        self.limiter.observe(bucket, response.status, names)
        return HttpResponse(response.status, names, body, info)
