"""The public ``Connection``: one open hypervisor connection, whatever driver answers.

A ``Connection`` holds a driver and nothing of its internals: every method is one call of
the driver interface (:mod:`pyvirt.driver`), so the same code runs over the test driver, QEMU
or a remote daemon. As libvirt's public entry points do, it refuses changing calls on a
read-only connection (VIR_ERR_OPERATION_DENIED, "read only access prevents virXxx") before
the driver is asked.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .driver.connect import NodeInfo
from .driver.refs import DomainRef
from .enums import ConnectListAllDomainsFlags as _LF
from .enums import DomainCreateFlags, DomainDefineFlags, DomainEventID
from .errors import ErrorDomain, ErrorNumber, virt_error
from .interface import InterfaceAPI
from .network import NetworkAPI
from .nodedev import NodeDeviceAPI
from .storage import StorageAPI
from .uri import URI, default_uri, parse_uri

if TYPE_CHECKING:
    from types import TracebackType

    from .domain import Domain
    from .driver import Driver

__all__ = ["Connection", "open", "open_readonly"]

_CONNECT_RO = 1


def open(
    uri: str | None = None, readonly: bool = False, *, auth: tuple[str, str | None] | None = None
) -> Connection:
    """Open a connection (libvirt's virConnectOpen / virConnectOpenReadOnly).

    With no ``uri``: ``$PYVIRT_DEFAULT_URI``, else ``$LIBVIRT_DEFAULT_URI``, else
    ``test:///default``. ``auth`` is (username, password) for drivers that ask for one.
    """
    from .registry import open_driver

    text = uri if uri else default_uri()
    parsed = parse_uri(text)
    driver = open_driver(parsed, _CONNECT_RO if readonly else 0, auth)
    return Connection(driver, parsed, readonly=readonly)


def open_readonly(uri: str | None = None) -> Connection:
    """``open(uri, readonly=True)``."""
    return open(uri, readonly=True)


class Connection(NetworkAPI, StorageAPI, InterfaceAPI, NodeDeviceAPI):
    """An open connection (libvirt's virConnect); also a context manager that closes it."""

    def __init__(self, driver: Driver, uri: URI, *, readonly: bool = False) -> None:
        self._driver = driver
        self._uri = uri
        self._readonly = readonly
        self._closed = False
        self._callbacks: set[int] = set()
        self._cb_lock = threading.Lock()
        #: open async event streams, ended when the connection closes
        self._streams: weakref.WeakSet[DomainEventStream] = weakref.WeakSet()

    # -- plumbing shared with the family mixins -------------------------------------------------

    @property
    def driver(self) -> Driver:
        """The driver answering this connection (what the public objects call)."""
        if self._closed:
            raise virt_error(ErrorNumber.INVALID_CONN, "connection is closed")
        return self._driver

    def _check_writable(self, api: str, domain: int = ErrorDomain.DOMAIN) -> None:
        """libvirt's virCheckReadOnlyGoto: refuse a changing call on a read-only connection."""
        if self._readonly:
            raise virt_error(ErrorNumber.OPERATION_DENIED, f"read only access prevents {api}", domain=domain)

    def domain(self, ref: DomainRef) -> Domain:
        """The public object for a ref (e.g. the ``domain`` field of an event)."""
        return _Domain()(self, ref)

    # -- lifetime --------------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        """The canonical URI of this connection (virConnectGetURI)."""
        return self.driver.connect_get_uri()

    @property
    def readonly(self) -> bool:
        return self._readonly

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the connection; event callbacks it registered are dropped. Idempotent."""
        if self._closed:
            return
        for stream in list(self._streams):
            stream.close()
        with self._cb_lock:
            ids, self._callbacks = list(self._callbacks), set()
        for cid in ids:
            try:
                self._driver.connect_domain_event_deregister_any(cid)
            except Exception:  # noqa: BLE001 - closing must not fail on a stale callback
                pass
        self._closed = True
        self._driver.connect_close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("read-only" if self._readonly else "open")
        return f"<pyvirt.Connection {self._uri} ({state})>"

    def is_alive(self) -> bool:
        return not self._closed and self._driver.connect_is_alive()

    def is_secure(self) -> bool:
        return self.driver.connect_is_secure()

    def is_encrypted(self) -> bool:
        return self.driver.connect_is_encrypted()

    # -- host ------------------------------------------------------------------------------------

    def type(self) -> str:
        """The hypervisor type name (virConnectGetType: "TEST", "QEMU", ...)."""
        return self.driver.connect_get_type()

    def capabilities(self) -> str:
        """The host and guest capabilities document (XML)."""
        return self.driver.connect_get_capabilities()

    def node_info(self) -> NodeInfo:
        """virNodeGetInfo: model, memory (KiB), cpus, mhz, nodes, sockets, cores, threads."""
        return self.driver.node_get_info()

    def hostname(self) -> str:
        return self.driver.connect_get_hostname()

    def version(self) -> int:
        """The hypervisor version as major*1,000,000 + minor*1,000 + release."""
        return self.driver.connect_get_version()

    def lib_version(self) -> int:
        """The libvirt version whose behaviour the driver reproduces (virConnectGetLibVersion)."""
        return self.driver.connect_get_lib_version()

    def sysinfo(self) -> str:
        """The host's SMBIOS description (XML)."""
        return self.driver.connect_get_sysinfo(0)

    def max_vcpus(self, type: str | None = None) -> int:
        return self.driver.connect_get_max_vcpus(type)

    def security_model(self) -> tuple[str, str]:
        """(model, DOI) of the host's security driver."""
        return self.driver.node_get_security_model()

    def cpu_stats(self, cpu: int = -1) -> dict[str, int]:
        """Host CPU time counters in ns (all CPUs when ``cpu`` is -1)."""
        return self.driver.node_get_cpu_stats(cpu, 0)

    def cpu_map(self) -> tuple[int, list[bool], int]:
        """(host CPU count, online flags, online count) -- virNodeGetCPUMap."""
        return self.driver.node_get_cpu_map(0)

    def free_pages(self, pages: list[int], start_cell: int = 0, cell_count: int = 1) -> list[int]:
        """Free pages of each size in ``pages`` (KiB) for each cell, cell-major (virNodeGetFreePages)."""
        return self.driver.node_get_free_pages(list(pages), int(start_cell), int(cell_count), 0)

    def free_memory(self) -> int:
        return self.driver.node_get_free_memory()

    def cells_free_memory(self, start_cell: int = 0, max_cells: int = 1 << 16) -> list[int]:
        return self.driver.node_get_cells_free_memory(start_cell, max_cells)

    # -- domains ---------------------------------------------------------------------------------

    def define_domain(self, xml: str, validate: bool = False) -> Domain:
        """Define (or update the persistent config of) a domain (virDomainDefineXMLFlags)."""
        self._check_writable("virDomainDefineXMLFlags" if validate else "virDomainDefineXML")
        flags = DomainDefineFlags.VALIDATE if validate else 0
        return self.domain(self.driver.domain_define_xml(xml, int(flags)))

    def create_domain(self, xml: str, paused: bool = False, validate: bool = False) -> Domain:
        """Create and start a transient domain (virDomainCreateXML)."""
        self._check_writable("virDomainCreateXML")
        flags = (DomainCreateFlags.START_PAUSED if paused else 0) | (
            DomainCreateFlags.START_VALIDATE if validate else 0
        )
        return self.domain(self.driver.domain_create_xml(xml, int(flags)))

    def restore(
        self,
        path: str,
        *,
        xml: str | None = None,
        running: bool = False,
        paused: bool = False,
        bypass_cache: bool = False,
    ) -> None:
        """Start a domain from a file written by :meth:`Domain.save` (virDomainRestoreFlags).

        ``running``/``paused`` override the state recorded in the image; ``xml`` replaces
        the stored definition (same ABI only); drivers refuse what they do not support.
        """
        from .domain import _check_save_flags, _save_flags

        flags = _save_flags(running, paused, bypass_cache)
        self._check_writable("virDomainRestore" if xml is None and not flags else "virDomainRestoreFlags")
        _check_save_flags(flags)
        self.driver.domain_restore(path, xml, flags)

    def save_image_xml(self, path: str, secure: bool = False) -> str:
        """The domain XML stored in a save image (virDomainSaveImageGetXMLDesc).

        Refused on a read-only connection, as in libvirt 9.0: the image is a host file the
        client names, so reading it is not a query of managed state.
        """
        self._check_writable("virDomainSaveImageGetXMLDesc")
        return self.driver.domain_save_image_get_xml_desc(path, 1 if secure else 0)

    def define_save_image_xml(self, path: str, xml: str, *, running: bool = False, paused: bool = False) -> None:
        """Replace the domain XML stored in a save image (virDomainSaveImageDefineXML);
        ``running``/``paused`` also change the state a restore starts in."""
        from .domain import _check_save_flags, _save_flags

        self._check_writable("virDomainSaveImageDefineXML")
        flags = _save_flags(running, paused, False)
        _check_save_flags(flags)
        self.driver.domain_save_image_define_xml(path, xml, flags)

    def lookup_domain_by_name(self, name: str) -> Domain:
        return self.domain(self.driver.domain_lookup_by_name(name))

    def lookup_domain_by_uuid(self, uuid: str | bytes) -> Domain:
        """By UUID, as text (any case, with or without dashes) or 16 raw bytes."""
        return self.domain(self.driver.domain_lookup_by_uuid(_canonical_uuid(uuid)))

    def lookup_domain_by_id(self, id: int) -> Domain:
        if id < 0:
            text = "id in virDomainLookupByID must be zero or greater"
            raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.DOMAIN, message=text)
        return self.domain(self.driver.domain_lookup_by_id(int(id)))

    def lookup_domain(self, key: str | int | bytes) -> Domain:
        """By id (an int or a decimal string), UUID or name -- virsh's order of guesses."""
        if isinstance(key, int):
            return self.lookup_domain_by_id(key)
        if isinstance(key, bytes):
            return self.lookup_domain_by_uuid(key)
        if key.isdigit():
            try:
                return self.lookup_domain_by_id(int(key))
            except Exception as exc:  # noqa: BLE001 - fall through to uuid/name like virsh
                if getattr(exc, "code", None) != ErrorNumber.NO_DOMAIN:
                    raise
        if _looks_like_uuid(key):
            try:
                return self.lookup_domain_by_uuid(key)
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "code", None) != ErrorNumber.NO_DOMAIN:
                    raise
        return self.lookup_domain_by_name(key)

    def domain_stats(
        self, stats: int = 0, domains: Iterable[Domain] | None = None, *, flags: int = 0
    ) -> list[tuple[Domain, dict[str, object]]]:
        """Bulk statistics records (virConnectGetAllDomainStats, or virDomainListGetStats for
        ``domains``): ``stats`` are DomainStatsTypes bits (0 = all the driver has), ``flags``
        ConnectGetAllDomainStatsFlags (list filters, BACKING, NOWAIT, ENFORCE_STATS)."""
        if domains is None:
            records = self.driver.connect_get_all_domain_stats(int(stats), int(flags))
        else:
            refs = [d.ref for d in domains]
            records = self.driver.domain_list_get_stats(refs, int(stats), int(flags))
        return [(self.domain(ref), params) for ref, params in records]

    def list_domains(
        self,
        active: bool | None = None,
        persistent: bool | None = None,
        *,
        state: str | Iterable[str] | None = None,
        managed_save: bool | None = None,
        autostart: bool | None = None,
        has_snapshot: bool | None = None,
        has_checkpoint: bool | None = None,
        flags: int = 0,
    ) -> list[Domain]:
        """Domains matching every filter given (virConnectListAllDomains).

        ``state`` is one or more of ``"running"``, ``"paused"``, ``"shutoff"``, ``"other"``;
        raw ``flags`` (ConnectListAllDomainsFlags) are or-ed in.
        """
        f = int(flags)
        f |= _pair(active, _LF.ACTIVE, _LF.INACTIVE)
        f |= _pair(persistent, _LF.PERSISTENT, _LF.TRANSIENT)
        f |= _pair(managed_save, _LF.MANAGEDSAVE, _LF.NO_MANAGEDSAVE)
        f |= _pair(autostart, _LF.AUTOSTART, _LF.NO_AUTOSTART)
        f |= _pair(has_snapshot, _LF.HAS_SNAPSHOT, _LF.NO_SNAPSHOT)
        f |= _pair(has_checkpoint, _LF.HAS_CHECKPOINT, _LF.NO_CHECKPOINT)
        if state is not None:
            for name in [state] if isinstance(state, str) else state:
                try:
                    f |= int(_STATE_FLAGS[name])
                except KeyError:
                    raise virt_error(ErrorNumber.INVALID_ARG, f"unknown domain state filter '{name}'") from None
        cls = _Domain()
        return [cls(self, ref) for ref in self.driver.connect_list_all_domains(f)]

    def num_of_domains(self) -> int:
        return self.driver.connect_num_of_domains()

    def list_domain_ids(self) -> list[int]:
        return self.driver.connect_list_domains(1 << 30)

    def num_of_defined_domains(self) -> int:
        return self.driver.connect_num_of_defined_domains()

    def list_defined_domain_names(self) -> list[str]:
        return self.driver.connect_list_defined_domains(1 << 30)

    # -- events ----------------------------------------------------------------------------------

    def register_event(
        self,
        callback: Callable[[Any], None],
        event: DomainEventID | int = DomainEventID.LIFECYCLE,
        domain: Domain | None = None,
    ) -> int:
        """Call ``callback(event)`` for each domain event of kind ``event`` (for ``domain`` only if given).

        Callbacks run on the driver's delivery thread, never while a driver lock is held.
        Returns an id for :meth:`deregister_event`.
        """
        last = max(DomainEventID) + 1
        if not 0 <= int(event) < last:
            text = f"eventID in virConnectDomainEventRegisterAny must be less than {last}"
            raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.DOMAIN, message=text)
        ref = domain.ref if domain is not None else None
        cid = self.driver.connect_domain_event_register_any(ref, int(event), callback)
        with self._cb_lock:
            self._callbacks.add(cid)
        return cid

    def deregister_event(self, callback_id: int) -> None:
        self.driver.connect_domain_event_deregister_any(callback_id)
        with self._cb_lock:
            self._callbacks.discard(callback_id)

    def events(
        self,
        event: DomainEventID | int = DomainEventID.LIFECYCLE,
        domain: Domain | None = None,
        *,
        maxsize: int = 1024,
    ) -> DomainEventStream:
        """``async for ev in conn.events(): ...`` -- domain events for asyncio code.

        Must be created inside the running loop. A consumer that falls ``maxsize`` events
        behind loses the oldest ones rather than slowing the driver down.
        """
        return DomainEventStream(self, event, domain, maxsize)


class DomainEventStream(AsyncIterator[Any]):
    """Events handed from the driver's delivery thread into one asyncio loop."""

    def __init__(self, conn: Connection, event: int, domain: Domain | None, maxsize: int) -> None:
        import asyncio  # only asyncio users pay its ~30 ms import

        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(maxsize, 1))
        self._closed = False
        self._id = conn.register_event(self._from_thread, event, domain)
        conn._streams.add(self)

    def _from_thread(self, ev: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, ev)
        except RuntimeError:  # loop closed
            pass

    def _put(self, ev: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # drop the oldest, never block the producer
        self._queue.put_nowait(ev)

    def __aiter__(self) -> DomainEventStream:
        return self

    async def __anext__(self) -> Any:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END:
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
        self._conn._streams.discard(self)
        try:
            self._conn.deregister_event(self._id)
        except Exception:  # noqa: BLE001 - the connection may be gone already
            pass
        self._end()

    def _end(self) -> None:
        """Wake the consumer with end-of-stream, from the loop's thread or any other."""
        import asyncio

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._put(_END)
        else:
            try:
                self._loop.call_soon_threadsafe(self._put, _END)
            except RuntimeError:  # loop closed
                pass

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> DomainEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


_END = object()

_domain_class: type[Domain] | None = None


def _Domain() -> type[Domain]:
    """The Domain class (imported on first use: domain.py imports this module's types)."""
    global _domain_class
    if _domain_class is None:
        from .domain import Domain

        _domain_class = Domain
    return _domain_class

_STATE_FLAGS = {
    "running": _LF.RUNNING,
    "paused": _LF.PAUSED,
    "shutoff": _LF.SHUTOFF,
    "other": _LF.OTHER,
}


def _pair(value: bool | None, yes: int, no: int) -> int:
    if value is None:
        return 0
    return int(yes if value else no)


def _looks_like_uuid(text: str) -> bool:
    hexdigits = text.replace("-", "")
    return len(hexdigits) == 32 and all(c in "0123456789abcdefABCDEF" for c in hexdigits)


def _canonical_uuid(uuid: str | bytes) -> str:
    """libvirt's virUUIDParse: 32 hex digits, dashes anywhere between pairs; else "Invalid UUID"."""
    if isinstance(uuid, bytes):
        if len(uuid) != 16:
            raise virt_error(ErrorNumber.INVALID_ARG, "Invalid UUID", domain=ErrorDomain.DOMAIN, message="Invalid UUID")
        digits = uuid.hex()
    else:
        text = uuid.strip()
        digits = text.replace("-", "").lower()
        if len(digits) != 32 or any(c not in "0123456789abcdef" for c in digits):
            raise virt_error(ErrorNumber.INVALID_ARG, "Invalid UUID", domain=ErrorDomain.DOMAIN, message="Invalid UUID")
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
