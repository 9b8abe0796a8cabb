"""Host interface commands (virsh's 'interface' group)."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..format import table
from ..options import ParsedCommand
from ..util import lib_message, opt_string, read_file
from . import command


def lookup_iface(ctl: Control, cmd: ParsedCommand, opt: str = "interface", *,
                 by_name: bool = True, by_mac: bool = True):
    text = opt_string(cmd, opt)
    conn = ctl.conn
    last: VirtError | None = None
    ctl.debug_log(1, f"{cmd.cmd.name}: found option <{opt}>: {text}\n")
    if by_name:
        ctl.debug_log(0, f"{cmd.cmd.name}: <{opt}> trying as interface NAME\n")
        try:
            return conn.lookup_interface_by_name(text)
        except VirtError as exc:
            last = exc
    if by_mac:
        ctl.debug_log(0, f"{cmd.cmd.name}: <{opt}> trying as interface MAC\n")
        try:
            return conn.lookup_interface_by_mac(text)
        except VirtError as exc:
            last = exc
    raise CommandError(f"failed to get interface '{text}'", *([lib_message(last)] if last else []))


@command("iface-list")
def cmd_iface_list(ctl: Control, cmd: ParsedCommand) -> bool:
    active: bool | None = True
    if cmd.flag("inactive"):
        active = False
    if cmd.flag("all"):
        active = None
    try:
        ifaces = sorted(ctl.conn.list_interfaces(active=active), key=lambda i: i.name)
    except VirtError as exc:
        raise CommandError("Failed to list interfaces", lib_message(exc)) from None
    rows = [[i.name, "active" if i.is_active() else "inactive", i.mac] for i in ifaces]
    ctl.print(table(["Name", "State", "MAC Address"], rows, show_header=not ctl.quiet))
    return True


@command("iface-mac")
def cmd_iface_mac(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_iface(ctl, cmd, by_mac=False).mac}\n")
    return True


@command("iface-name")
def cmd_iface_name(ctl: Control, cmd: ParsedCommand) -> bool:
    ctl.print(f"{lookup_iface(ctl, cmd, by_name=False).name}\n")
    return True


@command("iface-dumpxml")
def cmd_iface_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..xmlout import print_xml

    return print_xml(ctl, cmd, lookup_iface(ctl, cmd).xml(inactive=cmd.flag("inactive")))


@command("iface-define")
def cmd_iface_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        iface = ctl.conn.define_interface(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise CommandError(f"Failed to define interface from {path}", lib_message(exc)) from None
    ctl.print_extra(f"Interface {iface.name} defined from {path}\n")
    return True


def _simple(done: str, failed: str, action):
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        iface = lookup_iface(ctl, cmd)
        name = iface.name
        try:
            action(iface)
        except VirtError as exc:
            raise CommandError(f"Failed to {failed} interface {name}", lib_message(exc)) from None
        ctl.print_extra(f"Interface {name} {done}\n")
        return True

    return handler


command("iface-start")(_simple("started", "start", lambda i: i.start()))
command("iface-destroy")(_simple("destroyed", "destroy", lambda i: i.destroy()))
command("iface-undefine")(_simple("undefined", "undefine", lambda i: i.undefine()))


@command("iface-edit")
def cmd_iface_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..editor import edit_object

    iface = lookup_iface(ctl, cmd)
    return edit_object(ctl, iface.xml(inactive=True), lambda t: ctl.conn.define_interface(t),
                       f"Interface {iface.name} XML configuration not changed.\n",
                       lambda new: f"Interface {new.name} XML configuration edited.\n")
