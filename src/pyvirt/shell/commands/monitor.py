"""Domain monitoring commands that read the domain XML: domblklist, domiflist; jobs, hostname."""

from __future__ import annotations

from lxml import etree

from ..control import Control
from ..format import table
from ..options import ParsedCommand
from ..util import lookup_domain
from . import command


def _source(disk) -> str:
    src = disk.find("source")
    if src is None:
        return "-"
    for attr in ("file", "dev", "dir", "name"):
        if src.get(attr):
            return src.get(attr)
    if src.get("pool") and src.get("volume"):
        return f"{src.get('pool')}/{src.get('volume')}"
    return "-"


@command("domblklist")
def cmd_domblklist(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    root = etree.fromstring(dom.xml(inactive=cmd.flag("inactive")).encode())
    details = cmd.flag("details")
    rows = []
    for disk in root.findall("devices/disk"):
        target = disk.find("target")
        row = [target.get("dev", "-") if target is not None else "-", _source(disk)]
        if details:
            row = [disk.get("type", "-"), disk.get("device", "disk")] + row
        rows.append(row)
    header = (["Type", "Device"] if details else []) + ["Target", "Source"]
    ctl.print(table(header, rows, show_header=not ctl.quiet))
    return True


_IFACE_SOURCE = {"network": "network", "bridge": "bridge", "direct": "dev", "ethernet": None,
                 "user": None, "hostdev": None, "vhostuser": "path", "server": "address",
                 "client": "address", "mcast": "address", "udp": "address", "vdpa": "dev"}


@command("domiflist")
def cmd_domiflist(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    root = etree.fromstring(dom.xml(inactive=cmd.flag("inactive")).encode())
    rows = []
    for iface in root.findall("devices/interface"):
        kind = iface.get("type", "-")
        target = iface.find("target")
        src = iface.find("source")
        attr = _IFACE_SOURCE.get(kind)
        source = src.get(attr, "-") if (src is not None and attr) else "-"
        model = iface.find("model")
        mac = iface.find("mac")
        rows.append([
            target.get("dev", "-") if target is not None else "-",
            kind, source or "-",
            model.get("type", "-") if model is not None else "-",
            mac.get("address", "-") if mac is not None else "-",
        ])
    ctl.print(table(["Interface", "Type", "Source", "Model", "MAC"], rows, show_header=not ctl.quiet))
    return True


@command("domhostname")
def cmd_domhostname(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    ctl.print(f"{dom.hostname()}\n")
    return True


@command("domjobabort")
def cmd_domjobabort(ctl: Control, cmd: ParsedCommand) -> bool:
    lookup_domain(ctl, cmd).abort_job()
    return True
