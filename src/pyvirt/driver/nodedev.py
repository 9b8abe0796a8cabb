"""Driver interface for node devices; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt entry point (``virNodeDeviceCreateXML`` -> ``node_device_create_xml``);
devices travel as :class:`NodeDeviceRef` (their name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..enums import NodeDeviceEventType
from ..events import Event
from .refs import NodeDeviceRef
from .unsupported import unsupported


@dataclass(frozen=True, slots=True)
class NodeDeviceLifecycleEvent(Event):
    """libvirt's VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE (created, deleted, defined, undefined)."""

    device: NodeDeviceRef
    event: NodeDeviceEventType
    detail: int


class NodeDeviceDriver:
    """Methods for node devices, named after libvirt's C API in snake_case."""

    def connect_list_all_node_devices(self, flags: int = 0) -> list[NodeDeviceRef]:
        unsupported("virConnectListAllNodeDevices")

    def node_num_of_devices(self, cap: str | None, flags: int = 0) -> int:
        unsupported("virNodeNumOfDevices")

    def node_list_devices(self, cap: str | None, maxnames: int, flags: int = 0) -> list[str]:
        unsupported("virNodeListDevices")

    def node_device_lookup_by_name(self, name: str) -> NodeDeviceRef:
        unsupported("virNodeDeviceLookupByName")

    def node_device_lookup_scsi_host_by_wwn(self, wwnn: str, wwpn: str, flags: int = 0) -> NodeDeviceRef:
        unsupported("virNodeDeviceLookupSCSIHostByWWN")

    def node_device_get_xml_desc(self, dev: NodeDeviceRef, flags: int = 0) -> str:
        unsupported("virNodeDeviceGetXMLDesc")

    def node_device_get_parent(self, dev: NodeDeviceRef) -> str | None:
        unsupported("virNodeDeviceGetParent")

    def node_device_num_of_caps(self, dev: NodeDeviceRef) -> int:
        unsupported("virNodeDeviceNumOfCaps")

    def node_device_list_caps(self, dev: NodeDeviceRef, maxnames: int) -> list[str]:
        unsupported("virNodeDeviceListCaps")

    def node_device_create_xml(self, xml: str, flags: int = 0) -> NodeDeviceRef:
        unsupported("virNodeDeviceCreateXML")

    def node_device_destroy(self, dev: NodeDeviceRef) -> None:
        unsupported("virNodeDeviceDestroy")

    def node_device_define_xml(self, xml: str, flags: int = 0) -> NodeDeviceRef:
        unsupported("virNodeDeviceDefineXML")

    def node_device_undefine(self, dev: NodeDeviceRef, flags: int = 0) -> None:
        unsupported("virNodeDeviceUndefine")

    def connect_node_device_event_register_any(
        self, dev: NodeDeviceRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        unsupported("virConnectNodeDeviceEventRegisterAny")

    def connect_node_device_event_deregister_any(self, callback_id: int) -> None:
        unsupported("virConnectNodeDeviceEventDeregisterAny")

    def node_device_detach_flags(self, dev: NodeDeviceRef, driver_name: str | None, flags: int = 0) -> None:
        unsupported("virNodeDeviceDetachFlags")
