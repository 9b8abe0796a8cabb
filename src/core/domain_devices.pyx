# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's generic post-parse of ``<devices>``, on libxml2 nodes.

Two entries, called once per document by the top-level post-parse:

* :func:`normalize_all` respells every device's own ``<address>`` the way libvirt writes
  each address type (pci slot ``0x12``, drive unit ``3``, ccw devno ``0x000a`` ...), with
  libvirt's range checks; it runs first so that the device steps read canonical numbers.
* :func:`post_parse_devices` runs, for each device kind present, the step libvirt's parse
  takes for it: disk bus and drive address, the insertion order of disks and controllers,
  controller indexes and the implicit controllers, MAC addresses, serial port numbers and
  the console alias of the first serial port, graphics listens and ports, the implicit
  video and its model defaults, ... in libvirt's order, so that the first error reported is
  the one libvirt reports.

Why on nodes: these steps touch a few attributes of every device of every document; through
lxml element objects that cost a proxy per element and a Python call per attribute (~15 µs a
document), on ``xmlNode*`` it is a pointer walk and a ``strcmp``. Python is called only for
what is Python's anyway: error messages, generated values (MAC, UUID), spellings outside the
plain ones (a number with blanks, a non-ASCII name, an index beyond 64 bits) through the
shared value helpers, and the rare device kinds' Python-level details.
"""

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.limits cimport LLONG_MAX
from libc.stdio cimport snprintf
from libc.stdlib cimport qsort
from libc.string cimport memcpy, memset, strchr, strncmp

import uuid as _uuid

from lxml import etree

from pyvirt.conf.units import parse_scaled
from pyvirt.conf.values import generate_mac, invalid_prop, missing_prop, normalize_mac, str_to_uint, uint_prop
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError, virt_error


cdef object _err(object code, object detail):
    return virt_error(code, detail, domain=ErrorDomain.DOMAIN)


# -- libxml2 functions beyond nodeops: copying a subtree, renaming an element ----------------

ctypedef tree.xmlNode* (*_DocCopyNode)(tree.xmlNode*, tree.xmlDoc*, int) noexcept nogil
ctypedef void (*_NodeSetName)(tree.xmlNode*, tree.const_xmlChar*) noexcept nogil

cdef _DocCopyNode _copy_node = NULL
cdef _NodeSetName _set_name = NULL


cdef int _bind() except -1:
    global _copy_node, _set_name
    from lxml import etree as _etree
    cdef bytes path = _etree.__file__.encode()
    cdef void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD)
    if handle is NULL:
        raise ImportError("libxml2's functions are not reachable through lxml")
    _copy_node = <_DocCopyNode>dlsym(handle, "xmlDocCopyNode")
    _set_name = <_NodeSetName>dlsym(handle, "xmlNodeSetName")
    if _copy_node is NULL or _set_name is NULL:
        raise ImportError("libxml2's functions are not reachable through lxml")
    return 0


_bind()


cdef Node _copy_as(Node n, const char* tag) except NULL:
    """A detached deep copy of ``n`` (same document) renamed ``tag`` (lxml's deepcopy plus
    ``.tag =``, without the throw-away document lxml's copy builds)."""
    cdef Node c = _copy_node(n, n.doc, 1)
    if c is NULL:
        raise MemoryError()
    _set_name(c, <tree.const_xmlChar*>tag)
    return c


# -- small node-level helpers -------------------------------------------------------------------

cdef struct NodeList:
    Node* items
    Py_ssize_t n
    Py_ssize_t cap
    Node local[32]


cdef inline void nl_init(NodeList* l) noexcept:
    l.items = l.local
    l.n = 0
    l.cap = 32


cdef int nl_push(NodeList* l, Node x) except -1:
    cdef Node* grown
    if l.n == l.cap:
        grown = <Node*>PyMem_Malloc(2 * l.cap * sizeof(Node))
        if grown is NULL:
            raise MemoryError()
        memcpy(grown, l.items, l.n * sizeof(Node))
        if l.items != l.local:
            PyMem_Free(l.items)
        l.items = grown
        l.cap *= 2
    l.items[l.n] = x
    l.n += 1
    return 0


cdef int nl_insert0(NodeList* l, Node x) except -1:
    cdef Py_ssize_t k
    nl_push(l, x)
    k = l.n - 1
    while k > 0:
        l.items[k] = l.items[k - 1]
        k -= 1
    l.items[0] = x
    return 0


cdef inline void nl_free(NodeList* l) noexcept:
    if l.items != l.local:
        PyMem_Free(l.items)
    l.items = l.local
    l.n = 0


cdef int nl_children(NodeList* l, Node parent, const char* tag) except -1:
    cdef Node c = child_named(parent, tag)
    while c is not NULL:
        nl_push(l, c)
        c = next_named(c, tag)
    return 0


cdef inline bint _elementlike(Node c) noexcept:
    """What lxml counts as a child (``len(el)``, ``list(el)``): elements, comments, PIs and
    entity references; not text."""
    return (c.type == tree.XML_ELEMENT_NODE or c.type == tree.XML_COMMENT_NODE
            or c.type == tree.XML_PI_NODE or c.type == tree.XML_ENTITY_REF_NODE)


cdef bint _has_children(Node n) noexcept:
    cdef Node c = n.children
    while c is not NULL:
        if _elementlike(c):
            return True
        c = c.next
    return False


cdef int _remove_all(_Document doc, Node parent, const char* tag) except -1:
    cdef Node c = child_named(parent, tag)
    cdef Node nxt
    while c is not NULL:
        nxt = next_named(c, tag)
        remove_node(doc, c)
        c = nxt
    return 0


cdef int _clear_attrs(Node n) except -1:
    """``el.attrib.clear()``: every attribute, namespaced ones too."""
    while n.properties is not NULL:
        nx_remove_prop(n.properties)
    return 0


cdef int _set_after_chain(Node n, const char* after, const char* name, const char* value) except -1:
    """Set ``name`` and link it right after ``after`` (which must be present)."""
    set_attr(n, name, value)
    move_attr(n, name, after)
    return 0


cdef int _set_after_last_of(Node n, const char* name, const char* value,
                            const char* first, const char* second) except -1:
    """Set ``name`` right after the last present attribute among ``first``/``second`` (in
    attribute order), or first of all when neither is present."""
    cdef tree.xmlAttr* a = n.properties
    cdef const char* anchor = NULL
    while a is not NULL:
        if a.ns is NULL and (streq(<const char*>a.name, first)
                             or (second is not NULL and streq(<const char*>a.name, second))):
            anchor = <const char*>a.name
        a = a.next
    set_attr(n, name, value)
    move_attr(n, name, anchor)
    return 0


cdef bint _ascii_digits(const char* s, Py_ssize_t maxlen, long long* out) noexcept:
    """``s`` is 1..maxlen ASCII digits (maxlen <= 18): its value. Anything else (blanks,
    signs, other digits, longer numbers) is left to Python's reading of it."""
    cdef long long v = 0
    cdef Py_ssize_t i = 0
    if s is NULL or s[0] == 0:
        return False
    while s[i] != 0:
        if i >= maxlen or s[i] < 48 or s[i] > 57:
            return False
        v = v * 10 + (s[i] - 48)
        i += 1
    out[0] = v
    return True


cdef long long _clamp(object value) except? -1:
    """A Python int as a C long long, saturated (an index no real device reaches)."""
    if value > LLONG_MAX:
        return LLONG_MAX
    if value < -1:
        return -1
    return value


cdef long long _decimal(const char* raw) except? -1:
    """``int(raw)`` for a number the address respelling already wrote in decimal."""
    cdef long long v
    if _ascii_digits(raw, 18, &v):
        return v
    return _clamp(int(ustr(raw)))


cdef inline int _fmt(char* buf, long long v) noexcept:
    """``str(v)`` into a 32-byte buffer."""
    if v < 0:
        return snprintf(buf, 32, "%lld", v)
    _spell(buf, <unsigned long long>v, False, 0)
    return 0


# -- tables -------------------------------------------------------------------------------------
# The data tables stay Python (pyvirt.conf.domain.tables); they are read once into C arrays
# by _load_tables, called at the end of this module.

cdef enum:
    MAX_ROWS = 32
    MAX_VIDEO_ATTRS = 128

cdef list _keep = []  # the bytes objects the C tables point into

cdef const char* _bus_prefix[MAX_ROWS]
cdef const char* _bus_prefix_name[MAX_ROWS]
cdef int _n_bus_prefix = 0

cdef const char* _layout_bus[MAX_ROWS]
cdef long long _layout_per_ctrl[MAX_ROWS]
cdef long long _layout_per_bus[MAX_ROWS]
cdef int _n_layout = 0

cdef const char* _implicit_ctype[MAX_ROWS]
cdef int _implicit_layout[MAX_ROWS]
cdef int _n_implicit = 0

cdef const char* _video_type[MAX_ROWS]
cdef int _video_first[MAX_ROWS]
cdef int _video_count[MAX_ROWS]
cdef const char* _video_attr[MAX_VIDEO_ATTRS]
cdef const char* _video_value[MAX_VIDEO_ATTRS]
cdef int _n_video = 0

cdef dict _device_rank = {}

#: controller types whose (type, index) pairs the implicit-controller step asks about
cdef const char* _ctrl_kinds[MAX_ROWS]
cdef int _n_ctrl_kinds = 0


cdef const char* _keep_str(str s) except NULL:
    cdef bytes b = s.encode()
    _keep.append(b)
    return <const char*>b


cdef int _ctrl_kind(const char* ctype) noexcept:
    cdef int k
    if ctype is NULL:
        return -1
    for k in range(_n_ctrl_kinds):
        if strcmp(_ctrl_kinds[k], ctype) == 0:
            return k
    return -1


cdef int _add_ctrl_kind(str name) except -1:
    global _n_ctrl_kinds
    cdef bytes b = name.encode()
    if _ctrl_kind(<const char*>b) >= 0:
        return 0
    if _n_ctrl_kinds >= MAX_ROWS:
        raise ImportError("too many controller types")
    _ctrl_kinds[_n_ctrl_kinds] = _keep_str(name)
    _n_ctrl_kinds += 1
    return 0


cdef int _load_tables() except -1:
    global _n_bus_prefix, _n_layout, _n_implicit, _n_video, _device_rank
    from pyvirt.conf.domain.tables import (
        DEVICE_ORDER,
        DISK_BUS_BY_PREFIX,
        DRIVE_LAYOUT,
        IMPLICIT_DISK_CONTROLLERS,
        VIDEO_DEFAULTS,
    )
    cdef int k, m = 0
    if (len(DISK_BUS_BY_PREFIX) > MAX_ROWS or len(DRIVE_LAYOUT) > MAX_ROWS
            or len(IMPLICIT_DISK_CONTROLLERS) > MAX_ROWS or len(VIDEO_DEFAULTS) > MAX_ROWS):
        raise ImportError("device tables too large for the core")
    for prefix, name in DISK_BUS_BY_PREFIX:
        _bus_prefix[_n_bus_prefix] = _keep_str(prefix)
        _bus_prefix_name[_n_bus_prefix] = _keep_str(name)
        _n_bus_prefix += 1
    layouts = list(DRIVE_LAYOUT)
    for bus in layouts:
        per_ctrl, per_bus = DRIVE_LAYOUT[bus]
        _layout_bus[_n_layout] = _keep_str(bus)
        _layout_per_ctrl[_n_layout] = per_ctrl
        _layout_per_bus[_n_layout] = per_bus
        _n_layout += 1
    for ctype, bus in IMPLICIT_DISK_CONTROLLERS:
        _implicit_ctype[_n_implicit] = _keep_str(ctype)
        _implicit_layout[_n_implicit] = layouts.index(bus) if bus in DRIVE_LAYOUT else -1
        _n_implicit += 1
        _add_ctrl_kind(ctype)
    for name in ("virtio-serial", "ccid", "scsi"):
        _add_ctrl_kind(name)
    for vtype, pairs in VIDEO_DEFAULTS.items():
        _video_type[_n_video] = _keep_str(vtype)
        _video_first[_n_video] = m
        _video_count[_n_video] = len(pairs)
        for name, value in pairs:
            if m >= MAX_VIDEO_ATTRS:
                raise ImportError("video defaults too large for the core")
            _video_attr[m] = _keep_str(name)
            _video_value[m] = _keep_str(value)
            m += 1
        _n_video += 1
    _device_rank = dict(DEVICE_ORDER)
    return 0


cdef int _layout_of(const char* bus) noexcept:
    cdef int k
    if bus is NULL:
        return -1
    for k in range(_n_layout):
        if strcmp(_layout_bus[k], bus) == 0:
            return k
    return -1


#: default port of a network disk host, per protocol (libvirt fills it in when absent)
NETWORK_DISK_PORTS = {
    "nbd": "10809", "iscsi": "3260", "gluster": "24007", "sheepdog": "7000", "http": "80",
    "https": "443", "ftp": "21", "ftps": "990", "tftp": "69", "ssh": "22", "vxhs": "9999",
}  # fmt: skip

cdef const char* _port_protocol[MAX_ROWS]
cdef const char* _disk_port_value[MAX_ROWS]
cdef int _n_ports = 0
for _proto, _port in NETWORK_DISK_PORTS.items():
    _port_protocol[_n_ports] = _keep_str(_proto)
    _disk_port_value[_n_ports] = _keep_str(_port)
    _n_ports += 1


cdef const char* _network_disk_port(const char* protocol) noexcept:
    cdef int k
    if protocol is NULL:
        return NULL
    for k in range(_n_ports):
        if strcmp(_port_protocol[k], protocol) == 0:
            return _disk_port_value[k]
    return NULL


#: companion USB controllers and the first port each takes on its EHCI master
USB_COMPANION_PORTS = {"ich9-uhci1": "0", "ich9-uhci2": "2", "ich9-uhci3": "4"}


cdef const char* _usb_companion_port(const char* model) noexcept:
    if model is NULL:
        return NULL
    if strcmp(model, "ich9-uhci1") == 0:
        return "0"
    if strcmp(model, "ich9-uhci2") == 0:
        return "2"
    if strcmp(model, "ich9-uhci3") == 0:
        return "4"
    return NULL


#: NIC models libvirt knows (matched without case, written in this spelling)
NET_MODELS = {m.lower(): m for m in (
    "virtio", "virtio-transitional", "virtio-non-transitional", "e1000", "e1000e", "igb",
    "rtl8139", "netfront", "usb-net", "spapr-vlan", "lan9118", "smc91c111", "vlance", "vmxnet",
    "vmxnet2", "vmxnet3", "Am79C970A", "Am79C973", "82540EM", "82545EM", "82543GC",
)}  # fmt: skip

cdef const char* _net_models[MAX_ROWS]
cdef int _n_net_models = 0
for _model in NET_MODELS.values():
    _net_models[_n_net_models] = _keep_str(_model)
    _n_net_models += 1


cdef extern from "<strings.h>":
    int strcasecmp(const char* a, const char* b) noexcept


cdef bint _is_ascii(const char* s) noexcept:
    while s[0] != 0:
        if <unsigned char>s[0] >= 128:
            return False
        s += 1
    return True


# -- device kinds present ---------------------------------------------------------------------

cdef enum:
    K_DISK = 1 << 0
    K_CONTROLLER = 1 << 1
    K_INTERFACE = 1 << 2
    K_SERIAL = 1 << 3
    K_CONSOLE = 1 << 4
    K_PARALLEL = 1 << 5
    K_CHANNEL = 1 << 6
    K_REDIRDEV = 1 << 7
    K_SMARTCARD = 1 << 8
    K_INPUT = 1 << 9
    K_GRAPHICS = 1 << 10
    K_VIDEO = 1 << 11
    K_HOSTDEV = 1 << 12
    K_FILESYSTEM = 1 << 13
    K_WATCHDOG = 1 << 14
    K_PANIC = 1 << 15
    K_SHMEM = 1 << 16
    K_RNG = 1 << 17
    K_REDIRFILTER = 1 << 18
    K_EMULATOR = 1 << 19
    K_MEMBALLOON = 1 << 20
    K_NVRAM = 1 << 21
    K_IOMMU = 1 << 22
    K_VSOCK = 1 << 23
    K_TPM = 1 << 24

cdef enum:
    K_CHR = K_SERIAL | K_PARALLEL | K_CONSOLE | K_CHANNEL | K_REDIRDEV | K_SMARTCARD
    K_IMPLICIT_TRIGGERS = K_CHANNEL | K_CONSOLE | K_SMARTCARD | K_HOSTDEV


cdef unsigned _kind(const char* name) noexcept:
    cdef char c0 = name[0]
    if c0 == b'd':
        if strcmp(name, "disk") == 0:
            return K_DISK
    elif c0 == b'c':
        if strcmp(name, "controller") == 0:
            return K_CONTROLLER
        if strcmp(name, "console") == 0:
            return K_CONSOLE
        if strcmp(name, "channel") == 0:
            return K_CHANNEL
    elif c0 == b'i':
        if strcmp(name, "interface") == 0:
            return K_INTERFACE
        if strcmp(name, "input") == 0:
            return K_INPUT
        if strcmp(name, "iommu") == 0:
            return K_IOMMU
    elif c0 == b's':
        if strcmp(name, "serial") == 0:
            return K_SERIAL
        if strcmp(name, "smartcard") == 0:
            return K_SMARTCARD
        if strcmp(name, "shmem") == 0:
            return K_SHMEM
    elif c0 == b'p':
        if strcmp(name, "parallel") == 0:
            return K_PARALLEL
        if strcmp(name, "panic") == 0:
            return K_PANIC
    elif c0 == b'r':
        if strcmp(name, "rng") == 0:
            return K_RNG
        if strcmp(name, "redirdev") == 0:
            return K_REDIRDEV
        if strcmp(name, "redirfilter") == 0:
            return K_REDIRFILTER
    elif c0 == b'g':
        if strcmp(name, "graphics") == 0:
            return K_GRAPHICS
    elif c0 == b'v':
        if strcmp(name, "video") == 0:
            return K_VIDEO
        if strcmp(name, "vsock") == 0:
            return K_VSOCK
    elif c0 == b'm':
        if strcmp(name, "memballoon") == 0:
            return K_MEMBALLOON
    elif c0 == b'n':
        if strcmp(name, "nvram") == 0:
            return K_NVRAM
    elif c0 == b'h':
        if strcmp(name, "hostdev") == 0:
            return K_HOSTDEV
    elif c0 == b'f':
        if strcmp(name, "filesystem") == 0:
            return K_FILESYSTEM
    elif c0 == b'w':
        if strcmp(name, "watchdog") == 0:
            return K_WATCHDOG
    elif c0 == b'e':
        if strcmp(name, "emulator") == 0:
            return K_EMULATOR
    elif c0 == b't':
        if strcmp(name, "tpm") == 0:
            return K_TPM
    return 0


# ---------------------------------------------------------------------------------------------
# addresses

def c_uint(str text):
    """strtoul in base 0 as libvirt's virStrToLong_uip/ullp read it (hex with 0x, octal with
    a leading 0, else decimal; leading blanks and '+' read, trailing ones and any '-' not),
    up to 64 bits as the C path reads them; None if refused."""
    return str_to_uint(text, 0, bits=64)


#: per address type: attribute -> (printf format, default when absent or None to leave out,
#: limit); libvirt reads the numbers in any C base and writes each type in this spelling
ADDRESS_FORMATS = {
    "pci": (
        ("domain", "0x%04x", 0, 0xFFFF),
        ("bus", "0x%02x", 0, 0xFF),
        ("slot", "0x%02x", 0, 0x1F),
        ("function", "0x%x", 0, 7),
    ),
    "drive": (
        ("controller", "%d", 0, None),
        ("bus", "%d", 0, None),
        ("target", "%d", 0, None),
        ("unit", "%d", 0, None),
    ),
    "virtio-serial": (
        ("controller", "%d", 0, None),
        ("bus", "%d", 0, None),
        ("port", "%d", 0, None),
    ),
    "ccw": (
        ("cssid", "0x%x", 0, 0xFF),
        ("ssid", "0x%x", 0, 0x3),
        ("devno", "0x%04x", 0, 0xFFFF),
    ),
    "spapr-vio": (("reg", "0x%08x", None, None),),
    "ccid": (("controller", "%d", 0, None), ("slot", "%d", 0, None)),
    "isa": (("iobase", "0x%x", None, None), ("irq", "0x%x", None, None)),
    "dimm": (("slot", "%d", 0, None), ("base", "0x%x", None, None)),
}

#: the address types libvirt reads in base 10 only (virXMLPropUInt with base 10: "0x10" is
#: refused, " 1" and "+1" are 1) and writes as C ints ("%d": 4294967295 is -1)
DECIMAL_ADDRESS_TYPES = frozenset({"drive", "virtio-serial"})


def _spelling(str fmt):
    """(hex, width) of one of the table's printf formats ("0x%04x", "%d")."""
    if fmt.startswith("0x%") and fmt.endswith("x"):
        return True, int(fmt[3:len(fmt) - 1] or "0")
    if fmt.startswith("%") and fmt.endswith("d"):
        return False, int(fmt[1:len(fmt) - 1] or "0")
    raise ImportError(f"address spelling {fmt!r} unknown to the core")


cdef const char* _DIGITS = "0123456789abcdef"


@cython.cdivision(True)
cdef void _spell(char* out, unsigned long long value, bint hex, int width) noexcept:
    """``value`` as "0x" + zero-padded lowercase hex, or zero-padded decimal (out: 32 bytes;
    values come from _simple_uint, below 2**58)."""
    cdef char digits[24]
    cdef int n = 0, k = 0
    cdef unsigned int base = 16 if hex else 10
    while True:
        digits[n] = _DIGITS[value % base]
        value //= base
        n += 1
        if value == 0:
            break
    if hex:
        out[0] = 48
        out[1] = 120
        k = 2
    while width > n:
        out[k] = 48
        k += 1
        width -= 1
    while n > 0:
        n -= 1
        out[k] = digits[n]
        k += 1
    out[k] = 0


cdef struct AddrField:
    const char* name
    bint hex           # the spelling: "0x" then lowercase hex digits, else decimal
    int width          # zero-padded to this many digits
    long long deflt    # < 0: none (left out when absent)
    long long limit    # < 0: none

cdef struct AddrSpec:
    const char* atype
    int count
    bint pci
    bint ccw
    bint decimal       # read in base 10 only (DECIMAL_ADDRESS_TYPES)
    AddrField fields[4]

cdef AddrSpec _addr_specs[16]
cdef int _n_addr_specs = 0
cdef const char* _pci_names[4]

for _atype, _spec in ADDRESS_FORMATS.items():
    _addr_specs[_n_addr_specs].atype = _keep_str(_atype)
    _addr_specs[_n_addr_specs].count = len(_spec)
    _addr_specs[_n_addr_specs].pci = _atype == "pci"
    _addr_specs[_n_addr_specs].ccw = _atype == "ccw"
    _addr_specs[_n_addr_specs].decimal = _atype in DECIMAL_ADDRESS_TYPES
    for _k, (_name, _format, _default, _limit) in enumerate(_spec):
        _addr_specs[_n_addr_specs].fields[_k].name = _keep_str(_name)
        _addr_specs[_n_addr_specs].fields[_k].hex, _addr_specs[_n_addr_specs].fields[_k].width = _spelling(_format)
        _addr_specs[_n_addr_specs].fields[_k].deflt = -1 if _default is None else _default
        _addr_specs[_n_addr_specs].fields[_k].limit = -1 if _limit is None else _limit
        if _atype == "pci":
            _pci_names[_k] = _addr_specs[_n_addr_specs].fields[_k].name
    _n_addr_specs += 1


cdef bint _simple_uint(const char* s, unsigned long long* out) noexcept:
    """C's strtoul(s, 0) for the plain spellings only ('12', '0x1f', '017', below 2**58);
    False for anything else (signs, blanks, malformed or huge numbers): the general path
    then reads it, with libvirt's wording for every bad value."""
    cdef unsigned long long v = 0
    cdef size_t n = strlen(s), i
    cdef unsigned char ch
    if n == 0:
        return False
    if n > 2 and s[0] == 48 and (s[1] == 120 or s[1] == 88):
        for i in range(2, n):
            ch = s[i]
            if v >> 54:
                return False
            if 48 <= ch <= 57:
                v = v * 16 + (ch - 48)
            elif 97 <= ch <= 102:
                v = v * 16 + (ch - 97 + 10)
            elif 65 <= ch <= 70:
                v = v * 16 + (ch - 65 + 10)
            else:
                return False
    elif s[0] == 48 and n > 1:
        for i in range(1, n):
            ch = s[i]
            if v >> 54 or not (48 <= ch <= 55):
                return False
            v = v * 8 + (ch - 48)
    else:
        for i in range(n):
            ch = s[i]
            if v >> 54 or not (48 <= ch <= 57):
                return False
            v = v * 10 + (ch - 48)
    out[0] = v
    return True


cdef bint _plain_decimal(const char* s, unsigned long long* out) noexcept:
    """ASCII decimal digits only, below 2**31 (so "%d" writes them back as read, leading zeros
    aside); False for anything else, which the general path reads."""
    cdef unsigned long long v = 0
    cdef size_t i, n = strlen(s)
    if n == 0 or n > 9:
        return False
    for i in range(n):
        if not (48 <= s[i] <= 57):
            return False
        v = v * 10 + (s[i] - 48)
    out[0] = v
    return True


cdef bint _simple_attr(Node n, const char* name, unsigned long long* out, bint* present) noexcept:
    """Attribute ``name`` absent (``present`` False) or one plain number (``out``)."""
    cdef tree.xmlAttr* a = find_attr(n, name)
    cdef Node t
    present[0] = a is not NULL
    if a is NULL:
        return True
    t = a.children
    if t is NULL or t.next is not NULL or t.content is NULL:
        return False
    return _simple_uint(<const char*>t.content, out)


cdef int _respell_fast(Node addr, bint zero_empty) except -1:
    """Respell the plain spellings of an address in C.

    Returns 1 when done (or when the type has no spelling), 2 for an all-zero PCI address
    the caller empties (``zero_empty``), 0 when the general path must run (an unusual
    spelling, a PCI value over its limit): nothing has changed then.
    """
    cdef tree.xmlAttr* a = find_attr(addr, "type")
    cdef Node t
    cdef Node zpci = NULL
    cdef const char* atype
    cdef const char* raw
    cdef AddrSpec* spec = NULL
    cdef unsigned long long value, uid = 0, fid = 0
    cdef char text[4][32]
    cdef int which[4]
    cdef int k, nchanges = 0, given = 0
    cdef bint all_zero = True, present
    if a is NULL or a.children is NULL:
        return 1
    t = a.children
    if t.next is not NULL or t.content is NULL:
        return 0
    atype = <const char*>t.content
    for k in range(_n_addr_specs):
        if strcmp(_addr_specs[k].atype, atype) == 0:
            spec = &_addr_specs[k]
            break
    if spec is NULL:
        return 1
    if spec.ccw:
        for k in range(spec.count):
            if find_attr(addr, spec.fields[k].name) is not NULL:
                given += 1
        if 0 < given < spec.count:
            raise _err(ErrorNumber.INTERNAL_ERROR, "Invalid partial specification for virtio ccw address")
    if spec.pci:
        zpci = child_named(addr, "zpci")
        if zpci is not NULL and not (_simple_attr(zpci, "uid", &uid, &present)
                                     and _simple_attr(zpci, "fid", &fid, &present)):
            return 0
    for k in range(spec.count):
        a = find_attr(addr, spec.fields[k].name)
        if a is NULL:
            if spec.fields[k].deflt < 0:
                continue
            value = <unsigned long long>spec.fields[k].deflt
            raw = NULL
        else:
            t = a.children
            if t is NULL or t.next is not NULL or t.content is NULL:
                return 0
            raw = <const char*>t.content
            if spec.decimal:
                if not _plain_decimal(raw, &value):
                    return 0
            elif not _simple_uint(raw, &value):
                return 0
            if spec.pci and spec.fields[k].limit >= 0 and value > <unsigned long long>spec.fields[k].limit:
                return 0
        if value:
            all_zero = False
        _spell(text[nchanges], value, spec.fields[k].hex, spec.fields[k].width)
        if raw is NULL or strcmp(raw, text[nchanges]) != 0:
            which[nchanges] = k
            nchanges += 1
    if zpci is not NULL:
        # s390 PCI ids: both written, uid as 0x%04x and fid as 0x%08x (0 when absent)
        _clear_attrs(zpci)
        _set_hex(zpci, "uid", 4, uid)
        _set_hex(zpci, "fid", 8, fid)
    if spec.pci and zero_empty and all_zero:
        return 2
    for k in range(nchanges):
        set_attr(addr, spec.fields[which[k]].name, text[k])
    return 1


cdef int _set_hex(Node n, const char* name, int width, unsigned long long value) except -1:
    cdef char text[32]
    _spell(text, value, True, width)
    return set_attr(n, name, text)


cdef int _respell(_Document doc, Node addr, bint zero_empty) except -1:
    """One address in libvirt's spelling (the C path, else the general one)."""
    cdef int code = _respell_fast(addr, zero_empty)
    cdef int k
    if code == 2:
        # an all-zero PCI address is "not assigned yet": libvirt writes only the type
        for k in range(4):
            del_attr(addr, _pci_names[k])
    elif code == 0:
        normalize_address_python(proxy(doc, addr), zero_empty)
    return 0


def normalize_address_python(_Element addr not None, bint zero_empty=True):
    """The general respelling of one address (any spelling strtoul reads, libvirt's errors
    for the rest): what the C path hands over, and its reference in the tests."""
    atype = addr.get("type")
    spec = ADDRESS_FORMATS.get(atype or "")
    if spec is None:
        return
    changes = []
    all_zero = True
    if atype == "ccw":
        given = sum(addr.get(name) is not None for name in ("cssid", "ssid", "devno"))
        if 0 < given < 3:
            raise _err(ErrorNumber.INTERNAL_ERROR, "Invalid partial specification for virtio ccw address")
    if atype == "pci":
        zpci = child_named(addr._c_node, "zpci")
        if zpci is not NULL:
            _normalize_zpci(proxy(addr._doc, zpci))
    for name, fmt, default, limit in spec:
        raw = addr.get(name)
        if raw is None:
            if default is None:
                continue
            value = default
            text = fmt % value
        elif atype in DECIMAL_ADDRESS_TYPES:
            value = uint_prop(raw, name, "address")
            text = fmt % (value - (1 << 32) if value >> 31 else value)  # written as a C int
        else:
            value = c_uint(raw)
            if value is None or (atype == "pci" and value > 0xFFFFFFFF):  # PCI: virXMLPropUInt
                raise _bad_number(name, raw)
            if limit is not None and value > limit and atype == "pci":
                raise virt_error(
                    ErrorNumber.XML_ERROR,
                    f"Invalid PCI address {name}='0x{value:x}', must be <= 0x{limit:X}",
                    domain=ErrorDomain.DOMAIN,
                )
            text = fmt % value
        if value:
            all_zero = False
        if text != raw:
            changes.append((name, text))
    if zero_empty and atype == "pci" and all_zero:
        for field in spec:
            addr.attrib.pop(field[0], None)
        return
    for name, text in changes:
        addr.set(name, text)


def _normalize_zpci(zpci):
    """s390 PCI ids: both written, uid as 0x%04x and fid as 0x%08x (0 when absent)."""
    values = []
    for name, fmt in (("uid", "0x%04x"), ("fid", "0x%08x")):
        raw = zpci.get(name)
        value = 0 if raw is None else c_uint(raw)
        if value is None:
            raise _bad_number(name, raw or "")
        values.append((name, fmt % value))
    zpci.attrib.clear()
    for name, text in values:
        zpci.set(name, text)


def _bad_number(name, raw):
    """libvirt's virXMLPropUInt wording for a number it cannot read."""
    return invalid_prop(name, "zpci" if name in ("uid", "fid") else "address", raw,
                        "Expected non-negative integer value")


def normalize_all(_Element devices not None):
    """Respell every device's own address below ``devices`` (``devices/*/address``); deeper
    ones (a host device's source address ...) have other spellings."""
    cdef _Document doc = devices._doc
    cdef Node dev = devices._c_node.children
    cdef Node c
    while dev is not NULL:
        if dev.type == tree.XML_ELEMENT_NODE:
            c = dev.children
            while c is not NULL:
                if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and strcmp(<const char*>c.name, "address") == 0:
                    _respell(doc, c, True)
                c = c.next
        dev = dev.next


# ---------------------------------------------------------------------------------------------
# insertion order (virDomainDiskInsert / virDomainControllerInsert)

cdef struct OrderKey:
    const char* group   # NULL: no group given (all such items form one group)
    long long index
    bint has_index
    bint companion


cdef struct GroupIndex:
    int gid
    long long index


cdef struct Scratch:
    # per item
    OrderKey* keys
    Py_ssize_t* order
    int* gid
    GroupIndex* pairs
    # per group
    Py_ssize_t* first
    Py_ssize_t* last
    long long* top
    char* flags
    void* block


cdef int scratch_init(Scratch* s, Py_ssize_t n) except -1:
    """Working arrays for ``n`` items (one allocation)."""
    cdef size_t per = (sizeof(OrderKey) + sizeof(Py_ssize_t) * 3 + sizeof(long long)
                       + sizeof(int) + sizeof(GroupIndex) + 1)
    cdef char* p
    s.block = PyMem_Malloc(per * (n + 1) + 64)
    if s.block is NULL:
        raise MemoryError()
    p = <char*>s.block
    s.keys = <OrderKey*>p
    p += sizeof(OrderKey) * (n + 1)
    s.pairs = <GroupIndex*>p
    p += sizeof(GroupIndex) * (n + 1)
    s.order = <Py_ssize_t*>p
    p += sizeof(Py_ssize_t) * (n + 1)
    s.first = <Py_ssize_t*>p
    p += sizeof(Py_ssize_t) * (n + 1)
    s.last = <Py_ssize_t*>p
    p += sizeof(Py_ssize_t) * (n + 1)
    s.top = <long long*>p
    p += sizeof(long long) * (n + 1)
    s.gid = <int*>p
    p += sizeof(int) * (n + 1)
    s.flags = p
    return 0


cdef inline void scratch_free(Scratch* s) noexcept:
    PyMem_Free(s.block)
    s.block = NULL


cdef inline bint _same_group(const char* a, const char* b) noexcept:
    if a is NULL or b is NULL:
        return a is NULL and b is NULL
    return strcmp(a, b) == 0


cdef Py_ssize_t _group_ids(OrderKey* keys, Py_ssize_t n, int* gid, Py_ssize_t* first) noexcept:
    """Number the distinct groups (``gid[i]``); ``first[g]`` is group g's first item."""
    cdef Py_ssize_t i, g, ng = 0
    for i in range(n):
        for g in range(ng):
            if _same_group(keys[first[g]].group, keys[i].group):
                gid[i] = <int>g
                break
        else:
            first[ng] = i
            gid[i] = <int>ng
            ng += 1
    return ng


cdef void _insertion_order(OrderKey* keys, Py_ssize_t n, Py_ssize_t* order, Scratch* s) noexcept:
    """libvirt's insertion order of a device array: each item goes after the last earlier
    item of its group, or before the first such item with a greater index (for a USB master,
    before a companion with the same index); ``order`` gets the items' positions.

    An item without index, or with an index above all of its group's so far, goes right
    after its group's last item (tracked per group); only the others scan the array.
    """
    cdef Py_ssize_t i, pos, at, m = 0, g, h, ng
    cdef int* gid = s.gid
    cdef Py_ssize_t* lastpos = s.last
    cdef long long* top = s.top
    cdef char* has_top = s.flags
    cdef OrderKey* key
    cdef OrderKey* other
    ng = _group_ids(keys, n, gid, s.first)
    for g in range(ng):
        lastpos[g] = -1
        has_top[g] = 0
    for i in range(n):
        key = &keys[i]
        g = gid[i]
        if lastpos[g] < 0:
            at = m
        elif not key.has_index or not has_top[g] or key.index > top[g]:
            at = lastpos[g] + 1
        else:
            at = -1
            pos = m - 1
            while pos >= 0:
                if gid[order[pos]] == g:
                    other = &keys[order[pos]]
                    if other.has_index and other.index > key.index:
                        at = pos
                    elif not key.companion and other.companion and other.has_index and other.index == key.index:
                        at = pos
                    elif at == -1:
                        at = pos + 1
                pos -= 1
            if at == -1:
                at = m
        pos = m
        while pos > at:
            order[pos] = order[pos - 1]
            pos -= 1
        order[at] = i
        m += 1
        for h in range(ng):
            if lastpos[h] >= at:
                lastpos[h] += 1
        if at > lastpos[g]:
            lastpos[g] = at
        if key.has_index and (not has_top[g] or key.index > top[g]):
            top[g] = key.index
            has_top[g] = 1


def insertion_order_py(list keys not None):
    """The insertion order in Python, for any size of index: the reference of the C order
    and its fallback for an index beyond 64 bits. ``keys`` holds ``(group, index or None,
    companion)`` per item in document order; returns their positions in libvirt's order."""
    out = []
    for position, (group, index, companion) in enumerate(keys):
        at = -1
        for pos in range(len(out) - 1, -1, -1):
            other_group, other_index, other_companion, _ = out[pos]
            if other_group != group:
                continue
            if index is None:
                at = pos + 1
                break
            if other_index is not None and other_index > index:
                at = pos
            elif not companion and other_companion and other_index == index:
                at = pos
            elif at == -1:
                at = pos + 1
        entry = (group, index, companion, position)
        if at == -1:
            out.append(entry)
        else:
            out.insert(at, entry)
    return [entry[3] for entry in out]


cdef int _permute(Node parent, Node* old, Py_ssize_t* order, Py_ssize_t n) except -1:
    """Put ``old[order[k]]`` where ``old[k]`` is (``old`` in document order); no node is
    copied, so element objects a user holds stay valid."""
    cdef NodeList kids
    cdef Node c = parent.children
    cdef Py_ssize_t k = 0
    nl_init(&kids)
    try:
        while c is not NULL:
            if k < n and c == old[k]:
                nl_push(&kids, old[order[k]])
                k += 1
            else:
                nl_push(&kids, c)
            c = c.next
        relink_children(parent, kids.items, kids.n)
    finally:
        nl_free(&kids)
    return 0


# ---------------------------------------------------------------------------------------------
# (type, index) of the controllers present, for the implicit-controller step

cdef struct CtrlSet:
    Py_ssize_t n
    Py_ssize_t cap
    int* kind
    long long* index
    int kind_local[32]
    long long index_local[32]


cdef inline void cs_init(CtrlSet* s) noexcept:
    s.n = 0
    s.cap = 32
    s.kind = s.kind_local
    s.index = s.index_local


cdef inline void cs_free(CtrlSet* s) noexcept:
    if s.kind != s.kind_local:
        PyMem_Free(s.kind)
        PyMem_Free(s.index)
    cs_init(s)


cdef bint cs_has(CtrlSet* s, int kind, long long index) noexcept:
    cdef Py_ssize_t k
    for k in range(s.n):
        if s.kind[k] == kind and s.index[k] == index:
            return True
    return False


cdef int cs_add(CtrlSet* s, int kind, long long index) except -1:
    if kind < 0 or cs_has(s, kind, index):
        return 0
    return cs_push(s, kind, index)


cdef int cs_push(CtrlSet* s, int kind, long long index) except -1:
    """Add a pair known to be absent."""
    cdef int* kinds
    cdef long long* indexes
    if s.n == s.cap:
        kinds = <int*>PyMem_Malloc(2 * s.cap * sizeof(int))
        indexes = <long long*>PyMem_Malloc(2 * s.cap * sizeof(long long))
        if kinds is NULL or indexes is NULL:
            PyMem_Free(kinds)
            PyMem_Free(indexes)
            raise MemoryError()
        memcpy(kinds, s.kind, s.n * sizeof(int))
        memcpy(indexes, s.index, s.n * sizeof(long long))
        if s.kind != s.kind_local:
            PyMem_Free(s.kind)
            PyMem_Free(s.index)
        s.kind = kinds
        s.index = indexes
        s.cap *= 2
    s.kind[s.n] = kind
    s.index[s.n] = index
    s.n += 1
    return 0


# ---------------------------------------------------------------------------------------------
# the device step

# -- device numbers: libvirt's C readers, one table ------------------------------------------
# libvirt 9.0 reads these device numbers with its C readers (virXMLPropUInt/Int/ULongLong,
# virStrToLong_uip, virXPathULongLong) and writes the value back in plain decimal, so the
# input spelling (" 1", "+1", "010") never survives. One table row per attribute: where it
# is, how it is read, and libvirt's wording when it is refused (each confirmed live against
# libvirt 9.0's test driver, tests/test_domain_devices_numbers.py).

cdef enum NumKind:
    NUM_UINT = 0    # virStrToLong_uip: no '-' at all, <= UINT_MAX
    NUM_INT = 1     # virStrToLong_i: a C int, sign allowed
    NUM_ULL = 2     # virStrToLong_ullp: no '-' at all, <= ULLONG_MAX
    NUM_UINT_WRAP = 3  # virStrToLong_ui: '-N' read as the unsigned int 2**32 - N

cdef enum NumWording:
    WORD_PROP_UINT = 0  # "Invalid value for attribute ... Expected non-negative integer value"
    WORD_PROP_INT = 1   # "... Expected integer value" / "Expected non-negative value"
    WORD_FIXED = 2      # the row's own text
    WORD_NAMED = 3      # the row's text with the attribute name then the value quoted
    WORD_NAMED_INTERNAL = 4  # as NAMED, raised as an internal error
    WORD_NAMED_FIELD = 5  # the row's text, the element's name, "' must be an integer"
    WORD_TEXT_VALUE = 6  # the row's text then the value

cdef enum ZeroAction:
    ZERO_KEEP = 0         # written as "0"
    ZERO_DROP_ATTR = 1    # not written (an element left with nothing goes too)
    ZERO_DROP_HOLDER = 2  # the whole element holding it is not written
    ZERO_DROP_NONPOS = 3  # C ints: not written unless > 0

cdef struct NumRule:
    const char* device      # the device element
    const char* dev_type    # the device's type this row is for (NULL: any)
    const char* child       # its child holding the number (NULL: the device itself)
    const char* grandchild  # and the child of that (NULL: none)
    const char* holder_type # the type the element holding the number must have (NULL: any)
    bint u16                # kept as a C unsigned short (65536 is 0)
    const char* name        # the attribute (NULL: the child's text)
    int kind
    int base
    bint nonzero            # VIR_XML_PROP_NONZERO: "Zero is not permitted"
    bint nonnegative        # VIR_XML_PROP_NONNEGATIVE (C ints)
    bint empty_absent       # read through XPath string(): an empty value is no value (0)
    bint as_int             # written as a C int ("%d": 4294967295 is -1)
    bint pow2               # rounded up to a power of two (past 2**31: 0, unset)
    int on_zero             # what libvirt writes for 0 ("unset"): ZERO_KEEP / _DROP_ATTR / _DROP_HOLDER
    int wording
    const char* text

cdef NumRule _num_rules[40]
cdef long long _scratch_value = 0
cdef int _n_num_rules = 0


cdef void _num_rule(const char* device, const char* child, const char* name, int kind, int base,
                    bint nonzero, bint nonnegative, bint empty_absent, int on_zero,
                    int wording, const char* text) noexcept:
    global _n_num_rules
    cdef NumRule* r = &_num_rules[_n_num_rules]
    r.device = device
    r.child = child
    r.name = name
    r.kind = kind
    r.base = base
    r.nonzero = nonzero
    r.nonnegative = nonnegative
    r.empty_absent = empty_absent
    r.on_zero = on_zero
    r.pow2 = False
    r.as_int = False
    r.dev_type = NULL
    r.grandchild = NULL
    r.holder_type = NULL
    r.u16 = False
    r.wording = wording
    r.text = text
    _n_num_rules += 1


cdef void _load_num_rules() noexcept:
    # columns: device, child, attribute, kind, base, nonzero, nonnegative, empty is absent,
    # what 0 writes, wording (and its text)
    # disks
    _num_rule("disk", "driver", "iothread", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _num_rule("disk", "driver", "queues", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR, WORD_PROP_UINT, NULL)
    _num_rule("disk", "geometry", "cyls", NUM_UINT, 10, False, False, False, ZERO_DROP_HOLDER,
              WORD_PROP_UINT, NULL)
    _num_rule("disk", "geometry", "heads", NUM_UINT, 10, False, False, False, ZERO_DROP_HOLDER,
              WORD_PROP_UINT, NULL)
    _num_rule("disk", "geometry", "secs", NUM_UINT, 10, False, False, False, ZERO_DROP_HOLDER,
              WORD_PROP_UINT, NULL)
    _num_rule("disk", "blockio", "logical_block_size", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    _num_rule("disk", "blockio", "physical_block_size", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    _num_rule("disk", "boot", "order", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    # <iotune>: each child's text (but group_name), by virXPathULongLong
    _num_rule("disk", "iotune", NULL, NUM_ULL, 10, False, False, True, ZERO_DROP_ATTR, WORD_NAMED_FIELD,
              "disk iotune field '")
    # controllers
    _num_rule("controller", NULL, "ports", NUM_INT, 10, False, True, False, ZERO_KEEP, WORD_PROP_INT, NULL)
    _num_rule("controller", NULL, "vectors", NUM_INT, 10, False, True, False, ZERO_KEEP, WORD_PROP_INT, NULL)
    _num_rule("controller", "driver", "queues", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    _num_rule("controller", "driver", "iothread", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    # network interfaces
    _num_rule("interface", "mtu", "size", NUM_UINT, 10, False, False, True, ZERO_DROP_HOLDER, WORD_FIXED,
              "malformed mtu size")
    _num_rule("interface", "driver", "rx_queue_size", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    _num_rule("interface", "driver", "tx_queue_size", NUM_UINT, 10, False, False, False, ZERO_DROP_ATTR,
              WORD_PROP_UINT, NULL)
    _num_rule("interface", "boot", "order", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    # character devices' target ports: -1 (4294967295) is "unset", a free port is assigned
    _num_rule("parallel", "target", "port", NUM_UINT_WRAP, 10, False, False, False, ZERO_KEEP, WORD_TEXT_VALUE,
              "Invalid port number: ")
    _under(NULL, NULL, True)
    _num_rule("serial", "target", "port", NUM_UINT_WRAP, 10, False, False, False, ZERO_KEEP, WORD_TEXT_VALUE,
              "Invalid port number: ")
    _under(NULL, NULL, True)
    _num_rule("console", "target", "port", NUM_UINT_WRAP, 10, False, False, False, ZERO_KEEP, WORD_TEXT_VALUE,
              "Invalid port number: ")
    _under(NULL, NULL, True)
    # a guestfwd channel's port: virXMLPropUInt, then an unsigned short
    _num_rule("channel", "target", "port", NUM_UINT, 10, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _num_rules[_n_num_rules - 1].holder_type = "guestfwd"
    _num_rules[_n_num_rules - 1].u16 = True
    # video (a 0 is "unset": the type's default follows; heads 0 is kept for the video step)
    _num_rule("video", "model", "vram", NUM_UINT, 10, False, False, True, ZERO_DROP_ATTR, WORD_NAMED,
              "cannot parse video ")
    _num_rule("video", "model", "ram", NUM_UINT, 10, False, False, True, ZERO_DROP_ATTR, WORD_NAMED,
              "cannot parse video ")
    _num_rules[_n_num_rules - 2].pow2 = _num_rules[_n_num_rules - 1].pow2 = True  # vram, ram
    _num_rule("video", "model", "vgamem", NUM_UINT, 10, False, False, True, ZERO_DROP_ATTR, WORD_NAMED,
              "cannot parse video ")
    _num_rule("video", "model", "vram64", NUM_UINT, 10, False, False, True, ZERO_DROP_ATTR, WORD_NAMED,
              "cannot parse video ")
    _num_rule("video", "model", "heads", NUM_UINT, 10, False, False, True, ZERO_KEEP, WORD_NAMED_INTERNAL,
              "cannot parse video ")
    # host devices' sources: SCSI in any C base (unit an unsigned long long), USB in any C
    # base written as C ints
    _num_rule("hostdev", "source", "bus", NUM_UINT, 0, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _under("scsi", "address", False)
    _num_rule("hostdev", "source", "target", NUM_UINT, 0, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _under("scsi", "address", False)
    _num_rule("hostdev", "source", "unit", NUM_ULL, 0, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _under("scsi", "address", False)
    _num_rule("hostdev", "source", "bus", NUM_UINT, 0, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _under("usb", "address", True)
    _num_rule("hostdev", "source", "device", NUM_UINT, 0, False, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _under("usb", "address", True)
    _num_rule("hostdev", "boot", "order", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    # the memory balloon, RNG, vsock
    _num_rule("memballoon", "stats", "period", NUM_INT, 0, False, False, False, ZERO_DROP_NONPOS,
              WORD_PROP_INT, NULL)
    _num_rule("rng", "rate", "bytes", NUM_UINT, 10, False, False, True, ZERO_DROP_HOLDER, WORD_FIXED,
              "invalid RNG rate bytes value")
    _num_rule("rng", "rate", "period", NUM_UINT, 10, False, False, True, ZERO_DROP_ATTR, WORD_FIXED,
              "invalid RNG rate period value")
    _num_rule("redirdev", "boot", "order", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)
    _num_rule("vsock", "cid", "address", NUM_UINT, 10, True, False, False, ZERO_KEEP, WORD_PROP_UINT, NULL)


cdef void _under(const char* dev_type, const char* grandchild, bint as_int) noexcept:
    """The last row is for devices of ``dev_type`` only, its number one level deeper."""
    cdef NumRule* r = &_num_rules[_n_num_rules - 1]
    r.dev_type = dev_type
    r.grandchild = grandchild
    r.as_int = as_int


cdef bint _c_number(const char* s, int kind, int base, long long* out) noexcept:
    """strtoul/strtol (``base`` 10 or 0) on the whole of ``s`` with libvirt's checks for
    ``kind``; the value (an unsigned long long's bits for NUM_ULL) in ``out``."""
    cdef unsigned long long v = 0, limit, d
    cdef bint negative = False, digits = False, over = False
    while s[0] == 32 or 9 <= s[0] <= 13:
        s += 1
    if s[0] == 43 or s[0] == 45:
        negative = s[0] == 45
        s += 1
    if base == 0:
        if s[0] == 48 and (s[1] == 120 or s[1] == 88) and _hexval(s[2]) >= 0:
            base = 16
            s += 2
        elif s[0] == 48:
            base = 8
        else:
            base = 10
    while True:
        d = <unsigned long long>_hexval(s[0]) if _hexval(s[0]) >= 0 else 99
        if d >= <unsigned long long>base:
            break
        digits = True
        if v > (0xFFFFFFFFFFFFFFFF - d) // base:
            over = True
        else:
            v = v * base + d
        s += 1
    if not digits or s[0] != 0 or over:
        return False
    if kind == NUM_INT:
        limit = 0x80000000 if negative else 0x7FFFFFFF
        if v > limit:
            return False
        out[0] = -<long long>v if negative else <long long>v
        return True
    if kind == NUM_UINT_WRAP:
        if v > 0xFFFFFFFF:
            return False
        out[0] = <long long>((0x100000000 - v) & 0xFFFFFFFF) if negative else <long long>v
        return True
    if negative:
        return False
    if kind == NUM_UINT and v > 0xFFFFFFFF:
        return False
    out[0] = <long long>v
    return True


cdef long long _round_pow2(long long value) noexcept:
    """VIR_ROUND_UP_POWER_OF_TWO on a C unsigned int: past 2**31 it wraps to 0."""
    cdef long long p = 1
    while p < value:
        p <<= 1
    return 0 if p > 0x80000000 else p


cdef inline int _hexval(char ch) noexcept:
    if 48 <= ch <= 57:
        return ch - 48
    if 97 <= ch <= 102:
        return ch - 87
    if 65 <= ch <= 70:
        return ch - 55
    return -1


cdef object _number_error(NumRule* r, Node holder, const char* raw, bint zero):
    """libvirt's error for a refused number of rule ``r``."""
    cdef str element = ustr(<const char*>holder.name)
    cdef str name = ustr(r.name) if r.name is not NULL else ustr(<const char*>holder.name)
    if r.wording == WORD_PROP_UINT or r.wording == WORD_PROP_INT:
        if zero:
            return virt_error(ErrorNumber.XML_ERROR,
                              f"Invalid value for attribute '{name}' in element '{element}': Zero is not permitted",
                              domain=ErrorDomain.XML)
        if r.wording == WORD_PROP_UINT:
            return invalid_prop(name, element, ustr(raw), "Expected non-negative integer value")
        if r.nonnegative and _c_number(raw, NUM_INT, r.base, &_scratch_value):
            return invalid_prop(name, element, ustr(raw), "Expected non-negative value")
        return invalid_prop(name, element, ustr(raw), "Expected integer value")
    if r.wording == WORD_FIXED:
        return _err(ErrorNumber.XML_ERROR, ustr(r.text))
    if r.wording == WORD_TEXT_VALUE:
        return _err(ErrorNumber.XML_ERROR, ustr(r.text) + ustr(raw))
    if r.wording == WORD_NAMED_FIELD:
        return _err(ErrorNumber.XML_ERROR, f"{ustr(r.text)}{element}' must be an integer")
    if r.wording == WORD_NAMED_INTERNAL:
        return _err(ErrorNumber.INTERNAL_ERROR, f"{ustr(r.text)}{name} '{ustr(raw)}'")
    return _err(ErrorNumber.XML_ERROR, f"{ustr(r.text)}{name} '{ustr(raw)}'")


cdef int _group_first[16]   # per device kind of the table (in its order): its first row
cdef int _group_end[16]
cdef int _n_groups = 0
cdef int _group_by_char[128]        # a device name's first letter: its first kind, or -1
cdef int _group_same_char[16]       # the next kind with the same first letter, or -1
cdef unsigned long long _group_child_chars[16][2]  # the first letters of the kind's rows' children


cdef int _group_of(const char* name) noexcept:
    """The table's device kind named ``name``, or -1."""
    cdef int g = _group_by_char[<unsigned char>name[0] & 127]
    while g >= 0:
        if strcmp(name, _num_rules[_group_first[g]].device) == 0:
            return g
        g = _group_same_char[g]
    return -1


cdef inline bint _may_hold(int g, const char* name) noexcept:
    """Whether a child named ``name`` may be one of kind ``g``'s rows (by its first letter)."""
    cdef unsigned char ch = <unsigned char>name[0] & 127
    return (_group_child_chars[g][ch >> 6] >> (ch & 63)) & 1


cdef int _device_numbers(_Document doc, Node devs) except -1:
    """Every table number of every device read as libvirt reads it (refused with its error)
    and written back in decimal (or left out, as libvirt leaves out an unset 0).

    One pass in document order; when a number is refused, the pass by kind in libvirt's
    parse order (the table's order) finds the refusal libvirt meets first (what the first
    pass wrote is read back the same)."""
    cdef Node dev = devs.children
    cdef int g
    try:
        while dev is not NULL:
            if dev.type == tree.XML_ELEMENT_NODE:
                g = _group_of(<const char*>dev.name)
                if g >= 0:
                    _device_rows_fast(doc, dev, g)
            dev = dev.next
    except VirtError:
        for g in range(_n_groups):
            dev = devs.children
            while dev is not NULL:
                if dev.type == tree.XML_ELEMENT_NODE and _group_of(<const char*>dev.name) == g:
                    _device_rows(doc, dev, g)
                dev = dev.next
        raise
    return 0


cdef int _device_rows(_Document doc, Node dev, int g) except -1:
    """The table rows of kind ``g`` on one device."""
    cdef Node holder, field, nxt, drop = NULL
    cdef NumRule* r
    cdef int i
    cdef const char* dtype = attr(dev, "type")
    for i in range(_group_first[g], _group_end[g]):
        r = &_num_rules[i]
        if r.dev_type is not NULL and (dtype is NULL or strcmp(dtype, r.dev_type) != 0):
            continue
        holder = dev if r.child is NULL else child_named(dev, r.child)
        if holder is not NULL and r.grandchild is not NULL:
            holder = child_named(holder, r.grandchild)
        if holder is NULL or (r.holder_type is not NULL and not attr_is(holder, "type", r.holder_type)):
            continue
        if r.name is not NULL:
            if _number(doc, r, holder, holder) == 1:
                drop = holder
            continue
        field = first_elem(holder)  # each child's text
        while field is not NULL:
            nxt = next_elem(field)
            if strcmp(<const char*>field.name, "group_name") != 0:
                _number(doc, r, holder, field)
            field = nxt
        if first_elem(holder) is NULL:
            remove_node(doc, holder)
    if drop is not NULL:
        remove_node(doc, drop)
    return 0


cdef int _device_rows_fast(_Document doc, Node dev, int g) except -1:
    """:func:`_device_rows` visiting the device's children once (each row on the first
    child of its name, as libvirt reads it): most devices hold none of the numbers."""
    cdef Node c = dev.children, holder, field, nxt, after, drop = NULL
    cdef NumRule* r
    cdef int i, status, first = _group_first[g], end = _group_end[g]
    cdef unsigned done = 0  # the rows met (bit i - first)
    cdef const char* dtype = NULL
    cdef bint typed = False
    for i in range(first, end):
        r = &_num_rules[i]
        if r.child is NULL and r.name is not NULL and has_attr(dev, r.name):
            _number(doc, r, dev, dev)
    while c is not NULL:
        nxt = c.next
        if c.type == tree.XML_ELEMENT_NODE and _may_hold(g, <const char*>c.name):
            for i in range(first, end):
                r = &_num_rules[i]
                if r.child is NULL or done & (1u << (i - first)) or r.child[0] != c.name[0] \
                        or strcmp(r.child, <const char*>c.name) != 0:
                    continue
                done |= 1u << (i - first)
                if r.dev_type is not NULL:
                    if not typed:
                        dtype = attr(dev, "type")
                        typed = True
                    if dtype is NULL or strcmp(dtype, r.dev_type) != 0:
                        continue
                holder = c if r.grandchild is NULL else child_named(c, r.grandchild)
                if holder is NULL or (r.holder_type is not NULL and not attr_is(holder, "type", r.holder_type)):
                    continue
                if r.name is not NULL:
                    status = _number(doc, r, holder, holder)
                    if status == 1:
                        drop = holder
                    elif status == 2 and holder is c:
                        break  # the child is gone
                    continue
                field = first_elem(holder)  # each child's text
                while field is not NULL:
                    after = next_elem(field)
                    if strcmp(<const char*>field.name, "group_name") != 0:
                        _number(doc, r, holder, field)
                    field = after
                if first_elem(holder) is NULL:
                    remove_node(doc, holder)
                    if holder is c:
                        break
        c = nxt
    if drop is not NULL:
        remove_node(doc, drop)
    return 0


cdef void _load_groups() noexcept:
    """The table's device kinds: consecutive rows of one device."""
    global _n_groups
    cdef int first = 0, end, g, i, ch
    while first < _n_num_rules:
        end = first + 1
        while end < _n_num_rules and strcmp(_num_rules[end].device, _num_rules[first].device) == 0:
            end += 1
        _group_first[_n_groups] = first
        _group_end[_n_groups] = end
        _n_groups += 1
        first = end
    for ch in range(128):
        _group_by_char[ch] = -1
    for g in range(_n_groups - 1, -1, -1):
        ch = <unsigned char>_num_rules[_group_first[g]].device[0] & 127
        _group_same_char[g] = _group_by_char[ch]
        _group_by_char[ch] = g
        _group_child_chars[g][0] = _group_child_chars[g][1] = 0
        for i in range(_group_first[g], _group_end[g]):
            if _num_rules[i].child is not NULL:
                ch = <unsigned char>_num_rules[i].child[0] & 127
                _group_child_chars[g][ch >> 6] |= 1ULL << (ch & 63)


cdef int _number(_Document doc, NumRule* r, Node holder, Node field) except -1:
    """One number of rule ``r``: attribute ``r.name`` of ``holder``, or the text of ``field``;
    1 when ``holder`` is not written (libvirt reads the device's other numbers first), 2 when
    it was removed (an element left with nothing)."""
    cdef const char* raw = attr(holder, r.name) if r.name is not NULL else text(field)
    cdef long long value = 0
    cdef char spelled[32]
    if raw is NULL:
        if r.name is not NULL:
            return 0
        raw = ""
    if r.empty_absent and raw[0] == 0:  # no value: as 0, but kept 0s are left out
        if r.on_zero == ZERO_KEEP:
            del_attr(holder, r.name)
            return 0
    else:
        if not _c_number(raw, r.kind, r.base, &value) or (r.nonnegative and value < 0):
            raise _number_error(r, field, raw, False)
        if r.nonzero and value == 0:
            raise _number_error(r, field, raw, True)
        if r.pow2 and value > 0:
            value = _round_pow2(value)
        if r.u16:
            value &= 0xFFFF
        if r.kind == NUM_UINT_WRAP and value == 0xFFFFFFFF:  # the C int -1: unset
            del_attr(holder, r.name)
            return 0
    if value == 0 or (r.on_zero == ZERO_DROP_NONPOS and value < 0):
        if r.on_zero == ZERO_DROP_HOLDER:
            return 1  # dropped once the device's other numbers are read
        if r.on_zero != ZERO_KEEP:
            if r.name is NULL:
                remove_node(doc, field)
                return 0
            del_attr(holder, r.name)
            if holder.properties is NULL and first_elem(holder) is NULL and holder.parent.type == tree.XML_ELEMENT_NODE \
                    and strcmp(<const char*>holder.parent.name, "devices") != 0:
                remove_node(doc, holder)
                return 2
            return 0
    if r.kind == NUM_ULL:
        snprintf(spelled, 32, "%llu", <unsigned long long>value)
    elif r.as_int and value > 0x7FFFFFFF:
        _fmt(spelled, value - 0x100000000)
    else:
        _fmt(spelled, value)
    if strcmp(spelled, raw) != 0:
        if r.name is NULL:
            set_text(field, spelled)
        else:
            set_attr(holder, r.name, spelled)
    return 0


_load_num_rules()
_load_groups()


def post_parse_devices(_Element root not None, _Element devices not None, str os_type not None, str arch not None,
                       refused_tpm=None):
    """Run each device step whose device kind is present, in libvirt's order.

    Returns the error of libvirt's post-parse for a disk with no target or no drive name
    (or None): libvirt reports it after its parse of the whole document, so the caller
    raises it after the rest of its own parse steps.

    ``refused_tpm``: the error for a TPM child libvirt refuses (the top-level post-parse
    finds it before the unknown names go); raised where libvirt parses the TPMs, after the
    devices it parses before them.
    """
    cdef _Document doc = devices._doc
    cdef Node devs = devices._c_node
    cdef Node c = devs.children
    cdef unsigned present = 0, repeated = 0, kind
    cdef bint hvm = os_type == "hvm"
    cdef long long highest[MAX_ROWS]  # highest drive controller index used, per drive bus
    cdef bint any_highest = False
    cdef CtrlSet existing
    cdef int k
    cdef const char* default_video
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            kind = _kind(<const char*>c.name)
            repeated |= kind & present
            present |= kind
        c = c.next
    if repeated & K_EMULATOR:
        _only_first(doc, devs, "emulator")  # libvirt reads ./devices/emulator[1]
    for k in range(_n_layout):
        highest[k] = -1
    later = None
    cs_init(&existing)
    try:
        _device_numbers(doc, devs)
        if present & K_DISK:
            later = _disks(doc, devs, highest)
            for k in range(_n_layout):
                if highest[k] >= 0:
                    any_highest = True
        if present & K_CONTROLLER:
            _controllers(doc, devs, &existing)
        if present & K_INTERFACE:
            _interfaces(devs)
            _interface_details(doc, devs)
        if present & K_CHR:
            if present & (K_SERIAL | K_CONSOLE | K_PARALLEL):
                _chardevs(doc, devs, hvm)
            _chr_sources(doc, devs)
        if present & K_INPUT:
            _inputs(devs, hvm)
        if present & K_GRAPHICS:
            _graphics(devs)
        if present & (K_VIDEO | K_GRAPHICS):
            if os_type == "xen":
                default_video = "xen"
            elif startswith(utf8(arch), "ppc64"):
                default_video = "vga"
            else:
                default_video = "cirrus"
            _videos(devs, default_video)
        if present & K_HOSTDEV:
            _hostdevs(doc, devs)
        if present & K_FILESYSTEM:
            _filesystems(devs)
        if present & K_SMARTCARD:
            _smartcards(devs)
        if present & K_WATCHDOG:
            # the single devices of libvirt 9.0 are counted as it parses them (across every
            # <devices>: the post-parse merged them), each at its point of the parse
            if repeated & K_WATCHDOG:
                raise _err(ErrorNumber.INTERNAL_ERROR, "only a single watchdog device is supported")
            c = child_named(devs, "watchdog")
            if not has_attr(c, "action"):
                set_attr(c, "action", "reset")
        if repeated & K_MEMBALLOON:
            raise _err(ErrorNumber.INTERNAL_ERROR, "only a single memory balloon device is supported")
        if present & K_RNG:
            _rngs(doc, devs)
        if present & K_TPM:
            _tpms(devices)  # after the RNGs, as libvirt parses them
        if refused_tpm is not None:
            raise refused_tpm
        if repeated & K_NVRAM:
            raise _err(ErrorNumber.INTERNAL_ERROR, "only a single nvram device is supported")
        if present & K_REDIRFILTER:
            if repeated & K_REDIRFILTER:
                raise _err(ErrorNumber.INTERNAL_ERROR, "only one set of redirection filter rule is supported")
            _redirfilters(devs)
        if present & K_PANIC:
            _drop_empty(doc, devs, "panic")
        if present & K_SHMEM:
            _shmems(doc, devs)
        if repeated & K_IOMMU:
            raise _err(ErrorNumber.XML_ERROR, "only a single IOMMU device is supported")
        if repeated & K_VSOCK:
            raise _err(ErrorNumber.XML_ERROR, "only a single vsock device is supported")
        if present & K_VSOCK:
            _vsock(doc, child_named(devs, "vsock"))
        if any_highest or present & K_IMPLICIT_TRIGGERS:
            _implicit_controllers(devs, present, highest, &existing)
        if present & K_CONTROLLER:
            _usb_masters(devs)
    finally:
        cs_free(&existing)
    return later


cdef int _vsock(_Document doc, Node vsock) except -1:
    """libvirt's vsock post-parse: an unset auto CID is 'no' when an address is given, else
    'yes'; the <cid> is always written (auto first)."""
    cdef Node cid = child_named(vsock, "cid")
    if cid is NULL:
        cid = add_elem(vsock, "cid")  # placed by the canonical order
    if not has_attr(cid, "auto"):
        set_attr_first(cid, "auto", "no" if has_attr(cid, "address") else "yes")
    return 0


# -- disks ------------------------------------------------------------------------------------

cdef int _disk_name_index(const char* name, long long* out) noexcept:
    """libvirt's virDiskNameToIndex ('hda' -> 0, 'sdaa' -> 26; -1 when not a disk name).

    Returns 1 with the index in ``out``, or 0 when Python must decide (an index beyond 62
    bits, non-ASCII characters after the letters): see :func:`disk_name_index`.
    """
    cdef const char* rest
    cdef long long idx = 0
    cdef Py_ssize_t i = 0
    out[0] = -1
    if name is NULL or name[0] == 0:
        return 1
    if startswith(name, "fd") or startswith(name, "hd") or startswith(name, "vd") or startswith(name, "sd"):
        rest = name + 2
    elif startswith(name, "xvd") or startswith(name, "ubd"):
        rest = name + 3
    else:
        return 1
    while 97 <= rest[i] <= 122:
        if i:
            idx += 1
        if idx > (LLONG_MAX >> 6):
            return 0
        idx = idx * 26 + (rest[i] - 97)
        i += 1
    if i == 0:
        return 1
    rest += i
    i = 0
    while rest[i] != 0:
        if <unsigned char>rest[i] >= 128:
            return 0
        if not 48 <= rest[i] <= 57:
            return 1
        i += 1
    out[0] = idx
    return 1


def disk_name_index(name):
    """libvirt's virDiskNameToIndex in Python, for any length of name: 'hda' -> 0, 'sdaa' ->
    26, -1 when not a disk name."""
    if not name:
        return -1
    for prefix in ("fd", "hd", "vd", "sd", "xvd", "ubd"):
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            break
    else:
        return -1
    idx = 0
    i = 0
    while i < len(rest) and "a" <= rest[i] <= "z":
        idx = (idx + (1 if i else 0)) * 26 + (ord(rest[i]) - 97)
        i += 1
    if i == 0 or not rest[i:].isdigit() and rest[i:] != "":
        return -1
    return idx


cdef enum:
    # what _disk returns for a disk libvirt's post-parse refuses (its error waits: see
    # post_parse_devices)
    NO_TARGET_LATER = -3
    NO_DRIVE_NAME_LATER = -4


cdef object _disks(_Document doc, Node devs, long long* highest):
    """Insertion order by (bus as written, drive index), then each disk's defaults. Returns
    the post-parse error of the first disk with no target or no drive name, or None."""
    cdef NodeList disks
    cdef Scratch s
    cdef Py_ssize_t n, k
    cdef Node d
    cdef Node t
    cdef bint big = False, moved = False
    cdef long long ctrl
    cdef int layout
    later = None
    nl_init(&disks)
    s.block = NULL
    try:
        nl_children(&disks, devs, "disk")
        n = disks.n
        scratch_init(&s, n)
        for k in range(n):
            s.order[k] = k
        if n > 1:
            for k in range(n):
                t = child_named(disks.items[k], "target")
                s.keys[k].has_index = True
                s.keys[k].companion = False
                if t is NULL:
                    s.keys[k].group = NULL
                    s.keys[k].index = -1
                else:
                    s.keys[k].group = attr(t, "bus")
                    if not _disk_name_index(attr(t, "dev"), &s.keys[k].index):
                        big = True
            if big:
                keys = []
                for k in range(n):
                    t = child_named(disks.items[k], "target")
                    keys.append((None, -1, False) if t is NULL
                                else (attr_str(t, "bus"), disk_name_index(attr_str(t, "dev")), False))
                for k, position in enumerate(insertion_order_py(keys)):
                    s.order[k] = position
            else:
                _insertion_order(s.keys, n, s.order, &s)
            for k in range(n):
                if s.order[k] != k:
                    moved = True
            if moved:
                _permute(devs, disks.items, s.order, n)
        for k in range(n):
            layout = _disk(doc, disks.items[s.order[k]], &ctrl)
            if layout == NO_TARGET_LATER or layout == NO_DRIVE_NAME_LATER:
                if later is None:
                    later = _disk_error(disks.items[s.order[k]], layout)
                continue
            if layout >= 0 and ctrl > highest[layout]:
                highest[layout] = ctrl
    finally:
        scratch_free(&s)
        nl_free(&disks)
    return later


cdef object _disk_error(Node disk, int why):
    if why == NO_TARGET_LATER:
        return _err(ErrorNumber.NO_TARGET, _disk_source_name(disk))
    dev = attr_str(child_named(disk, "target"), "dev")
    return _err(ErrorNumber.XML_ERROR, f"Unknown disk name '{dev}' and no address specified")


cdef int _disk(_Document doc, Node disk, long long* ctrl_out) except -2:
    """One disk's defaults; returns its drive bus (index into the layout table) and sets
    ``ctrl_out`` to its drive controller when it sits on a drive bus, else -1.

    A disk with no target or no drive name (and no address) is refused by libvirt's
    post-parse, after its parse of the whole document: NO_TARGET_LATER or
    NO_DRIVE_NAME_LATER say so, and the disk is left as it is."""
    cdef const char* device = attr(disk, "device")
    cdef const char* dev
    cdef const char* bus
    cdef const char* policy
    cdef Node target
    cdef Node src
    cdef Node c
    cdef Node nxt
    cdef Node addr
    cdef bint has_mirror = False, has_backing = False, has_readonly = False
    cdef int k, layout
    cdef long long idx, per_ctrl, per_bus
    cdef char text[32]
    if device is NULL:
        set_attr(disk, "device", "disk")
        device = "disk"
    target = child_named(disk, "target")
    if target is NULL:
        return NO_TARGET_LATER
    dev = attr(target, "dev")
    bus = attr(target, "bus")
    if bus is NULL:
        if streq(device, "floppy"):
            bus = "fdc"
        else:
            bus = "ide"
            if dev is not NULL and dev[0] != 0:
                for k in range(_n_bus_prefix):
                    if startswith(dev, _bus_prefix[k]):
                        bus = _bus_prefix_name[k]
                        break
        set_attr(target, "bus", bus)
    if attr_is(disk, "type", "vhostuser") and not has_attr(disk, "snapshot"):
        set_attr(disk, "snapshot", "no")
    src = child_named(disk, "source")
    if src is NULL and (streq(device, "cdrom") or streq(device, "floppy")) and attr_is(disk, "type", "block"):
        set_attr(disk, "type", "file")  # an empty removable drive is a file drive to libvirt
    if src is not NULL:
        policy = attr(src, "startupPolicy")
        if policy is not NULL and not (streq(policy, "mandatory") or streq(policy, "requisite")
                                       or streq(policy, "optional")):
            raise invalid_prop("startupPolicy", "source", ustr(policy))  # "default" too
        _local_source(doc, disk, src)
        _default_ports(src)
    if attr_is(target, "tray", "closed"):
        del_attr(target, "tray")  # only an open tray is written
    if src is not NULL:
        c = child_named(src, "seclabel")
        while c is not NULL:
            nxt = next_named(c, "seclabel")
            if attr_is(c, "labelskip", "yes"):
                remove_node(doc, c)  # a live-only relabel hint: not part of the inactive config
            c = nxt
    c = disk.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            if strcmp(<const char*>c.name, "mirror") == 0:
                has_mirror = True
            elif strcmp(<const char*>c.name, "backingStore") == 0:
                has_backing = True
            elif strcmp(<const char*>c.name, "readonly") == 0:
                has_readonly = True
        c = c.next
    if has_mirror:
        _remove_all(doc, disk, "mirror")  # block-job state: live XML only
    if has_backing:
        _backing_chain(doc, disk)
    if streq(device, "cdrom") and not has_readonly:
        add_elem(disk, "readonly")  # placed by the canonical order pass
    layout = _layout_of(bus)
    addr = child_named(disk, "address")
    if addr is NULL:
        if not _disk_name_index(dev, &idx):
            return _disk_address_py(disk, ustr(dev), layout, ctrl_out)
        if idx < 0:
            return NO_DRIVE_NAME_LATER
        if layout < 0:
            return -1
        per_ctrl = _layout_per_ctrl[layout]
        per_bus = _layout_per_bus[layout]
        c = add_elem(disk, "address")
        set_attr(c, "type", "drive")
        _fmt(text, idx // per_ctrl)
        set_attr(c, "controller", text)
        _fmt(text, (idx % per_ctrl) // per_bus)
        set_attr(c, "bus", text)
        set_attr(c, "target", "0")
        _fmt(text, idx % per_bus)
        set_attr(c, "unit", text)
        ctrl_out[0] = idx // per_ctrl
        return layout
    if attr_is(addr, "type", "drive"):
        for name in (b"controller", b"bus", b"target", b"unit"):
            if not has_attr(addr, name):
                set_attr(addr, name, "0")
        if layout >= 0:
            ctrl_out[0] = _decimal(attr(addr, "controller"))  # already respelled in decimal
            return layout
    return -1


cdef int _disk_address_py(Node disk, object dev, int layout, long long* ctrl_out) except -2:
    """:func:`_disk`'s drive address for a name whose index Python reads (beyond 62 bits,
    or non-ASCII after the letters)."""
    idx = disk_name_index(dev)
    if idx < 0:
        return NO_DRIVE_NAME_LATER
    if layout < 0:
        return -1
    per_ctrl = _layout_per_ctrl[layout]
    per_bus = _layout_per_bus[layout]
    c = add_elem(disk, "address")
    set_attr(c, "type", "drive")
    set_attr_s(c, "controller", str(idx // per_ctrl))
    set_attr_s(c, "bus", str((idx % per_ctrl) // per_bus))
    set_attr(c, "target", "0")
    set_attr_s(c, "unit", str(idx % per_bus))
    ctrl_out[0] = _clamp(idx // per_ctrl)
    return layout


#: the source attributes each local disk type reads (startupPolicy aside), and the source
#: children only a network source has
cdef const char* _LOCAL_SOURCE_ATTRS[5]
_LOCAL_SOURCE_ATTRS[:] = [b"file", b"dev", b"dir", b"pool volume mode", NULL]
cdef const char* _NETWORK_SOURCE_CHILDREN[13]
_NETWORK_SOURCE_CHILDREN[:] = [b"host", b"snapshot", b"config", b"reconnect", b"timeout", b"readahead", b"cookies",
                               b"ssl", b"identity", b"initiator", b"address", b"knownHosts", NULL]


cdef bint _in_words(const char* words, const char* name) noexcept:
    """``name`` is one of the blank-separated ``words``."""
    cdef size_t n = strlen(name)
    cdef const char* p = words
    while p[0] != 0:
        if strncmp(p, name, n) == 0 and (p[n] == 0 or p[n] == 32):
            return True
        p = strchr(p, 32)
        if p is NULL:
            return False
        p += 1
    return False


cdef int _local_source(_Document doc, Node disk, Node src) except -1:
    """A file, block, dir or volume disk's source keeps what libvirt reads for its type: that
    type's attributes and startupPolicy, no network parts (protocol, name, <host> ...)."""
    cdef const char* dtype = attr(disk, "type")
    cdef const char* own
    cdef tree.xmlAttr* a
    cdef tree.xmlAttr* an
    cdef Node c
    cdef Node nxt
    cdef int k
    if dtype is NULL:
        return 0
    if strcmp(dtype, "file") == 0:
        own = _LOCAL_SOURCE_ATTRS[0]
    elif strcmp(dtype, "block") == 0:
        own = _LOCAL_SOURCE_ATTRS[1]
    elif strcmp(dtype, "dir") == 0:
        own = _LOCAL_SOURCE_ATTRS[2]
    elif strcmp(dtype, "volume") == 0:
        own = _LOCAL_SOURCE_ATTRS[3]
    else:
        return 0
    a = src.properties
    while a is not NULL:
        an = a.next
        if a.ns is NULL and not (_in_words(own, <const char*>a.name)
                                 or strcmp(<const char*>a.name, "startupPolicy") == 0):
            nx_remove_prop(a)
        a = an
    c = first_elem(src)
    while c is not NULL:
        nxt = next_elem(c)
        if c.ns is NULL:
            k = 0
            while _NETWORK_SOURCE_CHILDREN[k] is not NULL:
                if strcmp(<const char*>c.name, _NETWORK_SOURCE_CHILDREN[k]) == 0:
                    remove_node(doc, c)
                    break
                k += 1
        c = nxt
    return 0


cdef int _default_ports(Node src) except -1:
    """A network source's hosts get the protocol's port (http 80, nbd 10809 ...), unless
    they are unix sockets."""
    cdef const char* port = _network_disk_port(attr(src, "protocol"))
    cdef Node c
    if port is NULL:
        return 0
    c = child_named(src, "host")
    while c is not NULL:
        if not has_attr(c, "port") and not attr_is(c, "transport", "unix"):
            set_attr(c, "port", port)
        c = next_named(c, "host")
    return 0


cdef int _backing_chain(_Document doc, Node parent) except -1:
    """Each level of a backing chain: no ``index`` (a live detail); a network level's hosts
    get their default port, as the disk's own source does."""
    cdef Node bs = child_named(parent, "backingStore")
    cdef Node src
    cdef Node c
    cdef Node nxt
    while bs is not NULL:
        if not has_attr(bs, "type"):
            # a chain's terminator: libvirt reads nothing more of it (written <backingStore/>)
            _clear_attrs(bs)
            c = bs.children
            while c is not NULL:
                nxt = c.next
                remove_node(doc, c)
                c = nxt
            bs = next_named(bs, "backingStore")
            continue
        del_attr(bs, "index")
        if attr_is(bs, "type", "network"):
            src = child_named(bs, "source")
            if src is not NULL:
                _default_ports(src)
        _backing_chain(doc, bs)
        bs = next_named(bs, "backingStore")
    return 0


cdef object _disk_source_name(Node disk):
    cdef Node src = child_named(disk, "source")
    cdef const char* v
    if src is NULL:
        return ""
    for name in (b"file", b"dev", b"dir", b"name"):
        v = attr(src, name)
        if v is not NULL and v[0] != 0:
            return ustr(v)
    return ""


# -- controllers -----------------------------------------------------------------------------

cdef inline bint _c_space(char ch) noexcept:
    """C's isspace() in the C locale."""
    return ch == c' ' or c'\t' <= ch <= c'\r'


cdef bint _controller_index(Node c, const char* raw, long long* out) except -1:
    """``index`` as libvirt reads it (virXMLPropInt, base 10, non-negative: strtol's
    spelling, blanks before, an optional sign, decimal digits to the end, an int). Returns
    True when the spelling is not the one libvirt writes back ('01', '+1', ' 1'), which is
    then respelled, so that what follows (duplicate indexes, implicit controllers, the
    output) sees libvirt's number."""
    cdef const char* p = raw
    cdef bint negative = False
    cdef long long v = 0
    cdef int digits = 0
    cdef char text[32]
    while _c_space(p[0]):
        p += 1
    if p[0] == c'+' or p[0] == c'-':
        negative = p[0] == c'-'
        p += 1
    while c'0' <= p[0] <= c'9':
        if v <= 2147483648:  # beyond it strtol's value no longer fits an int either way
            v = v * 10 + (p[0] - c'0')
        digits += 1
        p += 1
    if digits == 0 or p[0] != 0 or v > (2147483648 if negative else 2147483647):
        raise invalid_prop("index", "controller", ustr(raw), "Expected integer value")
    if negative and v != 0:
        raise invalid_prop("index", "controller", ustr(raw), "Expected non-negative value")
    out[0] = v
    if raw[0] == c'0' and raw[1] == 0:
        return False
    if raw[0] < c'1' or raw[0] > c'9' or p - raw != digits:
        _fmt(text, v)
        set_attr(c, "index", text)
        return True
    return False


cdef int _controllers(_Document doc, Node devs, CtrlSet* existing) except -1:
    """Insertion order and index assignment; records the (type, index) pairs present."""
    cdef NodeList ctrls
    cdef Scratch s
    cdef Py_ssize_t n, k, pos, ng, npairs, g, cur
    cdef Node c
    cdef const char* raw
    cdef long long v, i
    cdef bint missing = False, moved, usb_none = False, usb_other = False
    cdef char text[32]
    nl_init(&ctrls)
    s.block = NULL
    try:
        nl_children(&ctrls, devs, "controller")
        n = ctrls.n
        scratch_init(&s, n)
        for k in range(n):
            c = ctrls.items[k]
            if not has_attr(c, "type"):
                set_attr_first(c, "type", "ide")  # libvirt's type enum starts at 'ide'
            s.keys[k].group = attr(c, "type")
            raw = attr(c, "index")
            if raw is NULL:
                s.keys[k].has_index = False
                s.keys[k].index = 0
                missing = True
            else:
                s.keys[k].has_index = True
                _controller_index(c, raw, &v)
                s.keys[k].index = v
                cs_add(existing, _ctrl_kind(s.keys[k].group), v)
            s.keys[k].companion = (child_named(c, "master") is not NULL
                                   or _usb_companion_port(attr(c, "model")) is not NULL)
            if streq(s.keys[k].group, "usb"):
                # model 'none' disables USB: it must be the only USB controller
                if attr_is(c, "model", "none"):
                    if usb_none or usb_other:
                        raise _usb_disabled()
                    usb_none = True
                else:
                    if usb_none:
                        raise _usb_disabled()
                    usb_other = True
        _insertion_order(s.keys, n, s.order, &s)
        moved = False
        for k in range(n):
            if s.order[k] != k:
                moved = True
        if moved:
            _permute(devs, ctrls.items, s.order, n)
        if not missing:
            return 0
        # each controller without an index takes the lowest index of its type that is free,
        # in the array order. The lowest free index only ever grows and indexes given so far
        # are below it, so only the written indexes can be taken: sorted per type, walked
        # with one cursor per type.
        ng = _group_ids(s.keys, n, s.gid, s.first)
        npairs = 0
        for k in range(n):
            if s.keys[k].has_index:
                s.pairs[npairs].gid = s.gid[k]
                s.pairs[npairs].index = s.keys[k].index
                npairs += 1
        qsort(s.pairs, npairs, sizeof(GroupIndex), _cmp_group_index)
        for g in range(ng):
            s.last[g] = npairs  # the cursor: the group's first written index not yet passed
            s.top[g] = 0  # the lowest index that may be free
        for k in range(npairs - 1, -1, -1):
            s.last[s.pairs[k].gid] = k
        for pos in range(n):
            k = s.order[pos]
            if s.keys[k].has_index:
                continue
            g = s.gid[k]
            i = s.top[g]
            cur = s.last[g]
            while True:
                while cur < npairs and s.pairs[cur].gid == g and s.pairs[cur].index < i:
                    cur += 1
                if cur < npairs and s.pairs[cur].gid == g and s.pairs[cur].index == i:
                    i += 1
                    continue
                break
            s.last[g] = cur
            s.top[g] = i + 1
            c = ctrls.items[k]
            _fmt(text, i)
            set_attr_after(c, "type", "index", text)
            cs_add(existing, _ctrl_kind(attr(c, "type")), i)
    finally:
        scratch_free(&s)
        nl_free(&ctrls)
    return 0


cdef object _usb_disabled():
    return _err(ErrorNumber.XML_DETAIL, "Can't add another USB controller: USB is disabled for this domain")


cdef int _cmp_group_index(const void* a, const void* b) noexcept nogil:
    cdef const GroupIndex* x = <const GroupIndex*>a
    cdef const GroupIndex* y = <const GroupIndex*>b
    if x.gid != y.gid:
        return -1 if x.gid < y.gid else 1
    if x.index != y.index:
        return -1 if x.index < y.index else 1
    return 0


cdef int _need(Node devs, CtrlSet* existing, const char* ctype, long long index) except -1:
    """Add controller (ctype, index) unless present (placed later by the canonical order)."""
    cdef int kind = _ctrl_kind(ctype)
    if cs_has(existing, kind, index):
        return 0
    return _add_controller(devs, existing, ctype, kind, index)


cdef int _add_controller(Node devs, CtrlSet* existing, const char* ctype, int kind, long long index) except -1:
    """Add controller (ctype, index), known to be absent."""
    cdef Node c
    cdef char text[32]
    if kind >= 0:
        cs_push(existing, kind, index)
    c = add_elem(devs, "controller")
    set_attr(c, "type", ctype)
    _fmt(text, index)
    set_attr(c, "index", text)
    return 0


cdef int _implicit_controllers(Node devs, unsigned present, long long* highest, CtrlSet* existing) except -1:
    """Controllers libvirt adds for disks, virtio channels/consoles, smartcards, SCSI hostdevs."""
    cdef int r
    cdef long long i, v
    cdef Node c
    cdef Node t
    cdef Node a
    cdef const char* raw
    cdef Py_ssize_t k, n = 0
    cdef long long users_local[32]
    cdef long long* users = users_local
    cdef long long* grown
    cdef Py_ssize_t cap = 32
    cdef int kind
    cdef unsigned char* taken
    for r in range(_n_implicit):
        if _implicit_layout[r] < 0 or highest[_implicit_layout[r]] < 0:
            continue
        # indexes 0 .. highest, those not present yet: marked in one pass over the present
        # ones (a disk on controller 65536 makes that many; a lookup each would be quadratic)
        kind = _ctrl_kind(_implicit_ctype[r])
        v = highest[_implicit_layout[r]]
        taken = <unsigned char*>PyMem_Malloc(v + 1)
        if taken is NULL:
            raise MemoryError()
        try:
            memset(taken, 0, v + 1)
            for k in range(existing.n):
                if existing.kind[k] == kind and 0 <= existing.index[k] <= v:
                    taken[existing.index[k]] = 1
            for i in range(v + 1):
                if not taken[i]:
                    _add_controller(devs, existing, _implicit_ctype[r], kind, i)
        finally:
            PyMem_Free(taken)
    if present & (K_CHANNEL | K_CONSOLE):
        try:
            for tag in (b"channel", b"console"):
                c = child_named(devs, tag)
                while c is not NULL:
                    t = child_named(c, "target")
                    if t is not NULL and attr_is(t, "type", "virtio"):
                        a = child_named(c, "address")
                        v = 0
                        if a is not NULL and attr_is(a, "type", "virtio-serial"):
                            raw = attr(a, "controller")
                            if raw is NULL or raw[0] == 0:
                                v = 0
                            elif not _ascii_digits(raw, 9, &v):
                                v = uint_prop(ustr(raw), "controller", "address")
                        if n == cap:
                            grown = <long long*>PyMem_Malloc(2 * cap * sizeof(long long))
                            if grown is NULL:
                                raise MemoryError()
                            memcpy(grown, users, n * sizeof(long long))
                            if users != users_local:
                                PyMem_Free(users)
                            users = grown
                            cap *= 2
                        users[n] = v
                        n += 1
                    c = next_named(c, tag)
            for k in range(n):
                _need(devs, existing, "virtio-serial", users[k])
        finally:
            if users != users_local:
                PyMem_Free(users)
    if present & K_SMARTCARD:
        _need(devs, existing, "ccid", 0)
    if present & K_HOSTDEV:
        c = child_named(devs, "hostdev")
        while c is not NULL:
            if attr_is(c, "type", "scsi"):
                a = child_named(c, "address")
                if a is not NULL and attr_is(a, "type", "drive"):
                    raw = attr(a, "controller")
                    _need(devs, existing, "scsi", 0 if raw is NULL else _decimal(raw))
            c = next_named(c, "hostdev")
    return 0


cdef int _usb_masters(Node devs) except -1:
    cdef Node c = child_named(devs, "controller")
    cdef Node m
    cdef const char* start
    while c is not NULL:
        if attr_is(c, "type", "usb"):
            start = _usb_companion_port(attr(c, "model"))
            if start is not NULL and child_named(c, "master") is NULL:
                m = add_elem(c, "master")  # placed by the canonical order
                set_attr(m, "startport", start)
        c = next_named(c, "controller")
    return 0


# -- interfaces -------------------------------------------------------------------------------

cdef inline int _hex(char ch) noexcept:
    if 48 <= ch <= 57:
        return ch - 48
    if 97 <= ch <= 102:
        return ch - 87
    if 65 <= ch <= 70:
        return ch - 55
    return -1


cdef bint _canonical_unicast_mac(const char* s) noexcept:
    """Six 2-digit hex groups joined by ':' and not multicast: only the case can change."""
    cdef int i
    if strlen(s) != 17:
        return False
    for i in range(17):
        if i % 3 == 2:
            if s[i] != 58:
                return False
        elif _hex(s[i]) < 0:
            return False
    return not (_hex(s[1]) & 1)


cdef int _interfaces(Node devs) except -1:
    cdef Node nic = child_named(devs, "interface")
    cdef Node mac
    cdef const char* address
    cdef char lower[18]
    cdef int i
    cdef bint upper
    while nic is not NULL:
        mac = child_named(nic, "mac")
        if mac is NULL:
            mac = add_elem(nic, "mac")  # placed first by the canonical order pass
        address = attr(mac, "address")
        if address is NULL:
            set_attr_s(mac, "address", generate_mac())
        elif _canonical_unicast_mac(address):
            upper = False
            for i in range(17):
                lower[i] = address[i]
                if 65 <= address[i] <= 70:
                    lower[i] = address[i] + 32
                    upper = True
            lower[17] = 0
            if upper:
                set_attr(mac, "address", lower)
        else:
            set_attr_s(mac, "address", normalize_mac(ustr(address)))
        nic = next_named(nic, "interface")
    return 0


cdef const char* _known_net_model(const char* mtype):
    cdef int k
    if not _is_ascii(mtype):
        known = NET_MODELS.get(ustr(mtype).lower())
        if known is None:
            return NULL
        return utf8(known)  # a value of NET_MODELS: kept alive by the dict
    for k in range(_n_net_models):
        if strcasecmp(mtype, _net_models[k]) == 0:
            return _net_models[k]
    return NULL


cdef int _interface_details(_Document doc, Node devs) except -1:
    cdef Node nic = child_named(devs, "interface")
    cdef Node model
    cdef Node ip
    cdef Node target
    cdef Node vport
    cdef Node params
    cdef Node drv
    cdef Node nxt
    cdef Node mac
    cdef const char* mtype
    cdef const char* known
    cdef const char* ntype
    cdef const char* address
    cdef const char* dev
    cdef const char* queues
    cdef long long v
    cdef tree.xmlAttr* a
    cdef tree.xmlAttr* an
    while nic is not NULL:
        model = child_named(nic, "model")
        mtype = NULL
        if model is not NULL:
            mtype = attr(model, "type")
            if mtype is not NULL and mtype[0] != 0:
                known = _known_net_model(mtype)
                if known is not NULL and strcmp(known, mtype) != 0:
                    set_attr(model, "type", known)
                mtype = attr(model, "type")
        ntype = attr(nic, "type")
        ip = child_named(nic, "ip")
        while ip is not NULL:
            address = attr(ip, "address")
            if not has_attr(ip, "family") and address is not NULL:
                _set_after_last_of(ip, "family", "ipv6" if strchr(address, 58) is not NULL else "ipv4",
                                   "address", NULL)
            ip = next_named(ip, "ip")
        target = child_named(nic, "target")
        if target is not NULL:
            dev = attr(target, "dev")
            if dev is not NULL and (startswith(dev, "vnet") or startswith(dev, "macvtap")
                                    or startswith(dev, "macvlan")):
                # a name libvirt generated for a running guest: not part of the persistent config
                del_attr(target, "dev")
                if target.properties is NULL:
                    remove_node(doc, target)
        vport = child_named(nic, "virtualport")
        if vport is not NULL and attr_is(vport, "type", "openvswitch"):
            params = child_named(vport, "parameters")
            if params is NULL:
                params = add_elem(vport, "parameters")
            if not has_attr(params, "interfaceid"):
                set_attr_s(params, "interfaceid", str(_uuid.uuid4()))
        if not streq(ntype, "hostdev"):
            if mtype is not NULL and startswith(mtype, "virtio"):
                drv = child_named(nic, "driver")
                queues = attr(drv, "queues") if drv is not NULL else NULL
                if queues is not NULL:
                    # virXMLPropUInt in base 10; libvirt keeps (and writes) more than one queue
                    if not _c_decimal(queues, True, &v):
                        raise invalid_prop("queues", "driver", ustr(queues), "Expected non-negative integer value")
                    if v > 1:
                        _respell_decimal(drv, "queues", queues, v)
                    else:
                        del_attr(drv, "queues")
                        if drv.properties is NULL and first_elem(drv) is NULL:
                            remove_node(doc, drv)
            else:
                _remove_all(doc, nic, "driver")  # driver options exist only for virtio NICs
        if streq(ntype, "hostdev") or streq(ntype, "vhostuser") or streq(ntype, "vdpa"):
            _remove_all(doc, nic, "filterref")
        if streq(ntype, "hostdev"):
            drv = child_named(nic, "driver")
            mac = child_named(nic, "mac")
            if drv is not NULL and mac is not NULL:
                insert_after(mac, drv)  # written with the host device part, before <source>
            if drv is not NULL:
                a = drv.properties
                while a is not NULL:
                    an = a.next
                    if a.ns is not NULL or strcmp(<const char*>a.name, "name") != 0:
                        nx_remove_prop(a)
                    a = an
                if drv.properties is NULL:
                    remove_node(doc, drv)
        nic = next_named(nic, "interface")
    return 0


# -- serial, parallel, console, channel -------------------------------------------------------

cdef Node _target(Node chr_) except NULL:
    """The device's <target>, made when missing: after its first <source>, else after the
    last of <source>/<protocol>/<log>, else first."""
    cdef Node t = child_named(chr_, "target")
    cdef Node src
    cdef Node c
    cdef Node last = NULL
    if t is not NULL:
        return t
    t = add_elem(chr_, "target")
    src = child_named(chr_, "source")
    if src is not NULL:
        insert_after(src, t)
        return t
    c = chr_.children
    while c is not NULL:
        if is_named(c, "source") or is_named(c, "protocol") or is_named(c, "log"):
            last = c
        c = c.next
    if last is not NULL:
        insert_after(last, t)
        return t
    c = chr_.children
    while c is not NULL and not _elementlike(c):
        c = c.next
    if c is not NULL and c != t:
        insert_before(c, t)
    return t


cdef inline const char* _target_type(Node chr_) noexcept:
    cdef Node t = child_named(chr_, "target")
    return NULL if t is NULL else attr(t, "type")


cdef int _assign_ports(NodeList* items) except -1:
    """Serial/parallel ports as written (C ints: the device numbers step read them); the
    missing ones numbered after the highest."""
    cdef long long local[16]
    cdef long long* ports = local
    cdef Py_ssize_t k, j
    cdef Node t
    cdef const char* raw
    cdef long long v, top
    cdef char text[32]
    if items.n == 0:
        return 0
    if items.n > 16:
        ports = <long long*>PyMem_Malloc(items.n * sizeof(long long))
        if ports is NULL:
            raise MemoryError()
    try:
        for k in range(items.n):
            t = child_named(items.items[k], "target")
            raw = NULL if t is NULL else attr(t, "port")
            if raw is NULL:
                v = -1
            elif not _c_decimal(raw, False, &v):  # the device numbers step wrote it as a C int
                raise _err(ErrorNumber.XML_ERROR, f"Invalid port number: {ustr(raw)}")
            ports[k] = v
        for k in range(items.n):
            if ports[k] == -1:
                top = -1
                for j in range(items.n):
                    if ports[j] > top:
                        top = ports[j]
                ports[k] = top + 1
                _fmt(text, top + 1)
                set_attr(_target(items.items[k]), "port", text)
    finally:
        if ports != local:
            PyMem_Free(ports)
    return 0


cdef int _insert_device(Node devs, Node el, const char* tag) except -1:
    """Add a device after the last one of its kind (libvirt's per-kind arrays), else before
    the first device of a later kind."""
    cdef Node last = NULL
    cdef Node c = child_named(devs, tag)
    cdef object rank
    while c is not NULL:
        last = c
        c = next_named(c, tag)
    if last is not NULL:
        insert_after(last, el)
        return 0
    rank = _device_rank.get(ustr(tag), 999)
    c = devs.children
    while c is not NULL:
        if _elementlike(c):
            if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
                if _device_rank.get(ustr(<const char*>c.name), 999) > rank:
                    insert_before(c, el)
                    return 0
            elif 999 > rank:
                insert_before(c, el)
                return 0
        c = c.next
    nx_add_child(devs, el)
    return 0


cdef int _chardevs(_Document doc, Node devs, bint hvm) except -1:
    cdef NodeList serials
    cdef NodeList consoles
    cdef NodeList parallels
    cdef Py_ssize_t i
    cdef Node con
    cdef Node t
    cdef Node c
    cdef Node nxt
    cdef Node serial
    cdef Node stub
    cdef Node alias
    cdef const char* ttype
    cdef const char* port
    cdef char text[32]
    nl_init(&serials)
    nl_init(&consoles)
    nl_init(&parallels)
    try:
        nl_children(&serials, devs, "serial")
        nl_children(&consoles, devs, "console")
        # libvirt ignores console port numbers as written and numbers consoles in order
        for i in range(consoles.n):
            t = _target(consoles.items[i])
            _fmt(text, i)
            set_attr(t, "port", text)
        _assign_ports(&serials)
        nl_children(&parallels, devs, "parallel")
        _assign_ports(&parallels)
        if hvm:
            ttype = _target_type(consoles.items[0]) if consoles.n else NULL
            if consoles.n and (ttype is NULL or strcmp(ttype, "serial") == 0):
                if serials.n == 0:
                    # a serial console stands for a serial port libvirt adds
                    serial = _copy_as(consoles.items[0], "serial")
                    t = _target(serial)
                    _clear_attrs(t)
                    set_attr(t, "port", "0")
                    _insert_device(devs, serial, "serial")
                    nl_push(&serials, serial)
            elif serials.n:
                ttype = _target_type(serials.items[0])
                if not (streq(ttype, "pci-serial") or streq(ttype, "usb-serial")):
                    stub = new_elem(devs.doc, "console")
                    set_attr(stub, "type", "pty")
                    if consoles.n:
                        insert_before(consoles.items[0], stub)
                    else:
                        _insert_device(devs, stub, "console")
                    nl_insert0(&consoles, stub)
        for i in range(consoles.n):
            con = consoles.items[i]
            ttype = _target_type(con)
            if ttype is NULL:
                set_attr(_target(con), "type", "serial")
                ttype = "serial"
            if hvm and i < serials.n and strcmp(ttype, "serial") == 0:
                # the console is an alias of the serial port: written as a copy of it
                alias = _copy_as(serials.items[i], "console")
                t = _target(alias)
                port = attr(t, "port")
                port_text = ustr(port) if port is not NULL and port[0] != 0 else "0"
                _clear_attrs(t)
                set_attr(t, "type", "serial")
                set_attr_s(t, "port", port_text)
                c = t.children
                while c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
                    c = c.next
                while c is not NULL:  # a fresh copy: no element objects point into it
                    nxt = c.next
                    nx_unlink_node(c)
                    nx_free_node(c)
                    c = nxt
                insert_before(con, alias)
                remove_node(doc, con)
                consoles.items[i] = alias
    finally:
        nl_free(&serials)
        nl_free(&consoles)
        nl_free(&parallels)
    return 0


cdef int _chr_sources(_Document doc, Node devs) except -1:
    cdef Node c
    cdef Node t
    for tag in (b"serial", b"parallel", b"console", b"channel", b"redirdev", b"smartcard"):
        c = child_named(devs, tag)
        while c is not NULL:
            _chr_source(doc, c)
            if strcmp(tag, "channel") == 0:
                t = child_named(c, "target")
                if t is not NULL:
                    del_attr(t, "state")  # live-only
            c = next_named(c, tag)
    return 0


cdef int _chr_source(_Document doc, Node chr_) except -1:
    cdef const char* ctype = attr(chr_, "type")
    cdef Node src
    cdef Node proto
    if streq(ctype, "unix"):
        src = child_named(chr_, "source")
        if src is not NULL:
            if not has_attr(src, "path") and not _has_children(src):
                remove_node(doc, src)
            elif not has_attr(src, "mode"):
                set_attr_first(src, "mode", "connect")
    if streq(ctype, "tcp"):
        src = child_named(chr_, "source")
        if src is not NULL and not has_attr(src, "mode"):
            set_attr_first(src, "mode", "connect")
        if child_named(chr_, "protocol") is NULL:
            proto = add_elem(chr_, "protocol")
            set_attr(proto, "type", "raw")
            if src is not NULL:
                insert_after(src, proto)
    else:
        _remove_all(doc, chr_, "protocol")
    return 0


# -- inputs, graphics, video ------------------------------------------------------------------

cdef int _inputs(Node devs, bint hvm) except -1:
    cdef Node inp = child_named(devs, "input")
    cdef const char* itype
    while inp is not NULL:
        if not has_attr(inp, "bus"):
            itype = attr(inp, "type")
            if streq(itype, "tablet"):
                set_attr(inp, "bus", "usb")
            elif streq(itype, "passthrough"):
                set_attr(inp, "bus", "virtio")
            elif not streq(itype, "evdev"):
                set_attr(inp, "bus", "ps2" if hvm else "xen")
        inp = next_named(inp, "input")
    return 0


cdef bint _c_decimal(const char* s, bint unsigned_int, long long* out) noexcept:
    """libvirt's virStrToLong_i (``unsigned_int``: virStrToLong_uip) in base 10 on the whole
    of ``s``: C blanks, a sign, ASCII digits, nothing after; a C int (an unsigned int, no
    '-' at all, not even "-0")."""
    cdef long long v = 0
    cdef bint negative = False, digits = False
    while s[0] == 32 or 9 <= s[0] <= 13:
        s += 1
    if s[0] == 43 or s[0] == 45:
        negative = s[0] == 45
        s += 1
    while 48 <= s[0] <= 57:
        digits = True
        if v <= 0xFFFFFFFF:
            v = v * 10 + (s[0] - 48)
        s += 1
    if not digits or s[0] != 0:
        return False
    if unsigned_int:
        if negative or v > 0xFFFFFFFF:
            return False
    elif v > (0x80000000 if negative else 0x7FFFFFFF):
        return False
    out[0] = -v if negative else v
    return True


cdef int _respell_decimal(Node n, const char* name, const char* raw, long long value) except -1:
    """Attribute ``name`` (text ``raw``, read as ``value``) written as libvirt does ("%d")."""
    cdef char text[32]
    _fmt(text, value)
    if strcmp(text, raw) != 0:
        set_attr(n, name, text)
    return 0


cdef int _graphics_numbers(Node g, const char* gtype) except -1:
    """The ports libvirt reads as C ints in base 10, with its per-type wording, respelled
    ("%d"): vnc and rdp ports by virStrToLong_i ("cannot parse ... port"), spice ports and
    the vnc websocket by virXMLPropInt ("Expected integer value")."""
    cdef const char* raw
    cdef long long value
    cdef bint spice = strcmp(gtype, "spice") == 0
    for name in (b"port", b"tlsPort", b"websocket"):
        if (name == b"tlsPort" and not spice) or (name == b"websocket" and strcmp(gtype, "vnc") != 0):
            continue
        raw = attr(g, name)
        if raw is NULL:
            continue
        if not _c_decimal(raw, False, &value):
            if spice or name == b"websocket":
                raise invalid_prop(name.decode(), "graphics", ustr(raw), "Expected integer value")
            raise _err(ErrorNumber.INTERNAL_ERROR, f"cannot parse {ustr(gtype)} port {ustr(raw)}")
        if value == 0 and name == b"websocket":
            del_attr(g, name)  # written only when set
        else:
            _respell_decimal(g, name, raw, value)
    return 0


cdef inline bint _nonzero_text(const char* s) noexcept:
    """Python's ``s and s != "0"``."""
    return s is not NULL and s[0] != 0 and strcmp(s, "0") != 0


cdef int _graphics(Node devs) except -1:
    cdef Node g = child_named(devs, "graphics")
    cdef Node first
    cdef Node listen
    cdef const char* gtype
    cdef const char* attr_listen
    cdef const char* socket
    cdef const char* port
    cdef const char* tls
    cdef const char* autoport
    cdef const char* prev
    cdef bint auto, keep_port, keep_tls
    while g is not NULL:
        gtype = attr(g, "type")
        if not (streq(gtype, "vnc") or streq(gtype, "spice") or streq(gtype, "rdp")):
            g = next_named(g, "graphics")
            continue
        _graphics_numbers(g, gtype)
        first = child_named(g, "listen")
        attr_listen = attr(g, "listen")
        socket = attr(g, "socket")
        if socket is NULL and first is not NULL and attr_is(first, "type", "socket") and strcmp(gtype, "vnc") == 0:
            socket = attr(first, "socket")
            if socket is not NULL:
                set_attr(g, "socket", socket)
                socket = attr(g, "socket")
        if first is NULL:
            listen = add_elem(g, "listen")
            if socket is not NULL:
                set_attr(listen, "type", "socket")
                set_attr(listen, "socket", socket)
            elif attr_listen is not NULL:
                set_attr(listen, "type", "address")
                set_attr(listen, "address", attr_listen)
            elif (strcmp(gtype, "spice") == 0 and not (_nonzero_text(attr(g, "port")) or _nonzero_text(attr(g, "tlsPort")))
                    and not attr_is(g, "autoport", "yes")):
                set_attr(listen, "type", "none")
            else:
                set_attr(listen, "type", "address")
        elif attr_listen is NULL:
            if attr_is(first, "type", "address") and _nonempty(attr(first, "address")):
                set_attr(g, "listen", attr(first, "address"))
        if socket is not NULL:
            g = next_named(g, "graphics")
            continue
        port = attr(g, "port")
        autoport = attr(g, "autoport")
        # port/autoport (spice: port/tlsPort/autoport) are rewritten right after type; the
        # port is written when not 0 (vnc: an explicit autoport='no' turns -1 into 0), rdp's
        # autoport only when yes
        if strcmp(gtype, "spice") != 0:
            auto = (streq(autoport, "yes") or port is NULL
                    or (strcmp(port, "-1") == 0 and (strcmp(gtype, "rdp") == 0 or not streq(autoport, "no"))))
            if auto:
                set_attr(g, "port", "-1" if strcmp(gtype, "vnc") == 0 else "0")
                move_attr(g, "port", "type")
                set_attr(g, "autoport", "yes")
                move_attr(g, "autoport", "port")
            else:
                if _nonzero_text(port) and strcmp(port, "-1") != 0:
                    move_attr(g, "port", "type")
                    prev = "port"
                else:
                    del_attr(g, "port")
                    prev = "type"
                if strcmp(gtype, "rdp") == 0:
                    del_attr(g, "autoport")
                else:
                    set_attr(g, "autoport", "no")
                    move_attr(g, "autoport", prev)
        else:
            tls = attr(g, "tlsPort")
            if streq(autoport, "yes"):
                del_attr(g, "port")
                del_attr(g, "tlsPort")
                move_attr(g, "autoport", "type")
            elif _nonzero_text(port) or _nonzero_text(tls):
                keep_port = _nonzero_text(port)
                keep_tls = _nonzero_text(tls)
                prev = "type"
                if keep_port:
                    move_attr(g, "port", prev)
                    prev = "port"
                else:
                    del_attr(g, "port")
                if keep_tls:
                    move_attr(g, "tlsPort", prev)
                    prev = "tlsPort"
                else:
                    del_attr(g, "tlsPort")
                set_attr(g, "autoport", "no")
                move_attr(g, "autoport", prev)
            else:
                del_attr(g, "port")
                del_attr(g, "tlsPort")
                del_attr(g, "autoport")
        g = next_named(g, "graphics")
    return 0


cdef inline bint _nonempty(const char* s) noexcept:
    return s is not NULL and s[0] != 0


cdef int _videos(Node devs, const char* default_type) except -1:
    cdef NodeList videos
    cdef Py_ssize_t i, k
    cdef Node v
    cdef Node m
    cdef Node model
    cdef const char* vtype
    cdef int row, j
    nl_init(&videos)
    try:
        nl_children(&videos, devs, "video")
        for i in range(1, videos.n):
            m = child_named(videos.items[i], "model")
            if m is not NULL and attr_is(m, "primary", "yes"):
                v = videos.items[i]
                insert_before(videos.items[0], v)
                k = i
                while k > 0:
                    videos.items[k] = videos.items[k - 1]
                    k -= 1
                videos.items[0] = v
                break
        if videos.n == 0 and child_named(devs, "graphics") is not NULL:
            nl_push(&videos, add_elem(devs, "video"))  # placed by the canonical order
        for i in range(videos.n):
            model = child_named(videos.items[i], "model")
            if model is NULL:
                model = add_elem(videos.items[i], "model")
            vtype = attr(model, "type")
            if vtype is NULL:
                vtype = default_type
                set_attr_first(model, "type", vtype)
            for row in range(_n_video):
                if strcmp(_video_type[row], vtype) == 0:
                    for j in range(_video_first[row], _video_first[row] + _video_count[row]):
                        if not has_attr(model, _video_attr[j]):
                            set_attr(model, _video_attr[j], _video_value[j])
                    break
            if strcmp(vtype, "none") != 0 and not has_attr(model, "heads"):
                set_attr(model, "heads", "1")
            elif attr_is(model, "heads", "0"):
                del_attr(model, "heads")  # read as 0 (unset), left out as libvirt writes it
            if attr_is(model, "primary", "no"):
                del_attr(model, "primary")
            if i == 0 and strcmp(vtype, "none") != 0 and not has_attr(model, "primary"):
                set_attr(model, "primary", "yes")
    finally:
        nl_free(&videos)
    return 0


# -- the rarer kinds: host devices, filesystems, shmem, smartcards, rng, redirfilter ----------

cdef bint _unit_taken(long long* units, Py_ssize_t n, long long unit) noexcept:
    cdef Py_ssize_t k
    for k in range(n):
        if units[k] == unit:
            return True
    return False


cdef int _free_units(Node devs, const char* owner, const char* atype, const char* bus_attr,
                     const char* unit_attr, list out) except -1:
    """The units taken on controller 0 by ``owner`` devices' addresses of ``atype``."""
    cdef Node d = child_named(devs, owner)
    cdef Node t
    cdef Node a
    cdef const char* raw
    while d is not NULL:
        a = child_named(d, "address")
        if bus_attr is not NULL:
            t = child_named(d, "target")
            if t is NULL or not attr_is(t, "bus", bus_attr):
                a = NULL
        if a is not NULL and attr_is(a, "type", atype):
            raw = attr(a, "controller")
            if raw is NULL or _decimal(raw) == 0:
                raw = attr(a, unit_attr)
                out.append(0 if raw is NULL else _decimal(raw))
        d = next_named(d, owner)
    return 0


cdef int _hostdevs(_Document doc, Node devs) except -1:
    cdef list used = []
    cdef Node hd = child_named(devs, "hostdev")
    cdef Node src
    cdef Node sa
    cdef Node a
    cdef const char* mode
    cdef const char* name
    cdef long long unit
    cdef char text[32]
    _free_units(devs, "disk", "drive", "scsi", "unit", used)
    while hd is not NULL:
        mode = attr(hd, "mode")
        if (mode is NULL or strcmp(mode, "subsystem") == 0) and not has_attr(hd, "managed"):
            _set_after_last_of(hd, "managed", "no", "type", "mode")
        src = child_named(hd, "source")
        if src is not NULL and attr_is(hd, "type", "pci"):
            sa = child_named(src, "address")
            if sa is not NULL:
                set_attr(sa, "type", "pci")
                _respell(doc, sa, False)
                del_attr(sa, "type")
        if src is not NULL and attr_is(hd, "type", "scsi") and attr_is(src, "protocol", "iscsi"):
            name = attr(src, "name")
            if name is not NULL and name[0] != 0 and strchr(name, 47) is NULL:
                set_attr_s(src, "name", ustr(name) + "/0")  # LUN 0 unless given
        if attr_is(hd, "type", "scsi") and child_named(hd, "address") is NULL:
            unit = 0
            while unit in used:
                unit += 1
            used.append(unit)
            a = add_elem(hd, "address")
            set_attr(a, "type", "drive")
            set_attr(a, "controller", "0")
            set_attr(a, "bus", "0")
            set_attr(a, "target", "0")
            _fmt(text, unit)
            set_attr(a, "unit", text)
        hd = next_named(hd, "hostdev")
    return 0


cdef int _filesystems(Node devs) except -1:
    cdef Node fs = child_named(devs, "filesystem")
    cdef Node drv
    cdef Node src
    cdef bint external
    while fs is not NULL:
        if not has_attr(fs, "type"):
            set_attr(fs, "type", "mount")
        if not has_attr(fs, "accessmode"):
            drv = child_named(fs, "driver")
            src = child_named(fs, "source")
            external = (drv is not NULL and attr_is(drv, "type", "virtiofs") and src is not NULL
                        and has_attr(src, "socket"))
            if not external:  # an external virtiofsd owns access control
                _set_after_last_of(fs, "accessmode", "passthrough", "type", NULL)
        fs = next_named(fs, "filesystem")
    return 0


cdef int _only_first(_Document doc, Node devs, const char* tag) except -1:
    cdef Node c = next_named(child_named(devs, tag), tag)
    cdef Node nxt
    while c is not NULL:
        nxt = next_named(c, tag)
        remove_node(doc, c)
        c = nxt
    return 0


cdef int _drop_empty(_Document doc, Node devs, const char* tag) except -1:
    cdef Node c = child_named(devs, tag)
    cdef Node nxt
    while c is not NULL:
        nxt = next_named(c, tag)
        if c.properties is NULL and not _has_children(c):
            remove_node(doc, c)
        c = nxt
    return 0


cdef int _shmems(_Document doc, Node devs) except -1:
    cdef Node shm = child_named(devs, "shmem")
    cdef Node size
    cdef Node m
    while shm is not NULL:
        if child_named(shm, "model") is NULL:
            m = add_elem(shm, "model")  # placed by the canonical order
            set_attr(m, "type", "ivshmem")
        size = child_named(shm, "size")
        if size is not NULL:
            nbytes = parse_scaled(text_str(size), attr_str(size, "unit"), what="./size[1]", default_scale=1)
            if nbytes:
                set_text_s(size, str(nbytes >> 20))
                _clear_attrs(size)
                set_attr(size, "unit", "M")
            else:
                remove_node(doc, size)  # a zero size means "not set" to libvirt
        shm = next_named(shm, "shmem")
    return 0


cdef int _smartcards(Node devs) except -1:
    cdef list used = []
    cdef Node card = child_named(devs, "smartcard")
    cdef Node a
    cdef long long slot
    cdef char text[32]
    _free_units(devs, "smartcard", "ccid", NULL, "slot", used)
    while card is not NULL:
        if child_named(card, "address") is NULL:
            slot = 0
            while slot in used:
                slot += 1
            used.append(slot)
            a = add_elem(card, "address")
            set_attr(a, "type", "ccid")
            set_attr(a, "controller", "0")
            _fmt(text, slot)
            set_attr(a, "slot", text)
        card = next_named(card, "smartcard")
    return 0


cdef int _rngs(_Document doc, Node devs) except -1:
    cdef Node rng = child_named(devs, "rng")
    cdef Node be
    while rng is not NULL:
        be = child_named(rng, "backend")
        if be is not NULL and attr_is(be, "model", "egd"):
            _chr_source(doc, be)
        if be is not NULL and attr_is(be, "model", "random") and not (text_str(be) or "").strip():
            set_text(be, "/dev/random")
        rng = next_named(rng, "rng")
    return 0


# -- TPMs ---------------------------------------------------------------------------------------

TPM_MODELS = ("tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy")
TPM_BACKEND_TYPES = ("passthrough", "emulator", "external")
TPM_VERSIONS = ("1.2", "2.0")
#: what each backend type keeps of its backend's children (libvirt reads only these)
TPM_BACKEND_CHILDREN = {"passthrough": ("device",), "emulator": ("encryption", "active_pcr_banks"),
                        "external": ("source",)}


def _tpms(devices):
    """virDomainTPMDefParseXML for each TPM (a rare device: Python on proxies): its model,
    one backend of a known type (a version only for the emulator), and the backend reduced to
    what libvirt reads of that type (a passthrough backend's device path, /dev/tpm0 by
    default)."""
    for tpm in devices.iterchildren("tpm"):
        model = tpm.get("model")
        if model is not None and model not in TPM_MODELS:
            raise invalid_prop("model", "tpm", model)
        backends = tpm.findall("backend")
        if len(backends) > 1:
            raise _err(ErrorNumber.XML_ERROR, "only one TPM backend is supported")
        if not backends:
            raise _err(ErrorNumber.XML_ERROR, "missing TPM device backend")
        backend = backends[0]
        btype = backend.get("type")
        if btype is None:
            raise missing_prop("type", "backend")
        if btype not in TPM_BACKEND_TYPES:
            raise invalid_prop("type", "backend", btype)
        if btype == "emulator":
            version = backend.get("version")
            if version is not None and version not in TPM_VERSIONS:
                raise invalid_prop("version", "backend", version)
        else:
            for name in list(backend.attrib):
                if name != "type":
                    del backend.attrib[name]
        keep = TPM_BACKEND_CHILDREN[btype]
        for child in list(backend):
            if not isinstance(child.tag, str) or child.tag not in keep:
                backend.remove(child)
        if btype == "passthrough":
            devices_el = backend.findall("device")
            path = devices_el[0].get("path") if devices_el else None
            for extra in devices_el:
                backend.remove(extra)
            etree.SubElement(backend, "device").set("path", path or "/dev/tpm0")


cdef int _redirfilters(Node devs) except -1:
    cdef Node f = child_named(devs, "redirfilter")
    cdef Node dev
    while f is not NULL:
        dev = child_named(f, "usbdev")
        while dev is not NULL:
            for name, fmt in (("class", "0x%02x"), ("vendor", "0x%04X"), ("product", "0x%04X")):
                raw = attr_str(dev, utf8(name))
                if raw is not None and raw != "-1":
                    try:
                        value = int(raw, 16 if raw[:2].lower() == "0x" else 10)
                    except ValueError:
                        raise invalid_prop(name, "usbdev", raw) from None
                    set_attr_s(dev, utf8(name), fmt % value)
            ver = attr_str(dev, "version")
            if ver and ver != "-1" and "." in ver:
                major, _, minor = ver.partition(".")
                if major.isdigit() and minor.isdigit():
                    set_attr_s(dev, "version", f"{int(major)}.{int(minor):02d}" if len(minor) > 1
                               else f"{int(major)}.{int(minor) * 10:02d}")
            dev = next_named(dev, "usbdev")
        f = next_named(f, "redirfilter")
    return 0


# -- the data tables, read last ----------------------------------------------------------------
# Importing pyvirt.conf.domain runs its model, which imports the post-parse, which imports
# this module: reading the tables after the functions above are defined lets either side
# be imported first.

_load_tables()

