"""Live and config attach/detach of disks and network interfaces.

Live attach adds the back end (``blockdev-add`` / ``netdev_add``) then the device; live detach
asks the guest (``device_del``) and waits for DEVICE_DELETED up to ``UNPLUG_TIMEOUT`` (libvirt
waits 5 s, then leaves the removal pending and finishes it when the event comes).
"""

from __future__ import annotations

import threading

from lxml import etree

from ...conf import DomainDef
from ...driver.refs import DomainRef
from ...errors import ErrorNumber, VirtError
from ...objects.domain import DomainObject
from . import command
from .access import QemuDriverBase
from .devices import (
    check_device_free,
    clone_element,
    find_device,
    missing_device_text,
    parse_device,
    release_backend,
)
from .errors import check_flags, qemu_error
from .flags import AFFECT_CONFIG, AFFECT_LIVE
from .hostnet import setup_tap

__all__ = ["UNPLUG_TIMEOUT", "HotplugMixin"]

#: how long detach waits for the guest to release a device (libvirt: 5 s, then "pending")
UNPLUG_TIMEOUT = 5.0


class HotplugMixin(QemuDriverBase):
    """virDomainAttachDeviceFlags / virDomainDetachDeviceFlags."""

    def domain_attach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainAttachDeviceFlags")
        device = parse_device(xml)
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            if config_def is not None:
                check_device_free(config_def, device)
            if live_def is not None:
                check_device_free(live_def, device)
                self._hotplug(obj, live_def, clone_element(device))
                self._save_status(obj)
            if config_def is not None:
                config_copy = clone_element(config_def.element)
                config_copy.find("devices").append(clone_element(device))
                command.prepare_definition(config_copy, live=False)
                with obj.lock:
                    target = obj.persistent_definition()
                    target.element.find("devices").append(clone_element(device))
                    command.prepare_definition(target.element, live=False)
                self._save_config(obj)

    def domain_detach_device(self, dom: DomainRef, xml: str, flags: int = 0) -> None:
        check_flags(flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainDetachDeviceFlags")
        device = parse_device(xml)
        with self._job(dom, "modify") as obj:
            live_def, config_def = self._defs(obj, flags)
            live_el = find_device(live_def, device) if live_def is not None else None
            config_el = find_device(config_def, device) if config_def is not None else None
            if (live_def is not None and live_el is None) or (config_def is not None and config_el is None):
                raise qemu_error(ErrorNumber.DEVICE_MISSING, missing_device_text(device))
            if live_el is not None:
                self._hotunplug(obj, live_el)
                self._save_status(obj)
            if config_el is not None:
                with obj.lock:
                    config_el.getparent().remove(config_el)
                self._save_config(obj)

    def _hotplug(self, obj: DomainObject, live_def: DomainDef, device: etree._Element) -> None:
        root = live_def.element
        devices = root.find("devices")
        kind = device.tag
        if kind not in ("disk", "interface"):
            raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, f"live attach of device '{kind}' is not supported")
        with obj.lock:
            devices.append(device)
        try:
            command.check_supported(root)
            if kind == "disk":
                bus = command._disk_bus(device, command.machine_family(root))
                if bus != "virtio" and bus != "scsi":
                    raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, f"disk bus '{bus}' cannot be hotplugged.")
                if device.get("device", "disk") != "disk":
                    raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, "cdrom/floppy device hotplug isn't supported")
                src = device.find("source")
                if src is not None and src.get("index") is None and command._disk_has_source(device):
                    src.set("index", str(command.next_node_index(root)))
            else:
                if device.find("mac") is None:
                    from ...conf.values import generate_mac

                    etree.SubElement(device, "mac", address=generate_mac())
                if device.find("model") is None:
                    etree.SubElement(device, "model", type="virtio")
            if kind == "disk" and command._disk_bus(device, command.machine_family(root)) == "scsi":
                command._drive_address(device, "scsi")
                ctrl = command._int(device.find("address").get("controller"))
                if not any(c.get("type") == "scsi" and command._int(c.get("index")) == ctrl
                           for c in devices.findall("controller")):
                    raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, "hotplug of a SCSI disk needs an existing SCSI controller")
            command.PciAllocator(root).assign(device, hotplug=True)
            command.assign_aliases(root)
        except BaseException:
            with obj.lock:
                devices.remove(device)
            raise
        mon = self._monitor(obj)
        added_nodes: list[str] = []
        try:
            if kind == "disk":
                for node in command.disk_blockdevs(device):
                    mon.execute("blockdev-add", node)
                    added_nodes.insert(0, node["node-name"])
                mon.execute("device_add", command.disk_device(root, device))
            else:
                if device.get("type") in ("ethernet", "bridge"):
                    command.assign_tap_names(root)
                netdev = command.netdev_props(device)
                mon.execute("netdev_add", netdev)
                added_nodes.append("netdev:" + netdev["id"])
                for tap, bridge in command.tap_devices(root):
                    if tap == netdev.get("ifname"):
                        setup_tap(tap, bridge)
                mon.execute("device_add", command.nic_device(root, device))
        except BaseException:
            for node in added_nodes:
                try:
                    if node.startswith("netdev:"):
                        mon.execute("netdev_del", {"id": node[7:]})
                    else:
                        mon.execute("blockdev-del", {"node-name": node})
                except VirtError:
                    pass
            with obj.lock:
                devices.remove(device)
            raise

    def _hotunplug(self, obj: DomainObject, device: etree._Element) -> None:
        alias = command.get_alias(device)
        if not alias:
            raise qemu_error(ErrorNumber.OPERATION_FAILED, "device alias not found")
        if device.tag not in ("disk", "interface"):
            raise qemu_error(ErrorNumber.OPERATION_UNSUPPORTED, f"live detach of device '{device.tag}' is not supported")
        waiter = threading.Event()
        obj.driver_data.setdefault("unplug", {})[alias] = waiter
        try:
            self._qmp(obj, "device_del", {"id": alias})
            removed = waiter.wait(UNPLUG_TIMEOUT)
        finally:
            obj.driver_data["unplug"].pop(alias, None)
        if removed:
            release_backend(obj, device)
        else:
            obj.driver_data.setdefault("unplug_pending", {})[alias] = device  # finished on the event
