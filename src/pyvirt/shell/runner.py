"""Running parsed commands: connection checks, help, error reporting and the blank line.

Mirrors virsh's command loop: the whole script is parsed before anything runs; each command
then runs in turn, a failing one reports its errors and the script goes on; after every
command an empty line is printed unless quiet; ``quit``/``exit`` stop the script.  The
result is that of the last command.
"""

from __future__ import annotations

import time

from pyvirt.errors import VirtError

from .commands import NO_CONNECT, load_all
from .control import CommandError, Control
from .options import ParsedCommand


def run_commands(ctl: Control, commands: list[ParsedCommand]) -> bool:
    """Run each command; return whether the last one succeeded."""
    registry = load_all()
    ok = True
    for parsed in commands:
        name = parsed.cmd.name
        started = time.perf_counter()
        if parsed.help:
            ctl.print(ctl.catalog.command_help(parsed.cmd))
            ok = True
        else:
            handler = registry.get(name)
            try:
                if handler is None:
                    raise CommandError(f"command '{name}' is not implemented by pyvirsh")
                if name not in NO_CONNECT:
                    ctl.require_conn()
                ok = bool(handler(ctl, parsed))
            except CommandError as exc:
                for message in exc.messages:
                    ctl.error(message)
                ok = False
            except VirtError as exc:
                ctl.error(exc.message)
                ok = False
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the whole script
                ctl.error(f"internal error: {type(exc).__name__}: {exc}")
                ok = False
            except KeyboardInterrupt:
                ctl.error("operation interrupted")  # Ctrl-C safety net (not a virsh message)
                ok = False
        if ctl.stop:
            return ok
        if getattr(ctl, "timing", False):
            ctl.print(f"\n(Time: {(time.perf_counter() - started) * 1000:.3f} ms)\n\n")
        else:
            ctl.print_extra("\n")
    return ok
