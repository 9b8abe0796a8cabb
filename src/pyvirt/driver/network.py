"""Driver interface for virtual networks; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt entry point (``virNetworkDefineXMLFlags`` -> ``network_define_xml``);
networks travel as :class:`NetworkRef` (name, uuid), flags as plain ints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .refs import NetworkRef
from .unsupported import unsupported


class NetworkDriver:
    """Methods for virtual networks, named after libvirt's C API in snake_case."""

    # -- lists -----------------------------------------------------------------------------------
    def connect_list_all_networks(self, flags: int = 0) -> list[NetworkRef]:
        unsupported("virConnectListAllNetworks")

    def connect_num_of_networks(self) -> int:
        unsupported("virConnectNumOfNetworks")

    def connect_list_networks(self, maxnames: int) -> list[str]:
        unsupported("virConnectListNetworks")

    def connect_num_of_defined_networks(self) -> int:
        unsupported("virConnectNumOfDefinedNetworks")

    def connect_list_defined_networks(self, maxnames: int) -> list[str]:
        unsupported("virConnectListDefinedNetworks")

    # -- lookups ---------------------------------------------------------------------------------
    def network_lookup_by_name(self, name: str) -> NetworkRef:
        unsupported("virNetworkLookupByName")

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        unsupported("virNetworkLookupByUUID")

    # -- life cycle ------------------------------------------------------------------------------
    def network_define_xml(self, xml: str, flags: int = 0) -> NetworkRef:
        unsupported("virNetworkDefineXML")

    def network_create_xml(self, xml: str, flags: int = 0) -> NetworkRef:
        unsupported("virNetworkCreateXML")

    def network_undefine(self, net: NetworkRef) -> None:
        unsupported("virNetworkUndefine")

    def network_create(self, net: NetworkRef) -> None:
        unsupported("virNetworkCreate")

    def network_destroy(self, net: NetworkRef) -> None:
        unsupported("virNetworkDestroy")

    def network_update(self, net: NetworkRef, command: int, section: int, index: int, xml: str, flags: int = 0) -> None:
        unsupported("virNetworkUpdate")

    # -- properties ------------------------------------------------------------------------------
    def network_get_xml_desc(self, net: NetworkRef, flags: int = 0) -> str:
        unsupported("virNetworkGetXMLDesc")

    def network_get_bridge_name(self, net: NetworkRef) -> str:
        unsupported("virNetworkGetBridgeName")

    def network_get_autostart(self, net: NetworkRef) -> bool:
        unsupported("virNetworkGetAutostart")

    def network_set_autostart(self, net: NetworkRef, autostart: bool) -> None:
        unsupported("virNetworkSetAutostart")

    def network_is_active(self, net: NetworkRef) -> bool:
        unsupported("virNetworkIsActive")

    def network_is_persistent(self, net: NetworkRef) -> bool:
        unsupported("virNetworkIsPersistent")

    def network_get_dhcp_leases(self, net: NetworkRef, mac: str | None = None, flags: int = 0) -> list[dict[str, Any]]:
        unsupported("virNetworkGetDHCPLeases")

    # -- events ----------------------------------------------------------------------------------
    def connect_network_event_register_any(
        self, net: NetworkRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        unsupported("virConnectNetworkEventRegisterAny")

    def connect_network_event_deregister_any(self, callback_id: int) -> None:
        unsupported("virConnectNetworkEventDeregisterAny")
