"""Public API for node devices: the ``NodeDevice`` object and the methods ``Connection`` gains.

Changing calls are refused on read-only connections before the driver is asked
(VIR_ERR_OPERATION_DENIED in libvirt's node device error domain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .driver.refs import NodeDeviceRef
from .enums import ConnectListAllNodeDeviceFlags as _F
from .enums import NodeDeviceEventID
from .errors import ErrorDomain

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["NodeDevice", "NodeDeviceAPI"]

_ERR = ErrorDomain.NODEDEV
_CAP_FLAGS = {
    "system": _F.CAP_SYSTEM, "pci": _F.CAP_PCI_DEV, "usb_device": _F.CAP_USB_DEV,
    "usb": _F.CAP_USB_INTERFACE, "net": _F.CAP_NET, "scsi_host": _F.CAP_SCSI_HOST,
    "scsi_target": _F.CAP_SCSI_TARGET, "scsi": _F.CAP_SCSI, "storage": _F.CAP_STORAGE,
    "fc_host": _F.CAP_FC_HOST, "vports": _F.CAP_VPORTS, "scsi_generic": _F.CAP_SCSI_GENERIC,
    "drm": _F.CAP_DRM, "mdev_types": _F.CAP_MDEV_TYPES, "mdev": _F.CAP_MDEV, "ccw": _F.CAP_CCW_DEV,
    "css": _F.CAP_CSS_DEV, "vdpa": _F.CAP_VDPA, "ap_card": _F.CAP_AP_CARD, "ap_queue": _F.CAP_AP_QUEUE,
    "ap_matrix": _F.CAP_AP_MATRIX, "vpd": _F.CAP_VPD,
}  # fmt: skip


class NodeDevice:
    """A host device (libvirt's virNodeDevice)."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: NodeDeviceRef) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def ref(self) -> NodeDeviceRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeDevice) and other._conn is self._conn and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<pyvirt.NodeDevice {self._ref.name!r}>"

    @property
    def _driver(self) -> Any:
        return self._conn.driver

    def xml(self) -> str:
        return self._driver.node_device_get_xml_desc(self._ref, 0)  # type: ignore[no-any-return]

    def parent(self) -> str | None:
        """The parent device's name, or None for a root device."""
        return self._driver.node_device_get_parent(self._ref)  # type: ignore[no-any-return]

    def capabilities(self) -> list[str]:
        return list(self._driver.node_device_list_caps(self._ref, 1 << 30))

    def num_of_capabilities(self) -> int:
        return int(self._driver.node_device_num_of_caps(self._ref))

    def destroy(self) -> None:
        """Remove a device created with ``create_node_device`` (virNodeDeviceDestroy)."""
        self._conn._check_writable("virNodeDeviceDestroy", _ERR)
        self._driver.node_device_destroy(self._ref)


class NodeDeviceAPI:
    """Methods mixed into ``Connection`` for node devices."""

    driver: Any
    _check_writable: Callable[..., None]

    def _nodedev(self, ref: NodeDeviceRef) -> NodeDevice:
        return NodeDevice(self, ref)  # type: ignore[arg-type]

    def lookup_node_device(self, name: str) -> NodeDevice:
        return self._nodedev(self.driver.node_device_lookup_by_name(name))

    def lookup_scsi_host_by_wwn(self, wwnn: str, wwpn: str) -> NodeDevice:
        return self._nodedev(self.driver.node_device_lookup_scsi_host_by_wwn(wwnn, wwpn, 0))

    def list_node_devices(self, *, caps: tuple[str, ...] | list[str] = (), flags: int = 0) -> list[NodeDevice]:
        """Devices having any of ``caps`` (all when empty) (virConnectListAllNodeDevices)."""
        bits = int(flags)
        for cap in caps:
            bits |= int(_CAP_FLAGS[cap])
        return [self._nodedev(r) for r in self.driver.connect_list_all_node_devices(bits)]

    def list_node_device_names(self, cap: str | None = None) -> list[str]:
        return list(self.driver.node_list_devices(cap, 1 << 30, 0))

    def num_of_node_devices(self, cap: str | None = None) -> int:
        return int(self.driver.node_num_of_devices(cap, 0))

    def create_node_device(self, xml: str, *, validate: bool = False) -> NodeDevice:
        """Create a (virtual) device, e.g. a vHBA (virNodeDeviceCreateXML)."""
        self._check_writable("virNodeDeviceCreateXML", _ERR)
        return self._nodedev(self.driver.node_device_create_xml(xml, 1 if validate else 0))

    def register_node_device_event(
        self, callback: Callable[[Any], None], device: NodeDevice | None = None,
        event: NodeDeviceEventID | int = NodeDeviceEventID.LIFECYCLE,
    ) -> int:
        """Call ``callback(event)`` for node device events (of ``device`` only if given)."""
        ref = device.ref if device is not None else None
        return int(self.driver.connect_node_device_event_register_any(ref, int(event), callback))

    def deregister_node_device_event(self, callback_id: int) -> None:
        self.driver.connect_node_device_event_deregister_any(callback_id)

    def define_node_device(self, xml: str, *, validate: bool = False) -> NodeDevice:
        self._check_writable("virNodeDeviceDefineXML", _ERR)
        return self._nodedev(self.driver.node_device_define_xml(xml, 1 if validate else 0))
