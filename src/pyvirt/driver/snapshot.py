"""Driver interface for domain snapshots; every method defaults to VIR_ERR_NO_SUPPORT.

One method per libvirt C entry point (``virDomainSnapshotCreateXML`` ->
``domain_snapshot_create_xml``). Snapshots travel as :class:`SnapshotRef` (domain identity
plus snapshot name), flags as the integers of :mod:`pyvirt.enums`, exactly what libvirt's RPC
carries.
"""

from __future__ import annotations

from .refs import DomainRef, SnapshotRef
from .unsupported import unsupported


class SnapshotDriver:
    """Methods for domain snapshots, named after libvirt's C API in snake_case."""

    def domain_snapshot_create_xml(self, dom: DomainRef, xml: str, flags: int = 0) -> SnapshotRef:
        unsupported("virDomainSnapshotCreateXML")

    def domain_snapshot_get_xml_desc(self, snap: SnapshotRef, flags: int = 0) -> str:
        unsupported("virDomainSnapshotGetXMLDesc")

    def domain_snapshot_num(self, dom: DomainRef, flags: int = 0) -> int:
        unsupported("virDomainSnapshotNum")

    def domain_snapshot_list_names(self, dom: DomainRef, flags: int = 0) -> list[str]:
        unsupported("virDomainSnapshotListNames")

    def domain_list_all_snapshots(self, dom: DomainRef, flags: int = 0) -> list[SnapshotRef]:
        unsupported("virDomainListAllSnapshots")

    def domain_snapshot_num_children(self, snap: SnapshotRef, flags: int = 0) -> int:
        unsupported("virDomainSnapshotNumChildren")

    def domain_snapshot_list_children_names(self, snap: SnapshotRef, flags: int = 0) -> list[str]:
        unsupported("virDomainSnapshotListChildrenNames")

    def domain_snapshot_list_all_children(self, snap: SnapshotRef, flags: int = 0) -> list[SnapshotRef]:
        unsupported("virDomainSnapshotListAllChildren")

    def domain_snapshot_lookup_by_name(self, dom: DomainRef, name: str, flags: int = 0) -> SnapshotRef:
        unsupported("virDomainSnapshotLookupByName")

    def domain_has_current_snapshot(self, dom: DomainRef, flags: int = 0) -> bool:
        unsupported("virDomainHasCurrentSnapshot")

    def domain_snapshot_get_parent(self, snap: SnapshotRef, flags: int = 0) -> SnapshotRef:
        unsupported("virDomainSnapshotGetParent")

    def domain_snapshot_current(self, dom: DomainRef, flags: int = 0) -> SnapshotRef:
        unsupported("virDomainSnapshotCurrent")

    def domain_snapshot_is_current(self, snap: SnapshotRef, flags: int = 0) -> bool:
        unsupported("virDomainSnapshotIsCurrent")

    def domain_snapshot_has_metadata(self, snap: SnapshotRef, flags: int = 0) -> bool:
        unsupported("virDomainSnapshotHasMetadata")

    def domain_revert_to_snapshot(self, snap: SnapshotRef, flags: int = 0) -> None:
        unsupported("virDomainRevertToSnapshot")

    def domain_snapshot_delete(self, snap: SnapshotRef, flags: int = 0) -> None:
        unsupported("virDomainSnapshotDelete")


# -- checks libvirt's public layer makes before any driver runs (shared by every driver) --------


def snapshot_error(code: int, detail: str | None = None, *, domain: int | None = None) -> Exception:
    """An error in libvirt's snapshot error domain (VIR_FROM_DOMAIN_SNAPSHOT) unless told."""
    from ..errors import ErrorDomain, virt_error

    return virt_error(code, detail, domain=ErrorDomain.DOMAIN_SNAPSHOT if domain is None else domain)


def message_flags_exclusive(a: str, b: str) -> str:
    return f"Flags '{a}' and '{b}' are mutually exclusive"


def _raw(code: int, text: str) -> Exception:
    from ..errors import ErrorDomain, error_class

    return error_class(code)(text, domain=ErrorDomain.DOMAIN_SNAPSHOT)


# libvirt's flag values as plain ints (these checks run on every call)
_CREATE_REDEFINE, _CREATE_CURRENT, _CREATE_NO_METADATA, _CREATE_HALT = 1, 2, 4, 8
_REVERT_RUNNING, _REVERT_PAUSED = 1, 2
_DELETE_CHILDREN, _DELETE_CHILDREN_ONLY = 1, 4


def check_create_flags(flags: int) -> None:
    """virDomainSnapshotCreateXML's own checks (libvirt-domain-snapshot.c)."""
    from ..errors import ErrorNumber

    pre = "VIR_DOMAIN_SNAPSHOT_CREATE_"
    if flags & _CREATE_CURRENT and not flags & _CREATE_REDEFINE:
        raise _raw(ErrorNumber.INVALID_ARG, f"Flag '{pre}REDEFINE' is required by flag '{pre}CURRENT'")
    if flags & _CREATE_REDEFINE:
        for bit, other in ((_CREATE_NO_METADATA, "NO_METADATA"), (_CREATE_HALT, "HALT")):
            if flags & bit:
                raise _raw(ErrorNumber.INVALID_ARG, message_flags_exclusive(f"{pre}REDEFINE", f"{pre}{other}"))


def check_revert_flags(flags: int) -> None:
    from ..errors import ErrorNumber

    if flags & _REVERT_RUNNING and flags & _REVERT_PAUSED:
        pre = "VIR_DOMAIN_SNAPSHOT_REVERT_"
        raise _raw(ErrorNumber.INVALID_ARG, message_flags_exclusive(f"{pre}RUNNING", f"{pre}PAUSED"))


def check_delete_flags(flags: int) -> None:
    from ..errors import ErrorNumber

    if flags & _DELETE_CHILDREN and flags & _DELETE_CHILDREN_ONLY:
        pre = "VIR_DOMAIN_SNAPSHOT_DELETE_"
        raise _raw(ErrorNumber.INVALID_ARG, message_flags_exclusive(f"{pre}CHILDREN", f"{pre}CHILDREN_ONLY"))
