"""The ``keyscan`` command line: parsing only; the work lives in the command modules."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import click

from keyscan import __version__, interrupts
from keyscan.errors import EXIT_INTERNAL, EXIT_INTERRUPTED


class _LazyGroup(click.Group):
    """Sub-commands imported on first use (``keyscan.commands.COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from keyscan.commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from keyscan.commands import COMMANDS

        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="keyscan")
@click.option("--color/--no-color", "color", default=None,
              help="Force or forbid colour (default: auto, NO_COLOR honoured).")
@click.pass_context
def cli(ctx: click.Context, color: bool | None) -> None:
    """Find leaked API keys, tokens and private keys, and help fix them."""
    if color is False or (color is None and os.environ.get("NO_COLOR")):
        ctx.color = False
    elif color:
        ctx.color = True
    ctx.ensure_object(dict)
    ctx.obj["color"] = color


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and map every outcome to keyscan's exit codes."""
    interrupts.install()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="keyscan",
                          standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("keyscan: interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("keyscan: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the crash handler must catch everything
        from keyscan.crash import report_crash

        return report_crash(exc)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["EXIT_INTERNAL", "cli", "main"]
