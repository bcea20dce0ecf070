"""An operator-defined command that receives the secret on stdin: wire in an internal rotation service.

The command line comes only from the operator's revoke config
(``commands: {NAME: {argv: [...]}}``); a rule (or an override) names it with
``revoke: {hook: command, name: NAME}``.  No shell is involved, the secret is
never put in argv or the environment, and the command's output is not
echoed (it could contain the secret).  Exit status 0 is success; a timeout is
``unknown``; anything else is ``failed``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from keyscan.revoke.hooks.base import UNKNOWN_ADVICE, Context, Hook
from keyscan.revoke.model import Credential, Outcome, Refusal, RequestInfo, Result, Step
from keyscan.revoke.settings import CommandSpec

PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class CommandHook(Hook):
    name = "command"
    issuer = "(operator command)"

    def _spec(self, ctx: Context) -> CommandSpec:
        name = str(self.block.get("name", ""))
        spec = ctx.config.commands.get(name)
        if spec is None:
            raise Refusal(f"no command named {name!r} in the revoke config (commands: {{{name}: {{argv: [...]}}}})")
        return spec

    def _info(self, spec: CommandSpec) -> RequestInfo:
        return RequestInfo("EXEC", "localhost", " ".join(spec.argv), scheme="")

    def plan(self, credential: Credential, ctx: Context) -> Step:
        spec = self._spec(ctx)
        return Step(
            action="command",
            summary=spec.description or f"run the operator's '{spec.name}' command with the secret on stdin",
            request=self._info(spec),
            body="<the secret on stdin>",
            reversible=spec.reversible,
            success="exit status 0",
            notes=(f"timeout {spec.timeout:g} s; the command's output is not shown",),
        )

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        results = []
        for credential in batch:
            try:
                spec = self._spec(ctx)
            except Refusal as exc:
                results.append(Result(Outcome.SKIPPED, str(exc)))
                continue
            results.append(self._run(spec, credential))
        return results

    def _run(self, spec: CommandSpec, credential: Credential) -> Result:
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env.update({"KEYSCAN_RULE_ID": credential.rule_ids[0], "KEYSCAN_FINGERPRINT": credential.fingerprint})
        info = self._info(spec)
        try:
            completed = subprocess.run(list(spec.argv), input=credential.secret + "\n", text=True,
                                       capture_output=True, timeout=spec.timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            return Result(Outcome.UNKNOWN, f"timed out after {spec.timeout:g} s; {UNKNOWN_ADVICE}", None, info)
        except OSError as exc:
            return Result(Outcome.FAILED, f"cannot run the command: {exc.__class__.__name__}", None, info)
        if completed.returncode == 0:
            return Result(Outcome.SUCCEEDED, "command exited 0", 0, info)
        return Result(Outcome.FAILED, f"command exited {completed.returncode}", completed.returncode, info)
