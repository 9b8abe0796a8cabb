"""Node devices in the test driver (libvirt's testNodeDevice* calls).

The devices are whatever the node file lists (for test:///default: ``computer`` and three
SCSI hosts). Creating a device mocks a vHBA the way libvirt's test driver does: the request
must name a vport-capable parent and carry FC WWNs; the new device is a copy of
``scsi_host11`` renamed ``scsi_host12`` with the requested WWNs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ...driver.nodedev import NodeDeviceDriver, NodeDeviceLifecycleEvent
from ...driver.refs import NodeDeviceRef
from ...enums import ConnectListAllNodeDeviceFlags as F
from ...enums import NodeDeviceEventID, NodeDeviceEventType
from ...errors import ErrorDomain, ErrorNumber, virt_error
from .nodefile import resolve_include
from .objlist import ObjList
from .state import check_flags, deferred_lock, test_error

if TYPE_CHECKING:
    from lxml import etree

    from ...conf.nodedev import NodeDeviceDef
    from .state import TestState

__all__ = ["TestNodeDevices", "init_state", "load_node"]

_ERR = ErrorDomain.NODEDEV
#: list-filter bit of each capability type (virConnectListAllNodeDevices)
_CAP_BITS = {
    "system": F.CAP_SYSTEM, "pci": F.CAP_PCI_DEV, "usb_device": F.CAP_USB_DEV,
    "usb": F.CAP_USB_INTERFACE, "net": F.CAP_NET, "scsi_host": F.CAP_SCSI_HOST,
    "scsi_target": F.CAP_SCSI_TARGET, "scsi": F.CAP_SCSI, "storage": F.CAP_STORAGE,
    "fc_host": F.CAP_FC_HOST, "vports": F.CAP_VPORTS, "scsi_generic": F.CAP_SCSI_GENERIC,
    "drm": F.CAP_DRM, "mdev_types": F.CAP_MDEV_TYPES, "mdev": F.CAP_MDEV, "ccw": F.CAP_CCW_DEV,
    "css": F.CAP_CSS_DEV, "vdpa": F.CAP_VDPA, "ap_card": F.CAP_AP_CARD, "ap_queue": F.CAP_AP_QUEUE,
    "ap_matrix": F.CAP_AP_MATRIX, "vpd": F.CAP_VPD,
}  # fmt: skip
_ALL_CAPS = 0
for _bit in _CAP_BITS.values():
    _ALL_CAPS |= int(_bit)
#: libvirt 9.0's test driver accepts the capability bits only (not ACTIVE/INACTIVE)
_ALL_LIST = _ALL_CAPS


class _Device:
    """One node device: its definition (devices in the test driver are always active)."""

    __slots__ = ("definition",)

    def __init__(self, definition: NodeDeviceDef) -> None:
        self.definition = definition

    @property
    def name(self) -> str:
        return self.definition.name  # type: ignore[no-any-return]

    @property
    def uuid(self) -> str:
        return ""

    def caps(self) -> list[str]:
        """Top-level capability types (what virNodeDeviceListCaps reports here)."""
        return [c.type for c in self.definition.capabilities]

    def has_cap(self, cap: str) -> bool:
        """virNodeDeviceObjHasCap: a top-level capability, or fc_host/vports inside scsi_host."""
        if cap in self.caps():
            return True
        root = self.definition.element
        if cap == "fc_host":
            return root.find("capability[@type='scsi_host']/capability[@type='fc_host']") is not None
        if cap == "vports":
            return root.find("capability[@type='scsi_host']/capability[@type='vport_ops']") is not None
        return False


class _DeferredDevice(_Device):
    """A device of the built-in default document, parsed on first use (its name is known)."""

    __slots__ = ("_parse", "_name")

    def __init__(self, parse: Callable[[], NodeDeviceDef], name: str) -> None:
        self._parse: Callable[[], NodeDeviceDef] | None = parse
        self._name = name

    @property  # type: ignore[override]
    def definition(self) -> NodeDeviceDef:
        if self._parse is not None:
            with deferred_lock:
                parse = self._parse
                if parse is not None:
                    _Device.definition.__set__(self, parse())  # type: ignore[attr-defined]
                    self._parse = None
        return _Device.definition.__get__(self)  # type: ignore[attr-defined, no-any-return]

    @definition.setter
    def definition(self, value: NodeDeviceDef) -> None:
        with deferred_lock:
            self._parse = None
            _Device.definition.__set__(self, value)  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        return self._name


def init_state(state: TestState) -> None:
    state.nodedevs = ObjList()  # type: ignore[attr-defined]


def load_node(state: TestState, root: etree._Element, base_dir: str | None) -> None:
    """``<device>`` elements of a node file (testParseNodedevs)."""
    devs: ObjList[_Device] = state.nodedevs  # type: ignore[attr-defined]
    for el in root.findall("device"):
        el = resolve_include(el, base_dir, "device")
        name = el.findtext("name")
        if state.deferred_parse and name:  # the built-in default: parsed on first use
            devs.add(_DeferredDevice(partial(_parse_element, el), name))  # type: ignore[arg-type]
            continue
        devs.add(_Device(_parse_element(el)))  # type: ignore[arg-type]


def _parse_element(el: etree._Element) -> NodeDeviceDef:
    from ...conf.nodedev import NodeDeviceDef

    return NodeDeviceDef.from_element(copy.deepcopy(el))


class TestNodeDevices(NodeDeviceDriver):
    """Node device calls of the test driver; needs ``self._state``."""

    _state: TestState

    @property
    def _devs(self) -> ObjList[_Device]:
        return self._state.nodedevs  # type: ignore[attr-defined, no-any-return]

    def _dev(self, ref: NodeDeviceRef | str) -> _Device:
        name = ref if isinstance(ref, str) else ref.name
        obj = self._devs.by_name(name)
        if obj is None:
            raise test_error(ErrorNumber.NO_NODE_DEVICE, f"no node device with matching name '{name}'")
        return obj

    def connect_list_all_node_devices(self, flags: int = 0) -> list[NodeDeviceRef]:
        check_flags(flags, _ALL_LIST, "testConnectListAllNodeDevices")
        caps = [c for c, bit in _CAP_BITS.items() if flags & bit]
        with self._devs.lock:
            return [
                NodeDeviceRef(d.name)
                for d in self._devs
                if not caps or any(d.has_cap(c) for c in caps)
            ]

    def node_num_of_devices(self, cap: str | None, flags: int = 0) -> int:
        return len(self.node_list_devices(cap, 1 << 30, flags))

    def node_list_devices(self, cap: str | None, maxnames: int, flags: int = 0) -> list[str]:
        check_flags(flags, 0, "testNodeListDevices")
        with self._devs.lock:
            return [d.name for d in self._devs if cap is None or d.has_cap(cap)][: max(maxnames, 0)]

    def node_device_lookup_by_name(self, name: str) -> NodeDeviceRef:
        with self._devs.lock:
            return NodeDeviceRef(self._dev(name).name)

    def node_device_get_xml_desc(self, dev: NodeDeviceRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testNodeDeviceGetXMLDesc")
        with self._devs.lock:
            return self._dev(dev).definition.to_xml()  # type: ignore[no-any-return]

    def node_device_get_parent(self, dev: NodeDeviceRef) -> str | None:
        with self._devs.lock:
            return self._dev(dev).definition.parent  # type: ignore[no-any-return]

    def node_device_num_of_caps(self, dev: NodeDeviceRef) -> int:
        with self._devs.lock:
            return len(self._dev(dev).caps())

    def node_device_list_caps(self, dev: NodeDeviceRef, maxnames: int) -> list[str]:
        with self._devs.lock:
            return self._dev(dev).caps()[: max(maxnames, 0)]

    def node_device_create_xml(self, xml: str, flags: int = 0) -> NodeDeviceRef:
        """testNodeDeviceCreateXML: a mocked vHBA under a vport-capable SCSI host."""
        check_flags(flags, 1, "testNodeDeviceCreateXML")
        from ...conf.nodedev import NodeDeviceDef

        request = NodeDeviceDef.from_xml(xml, validate=bool(flags & 1), create=True)
        fc = request.element.find("capability[@type='scsi_host']/capability[@type='fc_host']")
        wwnn = None if fc is None else fc.findtext("wwnn")
        wwpn = None if fc is None else fc.findtext("wwpn")
        if not wwnn or not wwpn:
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, "Device is not a fibre channel HBA", domain=_ERR)
        with self._devs.lock:
            parent_name = request.parent
            parent = self._devs.by_name(parent_name) if parent_name else None
            if parent is None:
                raise virt_error(ErrorNumber.INTERNAL_ERROR, "could not find parent device", domain=_ERR)
            if not parent.has_cap("vports"):
                raise virt_error(
                    ErrorNumber.INTERNAL_ERROR,
                    f"Parent device {parent.name} is not capable of vport operations",
                    domain=_ERR,
                )
            template = self._devs.by_name("scsi_host11")
            if template is None:
                raise test_error(ErrorNumber.NO_NODE_DEVICE, "no node device with matching name 'scsi_host11'")
            new = _parse_element(template.definition.element)
            new.name = "scsi_host12"
            new_fc = new.element.find("capability[@type='scsi_host']/capability[@type='fc_host']")
            if new_fc is not None:
                new_fc.find("wwnn").text = wwnn  # type: ignore[union-attr]
                new_fc.find("wwpn").text = wwpn  # type: ignore[union-attr]
            old = self._devs.by_name(new.name)
            if old is not None:
                self._devs.remove(old)
            self._devs.add(_Device(new))
            ref = NodeDeviceRef(new.name)
            self._state.events.emit(NodeDeviceLifecycleEvent(ref, NodeDeviceEventType.CREATED, 0))
            return ref

    def node_device_destroy(self, dev: NodeDeviceRef) -> None:
        with self._devs.lock:
            obj = self._dev(dev)
            self._devs.remove(obj)
            self._state.events.emit(NodeDeviceLifecycleEvent(NodeDeviceRef(obj.name), NodeDeviceEventType.DELETED, 0))

    def connect_node_device_event_register_any(
        self, dev: NodeDeviceRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        if event_id not in NodeDeviceEventID._value2member_map_:
            raise virt_error(
                ErrorNumber.INVALID_ARG,
                f"eventID in virConnectNodeDeviceEventRegisterAny must be less than {len(NodeDeviceEventID)}",
                domain=_ERR,
            )
        if event_id != NodeDeviceEventID.LIFECYCLE:  # UPDATE: never produced by the test driver
            return self._state.events.register(callback, match=lambda ev: False)
        if dev is None:
            return self._state.events.register(callback, NodeDeviceLifecycleEvent)
        name = dev.name
        return self._state.events.register(callback, NodeDeviceLifecycleEvent, match=lambda ev: ev.device.name == name)

    def connect_node_device_event_deregister_any(self, callback_id: int) -> None:
        self._state.events.deregister(callback_id)
