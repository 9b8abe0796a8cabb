"""Driver interface for host interfaces; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt entry point (``virInterfaceDefineXML`` -> ``interface_define_xml``);
interfaces travel as :class:`InterfaceRef` (name, MAC).
"""

from __future__ import annotations

from .refs import InterfaceRef
from .unsupported import unsupported


class InterfaceDriver:
    """Methods for host interfaces, named after libvirt's C API in snake_case."""

    def connect_list_all_interfaces(self, flags: int = 0) -> list[InterfaceRef]:
        unsupported("virConnectListAllInterfaces")

    def connect_num_of_interfaces(self) -> int:
        unsupported("virConnectNumOfInterfaces")

    def connect_list_interfaces(self, maxnames: int) -> list[str]:
        unsupported("virConnectListInterfaces")

    def connect_num_of_defined_interfaces(self) -> int:
        unsupported("virConnectNumOfDefinedInterfaces")

    def connect_list_defined_interfaces(self, maxnames: int) -> list[str]:
        unsupported("virConnectListDefinedInterfaces")

    def interface_lookup_by_name(self, name: str) -> InterfaceRef:
        unsupported("virInterfaceLookupByName")

    def interface_lookup_by_mac_string(self, mac: str) -> InterfaceRef:
        unsupported("virInterfaceLookupByMACString")

    def interface_get_xml_desc(self, iface: InterfaceRef, flags: int = 0) -> str:
        unsupported("virInterfaceGetXMLDesc")

    def interface_define_xml(self, xml: str, flags: int = 0) -> InterfaceRef:
        unsupported("virInterfaceDefineXML")

    def interface_undefine(self, iface: InterfaceRef) -> None:
        unsupported("virInterfaceUndefine")

    def interface_create(self, iface: InterfaceRef, flags: int = 0) -> None:
        unsupported("virInterfaceCreate")

    def interface_destroy(self, iface: InterfaceRef, flags: int = 0) -> None:
        unsupported("virInterfaceDestroy")

    def interface_is_active(self, iface: InterfaceRef) -> bool:
        unsupported("virInterfaceIsActive")

    def interface_change_begin(self, flags: int = 0) -> None:
        unsupported("virInterfaceChangeBegin")

    def interface_change_commit(self, flags: int = 0) -> None:
        unsupported("virInterfaceChangeCommit")

    def interface_change_rollback(self, flags: int = 0) -> None:
        unsupported("virInterfaceChangeRollback")
