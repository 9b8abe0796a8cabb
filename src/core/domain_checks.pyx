# cython: language_level=3, boundscheck=False, wraparound=False
"""Cross-field checks of a parsed domain (libvirt's post-parse validation), on libxml2 nodes.

Each check raises the error libvirt raises for the same inconsistency (code and wording), so a
definition libvirt would refuse is refused here with the same code. They run after the
post-parse, on the completed tree, in libvirt's order: the first error libvirt reports is the
one reported here.

A few values libvirt's parser reads as C numbers (a PCI controller's target options, a USB
address) are checked here too, before the other checks (libvirt refuses them while parsing,
ahead of its post-parse and validation), by C's strtoul rules, which
:func:`pyvirt.conf.values.c_strtoul` spells in Python.

One walk over the domain's children and one over ``<devices>`` find what is present; each
check runs only when an element it looks at is. What a typical document reaches (memory,
controllers, disks, device addresses, firmware, iommu, hostdevs) reads ``xmlNode*`` directly
with ``const char*`` comparisons and builds Python strings only for an error message; the
rare areas (NUMA, sysinfo) keep Python-level code on lxml element objects, made for them only.
"""

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdio cimport snprintf
from libc.string cimport memset, strchr

import re

from lxml import etree

from pyvirt._core.xmlcore import child, children, find_all
from pyvirt._core.xmlcore import get as aget
from pyvirt.conf.values import invalid_prop, parse_bitmap, parse_uuid, prop_int
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError, virt_error


def _fail(code, str detail):
    return virt_error(code, detail, domain=ErrorDomain.DOMAIN)


def validate_domain(_Element root not None):
    """Raise libvirt's error for the first inconsistency found in the domain ``root``."""
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef _Root top
    cdef _Devices devs
    cdef _Gates gates
    cdef Node stack[_STACK_NODES]
    cdef signed char stack_kinds[_STACK_NODES]
    cdef Node* nodes = stack
    cdef signed char* kinds = stack_kinds
    cdef Py_ssize_t n = 0
    cdef Node c
    _survey(r, &top)
    memset(&devs, 0, sizeof(devs))
    memset(&gates, 0, sizeof(gates))
    if top.devices is not NULL:
        c = first_elem(top.devices)
        while c is not NULL:
            n += 1
            c = next_elem(c)
        if n > _STACK_NODES:
            nodes = <Node*>PyMem_Malloc(n * (sizeof(Node) + 1))
            if nodes is NULL:
                raise MemoryError()
            kinds = <signed char*>(nodes + n)
    try:
        if top.devices is not NULL:
            _group(top.devices, &devs, nodes, kinds)
            _device_gates(&devs, &gates)
        # what libvirt's parser refuses comes first: the features, then the devices' values
        if top.gic is not NULL:
            _gic(top.gic)
        if top.devices is not NULL:
            _device_values(doc, top.devices)
        _memory(top.memory, &devs)
        if top.numa:
            _numa(root)
        if top.firmware:
            _firmware(top.os_el)
        if top.sysinfo:
            _sysinfo(root)
        if gates.controllers:
            _controllers(&devs)
        if gates.disks:
            _disks(&devs)
        if gates.hostdevs:
            _hostdevs(doc, &devs)
        if gates.iommu:
            _iommu(top.features, &devs)
        if gates.other:
            _other_devices(&devs)
    finally:
        if nodes is not stack:
            PyMem_Free(nodes)
    return None


# -- what is present ---------------------------------------------------------------------------


cdef struct _Root:
    Node memory      # the first of each
    Node devices
    Node os_el
    Node features
    Node gic         # the first <gic> of any <features> (root.find("features/gic"))
    bint numa        # cpu/numa/cell, numatune or memoryBacking/hugepages/page
    bint firmware    # os/loader, os/nvram or os@firmware
    bint sysinfo


cdef inline bint _is(Node c, const char* name) noexcept:
    """``c`` (a plain element whose first letter the caller matched) is called ``name``."""
    return strcmp(<const char*>c.name, name) == 0


cdef void _survey(Node r, _Root* top) noexcept:
    cdef Node c = r.children
    cdef Node x
    memset(top, 0, sizeof(_Root))
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            x = NULL
            if c.name[0] == b'm':
                if _is(c, "memory"):
                    if top.memory is NULL:
                        top.memory = c
                elif _is(c, "memoryBacking"):
                    x = child_named(c, "hugepages")
                    while x is not NULL and not top.numa:
                        top.numa = child_named(x, "page") is not NULL
                        x = next_named(x, "hugepages")
            elif c.name[0] == b'd':
                if _is(c, "devices"):
                    if top.devices is NULL:
                        top.devices = c
            elif c.name[0] == b'f':
                if _is(c, "features"):
                    if top.features is NULL:
                        top.features = c
                    if top.gic is NULL:
                        top.gic = child_named(c, "gic")
            elif c.name[0] == b'c':
                if _is(c, "cpu"):
                    x = child_named(c, "numa")
                    while x is not NULL and not top.numa:
                        top.numa = child_named(x, "cell") is not NULL
                        x = next_named(x, "numa")
            elif c.name[0] == b'n':
                if _is(c, "numatune"):
                    top.numa = True
            elif c.name[0] == b'o':
                if _is(c, "os"):
                    if top.os_el is NULL:
                        top.os_el = c
                    if (child_named(c, "loader") is not NULL or child_named(c, "nvram") is not NULL
                            or has_attr(c, "firmware")):
                        top.firmware = True
            elif c.name[0] == b's':
                if _is(c, "sysinfo"):
                    top.sysinfo = True
        c = c.next


# the device kinds the checks look at
cdef enum:
    K_CONTROLLER
    K_REDIRDEV
    K_DISK
    K_HOSTDEV
    K_IOMMU
    K_SHMEM
    K_MEMORY
    K_VIDEO
    K_VSOCK
    K_KINDS
    _STACK_NODES = 64


cdef struct _Devices:
    Node* nodes                  # the devices of the first <devices>, grouped by kind
    Py_ssize_t start[K_KINDS]
    Py_ssize_t count[K_KINDS]


cdef struct _Gates:
    bint controllers
    bint disks
    bint hostdevs
    bint iommu
    bint other


cdef int _kind(Node c) noexcept:
    """The device kind of a child of <devices>, or -1."""
    if c.ns is not NULL:
        return -1
    if c.name[0] == b'c':
        return K_CONTROLLER if _is(c, "controller") else -1
    if c.name[0] == b'd':
        return K_DISK if _is(c, "disk") else -1
    if c.name[0] == b'h':
        return K_HOSTDEV if _is(c, "hostdev") else -1
    if c.name[0] == b'i':
        return K_IOMMU if _is(c, "iommu") else -1
    if c.name[0] == b'm':
        return K_MEMORY if _is(c, "memory") else -1
    if c.name[0] == b'r':
        return K_REDIRDEV if _is(c, "redirdev") else -1
    if c.name[0] == b's':
        return K_SHMEM if _is(c, "shmem") else -1
    if c.name[0] == b'v':
        return K_VIDEO if _is(c, "video") else K_VSOCK if _is(c, "vsock") else -1
    return -1


cdef void _group(Node devices, _Devices* devs, Node* nodes, signed char* kinds) noexcept:
    """Fill ``devs`` with the element children of ``devices`` by kind (document order within
    a kind); ``nodes`` and ``kinds`` have room for every element child."""
    cdef Node c = first_elem(devices)
    cdef Py_ssize_t i = 0, n, k
    cdef Py_ssize_t fill[K_KINDS]
    while c is not NULL:
        kinds[i] = <signed char>_kind(c)
        if kinds[i] >= 0:
            devs.count[kinds[i]] += 1
        i += 1
        c = next_elem(c)
    n = i
    for k in range(1, K_KINDS):
        devs.start[k] = devs.start[k - 1] + devs.count[k - 1]
    for k in range(K_KINDS):
        fill[k] = devs.start[k]
    c = first_elem(devices)
    i = 0
    while c is not NULL:
        if kinds[i] >= 0:
            nodes[fill[kinds[i]]] = c
            fill[kinds[i]] += 1
        i += 1
        c = next_elem(c)
    devs.nodes = nodes


cdef inline Node _dev(_Devices* devs, int kind, Py_ssize_t i) noexcept:
    """The ``i``-th device of ``kind``."""
    return devs.nodes[devs.start[kind] + i]


cdef void _device_gates(_Devices* devs, _Gates* gates) noexcept:
    """Which device checks concern these devices (OR-ed into ``gates``)."""
    gates.controllers |= devs.count[K_CONTROLLER] > 0 or devs.count[K_REDIRDEV] > 0
    gates.disks |= devs.count[K_DISK] > 0
    gates.hostdevs |= devs.count[K_HOSTDEV] > 0
    gates.iommu |= devs.count[K_IOMMU] > 0
    gates.other |= devs.count[K_SHMEM] > 0 or devs.count[K_VIDEO] > 0 or devs.count[K_VSOCK] > 0


cdef inline bint _same(const char* a, const char* b) noexcept:
    """Equal as optional values: both absent, or both present and equal."""
    if a is NULL or b is NULL:
        return a is b
    return strcmp(a, b) == 0


cdef inline const char* _or(const char* value, const char* default) noexcept:
    return default if value is NULL else value


cdef str _show(const char* s):
    """An optional value as the Python checks wrote it in messages (``None`` when absent)."""
    return str(ustr(s))


# -- memory ------------------------------------------------------------------------------------


cdef object _digits_int(Node n):
    """The element's text as an int when it is all digits (``str.isdigit``), else None."""
    cdef Node c = n.children
    cdef const char* p
    cdef long long v = 0
    cdef int count = 0
    if c is NULL or (c.type != tree.XML_TEXT_NODE and c.type != tree.XML_CDATA_SECTION_NODE):
        return None
    p = <const char*>c.content
    if c.next is NULL or (c.next.type != tree.XML_TEXT_NODE and c.next.type != tree.XML_CDATA_SECTION_NODE):
        while b'0' <= p[0] <= b'9' and count < 18:
            v = v * 10 + (p[0] - 48)
            p += 1
            count += 1
        if p[0] == 0:
            return v if count else None
        if <unsigned char>p[0] < 0x80 and not (b'0' <= p[0] <= b'9'):
            return None
    # long or non-ASCII digits, or split text: Python's own rule
    t = text_str(n)
    return int(t) if t and t.isdigit() else None


cdef int _memory(Node mem, _Devices* devs) except -1:
    """The initial memory (total minus memory devices) must be positive."""
    cdef Node size
    cdef Py_ssize_t i
    total = None if mem is NULL else _digits_int(mem)
    if total is None:
        total = 0
    hotplug = 0
    for i in range(devs.count[K_MEMORY]):
        size = path2(_dev(devs, K_MEMORY, i), "target", "size")
        if size is not NULL:
            value = _digits_int(size)  # respelled in KiB by the post-parse
            if value is not None:
                hotplug += value
    if hotplug > total:
        raise _fail(ErrorNumber.XML_ERROR, "Total size of memory devices exceeds the total memory size")
    if total - hotplug <= 0:
        raise _fail(
            ErrorNumber.XML_ERROR,
            "Memory size must be specified via <memory> or in the <numa> configuration",
        )
    return 0


# -- features, os ------------------------------------------------------------------------------


cdef int _gic(Node gic) except -1:
    cdef const char* version
    version = attr(gic, "version")
    if version is not NULL and not (streq(version, "2") or streq(version, "3") or streq(version, "host")):
        raise invalid_prop("version", "gic", ustr(version))
    return 0


cdef bint _has_content(Node n) noexcept:
    """``xmlNodeGetContent(n)`` is not empty: some text or CDATA at any depth below ``n``.
    libvirt reads a loader or NVRAM path as the element's whole text, blanks included, and
    only an empty one counts as no path."""
    cdef Node c = n.children
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            if c.content is not NULL and c.content[0] != 0:
                return True
        elif c.type == tree.XML_ELEMENT_NODE and _has_content(c):
            return True
        c = c.next
    return False


cdef int _firmware(Node os_el) except -1:
    """libvirt's OS validation of the firmware: the features asked of an autoselected one,
    the loader attributes autoselection leaves to libvirt, the path a manual loader needs,
    and where NVRAM is allowed. The ``<loader>`` and ``<nvram>`` libvirt reads are the
    first of each; either one makes a loader definition (an NVRAM alone too)."""
    cdef Node loader
    cdef Node nvram
    cdef const char* firmware
    cdef const char* ltype = NULL
    cdef const char* readonly = NULL
    cdef const char* secure = NULL
    cdef const char* stateless = NULL
    cdef bint fw_auto
    cdef bint path = False
    cdef bint nv_present
    cdef bint nv_template
    if os_el is NULL:
        return 0
    firmware = attr(os_el, "firmware")
    fw_auto = firmware is not NULL and firmware[0] != 0
    if fw_auto:
        _firmware_features(os_el)
    loader = child_named(os_el, "loader")
    nvram = child_named(os_el, "nvram")
    if loader is NULL and nvram is NULL:
        return 0
    # an NVRAM is defined by a storage type or by a non-empty path
    nv_present = nvram is not NULL and (has_attr(nvram, "type") or _has_content(nvram))
    nv_template = nvram is not NULL and has_attr(nvram, "template")
    if loader is not NULL:
        ltype = attr(loader, "type")
        readonly = attr(loader, "readonly")
        secure = attr(loader, "secure")
        stateless = attr(loader, "stateless")
        path = _has_content(loader)
        if path and ltype is NULL:
            ltype = "rom"  # the post-parse's default for a loader with a path
    if fw_auto:
        if readonly is not NULL:
            raise _fail(ErrorNumber.XML_DETAIL,
                        "loader attribute 'readonly' cannot be specified when firmware autoselection is enabled")
        if ltype is not NULL:
            raise _fail(ErrorNumber.XML_DETAIL,
                        "loader attribute 'type' cannot be specified when firmware autoselection is enabled")
        if nv_template:
            raise _fail(ErrorNumber.XML_DETAIL,
                        "nvram attribute 'template' cannot be specified when firmware autoselection is enabled")
        if streq(secure, "no"):
            raise _fail(ErrorNumber.XML_DETAIL,
                        "loader attribute 'secure' cannot be specified when firmware autoselection is enabled")
        if streq(firmware, "bios") and nv_present:
            raise _fail(ErrorNumber.XML_DETAIL, "firmware type 'bios' does not support nvram")
    elif not path:
        raise _fail(ErrorNumber.XML_DETAIL, "no loader path specified and firmware auto selection disabled")
    if streq(stateless, "yes"):
        if nv_template:
            raise _fail(ErrorNumber.XML_DETAIL, "NVRAM template is not permitted when loader is stateless")
        if nv_present:
            raise _fail(ErrorNumber.XML_DETAIL, "NVRAM is not permitted when loader is stateless")
    elif streq(stateless, "no"):
        if not fw_auto:
            if not streq(ltype, "pflash"):
                raise _fail(ErrorNumber.XML_DETAIL, "Only pflash loader type permits NVRAM")
        elif not streq(firmware, "efi"):
            raise _fail(ErrorNumber.XML_DETAIL, "Only EFI firmware permits NVRAM")
    return 0


cdef int _firmware_features(Node os_el) except -1:
    """An autoselected firmware cannot enroll keys without secure boot. libvirt reads every
    ``firmware/feature``, a later mention of a feature replacing an earlier."""
    cdef Node fw = child_named(os_el, "firmware")
    cdef Node f
    cdef const char* enrolled = NULL
    cdef const char* secure_boot = NULL
    while fw is not NULL:
        f = child_named(fw, "feature")
        while f is not NULL:
            if attr_is(f, "name", "enrolled-keys"):
                enrolled = attr(f, "enabled")
            elif attr_is(f, "name", "secure-boot"):
                secure_boot = attr(f, "enabled")
            f = next_named(f, "feature")
        fw = next_named(fw, "firmware")
    if streq(enrolled, "yes") and streq(secure_boot, "no"):
        raise _fail(ErrorNumber.XML_DETAIL,
                    "firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled")
    return 0


_BIOS_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{2}|\d{4})$")


def _sysinfo(root):
    """SMBIOS tables: the BIOS date's format, and a system UUID equal to the domain's (rare:
    Python-level, on element objects)."""
    for sysinfo in root.iterfind("sysinfo"):
        if aget(sysinfo, "type") != "smbios":
            continue
        for entry in sysinfo.iterfind("bios/entry"):
            if aget(entry, "name") == "date" and not _BIOS_DATE.match((entry.text or "").strip()):
                raise _fail(ErrorNumber.XML_DETAIL, "Invalid BIOS 'date' format")
        for entry in sysinfo.iterfind("system/entry"):
            if aget(entry, "name") == "uuid":
                mine = parse_uuid(root.findtext("uuid") or "")
                theirs = parse_uuid(entry.text or "")
                if theirs is None or mine != theirs:
                    raise _fail(ErrorNumber.XML_DETAIL, "UUID mismatch between <uuid> and <sysinfo>")


# -- NUMA, hugepages (rare: Python-level) ------------------------------------------------------


def _numa(root):
    cells = find_all(root, ("cpu", "numa", "cell"))
    for cell in cells:
        access = aget(cell, "memAccess")
        if access is not None and access not in ("shared", "private"):
            raise invalid_prop("memAccess", "cell", access)
    vcpu = child(root, "vcpu")
    max_vcpus = int(vcpu.text) if vcpu is not None and (vcpu.text or "").isdigit() else 1
    sets = [parse_bitmap(aget(c, "cpus", "")) or set() for c in cells]
    for i in range(len(sets)):
        for j in range(i):
            if sets[i] & sets[j]:
                raise _fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"NUMA cells {aget(cells[i], 'id')} and {aget(cells[j], 'id')} have overlapping vCPU ids",
                )
    if sum(len(x) for x in sets) > max_vcpus:
        raise _fail(ErrorNumber.INTERNAL_ERROR, "Number of CPUs in <numa> exceeds the <vcpu> count")
    ids = [aget(c, "id") for c in cells]
    if cells and sorted(int(i) for i in ids if i is not None and i.isdigit()) != list(range(len(cells))):
        raise _fail(
            ErrorNumber.XML_ERROR,
            "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or "
            "ranges not starting from 0 are not allowed",
        )
    tune = child(root, "numatune")
    if tune is not None:
        memnodes = children(tune, "memnode")  # (with no NUMA cells the post-parse refused them)
        mem = child(tune, "memory")
        if memnodes and mem is not None and aget(mem, "placement") == "auto":
            raise _fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "Per-node binding is not compatible with automatic NUMA placement.",
            )
    pages = find_all(root, ("memoryBacking", "hugepages", "page"))
    masters = [p for p in pages if aget(p, "nodeset") is None]
    if cells:
        for page in pages:
            nodes = parse_bitmap(aget(page, "nodeset") or "") or set()
            for node in sorted(nodes):
                if node >= len(cells):
                    raise _fail(ErrorNumber.XML_DETAIL, f"hugepages: node {node} not found")
    else:
        masters = pages
    if len(masters) > 1:
        raise _fail(
            ErrorNumber.XML_DETAIL,
            f"two master hugepages detected: {masters[1].get('size')} and {masters[0].get('size')}",
        )


# -- controllers -------------------------------------------------------------------------------


#: controller types whose decimal indexes are deduplicated with a bitmap (others pairwise)
cdef const char* _CONTROLLER_TYPES[10]
_CONTROLLER_TYPES[:] = [b"pci", b"usb", b"ide", b"sata", b"scsi", b"virtio-serial", b"fdc", b"ccid",
                        b"xenbus", b"isa"]
cdef enum:
    _INDEX_SLOTS = 1024
    _SEEN_BYTES = 1280  # 10 types * _INDEX_SLOTS bits
    _MAX_INDEX_SLOTS = 1 << 24  # larger indexes are compared pairwise


cdef int _controller_slot(const char* ctype, const char* index, int slots) noexcept:
    """``type * slots + index`` for a known type and a canonical decimal index below
    ``slots``, else -1. Two such controllers clash exactly when their slots do."""
    cdef int t, value = _canonical_index(index)
    if ctype is NULL or value < 0 or value >= slots:
        return -1
    for t in range(10):
        if strcmp(ctype, _CONTROLLER_TYPES[t]) == 0:
            return t * slots + value
    return -1


cdef int _canonical_index(const char* index) noexcept:
    """A canonical decimal index ("0", "17"; below 2**24), else -1."""
    cdef int value = 0
    cdef const char* p = index
    if p is NULL or p[0] == 0 or (p[0] == b'0' and p[1] != 0):
        return -1
    while p[0] != 0:
        if not (b'0' <= p[0] <= b'9'):
            return -1
        value = value * 10 + (p[0] - 48)
        if value >= _MAX_INDEX_SLOTS:
            return -1
        p += 1
    return value


cdef int _controllers(_Devices* devs) except -1:
    cdef Py_ssize_t i, j, n = devs.count[K_CONTROLLER]
    cdef Node c
    cdef Node p
    cdef const char* ctype
    cdef const char* index
    cdef const char* model
    cdef bint has_usb = False
    cdef bint mastered
    cdef int slots = _INDEX_SLOTS, value
    cdef unsigned char seen_local[_SEEN_BYTES]
    cdef unsigned char* seen = seen_local
    # one controller per (type, index), USB ones aside: the (type, decimal index) pairs in a
    # bitmap (as large as the largest index: implicit controllers can be many), any other
    # spelling compared with the earlier controllers
    for i in range(n):
        value = _canonical_index(attr(_dev(devs, K_CONTROLLER, i), "index"))
        if value >= slots:
            slots = value + 1
    if slots > _INDEX_SLOTS:
        seen = <unsigned char*>PyMem_Malloc((10 * <size_t>slots + 7) // 8)
        if seen is NULL:
            raise MemoryError()
    try:
        memset(seen, 0, (10 * <size_t>slots + 7) // 8)
        has_usb = _distinct_controllers(devs, seen, slots)
    finally:
        if seen is not seen_local:
            PyMem_Free(seen)
    for i in range(n):
        c = _dev(devs, K_CONTROLLER, i)
        ctype = attr(c, "type")
        model = attr(c, "model")
        if streq(ctype, "pci"):
            _pci_target(c)
        elif streq(ctype, "usb") and (streq(model, "ich9-uhci1") or streq(model, "ich9-uhci2")
                                      or streq(model, "ich9-uhci3")):
            index = attr(c, "index")
            mastered = False
            for j in range(n):
                p = _dev(devs, K_CONTROLLER, j)
                if (attr_is(p, "type", "usb") and attr_is(p, "model", "ich9-ehci1")
                        and _same(attr(p, "index"), index)):
                    mastered = True
                    break
            if not mastered:
                raise _fail(ErrorNumber.XML_DETAIL, "No master USB controller specified")
    if not has_usb:
        for i in range(devs.count[K_REDIRDEV]):
            if streq(_or(attr(_dev(devs, K_REDIRDEV, i), "bus"), "usb"), "usb"):
                raise _fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "cannot add redirected USB device: USB is disabled for this domain",
                )
    return 0


cdef bint _distinct_controllers(_Devices* devs, unsigned char* seen, int slots) except -1:
    """Refuse a second controller of one type and index (USB ones aside: libvirt 9.0 takes
    several USB controllers with one index); True when USB is enabled by some controller."""
    cdef Py_ssize_t i, j, n = devs.count[K_CONTROLLER]
    cdef Node c
    cdef Node p
    cdef const char* ctype
    cdef const char* index
    cdef bint has_usb = False
    cdef int slot
    for i in range(n):
        c = _dev(devs, K_CONTROLLER, i)
        ctype = attr(c, "type")
        index = attr(c, "index")
        if streq(ctype, "usb"):
            if not attr_is(c, "model", "none"):
                has_usb = True
            continue
        slot = _controller_slot(ctype, index, slots)
        if slot >= 0:
            if seen[slot >> 3] & (1 << (slot & 7)):
                raise _duplicate_controller(ctype, index)
            seen[slot >> 3] |= 1 << (slot & 7)
            continue
        for j in range(i):
            p = _dev(devs, K_CONTROLLER, j)
            if _same(attr(p, "type"), ctype) and _same(attr(p, "index"), index):
                raise _duplicate_controller(ctype, index)
    return has_usb


cdef object _duplicate_controller(const char* ctype, const char* index):
    return _fail(ErrorNumber.XML_ERROR, f"Multiple '{_show(ctype)}' controllers with index '{_show(index)}'")


cdef int _pci_target(Node c) except -1:
    """The ranges of a PCI controller's target options (numbers the parse already read), and
    target index 0 and no NUMA node both belonging to controller 0."""
    cdef Node target = child_named(c, "target")
    cdef long long index = -1
    cdef long long value
    cdef const char* raw
    if target is NULL:
        return 0
    raw = attr(c, "index")
    if raw is not NULL and not _parse_int(raw, 10, &index):
        index = -1
    if _target_option(target, "index", &value):
        if value > 30:
            raise _fail(ErrorNumber.CONFIG_UNSUPPORTED,
                        f"PCI controller target index '{value}' out of range - must be 0-30")
        if (index == 0) != (value == 0):
            raise _fail(ErrorNumber.CONFIG_UNSUPPORTED,
                        "Only the PCI controller with index 0 can have target index 0, and vice versa")
    if _target_option(target, "chassisNr", &value) and not 1 <= value <= 255:
        raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, f"PCI controller chassisNr '{value}' out of range - must be 1-255")
    if _target_option(target, "chassis", &value) and value > 255:
        raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, f"PCI controller chassis '{value}' out of range - must be 0-255")
    if _target_option(target, "port", &value) and value > 255:
        raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, f"PCI controller port '{value}' out of range - must be 0-255")
    if _target_option(target, "busNr", &value) and not 1 <= value <= 254:
        raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, f"PCI controller busNr '{value}' out of range - must be 1-254")
    if index == 0 and _numa_node(target) >= 0:
        raise _fail(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "The PCI controller with index=0 can't be associated with a NUMA node",
        )
    return 0


cdef bint _target_option(Node target, const char* name, long long* value) noexcept:
    """The option is given (and, past the parse, a valid number)."""
    cdef const char* raw = attr(target, name)
    return raw is not NULL and _parse_int(raw, 0, value)


#: a PCI controller's ``<target>`` options, in the order libvirt's parser reads them
cdef const char* _PCI_TARGET_OPTIONS[5]
_PCI_TARGET_OPTIONS[:] = [b"chassisNr", b"chassis", b"port", b"busNr", b"index"]
cdef enum:
    _PCI_TARGET_PORT = 2  # the one option libvirt writes in hex


cdef int _pci_target_values(_Document doc, Node c) except -1:
    """A PCI controller's target options as libvirt's parser reads them: non-negative C ints
    in any C base (virXMLPropInt), then the NUMA node (a decimal int, not negative)."""
    cdef Node target = child_named(c, "target")
    cdef Node node
    cdef const char* raw
    cdef long long value
    cdef int k
    if target is NULL:
        return 0
    for k in range(5):
        raw = attr(target, _PCI_TARGET_OPTIONS[k])
        if raw is NULL:
            continue
        if not (_parse_int(raw, 0, &value) and value >= 0):
            prop_int(ustr(raw), ustr(_PCI_TARGET_OPTIONS[k]), "target", base=0, nonnegative=True)
        _respell_number(target, _PCI_TARGET_OPTIONS[k], raw, value, k == _PCI_TARGET_PORT)
    if target.children is not NULL:
        value = _numa_node(target)
        if value == -2:
            raise _fail(ErrorNumber.XML_ERROR, "invalid NUMA node in target")
        node = child_named(target, "node")
        if value >= 0:
            _respell_node(node, value)
        elif node is not NULL:
            remove_node(doc, node)  # an empty <node> is no node
    return 0


cdef int _respell_node(Node node, long long value) except -1:
    """A ``<node>`` read as a number, written as libvirt does (its decimal text alone)."""
    cdef char text[32]
    cdef Node c = node.children
    snprintf(text, 32, "%lld", value)
    if c is NULL or c.next is not NULL or c.type != tree.XML_TEXT_NODE or strcmp(<const char*>c.content, text) != 0:
        set_text(node, text)
    return 0


cdef long long _numa_node(Node target) except -3:
    """The target's NUMA node (virXPathInt of ``string(node)``): -1 when absent or empty, -2
    when it is not a non-negative C int."""
    cdef Node node = child_named(target, "node")
    cdef long long value
    cdef bytes text
    if node is NULL or not _has_content(node):
        return -1
    text = "".join(_content_pieces(node, [])).encode()  # rare element: no C fast path
    if not _parse_int(text, 10, &value) or value < 0:
        return -2
    return value


cdef list _content_pieces(Node n, list out):
    """The texts below ``n`` in document order (its XPath string value, joined)."""
    cdef Node c = n.children
    while c is not NULL:
        if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            out.append(ustr(<const char*>c.content))
        elif c.type == tree.XML_ELEMENT_NODE:
            _content_pieces(c, out)
        c = c.next
    return out


# -- disks -------------------------------------------------------------------------------------


cdef inline const char* _target_dev(Node disk) noexcept:
    cdef Node target = child_named(disk, "target")
    if target is NULL:
        return ""
    return _or(attr(target, "dev"), "")


cdef const char* _source_name(Node src) noexcept:
    """The first non-empty of the source's file, dev, dir, name ("" for none)."""
    cdef const char* v = attr(src, "file")
    if v is NULL or v[0] == 0:
        v = attr(src, "dev")
    if v is NULL or v[0] == 0:
        v = attr(src, "dir")
    if v is NULL or v[0] == 0:
        v = attr(src, "name")
    if v is NULL:
        return ""
    return v


cdef Node _drive_address(Node disk) noexcept:
    """The disk's ``type='drive'`` address when its target names a bus, else NULL: the disks
    that take part in the duplicate drive address checks."""
    cdef Node target = child_named(disk, "target")
    cdef Node addr
    if target is NULL or not has_attr(target, "bus"):
        return NULL
    addr = child_named(disk, "address")
    if addr is NULL or not attr_is(addr, "type", "drive"):
        return NULL
    return addr


cdef bint _same_drive(Node a, Node b) noexcept:
    """Two drive addresses name the same controller/bus/target/unit (absent means 0)."""
    return (streq(_or(attr(a, "controller"), "0"), _or(attr(b, "controller"), "0"))
            and streq(_or(attr(a, "bus"), "0"), _or(attr(b, "bus"), "0"))
            and streq(_or(attr(a, "target"), "0"), _or(attr(b, "target"), "0"))
            and streq(_or(attr(a, "unit"), "0"), _or(attr(b, "unit"), "0")))


cdef str _drive_text(Node addr):
    return (f"controller='{ustr(_or(attr(addr, 'controller'), '0'))}' "
            f"bus='{ustr(_or(attr(addr, 'bus'), '0'))}' "
            f"target='{ustr(_or(attr(addr, 'target'), '0'))}' "
            f"unit='{ustr(_or(attr(addr, 'unit'), '0'))}'")


cdef str _source_text(Node disk):
    cdef Node src = child_named(disk, "source")
    return "" if src is NULL else ustr(_source_name(src))


cdef int _disks(_Devices* devs) except -1:
    cdef Py_ssize_t i, j, n = devs.count[K_DISK]
    cdef Node disk
    cdef Node p
    cdef Node target
    cdef Node src
    cdef Node addr
    cdef Node paddr
    cdef Node hd
    cdef const char* dev
    cdef const char* dtype
    cdef const char* device
    cdef const char* bus
    cdef const char* atype
    cdef const char* policy
    for i in range(n):
        disk = _dev(devs, K_DISK, i)
        target = child_named(disk, "target")
        dev = _target_dev(disk)
        src = child_named(disk, "source")
        if src is not NULL and has_attr(src, "fdgroup"):
            raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, f"driver does not support FD passing for disk '{ustr(dev)}'")
        policy = attr(src, "startupPolicy") if src is not NULL else NULL
        if policy is not NULL:  # libvirt's disk validation (the device step checked the name)
            if attr_is(disk, "type", "network"):
                raise _fail(ErrorNumber.XML_ERROR,
                            f"disk startupPolicy '{ustr(policy)}' is not allowed for disk of 'network' type")
            if streq(policy, "requisite") and not (attr_is(disk, "device", "cdrom") or attr_is(disk, "device", "floppy")):
                raise _fail(ErrorNumber.XML_ERROR, "disk startupPolicy 'requisite' is allowed only for cdrom or floppy")
        for j in range(i):
            p = _dev(devs, K_DISK, j)
            if strcmp(_target_dev(p), dev) == 0:
                raise _fail(
                    ErrorNumber.XML_ERROR,
                    f"target '{ustr(dev)}' duplicated for disk sources '{_source_text(p)}' and '{_source_text(disk)}'",
                )
        dtype = attr(disk, "type")
        device = attr(disk, "device")
        if src is NULL and (streq(_or(device, "disk"), "disk") or streq(device, "lun")) and (
                streq(dtype, "file") or streq(dtype, "block") or streq(dtype, "network")
                or streq(dtype, "volume") or streq(dtype, "dir") or streq(dtype, "nvme")
                or streq(dtype, "vhostuser")):
            raise _fail(ErrorNumber.NO_SOURCE, ustr(dev))
        if attr_is(disk, "sgio", "unfiltered"):
            raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, "unfiltered sgio is no longer supported")
        if streq(device, "lun") and not streq(dtype, "block"):
            if not (streq(dtype, "network") and src is not NULL and attr_is(src, "protocol", "iscsi")):
                raise _fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "disk device='lun' is only valid for block type disk source",
                )
        bus = NULL
        if target is not NULL:
            bus = attr(target, "bus")
        addr = child_named(disk, "address")
        if addr is not NULL:
            atype = attr(addr, "type")
            if (streq(bus, "fdc") or streq(bus, "ide") or streq(bus, "sata") or streq(bus, "scsi")) and not streq(atype, "drive"):
                raise _fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"Invalid address type '{_show(atype)}' for the disk '{ustr(dev)}' with the bus type '{ustr(bus)}'",
                )
            if streq(atype, "drive") and bus is not NULL:
                for j in range(i):
                    p = _dev(devs, K_DISK, j)
                    paddr = _drive_address(p)
                    if (paddr is not NULL and attr_is(child_named(p, "target"), "bus", bus)
                            and _same_drive(paddr, addr)):
                        raise _fail(
                            ErrorNumber.CONFIG_UNSUPPORTED,
                            f"Found duplicate drive address for disk with target name '{ustr(_target_dev(p))}' "
                            + _drive_text(addr),
                        )
        if src is not NULL and child_named(src, "encryption") is not NULL and child_named(disk, "encryption") is not NULL:
            raise _fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "an <encryption> definition already found for disk source",
            )
    # SCSI host devices must not sit on a disk's drive address
    for i in range(devs.count[K_HOSTDEV]):
        hd = _dev(devs, K_HOSTDEV, i)
        addr = child_named(hd, "address")
        if attr_is(hd, "type", "scsi") and addr is not NULL and attr_is(addr, "type", "drive"):
            for j in range(n):
                p = _dev(devs, K_DISK, j)
                paddr = _drive_address(p)
                if (paddr is not NULL and attr_is(child_named(p, "target"), "bus", "scsi")
                        and _same_drive(paddr, addr)):
                    raise _fail(
                        ErrorNumber.CONFIG_UNSUPPORTED,
                        f"using disk target name '{ustr(_target_dev(p))}' conflicts with SCSI host device address "
                        + _drive_text(addr),
                    )
    return 0


# -- host devices ------------------------------------------------------------------------------


cdef int _same_tree(Node a, Node b) noexcept:
    """1 when the subtrees ``a`` and ``b`` have the same C14N form, 0 when they differ, -1
    when this walk cannot tell (namespaces, comments, CDATA, split text ...: the caller then
    compares the C14N text itself)."""
    cdef tree.xmlAttr* x
    cdef tree.xmlAttr* y
    cdef Py_ssize_t na = 0, nb = 0
    cdef Node ca
    cdef Node cb
    cdef int same
    if a.ns is not NULL or b.ns is not NULL or a.nsDef is not NULL or b.nsDef is not NULL:
        return -1
    if strcmp(<const char*>a.name, <const char*>b.name) != 0:
        return 0
    x = a.properties
    while x is not NULL:
        if x.ns is not NULL or (x.children is not NULL and x.children.next is not NULL):
            return -1
        na += 1
        x = x.next
    y = b.properties
    while y is not NULL:
        if y.ns is not NULL or (y.children is not NULL and y.children.next is not NULL):
            return -1
        nb += 1
        y = y.next
    if na != nb:
        return 0
    x = a.properties
    while x is not NULL:
        y = find_attr(b, <const char*>x.name)
        if y is NULL or strcmp(_attr_text(x), _attr_text(y)) != 0:
            return 0
        x = x.next
    ca = a.children
    cb = b.children
    while ca is not NULL or cb is not NULL:
        if not _plain_child(ca) or not _plain_child(cb):
            return -1
        if ca is NULL or cb is NULL or ca.type != cb.type:
            return 0
        if ca.type == tree.XML_TEXT_NODE:
            if strcmp(<const char*>ca.content, <const char*>cb.content) != 0:
                return 0
        else:
            same = _same_tree(ca, cb)
            if same != 1:
                return same
        ca = ca.next
        cb = cb.next
    return 1


cdef inline const char* _attr_text(tree.xmlAttr* a) noexcept:
    if a.children is NULL or a.children.content is NULL:
        return ""
    return <const char*>a.children.content


cdef inline bint _plain_child(Node c) noexcept:
    """NULL, an element, or a non-empty text node not followed by another text node: what
    :func:`_same_tree` compares by itself."""
    if c is NULL or c.type == tree.XML_ELEMENT_NODE:
        return True
    return (c.type == tree.XML_TEXT_NODE and c.content is not NULL and c.content[0] != 0
            and (c.next is NULL or c.next.type != tree.XML_TEXT_NODE))


cdef bint _same_source(_Document doc, Node hd_a, Node src_a, Node hd_b, Node src_b) except -1:
    """The host devices' keys (type, C14N of <source>) are equal."""
    cdef int same
    if strcmp(_or(attr(hd_a, "type"), ""), _or(attr(hd_b, "type"), "")) != 0:
        return False
    same = -1 if hd_a.nsDef is not NULL or hd_b.nsDef is not NULL else _same_tree(src_a, src_b)
    if same >= 0:
        return same == 1
    return (etree.tostring(proxy(doc, src_a), method="c14n")
            == etree.tostring(proxy(doc, src_b), method="c14n"))


cdef int _hostdevs(_Document doc, _Devices* devs) except -1:
    cdef Py_ssize_t i, j
    cdef Node hd
    cdef Node p
    cdef Node src
    cdef Node psrc
    cdef Node addr
    cdef int ramfb = 0
    for i in range(devs.count[K_HOSTDEV]):
        hd = _dev(devs, K_HOSTDEV, i)
        src = child_named(hd, "source")
        if src is not NULL:
            for j in range(i):
                p = _dev(devs, K_HOSTDEV, j)
                psrc = child_named(p, "source")
                if psrc is not NULL and _same_source(doc, p, psrc, hd, src):
                    raise _fail(ErrorNumber.XML_ERROR, "Hostdev already exists in the domain configuration")
            if attr_is(hd, "type", "mdev"):
                addr = child_named(src, "address")
                if addr is not NULL and not has_attr(addr, "uuid"):
                    raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, "Missing 'uuid' attribute for element <address>")
        if attr_is(hd, "type", "mdev") and attr_is(hd, "ramfb", "on"):
            ramfb += 1
            if ramfb > 1:
                raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, "Only one vgpu device can have 'ramfb' enabled")
    return 0


cdef int _iommu(Node features, _Devices* devs) except -1:
    cdef Py_ssize_t i
    cdef Node drv
    cdef Node ioapic
    for i in range(devs.count[K_IOMMU]):
        drv = child_named(_dev(devs, K_IOMMU, i), "driver")
        if drv is not NULL and attr_is(drv, "intremap", "on"):
            ioapic = NULL if features is NULL else child_named(features, "ioapic")
            if ioapic is NULL or not attr_is(ioapic, "driver", "qemu"):
                raise _fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    "IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')",
                )
    return 0


# -- shared memory -------------------------------------------------------------------------------


cdef const char* _QXL_ONLY_VIDEO_ATTRS[3]
_QXL_ONLY_VIDEO_ATTRS[:] = [b"ram", b"vram64", b"vgamem"]


cdef int _other_devices(_Devices* devs) except -1:
    """libvirt's validation of the rarer devices, in its device order (videos, shmem, vsock):
    the sizes only QXL video takes, shmem's msi, and the vsock's guest CID (0-2 reserved)."""
    cdef Py_ssize_t i
    cdef int k
    cdef Node d
    cdef Node msi
    cdef Node model
    cdef const char* raw
    for i in range(devs.count[K_VIDEO]):
        model = child_named(_dev(devs, K_VIDEO, i), "model")
        if model is NULL or attr_is(model, "type", "qxl") or attr_is(model, "type", "none"):
            continue
        for k in range(3):
            if has_attr(model, _QXL_ONLY_VIDEO_ATTRS[k]):  # the device step left out the 0s
                raise _fail(ErrorNumber.CONFIG_UNSUPPORTED,
                            f"{ustr(_QXL_ONLY_VIDEO_ATTRS[k])} attribute only supported for video type qxl")
    for i in range(devs.count[K_SHMEM]):
        d = _dev(devs, K_SHMEM, i)
        msi = child_named(d, "msi")
        if msi is not NULL and streq(_or(attr(msi, "enabled"), "yes"), "yes") and child_named(d, "server") is NULL:
            raise _fail(ErrorNumber.XML_ERROR, "msi option is only supported with a server")
    for i in range(devs.count[K_VSOCK]):
        d = child_named(_dev(devs, K_VSOCK, i), "cid")
        raw = attr(d, "address") if d is not NULL else NULL
        if raw is not NULL and strlen(raw) == 1 and b'0' <= raw[0] <= b'2':  # respelled decimal
            raise _fail(ErrorNumber.CONFIG_UNSUPPORTED, "guest CIDs must be >= 3")
    return 0


# -- device values libvirt's parser reads as numbers -------------------------------------------


cdef int _device_values(_Document doc, Node devices) except -1:
    """The numbers libvirt's device parser refuses: a PCI controller's target options and a
    USB address (a device's own ``<address>``, the first, is the one libvirt reads), written
    back in libvirt's spelling. libvirt parses the devices kind by kind: when one is refused,
    the error of the kind it parses first is the one raised (the post-parse merged every
    ``<devices>`` into the first)."""
    cdef Node d = first_elem(devices)
    while d is not NULL:
        try:
            _device_value(doc, d)
        except VirtError:
            _first_refusal_by_kind(doc, devices)
            raise
        d = next_elem(d)
    return 0


cdef int _device_value(_Document doc, Node d) except -1:
    cdef Node addr
    if d.ns is NULL:
        if d.name[0] == b'c' and _is(d, "controller") and attr_is(d, "type", "pci"):
            _pci_target_values(doc, d)
        addr = child_named(d, "address")
        if addr is not NULL and attr_is(addr, "type", "usb"):
            _usb_address(addr)
    return 0


#: the device kinds in the order libvirt 9.0's parser reads them (checked live)
_PARSE_ORDER = ("disk", "controller", "lease", "filesystem", "interface", "smartcard", "parallel", "serial",
                "console", "channel", "input", "graphics", "sound", "audio", "video", "hostdev", "watchdog",
                "memballoon", "rng", "tpm", "nvram", "hub", "redirdev", "redirfilter", "panic", "shmem", "memory",
                "iommu", "vsock", "crypto")
_PARSE_RANK = {name: rank for rank, name in enumerate(_PARSE_ORDER)}


cdef int _first_refusal_by_kind(_Document doc, Node devices) except -1:
    """Raise the refusal of the device libvirt parses first (several are refused: rare)."""
    cdef Node d = first_elem(devices)
    best = None
    best_rank = len(_PARSE_ORDER)
    while d is not NULL:
        rank = _PARSE_RANK.get(ustr(<const char*>d.name), len(_PARSE_ORDER)) if d.ns is NULL else best_rank
        if rank < best_rank or best is None:
            try:
                _device_value(doc, d)
            except VirtError as exc:
                if best is None or rank < best_rank:
                    best, best_rank = exc, rank
        d = next_elem(d)
    if best is not None:
        raise best
    return 0


cdef const char* _C_SPACE = " \t\n\v\f\r"


cdef inline int _digit_value(char ch) noexcept:
    if b'0' <= ch <= b'9':
        return ch - 48
    if b'a' <= ch <= b'z':
        return ch - 87
    if b'A' <= ch <= b'Z':
        return ch - 55
    return 99


cdef const char* _strtoul(const char* s, int base, unsigned long long* value, bint* negative) noexcept:
    """C's strtoul (as :func:`pyvirt.conf.values.c_strtoul`): the end of the number read
    from ``s``, or NULL when there is no digit. ``value`` saturates above 2**32 (every
    caller refuses that much)."""
    cdef const char* p = s
    cdef const char* first
    cdef unsigned long long v = 0
    cdef int digit
    while p[0] != 0 and strchr(_C_SPACE, p[0]) is not NULL:
        p += 1
    negative[0] = p[0] == b'-'
    if p[0] == b'+' or p[0] == b'-':
        p += 1
    if (base == 0 or base == 16) and p[0] == b'0' and (p[1] == b'x' or p[1] == b'X') and _digit_value(p[2]) < 16:
        p += 2
        base = 16
    elif base == 0:
        base = 8 if p[0] == b'0' else 10
    first = p
    while True:
        digit = _digit_value(p[0])
        if digit >= base:
            break
        if v <= 0xFFFFFFFF:
            v = v * base + digit
        p += 1
    if p == first:
        return NULL
    value[0] = v
    return p


cdef bint _parse_uint(const char* s, int base, long long* out) noexcept:
    """libvirt's virStrToLong_uip on the whole of ``s``."""
    cdef unsigned long long v
    cdef bint negative
    cdef const char* end = _strtoul(s, base, &v, &negative)
    if end is NULL or end[0] != 0 or negative or v > 0xFFFFFFFF:
        return False
    out[0] = <long long>v
    return True


cdef bint _parse_int(const char* s, int base, long long* out) noexcept:
    """libvirt's virStrToLong_i on the whole of ``s``."""
    cdef unsigned long long v
    cdef bint negative
    cdef const char* end = _strtoul(s, base, &v, &negative)
    if end is NULL or end[0] != 0 or v > (0x80000000 if negative else 0x7FFFFFFF):
        return False
    out[0] = -<long long>v if negative else <long long>v
    return True


cdef int _usb_address(Node addr) except -1:
    """virDomainDeviceUSBAddressParseXML: the port (up to four numbers, each read by
    virStrToLong_uip, a '.' or nothing between them: "1 2" is 1.2), then the bus; both
    respelled as libvirt writes them (the port's numbers before its first 0, "1.2"; the bus
    as a C int, "%d")."""
    cdef const char* port = attr(addr, "port")
    cdef const char* bus
    cdef const char* p
    cdef const char* end
    cdef unsigned long long v
    cdef bint negative
    cdef int depth, used = 0
    cdef bint ok, written = True
    cdef long long number
    cdef char text[64]
    if port is not NULL:
        p = port
        ok = False
        for depth in range(4):
            end = _strtoul(p, 10, &v, &negative)
            if end is NULL or negative or v > 0xFFFFFFFF:
                break
            if v == 0:
                written = False  # libvirt writes the numbers before the first 0
            if written:
                if depth:
                    text[used] = b'.'
                    used += 1
                used += snprintf(text + used, 64 - used, "%llu", v)
            if end[0] == 0:
                ok = True
                break
            p = end + 1 if end[0] == b'.' else end
        if not ok:
            raise _fail(ErrorNumber.INTERNAL_ERROR, "Cannot parse <address> 'port' attribute")
        if used == 0:
            del_attr(addr, "port")
        elif strcmp(text, port) != 0:
            set_attr(addr, "port", text)
    bus = attr(addr, "bus")
    if bus is not NULL:
        if not _parse_uint(bus, 10, &number):
            raise invalid_prop("bus", "address", ustr(bus), "Expected non-negative integer value")
        _respell_number(addr, "bus", bus, number - 0x100000000 if number > 0x7FFFFFFF else number, False)
    return 0


cdef int _respell_number(Node n, const char* name, const char* raw, long long value, bint hex) except -1:
    """Attribute ``name`` (text ``raw``, read as ``value``) in libvirt's spelling: decimal,
    or "0x" and lowercase hex."""
    cdef char text[32]
    if hex:
        snprintf(text, 32, "0x%llx", value)
    else:
        snprintf(text, 32, "%lld", value)
    if strcmp(text, raw) != 0:
        set_attr(n, name, text)
    return 0
