"""Public API for virtual networks: the ``Network`` object and the methods ``Connection`` gains.

A :class:`Network` holds its connection and identity (name, uuid) and asks the driver for
everything else. Changing calls are refused on read-only connections before the driver is
asked (VIR_ERR_OPERATION_DENIED in libvirt's network error domain).
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from ._lookup import by_name_or_uuid
from .driver.refs import NetworkRef
from .enums import ConnectListAllNetworksFlags as _F
from .enums import NetworkEventID
from .errors import ErrorDomain

if TYPE_CHECKING:
    import asyncio

    from .connection import Connection

__all__ = ["Network", "NetworkAPI", "ObjectEventStream", "tristate_flags"]

_ERR = ErrorDomain.NETWORK


def tristate_flags(value: bool | None, yes: int, no: int) -> int:
    """A ``True``/``False``/``None`` keyword as libvirt's pair of list-filter bits."""
    if value is None:
        return 0
    return int(yes) if value else int(no)


class ObjectEventStream(AsyncIterator[Any]):
    """``async for ev in stream``: events handed from the driver's delivery thread into the
    running asyncio loop. A consumer that falls ``maxsize`` events behind loses the oldest
    ones; the driver is never slowed down.
    """

    _END = object()

    def __init__(
        self, register: Callable[[Callable[[Any], None]], int], deregister: Callable[[int], None], maxsize: int
    ) -> None:
        import asyncio  # only event streams need it (25 ms to import)

        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(maxsize, 1))
        self._deregister = deregister
        self._closed = False
        self._id = register(self._from_thread)

    def _from_thread(self, ev: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, ev)
        except RuntimeError:  # the loop is closed
            pass

    def _put(self, ev: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(ev)

    def __aiter__(self) -> ObjectEventStream:
        return self

    async def __anext__(self) -> Any:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is self._END:
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> Any:
        """The next event, waiting at most ``timeout`` seconds (TimeoutError after)."""
        import asyncio

        return await asyncio.wait_for(self.__anext__(), timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._deregister(self._id)
        except Exception:  # noqa: BLE001 - the connection may be gone already
            pass
        self._put(self._END)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> ObjectEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Network:
    """A virtual network (libvirt's virNetwork): a handle, not a copy."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: NetworkRef) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def ref(self) -> NetworkRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def uuid(self) -> str:
        return self._ref.uuid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and other._conn is self._conn and other._ref.uuid == self._ref.uuid

    def __hash__(self) -> int:
        return hash(self._ref.uuid)

    def __repr__(self) -> str:
        return f"<pyvirt.Network {self._ref.name!r} {self._ref.uuid}>"

    @property
    def _driver(self) -> Any:
        return self._conn.driver

    def _writable(self, api: str) -> None:
        self._conn._check_writable(api, _ERR)

    # -- queries ---------------------------------------------------------------------------------
    def xml(self, *, inactive: bool = False) -> str:
        """The network's XML (``inactive``: the configuration for the next start)."""
        return self._driver.network_get_xml_desc(self._ref, 1 if inactive else 0)  # type: ignore[no-any-return]

    def is_active(self) -> bool:
        return bool(self._driver.network_is_active(self._ref))

    def is_persistent(self) -> bool:
        return bool(self._driver.network_is_persistent(self._ref))

    def bridge_name(self) -> str:
        return self._driver.network_get_bridge_name(self._ref)  # type: ignore[no-any-return]

    @property
    def autostart(self) -> bool:
        return bool(self._driver.network_get_autostart(self._ref))

    @autostart.setter
    def autostart(self, value: bool) -> None:
        self._writable("virNetworkSetAutostart")
        self._driver.network_set_autostart(self._ref, bool(value))

    def dhcp_leases(self, mac: str | None = None) -> list[dict[str, Any]]:
        return list(self._driver.network_get_dhcp_leases(self._ref, mac, 0))

    # -- changes ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start a defined network (virNetworkCreate)."""
        self._writable("virNetworkCreate")
        self._driver.network_create(self._ref)

    def destroy(self) -> None:
        """Stop the network; a transient one disappears (virNetworkDestroy)."""
        self._writable("virNetworkDestroy")
        self._driver.network_destroy(self._ref)

    stop = destroy

    def undefine(self) -> None:
        """Forget the network's persistent configuration (virNetworkUndefine)."""
        self._writable("virNetworkUndefine")
        self._driver.network_undefine(self._ref)

    def update(self, command: int, section: int, xml: str, *, index: int = -1, flags: int = 0) -> None:
        """Change one part of the definition in place (virNetworkUpdate)."""
        self._writable("virNetworkUpdate")
        self._driver.network_update(self._ref, int(command), int(section), index, xml, flags)


class NetworkAPI:
    """Methods mixed into ``Connection`` for virtual networks.

    The host class provides ``driver`` and ``_check_writable(api, domain)``.
    """

    driver: Any
    _check_writable: Callable[..., None]

    def _network(self, ref: NetworkRef) -> Network:
        return Network(self, ref)  # type: ignore[arg-type]

    def define_network(self, xml: str, *, validate: bool = False) -> Network:
        """Define a persistent (not yet running) network."""
        self._check_writable("virNetworkDefineXMLFlags" if validate else "virNetworkDefineXML", _ERR)
        return self._network(self.driver.network_define_xml(xml, 1 if validate else 0))

    def create_network(self, xml: str, *, validate: bool = False) -> Network:
        """Create and start a transient network."""
        self._check_writable("virNetworkCreateXMLFlags" if validate else "virNetworkCreateXML", _ERR)
        return self._network(self.driver.network_create_xml(xml, 1 if validate else 0))

    def lookup_network_by_name(self, name: str) -> Network:
        return self._network(self.driver.network_lookup_by_name(name))

    def lookup_network_by_uuid(self, uuid: str | bytes) -> Network:
        if isinstance(uuid, bytes):
            uuid = str(_uuid.UUID(bytes=uuid))
        return self._network(self.driver.network_lookup_by_uuid(uuid))

    def lookup_network(self, key: str | bytes) -> Network:
        """By name, or by UUID when ``key`` is one (as text or 16 bytes)."""
        return by_name_or_uuid(key, self.lookup_network_by_name, self.lookup_network_by_uuid)

    def list_networks(
        self,
        *,
        active: bool | None = None,
        persistent: bool | None = None,
        autostart: bool | None = None,
        flags: int = 0,
    ) -> list[Network]:
        """Networks, optionally filtered (virConnectListAllNetworks)."""
        bits = (
            int(flags)
            | tristate_flags(active, _F.ACTIVE, _F.INACTIVE)
            | tristate_flags(persistent, _F.PERSISTENT, _F.TRANSIENT)
            | tristate_flags(autostart, _F.AUTOSTART, _F.NO_AUTOSTART)
        )
        return [self._network(r) for r in self.driver.connect_list_all_networks(bits)]

    def num_of_networks(self) -> int:
        return int(self.driver.connect_num_of_networks())

    def list_network_names(self) -> list[str]:
        """Names of active networks (virConnectListNetworks)."""
        return list(self.driver.connect_list_networks(1 << 30))

    def num_of_defined_networks(self) -> int:
        return int(self.driver.connect_num_of_defined_networks())

    def list_defined_network_names(self) -> list[str]:
        return list(self.driver.connect_list_defined_networks(1 << 30))

    def register_network_event(
        self, callback: Callable[[Any], None], network: Network | None = None,
        event: NetworkEventID | int = NetworkEventID.LIFECYCLE,
    ) -> int:
        """Call ``callback(event)`` for network life-cycle events (of ``network`` only if given)."""
        ref = network.ref if network is not None else None
        return int(self.driver.connect_network_event_register_any(ref, int(event), callback))

    def deregister_network_event(self, callback_id: int) -> None:
        self.driver.connect_network_event_deregister_any(callback_id)

    def network_events(self, network: Network | None = None, *, maxsize: int = 1024) -> ObjectEventStream:
        """``async for ev in conn.network_events(): ...`` (create it inside the running loop)."""
        return ObjectEventStream(
            lambda cb: self.register_network_event(cb, network), self.deregister_network_event, maxsize
        )
