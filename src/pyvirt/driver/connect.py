"""Driver interface for connection-level calls (open/close, capabilities, hostname, version, node info, events, lists); every method defaults to VIR_ERR_NO_SUPPORT.

Each method is one libvirt C entry point in snake_case (``virConnectGetCapabilities`` ->
``connect_get_capabilities``). Values are what libvirt's RPC carries: XML text, integers,
tuples for C structs (``node_get_info`` returns virNodeInfo's fields in order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from .refs import DomainRef
from .unsupported import unsupported

if TYPE_CHECKING:
    from ..uri import URI


class NodeInfo(NamedTuple):
    """libvirt's virNodeInfo, field for field (memory in KiB, mhz in MHz)."""

    model: str
    memory: int
    cpus: int
    mhz: int
    nodes: int
    sockets: int
    cores: int
    threads: int


#: what an event callback receives: one event object from :mod:`pyvirt.events`
EventCallback = Callable[[Any], None]


class ConnectDriver:
    """Methods for connection-level calls (open/close, capabilities, hostname, version, node info, events, lists), named after libvirt's C API in snake_case."""

    # -- opening and closing ------------------------------------------------------------------

    def connect_open(self, uri: URI, flags: int = 0) -> None:
        """Attach this (fresh) driver instance to ``uri``; flags are virConnectFlags (RO=1)."""
        unsupported("virConnectOpen")

    def connect_close(self) -> None:
        unsupported("virConnectClose")

    def connect_is_alive(self) -> bool:
        unsupported("virConnectIsAlive")

    def connect_is_secure(self) -> bool:
        unsupported("virConnectIsSecure")

    def connect_is_encrypted(self) -> bool:
        unsupported("virConnectIsEncrypted")

    # -- host ------------------------------------------------------------------------------------

    def connect_get_type(self) -> str:
        unsupported("virConnectGetType")

    def connect_get_uri(self) -> str:
        unsupported("virConnectGetURI")

    def connect_get_version(self) -> int:
        unsupported("virConnectGetVersion")

    def connect_get_lib_version(self) -> int:
        unsupported("virConnectGetLibVersion")

    def connect_get_hostname(self) -> str:
        unsupported("virConnectGetHostname")

    def connect_get_capabilities(self) -> str:
        unsupported("virConnectGetCapabilities")

    def connect_get_sysinfo(self, flags: int = 0) -> str:
        unsupported("virConnectGetSysinfo")

    def connect_get_max_vcpus(self, type: str | None = None) -> int:
        unsupported("virConnectGetMaxVcpus")

    def node_get_info(self) -> NodeInfo:
        unsupported("virNodeGetInfo")

    def node_get_free_memory(self) -> int:
        """Free memory in bytes (as libvirt's virNodeGetFreeMemory)."""
        unsupported("virNodeGetFreeMemory")

    def node_get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        unsupported("virNodeGetCellsFreeMemory")

    # -- domain lists ------------------------------------------------------------------------------

    def connect_list_all_domains(self, flags: int = 0) -> list[DomainRef]:
        unsupported("virConnectListAllDomains")

    def connect_get_all_domain_stats(self, stats: int = 0, flags: int = 0) -> list[tuple[DomainRef, dict[str, object]]]:
        """virConnectGetAllDomainStats: ``stats`` are virDomainStatsTypes bits (0: every group
        the driver has), ``flags`` virConnectGetAllDomainStatsFlags (list filters, ENFORCE...)."""
        unsupported("virConnectGetAllDomainStats")

    def domain_list_get_stats(
        self, doms: list[DomainRef], stats: int = 0, flags: int = 0
    ) -> list[tuple[DomainRef, dict[str, object]]]:
        """virDomainListGetStats: the same records for the given domains, in their order."""
        unsupported("virDomainListGetStats")

    def connect_num_of_domains(self) -> int:
        unsupported("virConnectNumOfDomains")

    def connect_list_domains(self, maxids: int) -> list[int]:
        unsupported("virConnectListDomains")

    def connect_num_of_defined_domains(self) -> int:
        unsupported("virConnectNumOfDefinedDomains")

    def connect_list_defined_domains(self, maxnames: int) -> list[str]:
        unsupported("virConnectListDefinedDomains")

    # -- events ----------------------------------------------------------------------------------

    def connect_domain_event_register_any(
        self, dom: DomainRef | None, event_id: int, callback: EventCallback
    ) -> int:
        """Deliver domain events of kind ``event_id`` (for ``dom``, or all when None)."""
        unsupported("virConnectDomainEventRegisterAny")

    def connect_domain_event_deregister_any(self, callback_id: int) -> None:
        unsupported("virConnectDomainEventDeregisterAny")
