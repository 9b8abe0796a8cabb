"""The generic post-parse of ``<devices>``: defaults, addresses and implicit devices.

Each function mirrors one step libvirt's generic parse takes for a device kind (disk bus and
drive address, controller index, serial port numbers and the console alias of the first
serial port, graphics ports and listens, the implicit video and its model defaults, ...).
Values that depend on a model are looked up in :mod:`.tables`.
"""

from __future__ import annotations

import copy
import uuid

from lxml import etree

from ..._core.xmlcore import add, attr_rows, child, child_tags, children, insertion_order, permute
from ..._core.xmlcore import get as aget
from ..._core.xmlcore import set as aset
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..units import parse_scaled
from ..values import generate_mac, invalid_prop, normalize_mac, prop_uint, uint_prop
from .address import normalize_address
from .attrs import set_after, set_after_last_of, set_first
from .tables import (
    DEVICE_ORDER,
    DISK_BUS_BY_PREFIX,
    DRIVE_LAYOUT,
    IMPLICIT_DISK_CONTROLLERS,
    VIDEO_DEFAULTS,
)

D = ErrorDomain.DOMAIN
E = etree.Element


def err(code: int, detail: str | None = None, domain: int = D) -> Exception:
    return virt_error(code, detail, domain=domain)


# ---------------------------------------------------------------------------------------------
# helpers


_NAME_INDEX: dict[str, int] = {}


def disk_name_index(name: str | None) -> int:
    """libvirt's virDiskNameToIndex: 'hda' -> 0, 'sdaa' -> 26; -1 when not a disk name."""
    if not name:
        return -1
    known = _NAME_INDEX.get(name)
    if known is None:
        known = _disk_name_index(name)
        if len(_NAME_INDEX) < 4096:
            _NAME_INDEX[name] = known
    return known


def _disk_name_index(name: str) -> int:
    for prefix in ("fd", "hd", "vd", "sd", "xvd", "ubd"):
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            break
    else:
        return -1
    idx = 0
    i = 0
    while i < len(rest) and "a" <= rest[i] <= "z":
        idx = (idx + (1 if i else 0)) * 26 + (ord(rest[i]) - 97)
        i += 1
    if i == 0 or not rest[i:].isdigit() and rest[i:] != "":
        return -1
    return idx


def sorted_insert(items: list, key_same, key_index, key_companion=None) -> list:  # type: ignore[no-untyped-def]
    """Re-create libvirt's insertion order (virDomainDiskInsert / ControllerInsert).

    Each item goes after the last earlier item of the same group, or before the first
    later-positioned item of that group whose index is greater (or, for a USB master, before
    a companion controller with the same index); unrelated items keep their order.
    Keys are computed once per item (they read the tree); the placement runs in the core.
    """
    keys = [
        (key_same(item), key_index(item), bool(key_companion and key_companion(item)))
        for item in items
    ]
    try:
        return [items[i] for i in insertion_order(keys)]
    except OverflowError:  # an index beyond 64 bits: same rule, in Python
        return [items[i] for i in insertion_order_py(keys)]


def insertion_order_py(keys: list[tuple[object, int | None, bool]]) -> list[int]:
    """:func:`xmlcore.insertion_order` in Python (the reference; any size of index)."""
    out: list[tuple[object, int | None, bool, int]] = []
    for position, (group, index, companion) in enumerate(keys):
        at = -1
        for pos in range(len(out) - 1, -1, -1):
            other_group, other_index, other_companion, _ = out[pos]
            if other_group != group:
                continue
            if index is None:
                at = pos + 1
                break
            if other_index is not None and other_index > index:
                at = pos
            elif not companion and other_companion and other_index == index:
                at = pos
            elif at == -1:
                at = pos + 1
        entry = (group, index, companion, position)
        if at == -1:
            out.append(entry)
        else:
            out.insert(at, entry)
    return [entry[3] for entry in out]


def _is_companion(c: etree._Element) -> bool:
    return child(c, "master") is not None or (aget(c, "model") or "") in USB_COMPANION_PORTS


def post_parse_devices(root: etree._Element, devices: etree._Element, os_type: str, arch: str) -> None:
    """Run each device step whose device kind is present (one pass finds the kinds)."""
    hvm = os_type == "hvm"
    present = child_tags(devices)
    highest: dict[str, int] = {}  # highest drive controller index used per disk bus
    existing: set[tuple[str | None, str | None]] = set()  # (type, index) of controllers
    if "disk" in present:
        highest = _disks(devices)
    if "controller" in present:
        existing = _controllers(devices)
    if "interface" in present:
        _interfaces(devices)
        _interface_details(devices)
    if present & _CHR_KINDS:
        if "serial" in present or "console" in present or "parallel" in present:
            _chardevs(devices, hvm)
        _chr_sources(devices)
    if "input" in present:
        _inputs(devices, hvm)
    if "graphics" in present:
        _graphics(devices)
    if "video" in present or "graphics" in present:
        _videos(devices, "xen" if os_type == "xen" else "vga" if arch.startswith("ppc64") else "cirrus")
    if "hostdev" in present:
        _hostdevs(devices)
    if "filesystem" in present:
        _filesystems(devices)
    if "watchdog" in present:
        for dog in children(devices, "watchdog"):
            if aget(dog, "action") is None:
                aset(dog, "action", "reset")
    if "panic" in present:
        _drop_empty(devices, "panic")
    if "shmem" in present:
        _shmems(devices)
    if "smartcard" in present:
        _smartcards(devices)
    if "rng" in present:
        _rngs(devices)
    if "redirfilter" in present:
        _redirfilters(devices)
    if highest or present & _IMPLICIT_TRIGGERS:
        _implicit_controllers(devices, present, highest, existing)
    if "controller" in present:
        _usb_masters(devices)


_CHR_KINDS = frozenset({"serial", "parallel", "console", "channel", "redirdev", "smartcard"})
_IMPLICIT_TRIGGERS = frozenset({"channel", "console", "smartcard", "hostdev"})


# -- disks ------------------------------------------------------------------------------------


def _disks(devices: etree._Element) -> dict[str, int]:
    disks = list(children(devices, "disk"))
    if not disks:
        return
    # libvirt inserts each parsed disk by (bus as written, drive index); one disk stays put
    ordered = disks
    if len(disks) > 1:
        keys: list[tuple[str | None, int, bool]] = []
        for d in disks:
            t = child(d, "target")
            keys.append((None, -1, False) if t is None else (aget(t, "bus"), disk_name_index(aget(t, "dev")), False))
        try:
            order = insertion_order(keys)
        except OverflowError:  # an index beyond 64 bits: same rule, in Python
            order = insertion_order_py(keys)
        ordered = [disks[i] for i in order]
        if ordered != disks:
            permute(devices, disks, ordered)  # kinds are grouped later by the canonical order
    highest: dict[str, int] = {}
    for disk in ordered:
        used = _disk(disk)
        if used is not None:
            bus, n = used
            if n > highest.get(bus, -1):
                highest[bus] = n
    return highest


def _disk(disk: etree._Element) -> tuple[str, int] | None:
    """One disk's defaults; returns (bus, drive controller) when it sits on a drive bus."""
    device = aget(disk, "device")
    if device is None:
        device = "disk"
        aset(disk, "device", device)
    target = child(disk, "target")
    if target is None:
        raise err(ErrorNumber.NO_TARGET, _disk_source_name(disk))
    dev = aget(target, "dev")
    bus = aget(target, "bus")
    if bus is None:
        if device == "floppy":
            bus = "fdc"
        else:
            for prefix, name in DISK_BUS_BY_PREFIX:
                if dev and dev.startswith(prefix):
                    bus = name
                    break
            else:
                bus = "ide"
        aset(target, "bus", bus)
    if aget(disk, "type") == "vhostuser" and aget(disk, "snapshot") is None:
        aset(disk, "snapshot", "no")
    src = child(disk, "source")
    if src is None and device in ("cdrom", "floppy") and aget(disk, "type") == "block":
        aset(disk, "type", "file")  # an empty removable drive is a file drive to libvirt
    if src is not None:
        port = NETWORK_DISK_PORTS.get(aget(src, "protocol") or "")
        if port is not None:
            for host in children(src, "host"):
                if aget(host, "port") is None and aget(host, "transport") != "unix":
                    aset(host, "port", port)
    if aget(target, "tray") == "closed":
        del target.attrib["tray"]  # only an open tray is written
    if src is not None:
        for label in children(src, "seclabel"):
            if aget(label, "labelskip") == "yes":
                src.remove(label)  # a live-only relabel hint: not part of the inactive config
    tags = child_tags(disk)
    if "mirror" in tags:
        for mirror in children(disk, "mirror"):
            disk.remove(mirror)  # block-job state: live XML only
    if "backingStore" in tags:
        for bs in _backing_stores(disk):
            bs.attrib.pop("index", None)
    if device == "cdrom" and "readonly" not in tags:
        add(disk, "readonly")  # placed by the canonical order pass
    layout = DRIVE_LAYOUT.get(bus)
    addr = child(disk, "address") if "address" in tags else None
    if addr is None and disk_name_index(dev) < 0:
        raise err(ErrorNumber.XML_ERROR, f"Unknown disk name '{dev}' and no address specified")
    if layout is not None and addr is None:
        idx = disk_name_index(dev)
        per_ctrl, per_bus = layout
        add(disk, "address", None, (("type", "drive"), ("controller", str(idx // per_ctrl)),
                                    ("bus", str((idx % per_ctrl) // per_bus)), ("target", "0"),
                                    ("unit", str(idx % per_bus))))
        return bus, idx // per_ctrl
    if addr is not None and aget(addr, "type") == "drive":
        for name in ("controller", "bus", "target", "unit"):
            if aget(addr, name) is None:
                aset(addr, name, "0")
        if layout is not None:
            return bus, int(aget(addr, "controller", "0"))  # already respelled in decimal
    return None


#: default port of a network disk host, per protocol (libvirt fills it in when absent)
NETWORK_DISK_PORTS = {
    "nbd": "10809", "iscsi": "3260", "gluster": "24007", "sheepdog": "7000", "http": "80",
    "https": "443", "ftp": "21", "ftps": "990", "tftp": "69", "ssh": "22", "vxhs": "9999",
}  # fmt: skip


def _backing_stores(disk: etree._Element) -> list[etree._Element]:
    """The chain of <backingStore> elements below a disk (usually none)."""
    out = []
    level = children(disk, "backingStore")
    while level:
        out.extend(level)
        level = [b for bs in level for b in children(bs, "backingStore")]
    return out


def _disk_source_name(disk: etree._Element) -> str:
    src = child(disk, "source")
    if src is None:
        return ""
    return aget(src, "file") or aget(src, "dev") or aget(src, "dir") or aget(src, "name") or ""


# -- controllers -----------------------------------------------------------------------------


def _controllers(devices: etree._Element) -> set[tuple[str | None, str | None]]:
    """Insertion order and index assignment; returns the (type, index) pairs present."""
    ctrls = children(devices, "controller")
    if not ctrls:
        return set()
    # each controller's type, index, model and <master> read in one core call (attribute
    # reads dominated this step)
    types: list[str | None] = []
    indexes: list[int | None] = []
    keys: list[tuple[str | None, int | None, bool]] = []
    existing: set[tuple[str | None, str | None]] = set()
    for ctype, raw, model, has_master in attr_rows(ctrls, ("type", "index", "model"), "master"):
        if raw is None:
            i = None
        else:
            i = int(raw) if raw.isdigit() else prop_uint(raw, "index", "controller")
            existing.add((ctype, str(i)))
        types.append(ctype)
        indexes.append(i)
        keys.append((ctype, i, has_master or (model or "") in USB_COMPANION_PORTS))
    try:
        order = insertion_order(keys)
    except OverflowError:
        order = insertion_order_py(keys)
    if order != sorted(order):
        permute(devices, ctrls, [ctrls[k] for k in order])
    if None not in indexes:
        return existing
    used: dict[str | None, set[int]] = {}
    for k in order:
        i = indexes[k]
        if i is not None:
            used.setdefault(types[k], set()).add(i)
    lowest: dict[str | None, int] = {}  # the lowest free index only ever grows
    for k in order:
        if indexes[k] is not None:
            continue
        ctype = types[k]
        taken = used.setdefault(ctype, set())
        i = lowest.get(ctype, 0)
        while i in taken:
            i += 1
        taken.add(i)
        lowest[ctype] = i + 1
        _set_after(ctrls[k], "index", str(i), "type")
        existing.add((ctype, str(i)))
    return existing


def _set_after(el: etree._Element, name: str, value: str, after: str) -> None:
    """Set an attribute right after another (libvirt's attribute order in the output)."""
    set_after(el, after, [(name, value)])


def _insert_device(devices: etree._Element, el: etree._Element) -> None:
    """Append a device after the last one of its kind (libvirt's per-kind arrays)."""
    last = None
    for same in devices.iterchildren(el.tag):
        last = same
    if last is not None:
        last.addnext(el)
        return
    rank = DEVICE_ORDER.get(el.tag, 999)
    for existing in devices:
        if DEVICE_ORDER.get(existing.tag, 999) > rank:
            existing.addprevious(el)
            return
    devices.append(el)


def _implicit_controllers(
    devices: etree._Element,
    present: set[str],
    highest: dict[str, int],
    existing: set[tuple[str | None, str | None]],
) -> None:
    """Controllers libvirt adds for disks, virtio channels/consoles, smartcards, SCSI hostdevs."""

    def need(ctype: str, index: int) -> None:
        key = (ctype, str(index))
        if key not in existing:
            existing.add(key)
            add(devices, "controller", None, (("type", ctype), ("index", str(index))))  # sorted later

    for ctype, bus in IMPLICIT_DISK_CONTROLLERS:
        for i in range(highest.get(bus, -1) + 1):
            need(ctype, i)
    if "channel" in present or "console" in present:
        for index in _virtio_serial_users(devices):
            need("virtio-serial", index)
    if "smartcard" in present:
        need("ccid", 0)
    if "hostdev" in present:
        for hd in children(devices, "hostdev"):
            if aget(hd, "type") == "scsi":
                a = child(hd, "address")
                if a is not None and aget(a, "type") == "drive":
                    need("scsi", int(aget(a, "controller", "0")))


_DRIVE_BUSES = frozenset(bus for _, bus in IMPLICIT_DISK_CONTROLLERS)


def _virtio_serial_users(devices: etree._Element) -> list[int]:
    out = []
    for tag in ("channel", "console"):
        for chr_ in devices.iterchildren(tag):
            t = child(chr_, "target")
            if t is not None and aget(t, "type") == "virtio":
                a = child(chr_, "address")
                index = 0
                if a is not None and aget(a, "type") == "virtio-serial":
                    index = uint_prop(aget(a, "controller") or "0", "controller", "address")
                out.append(index)
    return out


#: companion USB controllers and the first port each takes on its EHCI master
USB_COMPANION_PORTS = {"ich9-uhci1": "0", "ich9-uhci2": "2", "ich9-uhci3": "4"}


def _usb_masters(devices: etree._Element) -> None:
    for c in children(devices, "controller"):
        if aget(c, "type") != "usb":
            continue
        start = USB_COMPANION_PORTS.get(aget(c, "model") or "")
        if start is not None and child(c, "master") is None:
            add(c, "master", None, (("startport", start),))  # placed by the canonical order


def _drop_empty(devices: etree._Element, tag: str) -> None:
    for el in list(devices.iterchildren(tag)):
        if not el.attrib and not len(el):
            devices.remove(el)


def _chr_sources(devices: etree._Element) -> None:
    for tag in ("serial", "parallel", "console", "channel", "redirdev", "smartcard"):
        for chr_ in devices.iterchildren(tag):
            _chr_source(chr_)
            if tag == "channel":
                t = child(chr_, "target")
                if t is not None:
                    t.attrib.pop("state", None)  # live-only


def _chr_source(chr_: etree._Element) -> None:
    ctype = aget(chr_, "type")
    if ctype == "unix":
        src = child(chr_, "source")
        if src is not None:
            if aget(src, "path") is None and not len(src):
                chr_.remove(src)
            elif aget(src, "mode") is None:
                _attrs_first(src, [("mode", "connect")])
    if ctype == "tcp":
        src = child(chr_, "source")
        if src is not None and aget(src, "mode") is None:
            _attrs_first(src, [("mode", "connect")])
        if child(chr_, "protocol") is None:
            proto = add(chr_, "protocol", None, (("type", "raw"),))
            if src is not None:
                src.addnext(proto)
    else:
        for proto in children(chr_, "protocol"):
            chr_.remove(proto)


def _attrs_first(el: etree._Element, pairs: list[tuple[str, str]]) -> None:
    set_first(el, pairs)


def _shmems(devices: etree._Element) -> None:
    for shm in children(devices, "shmem"):
        if child(shm, "model") is None:
            add(shm, "model", None, (("type", "ivshmem"),))  # placed by the canonical order
        size = child(shm, "size")
        if size is not None:
            nbytes = parse_scaled(size.text, aget(size, "unit"), what="./size[1]", default_scale=1)
            if nbytes:
                size.text = str(nbytes >> 20)
                size.attrib.clear()
                aset(size, "unit", "M")
            else:
                shm.remove(size)  # a zero size means "not set" to libvirt


def _smartcards(devices: etree._Element) -> None:
    used: set[tuple[int, int]] = set()
    cards = list(children(devices, "smartcard"))
    for card in cards:
        a = child(card, "address")
        if a is not None and aget(a, "type") == "ccid":
            used.add((int(aget(a, "controller", "0")), int(aget(a, "slot", "0"))))
    for card in cards:
        if child(card, "address") is None:
            slot = 0
            while (0, slot) in used:
                slot += 1
            used.add((0, slot))
            add(card, "address", None, (("type", "ccid"), ("controller", "0"), ("slot", str(slot))))


def _rngs(devices: etree._Element) -> None:
    for rng in children(devices, "rng"):
        be = child(rng, "backend")
        if be is not None and aget(be, "model") == "egd":
            _chr_source(be)
        if be is not None and aget(be, "model") == "random" and not (be.text or "").strip():
            be.text = "/dev/random"


def _redirfilters(devices: etree._Element) -> None:
    for f in children(devices, "redirfilter"):
        for dev in children(f, "usbdev"):
            for name, fmt in (("class", "0x%02x"), ("vendor", "0x%04X"), ("product", "0x%04X")):
                raw = aget(dev, name)
                if raw is not None and raw != "-1":
                    try:
                        aset(dev, name, fmt % int(raw, 16 if raw[:2].lower() == "0x" else 10))
                    except ValueError:
                        raise invalid_prop(name, "usbdev", raw) from None
            ver = aget(dev, "version")
            if ver and ver != "-1" and "." in ver:
                major, _, minor = ver.partition(".")
                if major.isdigit() and minor.isdigit():
                    aset(dev, "version", f"{int(major)}.{int(minor):02d}" if len(minor) > 1 else f"{int(major)}.{int(minor) * 10:02d}")


def _hostdevs(devices: etree._Element) -> None:
    used_units: set[tuple[int, int]] = set()
    for d in children(devices, "disk"):
        t = child(d, "target")
        a = child(d, "address")
        if t is not None and aget(t, "bus") == "scsi" and a is not None and aget(a, "type") == "drive":
            used_units.add((int(aget(a, "controller", "0")), int(aget(a, "unit", "0"))))
    for hd in children(devices, "hostdev"):
        if aget(hd, "mode", "subsystem") == "subsystem" and aget(hd, "managed") is None:
            _insert_attr_after(hd, "managed", "no", ("type", "mode"))
        src = child(hd, "source")
        if src is not None and aget(hd, "type") == "pci":
            sa = child(src, "address")
            if sa is not None:
                aset(sa, "type", "pci")
                normalize_address(sa, zero_empty=False)
                del sa.attrib["type"]
        if src is not None and aget(hd, "type") == "scsi" and aget(src, "protocol") == "iscsi":
            name = aget(src, "name")
            if name and "/" not in name:
                aset(src, "name", name + "/0")  # LUN 0 unless given
        if aget(hd, "type") == "scsi" and child(hd, "address") is None:
            unit = 0
            while (0, unit) in used_units:
                unit += 1
            used_units.add((0, unit))
            add(hd, "address", None, (("type", "drive"), ("controller", "0"), ("bus", "0"), ("target", "0"), ("unit", str(unit))))


def _insert_attr_after(el: etree._Element, name: str, value: str, after: tuple[str, ...]) -> None:
    set_after_last_of(el, name, value, after)


def _filesystems(devices: etree._Element) -> None:
    for fs in children(devices, "filesystem"):
        if aget(fs, "type") is None:
            aset(fs, "type", "mount")
        if aget(fs, "accessmode") is None:
            drv = child(fs, "driver")
            src = child(fs, "source")
            external = (drv is not None and aget(drv, "type") == "virtiofs" and src is not None
                        and aget(src, "socket") is not None)  # fmt: skip
            if not external:  # an external virtiofsd owns access control
                _insert_attr_after(fs, "accessmode", "passthrough", ("type",))


# -- interfaces -------------------------------------------------------------------------------


def _interfaces(devices: etree._Element) -> None:
    for nic in children(devices, "interface"):
        mac = child(nic, "mac")
        if mac is None:
            mac = add(nic, "mac")  # placed first by the canonical order pass
        address = aget(mac, "address")
        aset(mac, "address", generate_mac() if address is None else normalize_mac(address))


# -- serial, parallel, console, channel -------------------------------------------------------


def _target(chr_: etree._Element) -> etree._Element:
    t = child(chr_, "target")
    if t is None:
        t = add(chr_, "target")
        src = child(chr_, "source")
        if src is not None:
            src.addnext(t)
        else:
            _after_sources(chr_, t)
    return t


def _after_sources(chr_: etree._Element, t: etree._Element) -> None:
    last = None
    for kid in chr_:
        if kid.tag in ("source", "protocol", "log"):
            last = kid
    if last is not None:
        last.addnext(t)
    else:
        chr_.insert(0, t)


def _assign_ports(items: list[etree._Element]) -> None:
    ports = []
    for el in items:
        t = child(el, "target")
        raw = None if t is None else aget(t, "port")
        if raw is None:
            ports.append(-1)
        elif raw.strip().isdigit():
            ports.append(int(raw))
        else:
            raise err(ErrorNumber.XML_ERROR, f"Invalid port number: {raw}")
    for i, el in enumerate(items):
        if ports[i] == -1:
            ports[i] = max(ports) + 1
            _target(el).set("port", str(ports[i]))


def _chardevs(devices: etree._Element, hvm: bool) -> None:
    serials = list(children(devices, "serial"))
    consoles = list(children(devices, "console"))
    # libvirt ignores console port numbers as written and numbers consoles in order
    for i, con in enumerate(consoles):
        t = _target(con)
        aset(t, "port", str(i))
    _assign_ports(serials)
    _assign_ports(list(children(devices, "parallel")))
    if hvm:
        if consoles and _target_type(consoles[0]) in (None, "serial"):
            if not serials:
                serial = copy.deepcopy(consoles[0])
                serial.tag = "serial"
                t = _target(serial)
                t.attrib.clear()
                aset(t, "port", "0")
                _insert_device(devices, serial)
                serials = [serial]
        elif serials and _target_type(serials[0]) not in ("pci-serial", "usb-serial"):
            stub = E("console", type="pty")
            if consoles:
                consoles[0].addprevious(stub)
            else:
                _insert_device(devices, stub)
            consoles.insert(0, stub)
    for i, con in enumerate(consoles):
        ttype = _target_type(con)
        if ttype is None:
            _target(con).set("type", "serial")
            ttype = "serial"
        if hvm and i < len(serials) and ttype == "serial":
            alias = copy.deepcopy(serials[i])
            alias.tag = "console"
            t = _target(alias)
            port = aget(t, "port") or "0"
            t.attrib.clear()
            aset(t, "type", "serial")
            aset(t, "port", port)
            for child in list(t):
                t.remove(child)
            con.addprevious(alias)
            devices.remove(con)
            consoles[i] = alias


def _target_type(chr_: etree._Element) -> str | None:
    t = child(chr_, "target")
    return None if t is None else aget(t, "type")


# -- inputs, graphics, video ------------------------------------------------------------------


def _inputs(devices: etree._Element, hvm: bool) -> None:
    for inp in children(devices, "input"):
        if aget(inp, "bus") is None:
            itype = aget(inp, "type")
            if itype == "tablet":
                bus = "usb"
            elif itype in ("passthrough",):
                bus = "virtio"
            elif itype == "evdev":
                continue
            else:
                bus = "ps2" if hvm else "xen"
            aset(inp, "bus", bus)


def _graphics(devices: etree._Element) -> None:
    for g in children(devices, "graphics"):
        gtype = aget(g, "type")
        if gtype not in ("vnc", "spice", "rdp"):
            continue
        listens = children(g, "listen")
        attr_listen = aget(g, "listen")
        socket = aget(g, "socket")
        if socket is None and listens and aget(listens[0], "type") == "socket" and gtype == "vnc":
            socket = aget(listens[0], "socket")
            if socket is not None:
                aset(g, "socket", socket)
        if not listens:
            if socket is not None:
                add(g, "listen", None, (("type", "socket"), ("socket", socket)))
            elif attr_listen is not None:
                add(g, "listen", None, (("type", "address"), ("address", attr_listen)))
            elif gtype == "spice" and not (aget(g, "port") or aget(g, "tlsPort")) and aget(g, "autoport") != "yes":
                add(g, "listen", None, (("type", "none"),))
            else:
                add(g, "listen", None, (("type", "address"),))
        elif attr_listen is None:
            first = listens[0]
            if aget(first, "type") == "address" and aget(first, "address"):
                aset(g, "listen", aget(first, "address"))
        if socket is not None:
            continue
        port = aget(g, "port")
        autoport = aget(g, "autoport")
        _check_ports(g, gtype)
        if gtype == "vnc" or gtype == "rdp":
            auto = autoport == "yes" or port is None or port == "-1"
            for name in ("port", "autoport"):
                g.attrib.pop(name, None)
            if auto:
                _reinsert_after_type(g, [("port", "-1" if gtype == "vnc" else "0"), ("autoport", "yes")])
            else:
                _reinsert_after_type(g, [("port", port or "0"), ("autoport", "no")])
        elif gtype == "spice":
            tls = aget(g, "tlsPort")
            for name in ("port", "tlsPort", "autoport"):
                g.attrib.pop(name, None)
            if autoport == "yes":
                _reinsert_after_type(g, [("autoport", "yes")])
            elif (port and port != "0") or (tls and tls != "0"):
                pairs = []
                if port and port != "0":
                    pairs.append(("port", port))
                if tls and tls != "0":
                    pairs.append(("tlsPort", tls))
                pairs.append(("autoport", "no"))
                _reinsert_after_type(g, pairs)


def _int_text(raw: str) -> bool:
    s = raw.strip()
    return bool(s) and (s[1:] if s[0] in "+-" else s).isdigit()


def _check_ports(g: etree._Element, gtype: str | None) -> None:
    """Port numbers libvirt cannot read, with its per-type wording."""
    for name in ("port", "tlsPort"):
        raw = aget(g, name)
        if raw is None or _int_text(raw):
            continue
        if gtype == "spice":
            raise invalid_prop(name, "graphics", raw, "Expected integer value")
        if name == "port":
            raise err(ErrorNumber.INTERNAL_ERROR, f"cannot parse {gtype} port {raw}")


#: video model numbers: attribute -> (error code, libvirt's name for it)
_VIDEO_NUMBERS = {
    "vram": ErrorNumber.XML_ERROR,
    "ram": ErrorNumber.XML_ERROR,
    "vgamem": ErrorNumber.XML_ERROR,
    "vram64": ErrorNumber.XML_ERROR,
    "heads": ErrorNumber.INTERNAL_ERROR,
}


def _check_video_numbers(model: etree._Element) -> None:
    for name, code in _VIDEO_NUMBERS.items():
        raw = aget(model, name)
        if raw is not None and not raw.strip().isdigit():
            raise err(code, f"cannot parse video {name} '{raw}'")


def _reinsert_after_type(el: etree._Element, pairs: list[tuple[str, str]]) -> None:
    set_after(el, "type", pairs)


def _videos(devices: etree._Element, default_type: str = "cirrus") -> None:
    videos = list(children(devices, "video"))
    for i, v in enumerate(videos):
        m = child(v, "model")
        if m is not None and aget(m, "primary") == "yes" and i:
            videos[0].addprevious(v)
            videos.insert(0, videos.pop(i))
            break
    if not videos and child(devices, "graphics") is not None:
        v = add(devices, "video")  # placed by the canonical order
        videos = [v]
    for n, video in enumerate(videos):
        model = child(video, "model")
        if model is None:
            model = add(video, "model")
        _check_video_numbers(model)
        vtype = aget(model, "type")
        if vtype is None:
            vtype = default_type
            set_first(model, [("type", vtype)])
        defaults = VIDEO_DEFAULTS.get(vtype, ())
        for name, value in defaults:
            if aget(model, name) is None:
                aset(model, name, value)
        if vtype != "none" and aget(model, "heads") is None:
            aset(model, "heads", "1")
        if aget(model, "primary") == "no":
            del model.attrib["primary"]
        if n == 0 and vtype != "none" and aget(model, "primary") is None:
            aset(model, "primary", "yes")


#: NIC models libvirt knows (matched without case, written in this spelling)
NET_MODELS = {m.lower(): m for m in (
    "virtio", "virtio-transitional", "virtio-non-transitional", "e1000", "e1000e", "igb",
    "rtl8139", "netfront", "usb-net", "spapr-vlan", "lan9118", "smc91c111", "vlance", "vmxnet",
    "vmxnet2", "vmxnet3", "Am79C970A", "Am79C973", "82540EM", "82545EM", "82543GC",
)}  # fmt: skip


#: interface names libvirt generates itself, dropped from an inactive definition
GENERATED_IFNAME_PREFIXES = ("vnet", "macvtap", "macvlan")


def _interface_details(devices: etree._Element) -> None:
    for nic in children(devices, "interface"):
        model = child(nic, "model")
        if model is not None and aget(model, "type"):
            known = NET_MODELS.get(aget(model, "type", "").lower())
            if known:
                aset(model, "type", known)
        ntype = aget(nic, "type")
        mtype = aget(model, "type", "") if model is not None else ""
        for ip in children(nic, "ip"):
            if aget(ip, "family") is None and aget(ip, "address") is not None:
                _insert_attr_after(ip, "family", "ipv6" if ":" in aget(ip, "address") else "ipv4", ("address",))
        target = child(nic, "target")
        if target is not None and (aget(target, "dev") or "").startswith(GENERATED_IFNAME_PREFIXES):
            # a name libvirt generated for a running guest: not part of the persistent config
            target.attrib.pop("dev", None)
            if not target.attrib:
                nic.remove(target)
        vport = child(nic, "virtualport")
        if vport is not None and aget(vport, "type") == "openvswitch":
            params = child(vport, "parameters")
            if params is None:
                params = add(vport, "parameters")
            if aget(params, "interfaceid") is None:
                aset(params, "interfaceid", str(uuid.uuid4()))
        if ntype != "hostdev":
            if mtype.startswith("virtio"):
                drv = child(nic, "driver")
                queues = aget(drv, "queues") if drv is not None else None
                if queues is not None and not queues.strip().isdigit():
                    raise invalid_prop("queues", "driver", queues, "Expected non-negative integer value")
            else:
                for drv in children(nic, "driver"):
                    nic.remove(drv)  # driver options exist only for virtio NICs
        if ntype in ("hostdev", "vhostuser", "vdpa"):
            for fr in children(nic, "filterref"):
                nic.remove(fr)
        if ntype == "hostdev":
            drv = child(nic, "driver")
            mac = child(nic, "mac")
            if drv is not None and mac is not None:
                mac.addnext(drv)  # written with the host device part, before <source>
            if drv is not None:
                for k in list(drv.attrib):
                    if k != "name":
                        del drv.attrib[k]
                if not drv.attrib:
                    nic.remove(drv)
