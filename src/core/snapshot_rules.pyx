# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's parse rules for domain snapshots (``<domainsnapshot>``), on libxml2 nodes.

:func:`snapshot_post_parse` brings a parsed snapshot document into the form libvirt writes:
unknown names dropped and children in the formatter's order (the shape tables of
:mod:`pyvirt._core.shape`), what a new snapshot may not carry removed and what libvirt fills
in added (name, creation time, state), saved metadata (``redefine``) checked in libvirt's
order, the memory and disk requests checked and completed.

The document's own elements are read on ``xmlNode*``; each ``<disk>`` request (its source,
driver and format rules) is Python-level code on the element object, as is the adoption of
an embedded ``<domain>`` (the domain model's parse).
"""

from libc.string cimport memset

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

import time

from pyvirt._core.shape import canonicalize as _canonicalize
from pyvirt._core.xmlcore import child as _child
from pyvirt._core.xmlcore import children as _children
from pyvirt.conf.units import parse_scaled
from pyvirt.conf.values import invalid_prop
from pyvirt.errors import ErrorDomain, ErrorNumber, virt_error

SNAP = ErrorDomain.DOMAIN_SNAPSHOT

#: libvirt's virDomainSnapshotState names (domain states plus disk-snapshot)
SNAPSHOT_STATES = (
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended",
    "disk-snapshot",
)
#: where a memory image or a disk goes (virDomainSnapshotLocation)
SNAPSHOT_LOCATIONS = ("default", "no", "internal", "external", "manual")
_OFFLINE_STATES = ("shutoff", "disk-snapshot")
_DISK_FORMATS = (
    "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow",
    "qcow", "qcow2", "qed", "vmdk", "luks",
)
_STORAGE_TYPES = ("file", "block", "dir", "network", "volume", "nvme", "vhostuser")


cdef object _snap_error(str detail):
    """libvirt's VIR_ERR_XML_ERROR from the snapshot layer."""
    return virt_error(ErrorNumber.XML_ERROR, detail, domain=SNAP)


cdef inline bint _same(const char* a, const char* b) noexcept:
    """``strcmp(a, b) == 0`` inline (names are short; most differ in their first byte)."""
    while a[0] == b[0]:
        if a[0] == 0:
            return True
        a += 1
        b += 1
    return False


cdef struct SnapTop:
    # the first of each child the rules read (snapshot children may repeat)
    Node name
    Node state
    Node parent
    Node creation
    Node memory
    Node disks
    Node domain
    Node inactive
    Node cookie
    Node active


cdef void _survey(Node r, SnapTop* t) noexcept:
    cdef Node c = r.children
    cdef const char* n
    memset(t, 0, sizeof(SnapTop))
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            n = <const char*>c.name
            if t.name is NULL and _same(n, "name"):
                t.name = c
            elif t.state is NULL and _same(n, "state"):
                t.state = c
            elif t.parent is NULL and _same(n, "parent"):
                t.parent = c
            elif t.creation is NULL and _same(n, "creationTime"):
                t.creation = c
            elif t.memory is NULL and _same(n, "memory"):
                t.memory = c
            elif t.disks is NULL and _same(n, "disks"):
                t.disks = c
            elif t.domain is NULL and _same(n, "domain"):
                t.domain = c
            elif t.inactive is NULL and _same(n, "inactiveDomain"):
                t.inactive = c
            elif t.cookie is NULL and _same(n, "cookie"):
                t.cookie = c
            elif t.active is NULL and _same(n, "active"):
                t.active = c
        c = c.next


cdef bint _driver_filled(const char* n) noexcept:
    """What a new snapshot may not carry (the driver writes it)."""
    return (_same(n, "state") or _same(n, "parent") or _same(n, "creationTime") or _same(n, "domain")
            or _same(n, "inactiveDomain") or _same(n, "cookie"))


cdef object _findtext(Node n):
    """lxml's ``findtext`` of a found element: its text, '' when it has none."""
    if n is NULL:
        return None
    return text_str(n) or ""


cdef bint _plain_int(const char* s, long long* out) noexcept:
    """Decimal digits only (at most 18): the value; anything else is left to Python's int()."""
    cdef long long v = 0
    cdef int n = 0
    if s is NULL or s[0] == 0:
        return False
    while s[n]:
        if not c'0' <= s[n] <= c'9' or n >= 18:
            return False
        v = v * 10 + (s[n] - c'0')
        n += 1
    out[0] = v
    return True


cdef const char* _single_text(Node n) noexcept:
    """The text when it is one text node ("" without text); NULL when split over several."""
    cdef Node c = n.children
    if c is NULL or (c.type != tree.XML_TEXT_NODE and c.type != tree.XML_CDATA_SECTION_NODE):
        return ""
    if c.next is not NULL and (c.next.type == tree.XML_TEXT_NODE or c.next.type == tree.XML_CDATA_SECTION_NODE):
        return NULL
    if c.content is NULL:
        return ""
    return <const char*>c.content


def snapshot_post_parse(_Element root not None, shape, disk_shape, adopt, bint redefine=False,
                        bint internal=False, creation_time=None, state=None, bint offline=False):
    """libvirt's snapshot parse: ``shape``/``disk_shape`` are the compiled snapshot and disk
    shapes, ``adopt`` runs an embedded domain through the domain model (redefined metadata);
    the flags are SnapshotDef.from_xml's."""
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef SnapTop top
    cdef Node c, disk, nxt
    cdef const char* t
    cdef long long number
    cdef char buf[24]
    _canonicalize(root, shape)
    _survey(r, &top)
    name = _findtext(top.name)
    if redefine:
        if not name:
            raise _snap_error("a redefined snapshot must have a name")
        if top.creation is NULL:
            raise virt_error(ErrorNumber.INTERNAL_ERROR, "missing creationTime from existing snapshot", domain=SNAP)
        t = _single_text(top.creation)
        if t is NULL or not _plain_int(t, &number):
            try:
                int(_findtext(top.creation))
            except ValueError:
                raise virt_error(
                    ErrorNumber.INTERNAL_ERROR, "missing creationTime from existing snapshot", domain=SNAP
                ) from None
        st = _findtext(top.state)
        if st is None:
            raise _snap_error("missing state from existing snapshot")
        if st not in SNAPSHOT_STATES:
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"Invalid state '{st}' in domain snapshot XML", domain=SNAP)
        offline = st in _OFFLINE_STATES
        if top.domain is not NULL:
            adopt(proxy(doc, top.domain))
        if top.inactive is not NULL:
            adopt(proxy(doc, top.inactive))
    else:
        # what the driver fills in, not the user (every one: these names may repeat)
        c = first_elem(r)
        while c is not NULL:
            nxt = next_elem(c)
            if c.ns is NULL and _driver_filled(<const char*>c.name):
                remove_node(doc, c)
            c = nxt
        now = int(time.time()) if creation_time is None else int(creation_time)
        now_text = str(now)
        if not name:
            c = top.name
            if c is NULL:
                c = new_elem(r.doc, "name")
                if r.children is NULL:
                    nx_add_child(r, c)
                else:
                    insert_before(r.children, c)
            set_text_s(c, now_text)
        if now:
            set_text_s(add_elem(r, "creationTime"), now_text)
        if state is not None:
            set_text_s(add_elem(r, "state"), state)
        _canonicalize(root, shape)
    if internal:
        c = top.active
        if c is not NULL:
            t = _single_text(c)
            if t is NULL or not _plain_int(t, &number):
                try:
                    number = 1 if int((text_str(c) or "").strip()) else 0
                except ValueError:
                    raise virt_error(ErrorNumber.INTERNAL_ERROR, "Could not find 'active' element", domain=SNAP) from None
            t = "1" if number else "0"
            if _single_text(c) is NULL or not _same(_single_text(c), t):
                set_text(c, t)
    else:
        c = child_named(r, "active")
        while c is not NULL:
            nxt = next_named(c, "active")
            remove_node(doc, c)
            c = nxt
    _parse_memory(r, top.memory, offline)
    if redefine and top.memory is NULL:
        # saved metadata without <memory>: implied by the state it was taken in
        set_attr(add_elem(r, "memory"), "snapshot", "no" if offline else "internal")
        _canonicalize(root, shape)
    c = top.disks
    while c is not NULL:  # root.findall("disks/disk")
        disk = child_named(c, "disk")
        while disk is not NULL:
            _parse_disk(proxy(doc, disk), disk_shape)
            disk = next_named(disk, "disk")
        c = next_named(c, "disks")


cdef int _parse_memory(Node r, Node mem, bint offline) except -1:
    cdef const char* mode
    cdef const char* path
    if mem is NULL:
        return 0
    mode = attr(mem, "snapshot")
    path = attr(mem, "file")
    if mode is not NULL and (ustr(mode) not in SNAPSHOT_LOCATIONS or _same(mode, "default")):
        raise invalid_prop("snapshot", "memory", ustr(mode))
    if path is not NULL:
        if mode is NULL:
            set_attr(mem, "snapshot", "external")
            mode = attr(mem, "snapshot")
        elif not _same(mode, "external"):
            raise _snap_error(f"memory filename '{ustr(path)}' requires external snapshot")
    elif mode is not NULL and _same(mode, "external"):
        raise _snap_error("external memory snapshots require a filename")
    if offline and mode is not NULL and not _same(mode, "no"):
        raise _snap_error("memory state cannot be saved with offline or disk-only snapshot")
    return 0


# -- disks (Python-level: the requests a snapshot names, on element objects) --------------------

#: libvirt's default port per network storage protocol (none for rbd, vxhs ...)
_DEFAULT_PORTS = {
    "nbd": 10809, "sheepdog": 7000, "gluster": 24007, "iscsi": 3260, "http": 80, "https": 443,
    "ftp": 21, "ftps": 990, "tftp": 69, "ssh": 22,
}


def _parse_disk(disk, disk_shape):
    name = disk.get("name")
    if not name:
        raise virt_error(ErrorNumber.INTERNAL_ERROR, "missing name from disk snapshot element", domain=SNAP)
    mode = disk.get("snapshot")
    if mode is not None and (mode not in SNAPSHOT_LOCATIONS or mode == "default"):
        raise invalid_prop("snapshot", "disk", mode)
    stype = disk.get("type")
    if stype is not None and stype not in _STORAGE_TYPES:
        raise invalid_prop("type", "disk", stype)
    if stype is not None and stype not in ("file", "block", "network"):
        raise _snap_error(f"unsupported disk snapshot type '{stype}'")
    src = _child(disk, "source")
    drv = _child(disk, "driver")
    fmt = None
    if drv is not None:
        max_size = drv.find("metadata_cache/max_size")
        if max_size is not None:
            max_size.text = str(parse_scaled(max_size.text, max_size.get("unit"), what="max_size", domain=SNAP))
            max_size.attrib.clear()
            max_size.set("unit", "bytes")
        fmt = drv.get("type")
        if fmt is not None and fmt not in _DISK_FORMATS:
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown disk snapshot driver '{fmt}'", domain=SNAP)
        if fmt is None:
            disk.remove(drv)
            drv = None
    has_path = False
    if src is not None:
        kind = stype or "file"
        attr_name = {"file": "file", "block": "dev", "dir": "dir", "network": "name"}.get(kind)
        if kind == "network":
            # a network source without a name has no path: libvirt must generate one
            # (and refuses to for a network device); keep it so align_disks can say so
            has_path = src.get("name") is not None
            if not has_path and src.get("protocol") is not None:
                if mode is None:
                    disk.set("snapshot", "external")
                _canonicalize(disk, disk_shape)
                return
        elif attr_name is not None:
            has_path = src.get(attr_name) is not None
        else:
            has_path = bool(len(src.attrib))
        if not has_path:
            disk.remove(src)
            src = None
        elif kind == "file":
            for key in list(src.attrib):
                if key != "file":
                    del src.attrib[key]
        elif kind == "network":
            _network_source_defaults(src)
        if mode is None and src is not None:
            disk.set("snapshot", "external")
            mode = "external"
    if has_path or fmt is not None:
        if stype is None:
            disk.set("type", "file")
    _canonicalize(disk, disk_shape)


def _network_source_defaults(src):
    """As libvirt stores a network disk source: tcp is implicit, the protocol's port explicit."""
    default = _DEFAULT_PORTS.get(src.get("protocol", ""))
    for host in _children(src, "host"):
        if host.get("transport") == "tcp":
            del host.attrib["transport"]
        if host.get("transport") in (None, "rdma") and not host.get("port") and default:
            host.set("port", str(default))
