"""Test rules and a context wired to stand-ins, so each test runs the real flow without the internet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keyscan.revoke.endpoints import Endpoints
from keyscan.revoke.flow import FlowOptions, run_flow
from keyscan.revoke.hooks import Context
from keyscan.revoke.http import SafeClient
from keyscan.revoke.ratelimit import RateLimiter
from keyscan.revoke.report_input import credentials_from_records
from keyscan.revoke.settings import RevokeConfig
from keyscan.rules.loader import load_rule_file
from keyscan.rules.model import RuleSet
from tests.standins import tokens

# id, provider, keyword, regex, checksum, revoke block, token factory
RULES: list[tuple[str, str, str, str, str | None, str, Any]] = [
    ("test-github", "github", "gh", r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9_])",
     "crc32-base62", "{hook: github}", tokens.github),
    ("test-gitlab", "gitlab", "glpat-", r"(?<![A-Za-z0-9_])(glpat-[A-Za-z0-9_-]{20})(?![A-Za-z0-9_.-])", None,
     "{hook: gitlab}", tokens.gitlab),
    ("test-slack", "slack", "xoxb-", r"(?<![A-Za-z0-9_.-])(xoxb-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{24,34})"
     r"(?![A-Za-z0-9_-])", None, "{hook: slack}", tokens.slack_bot),
    ("test-buildkite", "buildkite", "bkua_", r"(?<![A-Za-z0-9_])(bkua_[a-z0-9]{40})(?![A-Za-z0-9_])", None,
     "{hook: buildkite}", tokens.buildkite),
    ("test-digitalocean", "digitalocean", "dop_v1_", r"(?<![A-Za-z0-9_])(dop_v1_[a-f0-9]{64})(?![A-Za-z0-9_])",
     None, "{hook: digitalocean}", tokens.digitalocean),
    ("test-vault", "vault", "hvs.", r"(?<![A-Za-z0-9_.])(hvs\.[A-Za-z0-9_-]{90,120})(?![A-Za-z0-9_-])", None,
     "{hook: vault}", tokens.vault),
    ("test-npm", "npm", "npm_", r"(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_])", "crc32-base62",
     "{hook: npm}", tokens.npm),
    ("test-aws", "aws", "akia", r"(?<![A-Za-z0-9])(AKIA[A-Z2-7]{16})(?![A-Za-z0-9])", None, "{hook: aws}",
     tokens.aws_key_id),
    ("test-manual", "stripe", "sk_live_", r"(sk_live_[A-Za-z0-9]{24,})", None,
     '{hook: manual, console: "https://dashboard.stripe.com/apikeys"}',
     lambda: "sk_live_" + tokens._random(tokens.ALNUM, 24)),
    ("test-command", "internal", "corp_", r"(corp_[a-f0-9]{32})", None, "{hook: command, name: rotate}",
     lambda: "corp_" + tokens._random("0123456789abcdef", 32)),
]


def rules_yaml() -> str:
    lines = ["schema: keyscan/rules/v1", "rules:"]
    for rule_id, provider, keyword, regex, checksum, revoke, make in RULES:
        lines += [
            f"  - id: {rule_id}",
            f"    name: {rule_id}",
            f"    provider: {provider}",
            "    severity: high",
            "    confidence: high",
            f"    keywords: [{json.dumps(keyword)}]",
            f"    regex: {json.dumps(regex)}",
            *([f"    checksum: {checksum}"] if checksum else []),
            "    references: [https://example.com/docs]",
            "    help: '**What it is.** A test token. **How to rotate.** Roll it in the test console.'",
            f"    revoke: {revoke}",
            "    examples:",
            f"      positive: [{json.dumps('t=' + make())}, {json.dumps('t=' + make())}]",
            "      negative: ['nothing here', 'still nothing']",
        ]
    return "\n".join(lines) + "\n"


def write_rules(directory: Path) -> Path:
    path = directory / "test-rules.yaml"
    path.write_text(rules_yaml(), encoding="utf-8")
    return path


def load_rules(directory: Path) -> RuleSet:
    return RuleSet(load_rule_file(write_rules(directory)))


def context(environ: dict[str, str], config: RevokeConfig | None = None, timeout: float = 3.0,
            sleeps: list[float] | None = None, aws_delete: bool = False, allow: bool = True) -> Context:
    config = config or RevokeConfig()
    endpoints = Endpoints(config, allow_test_endpoints=allow, environ=environ)
    limiter = RateLimiter(sleep=(sleeps.append if sleeps is not None else (lambda _s: None)))
    return Context(config, SafeClient(endpoints, limiter, timeout), aws_delete=aws_delete, timeout=timeout)


def findings(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Report records for (rule id, secret) pairs, as ``--show-secrets`` writes them."""
    return [{"rule_id": rule_id, "secret": secret, "redacted": False, "path": f"src/{i}.env", "line": i + 1,
             "fingerprint": f"ks1:{i:024d}"} for i, (rule_id, secret) in enumerate(pairs)]


def execute(records: list[dict[str, Any]], rules: RuleSet, ctx: Context, audit: Path,
            lines: list[str] | None = None, **options: Any) -> int:
    credentials = credentials_from_records(records, "test")
    flow = FlowOptions(execute=options.pop("execute", True), assume_yes=True, audit_log=audit, **options)
    sink = lines if lines is not None else []
    return run_flow(credentials, rules, flow, sink.append, ctx=ctx)


def audit_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
