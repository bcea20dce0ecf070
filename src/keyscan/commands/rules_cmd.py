"""``keyscan rules list|test`` and ``keyscan explain``: the catalog as a user sees it."""

from __future__ import annotations

from pathlib import Path

import click

from keyscan.errors import EXIT_FINDINGS, KeyscanError
from keyscan.rules.examples import check_rule_examples
from keyscan.rules.loader import builtin_rules_dir, load_rules


@click.group()
def rules() -> None:
    """List and test rules."""


@rules.command("list")
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text")
def list_rules(format_: str) -> None:
    """List the built-in rules: id, provider, severity, confidence.

    Example: keyscan rules list
    """
    ruleset = load_rules([builtin_rules_dir()])
    if format_ == "json":
        import json

        click.echo(json.dumps([{"id": r.id, "name": r.name, "provider": r.provider, "severity": r.severity.label,
                                "confidence": r.confidence.label, "tags": list(r.tags)} for r in ruleset],
                              indent=2))
        return
    width = max(len(r.id) for r in ruleset)
    for rule in ruleset:
        click.echo(f"{rule.id:<{width}}  {rule.provider:<16} {rule.severity.label:<8} {rule.confidence.label}")
    click.echo(f"{len(ruleset)} rules", err=True)


@rules.command("test")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
def test_rules(files: tuple[Path, ...]) -> int:
    """Run each rule's positive and negative examples (default: the built-in rules).

    Example: keyscan rules test my-rules.yaml
    """
    ruleset = load_rules(list(files) or [builtin_rules_dir()])
    failures = 0
    for rule in ruleset:
        for problem in check_rule_examples(rule):
            failures += 1
            click.echo(f"FAIL {rule.id}: {problem}")
    examples = sum(len(r.positives) + len(r.negatives) for r in ruleset)
    click.echo(f"{len(ruleset)} rules, {examples} examples, {failures} failure(s)", err=True)
    return EXIT_FINDINGS if failures else 0


@click.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print a rule's help: what it is, why it matters, how to rotate.

    Example: keyscan explain aws-access-key-id
    """
    ruleset = load_rules([builtin_rules_dir()])
    rule = ruleset.get(rule_id)
    if rule is None:
        raise KeyscanError(f"no rule with id {rule_id!r} (see 'keyscan rules list')")
    click.echo(f"{rule.id}: {rule.name}  [{rule.provider}, severity {rule.severity.label}, "
               f"confidence {rule.confidence.label}]\n")
    click.echo(rule.help)
    click.echo("\nReferences:")
    for reference in rule.references:
        click.echo(f"  {reference}")
