"""The domains a driver knows, indexed by uuid, name and id (libvirt's ``virDomainObjList``).

Lookups and listings take only the read side of the list's :class:`~pyvirt._core.sync.RWLock`
and never touch a domain's lock or job, so they answer at once even while a slow job runs on
the very domain they return. Adding, removing, renaming and id changes take the write side for
a few dictionary operations.

Lock order: a domain's lock (or job) may be held while the list's write lock is taken (an id
change happens under the domain's lock); the list never takes a domain's lock. Checking that a
new name or uuid is free *and* adding the domain is one step here (:meth:`add` refuses
duplicates), but a driver that validates more than that (libvirt's "already defined with uuid"
rules) serialises its define calls with its own driver lock.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from .._core.sync import RWLock
from ..errors import ErrorNumber, virt_error

if TYPE_CHECKING:
    from .domain import DomainObject

__all__ = ["DomainList"]


def _uuid_key(uuid: str) -> str:
    """Canonical index key: lowercase with dashes (accepts the 32-digit form too)."""
    key = uuid.lower()
    if len(key) == 32 and "-" not in key:
        key = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"
    return key


class DomainList:
    """Thread-safe index of :class:`~pyvirt.objects.domain.DomainObject` by uuid, name and id."""

    def __init__(self, first_id: int = 1) -> None:
        self._rw = RWLock()
        self._by_uuid: dict[str, DomainObject] = {}
        self._by_name: dict[str, DomainObject] = {}
        self._by_id: dict[int, DomainObject] = {}
        # next() on itertools.count is atomic under the GIL: ids are unique without a lock
        self._ids = itertools.count(first_id)

    # -- changes ----------------------------------------------------------------------------

    def add(self, obj: DomainObject) -> None:
        """Index ``obj``; a name or uuid already held by another domain is refused.

        Raises VIR_ERR_OPERATION_FAILED "domain 'NAME' already exists with uuid UUID", libvirt's
        error for the same clash.
        """
        name = obj.name
        key = _uuid_key(obj.uuid)
        with self._rw.write():
            other = self._by_uuid.get(key) or self._by_name.get(name)
            if other is not None and other is not obj:
                raise virt_error(
                    ErrorNumber.OPERATION_FAILED,
                    f"domain '{other.name}' already exists with uuid {other.uuid}",
                )
            if obj._list is not None and obj._list is not self:
                raise ValueError("domain object already belongs to another DomainList")
            self._by_uuid[key] = obj
            self._by_name[name] = obj
            if obj._id != -1:
                self._by_id[obj._id] = obj
            obj._list = self
            obj._list_keys = (key, name)

    def remove(self, obj: DomainObject) -> None:
        """Drop ``obj`` from every index (a no-op if it is not in this list)."""
        with self._rw.write():
            if obj._list is not self:
                return
            key, name = obj._list_keys
            if self._by_uuid.get(key) is obj:
                del self._by_uuid[key]
            if self._by_name.get(name) is obj:
                del self._by_name[name]
            if self._by_id.get(obj._id) is obj:
                del self._by_id[obj._id]
            obj._list = None

    def rename(self, obj: DomainObject, new_name: str) -> None:
        """Give ``obj`` a new name in the index and in its definitions (libvirt's virDomainObjListRename).

        Raises VIR_ERR_OPERATION_INVALID "domain with name 'NEW' already exists" when the name
        is taken by another domain.
        """
        with self._rw.write():
            other = self._by_name.get(new_name)
            if other is not None and other is not obj:
                raise virt_error(
                    ErrorNumber.OPERATION_INVALID, f"domain with name '{new_name}' already exists"
                )
            obj.definition.name = new_name
            if obj.new_definition is not None:
                obj.new_definition.name = new_name
            if obj._list is self:
                old_name = obj._list_keys[1]
                if self._by_name.get(old_name) is obj:
                    del self._by_name[old_name]
                self._by_name[new_name] = obj
                obj._list_keys = (obj._list_keys[0], new_name)

    def allocate_id(self) -> int:
        """A fresh domain id: increasing, never reused within this list (as libvirt's nextid)."""
        return next(self._ids)

    def _change_id(self, obj: DomainObject, old: int, new: int) -> None:
        # Called by DomainObject.id's setter, usually under the domain's lock.
        with self._rw.write():
            if self._by_id.get(old) is obj:
                del self._by_id[old]
            obj._id = new
            if new != -1 and obj._list is self:
                self._by_id[new] = obj

    # -- lookups ----------------------------------------------------------------------------

    # Lookups pair acquire_read/release_read by hand: half the cost of the ``with`` form on
    # the hottest path of every API call.

    def by_uuid(self, uuid: str) -> DomainObject | None:
        rw = self._rw
        rw.acquire_read()
        try:
            obj = self._by_uuid.get(uuid)
            if obj is None:
                obj = self._by_uuid.get(_uuid_key(uuid))
            return obj
        finally:
            rw.release_read()

    def by_name(self, name: str) -> DomainObject | None:
        rw = self._rw
        rw.acquire_read()
        try:
            return self._by_name.get(name)
        finally:
            rw.release_read()

    def by_id(self, id: int) -> DomainObject | None:
        """The *active* domain with this id (inactive domains have none)."""
        if id < 0:
            return None
        rw = self._rw
        rw.acquire_read()
        try:
            return self._by_id.get(id)
        finally:
            rw.release_read()

    def all(self) -> list[DomainObject]:
        """Every domain, as a new list (safe to iterate while others change the list)."""
        with self._rw.read():
            return list(self._by_uuid.values())

    def count(self, active: bool | None = None) -> int:
        """How many domains; only active (``True``) or inactive (``False``) ones if asked."""
        with self._rw.read():
            if active is None:
                return len(self._by_uuid)
            running = len(self._by_id)
            return running if active else len(self._by_uuid) - running

    def names(self) -> list[str]:
        with self._rw.read():
            return list(self._by_name)

    def __len__(self) -> int:
        with self._rw.read():
            return len(self._by_uuid)

    def __contains__(self, obj: object) -> bool:
        with self._rw.read():
            return getattr(obj, "_list", None) is self

    def __repr__(self) -> str:
        return f"<DomainList {len(self)} domains>"
