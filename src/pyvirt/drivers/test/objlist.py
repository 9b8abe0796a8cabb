"""A small name- and uuid-indexed collection for the test driver's networks, pools and
interfaces (libvirt's virNetworkObjList / virStoragePoolObjList / virInterfaceObjList).

Every object carries a definition model, an active flag, a persistent flag, autostart, and
an optional ``new_definition`` (the configuration applied at the next start when a running
object is defined again). One lock per collection: these families have no long-running
jobs in the test driver, so a call holds it for its whole (short) critical section.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["HostObject", "Named", "ObjList"]


class HostObject:
    """One network, pool or interface.

    Name and uuid are read from the definition once, when it is set: lookups and listings
    then cost no XML access.
    """

    __slots__ = ("_definition", "name", "uuid", "new_definition", "active", "persistent", "autostart", "data")

    def __init__(self, definition: Any, *, persistent: bool = True, active: bool = False) -> None:
        self.definition = definition
        self.new_definition: Any = None
        self.active = active
        self.persistent = persistent
        self.autostart = False
        #: family-specific state (a pool's volumes, ...)
        self.data: dict[str, Any] = {}

    @property
    def definition(self) -> Any:
        return self._definition

    @definition.setter
    def definition(self, value: Any) -> None:
        self._definition = value
        self.name: str = value.name
        self.uuid: str = (getattr(value, "uuid", None) or "").lower()

    def persistent_definition(self) -> Any:
        return self.new_definition if self.new_definition is not None else self.definition

    def apply_new_definition(self) -> None:
        """The object stopped: the pending configuration becomes the definition."""
        if self.new_definition is not None:
            self.definition = self.new_definition
            self.new_definition = None


class Named(Protocol):
    """What the list needs of an object: a name and a (possibly empty) uuid."""

    @property
    def name(self) -> str: ...

    @property
    def uuid(self) -> str: ...


ObjT = TypeVar("ObjT", bound=Named)


class ObjList(Generic[ObjT]):
    """Objects by name (insertion order kept) and by uuid."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._by_name: dict[str, ObjT] = {}

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[ObjT]:
        return iter(list(self._by_name.values()))

    def by_name(self, name: str) -> ObjT | None:
        return self._by_name.get(name)

    def by_uuid(self, uuid: str) -> ObjT | None:
        key = uuid.lower()
        for obj in self._by_name.values():
            if obj.uuid == key:
                return obj
        return None

    def add(self, obj: ObjT) -> None:
        self._by_name[obj.name] = obj

    def remove(self, obj: ObjT) -> None:
        if self._by_name.get(obj.name) is obj:
            del self._by_name[obj.name]

    def clear(self) -> None:
        self._by_name.clear()
