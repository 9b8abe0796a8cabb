"""libvirt's enumerated attribute values for the domain format, and their parse errors.

Each entry names an element path, an attribute, the values libvirt 9.0 accepts and how it
reports anything else: most attributes go through virXMLPropEnum ("Invalid value for
attribute 'a' in element 'e': 'v'."), a few older ones have their own wording and code.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..values import invalid_prop, str_to_uint

_S = frozenset


class UnsignedValues:
    """The values a C unsigned int attribute takes (virXMLPropUInt, base 10), as a row's
    allowed values: the rows check a few numbers libvirt reads with the enumerations."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and str_to_uint(value, 10) is not None


def _not_unsigned(attr: str, tag: str, value: str) -> Exception:
    return invalid_prop(attr, tag, value, "Expected non-negative integer value")


DISK_TYPES = _S("file block dir network volume nvme vhostuser".split())
DISK_DEVICES = _S("disk cdrom floppy lun".split())
DISK_BUSES = _S("ide fdc scsi virtio xen usb uml sata sd".split())
NET_TYPES = _S(
    "user ethernet vhostuser server client mcast network bridge internal direct hostdev udp "
    "vdpa null vds".split()
)
GRAPHICS_TYPES = _S("sdl vnc rdp desktop spice egl-headless dbus".split())
CONTROLLER_TYPES = _S("ide fdc scsi sata virtio-serial ccid usb pci xenbus isa".split())
VIDEO_MODELS = _S("default vga cirrus vmvga xen vbox qxl parallels virtio gop none bochs ramfb".split())
INPUT_TYPES = _S("mouse tablet keyboard passthrough evdev".split())
INPUT_BUSES = _S("ps2 usb xen parallels virtio none".split())
CLOCK_OFFSETS = _S("utc localtime variable timezone absolute".split())
CPU_MODES = _S("custom host-model host-passthrough maximum".split())
SNAPSHOT = _S("no internal external manual".split())  # "default" is libvirt's absent value
CACHE = _S("default none writethrough writeback directsync unsafe".split())
SOUND_MODELS = _S("sb16 es1370 pcspk ac97 ich6 ich9 usb ich7".split())
BALLOON_MODELS = _S("virtio xen none virtio-transitional virtio-non-transitional".split())
WATCHDOG_MODELS = _S("i6300esb ib700 diag288".split())  # itco came in libvirt 9.1
HOSTDEV_TYPES = _S("usb pci scsi scsi_host mdev".split())
PLACEMENT = _S("static auto".split())
#: controller models by controller type (a model of another type is "Unknown model type");
#: the types not named here take no model
CONTROLLER_MODELS = {
    "scsi": _S(
        "auto buslogic lsilogic lsisas1068 vmpvscsi ibmvscsi virtio-scsi lsisas1078 "
        "virtio-transitional virtio-non-transitional ncr53c90 am53c974 dc390".split()
    ),
    "usb": _S(
        "piix3-uhci piix4-uhci ehci ich9-ehci1 ich9-uhci1 ich9-uhci2 ich9-uhci3 vt82c686b-uhci "
        "pci-ohci nec-xhci qusb1 qusb2 qemu-xhci none".split()
    ),
    "pci": _S(
        "pci-root pcie-root pci-bridge dmi-to-pci-bridge pcie-root-port pcie-switch-upstream-port "
        "pcie-switch-downstream-port pci-expander-bus pcie-expander-bus pcie-to-pci-bridge".split()
    ),
    "ide": _S("piix3 piix4 ich6".split()),
    "virtio-serial": _S("virtio virtio-transitional virtio-non-transitional".split()),
}
#: a controller without a type is an IDE one
CONTROLLER_DEFAULT_TYPE = "ide"
_COMMON_FIRST = ("pci", "usb", "sata", "ide", "virtio-serial", "scsi", "ccid", "fdc", "isa", "xenbus")
TIMER_NAMES = _S("platform pit rtc hpet tsc kvmclock hypervclock armvtimer".split())
YES_NO = _S(("yes", "no"))
ON_OFF = _S(("on", "off"))
LOADER_TYPES = _S(("rom", "pflash"))
FIRMWARES = _S(("bios", "efi", ""))  # empty: none (libvirt reads an empty XPath string as none)
BOOT_DEVICES = _S("fd hd cdrom network".split())
CPU_MATCHES = _S("minimum exact strict".split())
SYSINFO_TYPES = _S(("smbios", "fwcfg"))
KEYWRAP_CIPHERS = _S(("aes", "dea"))
LAUNCH_SECURITY_TYPES = _S(("sev", "s390-pv"))  # sev-snp came later
PERF_EVENTS = _S(
    "cmt mbmt mbml cpu_cycles instructions cache_references cache_misses branch_instructions "
    "branch_misses bus_cycles stalled_cycles_frontend stalled_cycles_backend ref_cpu_cycles cpu_clock "
    "task_clock page_faults context_switches cpu_migrations page_faults_min page_faults_maj "
    "alignment_faults emulation_faults".split()
)
#: disk image formats libvirt 9.0 reads from <driver type> ("aio": Xen's old spelling of raw;
#: "none" and "luks" are storage formats it refuses there)
DISK_FORMATS = _S("aio raw dir bochs cloop dmg iso vpc vdi fat vhd ploop cow qcow qcow2 qed vmdk".split())
#: device address types (virDomainDeviceAddressType without "none"; dimm, virtio-s390 and
#: unassigned are refused later, with their own errors)
ADDRESS_TYPES = _S(
    "pci drive virtio-serial ccid usb spapr-vio virtio-s390 ccw virtio-mmio isa dimm unassigned".split()
)
#: the devices whose <address> libvirt reads as the device's address (virDomainDeviceInfoParseXML)
ADDRESSED_DEVICES = (
    "disk controller filesystem interface input sound video hostdev watchdog memballoon rng "
    "redirdev smartcard serial parallel console channel hub panic shmem memory iommu vsock tpm "
    "nvram".split()
)
#: how a character device is presented to the host (<serial type> etc.)
CHARDEV_TYPES = _S(
    "null vc pty dev file pipe stdio udp tcp unix spicevmc spiceport nmdm qemu-vdagent dbus".split()
)
#: character device target types by device (parallel ports take any)
CHARDEV_TARGET_TYPES = {
    "serial": _S("none isa-serial usb-serial pci-serial spapr-vio-serial system-serial sclp-serial "
                 "isa-debug".split()),
    "console": _S("none serial virtio xen lxc openvz sclp sclplm".split()),
    "channel": _S("none guestfwd virtio xen".split()),
}
GRAPHICS_LISTEN_TYPES = _S("address network socket none".split())
RNG_MODELS = _S("virtio virtio-transitional virtio-non-transitional".split())
RNG_BACKENDS = _S("random egd builtin".split())
HOSTDEV_MODES = _S(("subsystem", "capabilities"))
#: <cpu><model fallback>; libvirt reads an empty value as absent
CPU_FALLBACKS = _S(("allow", "forbid", ""))
CPU_FEATURE_POLICIES = _S("force require optional disable forbid".split())
AUDIO_TYPES = _S("none alsa coreaudio jack oss pulseaudio sdl spice file dbus".split())
PANIC_MODELS = _S("default isa pseries hyperv s390".split())
VSOCK_MODELS = _S("virtio virtio-transitional virtio-non-transitional".split())
NVRAM_TYPES = DISK_TYPES  # a storage source type (dir and volume are refused later, uncaused)


def _unsupported(template: str, domain: int = ErrorDomain.DOMAIN):  # type: ignore[no-untyped-def]
    def make(attr: str, tag: str, value: str) -> Exception:
        return virt_error(ErrorNumber.CONFIG_UNSUPPORTED, template.format(value), domain=domain)

    return make


def _xml_error(template: str):  # type: ignore[no-untyped-def]
    def make(attr: str, tag: str, value: str) -> Exception:
        return virt_error(ErrorNumber.XML_ERROR, template.format(value), domain=ErrorDomain.DOMAIN)

    return make


#: (path, attribute, allowed values, error maker or None for libvirt's generic wording[,
#: condition]): a condition ``(attribute, default, value)`` limits the row to elements where
#: that attribute (``default`` when absent) is ``value``
_ROWS_IN_DOCUMENT_ORDER = (
    ("vcpu", "placement", PLACEMENT, None),
    # <cpu>, read with the vCPUs (before <features>)
    ("cpu", "mode", CPU_MODES, _unsupported("Invalid mode attribute '{}'", ErrorDomain.CPU)),
    ("cpu", "match", CPU_MATCHES, None),
    # libvirt reads it only in custom (the default) and host-model mode: a bad value in the
    # other modes is refused here and not by libvirt (the rows cannot test the parent's mode)
    ("cpu/model", "fallback", CPU_FALLBACKS, _unsupported("Invalid fallback attribute", ErrorDomain.CPU)),
    # then the topology (a zero or a missing count is refused elsewhere) and the features
    *(("cpu/topology", name, UnsignedValues(), _not_unsigned) for name in ("sockets", "dies", "cores", "threads")),
    ("cpu/feature", "policy", CPU_FEATURE_POLICIES, _unsupported("Invalid CPU feature policy", ErrorDomain.CPU)),
    # read after the lifecycle actions, in libvirt's order: power management, perf events,
    # the clock, the firmware and its files, boot devices, the devices, launch security,
    # sysinfo, key wrap ciphers
    ("pm/suspend-to-mem", "enabled", YES_NO, None),
    ("pm/suspend-to-disk", "enabled", YES_NO, None),
    ("perf/event", "name", PERF_EVENTS, None),
    ("clock", "offset", CLOCK_OFFSETS, _unsupported("unknown clock offset '{}'")),
    ("clock/timer", "name", TIMER_NAMES, None),
    ("os", "firmware", FIRMWARES, _xml_error("unknown firmware value {}")),
    ("os/nvram", "type", NVRAM_TYPES, None),
    ("os/loader", "readonly", YES_NO, None),
    ("os/loader", "type", LOADER_TYPES, None),
    ("os/loader", "secure", YES_NO, None),
    ("os/loader", "stateless", YES_NO, None),
    ("os/boot", "dev", BOOT_DEVICES, None),
    # (libvirt reads the first <bootmenu> only: a later repeat's bad value is refused here alone)
    ("os/bootmenu", "enable", YES_NO, None),
    ("devices/disk", "type", DISK_TYPES, None),
    ("devices/disk", "device", DISK_DEVICES, None),
    ("devices/disk", "snapshot", SNAPSHOT, None),
    ("devices/disk/target", "bus", DISK_BUSES, None),
    ("devices/disk/driver", "cache", CACHE, None),
    # read after the driver's other attributes (virDomainDiskDefDriverSourceParseXML)
    ("devices/disk/driver", "type", DISK_FORMATS, _unsupported("unknown driver format value '{}'")),
    ("devices/interface", "type", NET_TYPES, None),
    ("devices/graphics", "type", GRAPHICS_TYPES, None),
    # libvirt reads listens for vnc, spice and rdp only: a bad value under the other types is
    # refused here and not by libvirt (the rows cannot test the parent's type)
    ("devices/graphics/listen", "type", GRAPHICS_LISTEN_TYPES, None),
    ("devices/controller", "type", CONTROLLER_TYPES, None),
    ("devices/sound", "model", SOUND_MODELS, None),
    ("devices/memballoon", "model", BALLOON_MODELS, None),
    ("devices/video/model", "type", VIDEO_MODELS, _unsupported("unknown video model '{}'")),
    ("devices/input", "type", INPUT_TYPES, _unsupported("unknown input device type '{}'")),
    ("devices/input", "bus", INPUT_BUSES, _unsupported("unknown input bus type '{}'")),
    ("devices/watchdog", "model", WATCHDOG_MODELS, _unsupported("unknown watchdog model '{}'")),
    ("devices/vsock", "model", VSOCK_MODELS, None),
    # the audio backend, then its id (a zero or missing id is refused elsewhere)
    ("devices/audio", "type", AUDIO_TYPES, None),
    ("devices/audio", "id", UnsignedValues(), _not_unsigned),
    # libvirt counts the backends between the two (a second backend is refused before its model)
    ("devices/rng", "model", RNG_MODELS, _unsupported("unknown RNG model '{}'")),
    ("devices/rng/backend", "model", RNG_BACKENDS, _unsupported("unknown RNG backend model '{}'")),
    # one row per controller type (only one applies to a controller; the common types first,
    # as the walk stops at the row that applies)
    *(("devices/controller", "model", CONTROLLER_MODELS.get(kind, _S()),
       _unsupported("Unknown model type '{}'"), ("type", CONTROLLER_DEFAULT_TYPE, kind))
      for kind in sorted(CONTROLLER_TYPES, key=_COMMON_FIRST.index)),
    ("devices/controller/target", "hotplug", ON_OFF, None),
    ("devices/hostdev", "mode", HOSTDEV_MODES, _unsupported("unknown hostdev mode '{}'"), None),
    ("devices/hostdev", "type", HOSTDEV_TYPES,
     _unsupported("unknown host device source address type '{}'")),
    *((f"devices/{kind}", "type", CHARDEV_TYPES,
       _unsupported("unknown type presented to host for character device: {}"))
      for kind in ("serial", "parallel", "console", "channel")),
    *((f"devices/{kind}/target", "type", allowed,
       _unsupported("unknown target type '{}' specified for character device"))
      for kind, allowed in CHARDEV_TARGET_TYPES.items()),
    # read with each device's info (after the device's own attributes)
    # a USB companion's port on its master (the first <master> only), read before the address
    *((f"devices/{kind}/master", "startport", UnsignedValues(), _not_unsigned) for kind in ADDRESSED_DEVICES),
    *((f"devices/{kind}/address", "type", ADDRESS_TYPES, _unsupported("unknown address type '{}'"))
      for kind in ADDRESSED_DEVICES),
    # a panic device's model is read after its info
    ("devices/panic", "model", PANIC_MODELS, _unsupported("unknown panic model '{}'")),
    ("launchSecurity", "type", LAUNCH_SECURITY_TYPES, None),
    ("sysinfo", "type", SYSINFO_TYPES, None),
    ("keywrap/cipher", "name", KEYWRAP_CIPHERS, None),
)  # fmt: skip


#: the order libvirt 9.0 reads the device kinds in (virDomainDefParseXML), found live: a
#: broken row of a kind read earlier wins over one of a kind read later
DEVICE_READ_ORDER = (
    "disk controller filesystem interface smartcard parallel serial console channel input graphics "
    "sound audio video hostdev watchdog memballoon rng iommu memory shmem panic nvram hub redirdev tpm "
    "vsock".split()
)


def _in_read_order(rows: tuple[tuple, ...]) -> tuple[tuple, ...]:  # type: ignore[type-arg]
    """The device rows (consecutive in ``rows``) sorted by DEVICE_READ_ORDER, each kind's rows
    kept in their order (the device's own attributes, then its info: master, address)."""
    first = next(i for i, row in enumerate(rows) if row[0].startswith("devices/"))
    end = max(i for i, row in enumerate(rows) if row[0].startswith("devices/")) + 1
    kinds = sorted(rows[first:end], key=lambda row: DEVICE_READ_ORDER.index(row[0].split("/")[1]))
    return (*rows[:first], *kinds, *rows[end:])


ENUMS = _in_read_order(_ROWS_IN_DOCUMENT_ORDER)

#: paths of which libvirt reads only the first element among its siblings (a repeat is
#: ignored, whatever its values)
FIRST_ONLY_PATHS = frozenset(
    path for path, *_ in ENUMS
    if path.rsplit("/", 1)[-1] in ("address", "master", "bootmenu", "topology", "driver")
    or path in ("cpu/model", "devices/video/model", "devices/disk/target",
                *(f"devices/{kind}/target" for kind in ("serial", "parallel", "console", "channel")))
)  # (a controller's repeated <target> is refused as such)


#: one compiled row: (attribute, allowed values, row number, condition or None)
ValueRule = tuple[bytes, "frozenset[str] | UnsignedValues", int, tuple[bytes, str, str] | None]


def _value_rules(
    rows: Iterable[tuple[str, str, frozenset[str], tuple[str, str, str] | None]],
) -> dict[str, tuple[ValueRule, ...]]:
    """Rows ``(path, attribute, allowed, condition)`` grouped by path and numbered in order
    (the lowest-numbered broken row is the one reported). ``condition`` is None or
    ``(attribute, default, value)``: the row applies only where that attribute (``default``
    when absent) is ``value``. Names are bytes, as the C walk compares them."""
    table: dict[str, list[ValueRule]] = {}
    for no, (path, attr, allowed, cond) in enumerate(rows):
        when = None if cond is None else (cond[0].encode(), cond[1], cond[2])
        values = allowed if isinstance(allowed, UnsignedValues) else frozenset(allowed)
        table.setdefault(path, []).append((attr.encode(), values, no, when))
    return {path: tuple(found) for path, found in table.items()}


#: ENUMS as the value-rule tables the post-parse's first C walk checks
#: (:mod:`pyvirt._core.domain_post`); capabilities-mode host devices are exempt
RULES = _value_rules(
    (row[0], row[1], row[2],
     row[4] if len(row) > 4 else ("mode", "subsystem", "subsystem") if row[0] == "devices/hostdev" else None)
    for row in ENUMS
)


def enum_error(broken: tuple[int, etree._Element, str]) -> Exception:
    """libvirt's error for a row of ENUMS broken: ``(row number, element, value)``."""
    path, attr, _, maker = ENUMS[broken[0]][:4]
    return (maker or invalid_prop)(attr, path.rsplit("/", 1)[-1], broken[2])
