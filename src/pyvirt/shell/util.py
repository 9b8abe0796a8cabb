"""Helpers shared by command modules: object lookup as virsh does it, files, numbers."""

from __future__ import annotations

import os
import re

from pyvirt.errors import VirtError

from .control import CommandError, Control
from .options import ParsedCommand

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def lib_message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)


def opt_string(cmd: ParsedCommand, name: str, *, empty_ok: bool = False) -> str | None:
    """An option's text; an empty one is virsh's 'Option argument is empty' error."""
    value = cmd.get(name)
    if value is None:
        return None
    if value == "" and not empty_ok:
        raise CommandError(f"Failed to get option '{name}': Option argument is empty")
    return str(value)


def lookup_domain(ctl: Control, cmd: ParsedCommand, name: str = "domain", *, by_id: bool = True,
                  by_name: bool = True):
    """The domain named by option ``name``: by id, then UUID, then name (virsh's order)."""
    text = opt_string(cmd, name)
    if text is None:
        raise CommandError(f"command '{cmd.cmd.name}' requires <{name}> option")
    return lookup_domain_text(ctl, text, by_id=by_id, by_name=by_name, cmd_name=cmd.cmd.name, opt=name)


def lookup_domain_text(ctl: Control, text: str, *, by_id: bool = True, by_name: bool = True,
                       cmd_name: str = "", opt: str = "domain"):
    conn = ctl.conn
    dom = None
    if cmd_name:
        ctl.debug_log(1, f"{cmd_name}: found option <{opt}>: {text}\n")
    if by_id and _is_nonneg_int(text):
        if cmd_name:
            ctl.debug_log(0, f"{cmd_name}: <{opt}> looks like ID\n")
        try:
            dom = conn.lookup_domain_by_id(int(text))
        except VirtError:
            dom = None
    if dom is None and _UUID.match(text) and len(text) == 36:
        if cmd_name:
            ctl.debug_log(0, f"{cmd_name}: <{opt}> trying as domain UUID\n")
        try:
            dom = conn.lookup_domain_by_uuid(text)
        except VirtError:
            dom = None
    if dom is None and by_name:
        if cmd_name:
            ctl.debug_log(0, f"{cmd_name}: <{opt}> trying as domain NAME\n")
        try:
            dom = conn.lookup_domain_by_name(text)
        except VirtError:
            dom = None
    if dom is None:
        raise CommandError(f"failed to get domain '{text}'")
    return dom


def _is_nonneg_int(text: str) -> bool:
    """virStrToLong_i accepts leading blanks and a sign; virsh then wants id >= 0."""
    try:
        value = int(text.strip(" \t\n"), 10)
    except ValueError:
        return False
    return 0 <= value <= 2**31 - 1 and text[:1] not in ("", "_")


def read_file(path: str) -> str:
    """A file's text, or virsh's 'Failed to open file' error."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except OSError as exc:
        raise CommandError(f"Failed to open file '{path}': {os.strerror(exc.errno or 0)}") from None
    return text.split("\0", 1)[0]  # libvirt hands the parser a C string


def parse_scaled(cmd: ParsedCommand, name: str, default_scale: int, maximum: int) -> int | None:
    """A scaled integer option (``512M``, ``1G``...) in bytes, ``default_scale`` without a unit.

    Errors are virsh's: its own 'Scaled numeric value' line, followed by the library's
    reason when the library found one (an unknown suffix, an overflow).
    """
    text = cmd.get(name)
    if text is None:
        return None
    try:
        return scaled_value(str(text), default_scale, maximum)
    except ValueError as exc:
        first = f"Scaled numeric value '{text}' for <{name}> option is malformed or out of range"
        raise CommandError(first, *([str(exc)] if str(exc) else [])) from None


def scaled_value(text: str, default_scale: int, maximum: int) -> int:
    """libvirt's virStrToLong_ullp + virScaleInteger: a number, an optional unit; bytes.

    Raises ValueError whose text is the library's message ('' when only the number was bad).
    """
    m = re.match(r"[ \t\n\v\f\r]*\+?(\d+)", text)
    if not m:
        raise ValueError("")
    number = int(m.group(1))
    if number > (1 << 64) - 1:
        raise ValueError("")
    suffix = text[m.end():]
    if not suffix:
        scale = default_scale
    else:
        low = suffix.lower()
        if low in ("b", "byte", "bytes"):
            scale = 1
        else:
            powers = "kmgtpe"
            unit, rest = low[0], low[1:]
            if unit not in powers or rest not in ("", "ib", "b"):
                raise ValueError(f"invalid argument: unknown suffix '{suffix}'")
            base = 1000 if rest == "b" else 1024
            scale = base ** (powers.index(unit) + 1)
    if number and number > maximum // scale:
        raise ValueError(f"numerical overflow: value too large: {number}{suffix}")
    return number * scale


def int_option(cmd: ParsedCommand, name: str, *, unsigned: bool = False, minimum: int | None = None) -> int | None:
    text = cmd.get(name)
    if text is None:
        return None
    try:
        value = int(str(text), 10)
        if unsigned and (str(text).strip().startswith("-")):
            raise ValueError
        high = 2**32 - 1 if unsigned else 2**31 - 1
        if value > high or value < -(2**31):
            raise ValueError
    except ValueError:
        raise CommandError(f"Numeric value '{text}' for <{name}> option is malformed or out of range") from None
    return value
