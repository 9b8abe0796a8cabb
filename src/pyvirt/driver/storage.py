"""Driver interface for storage pools and volumes; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt entry point (``virStoragePoolDefineXML`` -> ``storage_pool_define_xml``);
pools travel as :class:`StoragePoolRef` (name, uuid), volumes as :class:`StorageVolRef`
(pool name, volume name, key), info structs as named tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..events import Event
from .refs import StoragePoolRef, StorageVolRef
from .unsupported import unsupported


@dataclass(frozen=True, slots=True)
class StoragePoolRefreshEvent(Event):
    """libvirt's VIR_STORAGE_POOL_EVENT_ID_REFRESH: the pool was refreshed."""

    pool: StoragePoolRef


class StoragePoolInfo(NamedTuple):
    """virStoragePoolInfo: state (StoragePoolState) and sizes in bytes."""

    state: int
    capacity: int
    allocation: int
    available: int


class StorageVolInfo(NamedTuple):
    """virStorageVolInfo: type (StorageVolType) and sizes in bytes."""

    type: int
    capacity: int
    allocation: int


class StorageDriver:
    """Methods for storage pools and volumes, named after libvirt's C API in snake_case."""

    # -- pool lists and lookups ------------------------------------------------------------------
    def connect_list_all_storage_pools(self, flags: int = 0) -> list[StoragePoolRef]:
        unsupported("virConnectListAllStoragePools")

    def connect_num_of_storage_pools(self) -> int:
        unsupported("virConnectNumOfStoragePools")

    def connect_list_storage_pools(self, maxnames: int) -> list[str]:
        unsupported("virConnectListStoragePools")

    def connect_num_of_defined_storage_pools(self) -> int:
        unsupported("virConnectNumOfDefinedStoragePools")

    def connect_list_defined_storage_pools(self, maxnames: int) -> list[str]:
        unsupported("virConnectListDefinedStoragePools")

    def connect_find_storage_pool_sources(self, type: str, src_spec: str | None, flags: int = 0) -> str:
        unsupported("virConnectFindStoragePoolSources")

    def storage_pool_lookup_by_name(self, name: str) -> StoragePoolRef:
        unsupported("virStoragePoolLookupByName")

    def storage_pool_lookup_by_uuid(self, uuid: str) -> StoragePoolRef:
        unsupported("virStoragePoolLookupByUUID")

    def storage_pool_lookup_by_volume(self, vol: StorageVolRef) -> StoragePoolRef:
        unsupported("virStoragePoolLookupByVolume")

    # -- pool life cycle -------------------------------------------------------------------------
    def storage_pool_define_xml(self, xml: str, flags: int = 0) -> StoragePoolRef:
        unsupported("virStoragePoolDefineXML")

    def storage_pool_create_xml(self, xml: str, flags: int = 0) -> StoragePoolRef:
        unsupported("virStoragePoolCreateXML")

    def storage_pool_build(self, pool: StoragePoolRef, flags: int = 0) -> None:
        unsupported("virStoragePoolBuild")

    def storage_pool_create(self, pool: StoragePoolRef, flags: int = 0) -> None:
        unsupported("virStoragePoolCreate")

    def storage_pool_destroy(self, pool: StoragePoolRef) -> None:
        unsupported("virStoragePoolDestroy")

    def storage_pool_delete(self, pool: StoragePoolRef, flags: int = 0) -> None:
        unsupported("virStoragePoolDelete")

    def storage_pool_undefine(self, pool: StoragePoolRef) -> None:
        unsupported("virStoragePoolUndefine")

    def storage_pool_refresh(self, pool: StoragePoolRef, flags: int = 0) -> None:
        unsupported("virStoragePoolRefresh")

    # -- pool properties -------------------------------------------------------------------------
    def storage_pool_get_info(self, pool: StoragePoolRef) -> StoragePoolInfo:
        unsupported("virStoragePoolGetInfo")

    def storage_pool_get_xml_desc(self, pool: StoragePoolRef, flags: int = 0) -> str:
        unsupported("virStoragePoolGetXMLDesc")

    def storage_pool_get_autostart(self, pool: StoragePoolRef) -> bool:
        unsupported("virStoragePoolGetAutostart")

    def storage_pool_set_autostart(self, pool: StoragePoolRef, autostart: bool) -> None:
        unsupported("virStoragePoolSetAutostart")

    def storage_pool_is_active(self, pool: StoragePoolRef) -> bool:
        unsupported("virStoragePoolIsActive")

    def storage_pool_is_persistent(self, pool: StoragePoolRef) -> bool:
        unsupported("virStoragePoolIsPersistent")

    # -- volumes ---------------------------------------------------------------------------------
    def storage_pool_num_of_volumes(self, pool: StoragePoolRef) -> int:
        unsupported("virStoragePoolNumOfVolumes")

    def storage_pool_list_volumes(self, pool: StoragePoolRef, maxnames: int) -> list[str]:
        unsupported("virStoragePoolListVolumes")

    def storage_pool_list_all_volumes(self, pool: StoragePoolRef, flags: int = 0) -> list[StorageVolRef]:
        unsupported("virStoragePoolListAllVolumes")

    def storage_vol_lookup_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolRef:
        unsupported("virStorageVolLookupByName")

    def storage_vol_lookup_by_key(self, key: str) -> StorageVolRef:
        unsupported("virStorageVolLookupByKey")

    def storage_vol_lookup_by_path(self, path: str) -> StorageVolRef:
        unsupported("virStorageVolLookupByPath")

    def storage_vol_create_xml(self, pool: StoragePoolRef, xml: str, flags: int = 0) -> StorageVolRef:
        unsupported("virStorageVolCreateXML")

    def storage_vol_create_xml_from(
        self, pool: StoragePoolRef, xml: str, clone: StorageVolRef, flags: int = 0
    ) -> StorageVolRef:
        unsupported("virStorageVolCreateXMLFrom")

    def storage_vol_delete(self, vol: StorageVolRef, flags: int = 0) -> None:
        unsupported("virStorageVolDelete")

    def storage_vol_wipe(self, vol: StorageVolRef, flags: int = 0) -> None:
        unsupported("virStorageVolWipe")

    def storage_vol_resize(self, vol: StorageVolRef, capacity: int, flags: int = 0) -> None:
        unsupported("virStorageVolResize")

    def storage_vol_get_info(self, vol: StorageVolRef) -> StorageVolInfo:
        unsupported("virStorageVolGetInfo")

    def storage_vol_get_xml_desc(self, vol: StorageVolRef, flags: int = 0) -> str:
        unsupported("virStorageVolGetXMLDesc")

    def storage_vol_get_path(self, vol: StorageVolRef) -> str:
        unsupported("virStorageVolGetPath")

    # -- events ----------------------------------------------------------------------------------
    def connect_storage_pool_event_register_any(
        self, pool: StoragePoolRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        unsupported("virConnectStoragePoolEventRegisterAny")

    def connect_storage_pool_event_deregister_any(self, callback_id: int) -> None:
        unsupported("virConnectStoragePoolEventDeregisterAny")
