"""Where a secret may be sent: a fixed allowlist of issuer hosts, nothing else.

Three sources, in this order of trust:

* the issuer's official HTTPS base URL, hard-coded here;
* a self-managed base URL (GitLab, Vault) from the operator's revoke config --
  HTTPS only, never loopback, and never from scanned content;
* a test-only override ``KEYSCAN_ENDPOINT_<NAME>`` honoured only with
  ``--allow-test-endpoints``, and then only for a loopback address.  This is the
  one way plain HTTP is allowed, so a stray environment variable cannot send
  tokens to another machine.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from keyscan.revoke.model import Refusal
from keyscan.revoke.settings import RevokeConfig

OFFICIAL: dict[str, str] = {
    "aws": "https://iam.amazonaws.com",
    "buildkite": "https://api.buildkite.com",
    "digitalocean": "https://cloud.digitalocean.com",
    "digitalocean-api": "https://api.digitalocean.com",
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com",
    "npm": "https://registry.npmjs.org",
    "slack": "https://slack.com",
}
# Endpoints whose base URL the operator may set for a self-managed instance.
CONFIGURABLE = {"gitlab": "gitlab.url", "vault": "vault.address"}


@dataclass(frozen=True)
class Base:
    """A resolved base URL.  ``prefix`` is a path prefix (GitLab served under /gitlab)."""

    scheme: str
    host: str
    port: int
    prefix: str = ""
    source: str = "official"  # official | config | test

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.netloc}{self.prefix}{path}"


def env_name(key: str) -> str:
    return "KEYSCAN_ENDPOINT_" + key.upper().replace("-", "_")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(url: str, what: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refusal(f"{what} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refusal(f"{what} must be an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise Refusal(f"{what} must not carry credentials, a query or a fragment")
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default, parts.path.rstrip("/")


def parse_config_base(url: str, label: str) -> Base:
    """A self-managed base URL from the operator's config: HTTPS, and not this machine."""
    scheme, host, port, prefix = _split(url, f"{label} ({url!r})")
    if scheme != "https":
        raise Refusal(f"{label} must use https")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if is_loopback(host) or (address is not None and (address.is_unspecified or address.is_link_local)):
        raise Refusal(f"{label} must not point at this machine or a link-local address")
    return Base(scheme, host, port, prefix, "config")


class Endpoints:
    """Resolves an endpoint key (``github``, ``vault``...) to the only base a request may use."""

    def __init__(self, config: RevokeConfig, allow_test_endpoints: bool = False,
                 environ: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.allow_test = allow_test_endpoints
        self.environ = os.environ if environ is None else environ
        self.official = {**OFFICIAL, **(extra or {})}
        self._warned: set[str] = set()

    def add(self, key: str, url: str) -> None:
        """Allowlist a plugin's official HTTPS base URL; built-in names cannot be redefined."""
        if key in OFFICIAL or key in CONFIGURABLE:
            raise Refusal(f"a plugin cannot redefine the built-in endpoint {key!r}")
        scheme, host, _, _ = _split(url, f"plugin endpoint {key!r}")
        if scheme != "https" or is_loopback(host):
            raise Refusal(f"plugin endpoint {key!r} must be an https URL on another host")
        self.official[key] = url

    def resolve(self, key: str) -> Base:
        override = self.environ.get(env_name(key))
        if override:
            if self.allow_test:
                return self._test_base(key, override)
            if key not in self._warned:
                self._warned.add(key)
                print(f"keyscan: {env_name(key)} is ignored without --allow-test-endpoints", file=sys.stderr)
        configured = self._configured(key)
        if configured:
            return parse_config_base(configured, CONFIGURABLE[key])
        if key in self.official:
            scheme, host, port, prefix = _split(self.official[key], key)
            return Base(scheme, host, port, prefix, "official")
        if key in CONFIGURABLE:
            raise Refusal(f"no address configured: set {CONFIGURABLE[key]} in the revoke config "
                          "(it is never taken from scanned content)")
        raise Refusal(f"no allowlisted endpoint named {key!r}")

    def _configured(self, key: str) -> str:
        if key == "gitlab":
            return self.config.gitlab_url
        if key == "vault":
            return self.config.vault_address
        return ""

    def _test_base(self, key: str, url: str) -> Base:
        scheme, host, port, prefix = _split(url, env_name(key))
        if not is_loopback(host):
            raise Refusal(f"{env_name(key)} must point at a loopback address (127.0.0.1 or ::1)")
        return Base(scheme, host, port, prefix, "test")
