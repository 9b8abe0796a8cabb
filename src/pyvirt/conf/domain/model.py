"""Typed views over a domain document: ``DomainDef`` and its parts (os, devices, disks ...).

Every view reads and writes the lxml tree it wraps, so a change made through an attribute
shows in ``to_xml()``. The generic post-parse and the checks live in the compiled core
(``pyvirt._core.domain_post``, ``pyvirt._core.domain_checks``); this module is the
user-facing shape only.
"""

from __future__ import annotations

import copy as _copy
from typing import Any, Self

from lxml import etree

from ..._core.domain_checks import validate_domain
from ..._core.domain_post import post_parse
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..base import Attr, Child, ChildList, ChildText, ViewList, XMLDef, XMLView, parse_xml
from ..units import parse_scaled, to_kib
from ..values import canonical_uuid, generate_uuid, normalize_mac
from .format import format_domain
from .tables import CHILD_ORDER, DEVICE_ORDER, insert_child


def _get_kib(el: etree._Element | None, what: str) -> int | None:
    if el is None:
        return None
    return to_kib(parse_scaled(el.text, el.get("unit"), what=what, default_scale=1024))


def _set_kib(parent: etree._Element, tag: str, value: int | None, before: tuple[str, ...] = ()) -> None:
    el = parent.find(tag)
    if value is None:
        if el is not None:
            parent.remove(el)
        return
    if el is None:
        el = etree.Element(tag)
        for name in before:
            anchor = parent.find(name)
            if anchor is not None:
                anchor.addprevious(el)
                break
        else:
            parent.append(el)
    el.text = str(int(value))
    el.attrib.clear()
    el.set("unit", "KiB")


# ---------------------------------------------------------------------------------------------
# small shared parts


class Address(XMLView):
    """A device address (``pci``, ``drive``, ``usb``, ...); attributes kept as strings."""

    TAG = "address"
    type = Attr("type")
    domain = Attr("domain")
    bus = Attr("bus")
    slot = Attr("slot")
    function = Attr("function")
    controller = Attr("controller")
    target = Attr("target")
    unit = Attr("unit")
    port = Attr("port")


class Mac(XMLView):
    TAG = "mac"

    @property
    def address(self) -> str | None:
        return self._el.get("address")

    @address.setter
    def address(self, value: str | None) -> None:
        if value is None:
            self._el.attrib.pop("address", None)
        else:
            self._el.set("address", normalize_mac(value))


class Model(XMLView):
    TAG = "model"
    type = Attr("type")


class Driver(XMLView):
    TAG = "driver"
    name = Attr("name")
    type = Attr("type")
    cache = Attr("cache")
    io = Attr("io")
    queues = Attr("queues", int)


class Alias(XMLView):
    TAG = "alias"
    name = Attr("name")


# ---------------------------------------------------------------------------------------------
# devices


class DiskSource(XMLView):
    TAG = "source"
    file = Attr("file")
    dev = Attr("dev")
    dir = Attr("dir")
    pool = Attr("pool")
    volume = Attr("volume")
    protocol = Attr("protocol")
    name = Attr("name")


class DiskTarget(XMLView):
    TAG = "target"
    dev = Attr("dev")
    bus = Attr("bus")
    tray = Attr("tray")
    removable = Attr("removable")


class Disk(XMLView):
    TAG = "disk"
    type = Attr("type")
    device = Attr("device", default="disk")
    source = Child(DiskSource)
    target = Child(DiskTarget)
    driver = Child(Driver)
    address = Child(Address)
    alias = Child(Alias)
    serial = ChildText("serial")

    @property
    def readonly(self) -> bool:
        return self._el.find("readonly") is not None

    @readonly.setter
    def readonly(self, value: bool) -> None:
        _set_flag(self._el, "readonly", value)

    @property
    def shareable(self) -> bool:
        return self._el.find("shareable") is not None

    @shareable.setter
    def shareable(self, value: bool) -> None:
        _set_flag(self._el, "shareable", value)


def _set_flag(el: etree._Element, tag: str, value: bool) -> None:
    child = el.find(tag)
    if value and child is None:
        etree.SubElement(el, tag)
    elif not value and child is not None:
        el.remove(child)


class InterfaceSource(XMLView):
    TAG = "source"
    network = Attr("network")
    bridge = Attr("bridge")
    dev = Attr("dev")
    mode = Attr("mode")
    portgroup = Attr("portgroup")


class InterfaceTarget(XMLView):
    TAG = "target"
    dev = Attr("dev")


class Interface(XMLView):
    TAG = "interface"
    type = Attr("type")
    mac = Child(Mac)
    source = Child(InterfaceSource)
    target = Child(InterfaceTarget)
    model = Child(Model)
    driver = Child(Driver)
    address = Child(Address)
    alias = Child(Alias)


class Listen(XMLView):
    TAG = "listen"
    type = Attr("type")
    address = Attr("address")
    network = Attr("network")
    socket = Attr("socket")


class Graphics(XMLView):
    TAG = "graphics"
    type = Attr("type")
    port = Attr("port", int)
    tls_port = Attr("tlsPort", int)
    autoport = Attr("autoport")
    listen = Attr("listen")
    passwd = Attr("passwd")
    keymap = Attr("keymap")
    listens = ChildList(Listen)


class Controller(XMLView):
    TAG = "controller"
    type = Attr("type")
    index = Attr("index", int)
    model = Attr("model")
    address = Child(Address)
    alias = Child(Alias)


class VideoModel(XMLView):
    TAG = "model"
    type = Attr("type")
    vram = Attr("vram", int)
    heads = Attr("heads", int)
    primary = Attr("primary")


class Video(XMLView):
    TAG = "video"
    model = Child(VideoModel)
    address = Child(Address)


class CharTarget(XMLView):
    TAG = "target"
    type = Attr("type")
    port = Attr("port", int)
    name = Attr("name")


class CharSource(XMLView):
    TAG = "source"
    path = Attr("path")
    mode = Attr("mode")
    host = Attr("host")
    service = Attr("service")


class CharDevice(XMLView):
    """serial, parallel, console and channel devices share one shape."""

    TAG = "serial"
    type = Attr("type")
    source = Child(CharSource)
    target = Child(CharTarget)
    address = Child(Address)


class Input(XMLView):
    TAG = "input"
    type = Attr("type")
    bus = Attr("bus")


class Sound(XMLView):
    TAG = "sound"
    model = Attr("model")


class HostDev(XMLView):
    TAG = "hostdev"
    mode = Attr("mode")
    type = Attr("type")
    managed = Attr("managed")


class MemBalloon(XMLView):
    TAG = "memballoon"
    model = Attr("model")


class Rng(XMLView):
    TAG = "rng"
    model = Attr("model")


class Watchdog(XMLView):
    TAG = "watchdog"
    model = Attr("model")
    action = Attr("action")


class FileSystem(XMLView):
    TAG = "filesystem"
    type = Attr("type")
    accessmode = Attr("accessmode")


class Devices(XMLView):
    TAG = "devices"
    emulator = ChildText("emulator")
    disks = ChildList(Disk)
    controllers = ChildList(Controller)
    filesystems = ChildList(FileSystem)
    interfaces = ChildList(Interface)
    serials = ChildList(CharDevice, "serial")
    parallels = ChildList(CharDevice, "parallel")
    consoles = ChildList(CharDevice, "console")
    channels = ChildList(CharDevice, "channel")
    inputs = ChildList(Input)
    graphics = ChildList(Graphics)
    sounds = ChildList(Sound)
    videos = ChildList(Video)
    hostdevs = ChildList(HostDev)
    watchdogs = ChildList(Watchdog)
    memballoon = Child(MemBalloon)
    rngs = ChildList(Rng)

    def add(self, device: XMLView) -> None:
        """Insert a device at libvirt's place for its kind (after others of the same kind)."""

        rank = DEVICE_ORDER.get(device.element.tag, len(DEVICE_ORDER))
        for child in self._el:
            if DEVICE_ORDER.get(child.tag, len(DEVICE_ORDER)) > rank:
                child.addprevious(device.element)
                return
        self._el.append(device.element)


# ---------------------------------------------------------------------------------------------
# os, cpu, features


class Boot(XMLView):
    TAG = "boot"
    dev = Attr("dev")


class OSType(XMLView):
    TAG = "type"
    arch = Attr("arch")
    machine = Attr("machine")


class OS(XMLView):
    TAG = "os"
    loader = ChildText("loader")
    kernel = ChildText("kernel")
    initrd = ChildText("initrd")
    cmdline = ChildText("cmdline")

    @property
    def type(self) -> str | None:
        el = self._el.find("type")
        return None if el is None else (el.text or "").strip()

    @type.setter
    def type(self, value: str | None) -> None:
        el = self._el.find("type")
        if el is None:
            el = etree.Element("type")
            self._el.insert(0, el)
        el.text = value

    def _type_attr(self, name: str) -> str | None:
        el = self._el.find("type")
        return None if el is None else el.get(name)

    def _set_type_attr(self, name: str, value: str | None) -> None:
        el = self._el.find("type")
        if el is None:
            el = etree.Element("type")
            self._el.insert(0, el)
        if value is None:
            el.attrib.pop(name, None)
        else:
            el.set(name, value)

    @property
    def arch(self) -> str | None:
        return self._type_attr("arch")

    @arch.setter
    def arch(self, value: str | None) -> None:
        self._set_type_attr("arch", value)

    @property
    def machine(self) -> str | None:
        return self._type_attr("machine")

    @machine.setter
    def machine(self, value: str | None) -> None:
        self._set_type_attr("machine", value)

    @property
    def boot_devices(self) -> list[str]:
        """The ``<boot dev=.../>`` order (hd, cdrom, network, fd)."""
        return [b.get("dev", "") for b in self._el.findall("boot")]

    @boot_devices.setter
    def boot_devices(self, devs: list[str]) -> None:
        old = self._el.findall("boot")
        anchor = old[0] if old else None
        for b in old[1:]:
            self._el.remove(b)
        for dev in devs:
            el = etree.Element("boot", dev=dev)
            if anchor is not None:
                anchor.addprevious(el)
            else:
                self._insert_boot(el)
        if anchor is not None:
            self._el.remove(anchor)

    def _insert_boot(self, el: etree._Element) -> None:

        order = CHILD_ORDER["os"]
        rank = order.index("boot")
        for child in self._el:
            if child.tag in order and order.index(child.tag) > rank:
                child.addprevious(el)
                return
        self._el.append(el)


class CPU(XMLView):
    TAG = "cpu"
    mode = Attr("mode")
    match = Attr("match")
    check = Attr("check")
    model = ChildText("model")


class Features(XMLView):
    TAG = "features"

    def __contains__(self, name: str) -> bool:
        return self._el.find(name) is not None

    @property
    def names(self) -> list[str]:
        return [c.tag for c in self._el if isinstance(c.tag, str)]


class Clock(XMLView):
    TAG = "clock"
    offset = Attr("offset")


# ---------------------------------------------------------------------------------------------
# the domain


class DomainDef(XMLDef):
    """A domain definition (libvirt's ``<domain>``), parsed and formatted as libvirt does.

    ``from_xml`` runs libvirt's generic parse (values checked, units normalised, defaults and
    implicit devices added, canonical order); ``to_xml`` writes libvirt's output.
    """

    TAG = "domain"
    SOURCE = "domain_definition"
    ERROR_DOMAIN = ErrorDomain.DOMAIN

    __slots__ = ()

    type = Attr("type")
    name = ChildText("name")
    title = ChildText("title")
    description = ChildText("description")
    on_poweroff = ChildText("on_poweroff")
    on_reboot = ChildText("on_reboot")
    on_crash = ChildText("on_crash")
    os = Child(OS)
    cpu = Child(CPU)
    features = Child(Features)
    clock = Child(Clock)

    # -- identity -----------------------------------------------------------------------------

    @property
    def uuid(self) -> str:
        el = self._el.find("uuid")
        if el is None or not el.text:
            self.uuid = generate_uuid()
            el = self._el.find("uuid")
        return (el.text or "").strip()

    @uuid.setter
    def uuid(self, value: str) -> None:

        el = self._el.find("uuid")
        if el is None:
            el = etree.Element("uuid")
            insert_child(self._el, el)
        el.text = canonical_uuid(value)

    @property
    def id(self) -> int | None:
        raw = self._el.get("id")
        return None if raw is None else int(raw)

    # -- memory (KiB) ---------------------------------------------------------------------------

    @property
    def memory(self) -> int | None:
        """Initial/maximum memory in KiB (``<memory>``; libvirt's units converted)."""
        return _get_kib(self._el.find("memory"), "./memory[1]")

    @memory.setter
    def memory(self, kib: int | None) -> None:
        _set_kib(self._el, "memory", kib, ("currentMemory", "blkiotune", "memtune", "vcpu"))

    @property
    def current_memory(self) -> int | None:
        return _get_kib(self._el.find("currentMemory"), "./currentMemory[1]")

    @current_memory.setter
    def current_memory(self, kib: int | None) -> None:
        _set_kib(self._el, "currentMemory", kib, ("blkiotune", "memtune", "vcpu"))

    @property
    def max_memory(self) -> int | None:
        """Hotplug ceiling in KiB (``<maxMemory slots='N'>``)."""
        return _get_kib(self._el.find("maxMemory"), "./maxMemory[1]")

    @max_memory.setter
    def max_memory(self, kib: int | None) -> None:
        slots = None
        el = self._el.find("maxMemory")
        if el is not None:
            slots = el.get("slots")
        _set_kib(self._el, "maxMemory", kib, ("memory",))
        el = self._el.find("maxMemory")
        if el is not None and slots is not None:
            el.set("slots", slots)

    # -- vcpus ----------------------------------------------------------------------------------

    @property
    def max_vcpus(self) -> int:
        el = self._el.find("vcpu")
        return 1 if el is None or not el.text else int(el.text)

    @max_vcpus.setter
    def max_vcpus(self, value: int) -> None:

        el = self._el.find("vcpu")
        if el is None:
            el = etree.Element("vcpu", placement="static")
            insert_child(self._el, el)
        el.text = str(int(value))

    @property
    def vcpus(self) -> int:
        """Current vCPU count (``<vcpu current=...>``, else the maximum)."""
        el = self._el.find("vcpu")
        if el is None:
            return 1
        cur = el.get("current")
        return int(cur) if cur is not None else self.max_vcpus

    @vcpus.setter
    def vcpus(self, value: int) -> None:
        if value > self.max_vcpus:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "maximum vCPU count must not be less than current vCPU count",
                domain=ErrorDomain.DOMAIN,
            )
        el = self._el.find("vcpu")
        if el is None:
            self.max_vcpus = value
            return
        if value == self.max_vcpus:
            el.attrib.pop("current", None)
        else:
            el.set("current", str(int(value)))

    # -- devices --------------------------------------------------------------------------------

    @property
    def devices(self) -> Devices:
        el = self._el.find("devices")
        if el is None:

            el = etree.Element("devices")
            insert_child(self._el, el)
        return Devices(el)

    # -- metadata (virDomainSetMetadata semantics) ---------------------------------------------

    def get_metadata(self, uri: str) -> str | None:
        """The custom metadata element in namespace ``uri`` as XML text, or None."""
        meta = self._el.find("metadata")
        if meta is None:
            return None
        for child in meta:
            if isinstance(child.tag, str) and etree.QName(child).namespace == uri:
                clone = _copy.deepcopy(child)
                _strip_ns(clone)
                return etree.tostring(clone, encoding=str, pretty_print=True).rstrip("\n")
        return None

    def set_metadata(self, xml: str | None, key: str | None = None, uri: str | None = None) -> None:
        """Replace (or with ``xml=None`` remove) the metadata element of namespace ``uri``.

        As libvirt does, the element and its descendants are moved into ``uri`` under the
        prefix ``key``; there is at most one element per namespace.
        """
        if not uri:
            raise virt_error(ErrorNumber.INVALID_ARG, "metadata namespace URI is required")
        self.remove_metadata(uri)
        if xml is None:
            return
        if not key:
            raise virt_error(ErrorNumber.INVALID_ARG, "metadata key is required")

        fresh = parse_xml(xml, source="(metadata_xml)", domain=ErrorDomain.XML)
        moved = _into_ns(fresh, key, uri)
        meta = self._el.find("metadata")
        if meta is None:

            meta = etree.Element("metadata")
            insert_child(self._el, meta)
        meta.append(moved)

    def remove_metadata(self, uri: str) -> None:
        meta = self._el.find("metadata")
        if meta is None:
            return
        for child in list(meta):
            if isinstance(child.tag, str) and etree.QName(child).namespace == uri:
                meta.remove(child)
        # libvirt keeps the (now empty) <metadata/> container

    # -- output ---------------------------------------------------------------------------------

    def to_xml(  # type: ignore[override]
        self, inactive: bool = False, secure: bool = False, domain_id: int | None = None
    ) -> str:
        """libvirt's XML for this definition.

        ``secure=False`` hides secrets (graphics passwords ...) as libvirt does without
        VIR_DOMAIN_XML_SECURE; ``domain_id`` adds the running domain's ``id`` attribute;
        ``inactive`` drops live-only parts (runtime ``id``, aliases are kept as written).
        """

        return format_domain(self._el, inactive=inactive, secure=secure, domain_id=domain_id)

    def _post_parse(self, **options: Any) -> None:
        try:
            post_parse(self._el)
        except _UNFORESEEN as exc:
            raise _unforeseen(exc) from None

    def _validate(self) -> None:
        try:
            validate_domain(self._el)
        except _UNFORESEEN as exc:
            raise _unforeseen(exc) from None

    def copy(self) -> Self:
        return type(self)(_copy.deepcopy(self._el))

    def normalize(self) -> None:
        """Run libvirt's generic post-parse and checks again on the current tree.

        After adding devices through the model (which writes only what it is told), this
        fills in what libvirt would: MAC addresses, drive addresses, implicit controllers,
        defaults, canonical order.
        """
        self._post_parse()
        self._validate()


#: exception types that would mean a rule met a value it did not anticipate
_UNFORESEEN = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def _unforeseen(exc: Exception) -> Exception:
    """Last line of defence: a value no rule anticipated becomes libvirt's XML error.

    Every known bad value has its own libvirt error in the rules; this only keeps an
    unforeseen one from surfacing as a Python exception (never expected on valid input).
    """
    return virt_error(
        ErrorNumber.XML_ERROR, f"invalid value in domain definition ({exc})", domain=ErrorDomain.DOMAIN
    )


def _strip_ns(el: etree._Element) -> None:
    for node in el.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(el)


def _into_ns(el: etree._Element, key: str, uri: str) -> etree._Element:
    root = etree.Element(f"{{{uri}}}{etree.QName(el).localname}", nsmap={key: uri})
    for k, v in el.attrib.items():
        root.set(k, v)
    root.text = el.text

    def copy_children(src: etree._Element, dst: etree._Element) -> None:
        for child in src:
            if not isinstance(child.tag, str):
                continue
            new = etree.SubElement(dst, f"{{{uri}}}{etree.QName(child).localname}")
            for k, v in child.attrib.items():
                new.set(k, v)
            new.text = child.text
            new.tail = child.tail
            copy_children(child, new)

    copy_children(el, root)
    return root


__all__ = [
    "DomainDef",
    "Devices",
    "Disk",
    "Interface",
    "Graphics",
    "Controller",
    "Video",
    "CharDevice",
    "OS",
    "CPU",
    "Clock",
    "Features",
    "Address",
    "ViewList",
]
