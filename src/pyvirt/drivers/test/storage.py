"""Storage pools and volumes in the test driver (libvirt's testStoragePool* / testStorageVol*).

Every pool reports libvirt's fixed test sizes (100 GiB capacity); volumes live only in memory,
at ``<pool target>/<name>``, with that path as their key, and their allocation is charged to
the pool. Which calls need a running pool, and the wording when it is not, follow libvirt's
test driver ("storage pool 'x' is not active" / "... is active").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from lxml import etree

from ...driver.refs import StoragePoolRef, StorageVolRef
from ...driver.storage import (
    StorageDriver,
    StoragePoolInfo,
    StoragePoolRefreshEvent,
    StorageVolInfo,
)
from ...enums import ConnectListAllStoragePoolsFlags as F
from ...enums import StoragePoolEventID, StoragePoolEventType, StoragePoolState, StorageVolType
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...events import StoragePoolLifecycleEvent
from .nodefile import resolve_include
from .objlist import HostObject, ObjList
from .state import DeferredHostObject, check_flags, test_error

if TYPE_CHECKING:
    from ...conf.storage import StoragePoolDef, StorageVolDef
    from .state import TestState

__all__ = ["TestStorage", "init_state", "load_node", "DEFAULT_POOL_CAPACITY"]

#: libvirt's defaultPoolCap: every test pool is 100 GiB
DEFAULT_POOL_CAPACITY = 100 * 1024 * 1024 * 1024
_ERR = ErrorDomain.STORAGE
_TYPE_BITS = {
    "dir": F.DIR, "fs": F.FS, "netfs": F.NETFS, "logical": F.LOGICAL, "disk": F.DISK,
    "iscsi": F.ISCSI, "scsi": F.SCSI, "mpath": F.MPATH, "rbd": F.RBD, "sheepdog": F.SHEEPDOG,
    "gluster": F.GLUSTER, "zfs": F.ZFS, "vstorage": F.VSTORAGE, "iscsi-direct": F.ISCSI_DIRECT,
}  # fmt: skip
_ALL_LIST = F.INACTIVE | F.ACTIVE | F.PERSISTENT | F.TRANSIENT | F.AUTOSTART | F.NO_AUTOSTART
for _bit in _TYPE_BITS.values():
    _ALL_LIST |= _bit


def _vol_type_for_pool(pool_type: str) -> StorageVolType:
    """libvirt's test driver reports a volume's type from its pool's kind, not its XML."""
    if pool_type in ("dir", "fs", "netfs", "vstorage"):
        return StorageVolType.FILE
    if pool_type in ("sheepdog", "iscsi-direct", "gluster", "rbd"):
        return StorageVolType.NETWORK
    return StorageVolType.BLOCK


_LOGICAL_SOURCES = """<sources>
  <source>
    <device path='/dev/sda20'/>
    <name>testvg1</name>
    <format type='lvm2'/>
  </source>
  <source>
    <device path='/dev/sda21'/>
    <name>testvg2</name>
    <format type='lvm2'/>
  </source>
</sources>
"""


def init_state(state: TestState) -> None:
    state.pools = ObjList()  # type: ignore[attr-defined]


def load_node(state: TestState, root: etree._Element, base_dir: str | None) -> None:
    """``<pool>`` elements (with their ``<volume>`` children) of a node file; all running."""
    pools: ObjList[HostObject] = state.pools  # type: ignore[attr-defined]
    for el in root.findall("pool"):
        el = resolve_include(el, base_dir, "pool")
        el = copy.deepcopy(el)
        vol_els = [resolve_include(v, base_dir, "volume") for v in el.findall("volume")]
        for v in el.findall("volume"):
            el.remove(v)
        if state.deferred_parse and not vol_els:  # the built-in default: parsed on first use
            obj = DeferredHostObject(partial(_parse_pool, el), el.findtext("name", ""), el.findtext("uuid", ""))
            obj.active = True
            pools.add(obj)
            continue
        from ...conf.storage import StoragePoolDef, StorageVolDef

        definition = StoragePoolDef.from_element(el)
        obj = _add_pool(pools, definition, persistent=True)
        obj.active = True
        for vel in vol_els:
            vol = StorageVolDef.from_element(copy.deepcopy(vel), pool=definition)
            _add_volume(obj, vol)


def _parse_pool(el: etree._Element) -> StoragePoolDef:
    """A pool of the built-in document, as :func:`_add_pool` would have stored it."""
    from ...conf.storage import StoragePoolDef

    definition = StoragePoolDef.from_element(el)
    _set_defaults(definition)
    return definition


# -- objects -----------------------------------------------------------------------------------


def _set_defaults(definition: StoragePoolDef) -> None:
    """testStoragePoolObjSetDefaults: fixed capacity, nothing allocated."""
    definition.capacity = DEFAULT_POOL_CAPACITY
    definition.allocation = 0
    definition.available = DEFAULT_POOL_CAPACITY


def _volumes(obj: HostObject) -> dict[str, StorageVolDef]:
    return obj.data.setdefault("volumes", {})  # type: ignore[no-any-return]


_CAP = DEFAULT_POOL_CAPACITY
_RUNNING, _INACTIVE = int(StoragePoolState.RUNNING), int(StoragePoolState.INACTIVE)


def _allocated(obj: HostObject) -> int:
    """Bytes the pool's volumes take (kept as a number; the XML is updated when shown)."""
    return obj.data.get("allocation", 0)  # type: ignore[no-any-return]


def _charge(obj: HostObject, delta: int) -> None:
    obj.data["allocation"] = _allocated(obj) + delta
    obj.data["dirty"] = True


def _pool_xml(obj: HostObject) -> str:
    """The pool document with its current sizes written in."""
    d: StoragePoolDef = obj.definition
    if obj.data.pop("dirty", False):
        d.allocation = _allocated(obj)
        d.available = _CAP - _allocated(obj)
    return d.to_xml()  # type: ignore[no-any-return]


def _add_pool(pools: ObjList[HostObject], definition: StoragePoolDef, *, persistent: bool) -> HostObject:
    uuid = (definition.uuid or "").lower()
    other = pools.by_name(definition.name)
    if other is not None:
        if other.uuid != uuid:
            raise virt_error(
                ErrorNumber.OPERATION_FAILED, f"pool '{other.name}' already exists with uuid {other.uuid}", domain=_ERR
            )
    else:
        other = pools.by_uuid(uuid)
        if other is not None:
            raise virt_error(
                ErrorNumber.OPERATION_FAILED, f"pool '{other.name}' is already defined with uuid {other.uuid}",
                domain=_ERR,
            )
    _set_defaults(definition)
    if other is not None:
        if other.active:
            # kept as the pending configuration, which libvirt's test driver never applies:
            # the running pool shows its old definition before and after a restart
            other.new_definition = definition
        else:
            other.definition = definition
            other.data["dirty"] = True  # its volumes still take their space
        other.persistent = other.persistent or persistent
        return other
    obj = HostObject(definition, persistent=persistent)
    pools.add(obj)
    return obj


def _add_volume(obj: HostObject, vol: StorageVolDef) -> None:
    """Place a volume in a pool: path and key under the pool target, allocation charged."""
    pool: StoragePoolDef = obj.definition
    vols = _volumes(obj)
    if vol.name in vols:
        raise test_error(ErrorNumber.OPERATION_FAILED, "storage vol already exists")
    alloc = vol.allocation or 0
    if _CAP - _allocated(obj) - alloc < 0:
        raise test_error(ErrorNumber.INTERNAL_ERROR, f"Not enough free space in pool for volume '{vol.name}'")
    path = f"{pool.target_path or ''}/{vol.name}"
    _set_path(vol, path)
    _set_key(vol, path)
    vols[vol.name] = vol
    _charge(obj, alloc)


def _set_path(vol: StorageVolDef, path: str) -> None:
    """``<target><path>`` first in the target, as libvirt writes it."""
    root = vol.element
    target = root.find("target")
    if target is None:
        target = etree.SubElement(root, "target")
    el = target.find("path")
    if el is None:
        el = etree.Element("path")
        target.insert(0, el)
    el.text = path


def _set_key(vol: StorageVolDef, key: str) -> None:
    root = vol.element
    el = root.find("key")
    if el is None:
        el = etree.Element("key")
        root.find("name").addnext(el)  # type: ignore[union-attr]
    el.text = key


def _pool_ref(obj: HostObject) -> StoragePoolRef:
    return StoragePoolRef(obj.name, obj.uuid)


def _vol_ref(obj: HostObject, vol: StorageVolDef) -> StorageVolRef:
    return StorageVolRef(obj.name, vol.name, vol.key or "")


class TestStorage(StorageDriver):
    """Storage calls of the test driver; needs ``self._state``."""

    _state: TestState

    @property
    def _pools(self) -> ObjList[HostObject]:
        return self._state.pools  # type: ignore[attr-defined, no-any-return]

    def _pool(self, ref: StoragePoolRef, *, active: bool | None = None) -> HostObject:
        obj = self._pools.by_name(ref.name)
        if obj is None or (ref.uuid and obj.uuid != ref.uuid.lower()):
            raise test_error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{ref.name}'")
        if active is True and not obj.active:
            raise test_error(ErrorNumber.OPERATION_INVALID, f"storage pool '{obj.name}' is not active")
        if active is False and obj.active:
            raise test_error(ErrorNumber.OPERATION_INVALID, f"storage pool '{obj.name}' is active")
        return obj

    def _vol(self, ref: StorageVolRef) -> tuple[HostObject, StorageVolDef]:
        obj = self._pools.by_name(ref.pool)
        if obj is None:
            raise test_error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{ref.pool}'")
        if not obj.active:
            raise test_error(ErrorNumber.OPERATION_INVALID, f"storage pool '{obj.name}' is not active")
        vol = _volumes(obj).get(ref.name)
        if vol is None:
            raise test_error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{ref.name}'")
        return obj, vol

    def _pool_event(self, obj: HostObject, event: StoragePoolEventType) -> None:
        self._state.events.emit(StoragePoolLifecycleEvent(_pool_ref(obj), event, 0))

    # -- pool lists and lookups ------------------------------------------------------------------
    def connect_list_all_storage_pools(self, flags: int = 0) -> list[StoragePoolRef]:
        check_flags(flags, _ALL_LIST, "testConnectListAllStoragePools")
        with self._pools.lock:
            return [_pool_ref(o) for o in self._pools if _matches(o, flags)]

    def connect_num_of_storage_pools(self) -> int:
        with self._pools.lock:
            return sum(1 for o in self._pools if o.active)

    def connect_list_storage_pools(self, maxnames: int) -> list[str]:
        with self._pools.lock:
            return [o.name for o in self._pools if o.active][: max(maxnames, 0)]

    def connect_num_of_defined_storage_pools(self) -> int:
        with self._pools.lock:
            return sum(1 for o in self._pools if not o.active)

    def connect_list_defined_storage_pools(self, maxnames: int) -> list[str]:
        with self._pools.lock:
            return [o.name for o in self._pools if not o.active][: max(maxnames, 0)]

    def connect_find_storage_pool_sources(self, type: str, src_spec: str | None, flags: int = 0) -> str:
        """testConnectFindStoragePoolSources: canned answers for logical and netfs."""
        check_flags(flags, 0, "testConnectFindStoragePoolSources")
        if type == "dir":  # libvirt tests the type's index, and 'dir' is index 0
            raise test_error(ErrorNumber.INTERNAL_ERROR, f"unknown storage pool type {type}")
        if type == "logical":
            return _LOGICAL_SOURCES
        if type == "netfs":
            host = None
            if src_spec:
                from ...conf.base import parse_xml

                spec = parse_xml(src_spec, source="srcSpec", domain=_ERR)
                host_el = spec.find("host") if spec.tag == "source" else None
                host = None if host_el is None else host_el.get("name")
            if not host:
                raise test_error(ErrorNumber.INVALID_ARG, "hostname must be specified for netfs sources")
            root = etree.Element("sources")
            src = etree.SubElement(root, "source")
            etree.SubElement(src, "host", name=host)
            etree.SubElement(src, "dir", path="/testshare")
            etree.SubElement(src, "format", type="nfs")
            from ..._core import xmlcore

            return xmlcore.format(root)
        raise test_error(ErrorNumber.NO_SUPPORT, f"pool type '{type}' does not support source discovery")

    def storage_pool_lookup_by_name(self, name: str) -> StoragePoolRef:
        with self._pools.lock:
            obj = self._pools.by_name(name)
            if obj is None:
                raise test_error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{name}'")
            return _pool_ref(obj)

    def storage_pool_lookup_by_uuid(self, uuid: str) -> StoragePoolRef:
        with self._pools.lock:
            obj = self._pools.by_uuid(uuid)
            if obj is None:
                raise test_error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching uuid '{uuid}'")
            return _pool_ref(obj)

    def storage_pool_lookup_by_volume(self, vol: StorageVolRef) -> StoragePoolRef:
        with self._pools.lock:
            obj = self._pools.by_name(vol.pool)
            if obj is None:
                raise test_error(ErrorNumber.NO_STORAGE_POOL, f"no storage pool with matching name '{vol.pool}'")
            return _pool_ref(obj)

    # -- pool life cycle -------------------------------------------------------------------------
    def storage_pool_define_xml(self, xml: str, flags: int = 0) -> StoragePoolRef:
        check_flags(flags, 1, "testStoragePoolDefineXML")
        from ...conf.storage import StoragePoolDef

        definition = StoragePoolDef.from_xml(xml, validate=bool(flags & 1))
        with self._pools.lock:
            obj = _add_pool(self._pools, definition, persistent=True)
            obj.persistent = True
            self._pool_event(obj, StoragePoolEventType.DEFINED)
            return _pool_ref(obj)

    def storage_pool_create_xml(self, xml: str, flags: int = 0) -> StoragePoolRef:
        check_flags(flags, 1 | 2 | 4, "testStoragePoolCreateXML")
        from ...conf.storage import StoragePoolDef

        definition = StoragePoolDef.from_xml(xml)
        with self._pools.lock:
            if self._pools.by_name(definition.name) is not None or self._pools.by_uuid(definition.uuid or ""):
                other = self._pools.by_name(definition.name) or self._pools.by_uuid(definition.uuid or "")
                assert other is not None
                raise virt_error(
                    ErrorNumber.OPERATION_FAILED, f"pool '{other.name}' already exists with uuid {other.uuid}",
                    domain=_ERR,
                )
            obj = _add_pool(self._pools, definition, persistent=False)
            obj.active = True
            self._pool_event(obj, StoragePoolEventType.STARTED)
            return _pool_ref(obj)

    def storage_pool_build(self, pool: StoragePoolRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2 | 4 | 8, "testStoragePoolBuild")
        with self._pools.lock:
            obj = self._pool(pool, active=False)
            self._pool_event(obj, StoragePoolEventType.CREATED)

    def storage_pool_create(self, pool: StoragePoolRef, flags: int = 0) -> None:
        check_flags(flags, 1 | 2 | 4, "testStoragePoolCreate")
        with self._pools.lock:
            obj = self._pool(pool, active=False)
            obj.active = True
            self._pool_event(obj, StoragePoolEventType.STARTED)

    def storage_pool_destroy(self, pool: StoragePoolRef) -> None:
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            obj.active = False
            self._pool_event(obj, StoragePoolEventType.STOPPED)
            if not obj.persistent:
                self._pools.remove(obj)

    def storage_pool_delete(self, pool: StoragePoolRef, flags: int = 0) -> None:
        check_flags(flags, 1, "testStoragePoolDelete")
        with self._pools.lock:
            obj = self._pool(pool, active=False)
            self._pool_event(obj, StoragePoolEventType.DELETED)

    def storage_pool_undefine(self, pool: StoragePoolRef) -> None:
        with self._pools.lock:
            obj = self._pool(pool, active=False)
            self._pool_event(obj, StoragePoolEventType.UNDEFINED)
            self._pools.remove(obj)

    def storage_pool_refresh(self, pool: StoragePoolRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testStoragePoolRefresh")
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            self._state.events.emit(StoragePoolRefreshEvent(_pool_ref(obj)))

    # -- pool properties -------------------------------------------------------------------------
    def storage_pool_get_info(self, pool: StoragePoolRef) -> StoragePoolInfo:
        with self._pools.lock:
            obj = self._pool(pool)
            alloc = _allocated(obj)
            return StoragePoolInfo(_RUNNING if obj.active else _INACTIVE, _CAP, alloc, _CAP - alloc)

    def storage_pool_get_xml_desc(self, pool: StoragePoolRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testStoragePoolGetXMLDesc")
        with self._pools.lock:
            return _pool_xml(self._pool(pool))

    def storage_pool_get_autostart(self, pool: StoragePoolRef) -> bool:
        with self._pools.lock:
            obj = self._pool(pool)
            return obj.persistent and obj.autostart

    def storage_pool_set_autostart(self, pool: StoragePoolRef, autostart: bool) -> None:
        with self._pools.lock:
            obj = self._pool(pool)
            if not obj.persistent:
                raise test_error(ErrorNumber.INVALID_ARG, "pool has no config file")
            obj.autostart = bool(autostart)

    def storage_pool_is_active(self, pool: StoragePoolRef) -> bool:
        with self._pools.lock:
            return self._pool(pool).active

    def storage_pool_is_persistent(self, pool: StoragePoolRef) -> bool:
        with self._pools.lock:
            return self._pool(pool).persistent

    # -- volumes ---------------------------------------------------------------------------------
    def storage_pool_num_of_volumes(self, pool: StoragePoolRef) -> int:
        with self._pools.lock:
            return len(_volumes(self._pool(pool, active=True)))

    def storage_pool_list_volumes(self, pool: StoragePoolRef, maxnames: int) -> list[str]:
        with self._pools.lock:
            return list(_volumes(self._pool(pool, active=True)))[: max(maxnames, 0)]

    def storage_pool_list_all_volumes(self, pool: StoragePoolRef, flags: int = 0) -> list[StorageVolRef]:
        check_flags(flags, 0, "testStoragePoolListAllVolumes")
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            return [_vol_ref(obj, v) for v in _volumes(obj).values()]

    def storage_vol_lookup_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolRef:
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            vol = _volumes(obj).get(name)
            if vol is None:
                raise test_error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{name}'")
            return _vol_ref(obj, vol)

    def _find_vol(self, match: Callable[[StorageVolDef], bool]) -> StorageVolRef | None:
        for obj in self._pools:
            if not obj.active:
                continue
            for vol in _volumes(obj).values():
                if match(vol):
                    return _vol_ref(obj, vol)
        return None

    def storage_vol_lookup_by_key(self, key: str) -> StorageVolRef:
        with self._pools.lock:
            ref = self._find_vol(lambda v: v.key == key)
            if ref is None:
                raise test_error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching key '{key}'")
            return ref

    def storage_vol_lookup_by_path(self, path: str) -> StorageVolRef:
        with self._pools.lock:
            ref = self._find_vol(lambda v: v.target_path == path)
            if ref is None:
                raise test_error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching path '{path}'")
            return ref

    def storage_vol_create_xml(self, pool: StoragePoolRef, xml: str, flags: int = 0) -> StorageVolRef:
        check_flags(flags, 1 | 4, "testStorageVolCreateXML")
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            from ...conf.storage import StorageVolDef

            vol = StorageVolDef.from_xml(xml, validate=bool(flags & 4), pool=obj.definition)
            _add_volume(obj, vol)
            return _vol_ref(obj, vol)

    def storage_vol_create_xml_from(
        self, pool: StoragePoolRef, xml: str, clone: StorageVolRef, flags: int = 0
    ) -> StorageVolRef:
        check_flags(flags, 1 | 2, "testStorageVolCreateXMLFrom")
        with self._pools.lock:
            obj = self._pool(pool, active=True)
            from ...conf.storage import StorageVolDef

            vol = StorageVolDef.from_xml(xml, pool=obj.definition)
            if vol.name in _volumes(obj):
                raise test_error(ErrorNumber.OPERATION_FAILED, "storage vol already exists")
            source = _volumes(obj).get(clone.name)
            if source is None:
                raise test_error(ErrorNumber.NO_STORAGE_VOL, f"no storage vol with matching name '{clone.name}'")
            _add_volume(obj, vol)
            return _vol_ref(obj, vol)

    def storage_vol_delete(self, vol: StorageVolRef, flags: int = 0) -> None:
        check_flags(flags, 0, "testStorageVolDelete")
        with self._pools.lock:
            obj, v = self._vol(vol)
            _charge(obj, -(v.allocation or 0))
            del _volumes(obj)[v.name]

    def storage_vol_get_info(self, vol: StorageVolRef) -> StorageVolInfo:
        with self._pools.lock:
            obj, v = self._vol(vol)
            return StorageVolInfo(int(_vol_type_for_pool(obj.definition.type)), v.capacity or 0, v.allocation or 0)

    def storage_vol_get_xml_desc(self, vol: StorageVolRef, flags: int = 0) -> str:
        check_flags(flags, 0, "testStorageVolGetXMLDesc")
        with self._pools.lock:
            return self._vol(vol)[1].to_xml()

    def storage_vol_get_path(self, vol: StorageVolRef) -> str:
        with self._pools.lock:
            return self._vol(vol)[1].target_path or ""

    # -- events ----------------------------------------------------------------------------------
    def connect_storage_pool_event_register_any(
        self, pool: StoragePoolRef | None, event_id: int, callback: Callable[[Any], None]
    ) -> int:
        if event_id not in StoragePoolEventID._value2member_map_:
            raise virt_error(
                ErrorNumber.INVALID_ARG,
                f"eventID in virConnectStoragePoolEventRegisterAny must be less than {len(StoragePoolEventID)}",
                domain=_ERR,
            )
        kind = StoragePoolLifecycleEvent if event_id == StoragePoolEventID.LIFECYCLE else StoragePoolRefreshEvent
        if pool is None:
            return self._state.events.register(callback, kind)
        uuid = pool.uuid
        return self._state.events.register(callback, kind, match=lambda ev: ev.pool.uuid == uuid)

    def connect_storage_pool_event_deregister_any(self, callback_id: int) -> None:
        self._state.events.deregister(callback_id)


def _matches(obj: HostObject, flags: int) -> bool:
    if flags & (F.ACTIVE | F.INACTIVE) and not (
        (flags & F.ACTIVE and obj.active) or (flags & F.INACTIVE and not obj.active)
    ):
        return False
    if flags & (F.PERSISTENT | F.TRANSIENT) and not (
        (flags & F.PERSISTENT and obj.persistent) or (flags & F.TRANSIENT and not obj.persistent)
    ):
        return False
    if flags & (F.AUTOSTART | F.NO_AUTOSTART) and not (
        (flags & F.AUTOSTART and obj.autostart) or (flags & F.NO_AUTOSTART and not obj.autostart)
    ):
        return False
    type_bits = flags & ~int(F.INACTIVE | F.ACTIVE | F.PERSISTENT | F.TRANSIENT | F.AUTOSTART | F.NO_AUTOSTART)
    if type_bits and not type_bits & int(_TYPE_BITS.get(obj.definition.type, 0)):
        return False
    return True
