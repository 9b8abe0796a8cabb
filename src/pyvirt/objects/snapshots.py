"""A domain's snapshots as a driver keeps them: the tree and each snapshot's document.

:class:`SnapshotTree` is libvirt's moment list (``virDomainMomentObjList`` with the snapshot
filter on top) in driver-neutral form: names, parent/child links, the current marker, and the
two facts the list filters need (the snapshot's state and whether it is external).
:class:`SnapshotDoc` is one snapshot's metadata: the ``<domainsnapshot>`` model plus the
definitions it recorded, with libvirt's capture rules (state, memory, disk alignment) and
writer (public XML, or the on-disk form with ``<active>``). The test driver and the QEMU
driver both keep one tree per domain and do their own work around it.

The tree itself is not locked: callers hold the owning domain's lock or job while they read
or change it, exactly as libvirt's drivers do with ``vm->snapshots``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..enums import DomainSnapshotListFlags
from ..errors import ErrorNumber, virt_error

__all__ = ["SnapshotNode", "SnapshotTree", "SnapshotDoc", "INACTIVE_STATES", "int_flags"]


def int_flags(enum_cls: Any) -> Any:
    """The members of a flag enum as plain ints (aliases included), for hot paths."""
    return SimpleNamespace(**{name: int(member) for name, member in enum_cls.__members__.items()})


L = int_flags(DomainSnapshotListFlags)

#: snapshot states that count as "inactive" for the list filters (libvirt: shutoff)
INACTIVE_STATES = frozenset({"shutoff"})
_DISK_ONLY_STATE = "disk-snapshot"

_FILTERS_LEAVES = L.LEAVES | L.NO_LEAVES
_DOMAIN = 20  # ErrorDomain.DOMAIN: libvirt reports moment-list errors from domain_conf
_FILTERS_METADATA = L.METADATA | L.NO_METADATA
_FILTERS_STATUS = L.INACTIVE | L.ACTIVE | L.DISK_ONLY
_FILTERS_LOCATION = L.INTERNAL | L.EXTERNAL


@dataclass(eq=False)
class SnapshotNode:
    """One snapshot in the tree; ``definition`` is whatever model the driver keeps for it."""

    name: str
    definition: Any
    state: str = "shutoff"
    external: bool = False
    parent: SnapshotNode | None = None
    children: list[SnapshotNode] = field(default_factory=list)

    @property
    def parent_name(self) -> str | None:
        return None if self.parent is None else self.parent.name

    def walk(self) -> Iterator[SnapshotNode]:
        """Every descendant, parents before their children (depth first)."""
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __repr__(self) -> str:
        return f"<SnapshotNode {self.name!r} parent={self.parent_name!r} state={self.state}>"


class SnapshotTree:
    """All snapshots of one domain, indexed by name, with roots and a current marker."""

    __slots__ = ("_nodes", "_roots", "current")

    def __init__(self) -> None:
        self._nodes: dict[str, SnapshotNode] = {}
        self._roots: list[SnapshotNode] = []
        self.current: SnapshotNode | None = None

    # -- lookups -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, name: object) -> bool:
        return name in self._nodes

    def __iter__(self) -> Iterator[SnapshotNode]:
        return iter(list(self._nodes.values()))

    def get(self, name: str) -> SnapshotNode | None:
        return self._nodes.get(name)

    @property
    def roots(self) -> list[SnapshotNode]:
        return list(self._roots)

    @property
    def current_name(self) -> str | None:
        return None if self.current is None else self.current.name

    # -- changes -------------------------------------------------------------------------
    def check_parent(self, name: str, parent_name: str | None) -> None:
        """Refuse a parent that is missing, the snapshot itself, or would close a cycle.

        Same checks (and INVALID_ARG wording, which says "moment") as libvirt's redefine path.
        """
        if parent_name is None:
            return
        if parent_name == name:
            raise virt_error(ErrorNumber.INVALID_ARG, f"cannot set moment {name} as its own parent", domain=_DOMAIN)
        parent = self._nodes.get(parent_name)
        if parent is None:
            raise virt_error(
                ErrorNumber.INVALID_ARG, f"parent {parent_name} for moment {name} not found", domain=_DOMAIN
            )
        while parent.parent is not None:
            if parent.parent.name == name:
                raise virt_error(
                    ErrorNumber.INVALID_ARG, f"parent {parent.name} would create cycle to {name}", domain=_DOMAIN
                )
            parent = parent.parent

    def add(
        self,
        name: str,
        definition: Any,
        *,
        parent_name: str | None = None,
        state: str = "shutoff",
        external: bool = False,
    ) -> SnapshotNode:
        """Insert a new snapshot under ``parent_name`` (a root when None or unknown)."""
        if name in self._nodes:
            raise virt_error(ErrorNumber.INTERNAL_ERROR, f"snapshot '{name}' already exists")
        node = SnapshotNode(name, definition, state, external)
        self._nodes[name] = node
        self._link(node, self._nodes.get(parent_name) if parent_name else None)
        return node

    def replace(self, node: SnapshotNode, definition: Any, *, state: str, external: bool) -> None:
        """Swap in a new definition for an existing snapshot (redefine of a known name)."""
        node.definition = definition
        node.state = state
        node.external = external

    def set_parent(self, node: SnapshotNode, parent_name: str | None) -> None:
        """Move ``node`` (with its subtree) under another parent, or make it a root."""
        self._unlink(node)
        self._link(node, self._nodes.get(parent_name) if parent_name else None)

    def relink_all(self, parent_of: dict[str, str | None]) -> None:
        """Rebuild every link from a name -> parent-name map (loading saved snapshots).

        A parent that does not exist or would close a cycle is an error, as in libvirt's
        virDomainSnapshotUpdateRelations.
        """
        for node in self._nodes.values():
            node.parent = None
            node.children = []
        self._roots = []
        for name, node in self._nodes.items():
            pname = parent_of.get(name)
            parent = self._nodes.get(pname) if pname else None
            if pname and parent is None:
                raise virt_error(ErrorNumber.INVALID_ARG, f"parent {pname} for snapshot {name} not found")
            self._link(node, parent)
        # every node must reach a root
        seen: set[str] = set()
        for root in self._roots:
            seen.add(root.name)
            seen.update(n.name for n in root.walk())
        if len(seen) != len(self._nodes):
            raise virt_error(ErrorNumber.INVALID_ARG, "snapshot parent relations contain a cycle")

    def remove(self, node: SnapshotNode) -> bool:
        """Drop one snapshot; its children move up to its parent, ahead of their new siblings.

        The current marker moves to the parent when it was on ``node``. Returns whether
        ``node`` was current.
        """
        was_current = self.current is node
        parent = node.parent
        self._unlink(node)
        # libvirt's virDomainMomentMoveChildren: the orphans, in their own order, go in
        # front of the parent's remaining children
        orphans = node.children
        for child in orphans:
            child.parent = parent
        siblings = self._roots if parent is None else parent.children
        siblings[0:0] = orphans
        node.children = []
        del self._nodes[node.name]
        if was_current:
            self.current = parent
        return was_current

    def remove_descendants(self, node: SnapshotNode) -> bool:
        """Drop every descendant of ``node``; when the current one was among them, ``node``
        becomes current. Returns whether the current marker was among them.
        """
        doomed = list(node.walk())
        hit = False
        for victim in doomed:
            if self.current is victim:
                hit = True
            del self._nodes[victim.name]
        node.children = []
        if hit:
            self.current = node
        return hit

    def clear(self) -> None:
        self._nodes.clear()
        self._roots = []
        self.current = None

    # -- listing -------------------------------------------------------------------------
    def select(self, flags: int = 0, start: SnapshotNode | None = None) -> list[SnapshotNode]:
        """Snapshots matching libvirt's list ``flags``, from the domain or from ``start``.

        From the domain, bit 0 means ROOTS; from a snapshot it means DESCENDANTS (all of
        them, not just the direct children). Orders follow libvirt's moment list: siblings
        newest first (each link is pushed on the front of its parent's list), roots and
        children in that sibling order, TOPOLOGICAL and DESCENDANTS a depth-first walk
        with each parent before its subtree. libvirt's plain listing walks a hash table,
        whose order changes with every process; pyvirt gives creation order there.
        """
        flags = int(flags)
        if flags & _FILTERS_METADATA == L.NO_METADATA:
            return []  # every snapshot in the tree has metadata
        for group in (_FILTERS_STATUS, _FILTERS_LOCATION):
            if flags & group == group:
                flags &= ~group  # asking for every member of these groups is no filter at all
        # (LEAVES with NO_LEAVES is not widened: libvirt then matches nothing)
        if start is not None:
            pool = list(start.walk()) if flags & L.DESCENDANTS else list(start.children)
        elif flags & L.ROOTS:
            pool = list(self._roots)
        elif flags & L.TOPOLOGICAL:
            pool = [n for root in self._roots for n in (root, *root.walk())]
        else:
            pool = list(self._nodes.values())
        return [n for n in pool if _matches(n, flags)]

    def count(self, flags: int = 0, start: SnapshotNode | None = None) -> int:
        return len(self.select(flags, start))

    # -- internals -----------------------------------------------------------------------
    def _link(self, node: SnapshotNode, parent: SnapshotNode | None) -> None:
        """Push ``node`` on the front of its parent's children, as virDomainMomentSetParent
        does: that is why libvirt lists siblings newest first."""
        node.parent = parent
        (self._roots if parent is None else parent.children).insert(0, node)

    def _unlink(self, node: SnapshotNode) -> None:
        siblings = self._roots if node.parent is None else node.parent.children
        try:
            siblings.remove(node)
        except ValueError:
            pass
        node.parent = None


def _matches(node: SnapshotNode, flags: int) -> bool:
    if flags & L.LEAVES and node.children:
        return False
    if flags & L.NO_LEAVES and not node.children:
        return False
    if flags & _FILTERS_STATUS:
        if node.state in INACTIVE_STATES:
            if not flags & L.INACTIVE:
                return False
        elif node.state == _DISK_ONLY_STATE:
            if not flags & L.DISK_ONLY:
                return False
        elif not flags & L.ACTIVE:
            return False
    if flags & L.INTERNAL and node.external:
        return False
    if flags & L.EXTERNAL and not node.external:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# the snapshot document a driver keeps per snapshot

#: libvirt's virDomainSnapshotState names for the domain states (index = DomainState)
STATE_NAMES = ("nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended")
_SNAP_DOMAIN = 35  # ErrorDomain.DOMAIN_SNAPSHOT


class SnapshotDoc:
    """A snapshot's metadata as a driver keeps it: the ``<domainsnapshot>`` model without its
    embedded domains, plus those domains as :class:`~pyvirt.conf.DomainDef` models.

    Keeping the domains apart lets a revert hand them straight to the domain object, and lets
    the writer format them the way ``dumpxml --inactive`` does (secrets hidden unless
    ``secure``), spliced into the snapshot text.
    """

    __slots__ = ("definition", "domain", "inactive_domain", "parent_name", "domain_uuid")

    def __init__(self, definition: Any, domain: Any = None, inactive_domain: Any = None) -> None:
        self.definition = definition
        self.domain = domain
        self.inactive_domain = inactive_domain
        self.parent_name: str | None = None
        self.domain_uuid: str | None = None

    # -- parse -----------------------------------------------------------------------------------
    @classmethod
    def parse(cls, xml: str, *, redefine: bool = False, validate: bool = False) -> SnapshotDoc:
        """A user's ``<domainsnapshot>`` (new, or saved metadata when ``redefine``)."""
        from ..conf import SnapshotDef

        return cls._adopt(SnapshotDef.from_xml(xml, redefine=redefine, validate=validate))

    @classmethod
    def parse_element(cls, element: Any, *, redefine: bool = True, internal: bool = False) -> tuple[SnapshotDoc, bool]:
        """An already parsed element (a node file's snapshot); returns (doc, is_current)."""
        import copy

        from ..conf import SnapshotDef

        el = copy.deepcopy(element)
        el.tag = "domainsnapshot"
        for child in el.iter():
            if isinstance(child.tag, str) and child.tag.startswith("{"):
                child.tag = child.tag.split("}", 1)[1]
        model = SnapshotDef.from_element(el, redefine=redefine, internal=internal)
        current = model.current if internal else False
        return cls._adopt(model), current

    @classmethod
    def _adopt(cls, model: Any) -> SnapshotDoc:
        from ..conf import DomainDef

        root = model.element
        doc = cls(model)
        doc.parent_name = model.parent
        for tag, attr in (("domain", "domain"), ("inactiveDomain", "inactive_domain")):
            el = root.find(tag)
            if el is None:
                continue
            root.remove(el)
            if el.get("type") is None:  # old metadata: only <domain><uuid>
                if tag == "domain":
                    doc.domain_uuid = el.findtext("uuid")
                continue
            el.tag = "domain"
            dom = DomainDef(el)
            setattr(doc, attr, dom)
            if tag == "domain":
                doc.domain_uuid = dom.uuid
        for tag in ("parent", "active"):
            for el in root.findall(tag):
                root.remove(el)
        return doc

    # -- fields ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.definition.name  # type: ignore[no-any-return]

    @property
    def state(self) -> str:
        return self.definition.state or "nostate"  # type: ignore[no-any-return]

    @property
    def memory(self) -> str | None:
        return self.definition.memory  # type: ignore[no-any-return]

    def is_external(self) -> bool:
        """libvirt's virDomainSnapshotIsExternal: external memory or any external disk."""
        root = self.definition.element
        mem = root.find("memory")
        if mem is not None and mem.get("snapshot") == "external":
            return True
        return any(d.get("snapshot") == "external" for d in root.iterfind("disks/disk"))

    # -- taking a snapshot -----------------------------------------------------------------------
    def capture(
        self,
        live: Any,
        persistent: Any,
        state: int,
        active: bool,
        *,
        disk_only: bool = False,
    ) -> None:
        """Fill in what a new snapshot records about its domain.

        ``live`` is the running definition (libvirt's vm->def), ``persistent`` the
        configuration of a running persistent domain (vm->newDef, else None); ``state`` the
        domain state number. Memory and disks follow libvirt's test driver alignment:
        internal for a full snapshot, external overlays (named after the snapshot) for
        ``disk_only``.
        """
        model = self.definition
        self.domain = live.copy()
        self.domain_uuid = self.domain.uuid
        self.inactive_domain = persistent.copy() if persistent is not None and active else None
        if disk_only:
            state_name = "disk-snapshot" if active else "shutoff"
            memory = "no"
            location, match = "external", False
        elif model.memory == "external":
            state_name = STATE_NAMES[int(state)]
            memory = "external"
            location, match = "external", False
        else:
            state_name = STATE_NAMES[int(state)]
            memory = "no" if state_name == "shutoff" else "internal"
            location, match = "internal", True
        _set_text(model.element, "state", state_name)
        if memory != "external":
            model.memory_file = None
            model.memory = memory
        self.align_disks(location, match)

    def align_disks(self, location: str = "internal", require_match: bool = True) -> None:
        """libvirt's virDomainSnapshotAlignDisks: one entry per domain disk, in domain order."""
        from lxml import etree

        if self.domain is None:
            raise virt_error(ErrorNumber.INTERNAL_ERROR, "missing domain in snapshot", domain=_SNAP_DOMAIN)
        root = self.definition.element
        requested = root.findall("disks/disk")
        dom_disks = self.domain.element.findall("devices/disk")
        if len(requested) > len(dom_disks):
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, "too many disk snapshot requests for domain",
                             domain=_SNAP_DOMAIN)
        by_target: dict[str, etree._Element] = {}
        index: dict[str, etree._Element] = {}
        for disk in dom_disks:
            target = disk.find("target")
            dev = target.get("dev") if target is not None else None
            if dev:
                index[dev] = disk
                src = disk.find("source")
                path = None if src is None else src.get("file") or src.get("dev")
                if path:
                    index.setdefault(path, disk)
        for req in requested:
            disk = index.get(req.get("name", ""))
            if disk is None:
                raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"no disk named '{req.get('name')}'",
                                 domain=_SNAP_DOMAIN)
            dev = disk.find("target").get("dev")  # type: ignore[union-attr]
            if dev in by_target:
                raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"disk '{dev}' specified twice",
                                 domain=_SNAP_DOMAIN)
            req.set("name", dev)
            mode = req.get("snapshot") or disk.get("snapshot")
            if mode is None:
                mode = location
            elif require_match and mode != location and not (mode == "no" and disk.get("snapshot") == "no"):
                raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED,
                                 f"disk '{dev}' must use snapshot mode '{location}'", domain=_SNAP_DOMAIN)
            req.set("snapshot", mode)
            by_target[dev] = req
        disks_el = root.find("disks")
        if disks_el is None:
            if not dom_disks:
                return
            disks_el = etree.SubElement(root, "disks")
            _move_before(root, disks_el, ("domain", "inactiveDomain", "cookie", "active"))
        for req in list(disks_el):
            disks_el.remove(req)
        for disk in dom_disks:
            dev = disk.find("target").get("dev")  # type: ignore[union-attr]
            entry = by_target.get(dev)
            if entry is None:
                entry = etree.Element("disk", name=dev)
                src = disk.find("source")
                empty = src is None or not (src.get("file") or src.get("dev") or src.get("name"))
                entry.set("snapshot", disk.get("snapshot") or ("no" if empty else location))
            if entry.get("snapshot") == "external" and entry.find("source") is None:
                self._external_name(entry, disk)
            disks_el.append(entry)

    def _external_name(self, entry: Any, disk: Any) -> None:
        from lxml import etree

        src = disk.find("source")
        path = None if src is None else src.get("file") or src.get("dev")
        if disk.get("type", "file") not in ("file", "block") or not path:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"source for disk '{entry.get('name')}' is not a regular file; refusing to generate external snapshot name",
                domain=_SNAP_DOMAIN,
            )
        base = path.rsplit("/", 1)[-1]
        new = path[: path.rfind(".")] if "." in base else path
        entry.set("type", "file")
        etree.SubElement(entry, "source", file=f"{new}.{self.name}")

    # -- write -------------------------------------------------------------------------------------
    def to_xml(self, parent_name: str | None = None, *, secure: bool = False, current: bool | None = None) -> str:
        """libvirt's snapshot XML: the document, then ``<domain>`` and ``<inactiveDomain>``
        written as ``dumpxml --inactive`` writes them; ``current`` adds the ``<active>`` marker
        of on-disk metadata.
        """
        from lxml import etree

        from .._core import xmlcore

        root = self.definition.element
        head = etree.Element("domainsnapshot")
        cookie = None
        for child in root:
            tag = child.tag
            if tag == "cookie":
                cookie = child
                continue
            head.append(_clone(child))
            if tag == "state" and parent_name is not None:
                etree.SubElement(etree.SubElement(head, "parent"), "name").text = parent_name
        if parent_name is not None and head.find("parent") is None:
            parent = etree.Element("parent")
            etree.SubElement(parent, "name").text = parent_name
            anchor = head.find("creationTime")
            if anchor is not None:
                anchor.addprevious(parent)
            else:
                head.append(parent)
        text = xmlcore.format(head)
        if text.endswith("<domainsnapshot/>\n"):
            text = "<domainsnapshot>\n</domainsnapshot>\n"
        parts = [text[: -len("</domainsnapshot>\n")]]
        if self.domain is not None:
            parts.append(_indent(self.domain.to_xml(inactive=True, secure=secure), "domain"))
        elif self.domain_uuid is not None:
            parts.append(f"  <domain>\n    <uuid>{self.domain_uuid}</uuid>\n  </domain>\n")
        if self.inactive_domain is not None:
            parts.append(_indent(self.inactive_domain.to_xml(inactive=True, secure=secure), "inactiveDomain"))
        if cookie is not None:
            parts.append(_indent(xmlcore.format(cookie), None))
        if current is not None:
            parts.append(f"  <active>{1 if current else 0}</active>\n")
        parts.append("</domainsnapshot>\n")
        return "".join(parts)


def _clone(el: Any) -> Any:
    import copy

    return copy.deepcopy(el)


def _set_text(root: Any, tag: str, text: str) -> None:
    from lxml import etree

    el = root.find(tag)
    if el is None:
        el = etree.Element(tag)
        anchor = root.find("description")
        if anchor is None:
            anchor = root.find("name")
        if anchor is not None:
            anchor.addnext(el)
        else:
            root.insert(0, el)
    el.text = text


def _move_before(root: Any, el: Any, tags: tuple[str, ...]) -> None:
    for tag in tags:
        anchor = root.find(tag)
        if anchor is not None and anchor is not el:
            anchor.addprevious(el)
            return


def _indent(text: str, tag: str | None) -> str:
    """Indent a formatted document by two spaces, renaming its root element to ``tag``."""
    if tag is not None and tag != "domain":
        first_end = text.index(">") if not text.startswith("<domain") else len("<domain")
        text = "<" + tag + text[first_end:]
        closing = "</domain>"
        pos = text.rfind(closing)
        if pos != -1:
            text = text[:pos] + f"</{tag}>" + text[pos + len(closing):]
    lines = text.splitlines(keepends=True)
    return "".join("  " + line if line.strip() else line for line in lines)
