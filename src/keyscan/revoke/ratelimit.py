"""Per-issuer request budgets, and the issuer's own rate-limit headers, honoured before sending.

A request that would have to wait longer than ``max_wait`` is not sent at all:
the caller reports it as skipped ("rate limited, retry after N s") instead of
sleeping silently for an hour.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_MAX_WAIT = 60.0


@dataclass(frozen=True)
class Budget:
    """At most ``capacity`` requests per ``period`` seconds (a token bucket)."""

    capacity: int
    period: float


# Documented budgets.  GitHub: 60 unauthenticated requests per hour for /credentials/revoke
# (each carries up to 1000 tokens).  Slack auth.revoke and auth.test: Tier 3, 50+ per minute.
BUDGETS: dict[str, Budget] = {
    "github-revoke": Budget(60, 3600.0),
    "slack": Budget(50, 60.0),
}


class RateLimited(Exception):
    """Sending now would break the issuer's limit; nothing was sent."""

    def __init__(self, bucket: str, wait: float) -> None:
        super().__init__(f"rate limited by {bucket}; retry after about {int(wait) + 1} s")
        self.bucket = bucket
        self.wait = wait


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, wall: Callable[[], float] = time.time,
                 max_wait: float = DEFAULT_MAX_WAIT, budgets: Mapping[str, Budget] | None = None) -> None:
        self.clock = clock
        self.sleep = sleep
        self.wall = wall
        self.max_wait = max_wait
        self.budgets = dict(BUDGETS if budgets is None else budgets)
        self._tokens: dict[str, tuple[float, float]] = {}  # bucket -> (tokens, at)
        self._blocked_until: dict[str, float] = {}

    def acquire(self, bucket: str) -> None:
        """Wait (briefly) for a slot in ``bucket`` or raise ``RateLimited``."""
        now = self.clock()
        wait = max(0.0, self._blocked_until.get(bucket, 0.0) - now)
        budget = self.budgets.get(bucket)
        tokens = 0.0
        if budget is not None:
            tokens = self._refill(bucket, budget, now)
            if tokens < 1.0:
                wait = max(wait, (1.0 - tokens) * budget.period / budget.capacity)
        if wait > self.max_wait:
            raise RateLimited(bucket, wait)
        if wait > 0:
            self.sleep(wait)
            now = self.clock()
            if budget is not None:
                tokens = self._refill(bucket, budget, now)
        if budget is not None:
            self._tokens[bucket] = (max(0.0, tokens - 1.0), now)

    def _refill(self, bucket: str, budget: Budget, now: float) -> float:
        tokens, at = self._tokens.get(bucket, (float(budget.capacity), now))
        return min(float(budget.capacity), tokens + (now - at) * budget.capacity / budget.period)

    def observe(self, bucket: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response: ``Retry-After``, ``X-RateLimit-Remaining``/``-Reset``, or a bare 429."""
        now = self.clock()
        until = 0.0
        retry_after = _retry_after(headers.get("retry-after", ""), self.wall())
        if retry_after is not None:
            until = now + retry_after
        elif headers.get("x-ratelimit-remaining", "").strip() == "0":
            reset = headers.get("x-ratelimit-reset", "").strip()
            if reset.isdigit():
                until = now + max(0.0, float(reset) - self.wall())
        if status == 429 and until <= now:
            until = now + self.max_wait
        if until > self._blocked_until.get(bucket, 0.0):
            self._blocked_until[bucket] = until


def _retry_after(value: str, wall: float) -> float | None:
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - wall)
