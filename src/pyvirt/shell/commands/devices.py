"""Device hot-plug commands: attach-device, detach-device, update-device, detach-device-alias.

virsh reads the device XML itself and hands it to the library, so file errors are virsh's
and everything about the device (parsing included) is the driver's.
"""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import lookup_domain, opt_string, read_file
from . import command
from .domain import _fail


def _impact_opts(cmd: ParsedCommand, *, persistent: bool = True) -> None:
    """virsh's exclusive-option checks, in its order, before the domain is looked up."""
    current = cmd.flag("current")
    if current and cmd.flag("live"):
        raise CommandError("Options --current and --live are mutually exclusive")
    if current and cmd.flag("config"):
        raise CommandError("Options --current and --config are mutually exclusive")
    if persistent and cmd.flag("persistent") and current:
        raise CommandError("Options --persistent and --current are mutually exclusive")


def _device_keywords(cmd: ParsedCommand, dom) -> dict:  # type: ignore[no-untyped-def]
    """--persistent is config, plus live when the domain runs; any option at all (even
    --current) selects the *Flags API, none the plain one -- as virsh chooses."""
    live, config = cmd.flag("live"), cmd.flag("config")
    if cmd.cmd.option("persistent") and cmd.flag("persistent"):
        config = True
        if dom.is_active():
            live = True
    if live or config or cmd.flag("current"):
        return {"live": live, "config": config}
    return {}


def _from_file(verb: str, past: str, method: str, *, force: bool = False):  # type: ignore[no-untyped-def]
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        _impact_opts(cmd)
        dom = lookup_domain(ctl, cmd)
        path = opt_string(cmd, "file")
        xml = read_file(path)
        kwargs = _device_keywords(cmd, dom)
        if force:  # update-device always uses the flags API
            kwargs = {"live": kwargs.get("live", False), "config": kwargs.get("config", False),
                      "force": cmd.flag("force")}
        try:
            getattr(dom, method)(xml, **kwargs)
        except VirtError as exc:
            raise _fail(f"Failed to {verb} device from {path}", exc) from None
        ctl.print_extra(f"Device {past} successfully\n")
        return True

    return handler


command("attach-device")(_from_file("attach", "attached", "attach_device"))
command("detach-device")(_from_file("detach", "detached", "detach_device"))
command("update-device")(_from_file("update", "updated", "update_device", force=True))


@command("detach-device-alias")
def cmd_detach_device_alias(ctl: Control, cmd: ParsedCommand) -> bool:
    _impact_opts(cmd, persistent=False)
    dom = lookup_domain(ctl, cmd)
    alias = opt_string(cmd, "alias")
    try:
        dom.detach_device_alias(alias, live=cmd.flag("live"), config=cmd.flag("config"))
    except VirtError as exc:
        raise _fail(f"Failed to detach device with alias {alias}", exc) from None
    ctl.print_extra("Device detach request sent successfully\n")
    return True


# -- attach-disk: virsh builds the <disk> XML from options ----------------------------------


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


def _disk_address(text: str, target: str) -> str:
    import re

    forms = {"pci": r"([0-9a-fA-F]+)\.([0-9a-fA-F]+)\.([0-9a-fA-F]+)\.([0-9a-fA-F]+)",
             "ccw": r"([0-9a-fA-F]+)\.([0-9a-fA-F]+)\.([0-9a-fA-F]+)",
             "scsi": r"(\d+)\.(\d+)\.(\d+)", "sata": r"(\d+)\.(\d+)\.(\d+)",
             "ide": r"(\d+)\.(\d+)\.(\d+)", "usb": r"(\d+)\.(\d+)"}
    kind, _, rest = text.partition(":")
    match = re.fullmatch(forms[kind], rest) if kind in forms else None
    if match is None:
        raise CommandError("Invalid address.")
    expect = {"vd": (("pci", "ccw"), "a pci:0000.00.00.00 or ccw:00.0.0000"),
              "sd": (("scsi", "usb", "sata"), "a scsi:00.00.00 or usb:00.00 or sata:00.00.00"),
              "hd": (("ide",), "an ide:00.00.00")}.get(target[:2])
    if expect is not None and kind not in expect[0]:
        raise CommandError(f"expecting {expect[1]} address.")
    if kind == "pci":
        d, b, s, f = (int(g, 16) for g in match.groups())
        return f"<address type='pci' domain='0x{d:04x}' bus='0x{b:02x}' slot='0x{s:02x}' function='0x{f:x}'/>"
    if kind == "ccw":
        c, s, n = (int(g, 16) for g in match.groups())
        return f"<address type='ccw' cssid='0x{c:02x}' ssid='0x{s:x}' devno='0x{n:04x}'/>"
    if kind == "usb":
        b, p = (int(g) for g in match.groups())
        return f"<address type='usb' bus='{b}' port='{p}'/>"
    c, b, u = (int(g) for g in match.groups())
    return f"<address type='drive' controller='{c}' bus='{b}' unit='{u}'/>"


def _disk_xml(cmd: ParsedCommand) -> str:
    import os
    import re
    import stat

    g = cmd.get
    source, target = opt_string(cmd, "source", empty_ok=True), opt_string(cmd, "target")
    mode = g("mode")
    if mode is not None and mode not in ("readonly", "shareable"):
        raise CommandError(f"No support for {mode} in command 'attach-disk'")
    for name in ("source-protocol", "source-host-name", "source-host-transport", "source-host-socket",
                 "multifunction"):
        if cmd.has(name):
            raise CommandError(f"pyvirsh does not implement attach-disk --{name} yet")
    stype = g("sourcetype")
    if stype is None:
        kind = "file"
        driver = g("driver")
        if driver not in ("file", "tap") and source:
            try:
                if stat.S_ISBLK(os.stat(source).st_mode):
                    kind = "block"
            except OSError:
                pass
    elif stype in ("file", "block"):
        kind = stype
    else:
        raise CommandError(f"Unknown source type: '{stype}'")
    wwn = g("wwn")
    if wwn is not None and not re.fullmatch(r"(0x)?[0-9a-fA-F]{16}", wwn):
        raise CommandError(f"internal error: Malformed wwn: {wwn}")
    head = f"<disk type='{kind}'"
    if g("type") is not None:
        head += f" device='{_attr(g('type'))}'"
    if cmd.flag("rawio"):
        head += " rawio='yes'"
    lines = [head + ">"]
    drv = "".join(f" {attr}='{_attr(g(opt))}'" for opt, attr in
                  (("driver", "name"), ("subdriver", "type"), ("iothread", "iothread"),
                   ("cache", "cache"), ("io", "io")) if g(opt) is not None)
    if drv:
        lines.append(f"  <driver{drv}/>")
    lines.append(f"  <source {'file' if kind == 'file' else 'dev'}='{_attr(source or '')}'/>")
    tgt = f"  <target dev='{_attr(target)}'"
    if g("targetbus") is not None:
        tgt += f" bus='{_attr(g('targetbus'))}'"
    lines.append(tgt + "/>")
    if mode is not None:
        lines.append(f"  <{mode}/>")
    if g("serial") is not None:
        lines.append(f"  <serial>{g('serial')}</serial>")
    if g("alias") is not None:
        lines.append(f"  <alias name='{_attr(g('alias'))}'/>")
    if wwn is not None:
        lines.append(f"  <wwn>{wwn}</wwn>")
    if g("address") is not None:
        lines.append("  " + _disk_address(g("address"), target))
    lines.append("</disk>")
    return "\n".join(lines) + "\n"


@command("attach-disk")
def cmd_attach_disk(ctl: Control, cmd: ParsedCommand) -> bool:
    _impact_opts(cmd)
    xml = _disk_xml(cmd)
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    dom = lookup_domain(ctl, cmd)
    kwargs = _device_keywords(cmd, dom)
    try:
        dom.attach_device(xml, **kwargs)
    except VirtError as exc:
        raise _fail("Failed to attach disk", exc) from None
    ctl.print_extra("Disk attached successfully\n")
    return True


@command("detach-disk")
def cmd_detach_disk(ctl: Control, cmd: ParsedCommand) -> bool:
    """virsh picks the <disk> whose target or source is the argument from the domain XML
    (the inactive one with --config) and detaches it as libxml2 dumps it."""
    from lxml import etree

    _impact_opts(cmd)
    dom = lookup_domain(ctl, cmd)
    target = opt_string(cmd, "target")
    kwargs = _device_keywords(cmd, dom)
    inactive = bool(kwargs.get("config")) and not kwargs.get("live")
    root = etree.fromstring(dom.xml(inactive=inactive).encode())
    found = None
    for disk in root.findall("devices/disk"):
        tgt, src = disk.find("target"), disk.find("source")
        names = [tgt.get("dev")] if tgt is not None else []
        if src is not None:
            names += [src.get(a) for a in ("file", "dev", "dir", "name")]
        if target in names:
            found = disk
            break
    if found is None:
        raise CommandError(f"No disk found whose source path or target is {target}")
    xml = etree.tostring(found, with_tail=False, encoding="unicode")
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    try:
        dom.detach_device(xml, **kwargs)
    except VirtError as exc:
        raise _fail("Failed to detach disk", exc) from None
    ctl.print_extra("Disk detached successfully\n")
    return True


# -- attach-interface ------------------------------------------------------------------------

_IFACE_TYPES = ("network", "bridge", "ethernet", "direct", "hostdev", "vhostuser", "server",
                "client", "mcast", "udp", "vdpa")


def _rate(cmd: ParsedCommand, which: str) -> str | None:
    text = opt_string(cmd, which)
    if text is None:
        return None
    parts = text.split(",")
    names = ["average", "peak", "burst", "floor"]
    values: list[int | None] = []
    for name, part in zip(names, parts, strict=False):
        if part == "":
            values.append(None)
            continue
        if not part.isdigit():
            raise CommandError(f"field '{name}' is malformed")
        values.append(int(part))
    if len(parts) > 4:
        raise CommandError(f"pyvirsh does not implement this --{which} value yet")
    if not values or not values[0]:
        raise CommandError(f"{which} average is mandatory")
    return "".join(f" {n}='{v}'" for n, v in zip(names, values, strict=False) if v is not None)


@command("attach-interface")
def cmd_attach_interface(ctl: Control, cmd: ParsedCommand) -> bool:
    _impact_opts(cmd)
    kind, source = opt_string(cmd, "type"), opt_string(cmd, "source")
    if kind not in _IFACE_TYPES:
        raise CommandError(f"No support for {kind} in command 'attach-interface'")
    if kind not in ("network", "bridge"):
        raise CommandError(f"pyvirsh does not implement attach-interface of type {kind} yet")
    for name in ("source-mode", "managed"):
        if cmd.has(name):
            raise CommandError(f"pyvirsh does not implement attach-interface --{name} yet")
    fields = {name: opt_string(cmd, name) for name in ("target", "mac", "script", "model", "alias")}
    inbound, outbound = _rate(cmd, "inbound"), _rate(cmd, "outbound")
    lines = [f"<interface type='{kind}'>", f"  <source {kind}='{source}'/>"]
    for name, xml in (("target", "<target dev='{}'/>"), ("mac", "<mac address='{}'/>"),
                      ("script", "<script path='{}'/>"), ("model", "<model type='{}'/>"),
                      ("alias", "<alias name='{}'/>")):
        if fields[name] is not None:
            lines.append("  " + xml.format(fields[name]))
    if inbound or outbound:
        lines.append("  <bandwidth>")
        if inbound:
            lines.append(f"    <inbound{inbound}/>")
        if outbound:
            lines.append(f"    <outbound{outbound}/>")
        lines.append("  </bandwidth>")
    lines.append("</interface>")
    xml = "\n".join(lines) + "\n"
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    dom = lookup_domain(ctl, cmd)
    kwargs = _device_keywords(cmd, dom)
    try:
        dom.attach_device(xml, **kwargs)
    except VirtError as exc:
        raise _fail("Failed to attach interface", exc) from None
    ctl.print_extra("Interface attached successfully\n")
    return True


@command("detach-interface")
def cmd_detach_interface(ctl: Control, cmd: ParsedCommand) -> bool:
    """virsh picks the <interface> of the given type (and MAC) from the domain XML and
    detaches it as libxml2 dumps it."""
    from lxml import etree

    _impact_opts(cmd)
    dom = lookup_domain(ctl, cmd)
    kind, mac = opt_string(cmd, "type"), opt_string(cmd, "mac")
    kwargs = _device_keywords(cmd, dom)
    inactive = bool(kwargs.get("config")) and not kwargs.get("live")
    root = etree.fromstring(dom.xml(inactive=inactive).encode())
    matches = [i for i in root.findall("devices/interface") if i.get("type") == kind]
    if not matches:
        raise CommandError(f"No interface found whose type is {kind}", "Failed to detach interface")
    if mac is not None:
        matches = [i for i in matches if i.find("mac") is not None
                   and i.find("mac").get("address", "").lower() == mac.lower()]
        if not matches:
            raise CommandError(f"No interface with MAC address {mac} was found", "Failed to detach interface")
    elif len(matches) > 1:
        raise CommandError(f"Domain has {len(matches)} interfaces. Please specify which one to detach "
                           "using --mac", "Failed to detach interface")
    xml = etree.tostring(matches[0], with_tail=False, encoding="unicode")
    if cmd.flag("print-xml"):
        ctl.print(xml)
        return True
    try:
        dom.detach_device(xml, **kwargs)
    except VirtError as exc:
        raise _fail("Failed to detach interface", exc) from None
    ctl.print_extra("Interface detached successfully\n")
    return True
