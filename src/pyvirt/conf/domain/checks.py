"""Cross-field checks of a parsed domain (libvirt's post-parse validation).

Each check raises the error libvirt raises for the same inconsistency (code and wording), so a
definition libvirt would refuse is refused here with the same code. They run after the
post-parse, on the completed tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from ..._core import xmlcore
from ..._core.xmlcore import attr_rows, child, children, find_all
from ..._core.xmlcore import get as aget
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..values import invalid_prop, parse_bitmap, parse_uuid, uint_prop

D = ErrorDomain.DOMAIN


def _devices(root: etree._Element, tag: str) -> list[etree._Element]:
    """The devices of one kind (C-level lookups; ``findall('devices/x')`` is Python-level)."""
    devices = child(root, "devices")
    return [] if devices is None else children(devices, tag)


def fail(code: int, detail: str) -> Exception:
    return virt_error(code, detail, domain=D)


def validate_domain(root: etree._Element, idx: dict[str, list[etree._Element]] | None = None) -> None:
    """Raise libvirt's error for the first inconsistency found.

    Each check runs only when an element it looks at is present: ``idx`` (from
    :func:`xmlcore.index`, possibly the one the post-parse made: every check concerns
    elements of the input) says which are.
    """
    if idx is None:
        idx = xmlcore.index(root)
    _memory(root)
    for triggers, check in GATED:
        for key in triggers:
            if key in idx:
                check(root)
                break


# ---------------------------------------------------------------------------------------------
# memory, NUMA, hugepages


def _memory(root: etree._Element) -> None:
    """The initial memory (total minus memory devices) must be positive."""
    mem = child(root, "memory")
    total = int(mem.text) if mem is not None and (mem.text or "").isdigit() else 0
    devices = child(root, "devices")
    hotplug = 0
    if devices is not None:
        for dev in children(devices, "memory"):
            target = child(dev, "target")
            size = child(target, "size") if target is not None else None
            if size is not None and (size.text or "").isdigit():
                hotplug += int(size.text)  # respelled in KiB by the post-parse
    if hotplug > total:
        raise fail(ErrorNumber.XML_ERROR, "Total size of memory devices exceeds the total memory size")
    if total - hotplug <= 0:
        raise fail(
            ErrorNumber.XML_ERROR,
            "Memory size must be specified via <memory> or in the <numa> configuration",
        )


def _numa(root: etree._Element) -> None:
    cells = find_all(root, ("cpu", "numa", "cell"))
    for cell in cells:
        access = aget(cell, "memAccess")
        if access is not None and access not in ("shared", "private"):
            raise invalid_prop("memAccess", "cell", access)
    vcpu = child(root, "vcpu")
    max_vcpus = int(vcpu.text) if vcpu is not None and (vcpu.text or "").isdigit() else 1
    sets = [parse_bitmap(aget(c, "cpus", "")) or set() for c in cells]
    for i in range(len(sets)):
        for j in range(i):
            if sets[i] & sets[j]:
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"NUMA cells {aget(cells[i], 'id')} and {aget(cells[j], 'id')} have overlapping vCPU ids",
                )
    if sum(len(x) for x in sets) > max_vcpus:
        raise fail(ErrorNumber.INTERNAL_ERROR, "Number of CPUs in <numa> exceeds the <vcpu> count")
    ids = [aget(c, "id") for c in cells]
    if cells and sorted(int(i) for i in ids if i is not None and i.isdigit()) != list(range(len(cells))):
        raise fail(
            ErrorNumber.XML_ERROR,
            "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or "
            "ranges not starting from 0 are not allowed",
        )
    tune = child(root, "numatune")
    if tune is not None:
        memnodes = children(tune, "memnode")
        if memnodes and not cells:
            raise fail(ErrorNumber.XML_ERROR, "Element 'memnode' is invalid without any guest NUMA cells")
        mem = child(tune, "memory")
        if memnodes and mem is not None and aget(mem, "placement") == "auto":
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "Per-node binding is not compatible with automatic NUMA placement.",
            )
    pages = find_all(root, ("memoryBacking", "hugepages", "page"))
    masters = [p for p in pages if aget(p, "nodeset") is None]
    if cells:
        for page in pages:
            nodes = parse_bitmap(aget(page, "nodeset") or "") or set()
            for node in sorted(nodes):
                if node >= len(cells):
                    raise fail(ErrorNumber.XML_DETAIL, f"hugepages: node {node} not found")
    else:
        masters = pages
    if len(masters) > 1:
        raise fail(
            ErrorNumber.XML_DETAIL,
            f"two master hugepages detected: {masters[1].get('size')} and {masters[0].get('size')}",
        )


# ---------------------------------------------------------------------------------------------
# os / firmware / sysinfo


def _firmware(root: etree._Element) -> None:
    os_el = child(root, "os")
    if os_el is None:
        return
    firmware = aget(os_el, "firmware")
    loader = child(os_el, "loader")
    nvram = child(os_el, "nvram")
    if firmware == "bios" and nvram is not None:
        raise fail(ErrorNumber.XML_DETAIL, "firmware type 'bios' does not support nvram")
    if loader is None:
        return
    ltype = aget(loader, "type")
    path = (loader.text or "").strip()
    if firmware:
        if ltype is not None or path:
            raise fail(
                ErrorNumber.XML_DETAIL,
                "loader attribute 'type' cannot be specified when firmware autoselection is enabled",
            )
        return
    if not path:
        raise fail(ErrorNumber.XML_DETAIL, "no loader path specified and firmware auto selection disabled")
    if ltype != "pflash" and (aget(loader, "stateless") == "no" or nvram is not None):
        raise fail(ErrorNumber.XML_DETAIL, "Only pflash loader type permits NVRAM")
    if aget(loader, "stateless") == "yes" and nvram is not None:
        if aget(nvram, "template") is not None:
            raise fail(ErrorNumber.XML_DETAIL, "NVRAM template is not permitted when loader is stateless")


_BIOS_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{2}|\d{4})$")


def _sysinfo(root: etree._Element) -> None:
    for sysinfo in root.iterfind("sysinfo"):
        if aget(sysinfo, "type") != "smbios":
            continue
        for entry in sysinfo.iterfind("bios/entry"):
            if aget(entry, "name") == "date" and not _BIOS_DATE.match((entry.text or "").strip()):
                raise fail(ErrorNumber.XML_DETAIL, "Invalid BIOS 'date' format")
        for entry in sysinfo.iterfind("system/entry"):
            if aget(entry, "name") == "uuid":
                mine = parse_uuid(root.findtext("uuid") or "")
                theirs = parse_uuid(entry.text or "")
                if theirs is None or mine != theirs:
                    raise fail(ErrorNumber.XML_DETAIL, "UUID mismatch between <uuid> and <sysinfo>")


def _features(root: etree._Element) -> None:
    gic = root.find("features/gic")
    if gic is not None:
        version = aget(gic, "version")
        if version is not None and version not in ("2", "3", "host"):
            raise invalid_prop("version", "gic", version)


# ---------------------------------------------------------------------------------------------
# devices


def _controllers(root: etree._Element) -> None:
    devices = child(root, "devices")
    # type, index, model and whether a <master> is present, read in one core call
    els = children(devices, "controller")
    rows = attr_rows(els, ("type", "index", "model"), "master")
    seen: set[tuple[str | None, str | None]] = set()
    masters = set()
    has_usb = False
    for ctype, index, model, has_master in rows:
        if ctype == "usb":
            if model != "none":
                has_usb = True
            if model == "ich9-ehci1":
                masters.add(index)
            if has_master or (model or "").startswith("ich9-uhci"):
                continue  # companions share their master's index
        key = (ctype, index)
        if key in seen:
            raise fail(ErrorNumber.XML_ERROR, f"Multiple '{ctype}' controllers with index '{index}'")
        seen.add(key)
    for c, (ctype, index, model, _) in zip(els, rows, strict=True):
        if ctype == "pci" and model == "pci-root":
            _pci_root_target(c, index)
        elif ctype == "usb" and model in USB_COMPANIONS and index not in masters:
            raise fail(ErrorNumber.XML_DETAIL, "No master USB controller specified")
    if not has_usb:
        for redir in children(devices, "redirdev"):
            if aget(redir, "bus", "usb") == "usb":
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "cannot add redirected USB device: USB is disabled for this domain",
                )


USB_COMPANIONS = frozenset({"ich9-uhci1", "ich9-uhci2", "ich9-uhci3"})


def _pci_root_target(c: etree._Element, index: str | None) -> None:
    """pSeries host bridges: target index 0 belongs to controller 0, and it has no node."""
    target = child(c, "target")
    if target is None:
        return
    tindex = aget(target, "index")
    if tindex is not None:
        ti = uint_prop(tindex, "index", "target", base=0)
        if ti > 30:
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"PCI controller target index '{ti}' out of range - must be 0-30",
            )
        if (index == "0") != (ti == 0):
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "Only the PCI controller with index 0 can have target index 0, and vice versa",
            )
    if index == "0" and child(target, "node") is not None:
        raise fail(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "The PCI controller with index=0 can't be associated with a NUMA node",
        )


def _disks(root: etree._Element) -> None:
    targets: dict[str, str] = {}
    drive_addrs: dict[tuple[str, ...], str] = {}
    for disk in _devices(root, "disk"):
        target = child(disk, "target")
        dev = aget(target, "dev", "") if target is not None else ""
        src = child(disk, "source")
        name = ""
        if src is not None:
            name = aget(src, "file") or aget(src, "dev") or aget(src, "dir") or aget(src, "name") or ""
            if aget(src, "fdgroup") is not None:
                raise fail(ErrorNumber.CONFIG_UNSUPPORTED, f"driver does not support FD passing for disk '{dev}'")
        if dev in targets:
            raise fail(
                ErrorNumber.XML_ERROR,
                f"target '{dev}' duplicated for disk sources '{targets[dev]}' and '{name}'",
            )
        targets[dev] = name
        if src is None and aget(disk, "device", "disk") in ("disk", "lun") and aget(disk, "type") in (
            "file", "block", "network", "volume", "dir", "nvme", "vhostuser"
        ):
            raise fail(ErrorNumber.NO_SOURCE, dev)
        if aget(disk, "sgio") == "unfiltered":
            raise fail(ErrorNumber.CONFIG_UNSUPPORTED, "unfiltered sgio is no longer supported")
        dtype = aget(disk, "type")
        if aget(disk, "device") == "lun" and dtype != "block":
            proto = aget(src, "protocol") if src is not None else None
            if not (dtype == "network" and proto == "iscsi"):
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "disk device='lun' is only valid for block type disk source",
                )
        bus = aget(target, "bus") if target is not None else None
        addr = child(disk, "address")
        if addr is not None and bus in ("fdc", "ide", "sata", "scsi") and aget(addr, "type") != "drive":
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"Invalid address type '{aget(addr, 'type')}' for the disk '{dev}' with the bus type '{bus}'",
            )
        if addr is not None and aget(addr, "type") == "drive" and bus is not None:
            key = (bus, aget(addr, "controller", "0"), aget(addr, "bus", "0"), aget(addr, "target", "0"),
                   aget(addr, "unit", "0"))  # fmt: skip
            if key in drive_addrs:
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"Found duplicate drive address for disk with target name '{drive_addrs[key]}' "
                    f"controller='{key[1]}' bus='{key[2]}' target='{key[3]}' unit='{key[4]}'",
                )
            drive_addrs[key] = dev
        if src is not None and child(src, "encryption") is not None and child(disk, "encryption") is not None:
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "an <encryption> definition already found for disk source",
            )
    # SCSI host devices must not sit on a disk's drive address
    for hd in _devices(root, "hostdev"):
        addr = child(hd, "address")
        if aget(hd, "type") != "scsi" or addr is None or aget(addr, "type") != "drive":
            continue
        key = ("scsi", aget(addr, "controller", "0"), aget(addr, "bus", "0"), aget(addr, "target", "0"),
               aget(addr, "unit", "0"))  # fmt: skip
        if key in drive_addrs:
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"using disk target name '{drive_addrs[key]}' conflicts with SCSI host device address "
                f"controller='{key[1]}' bus='{key[2]}' target='{key[3]}' unit='{key[4]}'",
            )


def _hostdevs(root: etree._Element) -> None:
    seen: set[bytes] = set()
    ramfb = 0
    for hd in _devices(root, "hostdev"):
        src = child(hd, "source")
        if src is not None:
            key = (aget(hd, "type", "") + etree.tostring(src, method="c14n").decode()).encode()
            if key in seen:
                raise fail(ErrorNumber.XML_ERROR, "Hostdev already exists in the domain configuration")
            seen.add(key)
            if aget(hd, "type") == "mdev":
                addr = child(src, "address")
                if addr is not None and aget(addr, "uuid") is None:
                    raise fail(ErrorNumber.CONFIG_UNSUPPORTED, "Missing 'uuid' attribute for element <address>")
        if aget(hd, "type") == "mdev" and aget(hd, "ramfb") == "on":
            ramfb += 1
            if ramfb > 1:
                raise fail(ErrorNumber.CONFIG_UNSUPPORTED, "Only one vgpu device can have 'ramfb' enabled")


def _iommu(root: etree._Element) -> None:
    for iommu in _devices(root, "iommu"):
        drv = child(iommu, "driver")
        if drv is not None and aget(drv, "intremap") == "on":
            features = child(root, "features")
            ioapic = child(features, "ioapic") if features is not None else None
            if ioapic is None or aget(ioapic, "driver") != "qemu":
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')",
                )


def _watchdogs(root: etree._Element) -> None:
    if len(_devices(root, "watchdog")) > 1:
        raise fail(ErrorNumber.INTERNAL_ERROR, "only a single watchdog device is supported")


def _other_devices(root: etree._Element) -> None:
    for tpm in _devices(root, "tpm"):
        if child(tpm, "backend") is None:
            raise fail(ErrorNumber.XML_ERROR, "missing TPM device backend")
    for shm in _devices(root, "shmem"):
        msi = child(shm, "msi")
        if msi is not None and aget(msi, "enabled", "yes") == "yes" and child(shm, "server") is None:
            raise fail(ErrorNumber.XML_ERROR, "msi option is only supported with a server")
    for addr in root.iter("address"):
        if aget(addr, "type") == "usb" and aget(addr, "port") is not None:
            parts = aget(addr, "port", "").split(".")
            if len(parts) > 4 or not all(p.isdigit() for p in parts):
                raise fail(ErrorNumber.INTERNAL_ERROR, "Cannot parse <address> 'port' attribute")


#: (paths whose presence makes the check relevant, check)
GATED: tuple[tuple[tuple[str, ...], Callable[[etree._Element], None]], ...] = (
    (("features/gic",), _features),
    (("cpu/numa/cell", "numatune", "memoryBacking/hugepages/page"), _numa),
    (("os/loader", "os/nvram"), _firmware),
    (("sysinfo",), _sysinfo),
    (("devices/controller", "devices/redirdev"), _controllers),
    (("devices/disk",), _disks),
    (("devices/hostdev",), _hostdevs),
    (("devices/iommu",), _iommu),
    (("devices/watchdog",), _watchdogs),
    (("devices/tpm", "devices/shmem", "devices/interface/driver", "devices/redirdev/address",
      "devices/hostdev/address", "devices/disk/address", "devices/input/address",
      "devices/hub/address", "devices/interface/address"), _other_devices),
)  # fmt: skip
