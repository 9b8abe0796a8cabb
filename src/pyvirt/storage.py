"""Public API for storage: ``StoragePool``, ``StorageVolume`` and the methods ``Connection`` gains.

Handles hold the connection and the object's identity only; every call is one driver call.
Changing calls are refused on read-only connections before the driver is asked
(VIR_ERR_OPERATION_DENIED in libvirt's storage error domain).
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._lookup import by_name_or_uuid
from .driver.refs import StoragePoolRef, StorageVolRef
from .driver.storage import StoragePoolInfo, StorageVolInfo
from .enums import ConnectListAllStoragePoolsFlags as _F
from .enums import StoragePoolEventID
from .errors import ErrorDomain
from .network import ObjectEventStream, tristate_flags

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["StoragePool", "StorageVolume", "StorageAPI", "StoragePoolInfo", "StorageVolInfo"]

_ERR = ErrorDomain.STORAGE
_TYPE_FLAGS = {
    "dir": _F.DIR, "fs": _F.FS, "netfs": _F.NETFS, "logical": _F.LOGICAL, "disk": _F.DISK,
    "iscsi": _F.ISCSI, "scsi": _F.SCSI, "mpath": _F.MPATH, "rbd": _F.RBD, "sheepdog": _F.SHEEPDOG,
    "gluster": _F.GLUSTER, "zfs": _F.ZFS, "vstorage": _F.VSTORAGE, "iscsi-direct": _F.ISCSI_DIRECT,
}  # fmt: skip


class StoragePool:
    """A storage pool (libvirt's virStoragePool)."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: StoragePoolRef) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def ref(self) -> StoragePoolRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def uuid(self) -> str:
        return self._ref.uuid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoragePool) and other._conn is self._conn and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<pyvirt.StoragePool {self._ref.name!r} {self._ref.uuid}>"

    @property
    def _driver(self) -> Any:
        return self._conn.driver

    def _writable(self, api: str) -> None:
        self._conn._check_writable(api, _ERR)

    # -- queries ---------------------------------------------------------------------------------
    def xml(self, *, inactive: bool = False) -> str:
        return self._driver.storage_pool_get_xml_desc(self._ref, 1 if inactive else 0)  # type: ignore[no-any-return]

    def info(self) -> StoragePoolInfo:
        """State and sizes in bytes (virStoragePoolGetInfo)."""
        info = self._driver.storage_pool_get_info(self._ref)
        return info if type(info) is StoragePoolInfo else StoragePoolInfo(*info)

    def is_active(self) -> bool:
        return bool(self._driver.storage_pool_is_active(self._ref))

    def is_persistent(self) -> bool:
        return bool(self._driver.storage_pool_is_persistent(self._ref))

    @property
    def autostart(self) -> bool:
        return bool(self._driver.storage_pool_get_autostart(self._ref))

    @autostart.setter
    def autostart(self, value: bool) -> None:
        self._writable("virStoragePoolSetAutostart")
        self._driver.storage_pool_set_autostart(self._ref, bool(value))

    # -- life cycle ------------------------------------------------------------------------------
    def build(self, flags: int = 0) -> None:
        self._writable("virStoragePoolBuild")
        self._driver.storage_pool_build(self._ref, flags)

    def start(self, flags: int = 0) -> None:
        """Start a defined pool (virStoragePoolCreate)."""
        self._writable("virStoragePoolCreate")
        self._driver.storage_pool_create(self._ref, flags)

    def destroy(self) -> None:
        """Stop the pool; a transient one disappears (virStoragePoolDestroy)."""
        self._writable("virStoragePoolDestroy")
        self._driver.storage_pool_destroy(self._ref)

    stop = destroy

    def delete(self, flags: int = 0) -> None:
        """Delete the pool's underlying storage (virStoragePoolDelete)."""
        self._writable("virStoragePoolDelete")
        self._driver.storage_pool_delete(self._ref, flags)

    def undefine(self) -> None:
        self._writable("virStoragePoolUndefine")
        self._driver.storage_pool_undefine(self._ref)

    def refresh(self) -> None:
        self._writable("virStoragePoolRefresh")
        self._driver.storage_pool_refresh(self._ref, 0)

    # -- volumes ---------------------------------------------------------------------------------
    def _vol(self, ref: StorageVolRef) -> StorageVolume:
        return StorageVolume(self._conn, ref)

    def create_volume(self, xml: str, *, clone_from: StorageVolume | None = None, flags: int = 0) -> StorageVolume:
        """Create a volume (virStorageVolCreateXML), or a copy of ``clone_from`` (…CreateXMLFrom)."""
        if clone_from is None:
            self._writable("virStorageVolCreateXML")
            return self._vol(self._driver.storage_vol_create_xml(self._ref, xml, flags))
        self._writable("virStorageVolCreateXMLFrom")
        return self._vol(self._driver.storage_vol_create_xml_from(self._ref, xml, clone_from.ref, flags))

    def lookup_volume(self, name: str) -> StorageVolume:
        return self._vol(self._driver.storage_vol_lookup_by_name(self._ref, name))

    def volumes(self) -> list[StorageVolume]:
        return [self._vol(r) for r in self._driver.storage_pool_list_all_volumes(self._ref, 0)]

    def volume_names(self) -> list[str]:
        return list(self._driver.storage_pool_list_volumes(self._ref, 1 << 30))

    def num_of_volumes(self) -> int:
        return int(self._driver.storage_pool_num_of_volumes(self._ref))


class StorageVolume:
    """A storage volume (libvirt's virStorageVol)."""

    __slots__ = ("_conn", "_ref")

    def __init__(self, conn: Connection, ref: StorageVolRef) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def ref(self) -> StorageVolRef:
        return self._ref

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def key(self) -> str:
        return self._ref.key

    @property
    def pool_name(self) -> str:
        return self._ref.pool

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageVolume) and other._conn is self._conn and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<pyvirt.StorageVolume {self._ref.name!r} in {self._ref.pool!r}>"

    @property
    def _driver(self) -> Any:
        return self._conn.driver

    def pool(self) -> StoragePool:
        return StoragePool(self._conn, self._driver.storage_pool_lookup_by_volume(self._ref))

    def path(self) -> str:
        return self._driver.storage_vol_get_path(self._ref)  # type: ignore[no-any-return]

    def xml(self) -> str:
        return self._driver.storage_vol_get_xml_desc(self._ref, 0)  # type: ignore[no-any-return]

    def info(self) -> StorageVolInfo:
        info = self._driver.storage_vol_get_info(self._ref)
        return info if type(info) is StorageVolInfo else StorageVolInfo(*info)

    def delete(self, flags: int = 0) -> None:
        self._conn._check_writable("virStorageVolDelete", _ERR)
        self._driver.storage_vol_delete(self._ref, flags)

    def wipe(self, flags: int = 0) -> None:
        self._conn._check_writable("virStorageVolWipe", _ERR)
        self._driver.storage_vol_wipe(self._ref, flags)

    def resize(self, capacity: int, flags: int = 0) -> None:
        self._conn._check_writable("virStorageVolResize", _ERR)
        self._driver.storage_vol_resize(self._ref, capacity, flags)


class StorageAPI:
    """Methods mixed into ``Connection`` for storage pools and volumes."""

    driver: Any
    _check_writable: Callable[..., None]

    def _pool(self, ref: StoragePoolRef) -> StoragePool:
        return StoragePool(self, ref)  # type: ignore[arg-type]

    def define_storage_pool(self, xml: str, *, validate: bool = False) -> StoragePool:
        self._check_writable("virStoragePoolDefineXML", _ERR)
        return self._pool(self.driver.storage_pool_define_xml(xml, 1 if validate else 0))

    def create_storage_pool(self, xml: str, flags: int = 0) -> StoragePool:
        """Create and start a transient pool (virStoragePoolCreateXML)."""
        self._check_writable("virStoragePoolCreateXML", _ERR)
        return self._pool(self.driver.storage_pool_create_xml(xml, flags))

    def lookup_storage_pool_by_name(self, name: str) -> StoragePool:
        return self._pool(self.driver.storage_pool_lookup_by_name(name))

    def lookup_storage_pool_by_uuid(self, uuid: str | bytes) -> StoragePool:
        if isinstance(uuid, bytes):
            uuid = str(_uuid.UUID(bytes=uuid))
        return self._pool(self.driver.storage_pool_lookup_by_uuid(uuid))

    def lookup_storage_pool(self, key: str | bytes) -> StoragePool:
        """By name, or by UUID when ``key`` is one."""
        return by_name_or_uuid(key, self.lookup_storage_pool_by_name, self.lookup_storage_pool_by_uuid)

    def list_storage_pools(
        self,
        *,
        active: bool | None = None,
        persistent: bool | None = None,
        autostart: bool | None = None,
        types: tuple[str, ...] | list[str] = (),
        flags: int = 0,
    ) -> list[StoragePool]:
        """Pools, optionally filtered by state and pool type (virConnectListAllStoragePools)."""
        bits = (
            int(flags)
            | tristate_flags(active, _F.ACTIVE, _F.INACTIVE)
            | tristate_flags(persistent, _F.PERSISTENT, _F.TRANSIENT)
            | tristate_flags(autostart, _F.AUTOSTART, _F.NO_AUTOSTART)
        )
        for t in types:
            bits |= int(_TYPE_FLAGS[t])
        return [self._pool(r) for r in self.driver.connect_list_all_storage_pools(bits)]

    def num_of_storage_pools(self) -> int:
        return int(self.driver.connect_num_of_storage_pools())

    def list_storage_pool_names(self) -> list[str]:
        return list(self.driver.connect_list_storage_pools(1 << 30))

    def num_of_defined_storage_pools(self) -> int:
        return int(self.driver.connect_num_of_defined_storage_pools())

    def list_defined_storage_pool_names(self) -> list[str]:
        return list(self.driver.connect_list_defined_storage_pools(1 << 30))

    def find_storage_pool_sources(self, type: str, spec: str | None = None) -> str:
        """Discover pool sources of ``type`` (virConnectFindStoragePoolSources)."""
        self._check_writable("virConnectFindStoragePoolSources", _ERR)
        return self.driver.connect_find_storage_pool_sources(type, spec, 0)  # type: ignore[no-any-return]

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolume:
        return StorageVolume(self, self.driver.storage_vol_lookup_by_key(key))  # type: ignore[arg-type]

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolume:
        return StorageVolume(self, self.driver.storage_vol_lookup_by_path(path))  # type: ignore[arg-type]

    def register_storage_pool_event(
        self, callback: Callable[[Any], None], pool: StoragePool | None = None,
        event: StoragePoolEventID | int = StoragePoolEventID.LIFECYCLE,
    ) -> int:
        ref = pool.ref if pool is not None else None
        return int(self.driver.connect_storage_pool_event_register_any(ref, int(event), callback))

    def deregister_storage_pool_event(self, callback_id: int) -> None:
        self.driver.connect_storage_pool_event_deregister_any(callback_id)

    def storage_pool_events(self, pool: StoragePool | None = None, *, maxsize: int = 1024) -> ObjectEventStream:
        """``async for ev in conn.storage_pool_events(): ...`` (create it inside the running loop)."""
        return ObjectEventStream(
            lambda cb: self.register_storage_pool_event(cb, pool), self.deregister_storage_pool_event, maxsize
        )
