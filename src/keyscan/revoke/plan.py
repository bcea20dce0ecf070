"""Turn credentials into a reviewed plan: one entry, one hook, one described action per credential.

Building the plan never touches the network.  Every reason not to act --
unknown rule, no hook, two rules wanting different hooks, a secret that no
longer passes its rule, a missing config value -- becomes a ``refusal`` the
operator sees before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from keyscan.revoke.hooks import BUILTIN, Context, Hook
from keyscan.revoke.model import Credential, Refusal, Step
from keyscan.revoke.recheck import recheck
from keyscan.revoke.registry import make_hook, plugin_endpoints, revoke_block
from keyscan.rules.model import Rule, RuleSet

Echo = Callable[[str], None]
MAX_LOCATIONS_SHOWN = 3


@dataclass
class Entry:
    credential: Credential
    rule: Rule | None = None
    hook: Hook | None = None
    hook_name: str = ""
    step: Step | None = None
    refusal: str = ""

    @property
    def kind(self) -> str:
        if self.refusal or self.step is None:
            return "skip"
        return "manual" if not self.step.mutation else "act"

    @property
    def rule_id(self) -> str:
        return self.rule.id if self.rule is not None else self.credential.rule_ids[0]

    @property
    def issuer(self) -> str:
        if self.hook_name == "manual" and self.rule is not None:
            return self.rule.provider  # no API, but the audit log should still name who issued it
        return self.hook.issuer if self.hook is not None else ""


def build_plan(credentials: Iterable[Credential], rules: RuleSet, ctx: Context,
               only_rules: Sequence[str] = (), only_fingerprints: Sequence[str] = ()) -> list[Entry]:
    entries = []
    for credential in credentials:
        if only_rules and not set(only_rules) & set(credential.rule_ids):
            continue
        if only_fingerprints and credential.fingerprint not in only_fingerprints:
            continue
        entries.append(plan_one(credential, rules, ctx))
    return entries


def plan_one(credential: Credential, rules: RuleSet, ctx: Context) -> Entry:
    entry = Entry(credential)
    found = [r for r in (rules.get(rule_id) for rule_id in credential.rule_ids) if r is not None]
    if not found:
        entry.refusal = (f"rule {credential.rule_ids[0]} is not loaded (pass its rule file with --rules)")
        return entry
    entry.rule = found[0]
    chosen = [(rule, block) for rule in found if (block := revoke_block(rule, ctx.config))]
    if not chosen:
        entry.refusal = f"rule {found[0].id} has no revoke hook; see `keyscan explain {found[0].id}`"
        return entry
    hooks = {(str(b.get("hook")), str(b.get("name", ""))) for _, b in chosen}
    if len(hooks) > 1:
        names = ", ".join(f"{r.id} ({b.get('hook')})" for r, b in chosen)
        entry.refusal = f"ambiguous: the secret matched rules that name different hooks: {names}"
        return entry
    rule, block = chosen[0]
    entry.rule, entry.hook_name = rule, str(block["hook"])
    allow = ctx.config.allow
    if allow is not None and entry.hook_name not in allow:
        entry.refusal = f"hook {entry.hook_name} is not in the revoke config's allow list"
        return entry
    reason = recheck(rule, credential.secret)
    if reason:
        entry.refusal = reason
        return entry
    try:
        entry.hook = make_hook(block, rule)
        for key, url in plugin_endpoints(entry.hook).items():
            ctx.client.endpoints.add(key, url)
        entry.step = entry.hook.plan(credential, ctx)
    except Refusal as exc:
        entry.refusal = str(exc)
    except Exception as exc:
        if entry.hook is not None and type(entry.hook) in BUILTIN.values():
            raise
        entry.refusal = f"plugin hook {entry.hook_name!r} failed to plan: {exc.__class__.__name__}"
    return entry


def counts(entries: Sequence[Entry]) -> dict[str, int]:
    result = {"act": 0, "manual": 0, "skip": 0}
    for entry in entries:
        result[entry.kind] += 1
    return result


def render_plan(entries: Sequence[Entry], echo: Echo, executing: bool) -> None:
    c = counts(entries)
    echo(f"Revocation plan: {len(entries)} credential(s): {c['act']} to revoke, {c['manual']} manual, "
         f"{c['skip']} skipped.")
    if not executing:
        echo("Nothing is sent without --execute.")
    for number, entry in enumerate(entries, 1):
        echo("")
        render_entry(number, entry, echo)


def render_entry(number: int, entry: Entry, echo: Echo) -> None:
    credential = entry.credential
    echo(f"[{number}] {entry.rule_id}  {credential.hint}  {credential.fingerprint}")
    locations = list(credential.locations)
    if locations:
        shown = ", ".join(loc.label() for loc in locations[:MAX_LOCATIONS_SHOWN])
        more = f" (+{len(locations) - MAX_LOCATIONS_SHOWN} more)" if len(locations) > MAX_LOCATIONS_SHOWN else ""
        echo(f"    found at:   {shown}{more}")
    if entry.hook_name:
        echo(f"    issuer:     {entry.issuer or '-'} (hook {entry.hook_name})")
    if entry.refusal or entry.step is None:
        echo(f"    SKIP:       {entry.refusal}")
        return
    step = entry.step
    echo(f"    action:     {step.summary}")
    for lookup in step.lookups:
        echo(f"    lookup:     {lookup}")
    if step.request is not None:
        echo(f"    request:    {step.request.method} {step.request.url}")
    if step.header_names:
        echo(f"    headers:    {', '.join(step.header_names)}")
    if step.body:
        echo(f"    body:       {step.body}")
    if step.success:
        echo(f"    success:    {step.success}")
    if step.mutation:
        echo(f"    reversible: {'yes' if step.reversible else 'no'}")
    for note in step.notes:
        echo(f"    note:       {note}")
    for line in step.manual_steps:
        echo(f"    steps:      {line}")
    if step.console:
        echo(f"    console:    {step.console}")
