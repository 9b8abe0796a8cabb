# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's generic domain post-parse, applied in place to the parsed tree.

The steps follow libvirt's order so that the first error reported is the one libvirt
reports: top-level values (type, name, uuid, memory, vcpus, os) are checked and normalised,
then enumerated values, defaults filled in, implicit devices added, and children put in
canonical order.

Before the unknown names are dropped, repeated top-level elements are resolved as libvirt
reads them (``_repeats``): most with ``./x[1]`` (the first copy wins, the others are not read),
the containers read through paths (<os>, <clock>, <cputune>, <memtune> ...) merged into one
whose single children are first-wins, <devices> and <features> merged whole (libvirt reads
``./devices/*`` across all of them and writes one), a second <genid>, <numatune> or
<resource> refused where libvirt parses it; and the children libvirt
refuses rather than ignores are found (an unknown feature, Hyper-V, stimer, KVM, Xen or
capability name, an unknown PCR bank of an emulated TPM): their error is raised where
libvirt's parse reaches them, so the errors it reports first still win. The walk of
<features> also reads their values in libvirt's order (required and on/off states, ``eoi``,
``mode``, ``policy``, what an enabled Hyper-V, KVM or Xen feature or SMM reads); a feature
named twice is collapsed afterwards (the last one's values, children read across all).

What libvirt parses between the vCPUs and <features> (the iothread count and ids, the
<cputune> pins, the NUMA cells' distances, the <numatune> memnodes) is checked at that point
(``_tunables``): plain values in C, anything else through the Python helpers.

The steps work on libxml2 nodes (nodeops.pxi): a typical document costs pointer walks and
string compares, no lxml element object and no Python call per element. One walk at the
start visits only the subtrees the rules mention: it finds the first enumerated value
libvirt would refuse (the row and element ``xmlcore.index_checked`` reports) and notes the
first element at each path a step needs, so each later step runs only when what it concerns
exists (where the Python rules tested a path index, this reads the walk's findings: the
steps before one never add or remove what it looks at).

A value already in libvirt's spelling (memory in KiB digits, a lowercase UUID, a canonical
node set ...) is checked in C and left alone; any other spelling goes to the Python helpers
the rest of the configuration layer uses (``conf/values.py``, ``conf/units.py``), so their
semantics and errors are shared, not re-implemented. Steps few documents need and that
rebuild or reorder elements (iothread ids, pin and scheduler order, memnode order,
metadata) are Python-level code on element objects.
"""

from cpython.mem cimport PyMem_Malloc
from libc.stdio cimport snprintf
from libc.string cimport memset, strchr

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

from lxml import etree

from pyvirt._core.xmlcore import add, child, children, permute
from pyvirt._core.xmlcore import get as aget
from pyvirt._core.xmlcore import set as aset
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError, virt_error

D = ErrorDomain.DOMAIN

cdef enum:
    # libvirt's distance of a NUMA node to itself, and the largest it takes
    LOCAL_DISTANCE = 10
    UNREACHABLE_DISTANCE = 255


cdef object err(object code, object detail=None, object domain=D):
    return virt_error(code, detail, domain=domain)


# -- word sets (C hash sets of strings, built once) ----------------------------------------------

cdef list _keep = []  # owners of every C string the tables below point into


cdef const char* _cstr(object s) except NULL:
    cdef bytes b = s if isinstance(s, bytes) else s.encode()
    _keep.append(b)
    return <const char*>b


cdef inline bint same_name(const char* a, const char* b) noexcept:
    """``strcmp(a, b) == 0`` inline: names are short and a libc call costs more."""
    while a[0] == b[0]:
        if a[0] == 0:
            return True
        a += 1
        b += 1
    return False


cdef struct StrSet:
    # open addressing over FNV-1a hashes; slots hold NULL or a member
    const char** slots
    unsigned int mask


cdef inline unsigned int _hash(const char* s) noexcept:
    cdef unsigned int h = 2166136261u
    while s[0]:
        h = (h ^ <unsigned char>s[0]) * 16777619u
        s += 1
    return h


cdef int _set_fill(StrSet* st, object words) except -1:
    cdef list items = sorted({w.encode() if isinstance(w, str) else w for w in words})
    cdef unsigned int size = 8, i
    cdef const char* cs
    while size < 2 * len(items):
        size *= 2
    st.slots = <const char**>PyMem_Malloc(size * sizeof(const char*))
    if st.slots is NULL:
        raise MemoryError()
    st.mask = size - 1
    for i in range(size):
        st.slots[i] = NULL
    for w in items:
        cs = _cstr(w)
        i = _hash(cs) & st.mask
        while st.slots[i] is not NULL:
            i = (i + 1) & st.mask
        st.slots[i] = cs
    return 0


cdef inline bint in_set(const StrSet* st, const char* s) noexcept:
    """``s`` is a member (NULL is not)."""
    cdef unsigned int i
    if s is NULL:
        return False
    i = _hash(s) & st.mask
    while st.slots[i] is not NULL:
        if same_name(st.slots[i], s):
            return True
        i = (i + 1) & st.mask
    return False


cdef StrSet VIRT_TYPES, OS_TYPES, ARCHES, RESTART_ACTIONS, CRASH_ACTIONS, KIB_UNITS
_set_fill(&VIRT_TYPES, (
    "none qemu kqemu kvm xen lxc uml openvz test vmware hyperv vbox phyp parallels bhyve vz hvf"
).split())
_set_fill(&OS_TYPES, "hvm xen linux exe uml xenpvh".split())
_set_fill(&ARCHES, (
    "none alpha armv6l armv7l armv7b aarch64 cris i686 ia64 lm32 loongarch64 m68k microblaze "
    "microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppc64 ppc64le ppcemb "
    "riscv32 riscv64 s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb"
).split())
_set_fill(&RESTART_ACTIONS, "destroy restart rename-restart preserve".split())
_set_fill(&CRASH_ACTIONS, "destroy restart rename-restart preserve coredump-destroy coredump-restart".split())
_set_fill(&KIB_UNITS, "KiB k K kib".split())  # <memory> units that need no arithmetic

LOCKFAILURE_ACTIONS = frozenset("poweroff restart pause ignore".split())
LIFECYCLE = {
    "on_poweroff": ("destroy", frozenset("destroy restart rename-restart preserve".split())),
    "on_reboot": ("restart", frozenset("destroy restart rename-restart preserve".split())),
    "on_crash": (
        "destroy",
        frozenset("destroy restart rename-restart preserve coredump-destroy coredump-restart".split()),
    ),
}


# -- text and number spellings, as the Python rules would read them ------------------------------

cdef enum TextKind:
    TEXT_NONE = 0  # lxml's .text is None
    TEXT_ONE = 1   # one text node: its content is .text
    TEXT_MANY = 2  # several adjacent text/CDATA nodes: .text joins them (use text_str)


cdef inline bint _is_text(Node c) noexcept:
    return c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE


cdef TextKind text_of(Node n, const char** out) noexcept:
    cdef Node c = n.children
    out[0] = NULL
    if c is NULL or not _is_text(c):
        return TEXT_NONE
    if c.next is not NULL and _is_text(c.next):
        return TEXT_MANY
    if c.content is NULL:
        out[0] = ""
    else:
        out[0] = <const char*>c.content
    return TEXT_ONE


cdef inline bint _ascii_space(unsigned char ch) noexcept:
    # str.isspace() for ASCII: blank, \t \n \v \f \r and the separators \x1c-\x1f
    return ch == 32 or (9 <= ch <= 13) or (28 <= ch <= 31)


cdef int visible(const char* s) noexcept:
    """1 when ``s.strip()`` is non-empty for sure (an ASCII non-blank), 0 when it is empty
    for sure (ASCII blanks only), -1 when only Python can tell (non-ASCII, maybe blank)."""
    cdef const unsigned char* p = <const unsigned char*>s
    cdef bint other = False
    while p[0]:
        if p[0] >= 128:
            other = True
        elif not _ascii_space(p[0]):
            return 1
        p += 1
    return -1 if other else 0


cdef bint all_digits(const char* s) noexcept:
    """Non-empty and ASCII decimal digits only."""
    if s is NULL or not s[0]:
        return False
    while s[0]:
        if not (c'0' <= s[0] <= c'9'):
            return False
        s += 1
    return True


cdef bint small_uint(const char* s, unsigned long long* out) noexcept:
    """``s`` as virXMLPropUInt reads it, for plain spellings (1-10 ASCII digits, at most
    2**32-1); False for anything else (the Python ``uint_prop`` decides those)."""
    cdef unsigned long long v = 0
    cdef int n = 0
    if s is NULL or not s[0]:
        return False
    while s[n]:
        if not (c'0' <= s[n] <= c'9') or n >= 10:
            return False
        v = v * 10 + <unsigned long long>(s[n] - c'0')
        n += 1
    if v > 0xFFFFFFFF:
        return False
    out[0] = v
    return True


cdef bint plain_number(const char* s, int max_digits, unsigned long long* out) noexcept:
    """``s`` is the decimal spelling Python's ``str(int)`` writes (no sign, no leading zero,
    at most ``max_digits`` digits)."""
    cdef unsigned long long v = 0
    cdef int n = 0
    if s is NULL or not s[0] or (s[0] == c'0' and s[1]):
        return False
    while s[n]:
        if not (c'0' <= s[n] <= c'9') or n >= max_digits:
            return False
        v = v * 10 + <unsigned long long>(s[n] - c'0')
        n += 1
    out[0] = v
    return True


cdef unsigned long long digits_value(const char* s) noexcept:
    """The value of an ASCII digit string (checked by the caller, at most 18 digits)."""
    cdef unsigned long long v = 0
    while s[0]:
        v = v * 10 + <unsigned long long>(s[0] - c'0')
        s += 1
    return v


cdef bint ascii_ieq(const char* s, const char* lower) noexcept:
    """ASCII case-insensitive equality with an all-lowercase ``lower``."""
    cdef unsigned char a
    while s[0] and lower[0]:
        a = <unsigned char>s[0]
        if c'A' <= a <= c'Z':
            a += 32
        if a != <unsigned char>lower[0]:
            return False
        s += 1
        lower += 1
    return s[0] == lower[0]


cdef bint canonical_uuid_text(const char* s) noexcept:
    """``s`` is already libvirt's spelling: lowercase 8-4-4-4-12 hex digits."""
    cdef int i
    cdef char ch
    for i in range(36):
        ch = s[i]
        if i == 8 or i == 13 or i == 18 or i == 23:
            if ch != c'-':
                return False
        elif not ((c'0' <= ch <= c'9') or (c'a' <= ch <= c'f')):
            return False  # also stops at the terminator of a short string
    return s[36] == 0


cdef bint canonical_bitmap(const char* s) noexcept:
    """``s`` is already virBitmapFormat's spelling (ascending 'N' / 'N-M' runs, separated by
    gaps, no leading zeros), so parsing and formatting it again would give ``s`` back."""
    cdef long long prev_end = -2, lo, hi
    cdef int n
    if not s[0]:
        return False
    while True:
        lo = 0
        n = 0
        if s[0] == c'0' and c'0' <= s[1] <= c'9':
            return False
        while c'0' <= s[0] <= c'9':
            if n >= 9:
                return False
            lo = lo * 10 + (s[0] - c'0')
            s += 1
            n += 1
        if n == 0:
            return False
        hi = lo
        if s[0] == c'-':
            s += 1
            hi = 0
            n = 0
            if s[0] == c'0' and c'0' <= s[1] <= c'9':
                return False
            while c'0' <= s[0] <= c'9':
                if n >= 9:
                    return False
                hi = hi * 10 + (s[0] - c'0')
                s += 1
                n += 1
            if n == 0 or hi <= lo:
                return False
        if lo <= prev_end + 1:
            return False
        prev_end = hi
        if s[0] == 0:
            return True
        if s[0] != c',':
            return False
        s += 1


cdef int text_nonblank(Node n) except -1:
    """``bool((n.text or "").strip())``."""
    cdef const char* s
    cdef TextKind kind = text_of(n, &s)
    cdef int v
    if kind == TEXT_NONE:
        return 0
    if kind == TEXT_ONE:
        v = visible(s)
        if v >= 0:
            return v
    return 1 if (text_str(n) or "").strip() else 0


# -- the start-of-parse walk: present elements and the first bad enumerated value ---------------

cdef enum Slot:
    # the first element at each of these paths (libvirt's XPath ``./path[1]``), by position
    # in _SLOT_PATHS below
    S_NAME, S_UUID, S_MAXMEMORY, S_MEMORY, S_CURRENTMEMORY, S_VCPU, S_OS_TYPE, S_OS_BOOT,
    S_OS_LOADER, S_OS_NVRAM, S_BOOTLOADER, S_ON_LOCKFAILURE, S_ON_POWEROFF, S_ON_REBOOT, S_ON_CRASH,
    S_CLOCK, S_IOTHREADS, S_IOTHREADIDS, S_CPU, S_CPU_NUMA, S_CPU_NUMA_DISTANCES,
    S_FEATURES_HYPERV, S_DEVICES, S_DEVICES_FILESYSTEM, S_NUMATUNE,
    S_NUMATUNE_MEMNODE, S_CPUTUNE, S_CPUTUNE_VCPUSCHED, S_CPUTUNE_IOTHREADSCHED, S_METADATA,
    S_SECLABEL, S_FEATURES, S_MEMTUNE, S_MEMORYBACKING, S_FEATURES_TCG, S_COUNT

_SLOT_PATHS = (
    "name", "uuid", "maxMemory", "memory", "currentMemory", "vcpu", "os/type", "os/boot",
    "os/loader", "os/nvram", "bootloader", "on_lockfailure", "on_poweroff", "on_reboot", "on_crash",
    "clock", "iothreads", "iothreadids", "cpu", "cpu/numa", "cpu/numa/cell/distances",
    "features/hyperv", "devices", "devices/filesystem", "numatune",
    "numatune/memnode", "cputune", "cputune/vcpusched", "cputune/iothreadsched", "metadata",
    "seclabel", "features", "memtune", "memoryBacking", "features/tcg",
)  # fmt: skip

cdef enum Group:
    # "any element at one of these paths" flags
    G_BITMAP = 1   # a CPU / NUMA node set other than <vcpu cpuset>
    G_SCALED = 2   # a scaled size libvirt writes back in one unit
    G_BOOT = 4     # a per-device <boot order>
    G_HOSTDEV_NIC = 8  # an <interface type='hostdev'>
    G_RNG = 16     # an <rng> device

#: attributes holding a CPU or NUMA node set, as (element path, attribute)
BITMAP_ATTRS = (
    ("vcpu", "cpuset"),
    ("cputune/vcpupin", "cpuset"),
    ("cputune/emulatorpin", "cpuset"),
    ("cputune/iothreadpin", "cpuset"),
    ("cputune/vcpusched", "vcpus"),
    ("cputune/iothreadsched", "iothreads"),
    ("cputune/cachetune", "vcpus"),
    ("cputune/memorytune", "vcpus"),
    ("numatune/memory", "nodeset"),
    ("numatune/memnode", "nodeset"),
    ("cpu/numa/cell", "cpus"),
    ("memoryBacking/hugepages/page", "nodeset"),
)

#: elements holding a scaled size that libvirt writes back in one unit: (path, unit, scale),
#: in libvirt's order of parse
SCALED_ELEMENTS = (
    ("features/pcihole64", "KiB", 1024),
    ("devices/controller/pcihole64", "KiB", 1024),
    ("features/hpt/maxpagesize", "KiB", 1024),
    ("features/tcg/tb-cache", "KiB", 1024),
    ("memtune/hard_limit", "KiB", 1024),
    ("memtune/soft_limit", "KiB", 1024),
    ("memtune/min_guarantee", "KiB", 1024),
    ("memtune/swap_hard_limit", "KiB", 1024),
    ("devices/disk/driver/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/source/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/backingStore/format/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/backingStore/backingStore/format/metadata_cache/max_size", "bytes", 1),
    ("devices/memory/source/pagesize", "KiB", 1024),
    ("devices/memory/source/alignsize", "KiB", 1024),
    ("devices/memory/target/size", "KiB", 1024),
    ("devices/memory/target/block", "KiB", 1024),
    ("devices/memory/target/requested", "KiB", 1024),
    ("devices/memory/target/label/size", "KiB", 1024),
)

#: the XPath libvirt names when a size in SCALED_ELEMENTS does not parse (relative to the
#: element it parses then: the domain, a device, a backing store)
SCALED_XPATHS = {
    "features/tcg/tb-cache": "./tb-cache",
    "memtune/hard_limit": "./memtune/hard_limit[1]",
    "memtune/soft_limit": "./memtune/soft_limit[1]",
    "memtune/min_guarantee": "./memtune/min_guarantee[1]",
    "memtune/swap_hard_limit": "./memtune/swap_hard_limit[1]",
    "devices/controller/pcihole64": "./pcihole64",
    "devices/disk/driver/metadata_cache/max_size": "./metadata_cache/max_size",
    "devices/disk/backingStore/format/metadata_cache/max_size": "./format/metadata_cache/max_size",
    "devices/disk/backingStore/backingStore/format/metadata_cache/max_size": "./format/metadata_cache/max_size",
    "devices/memory/source/pagesize": "./pagesize",
    "devices/memory/source/alignsize": "./alignsize",
    "devices/memory/target/size": "./size",
    "devices/memory/target/block": "./block",
    "devices/memory/target/requested": "./requested",
    "devices/memory/target/label/size": "./label/size",
}

cdef struct PathRow:
    # a path split at its first step: the top-level element's slot, the rest ("" for the
    # element itself), the attribute or unit the row is about
    int slot
    const char* rest
    const char* full
    const char* attr
    bint kib

cdef PathRow* _bitmap_rows = NULL
cdef Py_ssize_t _n_bitmaps = 0
cdef PathRow* _scaled_rows = NULL
cdef Py_ssize_t _n_scaled = 0


cdef int _path_row(PathRow* row, str path) except -1:
    top, _, rest = path.partition("/")
    row.slot = _SLOT_PATHS.index(top)
    row.rest = _cstr(rest)
    row.full = _cstr(path)
    row.attr = NULL
    row.kib = False
    return 0


cdef int _path_tables() except -1:
    """BITMAP_ATTRS and SCALED_ELEMENTS as C rows (the steps loop over them per document)."""
    global _bitmap_rows, _n_bitmaps, _scaled_rows, _n_scaled
    cdef Py_ssize_t i
    _bitmap_rows = <PathRow*>PyMem_Malloc(len(BITMAP_ATTRS) * sizeof(PathRow))
    _scaled_rows = <PathRow*>PyMem_Malloc(len(SCALED_ELEMENTS) * sizeof(PathRow))
    if _bitmap_rows is NULL or _scaled_rows is NULL:
        raise MemoryError()
    for i, (path, attr_name) in enumerate(BITMAP_ATTRS):
        _path_row(&_bitmap_rows[i], path)
        _bitmap_rows[i].attr = _cstr(attr_name)
    _n_bitmaps = len(BITMAP_ATTRS)
    for i, (path, unit, scale) in enumerate(SCALED_ELEMENTS):
        assert (unit, scale) in (("KiB", 1024), ("bytes", 1))
        _path_row(&_scaled_rows[i], path)
        _scaled_rows[i].kib = scale == 1024
    _n_scaled = len(SCALED_ELEMENTS)
    return 0


_path_tables()

BOOT_PATHS = ("devices/disk/boot", "devices/interface/boot", "devices/hostdev/boot",
              "devices/redirdev/boot", "devices/filesystem/boot")


cdef struct Rule:
    # one row of enums.ENUMS: attribute ``attr`` must be one of ``allowed``; with a
    # condition, only where attribute cond_attr (cond_default when absent) is cond_value
    const char* attr
    StrSet allowed
    bint unsigned_values  # instead of ``allowed``: a C unsigned int (enums.UnsignedValues)
    long no
    const char* cond_attr
    const char* cond_default
    const char* cond_value
    # the index after the last of the consecutive rules of this attribute and condition
    # attribute (one condition value each: once one applies, the others cannot)
    int group_end


cdef struct PathNode:
    # one step of the walked paths; kids sorted by name, kids[start[b]:start[b+1]] are the
    # ones whose name starts with byte b
    const char* name
    int slot
    unsigned int groups
    int n_kids
    PathNode* kids
    unsigned short* start
    int n_rules
    Rule* rules
    # only the first element of this name among its siblings is checked (enums.FIRST_ONLY_PATHS)
    bint first_only
    # sets watch_group when attribute watch_attr equals watch_value
    const char* watch_attr
    const char* watch_value
    unsigned int watch_group


cdef struct Walk:
    Node first[S_COUNT]
    unsigned int groups
    long bad_no          # lowest broken rule number, -1 when none
    Node bad_node
    const Rule* bad_rule


cdef PathNode* _TREE = NULL


cdef int _fill(PathNode* pn, object name, dict spec) except -1:
    cdef list rules = spec["rules"]
    cdef list kids = sorted(spec["kids"].items(), key=lambda kv: kv[0].encode())
    cdef Py_ssize_t i, k
    cdef int b
    cdef Rule* r
    pn.name = NULL if name is None else _cstr(name)
    pn.slot = spec["slot"]
    pn.first_only = spec.get("first_only", False)
    pn.groups = spec["groups"]
    pn.watch_attr = pn.watch_value = NULL
    pn.watch_group = 0
    if spec.get("watch") is not None:
        pn.watch_attr = _cstr(spec["watch"][0])
        pn.watch_value = _cstr(spec["watch"][1])
        pn.watch_group = spec["watch"][2]
    pn.n_rules = len(rules)
    pn.rules = <Rule*>PyMem_Malloc(max(1, len(rules)) * sizeof(Rule))
    pn.n_kids = len(kids)
    pn.kids = <PathNode*>PyMem_Malloc(max(1, len(kids)) * sizeof(PathNode))
    pn.start = <unsigned short*>PyMem_Malloc(257 * sizeof(unsigned short))
    if pn.rules is NULL or pn.kids is NULL or pn.start is NULL:
        raise MemoryError()
    for i, (attr_name, allowed, no, cond) in enumerate(rules):
        r = &pn.rules[i]
        r.attr = _cstr(attr_name)
        r.unsigned_values = not isinstance(allowed, frozenset)
        _set_fill(&r.allowed, () if r.unsigned_values else allowed)
        r.no = no
        r.cond_attr = r.cond_default = r.cond_value = NULL
        if cond is not None:
            r.cond_attr = _cstr(cond[0])
            r.cond_default = _cstr(cond[1])
            r.cond_value = _cstr(cond[2])
    for i in range(len(rules) - 1, -1, -1):
        r = &pn.rules[i]
        r.group_end = i + 1
        if (r.cond_attr is not NULL and i + 1 < len(rules) and pn.rules[i + 1].cond_attr is not NULL
                and strcmp(pn.rules[i + 1].cond_attr, r.cond_attr) == 0
                and strcmp(pn.rules[i + 1].attr, r.attr) == 0):
            r.group_end = pn.rules[i + 1].group_end
    k = 0
    for b in range(257):
        while k < len(kids) and b < 256 and kids[k][0].encode()[0] < b:
            k += 1
        pn.start[b] = len(kids) if b == 256 else k
    for i, (kid_name, kid_spec) in enumerate(kids):
        _fill(&pn.kids[i], kid_name, kid_spec)
    return 0


cdef dict _spec_at(dict top, str path):
    cdef dict node = top
    for step in path.split("/"):
        node = node["kids"].setdefault(step, {"kids": {}, "rules": [], "slot": -1, "groups": 0})
    return node


cdef int _compile(dict enum_rules) except -1:
    """The walked paths: enums.RULES (rows as compiled by xmlcore.compile_value_rules),
    the slots and the groups."""
    global _TREE
    cdef dict top = {"kids": {}, "rules": [], "slot": -1, "groups": 0}
    assert len(_SLOT_PATHS) == <int>S_COUNT
    for path, rows in enum_rules.items():
        for attr_name, allowed, no, cond in rows:
            _spec_at(top, path)["rules"].append((attr_name, allowed, no, cond))
    for path in enum_rules:
        _spec_at(top, path)["rules"].sort(key=lambda row: row[2])
    for path in FIRST_ONLY_PATHS:
        _spec_at(top, path)["first_only"] = True
    for i, path in enumerate(_SLOT_PATHS):
        _spec_at(top, path)["slot"] = i
    for path, _ in BITMAP_ATTRS:
        if path != "vcpu":
            _spec_at(top, path)["groups"] |= G_BITMAP
    for path, _, _ in SCALED_ELEMENTS:
        _spec_at(top, path)["groups"] |= G_SCALED
    _spec_at(top, "memoryBacking/hugepages/page")["groups"] |= G_SCALED
    for path in BOOT_PATHS:
        _spec_at(top, path)["groups"] |= G_BOOT
    _spec_at(top, "devices/interface")["watch"] = ("type", "hostdev", G_HOSTDEV_NIC)
    _spec_at(top, "devices/rng")["groups"] |= G_RNG
    tree_root = <PathNode*>PyMem_Malloc(sizeof(PathNode))
    if tree_root is NULL:
        raise MemoryError()
    _fill(tree_root, None, top)
    _TREE = tree_root
    return 0


cdef int _check_node(_Document doc, Node c, PathNode* pn, Walk* w) except -1:
    """Record the lowest-numbered rule ``c`` breaks (xmlcore's _check_rules, on nodes)."""
    cdef int i
    cdef Rule* r
    cdef tree.xmlAttr* a
    cdef const char* v
    cdef const char* cond_attr = NULL  # the condition attribute last read, and its value
    cdef const char* cond_v = NULL
    i = 0
    while i < pn.n_rules:
        r = &pn.rules[i]
        i += 1
        if w.bad_no >= 0 and w.bad_no <= r.no:
            continue
        if r.cond_attr is not NULL:
            # rows of one attribute by a condition's value (controller models by type) run
            # together: the condition attribute is read once for them, and the first that
            # applies ends the group
            if cond_attr is NULL or strcmp(cond_attr, r.cond_attr) != 0:
                cond_attr = r.cond_attr
                cond_v = attr(c, cond_attr)
                if cond_v is NULL:
                    cond_v = r.cond_default
            if strcmp(cond_v, r.cond_value) != 0:
                continue
            i = r.group_end
        a = c.properties
        while a is not NULL and not (a.ns is NULL and same_name(<const char*>a.name, r.attr)):
            a = a.next
        if a is NULL:
            continue
        if a.children is NULL or a.children.content is NULL:
            v = ""
        elif a.children.next is NULL:
            v = <const char*>a.children.content
        else:  # several text nodes (a tree built through the API): lxml joins them
            value = proxy(doc, c).get(ustr(r.attr))
            v = utf8(value)  # valid while ``value`` lives (until the next row)
        if (not in_set(&r.allowed, v) if not r.unsigned_values
                else str_to_uint(v.decode("utf-8", "replace"), 10) is None):
            w.bad_no = r.no
            w.bad_node = c
            w.bad_rule = r
    return 0


cdef bint _first_of_name(Node c) noexcept:
    """No earlier sibling of ``c`` is a plain element of its name."""
    cdef Node p = c.prev
    while p is not NULL:
        if p.type == tree.XML_ELEMENT_NODE and p.ns is NULL and same_name(<const char*>p.name, <const char*>c.name):
            return False
        p = p.prev
    return True


cdef int _walk(_Document doc, Node parent, PathNode* pn, Walk* w) except -1:
    cdef Node c = parent.children
    cdef PathNode* k
    cdef int i, end
    cdef unsigned char b
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            b = (<const unsigned char*>c.name)[0]
            i = pn.start[b]
            end = pn.start[b + 1]
            k = NULL
            while i < end:
                if same_name(<const char*>c.name, pn.kids[i].name):
                    k = &pn.kids[i]
                    break
                i += 1
            if k is not NULL:
                if k.slot >= 0 and w.first[k.slot] is NULL:
                    w.first[k.slot] = c
                w.groups |= k.groups
                if k.n_rules and c.properties is not NULL and (not k.first_only or _first_of_name(c)):
                    _check_node(doc, c, k, w)
                if k.watch_attr is not NULL and streq(attr(c, k.watch_attr), k.watch_value):
                    w.groups |= k.watch_group
                if k.n_kids and c.children is not NULL:
                    _walk(doc, c, k, w)
        c = c.next
    return 0


cdef object _enum_failure(_Document doc, Walk* w):
    """libvirt's error for the broken row (enums.enum_error takes xmlcore's tuple)."""
    cdef tree.xmlAttr* a = find_attr(w.bad_node, w.bad_rule.attr)
    el = proxy(doc, w.bad_node)
    if a.children is NULL or a.children.content is NULL:
        value = ""
    elif a.children.next is NULL:
        value = ustr(<const char*>a.children.content)
    else:
        value = el.get(ustr(w.bad_rule.attr))
    return enum_error((w.bad_no, el, value))


cdef int _rng_backends(_Document doc, Walk* w) except -1:
    """libvirt refuses an <rng> without exactly one <backend> (XML_ERROR), after the RNG model
    and before the backend's model and the device's info: that error wins over a broken row
    read later (in this <rng>, a later one, or the elements libvirt reads after the RNGs)."""
    devices = proxy(doc, w.first[<int>S_DEVICES])
    broken = None  # the device or top-level element holding the broken row
    if w.bad_node is not NULL:
        broken = proxy(doc, w.bad_node)
        while (broken.getparent() is not None and broken.getparent() is not devices
               and broken.getparent().getparent() is not None):
            broken = broken.getparent()
    for el in devices.iterfind("rng"):
        one = len(el.findall("backend")) == 1
        if broken is el:
            if one or w.bad_no == _RNG_MODEL_ROW:
                return 0  # its model is read before the backends, the rest after
        elif one:
            continue
        elif broken is not None and broken.tag != "rng" and broken.tag not in _READ_AFTER_RNG:
            return 0  # a later <rng> is read after this one; these elements before it
        raise virt_error(ErrorNumber.XML_ERROR, "only one RNG backend is supported", domain=ErrorDomain.DOMAIN)
    return 0


# -- paths below the root, on nodes --------------------------------------------------------------

cdef inline bint _step_is(Node c, const char* path, Py_ssize_t n) noexcept:
    """``c`` is a plain element named ``path[:n]``."""
    cdef const char* name = <const char*>c.name
    return (c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and name[0] == path[0]
            and strncmp(name, path, n) == 0 and name[n] == 0)


cdef Node first_at(Node parent, const char* path) noexcept:
    """The first element at ``a/b/c`` below ``parent`` in document order, or NULL."""
    cdef const char* slash = strchr(path, c'/')
    cdef Py_ssize_t n = strlen(path) if slash is NULL else slash - path
    cdef Node c = parent.children
    cdef Node found
    while c is not NULL:
        if _step_is(c, path, n):
            if slash is NULL:
                return c
            found = first_at(c, slash + 1)
            if found is not NULL:
                return found
        c = c.next
    return NULL


ctypedef int (*NodeVisit)(_Document doc, Node n, const char* arg) except -1


cdef int each_at(_Document doc, Node parent, const char* path, NodeVisit visit,
                 const char* arg) except -1:
    """``visit`` every element at ``a/b/c`` below ``parent``, in document order (it may
    change the element, not remove it)."""
    cdef const char* slash = strchr(path, c'/')
    cdef Py_ssize_t n = strlen(path) if slash is NULL else slash - path
    cdef Node c = parent.children
    while c is not NULL:
        if _step_is(c, path, n):
            if slash is NULL:
                visit(doc, c, arg)
            elif c.children is not NULL:
                each_at(doc, c, slash + 1, visit, arg)
        c = c.next
    return 0


cdef int each_under(_Document doc, Node top, const char* rest, NodeVisit visit,
                    const char* arg) except -1:
    """:func:`each_at` for a path whose first step is ``top`` (the first top-level element
    of that name, from the walk) and its same-named siblings; ``rest`` "" means those."""
    cdef const char* name
    if top is NULL:
        return 0
    name = <const char*>top.name
    while top is not NULL:
        if rest[0] == 0:
            visit(doc, top, arg)
        elif top.children is not NULL:
            each_at(doc, top, rest, visit, arg)
        top = next_named(top, name)
    return 0


cdef int _collect(_Document doc, Node parent, const char* path, list out) except -1:
    cdef const char* slash = strchr(path, c'/')
    cdef Py_ssize_t n = strlen(path) if slash is NULL else slash - path
    cdef Node c = parent.children
    while c is not NULL:
        if _step_is(c, path, n):
            if slash is NULL:
                out.append(proxy(doc, c))
            elif c.children is not NULL:
                _collect(doc, c, slash + 1, out)
        c = c.next
    return 0


cdef list all_at(_Element root, str path):
    """Element objects for every element at ``a/b/c`` below ``root`` (the rare steps)."""
    cdef list out = []
    _collect(root._doc, root._c_node, utf8(path), out)
    return out


cdef int drop_elem(_Document doc, Node n) except -1:
    """Remove element ``n`` as lxml's ``remove`` does: its tail text goes with it."""
    cdef Node t = n.next
    cdef Node nxt
    while t is not NULL and _is_text(t):
        nxt = t.next
        nx_unlink_node(t)
        nx_free_node(t)
        t = nxt
    return remove_node(doc, n)


cdef inline bint _is_item(Node c) noexcept:
    """What lxml counts as a child (``len()``, ``insert`` positions): element, comment,
    processing instruction, entity reference."""
    return (c.type == tree.XML_ELEMENT_NODE or c.type == tree.XML_COMMENT_NODE
            or c.type == tree.XML_PI_NODE or c.type == tree.XML_ENTITY_REF_NODE)


# -- the steps, in libvirt's order ---------------------------------------------------------------

cdef int _domain_type(Node root) except -1:
    cdef const char* vtype = attr(root, "type")
    if vtype is NULL:
        raise err(ErrorNumber.INTERNAL_ERROR, "missing domain type attribute")
    if not in_set(&VIRT_TYPES, vtype):
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"invalid domain type {ustr(vtype)}")
    return 0


cdef int _identity(Node root, Node name_el, Node uuid_el) except -1:
    cdef const char* s
    if name_el is NULL or text_of(name_el, &s) != TEXT_ONE or visible(s) != 1 or strchr(s, c'/') is not NULL:
        name = (text_str(name_el) if name_el is not NULL else None) or ""
        if not name.strip():
            raise err(ErrorNumber.NO_NAME)
        if "/" in name:
            raise err(ErrorNumber.XML_ERROR, f"name {name} cannot contain '/'")
    if uuid_el is NULL:
        add_elem(root, "uuid", utf8(generate_uuid()))
    elif text_of(uuid_el, &s) != TEXT_ONE or not canonical_uuid_text(s):
        text = text_str(uuid_el) or ""
        canonical = canonical_uuid(text)
        if canonical != text:
            set_text_s(uuid_el, canonical)
    return 0


def _memory_value(el, tag):
    """One of <maxMemory>/<memory>/<currentMemory> in any spelling: to KiB digits."""
    text = el.text
    unit = aget(el, "unit")
    if unit in (None, "KiB", "k", "K", "kib") and text is not None and text.isdigit() and text[0] != "0" and len(text) < 16:
        if unit != "KiB":
            aset(el, "unit", "KiB")  # already KiB: no arithmetic
        return
    kib = to_kib(parse_scaled(el.text, aget(el, "unit"), what=f"./{tag}[1]", default_scale=1024, limit=LLONG_MAX))
    el.text = str(kib)
    aset(el, "unit", "KiB")


cdef int _memory_one(_Document doc, Node el, str tag) except -1:
    cdef const char* s
    cdef const char* unit
    if el is NULL:
        return 0
    unit = attr(el, "unit")
    if ((unit is NULL or in_set(&KIB_UNITS, unit)) and text_of(el, &s) == TEXT_ONE
            and s[0] != c'0' and strlen(s) < 16 and all_digits(s)):
        if unit is NULL or strcmp(unit, "KiB") != 0:
            set_attr(el, "unit", "KiB")
        return 0
    _memory_value(proxy(doc, el), tag)
    return 0


def _vcpu_count(el):
    """<vcpu> in a spelling the node check does not take (blanks before, a sign, leading
    zeros, non-ASCII digits, long). libvirt reads it with virStrToLong_ui (C's strtoul: "-N"
    wraps to 2**32-N, "-0" is 0) and writes the number plainly; ``current`` is read with
    virXMLPropUInt (blanks before and '+' allowed, any '-' not) and written plainly too."""
    text = el.text or ""
    magnitude, end, negative = c_strtoul(text)
    if magnitude is None or end != len(text) or magnitude > 0xFFFFFFFF:
        raise err(ErrorNumber.XML_ERROR, "maximum vcpus count must be an integer")
    count = (-magnitude) & 0xFFFFFFFF if negative else magnitude
    if count == 0:
        raise err(ErrorNumber.INTERNAL_ERROR, "CPU IDs in <numa> exceed the <vcpu> count")
    el.text = str(count)
    current = aget(el, "current")
    if current is not None:
        value = uint_prop(current, "current", "vcpu")
        if value > count:
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, "maximum vCPU count must not be less than current vCPU count")
        aset(el, "current", str(value))


cdef Node _vcpus(_Document doc, Node root, Node el) except NULL:
    cdef const char* s
    cdef const char* current
    cdef unsigned long long count, cur
    if el is NULL:
        el = add_elem(root, "vcpu", "1")
    elif (text_of(el, &s) == TEXT_ONE and all_digits(s) and strlen(s) <= 10
          and (s[0] != c'0' or s[1] == 0)):
        count = 0
        while s[0]:
            count = count * 10 + <unsigned long long>(s[0] - c'0')
            s += 1
        if count > 0xFFFFFFFF:
            raise err(ErrorNumber.XML_ERROR, "maximum vcpus count must be an integer")
        if count == 0:
            raise err(ErrorNumber.INTERNAL_ERROR, "CPU IDs in <numa> exceed the <vcpu> count")
        current = attr(el, "current")
        if current is not NULL:
            if not small_uint(current, &cur) or (current[0] == c'0' and current[1] != 0):
                cur = uint_prop(ustr(current), "current", "vcpu")
                set_attr(el, "current", utf8(str(cur)))  # libvirt writes it plainly
            if cur > count:
                raise err(ErrorNumber.CONFIG_UNSUPPORTED,
                          "maximum vCPU count must not be less than current vCPU count")
    else:
        _vcpu_count(proxy(doc, el))
    if attr(el, "placement") is NULL:
        set_attr(el, "placement", "static")
    return el


cdef str _os(Node type_el):
    """Check and normalise <os><type>; libvirt's OS type (``linux`` read as ``xen``)."""
    cdef const char* s
    cdef const char* arch
    if type_el is not NULL and text_of(type_el, &s) == TEXT_ONE and in_set(&OS_TYPES, s):
        os_type = ustr(s)
    else:
        text = text_str(type_el) if type_el is not NULL else None
        if type_el is NULL or not (text or "").strip():
            raise err(ErrorNumber.XML_ERROR, "an os <type> must be specified")
        os_type = text.strip()
        if not os_type.isascii() or not in_set(&OS_TYPES, utf8(os_type)):
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown OS type '{os_type}'")
        if text != os_type:
            set_text_s(type_el, os_type)  # 'linux' stays as written: libvirt's alias of 'xen'
    arch = attr(type_el, "arch")
    if arch is NULL:
        # the test driver's capabilities list i686 first: libvirt's default guest arch there
        set_attr_first(type_el, "arch", "i686")
    elif not in_set(&ARCHES, arch):
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Unknown architecture {ustr(arch)}")
    return "xen" if os_type == "linux" else os_type


cdef int _lifecycle_one(Node root, Node el, const char* tag, const char* default,
                        const StrSet* allowed) except -1:
    cdef const char* s
    if el is NULL:
        add_elem(root, tag, default)
    elif text_of(el, &s) == TEXT_ONE and in_set(allowed, s):
        pass
    elif (text_str(el) or "").strip() not in LIFECYCLE[ustr(tag)][1]:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown {ustr(tag)} action: {text_str(el)}")
    return 0


cdef int _lifecycle(Node root, Walk* w) except -1:
    cdef Node lockfailure = w.first[<int>S_ON_LOCKFAILURE]
    if lockfailure is not NULL and (text_str(lockfailure) or "").strip() not in LOCKFAILURE_ACTIONS:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown on_lockfailure action: {text_str(lockfailure)}")
    _lifecycle_one(root, w.first[<int>S_ON_POWEROFF], "on_poweroff", "destroy", &RESTART_ACTIONS)
    _lifecycle_one(root, w.first[<int>S_ON_REBOOT], "on_reboot", "restart", &RESTART_ACTIONS)
    _lifecycle_one(root, w.first[<int>S_ON_CRASH], "on_crash", "destroy", &CRASH_ACTIONS)
    return 0


def _iothreads(root):
    count_el = child(root, "iothreads")
    ids_el = child(root, "iothreadids")
    count = int(count_el.text) if count_el is not None and (count_el.text or "").strip().isdigit() else 0
    ids = [] if ids_el is None else children(ids_el, "iothread")
    if count > len(ids):
        if ids_el is None:
            return
        used = {uint_prop(aget(i, "id", "0"), "id", "iothread") for i in ids}
        nxt = 1
        for _ in range(count - len(ids)):
            while nxt in used:
                nxt += 1
            used.add(nxt)
            ids_el.append(etree.Element("iothread", id=str(nxt)))
    elif count_el is None and ids:
        count_el = etree.Element("iothreads")
        count_el.text = str(len(ids))
        root.append(count_el)
    elif count_el is not None and len(ids) > count:
        count_el.text = str(len(ids))


def _iothread_count(root):
    """libvirt reads the first <iothreads> (an unsigned base-10 number, blanks before it
    allowed) and writes it plainly; none, or 0, is no count (written again when there
    are iothread ids)."""
    counts = children(root, "iothreads")
    for extra in counts[1:]:
        root.remove(extra)
    text = "".join(counts[0].itertext())
    if text == "":
        root.remove(counts[0])
        return
    value = str_to_uint(text)
    if value is None:
        raise err(ErrorNumber.XML_ERROR, f"invalid iothreads count '{text}'", domain=ErrorDomain.XML)
    if value == 0:
        root.remove(counts[0])
    elif text != str(value):
        counts[0].text = str(value)


def _iothread_ids(root):
    """libvirt's parse of <iothreadids>: each id a required, non-zero, base-10 number
    (written back plainly), no id twice."""
    lists = children(root, "iothreadids")
    if not lists:
        return
    ids_el = lists[0]
    for extra in lists[1:]:  # libvirt reads ./iothreadids/iothread across all of them
        for thread in children(extra, "iothread"):
            ids_el.append(thread)
        root.remove(extra)
    seen = set()
    for thread in children(ids_el, "iothread"):
        raw = aget(thread, "id")
        if raw is None:
            raise missing_prop("id", "iothread")
        value = uint_prop(raw, "id", "iothread", nonzero=True)
        if value in seen:
            raise err(ErrorNumber.XML_ERROR, f"duplicate iothread id '{value}' found", domain=ErrorDomain.XML)
        seen.add(value)
        if raw != str(value):
            aset(thread, "id", str(value))


def _iothread_id_set(root):
    """The iothread ids libvirt knows once it has read <iothreads> and <iothreadids>."""
    ids_el = child(root, "iothreadids")
    ids = set() if ids_el is None else {int(aget(i, "id")) for i in children(ids_el, "iothread")}
    count_el = child(root, "iothreads")
    text = "" if count_el is None else (count_el.text or "").strip()
    count = int(text) if text.isdigit() else 0
    nxt = 1
    while len(ids) < count:
        while nxt in ids:
            nxt += 1
        ids.add(nxt)
    return ids


def _pin_checks(root):
    """libvirt's parse of <vcpupin> and <iothreadpin> (in <cputune>, before the NUMA cells):
    the vCPU / iothread number (base 10, an iothread non-zero and existing), no number twice,
    a CPU set; a pin of a vCPU the guest does not have is ignored (dropped)."""
    tunes = children(root, "cputune")
    if not tunes:
        return
    tune = tunes[0]
    for extra in tunes[1:]:  # libvirt reads ./cputune/vcpupin (iothreadpin) across all of them
        for pin in list(extra):
            if pin.tag in ("vcpupin", "iothreadpin"):
                tune.append(pin)
        if len(extra) == 0 and not extra.attrib:
            root.remove(extra)
    vcpu = child(root, "vcpu")
    text = "" if vcpu is None else (vcpu.text or "").strip()
    max_vcpus = int(text) if text.isdigit() else 1
    seen = set()
    for pin in children(tune, "vcpupin"):
        raw = aget(pin, "vcpu")
        if raw is None:
            raise missing_prop("vcpu", "vcpupin")
        value = uint_prop(raw, "vcpu", "vcpupin")
        if value >= max_vcpus:
            tune.remove(pin)  # libvirt: "Ignoring vcpupin for missing vcpus"
            continue
        if value in seen:
            raise err(ErrorNumber.INTERNAL_ERROR, f"duplicate vcpupin for vcpu '{value}'")
        if aget(pin, "cpuset") is None:
            raise err(ErrorNumber.INTERNAL_ERROR, "missing cpuset for vcpupin")
        seen.add(value)
        if raw != str(value):
            aset(pin, "vcpu", str(value))
    if len(tune) == 0 and not tune.attrib:
        root.remove(tune)  # libvirt writes no empty <cputune>
        return
    pins = children(tune, "iothreadpin")
    known = _iothread_id_set(root) if pins else ()
    seen = set()
    for pin in pins:
        raw = aget(pin, "iothread")
        if raw is None:
            raise missing_prop("iothread", "iothreadpin")
        value = uint_prop(raw, "iothread", "iothreadpin", nonzero=True)
        if value not in known:
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Cannot find 'iothread' : {value}")
        if value in seen:
            raise err(ErrorNumber.INTERNAL_ERROR, f"duplicate iothreadpin for same iothread '{value}'")
        if aget(pin, "cpuset") is None:
            raise err(ErrorNumber.INTERNAL_ERROR, "missing cpuset for iothreadpin")
        seen.add(value)
        if raw != str(value):
            aset(pin, "iothread", str(value))


def _numa_cells(root):
    cpu = child(root, "cpu")
    numa = None if cpu is None else child(cpu, "numa")
    return [] if numa is None else children(numa, "cell")


def _distance_checks(root):
    """libvirt's parse of each NUMA cell's (first) <distances>: siblings given, each naming
    an existing cell, a distance in [10, 255] that is 10 exactly for the cell itself. The
    distances are written back plainly."""
    cells = _numa_cells(root)
    for cell in cells:
        dists = child(cell, "distances")
        if dists is None:
            continue
        siblings = children(dists, "sibling")
        if not siblings:
            raise err(ErrorNumber.XML_ERROR, "NUMA distances defined without siblings", domain=ErrorDomain.XML)
        cur = uint_prop(aget(cell, "id", "0"), "id", "cell")
        for sib in siblings:
            raw_id = aget(sib, "id")
            if raw_id is None:
                raise missing_prop("id", "sibling")
            sid = uint_prop(raw_id, "id", "sibling")
            if sid >= len(cells):
                raise err(ErrorNumber.XML_ERROR,
                          f"'sibling_id {sid}' does not refer to a valid cell within NUMA 'cell id {cur}'",
                          domain=ErrorDomain.XML)
            raw = aget(sib, "value")
            if raw is None:
                raise missing_prop("value", "sibling")
            value = uint_prop(raw, "value", "sibling")
            if not LOCAL_DISTANCE <= value <= UNREACHABLE_DISTANCE or (sid == cur) != (value == LOCAL_DISTANCE):
                raise err(ErrorNumber.XML_ERROR,
                          f"'value {value}' is invalid for 'sibling id {sid}' under NUMA 'cell id {cur}'",
                          domain=ErrorDomain.XML)
            if raw_id != str(sid):
                aset(sib, "id", str(sid))
            if raw != str(value):
                aset(sib, "value", str(value))


def _memnode_checks(root):
    """libvirt's parse of <numatune><memnode> (after the NUMA cells): only with NUMA cells,
    a base-10 cell id of an existing cell, one memnode per cell."""
    tune = child(root, "numatune")
    memnodes = [] if tune is None else children(tune, "memnode")
    if not memnodes:
        return
    ncells = len(_numa_cells(root))
    if not ncells:
        raise err(ErrorNumber.XML_ERROR, "Element 'memnode' is invalid without any guest NUMA cells",
                  domain=ErrorDomain.XML)
    seen = set()
    for node in memnodes:
        raw = aget(node, "cellid")
        if raw is None:
            raise missing_prop("cellid", "memnode")
        value = uint_prop(raw, "cellid", "memnode")
        if value >= ncells:
            raise err(ErrorNumber.XML_ERROR,
                      "Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell",
                      domain=ErrorDomain.XML)
        if value in seen:
            raise err(ErrorNumber.XML_ERROR, f"Multiple memnode elements with cellid {value}",
                      domain=ErrorDomain.XML)
        seen.add(value)
        if raw != str(value):
            aset(node, "cellid", str(value))


cdef bint _memnodes_plain(Node root) noexcept:
    """Every <memnode> names, plainly, a distinct existing NUMA cell (cells counted in the
    first <cpu><numa>): _memnode_checks would find nothing and change nothing."""
    cdef Node cpu = child_named(root, "cpu")
    cdef Node numa = NULL if cpu is NULL else child_named(cpu, "numa")
    cdef Node tune = child_named(root, "numatune")
    cdef Node m
    cdef unsigned long long v, seen = 0
    cdef Py_ssize_t ncells = 0 if numa is NULL else count_named(numa, "cell")
    if tune is NULL or ncells == 0 or ncells > 64:
        return False
    m = child_named(tune, "memnode")
    while m is not NULL:
        if not plain_number(attr(m, "cellid"), 2, &v) or v >= <unsigned long long>ncells or seen & (1ULL << v):
            return False
        seen |= 1ULL << v
        m = next_named(m, "memnode")
    return True


cdef bint _distances_plain(Node root) noexcept:
    """Every NUMA cell's first <distances> lists siblings with plain, valid numbers (an
    existing cell, 10 for the cell itself, else 11-255): _distance_checks would find nothing
    and change nothing."""
    cdef Node cpu = child_named(root, "cpu")
    cdef Node numa = NULL if cpu is NULL else child_named(cpu, "numa")
    cdef Node cell, dists, sib
    cdef const char* cid
    cdef unsigned long long cur, sid, value
    cdef Py_ssize_t ncells = 0 if numa is NULL else count_named(numa, "cell")
    if numa is NULL:
        return False
    cell = child_named(numa, "cell")
    while cell is not NULL:
        dists = child_named(cell, "distances")
        if dists is not NULL:
            cid = attr(cell, "id")
            if cid is NULL:
                cid = "0"
            if not plain_number(cid, 9, &cur):
                return False
            sib = child_named(dists, "sibling")
            if sib is NULL:
                return False
            while sib is not NULL:
                if (not plain_number(attr(sib, "id"), 9, &sid) or sid >= <unsigned long long>ncells
                        or not plain_number(attr(sib, "value"), 3, &value)
                        or value < LOCAL_DISTANCE or value > UNREACHABLE_DISTANCE
                        or (sid == cur) != (value == LOCAL_DISTANCE)):
                    return False
                sib = next_named(sib, "sibling")
        cell = next_named(cell, "cell")
    return True


cdef bint _iothread_count_plain(Node root) noexcept:
    """One <iothreads>, a plain non-zero number: _iothread_count would change nothing."""
    cdef Node count = child_named(root, "iothreads")
    cdef const char* s
    cdef unsigned long long v
    return (count is not NULL and next_named(count, "iothreads") is NULL and text_of(count, &s) == TEXT_ONE
            and count.children.next is NULL and plain_number(s, 9, &v) and v > 0)


cdef int _tunables(_Element root_el, Walk* w) except -1:
    """What libvirt parses after the vCPUs and before <features>, for its errors (and plain
    numbers): the iothread count and ids, then <cputune>'s pins, then the NUMA cells' distances, then
    <numatune>'s memnodes."""
    cdef Node root = root_el._c_node
    if w.first[<int>S_IOTHREADS] is not NULL and not _iothread_count_plain(root):
        _iothread_count(root_el)
        w.first[<int>S_IOTHREADS] = child_named(root, "iothreads")  # (it may be gone)
    if w.first[<int>S_IOTHREADIDS] is not NULL:
        _iothread_ids(root_el)
    if w.first[<int>S_CPUTUNE] is not NULL:
        _pin_checks(root_el)
        w.first[<int>S_CPUTUNE] = child_named(root, "cputune")
    if w.first[<int>S_CPU_NUMA_DISTANCES] is not NULL and not _distances_plain(root):
        _distance_checks(root_el)
    if w.first[<int>S_NUMATUNE_MEMNODE] is not NULL and not _memnodes_plain(root):
        _memnode_checks(root_el)
    return 0


#: set as written -> libvirt's spelling (sets repeat across documents: '0-1', '1,3')
_BITMAP_SPELLED = {}


#: <cachetune>/<memorytune> elements whose vCPU set is empty, removed once _bitmaps is done
_UNTUNED = []

#: where a set libvirt cannot parse has its own wording (else virBitmapParse's)
_BITMAP_MALFORMED = {
    "cachetune": "Invalid cachetune attribute '{}' value '{}'",
    "memorytune": "Invalid memorytune attribute '{}' value '{}'",
}


def _respell_bitmap(el, attr_name, raw):
    text = _BITMAP_SPELLED.get(raw)
    if text is None:
        bits = parse_bitmap(raw)
        if bits is None:
            template = _BITMAP_MALFORMED.get(el.tag)
            if template is not None:
                raise err(ErrorNumber.XML_ERROR, template.format(attr_name, raw))
            raise err(ErrorNumber.INVALID_ARG, f"Failed to parse bitmap '{raw}'", domain=ErrorDomain.NONE)
        if not bits:
            _empty_bitmap(el, attr_name, raw)
            return
        text = format_bitmap(bits)
        if len(_BITMAP_SPELLED) < 4096:
            _BITMAP_SPELLED[raw] = text
    if text != raw:
        aset(el, attr_name, text)


def _empty_bitmap(el, attr_name, raw):
    """A set that parses to nothing ('0,^0'): refused, or for a few elements ignored."""
    tag = el.tag
    if tag in ("vcpusched", "iothreadsched"):
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"'{attr_name}' scheduler bitmap '{raw}' is empty")
    if tag in ("cachetune", "memorytune"):
        _UNTUNED.append(el)  # tunes no vCPU: libvirt keeps nothing of it (removed after the walk)
    elif tag == "cell":
        del el.attrib[attr_name]  # a NUMA cell without CPUs
    else:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Invalid value of '{attr_name}': {raw}")


cdef int _bitmap_visit(_Document doc, Node n, const char* attr_name) except -1:
    cdef const char* raw = attr(n, attr_name)
    if raw is not NULL and not canonical_bitmap(raw):
        _respell_bitmap(proxy(doc, n), ustr(attr_name), ustr(raw))
    return 0


cdef int _bitmaps(_Document doc, Walk* w) except -1:
    """Every node set in libvirt's spelling ('0-3,^2' -> '0-1,3'), in BITMAP_ATTRS order."""
    cdef Py_ssize_t i
    try:
        for i in range(_n_bitmaps):
            each_under(doc, w.first[_bitmap_rows[i].slot], _bitmap_rows[i].rest, _bitmap_visit,
                       _bitmap_rows[i].attr)
        for el in _UNTUNED:
            el.getparent().remove(el)
    finally:
        _UNTUNED.clear()
    return 0


def _cell_memory(cell):
    kib = to_kib(parse_scaled(aget(cell, "memory"), aget(cell, "unit"), what="./@memory",
                              default_scale=1024, limit=LLONG_MAX))
    aset(cell, "memory", str(kib))
    aset(cell, "unit", "KiB")


cdef bint _has_items(Node n) noexcept:
    """lxml's ``len(n) > 0``."""
    cdef Node c = n.children
    while c is not NULL:
        if _is_item(c):
            return True
        c = c.next
    return False


cdef bint _only_fallback(Node n) noexcept:
    """``set(n.attrib) <= {"fallback"}``."""
    cdef tree.xmlAttr* a = n.properties
    while a is not NULL:
        if a.ns is not NULL or strcmp(<const char*>a.name, "fallback") != 0:
            return False
        a = a.next
    return True


cdef int _cpu(_Document doc, Node root) except -1:
    cdef Node cpu = child_named(root, "cpu")
    cdef Node model, phys, feature, topo, numa, cell
    cdef const char* mode
    cdef const char* mem
    cdef const char* unit
    cdef bint has_name
    cdef unsigned long long kib
    cdef Py_ssize_t i
    if cpu is NULL:
        return 0
    if cpu.properties is NULL and not _has_items(cpu):
        drop_elem(doc, cpu)
        return 0
    model = child_named(cpu, "model")
    mode = attr(cpu, "mode")
    has_name = model is not NULL and text_nonblank(model)
    if (model is not NULL and not has_name and mode is not NULL
            and (streq(mode, "host-model") or streq(mode, "host-passthrough") or streq(mode, "maximum"))):
        if _only_fallback(model):
            drop_elem(doc, model)
            model = NULL
    if has_name:
        if mode is NULL:
            set_attr_first(cpu, "mode", "custom")
            mode = "custom"
        if streq(mode, "custom") and attr(cpu, "match") is NULL:
            set_attr_after(cpu, "mode", "match", "exact")
        if attr(model, "fallback") is NULL:
            set_attr_first(model, "fallback", "allow")
    elif (mode is NULL or streq(mode, "custom")) and child_named(cpu, "feature") is not NULL:
        raise err(ErrorNumber.XML_ERROR, "Non-empty feature list specified without CPU model",
                  domain=ErrorDomain.CPU)
    phys = child_named(cpu, "maxphysaddr")
    if phys is not NULL and attr_is(phys, "mode", "passthrough"):
        del_attr(phys, "limit")  # a limit applies to emulated address widths only
    feature = child_named(cpu, "feature")
    while feature is not NULL:
        if attr(feature, "policy") is NULL:
            set_attr_first(feature, "policy", "require")
        feature = next_named(feature, "feature")
    topo = child_named(cpu, "topology")
    if topo is not NULL and attr(topo, "dies") is NULL:
        set_attr_after(topo, "sockets", "dies", "1")
    numa = child_named(cpu, "numa")
    if numa is not NULL:
        i = 0
        cell = child_named(numa, "cell")
        while cell is not NULL:
            if attr(cell, "id") is NULL:
                set_attr_first_s(cell, "id", str(i))
            mem = attr(cell, "memory")
            if mem is not NULL:
                unit = attr(cell, "unit")
                if ((unit is NULL or ascii_ieq(unit, "k") or ascii_ieq(unit, "kib"))
                        and plain_number(mem, 15, &kib)):
                    set_attr(cell, "unit", "KiB")  # KiB already: the value stays as written
                else:
                    _cell_memory(proxy(doc, cell))
            i += 1
            cell = next_named(cell, "cell")
    return 0


cdef int set_attr_first_s(Node n, const char* name, str value) except -1:
    set_attr_s(n, name, value)
    return move_attr(n, name, NULL)


cdef int _take_attrs(Node dst, Node src) except -1:
    """``dst`` gets exactly ``src``'s attributes."""
    cdef tree.xmlAttr* a
    while dst.properties is not NULL:
        del_attr(dst, <const char*>dst.properties.name)
    a = src.properties
    while a is not NULL:
        set_attr(dst, <const char*>a.name, attr(src, <const char*>a.name))
        a = a.next
    return 0


cdef int _keep_last_children(_Document doc, Node parent, bint first_wins) except -1:
    """One child per name: the last one (the first when ``first_wins``)."""
    cdef Node c = first_elem(parent)
    cdef Node nxt, n
    while c is not NULL:
        nxt = next_elem(c)
        if first_wins:
            n = nxt
            while n is not NULL:
                nxt = next_elem(n)
                if strcmp(<const char*>n.name, <const char*>c.name) == 0:
                    drop_elem(doc, n)
                n = nxt
            nxt = next_elem(c)
        elif _repeated(c):
            drop_elem(doc, c)
        c = nxt
    return 0


cdef int _collapse_features(_Document doc, Node feats) except -1:
    """A feature named twice is read twice by libvirt, the last one's values win: one
    element is left, with the last one's attributes; the features whose children libvirt
    reads across all their elements (hyperv, kvm, xen, capabilities, smm, tcg, hpt) keep every
    element's children, one per name (the last one; the first <tseg>)."""
    cdef Node c = first_elem(feats)
    cdef Node nxt, n, later
    while c is not NULL:
        nxt = next_elem(c)
        if in_set(&MERGED_FEATURES, <const char*>c.name):
            n = nxt
            later = NULL
            while n is not NULL:
                later = next_elem(n)
                if strcmp(<const char*>n.name, <const char*>c.name) == 0:
                    _take_attrs(c, n)
                    _merge_into(doc, c, n)
                n = later
            nxt = next_elem(c)
            _keep_last_children(doc, c, strcmp(<const char*>c.name, "smm") == 0)
        elif _repeated(c):
            drop_elem(doc, c)
        c = nxt
    return 0


cdef int _tcg(_Document doc, Node feats) except -1:
    """A TCG translation cache of 0 KiB is none, and a <tcg> without one is not written."""
    cdef Node tcg = NULL if feats is NULL else child_named(feats, "tcg")
    cdef Node cache
    cdef const char* s
    if tcg is NULL:
        return 0
    cache = child_named(tcg, "tb-cache")
    if cache is not NULL and text_of(cache, &s) == TEXT_ONE and strcmp(s, "0") == 0:
        drop_elem(doc, cache)
        cache = NULL
    if cache is NULL and tcg.properties is NULL and first_elem(tcg) is NULL:
        drop_elem(doc, tcg)
        if first_elem(feats) is NULL and feats.properties is NULL:
            drop_elem(doc, feats)
    return 0


cdef int _drop_when_off(Node n, const char* name, const char* attr_name) except -1:
    cdef Node c = child_named(n, name)
    while c is not NULL:
        if not attr_is(c, "state", "on"):
            del_attr(c, attr_name)
        c = next_named(c, name)
    return 0


cdef int _features(_Document doc, Node root, bint repeated) except -1:
    """libvirt's values of <features>: one element per feature, ``state`` on where a
    feature (or capability) is given without one, the values an off feature has no use for
    dropped, the features it does not write (no value, the default policy and no
    capability) left out, and <features> too when nothing is left (returns 1 then, else 0);
    <hyperv> defaults to the custom mode; a Hyper-V timer that is not on has no
    features of its own (libvirt reads them only when it is on)."""
    cdef Node feats = child_named(root, "features")
    cdef Node hv, stimer, c, nxt, f
    if feats is NULL:
        return 0
    if repeated:
        _collapse_features(doc, feats)
    f = first_elem(feats)
    while f is not NULL:
        if f.ns is NULL and (f.properties is not NULL or f.children is not NULL
                             or in_set(&STATE_FEATURES, <const char*>f.name)
                             or in_set(&BARE_UNWRITTEN, <const char*>f.name)):
            # (a bare <acpi/>, <apic/>, <pae/> ... needs nothing)
            if in_set(&STATE_FEATURES, <const char*>f.name):
                if attr(f, "state") is NULL:
                    set_attr(f, "state", "on")
                if strcmp(<const char*>f.name, "smm") == 0 and attr_is(f, "state", "on"):
                    _drop_later(doc, child_named(f, "tseg"))  # libvirt reads the first
                    if child_named(f, "tseg") is not NULL:
                        _tseg(proxy(doc, f), True)
                elif strcmp(<const char*>f.name, "smm") == 0:
                    c = first_elem(f)
                    while c is not NULL:
                        nxt = next_elem(c)
                        drop_elem(doc, c)
                        c = nxt
            elif strcmp(<const char*>f.name, "capabilities") == 0:
                c = first_elem(f)
                if c is NULL and (attr(f, "policy") is NULL or attr_is(f, "policy", "default")):
                    nxt = next_elem(f)
                    drop_elem(doc, f)  # the default policy and no capability: nothing to write
                    f = nxt
                    continue
                while c is not NULL:
                    if attr(c, "state") is NULL:
                        set_attr(c, "state", "on")
                    c = next_elem(c)
            elif in_set(&VALUED_FEATURES, <const char*>f.name) and f.properties is NULL:
                nxt = next_elem(f)
                drop_elem(doc, f)
                f = nxt
                continue
            elif strcmp(<const char*>f.name, "hpt") == 0:
                c = child_named(f, "maxpagesize")
                _drop_later(doc, c)  # libvirt reads the first
                if c is not NULL and not _has_content(c):
                    drop_elem(doc, c)  # libvirt reads an empty size as none
                if f.properties is NULL and first_elem(f) is NULL:
                    nxt = next_elem(f)
                    drop_elem(doc, f)
                    f = nxt
                    continue
            elif strcmp(<const char*>f.name, "kvm") == 0:
                _drop_when_off(f, "dirty-ring", "size")
            elif strcmp(<const char*>f.name, "xen") == 0:
                _drop_when_off(f, "passthrough", "mode")
        f = next_elem(f)
    if first_elem(feats) is NULL and feats.properties is NULL:
        drop_elem(doc, feats)  # every feature was one libvirt does not write
        return 1
    hv = child_named(feats, "hyperv")
    if hv is not NULL and attr(hv, "mode") is NULL:
        set_attr(hv, "mode", "custom")
    while hv is not NULL:
        _drop_when_off(hv, "spinlocks", "retries")
        _drop_when_off(hv, "vendor_id", "value")
        stimer = child_named(hv, "stimer")
        while stimer is not NULL:
            if not attr_is(stimer, "state", "on"):
                c = first_elem(stimer)
                while c is not NULL:
                    nxt = next_elem(c)
                    drop_elem(doc, c)
                    c = nxt
            stimer = next_named(stimer, "stimer")
        hv = next_named(hv, "hyperv")
    return 0


def _memory_totals_slow(root):
    """libvirt infers <memory> from the NUMA cells (plus memory devices) only when absent."""
    mem = child(root, "memory")
    if mem is None or mem.text == "0":
        cells = all_at(root, "cpu/numa/cell")
        total = sum(int(aget(c, "memory", "0")) for c in cells)
        if total:
            for size in all_at(root, "devices/memory/target/size"):
                total += to_kib(parse_scaled(size.text, aget(size, "unit"), what="./target/size", default_scale=1024))
            if mem is None:
                mem = add(root, "memory", None, (("unit", "KiB"),))
            mem.text = str(total)
            aset(mem, "unit", "KiB")
    if mem is None:
        return
    cur = child(root, "currentMemory")
    if cur is None:
        add(root, "currentMemory", mem.text, (("unit", "KiB"),))
    elif int(cur.text or 0) > int(mem.text or 0) or cur.text == "0":
        cur.text = mem.text


cdef int _memory_totals(_Element root_el, Node root, Walk* w) except -1:
    # the first <memory> and <currentMemory> are still those the walk found: no step
    # before this one adds or removes them
    cdef Node mem = w.first[<int>S_MEMORY]
    cdef Node cur, added
    cdef const char* mtext
    cdef const char* ctext
    cdef unsigned long long mval, cval
    if (mem is NULL or text_of(mem, &mtext) != TEXT_ONE or strcmp(mtext, "0") == 0
            or not all_digits(mtext) or strlen(mtext) > 18):
        _memory_totals_slow(root_el)
        return 0
    mval = digits_value(mtext)
    cur = w.first[<int>S_CURRENTMEMORY]
    if cur is NULL:
        added = add_elem(root, "currentMemory", mtext)
        set_attr(added, "unit", "KiB")
        return 0
    if text_of(cur, &ctext) != TEXT_ONE or not all_digits(ctext) or strlen(ctext) > 18:
        _memory_totals_slow(root_el)
        return 0
    cval = digits_value(ctext)
    if cval > mval or strcmp(ctext, "0") == 0:
        set_text(cur, mtext)
    return 0


def _scaled_one(el, path, unit, scale):
    """One scaled size in a spelling the node check does not take: through units.py."""
    what = SCALED_XPATHS.get(path) or f"./{path[path.rfind('/') + 1:]}[1]"
    try:
        nbytes = parse_scaled(el.text, aget(el, "unit"), what=what, default_scale=scale)
    except VirtError:
        if path == "features/hpt/maxpagesize":  # its own wording, whatever the fault
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, "Unable to parse HPT maxpagesize setting") from None
        raise
    value = nbytes if scale == 1 else to_kib(nbytes)
    el.text = str(value)
    aset(el, "unit", unit)


cdef int _scaled_kib_visit(_Document doc, Node n, const char* path) except -1:
    cdef const char* s
    cdef const char* unit = attr(n, "unit")
    cdef unsigned long long v
    if (text_of(n, &s) == TEXT_ONE and (unit is NULL or ascii_ieq(unit, "k") or ascii_ieq(unit, "kib"))
            and plain_number(s, 15, &v)):
        set_attr(n, "unit", "KiB")  # KiB already: the value stays as written
    else:
        _scaled_one(proxy(doc, n), ustr(path), "KiB", 1024)
    return 0


cdef int _scaled_bytes_visit(_Document doc, Node n, const char* path) except -1:
    cdef const char* s
    cdef const char* unit = attr(n, "unit")
    cdef unsigned long long v
    if (text_of(n, &s) == TEXT_ONE and (unit is NULL or ascii_ieq(unit, "b") or ascii_ieq(unit, "byte")
                                        or ascii_ieq(unit, "bytes"))
            and plain_number(s, 19, &v)):
        set_attr(n, "unit", "bytes")
    else:
        _scaled_one(proxy(doc, n), ustr(path), "bytes", 1)
    return 0


def _page_size(page, size):
    kib = to_kib(parse_scaled(size, aget(page, "unit"), what="./@size", default_scale=1024))
    aset(page, "size", str(kib))
    aset(page, "unit", "KiB")


cdef int _page_visit(_Document doc, Node page, const char* unused) except -1:
    cdef const char* size = attr(page, "size")
    cdef const char* unit
    cdef unsigned long long v
    if size is NULL:
        return 0
    unit = attr(page, "unit")
    if (unit is NULL or ascii_ieq(unit, "k") or ascii_ieq(unit, "kib")) and plain_number(size, 15, &v):
        set_attr(page, "unit", "KiB")
    else:
        _page_size(proxy(doc, page), ustr(size))
    return 0


cdef int _scaled(_Document doc, Walk* w) except -1:
    """Sizes libvirt writes back in one unit (KiB, or bytes for metadata caches)."""
    cdef Py_ssize_t i
    cdef PathRow* row
    for i in range(_n_scaled):
        row = &_scaled_rows[i]
        each_under(doc, w.first[row.slot], row.rest, _scaled_kib_visit if row.kib else _scaled_bytes_visit,
                   row.full)
    each_under(doc, w.first[<int>S_MEMORYBACKING], "hugepages/page", _page_visit, NULL)
    return 0


def _boot_loadparms(root):
    for key in BOOT_PATHS:
        for boot in all_at(root, key):
            lp = aget(boot, "loadparm")
            if lp is not None:
                aset(boot, "loadparm", lp.upper())


cdef int _drop_later(_Document doc, Node first) except -1:
    """Remove the siblings after ``first`` that have its name."""
    cdef Node n, nxt
    if first is NULL:
        return 0
    n = next_named(first, <const char*>first.name)
    while n is not NULL:
        nxt = next_named(n, <const char*>first.name)
        drop_elem(doc, n)
        n = nxt
    return 0


cdef bint _has_content(Node n) noexcept:
    """libvirt's virXMLNodeContentString is not empty: some text below ``n`` (blanks count,
    comments do not)."""
    cdef Node c = n.children
    while c is not NULL:
        if _is_text(c):
            if c.content is not NULL and c.content[0] != 0:
                return True
        elif c.type == tree.XML_ELEMENT_NODE and _has_content(c):
            return True
        c = c.next
    return False


cdef int _firmware_files(_Document doc, Node root) except -1:
    """<os firmware=''> is no firmware (libvirt reads an empty XPath string as none). A
    loader with a path is a ROM unless typed. libvirt writes no <loader> that has neither
    attributes nor a path (kept when no firmware is set: the checks refuse it then) and no
    <nvram> without a type, a template or a path (kept without loader and firmware, which
    the checks refuse)."""
    cdef Node os_el = child_named(root, "os")
    cdef Node loader, nvram
    cdef const char* firmware
    cdef bint auto_fw
    if os_el is NULL:
        return 0
    firmware = attr(os_el, "firmware")
    if firmware is not NULL and firmware[0] == 0:
        del_attr(os_el, "firmware")
        firmware = NULL
    auto_fw = firmware is not NULL
    loader = child_named(os_el, "loader")
    nvram = child_named(os_el, "nvram")
    _drop_later(doc, loader)  # libvirt reads the first of each
    _drop_later(doc, nvram)
    if loader is not NULL:
        if _has_content(loader):
            if attr(loader, "type") is NULL and not auto_fw:
                set_attr(loader, "type", "rom")
        elif auto_fw and loader.properties is NULL:
            drop_elem(doc, loader)
            loader = NULL
    if (nvram is not NULL and (auto_fw or loader is not NULL) and not has_attr(nvram, "type")
            and not has_attr(nvram, "template") and not _has_content(nvram)):
        drop_elem(doc, nvram)
    return 0


cdef int _os_details(_Element root_el, Node root, Walk* w) except -1:
    if w.first[<int>S_OS_LOADER] is not NULL or w.first[<int>S_OS_NVRAM] is not NULL:
        _firmware_files(root_el._doc, root)
    if w.groups & G_BOOT:
        _boot_loadparms(root_el)
    return 0


cdef int _numa_order(_Element root_el, Node root) except -1:
    """libvirt keeps NUMA cells by id: reorder only when the ids are not ascending."""
    cdef Node numa = first_at(root, "cpu/numa")
    cdef Node cell
    cdef const char* cid
    cdef unsigned long long v, last = 0
    if numa is NULL:
        return 0
    cell = child_named(numa, "cell")
    while cell is not NULL:
        cid = attr(cell, "id")
        if cid is NULL:
            cid = "0"
        if not small_uint(cid, &v) or v < last:
            _numa_order_slow(proxy(root_el._doc, numa))
            return 0
        last = v
        cell = next_named(cell, "cell")
    return 0


def _numa_order_slow(numa):
    cells = children(numa, "cell")
    keyed = sorted(cells, key=lambda c: uint_prop(aget(c, "id", "0"), "id", "cell"))
    if keyed != cells:
        for c in cells:
            numa.remove(c)
        for c in keyed:
            numa.append(c)




cdef int _numa_distances(_Document doc, Node root) except -1:
    """Complete the distance matrix as libvirt does: symmetric, 10 on the diagonal."""
    cdef Node numa = first_at(root, "cpu/numa")
    cdef Node cell, dists, sib, new
    cdef list cells = []
    cdef list ids = []
    cdef dict dist = {}
    if numa is NULL:
        return 0
    cell = child_named(numa, "cell")
    while cell is not NULL:
        cells.append(<size_t>cell)  # node addresses, used only within this step
        cid = attr_str(cell, "id")
        ids.append(int("0" if cid is None else cid))
        cell = next_named(cell, "cell")
    for k in range(len(cells)):
        # only the first <distances> is read; a sibling's distance is written as given and
        # mirrored where the other cell has none yet (a later explicit one overrides it)
        cell = <Node><size_t>cells[k]
        dists = child_named(cell, "distances")
        sib = NULL if dists is NULL else child_named(dists, "sibling")
        while sib is not NULL:
            sid = int(attr_str(sib, "id"))
            value = attr_str(sib, "value")
            dist[(ids[k], sid)] = value
            dist.setdefault((sid, ids[k]), value)
            sib = next_named(sib, "sibling")
    for cid in ids:
        dist.setdefault((cid, cid), str(LOCAL_DISTANCE))
    for k in range(len(cells)):
        cell = <Node><size_t>cells[k]
        cid = ids[k]
        dists = child_named(cell, "distances")
        while dists is not NULL:
            drop_elem(doc, dists)
            dists = child_named(cell, "distances")
        new = add_elem(cell, "distances")
        for other in sorted(b for (a, b) in dist if a == cid):
            sib = add_elem(new, "sibling")
            set_attr_s(sib, "id", str(other))
            set_attr_s(sib, "value", dist[(cid, other)])
    return 0


cdef int _placement(_Document doc, Node root) except -1:
    """numad placement: <vcpu placement='auto'> and <numatune><memory placement='auto'>
    imply each other; a memory policy defaults to strict."""
    cdef Node vcpu = child_named(root, "vcpu")
    cdef Node tune = child_named(root, "numatune")
    cdef Node mem = NULL if tune is NULL else child_named(tune, "memory")
    cdef Node first
    cdef const char* placement
    if vcpu is not NULL and attr_is(vcpu, "placement", "auto"):
        if mem is NULL:
            if tune is NULL:
                tune = add_elem(root, "numatune")
            mem = new_elem(root.doc, "memory")
            set_attr(mem, "mode", "strict")
            set_attr(mem, "placement", "auto")
            first = tune.children
            while first is not NULL and not _is_item(first):
                first = first.next
            if first is NULL:
                nx_add_child(tune, mem)
            else:
                insert_before(first, mem)
        elif attr(mem, "placement") is NULL and attr(mem, "nodeset") is NULL:
            set_attr(mem, "placement", "auto")
    if mem is not NULL:
        if attr_is(mem, "placement", "auto"):
            del_attr(mem, "nodeset")
            if vcpu is not NULL and attr(vcpu, "cpuset") is NULL:
                placement = attr(vcpu, "placement")
                if placement is NULL or streq(placement, "static"):
                    set_attr(vcpu, "placement", "auto")
        if attr(mem, "mode") is NULL:
            set_attr_first(mem, "mode", "strict")
    return 0


def _memnode_order(root):
    memnodes = all_at(root, "numatune/memnode")
    if len(memnodes) > 1:
        tune = child(root, "numatune")
        ordered = sorted(memnodes, key=lambda m: uint_prop(aget(m, "cellid", "0"), "cellid", "memnode"))
        if ordered != memnodes:
            permute(tune, memnodes, ordered)


cdef bint _ascending(Node parent, const char* tag, const char* key) noexcept:
    """The ``tag`` children of ``parent`` have plain ``key`` numbers (absent: 0) in
    ascending order: sorting them by key would change nothing."""
    cdef Node c = child_named(parent, tag)
    cdef const char* v
    cdef unsigned long long n, last = 0
    while c is not NULL:
        v = attr(c, key)
        if v is NULL:
            v = "0"
        if not small_uint(v, &n) or n < last:
            return False
        last = n
        c = next_named(c, tag)
    return True


cdef int _memnodes(_Element root_el, Node root) except -1:
    """libvirt keeps <memnode> by cell id."""
    cdef Node tune = child_named(root, "numatune")
    if tune is NULL or next_named(tune, "numatune") is not NULL or not _ascending(tune, "memnode", "cellid"):
        _memnode_order(root_el)
    return 0


def _pins(root):
    """libvirt writes pinning per vCPU / iothread id, in id order."""
    tune = child(root, "cputune")
    if tune is None:
        return
    for tag, key in (("vcpupin", "vcpu"), ("iothreadpin", "iothread")):
        pins = tune.findall(tag)
        if len(pins) < 2:
            continue
        ordered = sorted(pins, key=lambda p: uint_prop(aget(p, key, "0"), key, tag))
        if ordered != pins:
            anchor = pins[0].getprevious()
            for p in pins:
                tune.remove(p)
            for p in reversed(ordered):
                if anchor is None:
                    tune.insert(0, p)
                else:
                    anchor.addnext(p)


def _scheds(tune):
    """libvirt keeps scheduling per vCPU / iothread and writes one element for each, by id."""
    for tag, attr_name in (("vcpusched", "vcpus"), ("iothreadsched", "iothreads")):
        scheds = children(tune, tag)
        if not scheds:
            continue
        per_id = {}
        for sched in scheds:
            for i in sorted(parse_bitmap(aget(sched, attr_name, "")) or ()):
                per_id[i] = sched
        anchor = scheds[len(scheds) - 1]  # (no negative index: wraparound is off)
        for i in sorted(per_id, reverse=True):
            src = per_id[i]
            new = etree.Element(tag)
            for k, v in src.attrib.items():
                aset(new, k, str(i) if k == attr_name else v)
            anchor.addnext(new)
        for sched in scheds:
            tune.remove(sched)


def _metadata(root):
    """Only namespaced elements survive, one per namespace (the first one written)."""
    meta = child(root, "metadata")
    if meta is None:
        return
    last = {}
    for kid in list(meta):
        ns = etree.QName(kid).namespace if isinstance(kid.tag, str) else None
        if ns is None:
            meta.remove(kid)
            continue
        if ns in last:
            meta.remove(kid)
        else:
            last[ns] = kid


cdef int _seclabel_checks(Node root) except -1:
    """libvirt's parse of the <seclabel> list (before the memory sizes): each label's type,
    one label per model, and a model on every label when there are several."""
    cdef Node label = child_named(root, "seclabel")
    cdef const char* ltype
    cdef const char* model
    cdef const char* relabel
    cdef list models = []
    cdef Py_ssize_t count = 0
    cdef bint unnamed = False
    while label is not NULL:
        count += 1
        ltype = attr(label, "type")
        if ltype is not NULL and not (streq(ltype, "dynamic") or streq(ltype, "static") or streq(ltype, "none")):
            raise invalid_prop("type", "seclabel", ustr(ltype))
        relabel = attr(label, "relabel")
        if ltype is not NULL and relabel is not NULL:
            if streq(ltype, "dynamic") and streq(relabel, "no"):
                raise err(ErrorNumber.CONFIG_UNSUPPORTED, "dynamic label type must use resource relabeling")
            if streq(ltype, "none") and streq(relabel, "yes"):
                raise err(ErrorNumber.CONFIG_UNSUPPORTED,
                          "resource relabeling is not compatible with 'none' label type")
        model = attr(label, "model")
        name = None if model is NULL else ustr(model)
        if name in models:  # (two labels without a model are one model too: "(null)")
            raise err(ErrorNumber.XML_DETAIL, f"seclabel for model {name or '(null)'} is already provided")
        models.append(name)
        unnamed = unnamed or model is NULL
        label = next_named(label, "seclabel")
    if count > 1 and unnamed:
        raise err(ErrorNumber.XML_ERROR, "missing security model when using multiple labels")
    return 0


cdef int _seclabels(_Document doc, Node root) except -1:
    """An inactive definition keeps no runtime labels: no imagelabel, no dynamic label."""
    cdef Node label = child_named(root, "seclabel")
    cdef Node c, nxt
    cdef const char* ltype
    while label is not NULL:
        ltype = attr(label, "type")
        if ltype is NULL:  # libvirt's "default" label: kept for the drivers, never written
            nxt = next_named(label, "seclabel")
            drop_elem(doc, label)
            label = nxt
            continue
        if attr(label, "relabel") is NULL:  # written: yes for a dynamic label, no for a static one
            if streq(ltype, "dynamic"):
                set_attr(label, "relabel", "yes")
            elif streq(ltype, "static"):
                set_attr(label, "relabel", "no")
        c = label.children
        while c is not NULL:
            nxt = c.next
            while nxt is not NULL and _is_text(nxt):
                nxt = nxt.next  # the tail goes with a removed element
            if is_named(c, "imagelabel") or ((ltype is NULL or streq(ltype, "dynamic")) and is_named(c, "label")):
                drop_elem(doc, c)
            c = nxt
        label = next_named(label, "seclabel")
    return 0


def _file_mode(fs, name, raw):
    try:
        aset(fs, name, f"{int(raw, 8):04o}")
    except ValueError:
        pass


cdef int _filesystem_modes(_Document doc, Node devices) except -1:
    """File and directory modes in libvirt's spelling: four octal digits."""
    cdef Node fs = child_named(devices, "filesystem")
    cdef const char* raw
    cdef const char* names[2]
    cdef char buf[32]
    cdef unsigned long long mode
    cdef int k, n
    names[0] = "fmode"
    names[1] = "dmode"
    while fs is not NULL:
        for k in range(2):
            raw = attr(fs, names[k])
            if raw is NULL:
                continue
            mode = 0
            n = 0
            while c'0' <= raw[n] <= c'7' and n < 16:
                mode = mode * 8 + <unsigned long long>(raw[n] - c'0')
                n += 1
            if n > 0 and n < 16 and raw[n] == 0:
                snprintf(buf, sizeof(buf), "%04llo", mode)
                if strcmp(buf, raw) != 0:
                    set_attr(fs, names[k], buf)
            else:
                _file_mode(proxy(doc, fs), ustr(names[k]), ustr(raw))
        fs = next_named(fs, "filesystem")
    return 0


cdef int _boot(Node root, str os_type, Walk* w) except -1:
    """An HVM guest with no boot order anywhere boots from the first disk."""
    cdef Node boot
    if (os_type != "hvm" or w.first[<int>S_BOOTLOADER] is not NULL
            or w.first[<int>S_OS_BOOT] is not NULL or w.groups & G_BOOT):
        return 0
    boot = add_elem(child_named(root, "os"), "boot")
    set_attr(boot, "dev", "hd")
    return 0


cdef int _hostdev_nic_visit(_Document doc, Node nic, const char* unused) except -1:
    """A hostdev interface's <driver> is written with the host device part, after <mac>."""
    cdef Node drv, mac
    if attr_is(nic, "type", "hostdev"):
        drv = child_named(nic, "driver")
        mac = child_named(nic, "mac")
        if drv is not NULL and mac is not NULL:
            proxy(doc, mac).addnext(proxy(doc, drv))
    return 0


cdef bint _declares_namespaces(Node n) noexcept:
    """``bool(element.nsmap)``: a namespace declared on ``n`` or an ancestor element."""
    while n is not NULL and n.type == tree.XML_ELEMENT_NODE:
        if n.nsDef is not NULL:
            return True
        n = n.parent
    return False


# -- containers libvirt reads as one, and the children it refuses to ignore ---------------------

cdef int _merge_into(_Document doc, Node first, Node extra) except -1:
    """Move ``extra``'s children to the end of ``first`` and remove ``extra``: libvirt reads
    ``./devices/*`` and ``./features/*`` across every such element and writes one."""
    cdef Node c = extra.children
    if c is not NULL:
        while c is not NULL:
            c.parent = first
            c = c.next
        if first.last is NULL:
            first.children = extra.children
        else:
            first.last.next = extra.children
            extra.children.prev = first.last
        first.last = extra.last
        extra.children = NULL
        extra.last = NULL
    return drop_elem(doc, extra)


cdef StrSet FEATURE_NAMES, HYPERV_NAMES, STIMER_NAMES, KVM_NAMES, XEN_NAMES, CAPABILITY_NAMES
cdef StrSet PCR_BANK_NAMES
cdef StrSet ON_OFF_VALUES, STATE_FEATURES, STATE_REQUIRED_FEATURES, MSRS_UNKNOWN_VALUES, HYPERV_MODES
cdef StrSet CAPABILITY_POLICIES, XEN_PASSTHROUGH_MODES, MERGED_FEATURES
cdef StrSet IOAPIC_DRIVERS, HPT_RESIZING, CPU_FIX_VALUES, IBS_VALUES, VALUED_FEATURES, BARE_UNWRITTEN

cdef enum RefusalKind:
    REFUSED_NONE = 0
    REFUSED_FEATURE = 1  # raised where libvirt parses <features> (before the lifecycle)
    REFUSED_PCR_BANK = 2  # raised where libvirt parses the TPM devices


cdef struct Refusal:
    RefusalKind kind
    Node node          # the unknown element (removed with the unknown names, soon after)
    const char* where  # which of libvirt's messages (a key of _REFUSAL_MESSAGES)
    bint plain_made    # a namespaced known name was read as the plain one
    bint features_repeat  # a feature (or a feature's child) named twice
    const char* once_error  # the first of <genid>, <numatune>, <resource> given twice, or NULL
    const char* genid_twice  # "genid" when <genid> is given twice (raised after the UUID)


_REFUSAL_MESSAGES = {
    "features": "unexpected feature '{}'",
    "hyperv": "unsupported HyperV Enlightenment feature: {}",
    "stimer": "unsupported Hyper-V stimer feature: {}",
    "kvm": "unsupported KVM feature: {}",
    "xen": "unsupported Xen feature: {}",
    "capabilities": "unexpected capability feature '{}'",
    "active_pcr_banks": "Unsupported PCR banks '{}'",
}


cdef bint _refuse_unknown(Node parent, const StrSet* known, const char* where, Refusal* out) noexcept:
    """libvirt reads every child element of ``parent`` (``./*``: any namespace, by local
    name) and refuses a name it does not know. True when one is refused (noted in ``out``);
    a namespaced known name is made plain, as libvirt reads it."""
    cdef Node c = first_elem(parent)
    while c is not NULL:
        if not in_set(known, <const char*>c.name):
            out.node = c
            out.where = where
            return True
        if c.ns is not NULL:
            c.ns = NULL
            out.plain_made = True
        c = next_elem(c)
    return False


cdef object _refused_name(Node c, const char* where, Refusal* out):
    out.node = c
    out.where = where
    return err(ErrorNumber.CONFIG_UNSUPPORTED, _REFUSAL_MESSAGES[ustr(where)].format(ustr(<const char*>c.name)))


cdef object _attr_fault(Node n, const char* name, const StrSet* allowed, bint required):
    """libvirt's virXMLPropEnum / TristateSwitch on ``name`` of ``n``: its error, or None."""
    cdef const char* v = attr(n, name)
    if v is NULL:
        if required:
            return missing_prop(ustr(name), ustr(<const char*>n.name))
        return None
    if not in_set(allowed, v):
        return invalid_prop(ustr(name), ustr(<const char*>n.name), ustr(v))
    return None


cdef object _children_fault(Node parent, const StrSet* known, const char* where, bint state_required,
                            Refusal* out):
    """Each child of ``parent`` in order: a name libvirt knows (``./*``: any namespace, made
    plain as libvirt reads it), then its on/off ``state`` and what that feature reads when on."""
    cdef Node c = first_elem(parent)
    while c is not NULL:
        if not in_set(known, <const char*>c.name):
            return _refused_name(c, where, out)
        if c.ns is not NULL:
            c.ns = NULL
            out.plain_made = True
        if c.prev is not NULL or c.next is not NULL:
            out.features_repeat |= _repeated(c)
        fault = _attr_fault(c, "state", &ON_OFF_VALUES, state_required)
        if fault is None and attr_is(c, "state", "on"):
            fault = _feature_when_on(c, where, out)
        if fault is not None:
            return fault
        c = next_elem(c)
    return None


cdef object _feature_when_on(Node c, const char* where, Refusal* out):
    """What libvirt reads of an enabled Hyper-V, KVM or Xen feature beyond its state."""
    cdef const char* name = <const char*>c.name
    if strcmp(where, "hyperv") == 0:
        if strcmp(name, "stimer") == 0:
            return _children_fault(c, &STIMER_NAMES, "stimer", True, out)
        if strcmp(name, "spinlocks") == 0 or strcmp(name, "vendor_id") == 0:
            return _hyperv_value_fault(proxy_of_feature(c))
    elif strcmp(where, "kvm") == 0:
        if strcmp(name, "dirty-ring") == 0:
            return _dirty_ring_fault(proxy_of_feature(c))
    elif strcmp(where, "xen") == 0:
        if strcmp(name, "passthrough") == 0:
            return _attr_fault(c, "mode", &XEN_PASSTHROUGH_MODES, False)
    return None


cdef _Document _feature_doc = None  # the document _feature_fault walks (for proxies)


cdef object proxy_of_feature(Node c):
    return proxy(_feature_doc, c)


#: the units libvirt writes a size in, by power of 1024 (virFormatIntPretty)
PRETTY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def _tseg(smm, rewrite):
    """An enabled SMM's <tseg> (MiB by default): libvirt's error for it (None when it reads),
    or with ``rewrite`` the size in the largest unit that keeps it whole (an empty one is
    none)."""
    tseg = child(smm, "tseg")
    text = "".join(tseg.itertext())
    if text == "":
        if rewrite:
            smm.remove(tseg)
        return None
    try:
        value = parse_scaled(text, aget(tseg, "unit"), what="string(./features/smm/tseg)", default_scale=1 << 20)
    except VirtError as exc:
        return exc
    if rewrite:
        power = 0
        while value and value % 1024 == 0 and power < len(PRETTY_UNITS) - 1:
            value //= 1024
            power += 1
        tseg.text = str(value)
        aset(tseg, "unit", PRETTY_UNITS[power])
    return None


def _hyperv_value_fault(el):
    if el.tag == "spinlocks":
        raw = aget(el, "retries")
        if raw is None:
            return missing_prop("retries", "spinlocks")
        try:
            retries = uint_prop(raw, "retries", "spinlocks")
        except VirtError as exc:
            return exc
        if retries < 4095:
            return err(ErrorNumber.XML_ERROR, "HyperV spinlock retry count must be at least 4095")
        if raw != str(retries):
            aset(el, "retries", str(retries))  # written back plainly
        return None
    value = aget(el, "value")
    if value is None:
        return err(ErrorNumber.XML_ERROR, "missing 'value' attribute for HyperV feature 'vendor_id'")
    if len(value) > 12:
        return err(ErrorNumber.XML_ERROR, "HyperV vendor_id value must not be more than 12 characters.")
    return None


def _dirty_ring_fault(el):
    raw = aget(el, "size")
    if raw is None:
        return missing_prop("size", "dirty-ring")
    try:
        size = uint_prop(raw, "size", "dirty-ring")
    except VirtError as exc:
        return exc
    if size & (size - 1) or not 1024 <= size <= 65536:
        return err(ErrorNumber.XML_ERROR, "dirty ring must be power of 2 and ranges [1024, 65536]")
    if raw != str(size):
        aset(el, "size", str(size))  # written back plainly
    return None


cdef object _feature_fault(_Document doc, Node features, Refusal* out):
    """The first error of libvirt's parse of ``<features>``, in its order: each feature in
    document order, its name, its attributes, then (<hyperv>, <kvm>, <xen>, <capabilities>)
    each child's name, state and what an enabled one reads. None when there is none."""
    global _feature_doc
    cdef Node c = first_elem(features)
    cdef const char* name
    _feature_doc = doc
    try:
        while c is not NULL:
            name = <const char*>c.name
            if not in_set(&FEATURE_NAMES, name):
                return _refused_name(c, "features", out)
            if c.ns is not NULL:
                c.ns = NULL
                out.plain_made = True
            fault = None
            if (c.properties is NULL and c.children is NULL and not in_set(&STATE_REQUIRED_FEATURES, name)
                    and strcmp(name, "msrs") != 0):
                pass  # a bare <acpi/>, <apic/>, <pae/> ...: nothing to read
            elif in_set(&STATE_REQUIRED_FEATURES, name):
                fault = _attr_fault(c, "state", &ON_OFF_VALUES, True)
            elif in_set(&STATE_FEATURES, name):
                fault = _attr_fault(c, "state", &ON_OFF_VALUES, False)
                if (fault is None and strcmp(name, "smm") == 0 and not attr_is(c, "state", "off")
                        and child_named(c, "tseg") is not NULL):
                    fault = _tseg(proxy(doc, c), False)
            elif strcmp(name, "apic") == 0:
                fault = _attr_fault(c, "eoi", &ON_OFF_VALUES, False)
            elif strcmp(name, "msrs") == 0:
                fault = _attr_fault(c, "unknown", &MSRS_UNKNOWN_VALUES, True)
            elif strcmp(name, "ioapic") == 0:
                fault = _attr_fault(c, "driver", &IOAPIC_DRIVERS, False)
            elif strcmp(name, "hpt") == 0:
                fault = _attr_fault(c, "resizing", &HPT_RESIZING, False)
            elif strcmp(name, "cfpc") == 0 or strcmp(name, "sbbc") == 0:
                fault = _attr_fault(c, "value", &CPU_FIX_VALUES, False)
            elif strcmp(name, "ibs") == 0:
                fault = _attr_fault(c, "value", &IBS_VALUES, False)
            elif strcmp(name, "hyperv") == 0:
                fault = _attr_fault(c, "mode", &HYPERV_MODES, False)
                if fault is None:
                    fault = _children_fault(c, &HYPERV_NAMES, "hyperv", True, out)
            elif strcmp(name, "kvm") == 0:
                fault = _children_fault(c, &KVM_NAMES, "kvm", True, out)
            elif strcmp(name, "xen") == 0:
                fault = _children_fault(c, &XEN_NAMES, "xen", True, out)
            elif strcmp(name, "capabilities") == 0:
                fault = _attr_fault(c, "policy", &CAPABILITY_POLICIES, False)
                if fault is None:
                    fault = _children_fault(c, &CAPABILITY_NAMES, "capabilities", False, out)
            if fault is not None:
                return fault
            if c.next is not NULL or c.prev is not NULL:
                out.features_repeat |= _repeated(c)
            c = next_elem(c)
    finally:
        _feature_doc = None
    return None


cdef bint _repeated(Node c) noexcept:
    """An element after ``c`` has its name."""
    cdef Node n = next_elem(c)
    while n is not NULL:
        if n.ns is NULL and strcmp(<const char*>n.name, <const char*>c.name) == 0:
            return True
        n = next_elem(n)
    return False


cdef bint _pcr_bank_refusal(Node devices, Refusal* out) noexcept:
    """An emulated TPM's <active_pcr_banks> children (libvirt ignores them for the other
    backends)."""
    cdef Node tpm = devices.children
    cdef Node backend, banks
    cdef const char* name
    while tpm is not NULL:
        name = <const char*>tpm.name
        if (tpm.type != tree.XML_ELEMENT_NODE or tpm.ns is not NULL or name[0] != c't'
                or strcmp(name, "tpm") != 0):
            tpm = tpm.next
            continue
        backend = child_named(tpm, "backend")
        while backend is not NULL:
            if attr_is(backend, "type", "emulator"):
                banks = child_named(backend, "active_pcr_banks")
                while banks is not NULL:
                    if _refuse_unknown(banks, &PCR_BANK_NAMES, "active_pcr_banks", out):
                        return True
                    banks = next_named(banks, "active_pcr_banks")
            backend = next_named(backend, "backend")
        tpm = tpm.next
    return False



# -- repeated top-level elements ----------------------------------------------------------------
# libvirt 9.0 reads most top-level elements with ``./x[1]`` (the first copy wins, the others are
# not read at all, bad values included); the containers it reads children of across every copy
# (``./cputune/shares[1]``, ``./clock/timer``, ``./os/boot`` ...) act as one element with all
# the children, the first of each single child winning; three refuse a second copy.

cdef enum RepeatKind:
    REPEAT_FIRST = 1   # the first copy wins
    REPEAT_MERGE = 2   # children read across all copies, single ones first-wins
    REPEAT_ONCE = 3    # a second copy is an error
    REPEAT_ALL = 4     # <features>, <devices>: every child of every copy (merged without dedupe)

cdef StrSet REPEAT_NAMES
cdef unsigned char* _repeat_kind = NULL  # by slot of REPEAT_NAMES

#: the children of a merged container that libvirt reads as lists (every one kept); the other
#: children are read with ``[1]``: the first wins, later ones are dropped
_MERGED_LISTS = {
    b"os": frozenset((b"boot", b"initarg", b"initenv")),
    b"clock": frozenset((b"timer",)),
    b"cputune": frozenset((b"vcpupin", b"iothreadpin", b"vcpusched", b"iothreadsched", b"cachetune",
                           b"memorytune")),
    b"memtune": frozenset(),
    b"blkiotune": frozenset((b"device",)),
    b"memoryBacking": frozenset(),
    b"pm": frozenset(),
    b"perf": frozenset((b"event",)),
    b"keywrap": frozenset((b"cipher",)),
    b"idmap": frozenset((b"uid", b"gid")),
    b"vcpus": frozenset((b"vcpu",)),
    b"iothreadids": frozenset((b"iothread",)),
}
#: children of a merged container whose own children are read across all their copies
_MERGED_NESTED = {b"memoryBacking": frozenset((b"hugepages",))}

_REPEAT_TABLE = {
    REPEAT_FIRST: ("name uuid title description memory currentMemory maxMemory vcpu cpu on_poweroff "
                   "on_reboot on_crash on_lockfailure bootloader bootloader_args metadata "
                   "launchSecurity").split(),
    REPEAT_MERGE: [k.decode() for k in _MERGED_LISTS],
    REPEAT_ONCE: ["genid", "numatune", "resource"],
    REPEAT_ALL: ["features", "devices"],
}

_ONCE_MESSAGES = {
    b"genid": "element 'genid' can only appear once",
    b"numatune": "only one numatune is supported",
    b"resource": "only one resource element is supported",
}


cdef inline int slot_of(const StrSet* st, const char* s) noexcept:
    """The slot of member ``s``, or -1."""
    cdef unsigned int i = _hash(s) & st.mask
    while st.slots[i] is not NULL:
        if same_name(st.slots[i], s):
            return <int>i
        i = (i + 1) & st.mask
    return -1


cdef int _repeat_table() except -1:
    global _repeat_kind
    cdef int slot
    _set_fill(&REPEAT_NAMES, [n for names in _REPEAT_TABLE.values() for n in names])
    _repeat_kind = <unsigned char*>PyMem_Malloc(REPEAT_NAMES.mask + 1)
    if _repeat_kind is NULL:
        raise MemoryError()
    memset(_repeat_kind, 0, REPEAT_NAMES.mask + 1)
    for kind, names in _REPEAT_TABLE.items():
        for n in names:
            slot = slot_of(&REPEAT_NAMES, _cstr(n))
            _repeat_kind[slot] = <unsigned char>kind
    return 0


cdef int _repeats(_Document doc, Node root, Refusal* out) except -1:
    """One pass over the root's children: a later copy of a first-wins element is dropped, of
    a container merged into the first (then deduplicated), of a once-only element noted in
    ``out`` (raised where libvirt parses it). A 64-bit filter of (first letter, last letter,
    length) keeps the typical document, which repeats nothing, to one test per child."""
    cdef Node c = root.children
    cdef Node nxt, first
    cdef Node merged[64]
    cdef int n_merged = 0, slot, i
    cdef size_t n
    cdef const char* name
    cdef unsigned long long seen = 0, bit
    cdef unsigned char kind
    cdef Node empties[4]
    cdef int n_empty = 0
    while c is not NULL:
        nxt = c.next
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            name = <const char*>c.name
            if (c.children is NULL and n_empty < 4 and (name[0] == c't' or name[0] == c'd' or name[0] == c'b')
                    and _empty_is_absent(name) and child_named(root, name) == c):
                empties[n_empty] = c  # a first copy: dropped after the pass (the later ones with it)
                n_empty += 1
            n = strlen(name)
            bit = 1ULL << ((<unsigned char>name[0] * 31u + <unsigned char>name[n - 1] + n * 7u) & 63u)
            if seen & bit == 0:
                seen |= bit
                c = nxt
                continue
            first = child_named(root, name)  # the first copy (c itself when none is earlier)
            slot = -1 if first == c else slot_of(&REPEAT_NAMES, name)
            if slot >= 0:
                kind = _repeat_kind[slot]
                nxt = next_elem(c)  # the tail goes with the element
                if kind == REPEAT_FIRST:
                    drop_elem(doc, c)
                elif kind == REPEAT_ONCE:
                    if strcmp(name, "genid") == 0:
                        out.genid_twice = "genid"
                    elif out.once_error is NULL or strcmp(name, "numatune") == 0:
                        out.once_error = <const char*>first.name  # (numatune is read first)
                else:
                    _merge_into(doc, first, c)
                    if kind == REPEAT_MERGE:
                        for i in range(n_merged):
                            if merged[i] == first:
                                break
                        else:
                            if n_merged < 64:
                                merged[n_merged] = first
                                n_merged += 1
        c = nxt
    for i in range(n_merged):
        _dedupe(doc, merged[i])
    for i in range(n_empty):
        drop_elem(doc, empties[i])
    return 0


cdef inline bint _empty_is_absent(const char* name) noexcept:
    """libvirt reads these with virXPathString, which gives NULL for an empty string: an
    empty first copy is as if none were given (and is not written)."""
    return (strcmp(name, "title") == 0 or strcmp(name, "description") == 0
            or strcmp(name, "bootloader") == 0 or strcmp(name, "bootloader_args") == 0)


cdef int _dedupe(_Document doc, Node parent) except -1:
    """A merged container as libvirt reads it: of each child read with ``[1]`` the first
    copy; the nested containers merged in turn."""
    cdef bytes pname = <bytes><const char*>parent.name
    cdef frozenset lists = _MERGED_LISTS[pname]
    cdef frozenset nested = _MERGED_NESTED.get(pname, frozenset())
    cdef dict seen = {}
    cdef Node c = parent.children
    cdef Node nxt
    cdef bytes name
    while c is not NULL:
        nxt = c.next
        if c.type == tree.XML_ELEMENT_NODE:
            name = <bytes><const char*>c.name
            if name not in lists:
                if name not in seen:
                    seen[name] = <size_t>c
                else:
                    nxt = next_elem(c)
                    if name in nested:
                        _merge_into(doc, <Node><size_t>seen[name], c)
                    else:
                        drop_elem(doc, c)
        c = nxt
    return 0


cdef object _once_error(const char* name):
    return err(ErrorNumber.XML_ERROR, _ONCE_MESSAGES[<bytes>name])


cdef object _containers(_Document doc, Node root, Refusal* out):
    """Before the unknown names go: resolve repeated top-level elements as libvirt reads them
    (``_repeats``), then find the first child libvirt refuses where it reads every child
    instead of only the names it knows: its error, or None (``out.kind`` says where libvirt
    raises it)."""
    cdef Node features = NULL
    cdef Node devices = NULL
    _repeats(doc, root, out)
    features = child_named(root, "features")
    devices = child_named(root, "devices")
    if features is not NULL:
        fault = _feature_fault(doc, features, out)
        if fault is not None:
            out.kind = REFUSED_FEATURE
            return fault
    if devices is not NULL and _pcr_bank_refusal(devices, out):
        out.kind = REFUSED_PCR_BANK
        template = _REFUSAL_MESSAGES[ustr(out.where)]
        return err(ErrorNumber.CONFIG_UNSUPPORTED, template.format(ustr(<const char*>out.node.name)))
    return None


#: <memoryBacking>'s modes libvirt 9.0 reads, in its order (an empty value is none)
_MEMORY_BACKING_MODES = (
    (b"source", b"type", frozenset(("anonymous", "file", "memfd"))),
    (b"access", b"mode", frozenset(("shared", "private"))),
    (b"allocation", b"mode", frozenset(("immediate", "ondemand"))),
)


cdef int _memory_tunables(_Document doc, Walk* w) except -1:
    """The huge page sizes and <memtune> limits, read (and written in KiB) where libvirt
    parses them: after the memory sizes, before the vCPUs (``_scaled`` meets them again,
    already in KiB)."""
    cdef Py_ssize_t i
    cdef Node backing = w.first[<int>S_MEMORYBACKING]
    cdef Node el
    cdef const char* value
    if backing is not NULL:
        for path, name, allowed in _MEMORY_BACKING_MODES:
            el = child_named(backing, path)
            value = NULL if el is NULL else attr(el, name)
            if value is not NULL and value[0] and ustr(value) not in allowed:
                raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown memoryBacking/{ustr(path)}/{ustr(name)} '{ustr(value)}'")
    each_under(doc, backing, "hugepages/page", _page_visit, NULL)
    for i in range(_n_scaled):
        if _scaled_rows[i].slot == <int>S_MEMTUNE:
            each_under(doc, w.first[<int>S_MEMTUNE], _scaled_rows[i].rest, _scaled_kib_visit,
                       _scaled_rows[i].full)
    return 0


cdef int _parsed_before_features(_Element root_el, _Document doc, Node root, Walk* w) except -1:
    """A document with a refused feature: the steps whose errors libvirt reports first (it
    parses these before <features>), for their errors only (the document is refused)."""
    if w.groups & G_BITMAP or (w.first[<int>S_VCPU] is not NULL and has_attr(w.first[<int>S_VCPU], "cpuset")):
        _bitmaps(doc, w)
    if w.first[<int>S_CPUTUNE] is not NULL:
        _pins(root_el)
    if w.first[<int>S_CPU] is not NULL:
        _cpu(doc, root)
    if w.first[<int>S_CPU_NUMA] is not NULL:
        _numa_order(root_el, root)
    if w.first[<int>S_NUMATUNE_MEMNODE] is not NULL:
        _memnodes(root_el, root)
    return 0


def post_parse(_Element root not None):
    """Check, normalise and complete the definition rooted at ``root``, in place."""
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef Node type_el, devices, tune, vcpu
    cdef Walk w
    cdef Refusal refusal
    memset(&w, 0, sizeof(Walk))
    memset(&refusal, 0, sizeof(Refusal))
    w.bad_no = -1
    refused = _containers(doc, r, &refusal)
    # libvirt's rules never see names it does not know: they go first
    drop_unknown(root)
    # what is present, and the first enumerated value libvirt would refuse (raised below, at
    # the point of libvirt's parse where it checks them)
    _walk(doc, r, _TREE, &w)
    _domain_type(r)
    _identity(r, w.first[<int>S_NAME], w.first[<int>S_UUID])
    if refusal.genid_twice is not NULL:
        raise _once_error(refusal.genid_twice)
    if w.first[<int>S_SECLABEL] is not NULL:
        _seclabel_checks(r)
    _memory_one(doc, w.first[<int>S_MAXMEMORY], "maxMemory")
    _memory_one(doc, w.first[<int>S_MEMORY], "memory")
    _memory_one(doc, w.first[<int>S_CURRENTMEMORY], "currentMemory")
    if w.first[<int>S_MEMTUNE] is not NULL or w.first[<int>S_MEMORYBACKING] is not NULL:
        _memory_tunables(doc, &w)
    vcpu = _vcpus(doc, r, w.first[<int>S_VCPU])
    type_el = w.first[<int>S_OS_TYPE]
    os_type = _os(type_el)
    if (w.bad_node is not NULL and w.bad_no == _WATCHDOG_MODEL_ROW
            and count_named(w.bad_node.parent, "watchdog") > 1):
        w.bad_node = NULL  # libvirt counts the watchdogs before it reads one (domain_devices)
    if w.bad_node is not NULL and w.bad_no in _ENUMS_OF_VCPU:
        raise _enum_failure(doc, &w)
    _tunables(root, &w)
    if refusal.once_error is not NULL:  # libvirt reads <numatune>, <resource> after <cpu>
        if w.bad_node is not NULL and w.bad_no in _ENUMS_BEFORE_FEATURES:
            raise _enum_failure(doc, &w)
        raise _once_error(refusal.once_error)
    if (w.bad_node is not NULL and w.bad_no not in _ENUMS_AFTER_LIFECYCLE
            and (refusal.kind != REFUSED_FEATURE or w.bad_no in _ENUMS_BEFORE_FEATURES)):
        raise _enum_failure(doc, &w)
    if refusal.kind == REFUSED_FEATURE:
        _parsed_before_features(root, doc, r, &w)
        raise refused
    _lifecycle(r, &w)
    if w.groups & G_RNG:
        _rng_backends(doc, &w)
    if w.bad_node is not NULL:
        raise _enum_failure(doc, &w)
    if w.first[<int>S_CLOCK] is NULL:
        set_attr(add_elem(r, "clock"), "offset", "utc")
    if w.first[<int>S_IOTHREADS] is not NULL or w.first[<int>S_IOTHREADIDS] is not NULL:
        _iothreads(root)
    if w.groups & G_BITMAP or (w.first[<int>S_VCPU] is not NULL and has_attr(w.first[<int>S_VCPU], "cpuset")):
        _bitmaps(doc, &w)
    if w.first[<int>S_CPU] is not NULL:
        _cpu(doc, r)
    if w.first[<int>S_FEATURES] is not NULL and _features(doc, r, refusal.features_repeat):
        w.first[<int>S_FEATURES] = w.first[<int>S_FEATURES_HYPERV] = NULL
    devices_el = post_parse_later = None
    devices = w.first[<int>S_DEVICES]
    if devices is not NULL:
        devices_el = proxy(doc, devices)  # held: keeps the node alive through Python steps
        normalize_all(devices_el)  # first, so later steps read canonical numbers
        post_parse_later = post_parse_devices(root, devices_el, os_type, attr_str(type_el, "arch") or "",
                                              refused if refusal.kind == REFUSED_PCR_BANK else None)
    else:
        add_elem(r, "devices")
    _memory_totals(root, r, &w)
    if w.groups & G_SCALED:
        _scaled(doc, &w)
    if w.first[<int>S_FEATURES_TCG] is not NULL:
        _tcg(doc, child_named(r, "features"))  # (the walk's <features> may be gone)
    _os_details(root, r, &w)
    if w.first[<int>S_CPU_NUMA] is not NULL:
        _numa_order(root, r)
        if w.first[<int>S_CPU_NUMA_DISTANCES] is not NULL:
            _numa_distances(doc, r)
    if w.first[<int>S_NUMATUNE] is not NULL or (vcpu is not NULL and attr_is(vcpu, "placement", "auto")):
        _placement(doc, r)
    if w.first[<int>S_NUMATUNE_MEMNODE] is not NULL:
        _memnodes(root, r)
    if w.first[<int>S_CPUTUNE] is not NULL:
        tune = child_named(r, "cputune")
        if tune is not NULL and (not _ascending(tune, "vcpupin", "vcpu")
                                 or not _ascending(tune, "iothreadpin", "iothread")):
            _pins(root)
        if w.first[<int>S_CPUTUNE_VCPUSCHED] is not NULL or w.first[<int>S_CPUTUNE_IOTHREADSCHED] is not NULL:
            _scheds(child(root, "cputune"))
    if w.first[<int>S_METADATA] is not NULL:
        _metadata(root)
    if w.first[<int>S_SECLABEL] is not NULL:
        _seclabels(doc, r)
    if w.first[<int>S_DEVICES_FILESYSTEM] is not NULL:
        _filesystem_modes(doc, devices)
    _boot(r, os_type, &w)
    if post_parse_later is not None:
        raise post_parse_later  # libvirt's post-parse runs after its whole parse
    canonical_order(root)
    if w.groups & G_HOSTDEV_NIC:
        each_under(doc, devices, "interface", _hostdev_nic_visit, NULL)
    if refusal.plain_made or _declares_namespaces(r) or w.first[<int>S_METADATA] is not NULL:
        etree.cleanup_namespaces(root)


# -- the configuration layer's shared helpers and tables -----------------------------------------
# Imported after post_parse is defined: importing pyvirt.conf.domain runs its model, which
# imports post_parse from this module (a cycle when this module is imported first).

from pyvirt._core.domain_devices import normalize_all, post_parse_devices
from pyvirt.conf.domain.enums import DEVICE_READ_ORDER, ENUMS, FIRST_ONLY_PATHS, enum_error
from pyvirt.conf.domain.enums import RULES as ENUM_RULES
from pyvirt.conf.domain.tables import KNOWN_BY_PATH, canonical_order, drop_unknown
from pyvirt.conf.units import LLONG_MAX, parse_scaled, to_kib
from pyvirt.conf.values import (
    c_strtoul,
    canonical_uuid,
    format_bitmap,
    generate_uuid,
    invalid_prop,
    missing_prop,
    parse_bitmap,
    str_to_uint,
    uint_prop,
)

#: device kinds libvirt reads after the <rng> devices, and the top-level elements after <devices>
_READ_AFTER_RNG = frozenset((*DEVICE_READ_ORDER[DEVICE_READ_ORDER.index("rng") + 1:],
                             "crypto", "launchSecurity", "sysinfo", "keywrap"))

#: the row of the RNG model
_RNG_MODEL_ROW = next(i for i, row in enumerate(ENUMS) if row[:2] == ("devices/rng", "model"))
#: the row of the watchdog model
_WATCHDOG_MODEL_ROW = next(i for i, row in enumerate(ENUMS) if row[:2] == ("devices/watchdog", "model"))

#: rows of ENUMS that libvirt checks with the vCPUs (before iothreads and tunables)
_ENUMS_OF_VCPU = frozenset(i for i, row in enumerate(ENUMS) if row[0] == "vcpu")

#: rows of ENUMS that libvirt checks after the lifecycle actions (all but <vcpu> and <cpu>)
_ENUMS_AFTER_LIFECYCLE = frozenset(
    i for i, row in enumerate(ENUMS)
    if row[0].partition("/")[0] not in ("vcpu", "cpu")
)

#: rows of ENUMS that libvirt checks before it parses <features> (<vcpu>, <cpu>)
_ENUMS_BEFORE_FEATURES = frozenset(
    i for i, row in enumerate(ENUMS) if row[0].partition("/")[0] in ("vcpu", "cpu")
)

# the names libvirt knows where it refuses the others: its schema's (tables.KNOWN_BY_PATH)
_set_fill(&FEATURE_NAMES, KNOWN_BY_PATH["features"][0])
_set_fill(&HYPERV_NAMES, KNOWN_BY_PATH["features/hyperv"][0])
_set_fill(&STIMER_NAMES, KNOWN_BY_PATH["features/hyperv/stimer"][0])
_set_fill(&KVM_NAMES, KNOWN_BY_PATH["features/kvm"][0])
_set_fill(&XEN_NAMES, KNOWN_BY_PATH["features/xen"][0])
_set_fill(&CAPABILITY_NAMES, KNOWN_BY_PATH["features/capabilities"][0])
_set_fill(&PCR_BANK_NAMES, KNOWN_BY_PATH["devices/tpm/backend/active_pcr_banks"][0])
# the values libvirt 9.0 reads in <features>
_set_fill(&ON_OFF_VALUES, ("on", "off"))
_set_fill(&STATE_FEATURES, "hap pmu pvspinlock vmcoreinfo vmport smm".split())  # absent: on
_set_fill(&STATE_REQUIRED_FEATURES, "ccf-assist htm nested-hv".split())
_set_fill(&MSRS_UNKNOWN_VALUES, ("ignore", "fault"))
_set_fill(&HYPERV_MODES, ("custom", "passthrough"))
_set_fill(&CAPABILITY_POLICIES, ("default", "allow", "deny"))
_set_fill(&XEN_PASSTHROUGH_MODES, ("sync_pt", "share_pt"))
_set_fill(&IOAPIC_DRIVERS, ("kvm", "qemu"))
_set_fill(&HPT_RESIZING, ("enabled", "disabled", "required"))
_set_fill(&CPU_FIX_VALUES, ("broken", "workaround", "fixed"))
_set_fill(&IBS_VALUES, ("broken", "workaround", "fixed-ibs", "fixed-ccd", "fixed-na"))
# features libvirt writes only with their one attribute
_set_fill(&VALUED_FEATURES, "ioapic cfpc sbbc ibs".split())
# features libvirt does not write when given bare
_set_fill(&BARE_UNWRITTEN, "ioapic cfpc sbbc ibs capabilities hpt".split())
# features libvirt reads children of across all their elements (the last one's attributes)
_set_fill(&MERGED_FEATURES, "hyperv kvm xen capabilities smm tcg hpt".split())

_compile(ENUM_RULES)
_repeat_table()
