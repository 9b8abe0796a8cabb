"""Host device commands (virsh's 'nodedev' group)."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import lib_message, opt_string, read_file
from . import command


def lookup_nodedev(ctl: Control, cmd: ParsedCommand, opt: str = "device"):
    text = opt_string(cmd, opt)
    try:
        return ctl.conn.lookup_node_device(text)
    except VirtError as exc:
        raise CommandError(f"Could not find matching device '{text}'", lib_message(exc)) from None


@command("nodedev-list")
def cmd_nodedev_list(ctl: Control, cmd: ParsedCommand) -> bool:
    from pyvirt.enums import ConnectListAllNodeDeviceFlags as F

    caps = [c for c in str(cmd.get("cap") or "").split(",") if c]
    if cmd.flag("inactive") and cmd.flag("all"):
        raise CommandError("Option --all is incompatible with --inactive")
    if cmd.flag("all"):
        flags = int(F.ACTIVE) | int(F.INACTIVE)
    elif cmd.flag("inactive"):
        flags = int(F.INACTIVE)
    else:
        flags = int(F.ACTIVE)
    try:
        devices = ctl.conn.list_node_devices(caps=caps, flags=flags)
    except VirtError as exc:
        raise CommandError("Failed to list node devices", lib_message(exc)) from None
    names = sorted(d.name for d in devices)
    if cmd.flag("tree"):
        from .snapshot import _tree

        parents = []
        for dev in sorted(devices, key=lambda d: d.name):
            parent = dev.parent()
            parents.append(parent if parent in names else None)
        ctl.print(_tree(names, parents))
        return True
    ctl.print("".join(f"{n}\n" for n in names))
    return True


@command("nodedev-dumpxml")
def cmd_nodedev_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..xmlout import print_xml

    return print_xml(ctl, cmd, lookup_nodedev(ctl, cmd).xml())


@command("nodedev-info")
def cmd_nodedev_info(ctl: Control, cmd: ParsedCommand) -> bool:
    dev = lookup_nodedev(ctl, cmd)
    out = [f"{'Name:':<15} {dev.name}\n", f"{'Parent:':<15} {dev.parent() or ''}\n"]
    active = getattr(dev, "is_active", None)
    persistent = getattr(dev, "is_persistent", None)
    autostart = getattr(dev, "autostart", None)
    out.append(f"{'Active:':<15} {'yes' if (active() if callable(active) else True) else 'no'}\n")
    out.append(f"{'Persistent:':<15} {'yes' if (persistent() if callable(persistent) else True) else 'no'}\n")
    value = autostart() if callable(autostart) else autostart
    out.append(f"{'Autostart:':<15} {'yes' if value else 'no autostart'}\n")
    ctl.print("".join(out))
    return True


@command("nodedev-create")
def cmd_nodedev_create(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        dev = ctl.conn.create_node_device(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise CommandError(f"Failed to create node device from {path}", lib_message(exc)) from None
    ctl.print_extra(f"Node device {dev.name} created from {path}\n")
    return True


@command("nodedev-define")
def cmd_nodedev_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        dev = ctl.conn.define_node_device(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise CommandError(f"Failed to define node device from '{path}'", lib_message(exc)) from None
    ctl.print_extra(f"Node device '{dev.name}' defined from '{path}'\n")
    return True


@command("nodedev-destroy")
def cmd_nodedev_destroy(ctl: Control, cmd: ParsedCommand) -> bool:
    dev = lookup_nodedev(ctl, cmd)
    name = dev.name
    try:
        dev.destroy()
    except VirtError as exc:
        raise CommandError(f"Failed to destroy node device '{name}'", lib_message(exc)) from None
    ctl.print_extra(f"Destroyed node device '{name}'\n")
    return True
