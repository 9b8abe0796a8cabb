"""Data that drives the generic parse and the writer: libvirt's element order and defaults.

libvirt formats a domain from its parsed structure, so its output always lists known
elements in one fixed order and leaves out everything it does not know. These tables record
that order per parent element; the post-parse sorts (and prunes) children by them.
"""

from __future__ import annotations

from lxml import etree

from ..._core import xmlcore

#: children of <domain>, in libvirt's output order
DOMAIN_ORDER: tuple[str, ...] = (
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads",
    "iothreadids", "defaultiothread", "cputune", "numatune", "resource", "sysinfo", "bootloader",
    "bootloader_args", "os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot",
    "on_crash", "on_lockfailure", "pm", "perf", "devices", "seclabel", "keywrap",
    "launchSecurity",
)  # fmt: skip

#: device kinds inside <devices>, in libvirt's output order
DEVICE_KINDS: tuple[str, ...] = (
    "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard",
    "serial", "parallel", "console", "channel", "input", "tpm", "graphics", "sound", "audio",
    "video", "hostdev", "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng",
    "panic", "shmem", "memory", "iommu", "vsock", "crypto",
)  # fmt: skip

DEVICE_ORDER: dict[str, int] = {tag: i for i, tag in enumerate(DEVICE_KINDS)}

#: children of <os>
OS_ORDER: tuple[str, ...] = (
    "type", "firmware", "init", "initarg", "initenv", "initdir", "inituser", "initgroup",
    "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "root", "acpi", "boot",
    "bootmenu", "bios", "smbios",
)  # fmt: skip

_DEVICE_INFO = ("boot", "alias", "master", "rom", "acpi", "address")
_CHR = ("source", "protocol", "log", "target", "alias", "address")

#: hand-written child orders (libvirt's formatters) per element path; they are merged with
#: the orders observed in libvirt-written documents by :mod:`.order_gen` (these win)
HAND_ORDER: dict[str, tuple[str, ...]] = {
    ".": DOMAIN_ORDER,
    "devices": DEVICE_KINDS,
    "os": OS_ORDER,
    "cpu": ("model", "vendor", "topology", "cache", "maxphysaddr", "feature", "numa"),
    "devices/disk": (
        "driver", "auth", "source", "backingStore", "backenddomain", "geometry", "blockio",
        "mirror", "target", "iotune", "readonly", "shareable", "transient", "serial", "wwn",
        "vendor", "product", "encryption",
    ) + _DEVICE_INFO,
    "devices/interface": (
        "mac", "source", "vlan", "virtualport", "bandwidth", "port", "ip", "route", "script",
        "downscript", "backenddomain", "target", "guest", "model", "driver", "backend",
        "filterref", "tune", "teaming", "link", "mtu", "coalesce",
    ) + _DEVICE_INFO,
    "devices/controller": ("model", "driver", "target", "pcihole64") + _DEVICE_INFO,
    "devices/serial": _CHR,
    "devices/parallel": _CHR,
    "devices/console": _CHR,
    "devices/channel": _CHR,
    "devices/video": ("driver", "model") + _DEVICE_INFO,
    # libvirt writes features in the order of its feature enumeration
    "features": (
        "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock",
        "capabilities", "pmu", "vmport", "gic", "smm", "ioapic", "hpt", "vmcoreinfo", "htm",
        "nested-hv", "msrs", "ccf-assist", "xen", "cfpc", "sbbc", "ibs", "tcg", "async-teardown",
    ),
    "cputune": (
        "shares", "period", "quota", "global_period", "global_quota", "emulator_period",
        "emulator_quota", "iothread_period", "iothread_quota", "vcpupin", "emulatorpin",
        "iothreadpin", "emulatorsched", "vcpusched", "iothreadsched", "cachetune", "memorytune",
    ),
    "devices/video/model": ("acceleration", "resolution"),
    "memtune": ("hard_limit", "soft_limit", "min_guarantee", "swap_hard_limit"),
    "launchSecurity": ("cbitpos", "reducedPhysBits", "policy", "handle", "dhCert", "session"),
    "devices/vsock": ("cid", "boot", "alias", "master", "rom", "acpi", "address", "driver"),
    "devices/graphics": ("listen", "channel", "image", "streaming", "clipboard", "mouse",
                         "filetransfer", "gl", "audio"),
    "devices/hostdev": ("driver", "source", "origstates", "readonly", "shareable") + _DEVICE_INFO,
    "devices/filesystem": ("driver", "binary", "idmap", "source", "target", "readonly",
                           "space_hard_limit", "space_soft_limit") + _DEVICE_INFO,
}  # fmt: skip

CHILD_ORDER: dict[str, tuple[str, ...]] = {
    "domain": DOMAIN_ORDER,
    "devices": DEVICE_KINDS,
    "os": OS_ORDER,
}


def insert_child(parent: etree._Element, child: etree._Element) -> None:
    """Insert ``child`` where libvirt's order puts it among ``parent``'s children."""
    order = CHILD_ORDER.get(parent.tag)
    if order is None or child.tag not in order:
        parent.append(child)
        return
    rank = order.index(child.tag)
    for existing in parent:
        tag = existing.tag
        if isinstance(tag, str) and tag in order and order.index(tag) > rank:
            existing.addprevious(child)
            return
    parent.append(child)

#: disk bus implied by a target name prefix when <target bus> is absent (first match wins)
DISK_BUS_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"), ("xvd", "xen"), ("ub", "usb"),
)  # fmt: skip

#: generic drive address layout per bus: (units per controller, units per bus)
DRIVE_LAYOUT: dict[str, tuple[int, int]] = {
    "ide": (4, 2),
    "fdc": (2, 2),
    "scsi": (7, 7),
    "sata": (6, 6),
}

#: controllers libvirt adds for disks on a bus, in the order it adds them
IMPLICIT_DISK_CONTROLLERS: tuple[tuple[str, str], ...] = (
    ("scsi", "scsi"), ("fdc", "fdc"), ("ide", "ide"), ("sata", "sata"),
)  # fmt: skip

#: video model attributes libvirt fills in when absent, per model type
VIDEO_DEFAULTS: dict[str, tuple[tuple[str, str], ...]] = {
    "cirrus": (("vram", "16384"),),
    "vga": (("vram", "16384"),),
    "vmvga": (("vram", "16384"),),
    "bochs": (("vram", "16384"),),
    "xen": (("vram", "4096"),),
    "qxl": (("ram", "65536"), ("vram", "65536")),
}



def _is_open(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPEN_PATHS)


def _known_aliases() -> dict[str, str]:
    from .known_data import KNOWN_ALIASES

    return {path: target for path, target in KNOWN_ALIASES.items() if not _is_open(path)}


def _rank_tables() -> dict[str, dict[str, int]]:
    from .order_data import CHILD_ORDER_BY_PATH

    return {path: {tag: i for i, tag in enumerate(order)} for path, order in CHILD_ORDER_BY_PATH.items()}


#: path ('.' for <domain>, 'devices/disk', ...) -> tag -> position in libvirt's output
RANK_BY_PATH: dict[str, dict[str, int]] = _rank_tables()

#: paths whose children libvirt knows completely even without a schema entry
PRUNED_PATHS = frozenset({".", "devices"})

#: names libvirt keeps at a path although its schema does not list them (path ->
#: (element names, attribute names)); see docs/domain-conformance.md
KNOWN_EXTRA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

#: paths where libvirt keeps every element and attribute although its schema is closed
#: there: it copies <metadata> whole, attributes of <metadata> itself included
OPEN_PATHS: frozenset[str] = frozenset({"metadata"})


def _known_tables() -> dict[str, tuple[tuple[str, ...] | None, tuple[str, ...] | None]]:
    from .known_data import KNOWN_BY_PATH

    out = dict(KNOWN_BY_PATH)
    for path, (elements, attributes) in KNOWN_EXTRA.items():
        have_e, have_a = out.get(path, (None, None))
        out[path] = (
            None if have_e is None else tuple(sorted({*have_e, *elements})),
            None if have_a is None else tuple(sorted({*have_a, *attributes})),
        )
    return {path: names for path, names in out.items() if not _is_open(path)}


#: path -> (child element names, attribute names) libvirt knows there (None: any name);
#: from libvirt's schema (:mod:`.known_gen`), amended by KNOWN_EXTRA and OPEN_PATHS
KNOWN_BY_PATH = _known_tables()

#: paths where libvirt keeps an element's text although its schema declares none there
TEXT_KEPT_PATHS: frozenset[str] = frozenset()


def _text_free_paths() -> frozenset[str]:
    from .known_data import TEXT_FREE_PATHS

    return frozenset(p for p in TEXT_FREE_PATHS if p not in TEXT_KEPT_PATHS and not _is_open(p))


#: paths whose element libvirt writes without text (its schema has none there): any text
#: a document puts there goes, as libvirt never reads it
TEXT_FREE_PATHS = _text_free_paths()

#: the order tables, known names and pruned paths compiled once into the core's tree of
#: per-path tables (C hash tables of names)
ORDER_TABLE = xmlcore.compile_order(
    RANK_BY_PATH, PRUNED_PATHS, KNOWN_BY_PATH, _known_aliases(), TEXT_FREE_PATHS
)


def drop_unknown(root: etree._Element) -> None:
    """Remove every element and attribute libvirt does not know at its place, and
    the text of elements libvirt holds none in.

    libvirt's parser reads only the names it knows, so anything else is invisible to its
    rules and missing from its output; this runs first, so pyvirt's rules do not see them
    either. The names known per path come from libvirt's schema (:mod:`.known_gen`). One C
    walk, no Python call per element or attribute. Namespace declarations left unused (or
    made unused) below the root go too: libvirt writes none there.
    """
    if xmlcore.drop_unknown(root, ORDER_TABLE):
        etree.cleanup_namespaces(root)


def canonical_order(root: etree._Element) -> None:
    """Put every element's children in libvirt's order (one C walk over the subtrees that
    have an order; unknown children directly under <domain> and <devices> go too)."""
    xmlcore.canonical_order_table(root, ORDER_TABLE)
