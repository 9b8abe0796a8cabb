"""Public API for host interfaces: the ``Interface`` object and the methods ``Connection`` gains.

Changing calls are refused on read-only connections before the driver is asked
(VIR_ERR_OPERATION_DENIED in libvirt's interface error domain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .driver.refs import InterfaceRef
from .enums import ConnectListAllInterfacesFlags as _F
from .errors import ErrorDomain
from .network import tristate_flags

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Interface", "InterfaceAPI"]

_ERR = ErrorDomain.INTERFACE


class Interface:
    """A host network interface (libvirt's virInterface)."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: InterfaceRef) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def ref(self) -> InterfaceRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def mac(self) -> str:
        return self._ref.mac

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Interface) and other._conn is self._conn and other._ref.name == self._ref.name

    def __hash__(self) -> int:
        return hash(self._ref.name)

    def __repr__(self) -> str:
        return f"<pyvirt.Interface {self._ref.name!r} {self._ref.mac}>"

    @property
    def _driver(self) -> Any:
        return self._conn.driver

    def xml(self, *, inactive: bool = False) -> str:
        return self._driver.interface_get_xml_desc(self._ref, 1 if inactive else 0)  # type: ignore[no-any-return]

    def is_active(self) -> bool:
        return bool(self._driver.interface_is_active(self._ref))

    def start(self, flags: int = 0) -> None:
        """Bring the interface up (virInterfaceCreate)."""
        self._conn._check_writable("virInterfaceCreate", _ERR)
        self._driver.interface_create(self._ref, flags)

    def destroy(self, flags: int = 0) -> None:
        """Bring the interface down (virInterfaceDestroy)."""
        self._conn._check_writable("virInterfaceDestroy", _ERR)
        self._driver.interface_destroy(self._ref, flags)

    stop = destroy

    def undefine(self) -> None:
        self._conn._check_writable("virInterfaceUndefine", _ERR)
        self._driver.interface_undefine(self._ref)


class InterfaceAPI:
    """Methods mixed into ``Connection`` for host interfaces."""

    driver: Any
    _check_writable: Callable[..., None]

    def _iface(self, ref: InterfaceRef) -> Interface:
        return Interface(self, ref)  # type: ignore[arg-type]

    def define_interface(self, xml: str, *, validate: bool = False) -> Interface:
        self._check_writable("virInterfaceDefineXML", _ERR)
        return self._iface(self.driver.interface_define_xml(xml, 1 if validate else 0))

    def lookup_interface_by_name(self, name: str) -> Interface:
        return self._iface(self.driver.interface_lookup_by_name(name))

    def lookup_interface_by_mac(self, mac: str) -> Interface:
        return self._iface(self.driver.interface_lookup_by_mac_string(mac))

    def lookup_interface(self, key: str) -> Interface:
        """By name, or by MAC address when ``key`` looks like one."""
        parts = key.split(":")
        if len(parts) == 6 and all(len(p) == 2 for p in parts):
            return self.lookup_interface_by_mac(key)
        return self.lookup_interface_by_name(key)

    def list_interfaces(self, *, active: bool | None = None, flags: int = 0) -> list[Interface]:
        bits = int(flags) | tristate_flags(active, _F.ACTIVE, _F.INACTIVE)
        return [self._iface(r) for r in self.driver.connect_list_all_interfaces(bits)]

    def num_of_interfaces(self) -> int:
        return int(self.driver.connect_num_of_interfaces())

    def list_interface_names(self) -> list[str]:
        return list(self.driver.connect_list_interfaces(1 << 30))

    def num_of_defined_interfaces(self) -> int:
        return int(self.driver.connect_num_of_defined_interfaces())

    def list_defined_interface_names(self) -> list[str]:
        return list(self.driver.connect_list_defined_interfaces(1 << 30))

    def interface_change_begin(self) -> None:
        """Start a transaction over interface changes (virInterfaceChangeBegin)."""
        self._check_writable("virInterfaceChangeBegin", _ERR)
        self.driver.interface_change_begin(0)

    def interface_change_commit(self) -> None:
        self._check_writable("virInterfaceChangeCommit", _ERR)
        self.driver.interface_change_commit(0)

    def interface_change_rollback(self) -> None:
        self._check_writable("virInterfaceChangeRollback", _ERR)
        self.driver.interface_change_rollback(0)
