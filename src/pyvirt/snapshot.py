"""Public API for domain snapshots: the ``DomainSnapshot`` object and the methods ``Domain`` gains.

Keyword arguments stand for libvirt's flag bits (``halt=True`` is
``VIR_DOMAIN_SNAPSHOT_CREATE_HALT``); every call also accepts ``flags=`` with raw bits for
anything newer than this module. Each call is one driver call, so the behaviour and the
errors are whatever the connection's driver (local or remote) reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from ._core import xmlcore
from .driver.refs import DomainRef, SnapshotRef
from .enums import (
    DomainSnapshotCreateFlags as _C,
)
from .enums import (
    DomainSnapshotDeleteFlags as _D,
)
from .enums import (
    DomainSnapshotListFlags as _L,
)
from .enums import (
    DomainSnapshotRevertFlags as _R,
)
from .enums import (
    DomainSnapshotXMLFlags as _X,
)

if TYPE_CHECKING:
    from .domain import Domain

__all__ = ["DomainSnapshot", "DomainSnapshotAPI", "snapshot_list_flags"]


def _bits(table: dict[int, bool]) -> int:
    value = 0
    for bit, on in table.items():
        if on:
            value |= bit
    return int(value)


def snapshot_list_flags(
    *,
    leaves: bool | None = None,
    metadata: bool | None = None,
    active: bool = False,
    inactive: bool = False,
    disk_only: bool = False,
    internal: bool = False,
    external: bool = False,
    topological: bool = False,
) -> int:
    """The libvirt list-filter bits for the keyword filters shared by every listing call.

    ``leaves=True`` keeps only snapshots without children, ``False`` only those with;
    ``metadata`` likewise; ``active``/``inactive``/``disk_only`` select by the state the
    domain was in (any combination; none means all); ``internal``/``external`` by location.
    """
    return _bits(
        {
            _L.LEAVES: leaves is True,
            _L.NO_LEAVES: leaves is False,
            _L.METADATA: metadata is True,
            _L.NO_METADATA: metadata is False,
            _L.ACTIVE: active,
            _L.INACTIVE: inactive,
            _L.DISK_ONLY: disk_only,
            _L.INTERNAL: internal,
            _L.EXTERNAL: external,
            _L.TOPOLOGICAL: topological,
        }
    )


def _snapshot_xml(name: str | None, description: str | None) -> str:
    if name is None and description is None:
        return "<domainsnapshot/>"
    root = etree.Element("domainsnapshot")
    if name is not None:
        etree.SubElement(root, "name").text = name
    if description is not None:
        etree.SubElement(root, "description").text = description
    return xmlcore.format(root)


def _check_writable(domain: Any, api: str) -> None:
    """Read-only connections refuse snapshot changes (libvirt's snapshot error domain)."""
    from .errors import ErrorDomain

    conn = getattr(domain, "_conn", None)
    check = getattr(conn, "_check_writable", None)
    if check is not None:
        check(api, ErrorDomain.DOMAIN_SNAPSHOT)


class DomainSnapshot:
    """One snapshot of a domain (libvirt's virDomainSnapshot): a handle, not a copy.

    It holds the domain and the snapshot's name; every method asks the driver, so a handle
    to a deleted snapshot fails with ``NoDomainSnapshotError`` as in libvirt.
    """

    __slots__ = ("_domain", "_ref")

    def __init__(self, domain: Domain, ref: SnapshotRef) -> None:
        self._domain = domain
        self._ref = ref

    # identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def domain(self) -> Domain:
        return self._domain

    @property
    def ref(self) -> SnapshotRef:
        """The identity the driver deals in (domain identity plus name)."""
        return self._ref

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DomainSnapshot)
            and other._ref.name == self._ref.name
            and other._ref.domain.uuid == self._ref.domain.uuid
        )

    def __hash__(self) -> int:
        return hash((self._ref.domain.uuid, self._ref.name))

    def __repr__(self) -> str:
        return f"<DomainSnapshot {self._ref.name!r} of {self._ref.domain.name!r}>"

    @property
    def _driver(self) -> Any:
        return self._domain._driver

    def _writable(self, api: str) -> None:
        _check_writable(self._domain, api)

    def _wrap(self, ref: SnapshotRef) -> DomainSnapshot:
        return DomainSnapshot(self._domain, ref)

    # queries ----------------------------------------------------------------------------
    def xml(self, *, secure: bool = False, flags: int = 0) -> str:
        """The snapshot's XML in libvirt's format (``secure`` includes secrets, which a
        read-only connection may not see)."""
        f = flags | _bits({_X.SECURE: secure})
        if f & _X.SECURE and getattr(self._domain._conn, "readonly", False):
            from .errors import ErrorDomain, ErrorNumber, virt_error

            raise virt_error(ErrorNumber.OPERATION_DENIED, "virDomainSnapshotGetXMLDesc with secure flag",
                             domain=ErrorDomain.DOMAIN_SNAPSHOT)
        return self._driver.domain_snapshot_get_xml_desc(self._ref, f)

    def parent(self) -> DomainSnapshot:
        """The parent snapshot; a root raises ``NoDomainSnapshotError`` as libvirt does."""
        return self._wrap(self._driver.domain_snapshot_get_parent(self._ref, 0))

    def children(self, *, descendants: bool = False, flags: int = 0, **filters: Any) -> list[DomainSnapshot]:
        """Direct children (or all descendants), filtered like :meth:`Domain.snapshots`."""
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.DESCENDANTS: descendants})
        return [self._wrap(r) for r in self._driver.domain_snapshot_list_all_children(self._ref, bits)]

    def children_names(self, *, descendants: bool = False, flags: int = 0, **filters: Any) -> list[str]:
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.DESCENDANTS: descendants})
        return list(self._driver.domain_snapshot_list_children_names(self._ref, bits))

    def num_children(self, *, descendants: bool = False, flags: int = 0, **filters: Any) -> int:
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.DESCENDANTS: descendants})
        return int(self._driver.domain_snapshot_num_children(self._ref, bits))

    def is_current(self) -> bool:
        return bool(self._driver.domain_snapshot_is_current(self._ref, 0))

    def has_metadata(self) -> bool:
        return bool(self._driver.domain_snapshot_has_metadata(self._ref, 0))

    # changes ----------------------------------------------------------------------------
    def revert(
        self,
        *,
        running: bool = False,
        paused: bool = False,
        force: bool = False,
        reset_nvram: bool = False,
        flags: int = 0,
    ) -> None:
        """Put the domain back to this snapshot (libvirt's virDomainRevertToSnapshot).

        ``running``/``paused`` override the run state recorded in the snapshot; ``force``
        accepts risky reverts (respawning the guest, an incompatible definition).
        """
        self._writable("virDomainRevertToSnapshot")
        bits = flags | _bits({_R.RUNNING: running, _R.PAUSED: paused, _R.FORCE: force, _R.RESET_NVRAM: reset_nvram})
        self._driver.domain_revert_to_snapshot(self._ref, bits)

    def delete(
        self,
        *,
        children: bool = False,
        children_only: bool = False,
        metadata_only: bool = False,
        flags: int = 0,
    ) -> None:
        """Delete this snapshot, or its descendants too (``children``), or only them
        (``children_only``); ``metadata_only`` forgets the snapshot without touching data.
        Children of a deleted snapshot move up to its parent; so does the current marker.
        """
        self._writable("virDomainSnapshotDelete")
        bits = flags | _bits({_D.CHILDREN: children, _D.CHILDREN_ONLY: children_only, _D.METADATA_ONLY: metadata_only})
        self._driver.domain_snapshot_delete(self._ref, bits)


class DomainSnapshotAPI:
    """Methods mixed into ``Domain`` for its snapshots.

    The host class provides ``_driver`` (the connection's driver) and ``ref``/``_ref``
    (the domain's :class:`DomainRef`).
    """

    __slots__ = ()

    _driver: Any

    def _snapshot_domain_ref(self) -> DomainRef:
        return self._ref  # type: ignore[attr-defined, no-any-return]

    def create_snapshot(
        self,
        xml: str | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        redefine: bool = False,
        current: bool = False,
        no_metadata: bool = False,
        halt: bool = False,
        disk_only: bool = False,
        reuse_ext: bool = False,
        quiesce: bool = False,
        atomic: bool = False,
        live: bool = False,
        validate: bool = False,
        flags: int = 0,
    ) -> DomainSnapshot:
        """Take a snapshot (libvirt's virDomainSnapshotCreateXML).

        Without ``xml`` a ``<domainsnapshot>`` is built from ``name``/``description``
        (libvirt names an unnamed snapshot after its creation time). ``redefine`` restores
        saved snapshot metadata instead of taking a new one (with ``current`` it also becomes
        the current snapshot); ``halt`` stops the domain afterwards; ``disk_only`` takes
        disks only; ``no_metadata`` takes it without keeping it in the snapshot list.
        """
        _check_writable(self, "virDomainSnapshotCreateXML")
        if xml is None:
            xml = _snapshot_xml(name, description)
        elif name is not None or description is not None:
            from .errors import ErrorNumber, virt_error

            raise virt_error(ErrorNumber.INVALID_ARG, "give either xml or name/description, not both")
        bits = flags | _bits(
            {
                _C.REDEFINE: redefine,
                _C.CURRENT: current,
                _C.NO_METADATA: no_metadata,
                _C.HALT: halt,
                _C.DISK_ONLY: disk_only,
                _C.REUSE_EXT: reuse_ext,
                _C.QUIESCE: quiesce,
                _C.ATOMIC: atomic,
                _C.LIVE: live,
                _C.VALIDATE: validate,
            }
        )
        ref = self._driver.domain_snapshot_create_xml(self._snapshot_domain_ref(), xml, bits)
        return DomainSnapshot(self, ref)  # type: ignore[arg-type]

    def snapshots(self, *, roots: bool = False, flags: int = 0, **filters: Any) -> list[DomainSnapshot]:
        """The domain's snapshots (libvirt's virDomainListAllSnapshots).

        ``roots`` keeps only snapshots without a parent; ``topological=True`` puts every
        parent before its children; other filters: see :func:`snapshot_list_flags`.
        """
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.ROOTS: roots})
        refs = self._driver.domain_list_all_snapshots(self._snapshot_domain_ref(), bits)
        return [DomainSnapshot(self, r) for r in refs]  # type: ignore[arg-type]

    def snapshot_names(self, *, roots: bool = False, flags: int = 0, **filters: Any) -> list[str]:
        """Names only (libvirt's virDomainSnapshotListNames)."""
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.ROOTS: roots})
        return list(self._driver.domain_snapshot_list_names(self._snapshot_domain_ref(), bits))

    def snapshot_count(self, *, roots: bool = False, flags: int = 0, **filters: Any) -> int:
        """How many snapshots match (libvirt's virDomainSnapshotNum)."""
        bits = flags | snapshot_list_flags(**filters) | _bits({_L.ROOTS: roots})
        return int(self._driver.domain_snapshot_num(self._snapshot_domain_ref(), bits))

    def lookup_snapshot(self, name: str) -> DomainSnapshot:
        """The snapshot called ``name``; ``NoDomainSnapshotError`` when there is none."""
        ref = self._driver.domain_snapshot_lookup_by_name(self._snapshot_domain_ref(), name, 0)
        return DomainSnapshot(self, ref)  # type: ignore[arg-type]

    def current_snapshot(self) -> DomainSnapshot:
        """The current snapshot (the one the next snapshot will be a child of)."""
        ref = self._driver.domain_snapshot_current(self._snapshot_domain_ref(), 0)
        return DomainSnapshot(self, ref)  # type: ignore[arg-type]

    def has_current_snapshot(self) -> bool:
        return bool(self._driver.domain_has_current_snapshot(self._snapshot_domain_ref(), 0))
