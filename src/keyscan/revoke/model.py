"""The values that flow through a revocation: credentials in, steps planned, results out.

A ``Credential`` carries the secret (kept out of ``repr``); everything else
here is safe to print and to write to the audit log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from keyscan.redact import redact


class Outcome(str, enum.Enum):
    """What happened to one credential; the audit log's ``outcome`` field."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"
    MANUAL = "manual"


class Liveness(str, enum.Enum):
    """What a read-only check said about a credential before or after revoking it."""

    LIVE = "live"
    DEAD = "dead"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class Location:
    """Where the secret was found; shown to the operator and written to the audit log."""

    path: str
    line: int = 0
    commit: str = ""

    def label(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} (commit {self.commit[:12]})" if self.commit else where

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"path": self.path, "line": self.line}
        if self.commit:
            data["commit"] = self.commit
        return data


@dataclass(frozen=True)
class Credential:
    """One distinct secret from a report, with every rule that matched it and every place it was seen."""

    secret: str = field(repr=False)
    rule_ids: tuple[str, ...]
    fingerprint: str
    locations: tuple[Location, ...] = ()

    @property
    def hint(self) -> str:
        """A masked form that identifies the token to a person without revealing it."""
        return redact(self.secret)


@dataclass(frozen=True)
class RequestInfo:
    """Method, host and path of a request, with any secret in the path already masked."""

    method: str
    host: str
    path: str
    scheme: str = "https"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.path}" if self.scheme else f"{self.host} {self.path}"

    def to_dict(self) -> dict[str, str]:
        return {"method": self.method, "host": self.host, "path": self.path}


@dataclass(frozen=True)
class Step:
    """What a hook will do for one credential, described before anything is sent."""

    action: str  # revoke | deactivate | delete | command | manual
    summary: str
    request: RequestInfo | None = None
    header_names: tuple[str, ...] = ()
    body: str = ""  # with the secret masked
    reversible: bool = False
    success: str = ""
    notes: tuple[str, ...] = ()
    manual_steps: tuple[str, ...] = ()
    console: str = ""
    lookups: tuple[str, ...] = ()  # read-only requests made first (e.g. find the key's owner)

    @property
    def mutation(self) -> bool:
        return self.action != "manual"


@dataclass(frozen=True)
class Result:
    """The outcome of one request (or command) for one credential."""

    outcome: Outcome
    detail: str
    status: int | None = None
    request: RequestInfo | None = None
    request_id: str = ""


@dataclass(frozen=True)
class Check:
    """The answer of a read-only validation request."""

    liveness: Liveness
    detail: str = ""
    status: int | None = None
    request: RequestInfo | None = None


class Refusal(Exception):
    """A hook declines a credential before any request (wrong token type, missing config...).

    The message is shown to the operator and audited, so it must never contain the secret.
    """
