"""Device XML for attach/detach: parsing, matching against a definition, releasing back ends."""

from __future__ import annotations

from lxml import etree

from ..._core import xmlcore
from ...conf import DomainDef
from ...errors import ErrorDomain, ErrorNumber, VirtError
from ...objects.domain import DomainObject
from . import command
from .errors import qemu_error
from .process import QemuProcess

__all__ = [
    "release_backend", "parse_device", "clone_element", "find_device", "check_device_free",
    "missing_device_text",
]


def release_backend(obj: DomainObject, device: etree._Element) -> None:
    """After the guest let go of a device: drop its block nodes or net back end, then the XML."""
    proc: QemuProcess | None = obj.driver_data.get("process")
    mon = proc.monitor if proc is not None else None
    if mon is not None:
        names: list[tuple[str, dict[str, str]]] = []
        if device.tag == "disk":
            names = [("blockdev-del", {"node-name": n["node-name"]}) for n in reversed(command.disk_blockdevs(device))]
        else:
            names = [("netdev_del", {"id": command.netdev_props(device)["id"]})]
        for cmd, args in names:
            try:
                mon.execute(cmd, args)
            except VirtError:
                pass
    with obj.lock:
        parent = device.getparent()
        if parent is not None:
            parent.remove(device)


def parse_device(xml: str) -> etree._Element:
    from ...conf.base import parse_xml

    el = parse_xml(xml, source="(device_definition)", domain=ErrorDomain.DOMAIN)
    if el.tag not in ("disk", "interface"):
        raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, f"device type '{el.tag}' cannot be attached or detached")
    if el.tag == "interface" and el.find("mac") is not None:
        from ...conf.values import normalize_mac

        mac = el.find("mac")
        mac.set("address", normalize_mac(mac.get("address", "")))
    return el


def clone_element(el: etree._Element) -> etree._Element:
    return xmlcore.parse(xmlcore.format(el))


def find_device(definition: DomainDef, device: etree._Element) -> etree._Element | None:
    devices = definition.element.find("devices")
    if devices is None:
        return None
    if device.tag == "disk":
        dev = device.findtext("target[@dev]") or (device.find("target").get("dev") if device.find("target") is not None else None)
        for disk in devices.findall("disk"):
            t = disk.find("target")
            if t is not None and t.get("dev") == dev:
                return disk
        return None
    mac = device.find("mac")
    want = mac.get("address") if mac is not None else None
    for iface in devices.findall("interface"):
        m = iface.find("mac")
        if want is None or (m is not None and m.get("address") == want):
            return iface
    return None


def check_device_free(definition: DomainDef, device: etree._Element) -> None:
    if device.tag == "disk":
        target = device.find("target")
        dev = target.get("dev") if target is not None else None
        if dev and find_device(definition, device) is not None:
            raise qemu_error(ErrorNumber.OPERATION_FAILED, f"target {dev} already exists")
    elif device.find("mac") is not None and find_device(definition, device) is not None:
        raise qemu_error(ErrorNumber.OPERATION_FAILED, f"interface {device.find('mac').get('address')} already exists")


def missing_device_text(device: etree._Element) -> str:
    if device.tag == "disk":
        target = device.find("target")
        return f"disk {target.get('dev') if target is not None else '?'} not found"
    mac = device.find("mac")
    return f"no device matching MAC address {mac.get('address') if mac is not None else '?'} found"
