"""libvirt's domain snapshot format (``<domainsnapshot>``), as libvirt 9.0 parses and writes it.

A snapshot document is written by two kinds of people: a user asking for a new snapshot (only
name, description, memory and disks count; libvirt fills in the name and creation time and
the driver fills in the state and the domain), and a management tool *redefining* snapshot
metadata it saved earlier (``redefine=True``: state, parent, creation time and the embedded
``<domain>``/``<inactiveDomain>`` are then taken from the document and required).

The embedded domains are adopted as :class:`~pyvirt.conf.domain.DomainDef` models, so a
revert can restore them (``<domain>`` is the definition that ran, ``<inactiveDomain>`` the
persistent one of a running persistent domain). ``<cookie>`` is driver-private and kept as is.

The parse rules run in the compiled core (:mod:`pyvirt._core.snapshot_rules`); this module holds
the shapes (the formatter's order), the Python API over the tree and the alignment of a
snapshot's disks with its domain.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from lxml import etree

from .._core.shape import order
from .._core.snapshot_rules import SNAPSHOT_LOCATIONS, SNAPSHOT_STATES, snapshot_post_parse
from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from ..errors import ErrorDomain, ErrorNumber, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize, compiled, leaf
from .base import Attr, ChildList, ChildText, XMLDef, XMLView

__all__ = ["SnapshotDef", "SnapshotDisk", "SNAPSHOT_STATES", "SNAPSHOT_LOCATIONS", "align_disks"]

_E = ErrorDomain.DOMAIN_SNAPSHOT

_DRIVER = Shape(
    attrs={"type": None},
    children=(("metadata_cache", Shape(children=(("max_size", Shape(attrs={"unit": None}, keep_text=True)),))),),
)
_DISK = Shape(
    attrs={"name": None, "snapshot": None, "type": None},
    children=(("driver", _DRIVER), ("source", VERBATIM)),
)
SNAPSHOT_SHAPE = Shape(
    children=(
        ("name", TEXT),
        ("description", Shape(keep_text=True)),
        ("state", TEXT),
        ("parent", Shape(children=(("name", TEXT),))),
        ("creationTime", TEXT),
        ("memory", leaf("snapshot", "file")),
        ("disks", Shape(children=(("disk", _DISK),))),
        ("domain", VERBATIM),
        ("inactiveDomain", VERBATIM),
        ("cookie", VERBATIM),
        ("active", TEXT),
    )
)
#: the core's tables of the shapes (the parse rules run the canonical walk with them)
_SNAPSHOT_TABLES = compiled(SNAPSHOT_SHAPE)
_DISK_TABLES = compiled(_DISK)


class SnapshotDisk(XMLView):
    """One ``<disk>`` of a snapshot: what happens to that disk and where its overlay goes."""

    TAG = "disk"
    __slots__ = ()
    name = Attr[str]("name")
    snapshot = Attr[str]("snapshot")
    type = Attr[str]("type")

    @property
    def source_file(self) -> str | None:
        src = _child(self._el, "source")
        if src is None:
            return None
        return src.get("file") or src.get("dev") or src.get("dir") or src.get("name")

    @source_file.setter
    def source_file(self, path: str | None) -> None:
        src = _child(self._el, "source")
        if path is None:
            if src is not None:
                self._el.remove(src)
            return
        if src is None:
            src = etree.SubElement(self._el, "source")
        src.attrib.clear()
        src.set("dev" if self.type == "block" else "file", path)
        if self.type is None:
            self.type = "file"

    @property
    def driver_type(self) -> str | None:
        drv = _child(self._el, "driver")
        return None if drv is None else drv.get("type")

    @driver_type.setter
    def driver_type(self, fmt: str | None) -> None:
        drv = _child(self._el, "driver")
        if fmt is None:
            if drv is not None:
                self._el.remove(drv)
            return
        if drv is None:
            drv = etree.Element("driver")
            self._el.insert(0, drv)
        drv.set("type", fmt)


class SnapshotDef(XMLDef):
    """A domain snapshot definition (libvirt's ``<domainsnapshot>``).

    ``from_xml(text, redefine=False, internal=False, creation_time=None)``: ``redefine``
    parses saved metadata (libvirt's REDEFINE flag); ``internal`` reads and writes the
    ``<active>`` current-snapshot marker of libvirt's on-disk metadata; ``creation_time``
    overrides "now" for a new snapshot.
    """

    TAG = "domainsnapshot"
    SOURCE = "domain_snapshot"
    ERROR_DOMAIN = ErrorDomain.DOMAIN_SNAPSHOT
    __slots__ = ()

    name = ChildText[str]("name")
    description = ChildText[str]("description")
    state = ChildText[str]("state")
    creation_time = ChildText[int]("creationTime", int)
    disks = ChildList(SnapshotDisk, "disks/disk")

    # -- simple fields ---------------------------------------------------------------------

    @property
    def parent(self) -> str | None:
        """Name of the parent snapshot (``<parent><name>``)."""
        return self._el.findtext("parent/name")

    @parent.setter
    def parent(self, value: str | None) -> None:
        el = _child(self._el, "parent")
        if value is None:
            if el is not None:
                self._el.remove(el)
            return
        if el is None:
            el = etree.SubElement(self._el, "parent")
        name = _child(el, "name")
        if name is None:
            name = etree.SubElement(el, "name")
        name.text = value
        canonicalize(self._el, SNAPSHOT_SHAPE)

    @property
    def memory(self) -> str | None:
        """The memory snapshot mode (``no``/``internal``/``external``/``manual``)."""
        el = _child(self._el, "memory")
        return None if el is None else el.get("snapshot")

    @memory.setter
    def memory(self, mode: str | None) -> None:
        self._set_memory(mode, self.memory_file)

    @property
    def memory_file(self) -> str | None:
        el = _child(self._el, "memory")
        return None if el is None else el.get("file")

    @memory_file.setter
    def memory_file(self, path: str | None) -> None:
        self._set_memory(self.memory or ("external" if path else None), path)

    def _set_memory(self, mode: str | None, path: str | None) -> None:
        el = _child(self._el, "memory")
        if mode is None and path is None:
            if el is not None:
                self._el.remove(el)
            return
        if el is None:
            el = etree.SubElement(self._el, "memory")
        el.attrib.clear()
        if mode:
            el.set("snapshot", mode)
        if path:
            el.set("file", path)
        canonicalize(self._el, SNAPSHOT_SHAPE)

    @property
    def current(self) -> bool:
        """libvirt's ``<active>`` marker (the current snapshot), kept in internal metadata."""
        return self._el.findtext("active") == "1"

    @current.setter
    def current(self, value: bool) -> None:
        el = _child(self._el, "active")
        if el is None:
            el = etree.SubElement(self._el, "active")
        el.text = "1" if value else "0"

    # -- embedded domains --------------------------------------------------------------------

    def _domain(self, tag: str) -> Any:
        el = self._el.find(tag)
        if el is None:
            return None
        return _domain_view(el)

    @property
    def domain(self) -> Any:
        """The definition the domain ran with (a DomainDef view), or None."""
        return self._domain("domain")

    @domain.setter
    def domain(self, dom: Any) -> None:
        self._set_domain("domain", dom)

    @property
    def inactive_domain(self) -> Any:
        """For a running persistent domain: its persistent definition, or None."""
        return self._domain("inactiveDomain")

    @inactive_domain.setter
    def inactive_domain(self, dom: Any) -> None:
        self._set_domain("inactiveDomain", dom)

    def _set_domain(self, tag: str, dom: Any) -> None:
        old = self._el.find(tag)
        if old is not None:
            self._el.remove(old)
        if dom is None:
            return
        # the snapshot keeps its own picture of the domain: a model is written out as its
        # XML (what the domain formatter shows), an element is copied
        if isinstance(dom, etree._Element):
            element = copy.deepcopy(dom)
        else:
            element = etree.fromstring(dom.to_xml().encode())
        element.tag = tag
        self._el.append(element)
        canonicalize(self._el, SNAPSHOT_SHAPE)

    @property
    def domain_uuid(self) -> str | None:
        return self._el.findtext("domain/uuid")

    def to_xml(self, *, internal: bool | None = None, domain_uuid: str | None = None) -> str:  # type: ignore[override]
        """Write the document; ``internal`` keeps ``<active>``; ``domain_uuid`` writes a bare
        ``<domain><uuid>`` when no domain is embedded (as libvirt does for its listing)."""
        el = self._el
        order(el, _SNAPSHOT_TABLES)  # fields set through attributes land in libvirt's order
        # a disk with neither file nor format is written without its (remembered) type
        hidden = [] if _child(el, "disks") is None else [
            (d, d.attrib.pop("type")) for d in el.iterfind("disks/disk")
            if d.get("type") is not None and _child(d, "source") is None and _child(d, "driver") is None
        ]
        extra: list[etree._Element] = []
        active = _child(el, "active")
        if internal is False and active is not None:
            el.remove(active)
            extra.append(active)
        stub = None
        if domain_uuid is not None and _child(el, "domain") is None:
            stub = etree.Element("domain")
            etree.SubElement(stub, "uuid").text = domain_uuid
            anchor = _child(el, "inactiveDomain")
            if anchor is None:
                anchor = _child(el, "cookie")
            if anchor is None:
                anchor = _child(el, "active")
            if anchor is not None:
                anchor.addprevious(stub)
            else:
                el.append(stub)
        try:
            return super().to_xml()
        finally:
            for disk, dtype in hidden:
                disk.set("type", dtype)
            if stub is not None:
                el.remove(stub)
            for item in extra:
                el.append(item)

    def align_disks(self, default_snapshot: str = "internal", *, domain: Any = None) -> None:
        """Complete the disk list against the domain (see :func:`align_disks`)."""
        element = domain.element if isinstance(domain, XMLView) else domain
        align_disks(self, default_snapshot, domain=element)

    # -- pipeline ----------------------------------------------------------------------------

    def _post_parse(
        self,
        *,
        redefine: bool = False,
        internal: bool = False,
        creation_time: int | None = None,
        state: str | None = None,
        offline: bool = False,
        **options: Any,
    ) -> None:
        """libvirt's snapshot parse, run by the compiled core (pyvirt._core.snapshot_rules)."""
        snapshot_post_parse(
            self._el, _SNAPSHOT_TABLES, _DISK_TABLES, _adopt_domain,
            redefine, internal, creation_time, state, offline,
        )


def _adopt_domain(dom: etree._Element) -> None:
    """Run an embedded domain through the domain model's parse (inactive, no validate)."""
    if dom.get("type") is None:
        # older metadata holds only <domain><uuid>: libvirt keeps no domain then
        return
    try:
        from .domain import DomainDef
    except ImportError:  # domain model not available: keep the subtree as written
        return
    tag = dom.tag
    dom.tag = "domain"
    try:
        DomainDef.from_element(dom)
    finally:
        dom.tag = tag


def _disk_target(disk: etree._Element) -> str:
    target = _child(disk, "target")
    return "" if target is None else target.get("dev", "")


def _disk_source_path(disk: etree._Element) -> str | None:
    src = _child(disk, "source")
    if src is None:
        return None
    return src.get("file") or src.get("dev") or src.get("dir")


def _find_domain_disk(disks: list[etree._Element], name: str) -> int | None:
    """libvirt's virDomainDiskByName: a target name, or a source path."""
    for index, disk in enumerate(disks):
        if _disk_target(disk) == name:
            return index
    for index, disk in enumerate(disks):
        if _disk_source_path(disk) == name:
            return index
    return None


def align_disks(
    snap: SnapshotDef,
    default_snapshot: str = "internal",
    *,
    domain: etree._Element | None = None,
) -> None:
    """Complete ``snap``'s disk list against its domain, as libvirt's AlignDisks does.

    Every disk of the domain gets an entry (in the domain's order, named by target), the
    mode of an unspecified disk comes from the domain disk's ``snapshot`` attribute, else
    ``no`` for a read-only disk, else ``default_snapshot``; external disks without a file get
    one named after the snapshot. Errors are libvirt's (unknown disk, disk listed twice,
    a file given for a non-external disk, a name that cannot be generated).
    """
    dom = domain if domain is not None else _child(snap.element, "domain")
    if dom is None:
        raise virt_error(ErrorNumber.INTERNAL_ERROR, "missing domain in snapshot", domain=_E)
    dom_disks = dom.findall("devices/disk")
    root = snap.element
    disks_el = _child(root, "disks")
    requested = [] if disks_el is None else _children(disks_el, "disk")
    if len(requested) > len(dom_disks):
        raise virt_error(
            ErrorNumber.CONFIG_UNSUPPORTED, "too many disk snapshot requests for domain", domain=_E
        )
    if not dom_disks:
        return
    by_index: dict[int, etree._Element] = {}
    for disk in requested:
        name = disk.get("name", "")
        index = _find_domain_disk(dom_disks, name)
        if index is None:
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"no disk named '{name}'", domain=_E)
        if index in by_index:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"disk '{_disk_target(dom_disks[index])}' specified twice", domain=_E
            )
        by_index[index] = disk
        dom_disk = dom_disks[index]
        if disk.get("snapshot") is None:
            disk.set("snapshot", _default_mode(dom_disk, default_snapshot))
        mode = disk.get("snapshot")
        src = _child(disk, "source")
        path = None if src is None else (src.get("file") or src.get("dev") or src.get("name"))
        if path and mode != "external":
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"file '{path}' for disk '{name}' requires use of external snapshot mode",
                domain=_E,
            )
        disk.set("name", _disk_target(dom_disk))
    if disks_el is None:
        disks_el = etree.SubElement(root, "disks")
    for index, dom_disk in enumerate(dom_disks):
        if index not in by_index:
            mode = _default_mode(dom_disk, default_snapshot)
            disk = etree.Element("disk", name=_disk_target(dom_disk), snapshot=mode)
            by_index[index] = disk
    for child in list(disks_el):
        disks_el.remove(child)
    for index in sorted(by_index):
        disks_el.append(by_index[index])
    canonicalize(root, SNAPSHOT_SHAPE)
    _assign_external_names(snap, dom_disks, by_index)


def _default_mode(dom_disk: etree._Element, default_snapshot: str) -> str:
    own = dom_disk.get("snapshot")
    if own is not None:
        return own
    if _child(dom_disk, "readonly") is not None:
        return "no"
    return default_snapshot


def _assign_external_names(
    snap: SnapshotDef, dom_disks: list[etree._Element], by_index: dict[int, etree._Element]
) -> None:
    name = snap.name or ""
    for index in sorted(by_index):
        disk = by_index[index]
        if disk.get("snapshot") != "external":
            continue
        src = _child(disk, "source")
        if src is not None and (src.get("file") or src.get("dev") or src.get("name")):
            continue
        if disk.get("type") not in (None, "file"):
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"cannot generate external snapshot name for disk '{disk.get('name')}' on a '{disk.get('type')}' device",
                domain=_E,
            )
        dom_disk = dom_disks[index]
        origin = _disk_source_path(dom_disk)
        target = disk.get("name")
        if not origin:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"cannot generate external snapshot name for disk '{target}' without source",
                domain=_E,
            )
        if not os.path.isfile(origin):
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"source for disk '{target}' is not a regular file; refusing to generate external snapshot name",
                domain=_E,
            )
        stem = origin
        dot = stem.rfind(".")
        if dot > stem.rfind("/"):
            stem = stem[:dot]
        view = SnapshotDisk(disk)
        view.type = "file"
        view.source_file = f"{stem}.{name}"
        canonicalize(disk, _DISK)
    seen: dict[str, str] = {}
    for index in sorted(by_index):
        disk = by_index[index]
        src = _child(disk, "source")
        path = None if src is None else src.get("file")
        if disk.get("snapshot") != "external" or not path:
            continue
        if path in seen:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"cannot generate external snapshot name for disk '{disk.get('name')}': collision with disk '{seen[path]}'",
                domain=_E,
            )
        seen[path] = disk.get("name", "")


def _domain_view(el: etree._Element) -> Any:
    try:
        from .domain import DomainDef
    except ImportError:
        return XMLView(el)
    return DomainDef(el)


