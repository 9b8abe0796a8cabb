"""Virtual network commands (virsh's 'network' group)."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..format import table
from ..options import ParsedCommand
from ..util import lib_message, opt_string, read_file
from . import command


def lookup_network(ctl: Control, cmd: ParsedCommand, opt: str = "network", *,
                   by_uuid: bool = True, by_name: bool = True):
    """By UUID when the text has a UUID's length, then by name; virsh's two-line error."""
    text = opt_string(cmd, opt)
    conn = ctl.conn
    last: VirtError | None = None
    ctl.debug_log(1, f"{cmd.cmd.name}: found option <{opt}>: {text}\n")
    if by_uuid and len(text) == 36:
        ctl.debug_log(0, f"{cmd.cmd.name}: <{opt}> trying as network UUID\n")
        try:
            return conn.lookup_network_by_uuid(text)
        except VirtError as exc:
            last = exc
    if by_name:
        ctl.debug_log(0, f"{cmd.cmd.name}: <{opt}> trying as network NAME\n")
        try:
            return conn.lookup_network_by_name(text)
        except VirtError as exc:
            last = exc
    raise CommandError(f"failed to get network '{text}'", *([lib_message(last)] if last else []))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


@command("net-list")
def cmd_net_list(ctl: Control, cmd: ParsedCommand) -> bool:
    f = cmd.flag
    if sum(map(f, ("table", "name", "uuid"))) > 1:
        raise CommandError("Only one argument from --table, --name and --uuid may be specified.")
    active: bool | None = True
    if f("inactive"):
        active = False
    if f("all"):
        active = None
    kwargs: dict = {}
    if f("persistent") != f("transient"):
        kwargs["persistent"] = f("persistent")
    if f("autostart") != f("no-autostart"):
        kwargs["autostart"] = f("autostart")
    try:
        nets = ctl.conn.list_networks(active=active, **kwargs)
    except VirtError as exc:
        raise CommandError("Failed to list networks", lib_message(exc)) from None
    nets.sort(key=lambda n: n.name)
    if f("name"):
        ctl.print("".join(f"{n.name}\n" for n in nets))
        return True
    if f("uuid"):
        ctl.print("".join(f"{n.uuid}\n" for n in nets))
        return True
    rows = []
    for net in nets:
        rows.append([net.name, "active" if net.is_active() else "inactive",
                     _yes(net.autostart), _yes(net.is_persistent())])
    ctl.print(table(["Name", "State", "Autostart", "Persistent"], rows, show_header=not ctl.quiet))
    return True


@command("net-info")
def cmd_net_info(ctl: Control, cmd: ParsedCommand) -> bool:
    net = lookup_network(ctl, cmd)
    out = [f"{'Name:':<15} {net.name}\n", f"{'UUID:':<15} {net.uuid}\n"]
    out.append(f"{'Active:':<15} {_yes(net.is_active())}\n")
    out.append(f"{'Persistent:':<15} {_yes(net.is_persistent())}\n")
    out.append(f"{'Autostart:':<15} {_yes(net.autostart)}\n")
    try:
        bridge = net.bridge_name()
        if bridge:
            out.append(f"{'Bridge:':<15} {bridge}\n")
    except VirtError:
        pass
    ctl.print("".join(out))
    return True


@command("net-uuid")
def cmd_net_uuid(ctl: Control, cmd: ParsedCommand) -> bool:
    net = lookup_network(ctl, cmd, by_uuid=False)
    ctl.print(f"{net.uuid}\n")
    return True


@command("net-name")
def cmd_net_name(ctl: Control, cmd: ParsedCommand) -> bool:
    net = lookup_network(ctl, cmd, "network", by_name=False)
    ctl.print(f"{net.name}\n")
    return True


@command("net-dumpxml")
def cmd_net_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..xmlout import print_xml

    net = lookup_network(ctl, cmd)
    return print_xml(ctl, cmd, net.xml(inactive=cmd.flag("inactive")))


@command("net-define")
def cmd_net_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        net = ctl.conn.define_network(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise CommandError(f"Failed to define network from {path}", lib_message(exc)) from None
    ctl.print_extra(f"Network {net.name} defined from {path}\n")
    return True


@command("net-create")
def cmd_net_create(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(path)
    try:
        net = ctl.conn.create_network(xml, validate=cmd.flag("validate"))
    except VirtError as exc:
        raise CommandError(f"Failed to create network from {path}", lib_message(exc)) from None
    ctl.print_extra(f"Network {net.name} created from {path}\n")
    return True


def _simple(done: str, failed: str, action):
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        net = lookup_network(ctl, cmd)
        name = net.name
        try:
            action(net)
        except VirtError as exc:
            raise CommandError(f"Failed to {failed} network {name}", lib_message(exc)) from None
        ctl.print_extra(f"Network {name} {done}\n")
        return True

    return handler


command("net-start")(_simple("started", "start", lambda n: n.start()))
command("net-destroy")(_simple("destroyed", "destroy", lambda n: n.destroy()))
command("net-undefine")(_simple("has been undefined", "undefine", lambda n: n.undefine()))


@command("net-autostart")
def cmd_net_autostart(ctl: Control, cmd: ParsedCommand) -> bool:
    net = lookup_network(ctl, cmd)
    disable = cmd.flag("disable")
    try:
        net.autostart = not disable
    except VirtError as exc:
        verb = "unmark" if disable else "mark"
        raise CommandError(f"failed to {verb} network {net.name} as autostarted",
                           lib_message(exc)) from None
    ctl.print_extra(f"Network {net.name} {'unmarked' if disable else 'marked'} as autostarted\n")
    return True


@command("net-edit")
def cmd_net_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    from ..editor import edit_object, inactive_xml

    net = lookup_network(ctl, cmd)
    return edit_object(ctl, inactive_xml(net), lambda t: ctl.conn.define_network(t),
                       f"Network {net.name} XML configuration not changed.\n",
                       lambda new: f"Network {new.name} XML configuration edited.\n")


@command("net-dhcp-leases")
def cmd_net_dhcp_leases(ctl: Control, cmd: ParsedCommand) -> bool:
    """virsh's lease table; the test driver has no leases API, so only its refusal is
    verified against virsh."""
    import time

    from pyvirt.errors import VirtError

    from ..format import table
    from ..util import opt_string

    net = lookup_network(ctl, cmd)
    mac = opt_string(cmd, "mac")
    try:
        leases = net.dhcp_leases(mac)
    except VirtError as exc:
        raise CommandError(f"Failed to get leases info for {net.name}", lib_message(exc)) from None
    rows = []
    for lease in sorted(leases, key=lambda le: str(le.get("mac", ""))):
        rows.append([time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(lease.get("expirytime", 0)))),
                     str(lease.get("mac") or "-"), "ipv6" if lease.get("type") == 1 else "ipv4",
                     f"{lease.get('ipaddr')}/{lease.get('prefix')}",
                     str(lease.get("hostname") or "-"), str(lease.get("clientid") or "-")])
    ctl.print(table(["Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"],
                    rows, show_header=not ctl.quiet))
    return True
