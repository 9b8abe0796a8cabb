"""Domain operations over the public API: set-lifecycle-action, send-process-signal,
set-user-password, domif-getlink, domiftune, blkdeviotune."""

from __future__ import annotations

import re

from lxml import etree

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import lookup_domain, opt_string
from . import command
from .domain import _fail, _impact

_LIFECYCLE_TYPES = ("poweroff", "reboot", "crash")
_LIFECYCLE_ACTIONS = ("destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart")

#: virDomainProcessSignal's names, in enum order (the index is the value)
_SIGNALS = ("nop hup int quit ill trap abrt bus fpe kill usr1 segv usr2 pipe alrm term stkflt chld "
            "cont stop tstp ttin ttou urg xcpu xfsz vtalrm prof winch poll pwr sys").split() + [
            f"rt{i}" for i in range(33)]


@command("set-lifecycle-action")
def cmd_set_lifecycle_action(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    kind, action = opt_string(cmd, "type"), opt_string(cmd, "action")
    if kind not in _LIFECYCLE_TYPES:
        raise CommandError(f"Invalid lifecycle type '{kind}'.")
    if action not in _LIFECYCLE_ACTIONS:
        raise CommandError(f"Invalid lifecycle action '{action}'.")
    dom = lookup_domain(ctl, cmd)
    try:
        dom.set_lifecycle_action(_LIFECYCLE_TYPES.index(kind), _LIFECYCLE_ACTIONS.index(action), **impact)
    except VirtError as exc:
        raise _fail("Unable to change lifecycle action.", exc) from None
    return True


def _c_long(text: str, bits: int) -> int | None:
    """virStrToLong_*: optional blanks and sign, decimal digits, nothing after; None if bad."""
    m = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?\d+)", text)
    if not m:
        return None
    value = int(m.group(1))
    return value if -(1 << (bits - 1)) <= value < (1 << (bits - 1)) else None


def _signal_number(name: str) -> int:
    lower = name.lower()
    number = _c_long(lower, 32)
    if number is not None:
        return number
    for prefix in ("sig_", "sig"):
        if lower.startswith(prefix):
            lower = lower[len(prefix):]
            break
    return _SIGNALS.index(lower) if lower in _SIGNALS else -1


@command("send-process-signal")
def cmd_send_process_signal(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    text = str(cmd.get("pid"))
    pid = _c_long(text, 64)
    if pid is None:
        raise CommandError(f"Numeric value '{text}' for <pid> option is malformed or out of range")
    name = str(cmd.get("signame"))
    signum = _signal_number(name)
    if signum < 0:
        raise CommandError(f"malformed signal name: {name}")
    dom.send_process_signal(pid, signum)
    return True


@command("set-user-password")
def cmd_set_user_password(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    user, password = opt_string(cmd, "user"), opt_string(cmd, "password")
    dom.set_user_password(user, password, encrypted=cmd.flag("encrypted"))
    ctl.print_extra(f"Password set successfully for {user} in {dom.name}")
    return True


def _mac_normalized(text: str) -> str:
    """virMacAddrParse + virMacAddrFormat: six hex bytes with ':' (1 or 2 digits each)."""
    parts = text.split(":")
    if len(parts) != 6 or not all(re.fullmatch(r"[0-9a-fA-F]{1,2}", p) for p in parts):
        return ""
    return ":".join(f"{int(p, 16):02x}" for p in parts)


@command("domif-getlink")
def cmd_domif_getlink(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    iface = opt_string(cmd, "interface")
    root = etree.fromstring(dom.xml(inactive=cmd.flag("config")).encode())
    mac = _mac_normalized(iface)
    found = [el for el in root.findall("devices/interface")
             if (el.find("mac") is not None and el.find("mac").get("address") == mac)
             or (el.find("target") is not None and el.find("target").get("dev") == iface)]
    if not found:
        raise CommandError(f"Interface (mac: {mac}) not found." if mac else f"Interface (dev: {iface}) not found.")
    if len(found) > 1:
        raise CommandError("multiple matching interfaces found")
    link = found[0].find("link")
    state = link.get("state") if link is not None and link.get("state") is not None else "up"
    ctl.print(f"{iface} {state}")
    return True


_RATE_FIELDS = ("average", "peak", "burst", "floor")


def _rate(text: str) -> dict[str, int]:
    """virsh's rate string ``average[,peak[,burst[,floor]]]`` (empty fields stay unset)."""
    parts = text.split(",")
    if len(parts) > len(_RATE_FIELDS):
        raise CommandError(f"Rate string '{text}' has too many fields")
    rate = dict.fromkeys(_RATE_FIELDS, 0)
    for field, part in zip(_RATE_FIELDS, parts, strict=False):
        if not part:
            continue
        value = _c_long(part, 65)
        if value is None or value < 0 or part.strip().startswith("-"):
            raise CommandError(f"field '{field}' is malformed")
        rate[field] = value
    return rate


@command("domiftune")
def cmd_domiftune(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    device = opt_string(cmd, "interface")
    params: dict[str, int] = {}
    for direction in ("inbound", "outbound"):
        if not cmd.has(direction):
            continue
        rate = _rate(opt_string(cmd, direction))
        if any(rate[f] > 0xFFFFFFFF for f in ("average", "peak", "burst")):
            raise CommandError(f"{direction} rate larger than maximum {0xFFFFFFFF}")
        if direction == "outbound" and rate["floor"]:
            raise CommandError("outbound floor is unsupported yet")
        if not rate["average"] and not rate["floor"]:
            raise CommandError(f"either {direction} average or floor is mandatory" if direction == "inbound"
                               else "outbound average is mandatory")
        params.update({f"{direction}.{f}": v for f, v in rate.items() if v})
    if params:
        try:
            dom.set_interface_parameters(device, params, **impact)
        except VirtError as exc:
            raise _fail("Unable to set interface parameters", exc) from None
        return True
    try:
        current = dom.interface_parameters(device, **impact)
    except VirtError as exc:
        raise _fail("Unable to get interface parameters", exc) from None
    ctl.print("".join(f"{name:<15}: {value}\n" for name, value in current.items()))
    return True


_IOTUNE_OPTS = ("total-bytes-sec", "read-bytes-sec", "write-bytes-sec", "total-iops-sec", "read-iops-sec",
                "write-iops-sec", "total-bytes-sec-max", "read-bytes-sec-max", "write-bytes-sec-max",
                "total-iops-sec-max", "read-iops-sec-max", "write-iops-sec-max", "size-iops-sec", "group-name",
                "total-bytes-sec-max-length", "read-bytes-sec-max-length", "write-bytes-sec-max-length",
                "total-iops-sec-max-length", "read-iops-sec-max-length", "write-iops-sec-max-length")


def _iotune_value(cmd: ParsedCommand, opt: str) -> int | str:
    from ..util import scaled_value

    text = str(cmd.get(opt))
    if opt == "group-name":
        if text == "":
            raise CommandError(f"Failed to get option '{opt}': Option argument is empty",
                               "Unable to parse group-name parameter")
        return text
    if "-bytes-sec" in opt and not opt.endswith("-length"):
        try:
            return scaled_value(text, 1, (1 << 64) - 1)
        except ValueError as exc:
            lines = [f"Scaled numeric value '{text}' for <{opt}> option is malformed or out of range"]
            # the library's reason (if any) is reported last, after virsh's own two lines
            raise CommandError(*lines, "Unable to parse integer parameter", *([str(exc)] if str(exc) else [])) from None
    value = _c_long(text, 65)
    if value is None or value < 0 or text.strip().startswith("-"):
        raise CommandError(f"Numeric value '{text}' for <{opt}> option is malformed or out of range",
                           "Unable to parse integer parameter")
    return value


@command("blkdeviotune")
def cmd_blkdeviotune(ctl: Control, cmd: ParsedCommand) -> bool:
    impact = _impact(cmd)
    dom = lookup_domain(ctl, cmd)
    disk = opt_string(cmd, "device")
    params = {opt.replace("-", "_"): _iotune_value(cmd, opt) for opt in _IOTUNE_OPTS if cmd.has(opt)}
    if params:
        try:
            dom.set_block_io_tune(disk, params, **impact)
        except VirtError as exc:
            raise _fail("Unable to change block I/O throttle", exc) from None
        return True
    try:
        current = dom.block_io_tune(disk, **impact)
    except VirtError as exc:
        raise _fail("Unable to get block I/O throttle parameters", exc) from None
    ctl.print("".join(f"{name:<15}: {value}\n" for name, value in current.items()))
    return True
