"""``pyvirsh [OPTIONS] [COMMAND_STRING | COMMAND [ARGS...]]``: the shell's entry point.

Option handling follows virsh's getopt rules (options stop at the first non-option argument,
``-cURI`` and ``--connect=URI`` both work) and its messages.  One remaining argument is a
script (commands separated by ``;`` or newlines); several are one command with its arguments,
taken literally; none starts the interactive shell.
"""

from __future__ import annotations

import os
import signal
import sys

from pyvirt.errors import VirtError

from . import catalog as _catalog
from .control import Control
from .lexer import ArgvLexer, ScriptLexer
from .options import ParseError, parse_script
from .runner import run_commands

VERSION = "9.0.0"  # the virsh release whose behaviour pyvirsh reproduces

_SHORT_WITH_ARG = "cdekKl"
_LONG = {
    "connect": "c", "debug": "d", "escape": "e", "help": "h", "keepalive-interval": "k",
    "keepalive-count": "K", "log": "l", "quiet": "q", "readonly": "r", "timing": "t",
    "version": "version",
}

_USAGE_HEAD = """
{prog} [options]... [<command_string>]
{prog} [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -d | --debug=NUM        debug level [0-4]
    -e | --escape <char>    set escape sequence for console
    -h | --help             this help
    -k | --keepalive-interval=NUM
                            keepalive interval in seconds, 0 for disable
    -K | --keepalive-count=NUM
                            number of possible missed keepalive messages
    -l | --log=FILE         output logging to file
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -t | --timing           print timing information
    -v                      short version
    -V                      long version
         --version[=TYPE]   version, TYPE is short or long (default short)
  commands (non interactive mode):

"""

_USAGE_TAIL = """
  (specify help <group> for details about the commands in the group)

  (specify help <command> for details about the command)

"""


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _usage(cat: _catalog.Catalog) -> str:
    parts = [_USAGE_HEAD.format(prog="virsh")]
    for group in cat.groups:
        parts.append(f" {group.name} (help keyword '{group.keyword}')\n")
        for name in group.commands:
            parts.append(f"    {name:<30} {cat.commands[name].help}\n")
        parts.append("\n")
    parts.append(_USAGE_TAIL)
    return "".join(parts)


def _long_version() -> str:
    return (
        f"Virsh command line tool of libvirt {VERSION}\n"
        "See web site at https://libvirt.org/\n\n"
        "Compiled with support for:\n"
        " Hypervisors: Test (pyvirt)\n"
    )


def _parse_argv(argv: list[str], ctl: Control, cat: _catalog.Catalog) -> list[str]:
    """Consume shell options from argv (getopt with '+'); return the command arguments."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return argv[i + 1:]
        if not arg.startswith("-") or arg == "-":
            return argv[i:]
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            key = _LONG.get(name)
            if key is None:
                ctl.error(f"unsupported option '{arg}'. See --help.")
                raise _Exit(1)
            if key == "version":
                if value in ("", "short"):
                    ctl.print(f"{VERSION}\n")
                elif value == "long":
                    ctl.print(_long_version())
                else:
                    ctl.print(f"{VERSION}\n")
                raise _Exit(0)
            if key in _SHORT_WITH_ARG:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        ctl.error(f"option '--{name}' requires an argument")
                        raise _Exit(1)
                    value = argv[i]
                _apply(ctl, cat, key, value, f"--{name}")
            else:
                if eq:
                    ctl.error(f"option '--{name}' doesn't allow an argument")
                    raise _Exit(1)
                _apply(ctl, cat, key, None)
            i += 1
            continue
        # cluster of short options
        j = 1
        while j < len(arg):
            key = arg[j]
            if key in _SHORT_WITH_ARG:
                value = arg[j + 1:]
                if not value:
                    i += 1
                    if i >= len(argv):
                        long = next(k for k, v in _LONG.items() if v == key)
                        ctl.error(f"option '-{key}'/'--{long}' requires an argument")
                        raise _Exit(1)
                    value = argv[i]
                _apply(ctl, cat, key, value, f"-{key}")
                break
            if key not in "hqrtvV":
                ctl.error(f"unsupported option '-{key}'. See --help.")
                raise _Exit(1)
            _apply(ctl, cat, key, None)
            j += 1
        i += 1
    return []


def _apply(ctl: Control, cat: _catalog.Catalog, key: str, value: str | None, spelled: str = "") -> None:
    if key == "c":
        ctl.uri = value
        ctl.explicit_uri = True
    elif key == "d":
        try:
            level = int(value or "")
        except ValueError:
            ctl.error("option -d takes a numeric argument")
            raise _Exit(1) from None
        if level < 0 or level > 4:
            ctl.error(f"ignoring debug level {level} out of range [0-4]")
        else:
            ctl.debug = level
    elif key in "kK":
        try:
            number = int(value or "")
        except ValueError:
            ctl.error(f"Invalid value for option {spelled}")
            raise _Exit(1) from None
        if number < 0:
            ctl.error(f"option {spelled} requires a positive integer argument")
            raise _Exit(1)
        setattr(ctl, "keepalive_count" if key == "K" else "keepalive_interval", number)
        if key == "K" or number > 0:
            ctl.keepalive = True  # asked for: must be set up on the connection
    elif key == "e":
        text = value or ""
        if not (len(text) == 1 or (len(text) == 2 and text[0] == "^"
                                   and (text[1].isalpha() or text[1] in "@[\\]^_"))):
            ctl.error(f"Invalid string '{text}' for escape sequence")
            raise _Exit(1)
    elif key == "h":
        ctl.print(_usage(cat))
        raise _Exit(0)
    elif key == "q":
        ctl.quiet = True
    elif key == "r":
        ctl.readonly = True
    elif key == "t":
        ctl.timing = True
    elif key == "v":
        ctl.print(f"{VERSION}\n")
        raise _Exit(0)
    elif key == "V":
        ctl.print(_long_version())
        raise _Exit(0)


def _setup_keepalive(ctl: Control) -> None:
    """-k/-K ask for keepalive; pyvirt's connections have none to offer (as libvirt's local
    drivers), so the connection is dropped with virsh's message."""
    from pyvirt.errors import ErrorNumber, VirtError, virt_error

    setter = getattr(ctl.conn, "set_keepalive", None)
    try:
        if not callable(setter):
            raise virt_error(ErrorNumber.NO_SUPPORT, "virConnectSetKeepAlive")
        setter(getattr(ctl, "keepalive_interval", 5), getattr(ctl, "keepalive_count", 6))
    except VirtError:
        ctl.close()
        ctl.error("Cannot setup keepalive on connection as requested, disconnecting")
        raise


def main(argv: list[str] | None = None) -> int:
    """Run pyvirsh with ``argv`` (default: the process arguments); return the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")  # bytes of odd files pass through
        except AttributeError:
            pass
    cat = _catalog.load()
    ctl = Control(cat)
    ctl.explicit_uri = False
    ctl.timing = False
    ctl.keepalive = False
    try:
        rest = _parse_argv(argv, ctl, cat)
    except _Exit as exc:
        ctl.out.flush()
        return exc.code
    if ctl.uri is None:
        ctl.uri = os.environ.get("VIRSH_DEFAULT_CONNECT_URI") or None
    commands = None
    if rest:  # virsh parses the whole script before it connects
        lexer = ScriptLexer(rest[0]) if len(rest) == 1 else ArgvLexer(rest)
        if len(rest) == 1:
            ctl.debug_log(1, f'commands: "{rest[0]}"\n')
        try:
            commands = parse_script(lexer, cat, ctl.debug_log)
        except ParseError as exc:
            for message in exc.messages:
                ctl.error(message)
            return 1
    if ctl.explicit_uri or ctl.uri or ctl.keepalive:
        try:
            ctl.connect(ctl.uri, ctl.readonly)
            if ctl.keepalive:
                _setup_keepalive(ctl)
        except VirtError as exc:
            ctl.error("failed to connect to the hypervisor")
            ctl.error(exc.message)
            return 1
        except Exception as exc:  # noqa: BLE001 - never a traceback for a bad URI
            ctl.error("failed to connect to the hypervisor")
            ctl.error(f"internal error: {type(exc).__name__}: {exc}")
            return 1
    try:
        if commands is None:
            from .interactive import run_interactive

            return 0 if run_interactive(ctl) else 1
        ok = run_commands(ctl, commands)
        return 0 if ok else 1
    finally:
        ctl.out.flush()
        ctl.close()


def entry() -> None:
    """The ``pyvirsh`` program: like virsh, die quietly on a closed pipe (``pyvirsh ... | head``).

    The SIGPIPE default is set here and not in :func:`main`, because :func:`main` also runs
    inside other processes (tests, embedding programs), whose sockets must keep getting
    EPIPE errors instead of being killed by the signal.
    """
    try:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    except (AttributeError, ValueError):
        pass
    sys.exit(main())


if __name__ == "__main__":
    entry()
