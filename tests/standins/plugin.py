"""A plugin hook as an organisation would ship it (entry point group ``keyscan.revokers``)."""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.revoke.hooks import Context, Hook
from keyscan.revoke.model import Credential, Outcome, Result, Step

CALLS: list[str] = []


class RecordingHook(Hook):
    name = "corp-rotator"
    issuer = "Corp rotation service"

    def plan(self, credential: Credential, ctx: Context) -> Step:
        return Step(action="revoke", summary="hand the credential to the corporate rotation service")

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        CALLS.extend(c.fingerprint for c in batch)
        return [Result(Outcome.SUCCEEDED, "rotated") for _ in batch]
