"""Domain definition -> QEMU 7.2 command line.

The QEMU driver's own post-parse (:func:`prepare_definition`: implicit controllers, balloon,
device aliases, PCI addresses, disk node indexes, boot order) writes into the definition, as
libvirt does, so the live XML shows what QEMU was told and hot-plug can find devices again by
alias. :func:`build_command` then turns the prepared definition into an argv without touching
the host. Per-device helpers (:func:`disk_blockdevs`, :func:`disk_device`, :func:`netdev_props`,
:func:`nic_device`) are shared with hot-plug, so a disk added at run time is described exactly
as one given at start.

Everything the driver cannot express is rejected with VIR_ERR_CONFIG_UNSUPPORTED naming the
element, before any process is started. ``type='kvm'`` is honoured only where KVM really works
(``/dev/kvm`` *and* hardware virtualisation flags); it is never silently replaced by TCG.
"""

from __future__ import annotations

import functools
import json
import math
import os
import string
import uuid as _uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, virt_error

DEFAULT_EMULATOR = "/usr/bin/qemu-system-x86_64"

# device kinds the driver turns into QEMU options; anything else under <devices> is refused
_SUPPORTED_DEVICES = frozenset(
    "emulator disk controller interface serial console channel input graphics video "
    "memballoon rng watchdog panic audio".split()
)

_CACHE_MODES = {
    # mode: (cache.direct, cache.no-flush, device write-cache)
    "none": (True, False, "on"),
    "writeback": (False, False, "on"),
    "writethrough": (False, False, "off"),
    "directsync": (True, False, "off"),
    "unsafe": (False, True, "on"),
}

_NIC_MODELS = {
    "virtio": "virtio-net-pci",
    "e1000": "e1000",
    "e1000e": "e1000e",
    "rtl8139": "rtl8139",
    "ne2k_pci": "ne2k_pci",
    "pcnet": "pcnet",
    "vmxnet3": "vmxnet3",
}

_VIDEO_MODELS = {
    "vga": "VGA",
    "cirrus": "cirrus-vga",
    "qxl": "qxl-vga",
    "virtio": "virtio-vga",
    "bochs": "bochs-display",
    "ramfb": "ramfb",
}

_USB_MODELS = {
    "piix3-uhci": "piix3-usb-uhci",
    "piix4-uhci": "piix4-usb-uhci",
    "ich9-ehci1": "ich9-usb-ehci1",
    "qemu-xhci": "qemu-xhci",
    "nec-xhci": "nec-usb-xhci",
}

_SCSI_MODELS = {
    "virtio-scsi": "virtio-scsi-pci",
    "lsilogic": "lsi",
    "lsisas1068": "mptsas1068",
    "lsisas1078": "megasas",
}

_AUDIO_DRIVERS = {"none": "none", "alsa": "alsa", "oss": "oss", "sdl": "sdl", "jack": "jack", "pulseaudio": "pa"}

_WATCHDOG_ACTIONS = {
    "reset": "reset",
    "shutdown": "shutdown",
    "poweroff": "poweroff",
    "pause": "pause",
    "none": "none",
    "inject-nmi": "inject-nmi",
    "dump": "pause",  # libvirt dumps itself, with QEMU paused
}


def unsupported(detail: str) -> Exception:
    """VIR_ERR_CONFIG_UNSUPPORTED with the element named in ``detail``."""
    return virt_error(ErrorNumber.CONFIG_UNSUPPORTED, detail, domain=ErrorDomain.QEMU)


def opt_escape(value: str) -> str:
    """QEMU's legacy option syntax doubles commas inside values."""
    return str(value).replace(",", ",,")


def _json(props: dict[str, Any]) -> str:
    return json.dumps(props, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# host probing


@functools.lru_cache(maxsize=1)
def kvm_usable() -> bool:
    """True only when KVM can really run guests: the device opens *and* the CPU has VMX/SVM.

    On some hosts /dev/kvm opens and KVM_CREATE_VM succeeds although the CPU lacks hardware
    virtualisation, and guests then hang; the CPU flags are the reliable part.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return "vmx" in flags or "svm" in flags
    except OSError:
        return False
    return False


def check_virt_type(root: etree._Element, emulator: str, *, kvm: bool | None = None) -> str:
    """The accelerator for the domain type, or libvirt's error when the host lacks it."""
    vtype = root.get("type", "qemu")
    if vtype == "qemu":
        return "tcg"
    if vtype == "kvm":
        if kvm is None:
            kvm = kvm_usable()
        if kvm:
            return "kvm"
    raise unsupported(f"Emulator '{emulator}' does not support virt type '{vtype}'")


# ---------------------------------------------------------------------------------------------
# small tree helpers


def _sub(parent: etree._Element, tag: str, before: Iterable[str] = (), **attrs: str) -> etree._Element:
    """Insert a child before the first of ``before`` present (libvirt's element order)."""
    el = etree.Element(tag, **attrs)
    for name in before:
        anchor = parent.find(name)
        if anchor is not None:
            anchor.addprevious(el)
            return el
    parent.append(el)
    return el


def set_alias(dev: etree._Element, name: str) -> None:
    alias = dev.find("alias")
    if alias is None:
        alias = _sub(dev, "alias", ("address",))
    alias.set("name", name)


def get_alias(dev: etree._Element) -> str | None:
    alias = dev.find("alias")
    return None if alias is None else alias.get("name")


def _int(value: str | None, default: int = 0) -> int:
    if value is None or value == "":
        return default
    return int(value, 0)


def machine_family(root: etree._Element) -> str:
    """'q35' or 'pc' (i440fx) from ``<os><type machine=...>``."""
    type_el = root.find("os/type")
    machine = (type_el.get("machine") if type_el is not None else None) or "pc"
    return "q35" if "q35" in machine else "pc"


def machine_name(root: etree._Element) -> str:
    type_el = root.find("os/type")
    return (type_el.get("machine") if type_el is not None else None) or "pc"


def _dev_index(target: str) -> int:
    """hda -> 0, vdb -> 1, sdaa -> 26 (libvirt's virDiskNameToIndex)."""
    for prefix in ("fd", "hd", "vd", "sd", "xvd", "ubd"):
        if target.startswith(prefix):
            letters = target[len(prefix) :]
            break
    else:
        raise unsupported(f"unknown disk target '{target}'")
    idx = 0
    for ch in letters:
        if ch not in string.ascii_lowercase:
            raise unsupported(f"unknown disk target '{target}'")
        idx = idx * 26 + (ord(ch) - ord("a") + 1)
    return idx - 1


# ---------------------------------------------------------------------------------------------
# QEMU post-parse: implicit devices, addresses, aliases


def check_supported(root: etree._Element) -> None:
    """Refuse elements this driver cannot run, naming them (before anything is started)."""
    devices = root.find("devices")
    if devices is None:
        return
    for child in devices:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in _SUPPORTED_DEVICES:
            raise unsupported(f"device <{child.tag}> is not supported by the QEMU driver")
    for disk in devices.findall("disk"):
        dtype = disk.get("type", "file")
        if dtype not in ("file", "block", "network"):
            raise unsupported(f"<disk type='{dtype}'> is not supported by the QEMU driver")
        if dtype == "network":
            src = disk.find("source")
            proto = src.get("protocol") if src is not None else None
            if proto != "nbd":
                raise unsupported(f"<disk type='network'> protocol '{proto}' is not supported")
        device = disk.get("device", "disk")
        if device not in ("disk", "cdrom", "floppy"):
            raise unsupported(f"<disk device='{device}'> is not supported by the QEMU driver")
        drv = disk.find("driver")
        fmt = drv.get("type") if drv is not None else None
        if fmt not in (None, "raw", "qcow2"):
            raise unsupported(f"disk format '{fmt}' is not supported (raw, qcow2)")
        cache = drv.get("cache") if drv is not None else None
        if cache not in (None, "default") and cache not in _CACHE_MODES:
            raise unsupported(f"disk cache mode '{cache}' is not supported")
        target = disk.find("target")
        bus = target.get("bus") if target is not None else None
        if bus not in (None, "virtio", "ide", "sata", "scsi", "usb", "fdc"):
            raise unsupported(f"disk bus '{bus}' is not supported by the QEMU driver")
        if disk.find("encryption") is not None or disk.find("source/encryption") is not None:
            raise unsupported("disk <encryption> is not supported by the QEMU driver")
        if disk.find("transient") is not None:
            raise unsupported("<transient/> disks are not supported by the QEMU driver")
        if disk.find("backingStore/source") is not None:
            raise unsupported("explicit <backingStore> chains are not supported")
    for iface in devices.findall("interface"):
        itype = iface.get("type")
        if itype not in ("user", "ethernet", "bridge"):
            raise unsupported(f"<interface type='{itype}'> is not supported by the QEMU driver")
        model = iface.find("model")
        if model is not None and model.get("type") not in _NIC_MODELS:
            raise unsupported(f"interface model '{model.get('type')}' is not supported")
    for kind in ("serial", "console", "channel"):
        for chr_el in devices.findall(kind):
            ctype = chr_el.get("type", "pty")
            if ctype not in ("pty", "file", "unix", "tcp", "null"):
                raise unsupported(f"<{kind} type='{ctype}'> is not supported by the QEMU driver")
    for gfx in devices.findall("graphics"):
        if gfx.get("type") not in ("vnc",):
            raise unsupported(f"<graphics type='{gfx.get('type')}'> is not supported by the QEMU driver")
    for video in devices.findall("video"):
        model = video.find("model")
        mtype = model.get("type") if model is not None else "vga"
        if mtype not in _VIDEO_MODELS and mtype != "none":
            raise unsupported(f"video model '{mtype}' is not supported")
    for ctrl in devices.findall("controller"):
        ctype = ctrl.get("type")
        model = ctrl.get("model")
        if ctype == "usb" and model not in (None, "none", *_USB_MODELS):
            raise unsupported(f"USB controller model '{model}' is not supported")
        if ctype == "scsi" and model not in (None, *_SCSI_MODELS):
            raise unsupported(f"SCSI controller model '{model}' is not supported")
        if ctype == "pci" and model not in (None, "pci-root", "pcie-root", "pcie-root-port", "pci-bridge"):
            raise unsupported(f"PCI controller model '{model}' is not supported")
        if ctype not in ("usb", "scsi", "pci", "ide", "sata", "virtio-serial", "fdc"):
            raise unsupported(f"<controller type='{ctype}'> is not supported by the QEMU driver")
    for rng in devices.findall("rng"):
        backend = rng.find("backend")
        model = backend.get("model") if backend is not None else "random"
        if rng.get("model", "virtio") != "virtio" or model not in ("random", "builtin"):
            raise unsupported(f"rng backend '{model}' is not supported")
    for wd in devices.findall("watchdog"):
        if wd.get("model") not in ("i6300esb", "ib700", "itco"):
            raise unsupported(f"watchdog model '{wd.get('model')}' is not supported")
    for panic in devices.findall("panic"):
        if panic.get("model", "isa") not in ("isa", "pvpanic"):
            raise unsupported(f"panic model '{panic.get('model')}' is not supported")
    for audio in devices.findall("audio"):
        if audio.get("type", "none") not in _AUDIO_DRIVERS:
            raise unsupported(f"<audio type='{audio.get('type')}'> is not supported by the QEMU driver")
    for video in devices.findall("video"):
        drv = video.find("driver")
        if drv is not None and drv.get("name") == "vhostuser":
            raise unsupported("<video> with <driver name='vhostuser'> is not supported by the QEMU driver")
    loader = root.find("os/loader")
    if loader is not None and (loader.get("type") == "pflash" or root.find("os/nvram") is not None):
        raise unsupported("pflash firmware (<loader type='pflash'>, <nvram>) is not supported by the QEMU driver")
    if root.find("os").get("firmware") if root.find("os") is not None else None:
        raise unsupported("firmware auto-selection (<os firmware=...>) is not supported by the QEMU driver")
    if root.find("memoryBacking/hugepages") is not None:
        raise unsupported("<memoryBacking><hugepages> is not supported by the QEMU driver")
    cpu = root.find("cpu")
    if cpu is not None and cpu.find("numa") is not None:
        raise unsupported("guest NUMA topology (<cpu><numa>) is not supported by the QEMU driver")


def _ensure_controller(devices: etree._Element, ctype: str, index: int, model: str | None = None) -> etree._Element:
    for ctrl in devices.findall("controller"):
        if ctrl.get("type") == ctype and _int(ctrl.get("index")) == index:
            return ctrl
    el = etree.Element("controller", type=ctype, index=str(index))
    if model is not None:
        el.set("model", model)
    others = devices.findall("controller")
    if others:
        others[-1].addnext(el)
    else:
        after = [c for c in devices if isinstance(c.tag, str) and c.tag in ("emulator", "disk")]
        if after:
            after[-1].addnext(el)
        else:
            devices.insert(0, el)
    return el


def _disk_bus(disk: etree._Element, family: str) -> str:
    target = disk.find("target")
    bus = target.get("bus") if target is not None else None
    if bus:
        return bus
    dev = target.get("dev", "") if target is not None else ""
    if dev.startswith("vd"):
        bus = "virtio"
    elif dev.startswith("hd"):
        bus = "ide"
    elif dev.startswith("fd"):
        bus = "fdc"
    else:
        bus = "sata" if family == "q35" else "scsi"
    if target is not None:
        target.set("bus", bus)
    return bus


def _drive_address(disk: etree._Element, bus: str) -> etree._Element:
    """libvirt's 'drive' address from the target name when none is given."""
    addr = disk.find("address")
    if addr is not None and addr.get("type") == "drive":
        return addr
    idx = _dev_index(disk.find("target").get("dev", ""))
    if bus == "ide":
        ctrl, dbus, unit = idx // 4, (idx % 4) // 2, idx % 2
    elif bus == "sata":
        ctrl, dbus, unit = idx // 6, 0, idx % 6
    elif bus == "fdc":
        ctrl, dbus, unit = 0, 0, idx
    else:  # scsi
        ctrl, dbus, unit = idx // 7, 0, idx % 7
    addr = _sub(disk, "address", ())
    addr.attrib.update(type="drive", controller=str(ctrl), bus=str(dbus), target="0", unit=str(unit))
    return addr


def prepare_definition(root: etree._Element, *, live: bool) -> None:
    """The QEMU driver's post-parse, in place: implicit devices, addresses, aliases.

    Run on define (``live=False``: implicit devices and PCI addresses, as libvirt stores them in
    the persistent config) and again on start (``live=True``: aliases, disk node indexes).
    Idempotent.
    """
    check_supported(root)
    family = machine_family(root)
    devices = root.find("devices")
    if devices is None:
        devices = _sub(root, "devices", ("seclabel", "keywrap", "launchSecurity"))
    if devices.find("emulator") is None:
        em = etree.Element("emulator")
        em.text = DEFAULT_EMULATOR
        devices.insert(0, em)

    # buses that disks need
    for disk in devices.findall("disk"):
        bus = _disk_bus(disk, family)
        if bus in ("ide", "sata", "scsi", "fdc"):
            addr = _drive_address(disk, bus)
            if bus == "ide" and family == "q35":
                raise unsupported("IDE controllers are unsupported for this QEMU binary or machine type")
            _ensure_controller(devices, bus, _int(addr.get("controller")))
    for ctrl in devices.findall("controller"):
        if ctrl.get("type") == "scsi" and ctrl.get("model") is None:
            ctrl.set("model", "lsilogic")
    if family == "pc":
        _ensure_controller(devices, "ide", 0)
    else:
        _ensure_controller(devices, "sata", 0)
    usb = _ensure_controller(devices, "usb", 0)
    if usb.get("model") is None:
        usb.set("model", "piix3-uhci" if family == "pc" else "qemu-xhci")
    root_ctrl = _ensure_controller(devices, "pci", 0, "pci-root" if family == "pc" else "pcie-root")
    if root_ctrl.get("model") is None:
        root_ctrl.set("model", "pci-root" if family == "pc" else "pcie-root")
    needs_vserial = devices.find("channel") is not None or any(
        c.find("target") is not None and c.find("target").get("type") == "virtio"
        for c in devices.findall("console")
    )
    if needs_vserial:
        _ensure_controller(devices, "virtio-serial", 0)
    if devices.find("memballoon") is None:
        _sub(devices, "memballoon", ("panic",), model="virtio")
    if devices.find("graphics") is not None and devices.find("video") is None:
        video = _sub(devices, "video", ("hostdev", "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng", "panic"))
        etree.SubElement(video, "model", type="vga" if family == "q35" else "cirrus", vram="16384", heads="1", primary="yes")
    for iface in devices.findall("interface"):
        if iface.find("model") is None:
            _sub(iface, "model", ("driver", "address", "alias"), type="rtl8139" if family == "pc" else "e1000e")

    PciAllocator(root).assign_all()
    if live:
        _boot_order(root)  # per-device boot indexes for QEMU; the config keeps <os><boot>
        assign_aliases(root)
        assign_node_indexes(root)
        assign_tap_names(root)


# -- aliases ------------------------------------------------------------------------------------


def disk_alias(disk: etree._Element) -> str:
    target = disk.find("target")
    bus = target.get("bus", "virtio")
    dev = target.get("dev", "")
    addr = disk.find("address")
    if bus == "virtio":
        return f"virtio-disk{_dev_index(dev)}"
    if bus == "usb":
        return f"usb-disk{_dev_index(dev)}"
    a = {k: _int(addr.get(k)) for k in ("controller", "bus", "target", "unit")} if addr is not None else {}
    if bus == "ide":
        return f"ide{a['controller']}-{a['bus']}-{a['unit']}"
    if bus == "sata":
        return f"sata{a['controller']}-0-{a['unit']}"
    if bus == "fdc":
        return f"fdc0-0-{a['unit']}"
    return f"scsi{a['controller']}-{a['bus']}-{a['target']}-{a['unit']}"


def _next_index(used: set[str], prefix: str) -> int:
    n = 0
    while f"{prefix}{n}" in used:
        n += 1
    return n


def assign_aliases(root: etree._Element) -> None:
    """Give every device libvirt's alias (kept where already set; used by hot-unplug)."""
    devices = root.find("devices")
    used = {a.get("name") for a in devices.iter("alias")}

    def give(dev: etree._Element, prefix: str) -> None:
        if get_alias(dev):
            return
        name = f"{prefix}{_next_index(used, prefix)}"
        used.add(name)
        set_alias(dev, name)

    for disk in devices.findall("disk"):
        if not get_alias(disk):
            name = disk_alias(disk)
            used.add(name)
            set_alias(disk, name)
    for ctrl in devices.findall("controller"):
        if get_alias(ctrl):
            continue
        ctype, idx = ctrl.get("type"), _int(ctrl.get("index"))
        if ctype == "pci":
            name = ("pci." if ctrl.get("model") != "pcie-root" else "pcie.") + str(idx)
        elif ctype == "usb":
            name = "usb" if idx == 0 else f"usb{idx}"
        else:
            name = f"{ctype}{idx}"
        used.add(name)
        set_alias(ctrl, name)
    for iface in devices.findall("interface"):
        give(iface, "net")
    for kind in ("serial", "parallel", "channel", "console"):
        for chr_el in devices.findall(kind):
            give(chr_el, kind)
    for kind, prefix in (("input", "input"), ("video", "video"), ("rng", "rng"), ("watchdog", "watchdog"), ("panic", "panic")):
        for dev in devices.findall(kind):
            give(dev, prefix)
    balloon = devices.find("memballoon")
    if balloon is not None and balloon.get("model") != "none" and not get_alias(balloon):
        set_alias(balloon, "balloon0")


def assign_node_indexes(root: etree._Element) -> None:
    """Number the block nodes (``<source index=N>``, libvirt's ``libvirt-N-format``)."""
    disks = root.find("devices").findall("disk")
    nxt = next_node_index(root)
    for disk in reversed(disks):
        src = disk.find("source")
        if src is None or src.get("index") is not None:
            continue
        if _disk_has_source(disk):
            src.set("index", str(nxt))
        nxt += 1


def assign_tap_names(root: etree._Element) -> None:
    """Name the host side of ethernet/bridge interfaces ``vnetN`` where the XML left it open."""
    taken = set(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else set()
    for t in root.iter("target"):
        if t.get("dev"):
            taken.add(t.get("dev"))
    n = 0
    for iface in root.find("devices").findall("interface"):
        if iface.get("type") not in ("ethernet", "bridge"):
            continue
        target = iface.find("target")
        if target is not None and target.get("dev"):
            continue
        while f"vnet{n}" in taken:
            n += 1
        if target is None:
            target = _sub(iface, "target", ("model", "driver", "alias", "address"))
        target.set("dev", f"vnet{n}")
        taken.add(f"vnet{n}")


def tap_devices(root: etree._Element) -> list[tuple[str, str | None]]:
    """(tap name, bridge or None) for each interface whose tap the driver must set up."""
    out = []
    for iface in root.find("devices").findall("interface"):
        if iface.get("type") not in ("ethernet", "bridge"):
            continue
        target = iface.find("target")
        src = iface.find("source")
        bridge = (src.get("bridge") if src is not None else None) if iface.get("type") == "bridge" else None
        if iface.get("type") == "bridge" and not bridge:
            raise unsupported("<interface type='bridge'> needs <source bridge=...>")
        out.append((target.get("dev") if target is not None else "", bridge))
    return out


def next_node_index(root: etree._Element) -> int:
    used = [_int(s.get("index"), 0) for s in root.iter("source") if s.getparent().tag == "disk"]
    return max(used + [0]) + 1


def _disk_has_source(disk: etree._Element) -> bool:
    src = disk.find("source")
    if src is None:
        return False
    return any(src.get(k) for k in ("file", "dev", "name", "protocol"))


# -- PCI addresses ------------------------------------------------------------------------------


def _needs_pci(dev: etree._Element, family: str) -> bool:
    tag = dev.tag
    if tag == "disk":
        t = dev.find("target")
        return t is not None and t.get("bus") == "virtio"
    if tag == "interface":
        return True
    if tag == "video":
        m = dev.find("model")
        return (m.get("type") if m is not None else "vga") not in ("none", "ramfb")
    if tag == "controller":
        ctype, model = dev.get("type"), dev.get("model")
        if ctype == "pci":
            return model in ("pcie-root-port", "pci-bridge")
        if ctype == "usb":
            return model != "none"
        if ctype == "scsi" or ctype == "virtio-serial":
            return True
        if ctype == "sata":
            return not (family == "q35" and _int(dev.get("index")) == 0)
        return False
    if tag == "memballoon":
        return dev.get("model", "virtio") == "virtio"
    if tag == "rng":
        return True
    if tag == "watchdog":
        return dev.get("model") == "i6300esb"
    if tag == "input":
        return dev.get("bus") == "virtio"
    if tag == "serial":
        t = dev.find("target")
        return t is not None and t.get("type") == "pci-serial"
    return False


class PciAllocator:
    """Assigns PCI slots the way a reader of libvirt's output would expect.

    i440fx (pc): everything on ``pci.0``; slot 1 is the PIIX3 (USB UHCI at 1.2), slot 2 the
    primary video card, others from slot 3 on; the bus supports ACPI hot-plug.
    q35: video on ``pcie.0`` slot 1, every other endpoint behind its own ``pcie-root-port``
    (added as controllers, packed as functions of slots 2, 3, ...), plus spare ports for
    hot-plug, because devices on ``pcie.0`` itself cannot be hot-plugged.
    """

    SPARE_ROOT_PORTS = 1

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.family = machine_family(root)
        self.devices = root.find("devices")
        self.used: set[tuple[int, int, int]] = set()
        for addr in self.devices.iter("address"):
            if addr.get("type") == "pci":
                self.used.add((_int(addr.get("bus")), _int(addr.get("slot")), _int(addr.get("function"))))

    def _all_devices(self) -> list[etree._Element]:
        return [d for d in self.devices if isinstance(d.tag, str) and _needs_pci(d, self.family)]

    def _pci_addr(self, dev: etree._Element) -> etree._Element | None:
        addr = dev.find("address")
        return addr if addr is not None and addr.get("type") == "pci" else None

    def _set(self, dev: etree._Element, bus: int, slot: int, function: int = 0, multifunction: bool = False) -> None:
        addr = dev.find("address")
        if addr is None:
            addr = etree.SubElement(dev, "address")
        addr.attrib.clear()
        addr.set("type", "pci")
        addr.set("domain", "0x0000")
        addr.set("bus", f"0x{bus:02x}")
        addr.set("slot", f"0x{slot:02x}")
        addr.set("function", f"0x{function:x}")
        if multifunction:
            addr.set("multifunction", "on")
        self.used.add((bus, slot, function))

    def _free_slot(self, bus: int, first: int = 1) -> int:
        for slot in range(first, 32):
            if self.family == "q35" and bus == 0 and slot == 0x1F:
                continue
            if not any((bus, slot, f) in self.used for f in range(8)):
                return slot
        raise unsupported(f"no free PCI slot left on bus {bus}")

    def _root_port_indexes(self) -> list[int]:
        return [
            _int(c.get("index"))
            for c in self.devices.findall("controller")
            if c.get("type") == "pci" and c.get("model") == "pcie-root-port"
        ]

    def _free_root_port(self) -> int:
        """Index of a pcie-root-port with nothing behind it (adding one if needed)."""
        taken = {b for (b, _s, _f) in self.used}
        for idx in self._root_port_indexes():
            if idx not in taken:
                return idx
        return self._add_root_port()

    def _add_root_port(self) -> int:
        indexes = [_int(c.get("index")) for c in self.devices.findall("controller") if c.get("type") == "pci"]
        idx = max(indexes + [0]) + 1
        ctrl = _ensure_controller(self.devices, "pci", idx, "pcie-root-port")
        etree.SubElement(ctrl, "model", name="pcie-root-port")
        etree.SubElement(ctrl, "target", chassis=str(idx), port=f"0x{0x10 + idx - 1:x}")
        # pack root ports as functions of shared slots on pcie.0, libvirt style
        func_slot = None
        for slot in range(2, 0x1F):
            funcs = [f for f in range(8) if (0, slot, f) in self.used]
            owners = self._slot_is_root_ports(slot)
            if not funcs:
                func_slot = (slot, 0)
                break
            if owners and len(funcs) < 8:
                func_slot = (slot, max(funcs) + 1)
                break
        if func_slot is None:
            raise unsupported("no free PCI slot left for a pcie-root-port")
        slot, function = func_slot
        self._set(ctrl, 0, slot, function, multifunction=(function == 0))
        return idx

    def _slot_is_root_ports(self, slot: int) -> bool:
        for c in self.devices.findall("controller"):
            if c.get("model") != "pcie-root-port":
                continue
            addr = self._pci_addr(c)
            if addr is not None and _int(addr.get("bus")) == 0 and _int(addr.get("slot")) == slot:
                return True
        return False

    def assign(self, dev: etree._Element, *, hotplug: bool = False) -> None:
        """Give one device (already in the tree) an address if it has none.

        ``hotplug``: the machine runs, so no new bus may appear (a root port cannot be plugged).
        """
        if not _needs_pci(dev, self.family) or self._pci_addr(dev) is not None:
            return
        if self.family == "pc":
            if dev.tag == "controller" and dev.get("type") == "usb" and dev.get("model") == "piix3-uhci" and (0, 1, 2) not in self.used:
                self._set(dev, 0, 1, 2)
                return
            if dev.tag == "video" and (0, 2, 0) not in self.used and self._is_primary_video(dev):
                self._set(dev, 0, 2)
                return
            self._set(dev, 0, self._free_slot(0, first=3))
            return
        # q35
        if dev.tag == "video" and self._is_primary_video(dev) and (0, 1, 0) not in self.used:
            self._set(dev, 0, 1)
            return
        if dev.tag == "controller" and dev.get("type") == "pci":
            self._set(dev, 0, self._free_slot(0, first=2))
            return
        taken = {b for (b, _s, _f) in self.used}
        if hotplug and not any(i not in taken for i in self._root_port_indexes()):
            raise virt_error(ErrorNumber.INTERNAL_ERROR, "No more available PCI slots", domain=ErrorDomain.QEMU)
        port = self._free_root_port()
        self._set(dev, port, 0)

    def _is_primary_video(self, dev: etree._Element) -> bool:
        videos = self.devices.findall("video")
        return bool(videos) and videos[0] is dev

    def assign_all(self) -> None:
        for dev in self._all_devices():
            self.assign(dev)
        if self.family == "q35" and any(b > 0 for (b, _s, _f) in self.used):
            spare = [i for i in self._root_port_indexes() if i not in {b for (b, _s, _f) in self.used}]
            for _ in range(self.SPARE_ROOT_PORTS - len(spare)):
                self._add_root_port()


def bus_name(root: etree._Element, bus: int) -> str:
    """QEMU's id for PCI bus number ``bus``."""
    if bus == 0:
        return "pcie.0" if machine_family(root) == "q35" else "pci.0"
    return f"pci.{bus}"


def pci_props(root: etree._Element, dev: etree._Element) -> dict[str, Any]:
    addr = dev.find("address")
    if addr is None or addr.get("type") != "pci":
        return {}
    slot, function = _int(addr.get("slot")), _int(addr.get("function"))
    props: dict[str, Any] = {"bus": bus_name(root, _int(addr.get("bus")))}
    if addr.get("multifunction") == "on":
        props["multifunction"] = True
    props["addr"] = f"0x{slot:x}" if function == 0 else f"0x{slot:x}.0x{function:x}"
    return props


# ---------------------------------------------------------------------------------------------
# per-device properties (shared with hot-plug)


def _boot_index(dev: etree._Element) -> int | None:
    boot = dev.find("boot")
    return None if boot is None else _int(boot.get("order"), None)  # type: ignore[arg-type]


def disk_blockdevs(disk: etree._Element) -> list[dict[str, Any]]:
    """The ``-blockdev`` / ``blockdev-add`` objects for a disk: protocol node, format node."""
    if not _disk_has_source(disk):
        return []
    src = disk.find("source")
    idx = _int(src.get("index"), 1)
    storage_node, format_node = f"libvirt-{idx}-storage", f"libvirt-{idx}-format"
    dtype = disk.get("type", "file")
    drv = disk.find("driver")
    fmt = (drv.get("type") if drv is not None else None) or "raw"
    cache = drv.get("cache") if drv is not None else None
    readonly = disk.find("readonly") is not None or disk.get("device") == "cdrom"

    storage: dict[str, Any]
    if dtype == "file":
        storage = {"driver": "file", "filename": src.get("file")}
    elif dtype == "block":
        path = src.get("dev") or ""
        storage = {"driver": "host_cdrom" if _is_cdrom(path) else "host_device", "filename": path}
    else:  # network nbd
        host = src.find("host")
        if host is not None and host.get("transport") == "unix":
            server: dict[str, Any] = {"type": "unix", "path": host.get("socket")}
        else:
            server = {
                "type": "inet",
                "host": host.get("name") if host is not None else "localhost",
                "port": (host.get("port") if host is not None else None) or "10809",
            }
        storage = {"driver": "nbd", "server": server}
        if src.get("name"):
            storage["export"] = src.get("name")
    storage["node-name"] = storage_node
    storage["auto-read-only"] = True
    storage["discard"] = "unmap"
    cache_props: dict[str, Any] = {}
    if cache in _CACHE_MODES:
        direct, no_flush, _wc = _CACHE_MODES[cache]
        cache_props = {"cache": {"direct": direct, "no-flush": no_flush}}
        storage.update(cache_props)
    fmt_node: dict[str, Any] = {"node-name": format_node, "read-only": readonly}
    fmt_node.update(cache_props)
    fmt_node.update({"driver": fmt, "file": storage_node})
    return [storage, fmt_node]


def _is_cdrom(path: str) -> bool:
    """A block device is driven as ``host_cdrom`` only if it is an optical drive."""
    real = os.path.realpath(path)
    return path == "/dev/cdrom" or os.path.basename(real).startswith("sr")


def disk_format_node(disk: etree._Element) -> str | None:
    if not _disk_has_source(disk):
        return None
    return f"libvirt-{_int(disk.find('source').get('index'), 1)}-format"


def disk_device(root: etree._Element, disk: etree._Element) -> dict[str, Any]:
    """The ``-device`` / ``device_add`` object for a disk's front end."""
    target = disk.find("target")
    bus = target.get("bus", "virtio")
    cdrom = disk.get("device") == "cdrom"
    addr = disk.find("address")
    props: dict[str, Any]
    if bus == "virtio":
        props = {"driver": "virtio-blk-pci"}
        props.update(pci_props(root, disk))
    elif bus == "ide":
        props = {"driver": "ide-cd" if cdrom else "ide-hd", "bus": f"ide.{_int(addr.get('bus'))}", "unit": _int(addr.get("unit"))}
    elif bus == "sata":
        ctrl = _int(addr.get("controller"))
        sata_bus = f"ide.{_int(addr.get('unit'))}" if machine_family(root) == "q35" and ctrl == 0 else f"sata{ctrl}.{_int(addr.get('unit'))}"
        props = {"driver": "ide-cd" if cdrom else "ide-hd", "bus": sata_bus}
    elif bus == "scsi":
        ctrl = _int(addr.get("controller"))
        props = {"driver": "scsi-cd" if cdrom else ("scsi-block" if disk.get("type") == "block" and disk.get("device") == "lun" else "scsi-hd"),
                 "bus": f"scsi{ctrl}.0"}
        if _scsi_model(root, ctrl) == "virtio-scsi":
            props.update({"channel": _int(addr.get("bus")), "scsi-id": _int(addr.get("target")), "lun": _int(addr.get("unit"))})
        else:
            props.update({"scsi-id": _int(addr.get("unit"))})
    elif bus == "usb":
        props = {"driver": "usb-storage", "bus": "usb.0"}
    else:  # fdc
        props = {"driver": "floppy", "unit": _int(addr.get("unit"))}
    node = disk_format_node(disk)
    if node:
        props["drive"] = node
    props["id"] = get_alias(disk) or disk_alias(disk)
    if disk.find("shareable") is not None:
        props["share-rw"] = True
    if disk.findtext("serial"):
        props["serial"] = disk.findtext("serial")
    boot = _boot_index(disk)
    if boot is not None:
        props["bootindex"] = boot
    drv = disk.find("driver")
    cache = drv.get("cache") if drv is not None else None
    if cache in _CACHE_MODES and bus != "usb":
        props["write-cache"] = _CACHE_MODES[cache][2]
    return props


def _scsi_model(root: etree._Element, index: int) -> str:
    for ctrl in root.find("devices").findall("controller"):
        if ctrl.get("type") == "scsi" and _int(ctrl.get("index")) == index:
            return ctrl.get("model") or "lsilogic"
    return "lsilogic"


def netdev_props(iface: etree._Element) -> dict[str, Any]:
    """The ``-netdev`` / ``netdev_add`` object (back end) for an interface."""
    alias = get_alias(iface) or "net0"
    netdev_id = "host" + alias
    itype = iface.get("type")
    if itype == "user":
        return {"type": "user", "id": netdev_id}
    target = iface.find("target")
    ifname = target.get("dev") if target is not None else None
    if itype in ("ethernet", "bridge"):
        # QEMU opens (and on exit removes) the tap; the driver brings it up and, for a bridge,
        # enslaves it once QEMU runs (see :func:`tap_devices`)
        props: dict[str, Any] = {"type": "tap", "id": netdev_id, "script": "no", "downscript": "no"}
        if ifname:
            props["ifname"] = ifname
        return props
    raise unsupported(f"<interface type='{itype}'> is not supported by the QEMU driver")


def nic_device(root: etree._Element, iface: etree._Element) -> dict[str, Any]:
    model = iface.find("model")
    mtype = model.get("type") if model is not None else "rtl8139"
    alias = get_alias(iface) or "net0"
    props: dict[str, Any] = {"driver": _NIC_MODELS[mtype], "netdev": "host" + alias, "id": alias}
    mac = iface.find("mac")
    if mac is not None and mac.get("address"):
        props["mac"] = mac.get("address")
    boot = _boot_index(iface)
    if boot is not None:
        props["bootindex"] = boot
    props.update(pci_props(root, iface))
    return props


# ---------------------------------------------------------------------------------------------
# the command line


@dataclass
class CommandContext:
    """Host-side facts the argv needs: where the monitor listens, where logs go."""

    monitor_path: str
    monitor_fd: int | None = None  # pre-bound listening socket passed to QEMU
    run_dir: str = "/tmp"
    kvm: bool | None = None  # None: probe the host


@dataclass
class QemuCommand:
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    #: chardev aliases whose pty paths must be read back after start
    pty_chardevs: list[str] = field(default_factory=list)


def _chardev(chr_el: etree._Element, chardev_id: str, ctx: CommandContext) -> str:
    ctype = chr_el.get("type", "pty")
    src = chr_el.find("source")
    parts: list[str]
    if ctype == "pty":
        parts = ["pty", f"id={chardev_id}"]
    elif ctype == "null":
        parts = ["null", f"id={chardev_id}"]
    elif ctype == "file":
        path = src.get("path") if src is not None else None
        if not path:
            raise unsupported(f"<{chr_el.tag} type='file'> needs <source path=...>")
        parts = ["file", f"id={chardev_id}", f"path={opt_escape(path)}"]
        if src.get("append") == "on":
            parts.append("append=on")
    elif ctype == "unix":
        path = src.get("path") if src is not None else None
        if not path:
            path = os.path.join(ctx.run_dir, f"{chardev_id}.sock")
            if src is None:
                src = _sub(chr_el, "source", ("target",), mode="bind")
            src.set("path", path)
        parts = ["socket", f"id={chardev_id}", f"path={opt_escape(path)}"]
        if (src.get("mode") or "bind") == "bind":
            parts += ["server=on", "wait=off"]
    else:  # tcp
        host = src.get("host", "127.0.0.1") if src is not None else "127.0.0.1"
        service = src.get("service") if src is not None else None
        if not service:
            raise unsupported(f"<{chr_el.tag} type='tcp'> needs <source service=...>")
        parts = ["socket", f"id={chardev_id}", f"host={opt_escape(host)}", f"port={service}"]
        proto = chr_el.find("protocol")
        if proto is not None and proto.get("type") == "telnet":
            parts.append("telnet=on")
        if (src.get("mode") or "bind") == "bind":
            parts += ["server=on", "wait=off"]
    log = chr_el.find("log")
    if log is not None and log.get("file"):
        parts.append(f"logfile={opt_escape(log.get('file'))}")
        parts.append(f"logappend={'on' if log.get('append') == 'on' else 'off'}")
    return ",".join(parts)


def _memory_mib(root: etree._Element) -> int:
    from ...conf.units import parse_scaled, to_kib

    mem = root.find("memory")
    if mem is None:
        raise unsupported("<memory> is required")
    kib = to_kib(parse_scaled(mem.text, mem.get("unit"), what="memory", default_scale=1024))
    return max(1, math.ceil(kib / 1024))


def _smp(root: etree._Element) -> str:
    vcpu = root.find("vcpu")
    maxv = int(vcpu.text) if vcpu is not None and vcpu.text else 1
    cur = int(vcpu.get("current")) if vcpu is not None and vcpu.get("current") else maxv
    topo = root.find("cpu/topology")
    if topo is not None:
        sockets, dies, cores, threads = (_int(topo.get(k), 1) for k in ("sockets", "dies", "cores", "threads"))
        text = f"{cur},sockets={sockets},"
        if dies != 1:
            text += f"dies={dies},"
        text += f"cores={cores},threads={threads}"
    else:
        text = f"{cur},sockets={maxv},cores=1,threads=1"
    if cur != maxv:
        text = text.replace(f"{cur},", f"{cur},maxcpus={maxv},", 1)
    return text


def _cpu(root: etree._Element, accel: str) -> str:
    cpu = root.find("cpu")
    if cpu is None:
        return "qemu64" if accel == "tcg" else "host"
    mode = cpu.get("mode", "custom")
    if mode == "host-passthrough":
        if accel != "kvm":
            raise unsupported("CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 host is not supported by hypervisor")
        model = "host"
    elif mode == "host-model":
        model = "max" if accel == "tcg" else "host"
    elif mode == "maximum":
        model = "max"
    else:
        model = (cpu.findtext("model") or "qemu64").strip()
    feats = []
    for feat in cpu.findall("feature"):
        policy = feat.get("policy", "require")
        name = feat.get("name")
        if policy in ("require", "force"):
            feats.append(f"{name}=on")
        elif policy in ("disable", "forbid"):
            feats.append(f"{name}=off")
    return ",".join([model] + feats)


def _boot_order(root: etree._Element) -> None:
    """Turn ``<os><boot dev=...>`` into per-device boot indexes (libvirt 9 does the same)."""
    devices = root.find("devices")
    if any(d.find("boot") is not None for d in devices if isinstance(d.tag, str)):
        return
    order = [b.get("dev") for b in root.findall("os/boot")]
    disks = devices.findall("disk")
    pick = {
        "hd": next((d for d in disks if d.get("device", "disk") == "disk"), None),
        "cdrom": next((d for d in disks if d.get("device") == "cdrom"), None),
        "fd": next((d for d in disks if d.get("device") == "floppy"), None),
        "network": devices.find("interface"),
    }
    n = 1
    for dev in order:
        el = pick.get(dev or "")
        if el is not None and el.find("boot") is None:
            _sub(el, "boot", ("alias", "address"), order=str(n))
            n += 1


def build_command(root: etree._Element, ctx: CommandContext) -> QemuCommand:
    """argv for a prepared definition (see :func:`prepare_definition`)."""
    check_supported(root)
    devices = root.find("devices")
    emulator = (devices.findtext("emulator") if devices is not None else None) or DEFAULT_EMULATOR
    accel = check_virt_type(root, emulator, kvm=ctx.kvm)
    family = machine_family(root)
    name = root.findtext("name") or ""
    argv: list[str] = [emulator, "-name", f"guest={opt_escape(name)},debug-threads=on", "-S"]

    machine = [machine_name(root), f"accel={accel}", "usb=off", "dump-guest-core=off"]
    features = root.find("features")
    if features is not None and features.find("smm") is not None:
        machine.append(f"smm={features.find('smm').get('state', 'on')}")
    if features is None or features.find("acpi") is None:
        machine.append("acpi=off")
    argv += ["-machine", ",".join(machine)]
    argv += ["-cpu", _cpu(root, accel)]

    mem = root.find("maxMemory")
    if mem is not None:
        from ...conf.units import parse_scaled, to_kib

        maxkib = to_kib(parse_scaled(mem.text, mem.get("unit"), what="maxMemory", default_scale=1024))
        argv += ["-m", f"size={_memory_mib(root) * 1024}k,slots={mem.get('slots', '0')},maxmem={maxkib}k"]
    else:
        argv += ["-m", str(_memory_mib(root))]
    argv += ["-overcommit", "mem-lock=off"]
    argv += ["-smp", _smp(root)]
    uuid_text = root.findtext("uuid")
    if uuid_text:
        argv += ["-uuid", str(_uuid.UUID(uuid_text.strip()))]
    argv += ["-display", "none", "-no-user-config", "-nodefaults"]

    pass_fds: list[int] = []
    if ctx.monitor_fd is not None:
        argv += ["-chardev", f"socket,id=charmonitor,fd={ctx.monitor_fd},server=on,wait=off"]
        pass_fds.append(ctx.monitor_fd)
    else:
        argv += ["-chardev", f"socket,id=charmonitor,path={opt_escape(ctx.monitor_path)},server=on,wait=off"]
    argv += ["-mon", "chardev=charmonitor,id=monitor,mode=control"]

    clock = root.find("clock")
    offset = clock.get("offset", "utc") if clock is not None else "utc"
    argv += ["-rtc", "base=localtime" if offset == "localtime" else "base=utc"]
    if (root.findtext("on_reboot") or "restart").strip() == "destroy":
        argv.append("-no-reboot")

    os_el = root.find("os")
    if os_el is not None:
        for tag, opt in (("kernel", "-kernel"), ("initrd", "-initrd"), ("cmdline", "-append"), ("dtb", "-dtb")):
            text = os_el.findtext(tag)
            if text:
                argv += [opt, text]
        if os_el.findtext("loader"):
            argv += ["-bios", os_el.findtext("loader").strip()]
        bootmenu = os_el.find("bootmenu")
        boot_opts = []
        if bootmenu is not None and bootmenu.get("enable") == "yes":
            boot_opts.append("menu=on")
            if bootmenu.get("timeout"):
                boot_opts.append(f"splash-time={bootmenu.get('timeout')}")
        boot_opts.append("strict=on")
        argv += ["-boot", ",".join(boot_opts)]
        _boot_order(root)

    pty: list[str] = []
    dev_args = _device_args(root, ctx, family, pty)
    argv += dev_args
    return QemuCommand(argv=argv, pass_fds=tuple(pass_fds), pty_chardevs=pty)


def _device_args(root: etree._Element, ctx: CommandContext, family: str, pty: list[str]) -> list[str]:
    devices = root.find("devices")
    out: list[str] = []

    def device(props: dict[str, Any]) -> None:
        out.extend(["-device", _json(props)])

    # controllers first: buses must exist before devices name them
    ordered = sorted(devices.findall("controller"), key=lambda c: (c.get("type") != "pci", _int(c.get("index"))))
    for ctrl in ordered:
        ctype, model, idx = ctrl.get("type"), ctrl.get("model"), _int(ctrl.get("index"))
        alias = get_alias(ctrl)
        if ctype == "pci" and model == "pcie-root-port":
            tgt = ctrl.find("target")
            port = _int(tgt.get("port") if tgt is not None else None, 0x10 + idx - 1)
            chassis = _int(tgt.get("chassis") if tgt is not None else None, idx)
            props = {"driver": "pcie-root-port", "port": port, "chassis": chassis, "id": alias or f"pci.{idx}"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "pci" and model == "pci-bridge":
            props = {"driver": "pci-bridge", "chassis_nr": idx, "id": alias or f"pci.{idx}"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "usb" and model != "none":
            props = {"driver": _USB_MODELS[model or ("piix3-uhci" if family == "pc" else "qemu-xhci")], "id": alias or "usb"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "scsi":
            props = {"driver": _SCSI_MODELS[model or "lsilogic"], "id": alias or f"scsi{idx}"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "sata" and not (family == "q35" and idx == 0):
            props = {"driver": "ahci", "id": alias or f"sata{idx}"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "virtio-serial":
            props = {"driver": "virtio-serial-pci", "id": alias or f"virtio-serial{idx}"}
            props.update(pci_props(root, ctrl))
            device(props)
        elif ctype == "ide" and family == "q35":
            raise unsupported("IDE controllers are unsupported for this QEMU binary or machine type")

    for audio in devices.findall("audio"):
        out.extend(["-audiodev", _json({"id": f"audio{audio.get('id', '1')}", "driver": _AUDIO_DRIVERS[audio.get("type", "none")]})])
    genid = root.find("genid")
    if genid is not None:
        if not (genid.text or "").strip():
            genid.text = str(_uuid.uuid4())
        device({"driver": "vmgenid", "guid": genid.text.strip(), "id": "vmgenid0"})
    floppies = [d for d in devices.findall("disk") if d.find("target") is not None and d.find("target").get("bus") == "fdc"]
    if floppies and family == "q35":
        device({"driver": "isa-fdc"})

    for disk in devices.findall("disk"):
        for node in disk_blockdevs(disk):
            out.extend(["-blockdev", _json(node)])
        device(disk_device(root, disk))

    for iface in devices.findall("interface"):
        out.extend(["-netdev", _json(netdev_props(iface))])
        device(nic_device(root, iface))

    # serial ports, consoles, channels
    serials = devices.findall("serial")
    for i, ser in enumerate(serials):
        alias = get_alias(ser) or f"serial{i}"
        chardev_id = f"char{alias}"
        out.extend(["-chardev", _chardev(ser, chardev_id, ctx)])
        if ser.get("type", "pty") == "pty":
            pty.append(alias)
        tgt = ser.find("target")
        ttype = tgt.get("type") if tgt is not None else None
        port = _int(tgt.get("port") if tgt is not None else None, i)
        if ttype == "pci-serial":
            props = {"driver": "pci-serial", "chardev": chardev_id, "id": alias}
            props.update(pci_props(root, ser))
        elif ttype == "usb-serial":
            props = {"driver": "usb-serial", "chardev": chardev_id, "id": alias, "bus": "usb.0"}
        else:
            props = {"driver": "isa-serial", "chardev": chardev_id, "id": alias, "index": port}
        device(props)
    for i, con in enumerate(devices.findall("console")):
        tgt = con.find("target")
        ttype = tgt.get("type") if tgt is not None else "serial"
        if ttype == "serial" or ttype is None:
            if i == 0 and serials:
                continue  # libvirt's compatibility console: an alias of the first serial
            raise unsupported("<console> with target type 'serial' needs a matching <serial>")
        if ttype != "virtio":
            raise unsupported(f"console target type '{ttype}' is not supported")
        alias = get_alias(con) or f"console{i}"
        chardev_id = f"char{alias}"
        out.extend(["-chardev", _chardev(con, chardev_id, ctx)])
        if con.get("type", "pty") == "pty":
            pty.append(alias)
        device({"driver": "virtconsole", "chardev": chardev_id, "id": alias})
    for i, chan in enumerate(devices.findall("channel")):
        tgt = chan.find("target")
        if tgt is None or tgt.get("type") != "virtio":
            raise unsupported(f"channel target type '{tgt.get('type') if tgt is not None else None}' is not supported")
        alias = get_alias(chan) or f"channel{i}"
        chardev_id = f"char{alias}"
        out.extend(["-chardev", _chardev(chan, chardev_id, ctx)])
        props = {"driver": "virtserialport", "bus": "virtio-serial0.0", "chardev": chardev_id, "id": alias}
        if tgt.get("name"):
            props["name"] = tgt.get("name")
        device(props)

    usb_port = 1
    for inp in devices.findall("input"):
        itype, bus = inp.get("type"), inp.get("bus", "ps2")
        alias = get_alias(inp) or "input0"
        if bus == "ps2":
            continue  # built into the i8042 of the machine
        if bus == "usb":
            drv = {"tablet": "usb-tablet", "mouse": "usb-mouse", "keyboard": "usb-kbd"}.get(itype or "")
            if drv is None:
                raise unsupported(f"input type '{itype}' on bus 'usb' is not supported")
            device({"driver": drv, "id": alias, "bus": "usb.0", "port": str(usb_port)})
            usb_port += 1
        elif bus == "virtio":
            drv = {"tablet": "virtio-tablet-pci", "mouse": "virtio-mouse-pci", "keyboard": "virtio-keyboard-pci"}.get(itype or "")
            if drv is None:
                raise unsupported(f"input type '{itype}' on bus 'virtio' is not supported")
            props = {"driver": drv, "id": alias}
            props.update(pci_props(root, inp))
            device(props)
        else:
            raise unsupported(f"input bus '{bus}' is not supported")

    for gfx in devices.findall("graphics"):
        out.extend(["-vnc", _vnc(gfx)])

    for video in devices.findall("video"):
        model = video.find("model")
        mtype = model.get("type") if model is not None else "vga"
        if mtype == "none":
            continue
        driver = _VIDEO_MODELS[mtype]
        if video is not devices.find("video"):  # secondary heads have no VGA part
            driver = {"virtio-vga": "virtio-gpu-pci", "qxl-vga": "qxl"}.get(driver, driver)
        props = {"driver": driver, "id": get_alias(video) or "video0"}
        if mtype == "qxl":
            if model.get("ram"):
                props["ram_size"] = _int(model.get("ram")) * 1024
            if model.get("vram"):
                props["vram_size"] = _int(model.get("vram")) * 1024
        if mtype == "vga" and model is not None and model.get("vgamem"):
            props["vgamem_mb"] = _int(model.get("vgamem")) // 1024
        props.update(pci_props(root, video))
        device(props)

    for wd in devices.findall("watchdog"):
        model = wd.get("model")
        drv = {"i6300esb": "i6300esb", "ib700": "ib700", "itco": None}[model]
        if drv is None:
            if family != "q35":
                raise unsupported("watchdog model 'itco' needs a q35 machine")
            out.extend(["-global", "ICH9-LPC.noreboot=off"])
        else:
            props = {"driver": drv, "id": get_alias(wd) or "watchdog0"}
            props.update(pci_props(root, wd))
            device(props)
        action = wd.get("action", "reset")
        if action != "reset":
            out.extend(["-watchdog-action", _WATCHDOG_ACTIONS.get(action, action)])

    balloon = devices.find("memballoon")
    if balloon is not None and balloon.get("model", "virtio") == "virtio":
        props = {"driver": "virtio-balloon-pci", "id": get_alias(balloon) or "balloon0"}
        props.update(pci_props(root, balloon))
        device(props)

    for i, rng in enumerate(devices.findall("rng")):
        backend = rng.find("backend")
        bmodel = backend.get("model") if backend is not None else "random"
        obj_id = f"obj{get_alias(rng) or f'rng{i}'}"
        if bmodel == "random":
            path = (backend.text or "").strip() if backend is not None else ""
            out.extend(["-object", _json({"qom-type": "rng-random", "id": obj_id, "filename": path or "/dev/urandom"})])
        else:
            out.extend(["-object", _json({"qom-type": "rng-builtin", "id": obj_id})])
        props = {"driver": "virtio-rng-pci", "rng": obj_id, "id": get_alias(rng) or f"rng{i}"}
        rate = rng.find("rate")
        if rate is not None:
            props["max-bytes"] = _int(rate.get("bytes"))
            if rate.get("period"):
                props["period"] = _int(rate.get("period"))
        props.update(pci_props(root, rng))
        device(props)

    for panic in devices.findall("panic"):
        addr = panic.find("address")
        props = {"driver": "pvpanic"}
        if addr is not None and addr.get("iobase"):
            props["ioport"] = _int(addr.get("iobase"))
        device(props)
    return out


def _vnc(gfx: etree._Element) -> str:
    socket_path = gfx.get("socket")
    listen = gfx.find("listen")
    if listen is not None and listen.get("type") == "socket":
        socket_path = listen.get("socket") or socket_path
    if socket_path:
        text = f"vnc=unix:{opt_escape(socket_path)}"
    else:
        if listen is not None and listen.get("type") == "none":
            return "none"
        address = gfx.get("listen") or (listen.get("address") if listen is not None else None) or "127.0.0.1"
        port = _int(gfx.get("port"), -1)
        if port < 5900:
            port = _free_vnc_port(address)
            gfx.set("port", str(port))
        host = f"[{address}]" if ":" in address else address
        text = f"{host}:{port - 5900}"
    if gfx.get("passwd"):
        text += ",password=on"
    return text


def _free_vnc_port(address: str) -> int:
    """libvirt's autoport: the first port from 5900 nobody listens on."""
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for port in range(5900, 6000):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
            return port
    raise virt_error(ErrorNumber.INTERNAL_ERROR, "Unable to find an unused port in range 'display' (5900-65535)")


def format_argv(argv: list[str]) -> str:
    """A shell-quoted rendering (for logs and ``domxml-to-native``)."""
    import shlex

    lines: list[str] = [shlex.quote(argv[0])]
    for arg in argv[1:]:
        if arg.startswith("-") or not lines:
            lines.append(arg)
        else:
            lines[-1] += " " + shlex.quote(arg)
    return " \\\n".join(lines)
