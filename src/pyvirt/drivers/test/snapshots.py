"""Domain snapshots in the test driver: create, list, look up, revert, delete.

Behaviour, flags and error wording follow libvirt 9.0's test driver, with three deliberate
differences, all taken from libvirt's QEMU driver because applications test against this
driver and then run on QEMU:

* a snapshot of a running persistent domain records the persistent configuration as
  ``<inactiveDomain>`` next to the live ``<domain>``, and revert restores each to its own
  place (libvirt's test driver drops the persistent configuration on revert);
* ``no_metadata``, ``disk_only`` (create) and ``metadata_only`` (delete) are accepted, with
  the QEMU driver's meaning (libvirt's test driver refuses them);
* reverting a shut-off domain to a shut-off snapshot with ``running``/``paused`` really
  starts it (libvirt's test driver only emits the STARTED event and leaves it shut off).

The tree (links, current marker, filters) is :mod:`pyvirt.objects.snapshots`; the snapshot
document each snapshot keeps is :class:`pyvirt.objects.snapshots.SnapshotDoc`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...driver.refs import DomainRef, SnapshotRef
from ...driver.snapshot import (
    check_create_flags,
    check_delete_flags,
    check_revert_flags,
    snapshot_error,
)
from ...enums import (
    DomainEventStartedDetail,
    DomainEventStoppedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainSnapshotCreateFlags,
    DomainSnapshotDeleteFlags,
    DomainSnapshotRevertFlags,
    DomainState,
)
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ...objects.snapshot_queries import SnapshotQueries
from ...objects.snapshots import SnapshotDoc, SnapshotNode, SnapshotTree, int_flags
from .state import check_flags, raise_no_domain_uuid, test_error

if TYPE_CHECKING:
    from lxml import etree

    from ...objects.domain import DomainObject
    from .state import TestState

__all__ = ["TestSnapshots", "init_domain", "load_domain_snapshots"]

# plain-int views of the flag enums: IntFlag arithmetic costs microseconds per operation
C = int_flags(DomainSnapshotCreateFlags)
D = int_flags(DomainSnapshotDeleteFlags)
R = int_flags(DomainSnapshotRevertFlags)

_CREATE_ALLOWED = (
    C.REDEFINE | C.CURRENT | C.NO_METADATA | C.HALT | C.DISK_ONLY | C.QUIESCE | C.ATOMIC | C.LIVE
    | C.VALIDATE
)
_RUNNING_STATES = ("running", "paused")


# -- state hooks (called by TestState) ---------------------------------------------------------


def init_domain(state: TestState, obj: DomainObject) -> None:
    """Every domain object gets an empty snapshot tree."""
    obj.snapshots = SnapshotTree()


def load_domain_snapshots(
    state: TestState, obj: DomainObject, elements: list[etree._Element], base_dir: str
) -> None:
    """Predefined ``<test:domainsnapshot>`` elements of one domain from a node file.

    As libvirt: each is parsed as a redefinition with its internal fields (``<active>``
    marks the current one, and is required: internal metadata always records it); then
    parent links are resolved all at once.
    """
    tree = _tree(obj)
    parents: dict[str, str | None] = {}
    for el in elements:
        doc, is_current = SnapshotDoc.parse_element(el, redefine=True, internal=True)
        if not any(_local_name(child) == "active" for child in el if isinstance(child.tag, str)):
            raise virt_error(ErrorNumber.INTERNAL_ERROR, "Could not find 'active' element",
                             domain=ErrorDomain.DOMAIN_SNAPSHOT)
        node = tree.add(doc.name, doc, state=doc.state, external=doc.is_external())
        parents[doc.name] = doc.parent_name
        if is_current:
            if tree.current is not None:
                raise test_error(ErrorNumber.INTERNAL_ERROR, "more than one snapshot claims to be active")
            tree.current = node
    try:
        tree.relink_all(parents)
    except Exception:
        raise test_error(
            ErrorNumber.INTERNAL_ERROR,
            f"Snapshots have inconsistent relations for domain {obj.name}",
        ) from None


def _local_name(el: Any) -> str:
    tag: str = el.tag
    return tag.rsplit("}", 1)[-1]


def _tree(obj: DomainObject) -> SnapshotTree:
    tree = getattr(obj, "snapshots", None)
    if tree is None:
        tree = obj.snapshots = SnapshotTree()
    return tree  # type: ignore[no-any-return]


def _domain_ref(obj: DomainObject) -> DomainRef:
    return DomainRef(obj.name, obj.uuid, obj.id)


class TestSnapshots(SnapshotQueries):
    """The snapshot half of the test driver (mixed into its driver class).

    The host class provides ``_state`` (the :class:`TestState`); read-only connections are
    refused by the public layer before a call gets here, as in libvirt.
    """

    _state: TestState

    # -- helpers ---------------------------------------------------------------------------------
    def _snap_vm(self, dom: DomainRef) -> DomainObject:
        obj = self._state.domains.by_uuid(dom.uuid)
        if obj is None:
            raise raise_no_domain_uuid(dom.uuid, dom.name)
        return obj

    def _snap_job(self, dom: DomainRef, name: str) -> _SnapJob:
        """The domain inside a job; fails as libvirt does if it vanished while we waited."""
        return _SnapJob(self, dom, name)

    # hooks of SnapshotQueries (look-ups, listings: pyvirt.objects.snapshot_queries)
    _snapshot_api_prefix = "test"
    _snapshot_check_flags = staticmethod(check_flags)
    _snapshot_error = staticmethod(test_error)
    _snapshot_owner_ref = staticmethod(_domain_ref)

    def _snapshot_domain(self, dom: DomainRef) -> DomainObject:
        return self._snap_vm(dom)

    def _emit_lifecycle(self, obj: DomainObject, event: int, detail: int) -> None:
        from ...events import DomainLifecycleEvent

        self._state.events.emit(DomainLifecycleEvent(_domain_ref(obj), DomainEventType(event), int(detail)))

    # -- create ----------------------------------------------------------------------------------
    def domain_snapshot_create_xml(self, dom: DomainRef, xml: str, flags: int = 0) -> SnapshotRef:
        check_create_flags(flags)
        check_flags(flags, _CREATE_ALLOWED, "testDomainSnapshotCreateXML")
        redefine = bool(flags & C.REDEFINE)
        obj = self._snap_vm(dom)
        if not obj.persistent and flags & C.HALT:
            raise test_error(ErrorNumber.OPERATION_INVALID, "cannot halt after transient domain snapshot")
        doc = SnapshotDoc.parse(xml, redefine=redefine, validate=bool(flags & C.VALIDATE))
        events: list[tuple[int, int]] = []
        with self._snap_job(dom, "snapshot") as obj:
            with obj.lock:
                tree = _tree(obj)
                if redefine:
                    node = self._redefine(obj, tree, doc, flags)
                    if flags & C.CURRENT:
                        tree.current = node
                    name = node.name
                else:
                    if doc.name in tree:
                        raise snapshot_error(
                            ErrorNumber.OPERATION_FAILED, f"domain moment {doc.name} already exists",
                            domain=ErrorDomain.DOMAIN,
                        )
                    doc.capture(obj.definition, obj.new_definition, obj.state, obj.is_active(),
                                disk_only=bool(flags & C.DISK_ONLY))
                    doc.parent_name = tree.current_name
                    name = doc.name
                    if not flags & C.NO_METADATA:
                        node = tree.add(name, doc, parent_name=doc.parent_name, state=doc.state,
                                        external=doc.is_external())
                        tree.current = node
                    if flags & C.HALT and obj.is_active():
                        _stop(obj, DomainShutoffReason.FROM_SNAPSHOT)
                        events.append((DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT))
                ref = self._snap_ref(obj, name)
        for ev in events:
            self._emit_lifecycle(obj, *ev)
        return ref

    def _redefine(self, obj: DomainObject, tree: SnapshotTree, doc: SnapshotDoc, flags: int) -> SnapshotNode:
        """libvirt's virDomainSnapshotRedefinePrep: validate, then add or replace."""
        tree.check_parent(doc.name, doc.parent_name)
        if flags & C.DISK_ONLY and doc.state != "disk-snapshot":
            raise snapshot_error(
                ErrorNumber.INVALID_ARG, f"disk-only flag for snapshot {doc.name} requires disk-snapshot state"
            )
        if doc.domain_uuid is not None and doc.domain_uuid != obj.uuid:
            raise snapshot_error(
                ErrorNumber.INVALID_ARG, f"definition for snapshot {doc.name} must use uuid {obj.uuid}"
            )
        other = tree.get(doc.name)
        if other is not None:
            old: SnapshotDoc = other.definition
            if (old.state in _RUNNING_STATES) != (doc.state in _RUNNING_STATES):
                raise snapshot_error(
                    ErrorNumber.INVALID_ARG,
                    f"cannot change between online and offline snapshot state in snapshot {doc.name}",
                )
            if (old.state == "disk-snapshot") != (doc.state == "disk-snapshot"):
                raise snapshot_error(
                    ErrorNumber.INVALID_ARG,
                    f"cannot change between disk only and full system in snapshot {doc.name}",
                )
            if doc.domain is None and old.domain is not None:
                doc.domain = old.domain
                doc.inactive_domain = doc.inactive_domain or old.inactive_domain
        if doc.domain is None:
            raise snapshot_error(ErrorNumber.INTERNAL_ERROR, "missing domain in snapshot")
        doc.align_disks("external" if doc.is_external() else "internal", require_match=False)
        if other is not None:
            tree.replace(other, doc, state=doc.state, external=doc.is_external())
            tree.set_parent(other, doc.parent_name)
            return other
        return tree.add(doc.name, doc, parent_name=doc.parent_name, state=doc.state, external=doc.is_external())

    # -- delete ----------------------------------------------------------------------------------
    def domain_snapshot_delete(self, snap: SnapshotRef, flags: int = 0) -> None:
        check_delete_flags(flags)
        check_flags(flags, D.CHILDREN | D.CHILDREN_ONLY | D.METADATA_ONLY, "testDomainSnapshotDelete")
        with self._snap_job(snap.domain, "snapshot-delete") as obj:
            with obj.lock:
                tree = _tree(obj)
                node = self._snap_node(obj, snap.name)
                if flags & (D.CHILDREN | D.CHILDREN_ONLY):
                    tree.remove_descendants(node)
                if not flags & D.CHILDREN_ONLY:
                    tree.remove(node)

    # -- revert ----------------------------------------------------------------------------------
    def domain_revert_to_snapshot(self, snap: SnapshotRef, flags: int = 0) -> None:
        """Put the domain back as the snapshot recorded it.

        The run-state transitions and their events are libvirt's (inactive/running/paused to
        inactive/running/paused); the definitions follow libvirt's QEMU driver: the live one
        from ``<domain>``, the persistent one from ``<inactiveDomain>``, or, for a snapshot
        without it, from ``<domain>`` too.
        """
        check_revert_flags(flags)
        check_flags(flags, R.RUNNING | R.PAUSED | R.FORCE, "testDomainRevertToSnapshot")
        events: list[tuple[int, int]] = []
        with self._snap_job(snap.domain, "snapshot-revert") as obj:
            with obj.lock:
                tree = _tree(obj)
                node = self._snap_node(obj, snap.name)
                doc: SnapshotDoc = node.definition
                online = doc.state in _RUNNING_STATES
                want_run = bool(flags & (R.RUNNING | R.PAUSED))
                if not obj.persistent and not online and not want_run:
                    raise test_error(
                        ErrorNumber.OPERATION_INVALID,
                        "transient domain needs to request run or pause to revert to inactive snapshot",
                    )
                if not flags & R.FORCE:
                    if doc.domain is None:
                        raise test_error(
                            ErrorNumber.SNAPSHOT_REVERT_RISKY,
                            f"snapshot '{doc.name}' lacks domain '{obj.name}' rollback info",
                        )
                if doc.domain is None:
                    raise test_error(
                        ErrorNumber.SNAPSHOT_REVERT_RISKY,
                        f"snapshot '{doc.name}' lacks domain '{obj.name}' rollback info",
                    )
                tree.current = None
                live = doc.domain.copy()
                if doc.inactive_domain is not None:
                    persistent = doc.inactive_domain.copy()
                elif online:
                    persistent = doc.domain.copy()
                else:
                    persistent = None  # an offline snapshot's <domain> is the configuration
                if online:
                    self._revert_online(obj, doc, live, persistent, flags, events)
                else:
                    self._revert_offline(obj, live, flags, events)
                tree.current = node
        for ev in events:
            self._emit_lifecycle(obj, *ev)

    def _revert_online(
        self, obj: DomainObject, doc: SnapshotDoc, live: Any, persistent: Any, flags: int,
        events: list[tuple[int, int]],
    ) -> None:
        """Revert to a running or paused snapshot.

        As libvirt 9.0's test driver does, a running guest is respawned: it stops (STOPPED
        FROM_SNAPSHOT) and starts again from the snapshot with a new id (STARTED
        FROM_SNAPSHOT), then pauses (SUSPENDED FROM_SNAPSHOT) when the snapshot was paused
        or ``paused`` was asked for, unless ``running`` was.
        """
        if obj.is_active():
            _stop(obj, DomainShutoffReason.FROM_SNAPSHOT)
            events.append((DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT))
        obj.definition = live
        # the persistent configuration: <inactiveDomain>, else <domain> (libvirt's QEMU rule);
        # set before the start so that the start keeps it instead of copying the live one
        obj.new_definition = persistent if obj.persistent else None
        self._start_from_snapshot(obj)
        events.append((DomainEventType.STARTED, DomainEventStartedDetail.FROM_SNAPSHOT))
        if not flags & R.RUNNING and (doc.state == "paused" or flags & R.PAUSED):
            obj.set_state(DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)
            events.append((DomainEventType.SUSPENDED, DomainEventSuspendedDetail.FROM_SNAPSHOT))

    def _revert_offline(self, obj: DomainObject, live: Any, flags: int, events: list[tuple[int, int]]) -> None:
        if obj.is_active():
            _stop(obj, DomainShutoffReason.FROM_SNAPSHOT)
            events.append((DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT))
        obj.definition = live
        obj.new_definition = None
        if flags & (R.RUNNING | R.PAUSED):
            self._start_from_snapshot(obj)
            events.append((DomainEventType.STARTED, DomainEventStartedDetail.FROM_SNAPSHOT))
            if flags & R.PAUSED:
                obj.set_state(DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)
                events.append((DomainEventType.SUSPENDED, DomainEventSuspendedDetail.FROM_SNAPSHOT))

    def _start_from_snapshot(self, obj: DomainObject) -> None:
        """libvirt's testDomainStartState with reason FROM_SNAPSHOT."""
        obj.set_state(DomainState.RUNNING, DomainRunningReason.FROM_SNAPSHOT)
        obj.id = self._state.domains.allocate_id()
        obj.prepare_live_change()
        obj.has_managed_save = False


class _SnapJob:
    """``with``: look the domain up, begin a job on it, check it is still listed."""

    __slots__ = ("_driver", "_dom", "_name", "_obj", "_job")

    def __init__(self, driver: TestSnapshots, dom: DomainRef, name: str) -> None:
        self._driver = driver
        self._dom = dom
        self._name = name

    def __enter__(self) -> DomainObject:
        obj = self._driver._snap_vm(self._dom)
        self._job = obj.job(self._name)
        self._job.__enter__()
        if self._driver._state.domains.by_uuid(self._dom.uuid) is not obj:
            self._job.__exit__(None, None, None)
            raise raise_no_domain_uuid(self._dom.uuid, self._dom.name)
        self._obj = obj
        return obj

    def __exit__(self, *exc: object) -> None:
        self._job.__exit__(None, None, None)


def _stop(obj: DomainObject, reason: int) -> None:
    """libvirt's testDomainShutdownState: the persistent config becomes the definition."""
    obj.finish_stop()
    obj.set_state(DomainState.SHUTOFF, reason)

