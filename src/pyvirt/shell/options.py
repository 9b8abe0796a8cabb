"""Binding arguments to a command's options, exactly as virsh 9.0 does.

An argument ``--name`` or ``--name=value`` names an option (no abbreviations: virsh accepts
none); a bare ``--`` makes every later argument data.  Other arguments fill, in definition
order, the options that may be given positionally; an ``argv`` option takes all remaining data.
Errors use virsh's wording and abort the whole script before any command runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import Catalog, CommandDef, OptDef
from .lexer import LexError, Token


class ParseError(Exception):
    """A script error virsh reports before running anything (one or more messages)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.messages = list(messages)


@dataclass
class ParsedCommand:
    """One command with its options bound: ``values`` maps option name to True, str or list."""

    cmd: CommandDef
    values: dict[str, object] = field(default_factory=dict)
    help: bool = False
    trace: list[tuple[str, str | None]] = field(default_factory=list)  # as given, for -d

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)

    def flag(self, name: str) -> bool:
        return name in self.values

    def argv(self, name: str) -> list[str]:
        value = self.values.get(name)
        return list(value) if isinstance(value, list) else []


def parse_script(lexer, catalog: Catalog, debug=None) -> list[ParsedCommand]:
    """Parse every command the lexer yields; raise ParseError on virsh's first complaint.

    ``debug(level, text)``, when given, receives virsh's ``-d`` trace of each parsed command.
    """
    commands: list[ParsedCommand] = []
    while True:
        try:
            token, text = lexer.next()
        except LexError as exc:
            raise ParseError(str(exc)) from None
        if token is Token.END:
            return commands
        if token is Token.END_COMMAND:
            continue
        if text.startswith("#"):  # a quoted or escaped '#' command name: a comment command
            while token is Token.ARG:
                try:
                    token, text = lexer.next()
                except LexError:  # virsh stops quietly inside a comment command
                    return commands
            if token is Token.END:
                return commands
            continue
        cmd = catalog.command(text)
        if cmd is None:
            raise ParseError(f"unknown command: '{text}'")
        parsed, finished = _parse_args(lexer, cmd)
        if debug is not None:
            for name, value in parsed.trace:
                kind = "bool" if value is None else "optdata"
                debug(1, f"{cmd.name}: {name}({kind}): {'(none)' if value is None else value}\n")
        commands.append(parsed)
        if finished:
            return commands


def _parse_args(lexer, cmd: CommandDef) -> tuple[ParsedCommand, bool]:
    parsed = ParsedCommand(cmd)
    pending = [o for o in cmd.opts if o.positional]
    seen: set[str] = set()
    data_only = False
    is_help = cmd.name == "help"
    while True:
        try:
            token, text = lexer.next()
        except LexError as exc:
            raise ParseError(str(exc)) from None
        if token is not Token.ARG:
            break
        if not data_only and text.startswith("--") and len(text) > 2 and text[2].isalnum():
            name, eq, inline = text[2:].partition("=")
            if name == "help":
                opt = None
            else:
                opt = cmd.option(cmd.aliases.get(name, name))
                if opt is None:
                    if is_help:
                        continue
                    raise ParseError(f"command '{cmd.name}' doesn't support option --{name}")
                if opt.name in seen and opt.kind != "argv":
                    raise ParseError(f"option --{opt.name} already seen")
            if opt is None:  # --help
                if eq:
                    raise ParseError("invalid '=' after option --help")
                parsed.help = True
                continue
            seen.add(opt.name)
            if opt.kind == "bool":
                if eq:
                    raise ParseError(f"invalid '=' after option --{opt.name}")
                parsed.values[opt.name] = True
                parsed.trace.append((opt.name, None))
                continue
            if eq:
                value = inline
            else:
                try:
                    token, value = lexer.next()
                except LexError as exc:
                    raise ParseError(str(exc)) from None
                if token is not Token.ARG:
                    kind = "number" if opt.kind == "number" else "string"
                    raise ParseError(f"expected syntax: --{opt.name} <{kind}>")
            _store(parsed, opt, value)
            if opt in pending and opt.kind != "argv":
                pending.remove(opt)
            continue
        if not data_only and text == "--":
            data_only = True
            continue
        # positional data
        while pending and pending[0].name in seen and pending[0].kind != "argv":
            pending.pop(0)
        if not pending:
            if is_help:
                continue
            raise ParseError(f"unexpected data '{text}'")
        opt = pending[0]
        if opt.kind != "argv":
            pending.pop(0)
        seen.add(opt.name)
        _store(parsed, opt, text)
    finished = token is Token.END
    if not parsed.help:
        missing = [o for o in cmd.opts if o.required and o.name not in seen]
        if missing:
            raise ParseError(*(
                f"command '{cmd.name}' requires <{o.name}> option"
                if o.kind in ("data", "argv")
                else f"command '{cmd.name}' requires --{o.name} option"
                for o in missing
            ))
    return parsed, finished


def _store(parsed: ParsedCommand, opt: OptDef, value: str) -> None:
    parsed.trace.append((opt.name, value))
    if opt.kind == "argv":
        parsed.values.setdefault(opt.name, [])
        parsed.values[opt.name].append(value)  # type: ignore[union-attr]
    else:
        parsed.values[opt.name] = value
