"""virsh's built-in commands: help, echo, quit/exit, cd, pwd, connect."""

from __future__ import annotations

import os

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from . import command


@command("help", connect=False)
def cmd_help(ctl: Control, cmd: ParsedCommand) -> bool:
    """Global help, a group's command list, or one command's manual page."""
    name = cmd.get("command")
    cat = ctl.catalog
    if not name:
        ctl.print(cat.global_help())
        return True
    found = cat.command(name)
    if found is not None:
        ctl.print(cat.command_help(found))
        return True
    group = cat.group(name)
    if group is not None:
        ctl.print(cat.group_help(group))
        return True
    raise CommandError(f"command or command group '{name}' doesn't exist")


def _shell_quote(text: str) -> str:
    if text and all(ch.isalnum() or ch in "-_.,/:@%+=" for ch in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


@command("echo", connect=False)
def cmd_echo(ctl: Control, cmd: ParsedCommand) -> bool:
    """Print the arguments back (virsh's parser test aid), optionally shell/XML escaped."""
    shell, xml, split, err = (cmd.flag(f) for f in ("shell", "xml", "split", "err"))
    for a, b in (("shell", "xml"), ("shell", "split"), ("xml", "split")):
        if cmd.flag(a) and cmd.flag(b):
            raise CommandError(f"Options --{a} and --{b} are mutually exclusive")
    words: list[str] = []
    for arg in cmd.argv("string"):
        items = (_split_commas(arg) if arg else []) if split else [arg]
        formatted = []
        for item in items:
            if xml:
                item = _xml_escape(item)
            elif shell:
                item = _shell_quote(item)
            formatted.append(item + "\n" if split else item)
        words.append("".join(formatted))
    text = " ".join(words)
    if not text:  # virsh prints nothing at all for an empty result, even with --err
        return True
    if err:
        ctl.error(text)
    else:
        ctl.print(text)
    return True


def _split_commas(text: str) -> list[str]:
    """Split on ',' with ',,' standing for a literal comma (virsh's list syntax)."""
    items: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ",":
            if i + 1 < len(text) and text[i + 1] == ",":
                current.append(",")
                i += 2
                continue
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current))
    return items


@command("quit", "exit", connect=False)
def cmd_quit(ctl: Control, cmd: ParsedCommand) -> bool:
    """Stop running commands."""
    ctl.stop = True
    return True


@command("pwd", connect=False)
def cmd_pwd(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(os.getcwd() + "\n")
    return True


@command("cd", connect=False)
def cmd_cd(ctl: Control, cmd: ParsedCommand) -> bool:
    if not ctl.interactive:
        raise CommandError("cd: command valid only in interactive mode")
    target = cmd.get("dir") or os.path.expanduser("~")
    try:
        os.chdir(str(target))
    except OSError:
        raise CommandError(f"cd: Unable to change to {target}") from None
    return True


@command("connect", connect=False)
def cmd_connect(ctl: Control, cmd: ParsedCommand) -> bool:
    """Reconnect, to the given URI or the current one."""
    uri = cmd.get("name")
    readonly = cmd.flag("readonly")
    target = uri if uri else ctl.uri
    try:
        ctl.connect(target, readonly)
    except VirtError as exc:  # the previous connection stays, as in virsh
        raise CommandError("failed to connect to the hypervisor", exc.message) from None
    return True


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;"})


def _xml_escape(text: str) -> str:
    """virsh's ``echo --xml`` escaping (xml.sax.saxutils would cost ~15 ms of imports at start)."""
    return text.translate(_XML_ESCAPES)
