"""Built-in revocation hooks, one module per issuer, registered in ``BUILTIN``."""

from __future__ import annotations

from keyscan.revoke.hooks.aws import AwsHook
from keyscan.revoke.hooks.base import Context, Hook, HttpHook
from keyscan.revoke.hooks.buildkite import BuildkiteHook
from keyscan.revoke.hooks.command import CommandHook
from keyscan.revoke.hooks.digitalocean import DigitalOceanHook
from keyscan.revoke.hooks.github import GitHubHook
from keyscan.revoke.hooks.gitlab import GitLabHook
from keyscan.revoke.hooks.manual import ManualHook
from keyscan.revoke.hooks.npm import NpmHook
from keyscan.revoke.hooks.slack import SlackHook
from keyscan.revoke.hooks.vault import VaultHook

BUILTIN: dict[str, type[Hook]] = {
    "aws": AwsHook,
    "buildkite": BuildkiteHook,
    "command": CommandHook,
    "digitalocean": DigitalOceanHook,
    "github": GitHubHook,
    "gitlab": GitLabHook,
    "manual": ManualHook,
    "npm": NpmHook,
    "slack": SlackHook,
    "vault": VaultHook,
}

__all__ = ["BUILTIN", "Context", "Hook", "HttpHook"]
