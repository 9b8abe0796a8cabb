"""The read-only snapshot queries every driver answers the same way (a driver mixin).

Look-up, listing, counting, parent/current and XML of domain snapshots read only the
domain's :class:`~pyvirt.objects.snapshots.SnapshotTree`, so the QEMU and test drivers share
them. What differs between drivers is supplied by the host class:

* ``_snapshot_api_prefix``: ``"qemu"`` or ``"test"``, the C function names in flag errors
  (``qemuDomainSnapshotNum``, ``testDomainSnapshotNum``);
* ``_snapshot_domain(dom_ref)``: the domain object of a ref, raising the driver's no-domain error;
* ``_snapshot_owner_ref(obj)``: the domain ref handed out with a snapshot ref;
* ``_snapshot_error(code, detail)``: an error in the driver's error domain;
* ``_snapshot_check_flags(flags, allowed, function)``: the driver's virCheckFlags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..driver.refs import DomainRef, SnapshotRef
from ..enums import DomainSnapshotListFlags, DomainSnapshotXMLFlags
from ..errors import ErrorNumber
from .snapshots import SnapshotDoc, SnapshotNode, SnapshotTree, int_flags

if TYPE_CHECKING:
    from .domain import DomainObject

__all__ = ["SnapshotQueries", "snapshot_tree"]

L = int_flags(DomainSnapshotListFlags)
X = int_flags(DomainSnapshotXMLFlags)

_LIST_FILTERS = (
    L.METADATA | L.NO_METADATA | L.LEAVES | L.NO_LEAVES | L.INACTIVE | L.ACTIVE | L.DISK_ONLY
    | L.INTERNAL | L.EXTERNAL
)


def snapshot_tree(obj: DomainObject) -> SnapshotTree:
    """The domain's snapshot tree, created empty on first use."""
    tree = getattr(obj, "snapshots", None)
    if tree is None:
        tree = obj.snapshots = SnapshotTree()
    return tree  # type: ignore[no-any-return]


class SnapshotQueries:
    """Snapshot look-ups and listings, parameterised by the host driver's hooks."""

    # provided by the driver
    _snapshot_api_prefix: str

    def _snapshot_domain(self, dom: DomainRef) -> DomainObject:
        raise NotImplementedError

    def _snapshot_owner_ref(self, obj: DomainObject) -> DomainRef:
        raise NotImplementedError

    def _snapshot_error(self, code: int, detail: str | None = None) -> Exception:
        raise NotImplementedError

    def _snapshot_check_flags(self, flags: int, allowed: int, function: str) -> None:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------------

    def _snapshot_api(self, name: str) -> str:
        return f"{self._snapshot_api_prefix}{name}"

    def _snap_node(self, obj: DomainObject, name: str) -> SnapshotNode:
        node = snapshot_tree(obj).get(name)
        if node is None:
            raise self._snapshot_error(ErrorNumber.NO_DOMAIN_SNAPSHOT, f"no domain snapshot with matching name '{name}'")
        return node

    def _snap_ref(self, obj: DomainObject, name: str) -> SnapshotRef:
        return SnapshotRef(self._snapshot_owner_ref(obj), name)

    def _snapshot_select(self, obj: DomainObject, flags: int, start: str | None, function: str,
                         children: bool) -> list[SnapshotNode]:
        allowed = _LIST_FILTERS | L.TOPOLOGICAL | (L.DESCENDANTS if children else L.ROOTS)
        self._snapshot_check_flags(flags, allowed, self._snapshot_api(function))
        with obj.lock:
            node = self._snap_node(obj, start) if start is not None else None
            return snapshot_tree(obj).select(flags, node)

    # -- queries ---------------------------------------------------------------------------------

    def domain_snapshot_get_xml_desc(self, snap: SnapshotRef, flags: int = 0) -> str:
        self._snapshot_check_flags(flags, X.SECURE, self._snapshot_api("DomainSnapshotGetXMLDesc"))
        obj = self._snapshot_domain(snap.domain)
        with obj.lock:
            node = self._snap_node(obj, snap.name)
            doc: SnapshotDoc = node.definition
            return doc.to_xml(parent_name=node.parent_name, secure=bool(flags & X.SECURE))

    def domain_snapshot_num(self, dom: DomainRef, flags: int = 0) -> int:
        obj = self._snapshot_domain(dom)
        return len(self._snapshot_select(obj, flags, None, "DomainSnapshotNum", False))

    def domain_snapshot_list_names(self, dom: DomainRef, flags: int = 0) -> list[str]:
        obj = self._snapshot_domain(dom)
        return [n.name for n in self._snapshot_select(obj, flags, None, "DomainSnapshotListNames", False)]

    def domain_list_all_snapshots(self, dom: DomainRef, flags: int = 0) -> list[SnapshotRef]:
        obj = self._snapshot_domain(dom)
        ref = self._snapshot_owner_ref(obj)
        nodes = self._snapshot_select(obj, flags, None, "DomainListAllSnapshots", False)
        return [SnapshotRef(ref, n.name) for n in nodes]

    def domain_snapshot_num_children(self, snap: SnapshotRef, flags: int = 0) -> int:
        obj = self._snapshot_domain(snap.domain)
        return len(self._snapshot_select(obj, flags, snap.name, "DomainSnapshotNumChildren", True))

    def domain_snapshot_list_children_names(self, snap: SnapshotRef, flags: int = 0) -> list[str]:
        obj = self._snapshot_domain(snap.domain)
        nodes = self._snapshot_select(obj, flags, snap.name, "DomainSnapshotListChildrenNames", True)
        return [n.name for n in nodes]

    def domain_snapshot_list_all_children(self, snap: SnapshotRef, flags: int = 0) -> list[SnapshotRef]:
        obj = self._snapshot_domain(snap.domain)
        ref = self._snapshot_owner_ref(obj)
        nodes = self._snapshot_select(obj, flags, snap.name, "DomainSnapshotListAllChildren", True)
        return [SnapshotRef(ref, n.name) for n in nodes]

    def domain_snapshot_lookup_by_name(self, dom: DomainRef, name: str, flags: int = 0) -> SnapshotRef:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainSnapshotLookupByName"))
        obj = self._snapshot_domain(dom)
        with obj.lock:
            return self._snap_ref(obj, self._snap_node(obj, name).name)

    def domain_has_current_snapshot(self, dom: DomainRef, flags: int = 0) -> bool:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainHasCurrentSnapshot"))
        obj = self._snapshot_domain(dom)
        with obj.lock:
            return snapshot_tree(obj).current is not None

    def domain_snapshot_get_parent(self, snap: SnapshotRef, flags: int = 0) -> SnapshotRef:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainSnapshotGetParent"))
        obj = self._snapshot_domain(snap.domain)
        with obj.lock:
            node = self._snap_node(obj, snap.name)
            if node.parent is None:
                raise self._snapshot_error(ErrorNumber.NO_DOMAIN_SNAPSHOT, f"snapshot '{node.name}' does not have a parent")
            return self._snap_ref(obj, node.parent.name)

    def domain_snapshot_current(self, dom: DomainRef, flags: int = 0) -> SnapshotRef:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainSnapshotCurrent"))
        obj = self._snapshot_domain(dom)
        with obj.lock:
            current = snapshot_tree(obj).current
            if current is None:
                raise self._snapshot_error(ErrorNumber.NO_DOMAIN_SNAPSHOT, "the domain does not have a current snapshot")
            return self._snap_ref(obj, current.name)

    def domain_snapshot_is_current(self, snap: SnapshotRef, flags: int = 0) -> bool:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainSnapshotIsCurrent"))
        obj = self._snapshot_domain(snap.domain)
        with obj.lock:
            return snapshot_tree(obj).current is self._snap_node(obj, snap.name)

    def domain_snapshot_has_metadata(self, snap: SnapshotRef, flags: int = 0) -> bool:
        self._snapshot_check_flags(flags, 0, self._snapshot_api("DomainSnapshotHasMetadata"))
        obj = self._snapshot_domain(snap.domain)
        with obj.lock:
            self._snap_node(obj, snap.name)
            return True

