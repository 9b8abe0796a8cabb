"""Snapshot commands (virsh's 'snapshot' group): create, list (flat and tree), info, revert..."""

from __future__ import annotations

import time

from lxml import etree

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..editor import _EDIT_FAILED, edit_retry, edit_text
from ..format import table
from ..options import ParsedCommand
from ..util import lib_message, lookup_domain, opt_string, read_file
from ..xmlout import print_xml
from . import command


def _lookup(ctl: Control, cmd: ParsedCommand, dom, arg: str = "snapshotname", exclusive: bool = True):
    """virsh's snapshot selection: by name, or --current; exactly one of them."""
    current = cmd.flag("current")
    name = opt_string(cmd, arg)
    if exclusive and current and name:
        raise CommandError(f"--{arg} and --current are mutually exclusive")
    if name:
        return dom.lookup_snapshot(name)
    if current:
        return dom.current_snapshot()
    raise CommandError(f"--{arg} or --current is required")


def _xml_root(snap):
    return etree.fromstring(snap.xml().encode())


def _parent_name(snap) -> str | None:
    try:
        return snap.parent().name
    except VirtError as exc:
        if getattr(exc, "code", None) is not None and "no parent" in exc.message:
            return None
        from pyvirt.errors import ErrorNumber

        if exc.code == ErrorNumber.NO_DOMAIN_SNAPSHOT:
            return None
        raise


# -- create --------------------------------------------------------------------------------------


def _create_flags(cmd: ParsedCommand) -> dict:
    names = {
        "redefine": "redefine", "current": "current", "no-metadata": "no_metadata", "halt": "halt",
        "disk-only": "disk_only", "reuse-external": "reuse_ext", "quiesce": "quiesce",
        "atomic": "atomic", "live": "live", "validate": "validate",
    }
    return {kw: True for opt, kw in names.items() if cmd.cmd.option(opt) and cmd.flag(opt)}


@command("snapshot-create")
def cmd_snapshot_create(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    path = opt_string(cmd, "xmlfile")
    xml = read_file(path) if path else "<domainsnapshot/>"
    snap = dom.create_snapshot(xml, **_create_flags(cmd))
    if path:
        ctl.print_extra(f"Domain snapshot {snap.name} created from '{path}'")
    else:
        ctl.print_extra(f"Domain snapshot {snap.name} created")
    return True


def _parse_spec(text: str, first: str, keys: tuple[str, ...], what: str) -> dict[str, str]:
    from .misc import _split_commas

    items = _split_commas(text)
    out: dict[str, str] = {}
    for index, item in enumerate(items):
        key, eq, value = item.partition("=")
        if index == 0 and (not eq or key == first):
            out[first] = value if eq else item
            continue
        if not eq or key not in keys or key in out:
            raise CommandError(f"unable to parse {what}: {text}")
        out[key] = value
    return out


def _memspec(parent, text: str) -> None:
    spec = _parse_spec(text, "file", ("file", "snapshot"), "memspec")
    if not spec.get("file") and not spec.get("snapshot"):
        raise CommandError(f"unable to parse memspec: {text}")
    mem = etree.SubElement(parent, "memory")
    if spec.get("snapshot"):
        mem.set("snapshot", spec["snapshot"])
    if spec.get("file"):
        mem.set("file", spec["file"])


def _diskspec(parent, text: str) -> None:
    spec = _parse_spec(text, "name", ("snapshot", "driver", "stype", "file"), "diskspec")
    name = spec.get("name", "")
    if not name:
        raise CommandError(f"unable to parse diskspec: {text}")
    disk = etree.SubElement(parent, "disk", name=name)
    if spec.get("snapshot"):
        disk.set("snapshot", spec["snapshot"])
    stype = spec.get("stype")
    if stype:
        if stype not in ("file", "block"):
            raise CommandError(f"unable to parse diskspec: {text}")
        disk.set("type", stype)
    if spec.get("driver"):
        etree.SubElement(disk, "driver", type=spec["driver"])
    if spec.get("file"):
        etree.SubElement(disk, "source", **{"dev" if stype == "block" else "file": spec["file"]})


@command("snapshot-create-as")
def cmd_snapshot_create_as(ctl: Control, cmd: ParsedCommand) -> bool:
    from pyvirt._core import xmlcore

    dom = lookup_domain(ctl, cmd)
    root = etree.Element("domainsnapshot")
    name = opt_string(cmd, "name")
    desc = opt_string(cmd, "description")
    if name is not None:
        etree.SubElement(root, "name").text = name
    if desc is not None:
        etree.SubElement(root, "description").text = desc
    memspec = opt_string(cmd, "memspec")
    if memspec:
        _memspec(root, memspec)
    specs = cmd.argv("diskspec")
    if specs:
        disks = etree.SubElement(root, "disks")
        for spec in specs:
            _diskspec(disks, spec)
    xml = xmlcore.format(root)
    if cmd.flag("print-xml"):
        ctl.print(xml if xml.endswith("\n") else xml + "\n")
        ctl.print("\n")
        return True
    snap = dom.create_snapshot(xml, **_create_flags(cmd))
    ctl.print_extra(f"Domain snapshot {snap.name} created")
    return True


# -- queries ------------------------------------------------------------------------------------


@command("snapshot-current")
def cmd_snapshot_current(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    target = opt_string(cmd, "snapshotname")
    if target:
        if cmd.flag("name") or cmd.flag("security-info"):
            other = "name" if cmd.flag("name") else "security-info"
            raise CommandError(f"Options --{other} and --snapshotname are mutually exclusive")
        snap = dom.lookup_snapshot(target)
        xml = snap.xml(secure=True)
        dom.create_snapshot(xml, redefine=True, current=True)
        ctl.print_extra(f"Snapshot {target} set as current")
        return True
    if not dom.has_current_snapshot():
        raise CommandError(f"domain '{dom.name}' has no current snapshot")
    snap = dom.current_snapshot()
    if cmd.flag("name"):
        ctl.print(snap.name)
    else:
        ctl.print(snap.xml(secure=cmd.flag("security-info")))
    return True


@command("snapshot-info")
def cmd_snapshot_info(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    snap = _lookup(ctl, cmd, dom)
    out = []

    def kv(key: str, value: object) -> None:
        out.append(f"{key:<15} {value}\n")

    kv("Name:", snap.name)
    kv("Domain:", dom.name)
    kv("Current:", "yes" if snap.is_current() else "no")
    root = _xml_root(snap)
    state = root.findtext("state") or ""
    kv("State:", state)
    kv("Location:", _location(root))
    parent = _parent_name(snap)
    kv("Parent:", parent or "-")
    try:
        kv("Children:", snap.num_children())
        kv("Descendants:", snap.num_children(descendants=True))
    except VirtError:
        pass
    try:
        kv("Metadata:", "yes" if snap.has_metadata() else "no")
    except VirtError:
        pass
    ctl.print("".join(out))
    return True


def _location(root) -> str:
    external = root.xpath("count(memory[@snapshot='external'] | disks/disk[@snapshot='external'])")
    internal = root.xpath("count(memory[@snapshot='internal'] | disks/disk[@snapshot='internal'])")
    if external and internal:
        return "mixed"
    if external:
        return "external"
    if internal:
        return "internal"
    return "internal" if root.findtext("state") != "disk-snapshot" else "external"


@command("snapshot-dumpxml")
def cmd_snapshot_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    snap = dom.lookup_snapshot(opt_string(cmd, "snapshotname"))
    return print_xml(ctl, cmd, snap.xml(secure=cmd.flag("security-info")))


@command("snapshot-parent")
def cmd_snapshot_parent(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    snap = _lookup(ctl, cmd, dom)
    parent = _parent_name(snap)
    if parent is None:
        raise CommandError(f"snapshot '{snap.name}' has no parent")
    ctl.print(parent)
    return True


# -- list ----------------------------------------------------------------------------------------


@command("snapshot-list")
def cmd_snapshot_list(ctl: Control, cmd: ParsedCommand) -> bool:
    f = cmd.flag
    tree, names_only = f("tree"), f("name")
    for a, b in (("parent", "roots"), ("parent", "tree"), ("roots", "tree"), ("tree", "name")):
        if f(a) and f(b):
            raise CommandError(f"Options --{a} and --{b} are mutually exclusive")
    filters: dict = {}
    for opt in ("leaves", "no-leaves", "inactive", "active", "disk-only", "internal", "external"):
        if f(opt):
            if tree:
                raise CommandError(f"--{opt} and --tree are mutually exclusive")
    if f("leaves") != f("no-leaves"):
        filters["leaves"] = f("leaves")
    elif f("leaves"):
        filters["flags"] = _flag_bits("LEAVES", "NO_LEAVES")
    if f("metadata") != f("no-metadata"):
        filters["metadata"] = f("metadata")
    elif f("metadata"):
        filters["flags"] = filters.get("flags", 0) | _flag_bits("METADATA", "NO_METADATA")
    for opt, kw in (("inactive", "inactive"), ("active", "active"), ("disk-only", "disk_only"),
                    ("internal", "internal"), ("external", "external"), ("topological", "topological")):
        if f(opt):
            filters[kw] = True
    dom = lookup_domain(ctl, cmd)
    start = None
    if cmd.has("from") or f("current"):
        if f("roots"):
            raise CommandError(
                "Options --roots and --from are mutually exclusive" if cmd.has("from")
                else "Options --roots and --current are mutually exclusive"
            )
        start = _lookup(ctl, cmd, dom, "from")
    try:
        if start is not None:
            snaps = start.children(descendants=f("descendants"), **filters)
        else:
            snaps = dom.snapshots(roots=f("roots"), **filters)
    except VirtError as exc:
        raise CommandError("unable to collect snapshot list", lib_message(exc)) from None
    if not f("topological"):
        snaps = sorted(snaps, key=lambda s: s.name)
    if tree and start is not None:
        snaps = [start] + snaps
    if tree:
        parents = []
        names = [s.name for s in snaps]
        for index, snap in enumerate(snaps):
            parent = None if (start is not None and index == 0) else _parent_name(snap)
            parents.append(parent if parent in names else None)
        ctl.print(_tree(names, parents))
        return True
    if names_only:
        ctl.print("".join(f"{s.name}\n" for s in snaps))
        return True
    header = ["Name", "Creation Time", "State"] + (["Parent"] if f("parent") else [])
    rows = []
    for snap in snaps:
        root = _xml_root(snap)
        created = int(root.findtext("creationTime") or 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(created))
        row = [snap.name, stamp, root.findtext("state") or ""]
        if f("parent"):
            row.append(root.findtext("parent/name") or "")
        rows.append(row)
    ctl.print(table(header, rows, show_header=not ctl.quiet))
    return True


def _flag_bits(*names: str) -> int:
    from pyvirt.enums import DomainSnapshotListFlags as L

    value = 0
    for name in names:
        value |= int(getattr(L, name))
    return value


def _tree(names: list[str], parents: list[str | None]) -> str:
    """virsh's ASCII tree: roots flush left, children under '+- ' with '|' connectors."""
    out: list[str] = []

    def walk(index: int, last: int, root: bool, indent: str) -> None:
        name = names[index]
        out.append(f"{indent}{'' if root else '+- '}{name}\n")
        if not root:
            indent += (" " if index == last else "|") + " "
        children = [i for i, p in enumerate(parents) if p == name]
        next_last = children[-1] if children else -1
        if children:
            out.append(f"{indent}  |\n")
        for child in children:
            walk(child, next_last, False, indent + "  ")
        if not children and index == last:
            out.append(f"{indent}\n")

    for i, parent in enumerate(parents):
        if parent is None:
            walk(i, i, True, "")
    return "".join(out)


# -- changes ---------------------------------------------------------------------------------------


@command("snapshot-revert")
def cmd_snapshot_revert(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    snap = _lookup(ctl, cmd, dom)
    try:
        snap.revert(running=cmd.flag("running"), paused=cmd.flag("paused"), force=cmd.flag("force"),
                    reset_nvram=cmd.flag("reset-nvram"))
    except VirtError as exc:
        raise CommandError(f"Failed to revert snapshot {snap.name}", lib_message(exc)) from None
    ctl.print_extra(f"Domain snapshot {snap.name} reverted\n")
    return True


@command("snapshot-delete")
def cmd_snapshot_delete(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    snap = _lookup(ctl, cmd, dom)
    name = snap.name
    try:
        snap.delete(children=cmd.flag("children"), children_only=cmd.flag("children-only"),
                    metadata_only=cmd.flag("metadata"))
    except VirtError as exc:
        raise CommandError(f"Failed to delete snapshot {name}", lib_message(exc)) from None
    if cmd.flag("children-only"):
        ctl.print_extra(f"Domain snapshot {name} children deleted\n")
    else:
        ctl.print_extra(f"Domain snapshot {name} deleted\n")
    return True


@command("snapshot-edit")
def cmd_snapshot_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    if cmd.flag("rename") and cmd.flag("clone"):
        raise CommandError("Options --rename and --clone are mutually exclusive")
    snap = _lookup(ctl, cmd, dom)
    name = snap.name
    was_current = snap.is_current()
    original = snap.xml(secure=True)
    edited = edit_text(ctl, original, ".xml")
    if edited is None:
        return False
    if edited == original:
        ctl.print_extra(f"Snapshot {name} XML configuration not changed.\n")
        return True
    new = edit_retry(ctl, lambda t: dom.create_snapshot(t, redefine=True, current=was_current),
                     edited, ".xml")
    if new is _EDIT_FAILED:
        return False
    if new.name != name:
        if not (cmd.flag("rename") or cmd.flag("clone")):
            raise CommandError(f"cannot change snapshot name from {name} to {new.name}")
        if cmd.flag("rename"):
            snap.delete(metadata_only=True)
    ctl.print_extra(f"Snapshot {new.name} edited.\n")
    return True
