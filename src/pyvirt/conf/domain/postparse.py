"""libvirt's generic domain parse, applied in place to the parsed tree.

The steps follow libvirt's order so that the first error reported is the one libvirt
reports: top-level values (type, name, uuid, memory, vcpus, os) are checked and normalised,
then defaults are filled in, implicit devices added, and children put in canonical order.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..units import LLONG_MAX, parse_scaled, to_kib
from ..values import canonical_uuid, generate_mac, generate_uuid, normalize_mac
from .address import normalize_all
from .devices import post_parse_devices
from .tables import canonical_order, insert_child

D = ErrorDomain.DOMAIN

VIRT_TYPES = frozenset(
    "none qemu kqemu kvm xen lxc uml openvz test vmware hyperv vbox phyp parallels bhyve vz hvf".split()
)
OS_TYPES = frozenset("hvm xen exe uml xenpvh".split())
#: the test driver's capabilities list i686 first: libvirt's default guest arch there
DEFAULT_ARCH = "i686"
ARCHES = frozenset(
    "none alpha armv6l armv7l armv7b aarch64 cris i686 ia64 lm32 loongarch64 m68k microblaze "
    "microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppc64 ppc64le ppcemb "
    "riscv32 riscv64 s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb".split()
)
LIFECYCLE = {
    "on_poweroff": ("destroy", frozenset("destroy restart rename-restart preserve".split())),
    "on_reboot": ("restart", frozenset("destroy restart rename-restart preserve".split())),
    "on_crash": (
        "destroy",
        frozenset("destroy restart rename-restart preserve coredump-destroy coredump-restart".split()),
    ),
}


def err(code: int, detail: str | None = None, domain: int = D) -> Exception:
    return virt_error(code, detail, domain=domain)


def post_parse(root: etree._Element, **options: Any) -> None:
    """Check, normalise and complete the definition rooted at ``root``."""
    _domain_type(root)
    _identity(root)
    _memory(root)
    _vcpus(root)
    os_type = _os(root)
    _lifecycle(root)
    _clock(root)
    devices = root.find("devices")
    if devices is None:
        devices = etree.Element("devices")
        insert_child(root, devices)
    post_parse_devices(root, devices, os_type)
    normalize_all(devices)
    _boot(root, os_type, devices)
    canonical_order(root)


def _domain_type(root: etree._Element) -> None:
    vtype = root.get("type")
    if vtype is None:
        raise err(ErrorNumber.INTERNAL_ERROR, "missing domain type attribute")
    if vtype not in VIRT_TYPES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"invalid domain type {vtype}")


def _identity(root: etree._Element) -> None:
    name = root.find("name")
    if name is None or not (name.text or "").strip():
        raise err(ErrorNumber.NO_NAME)
    uuid = root.find("uuid")
    if uuid is None:
        uuid = etree.Element("uuid")
        uuid.text = generate_uuid()
        insert_child(root, uuid)
    else:
        uuid.text = canonical_uuid(uuid.text or "")


def _scaled_kib(el: etree._Element, what: str) -> int:
    return to_kib(
        parse_scaled(el.text, el.get("unit"), what=what, default_scale=1024, limit=LLONG_MAX)
    )


def _memory(root: etree._Element) -> None:
    for tag in ("maxMemory", "memory", "currentMemory"):
        el = root.find(tag)
        if el is None:
            continue
        kib = _scaled_kib(el, f"./{tag}[1]")
        el.text = str(kib)
        el.set("unit", "KiB")
    mem = root.find("memory")
    if mem is not None:
        cur = root.find("currentMemory")
        if cur is None:
            cur = etree.Element("currentMemory", unit="KiB")
            insert_child(root, cur)
            cur.text = mem.text
        elif int(cur.text or 0) > int(mem.text or 0) or cur.text == "0":
            cur.text = mem.text


def _vcpus(root: etree._Element) -> None:
    el = root.find("vcpu")
    if el is None:
        el = etree.Element("vcpu")
        el.text = "1"
        insert_child(root, el)
    if el.get("placement") is None:
        el.set("placement", "static")


def _os(root: etree._Element) -> str:
    os_el = root.find("os")
    type_el = os_el.find("type") if os_el is not None else None
    if type_el is None or not (type_el.text or "").strip():
        raise err(ErrorNumber.XML_ERROR, "an os <type> must be specified")
    os_type = type_el.text.strip()
    if os_type == "linux":
        os_type = "xen"
    if os_type not in OS_TYPES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown OS type '{os_type}'")
    type_el.text = os_type
    arch = type_el.get("arch")
    if arch is None:
        type_el.attrib.clear()
        items = dict(type_el.attrib)
        type_el.set("arch", DEFAULT_ARCH)
        for k, v in items.items():
            type_el.set(k, v)
    elif arch not in ARCHES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Unknown architecture {arch}")
    return os_type


def _boot(root: etree._Element, os_type: str, devices: etree._Element) -> None:
    if os_type != "hvm" or root.find("bootloader") is not None:
        return
    os_el = root.find("os")
    if os_el.find("boot") is not None:
        return
    for dev in devices:
        if dev.find("boot") is not None:
            return
    boot = etree.Element("boot", dev="hd")
    insert_child(os_el, boot)


def _clock(root: etree._Element) -> None:
    if root.find("clock") is None:
        insert_child(root, etree.Element("clock", offset="utc"))


def _lifecycle(root: etree._Element) -> None:
    for tag, (default, allowed) in LIFECYCLE.items():
        el = root.find(tag)
        if el is None:
            el = etree.Element(tag)
            el.text = default
            insert_child(root, el)
        elif (el.text or "").strip() not in allowed:
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown {tag} action: {el.text}")


def _interfaces(devices: etree._Element) -> None:
    for nic in devices.iterchildren("interface"):
        mac = nic.find("mac")
        if mac is None:
            mac = etree.Element("mac")
            nic.insert(0, mac)
        address = mac.get("address")
        mac.set("address", generate_mac() if address is None else normalize_mac(address))
