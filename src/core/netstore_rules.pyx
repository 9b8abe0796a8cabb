# cython: language_level=3, boundscheck=False, wraparound=False
"""libvirt's parse rules for networks, storage pools and storage volumes, on libxml2 nodes.

Each ``*_post_parse`` function brings a freshly parsed document into the form libvirt writes
(values checked in libvirt's order, so the first error reported is the one libvirt reports,
with its code and wording; defaults filled in; unknown names dropped and children put in
the formatter's order by the shape tables of :mod:`pyvirt._core.shape`).

What a typical document holds (names, UUIDs, bridges, forward modes, IP addresses with their
DHCP ranges and hosts, pool sources and targets, volume sizes, formats and permissions) is
read and edited on ``xmlNode*`` with ``const char*`` comparisons: no lxml element object and
no Python call per element. A value already in libvirt's spelling (a dotted-quad address, a
lower-case UUID, plain decimal digits) is checked in C; any other spelling goes to the
Python reader of that syntax (``conf/values.py``, ``conf/units.py``, or the reader kept
here), so the semantics and errors of the unusual spellings are those readers' alone. Parts
few documents have (bandwidth, VLANs, virtual ports, port groups, DNS, PCI forward addresses,
pool adapters and auth, volume encryption) are Python-level code on element objects made for
them only.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdio cimport snprintf
from libc.string cimport memcmp, memcpy, memset, strchr

from lxml.includes.etreepublic cimport import_lxml__etree

import_lxml__etree()

include "nodeops.pxi"

cdef extern from "<arpa/inet.h>" nogil:
    int inet_pton(int af, const char* src, void* dst)
    const char* inet_ntop(int af, const void* src, char* dst, unsigned int size)

cdef extern from "<sys/socket.h>" nogil:
    enum:
        AF_INET
        AF_INET6

import functools
import ipaddress
import re
import socket

from lxml import etree

from pyvirt._core.shape import canonicalize as _canonicalize
from pyvirt._core.xmlcore import child as _child
from pyvirt._core.xmlcore import children as _children
from pyvirt._core.xmlcore import get as _aget
from pyvirt._core.xmlcore import set as _aset
from pyvirt.conf.units import parse_scaled, parse_ull
from pyvirt.conf.values import (
    canonical_uuid,
    format_mac,
    format_uuid,
    generate_uuid,
    invalid_prop,
    missing_prop,
    parse_mac,
    parse_pci_address,
    parse_uuid,
    prop_int,
    str_to_int,
    uint_prop,
)
from pyvirt.errors import ErrorDomain, ErrorNumber, virt_error

NET = ErrorDomain.NETWORK

#: libvirt's forward modes, in its enum order (the index is the C-side mode)
FORWARD_MODES = ("none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev")

cdef enum ForwardMode:
    FWD_NONE = 0
    FWD_NAT = 1
    FWD_ROUTE = 2
    FWD_OPEN = 3
    FWD_BRIDGE = 4
    FWD_HOSTDEV = 8

cdef const char* _MODE_NAMES[9]
_MODE_NAMES[0] = "none"
_MODE_NAMES[1] = "nat"
_MODE_NAMES[2] = "route"
_MODE_NAMES[3] = "open"
_MODE_NAMES[4] = "bridge"
_MODE_NAMES[5] = "private"
_MODE_NAMES[6] = "vepa"
_MODE_NAMES[7] = "passthrough"
_MODE_NAMES[8] = "hostdev"


cdef inline bint _managed_bridge(int mode) noexcept:
    """Modes where libvirt itself runs the bridge (and so writes stp/delay)."""
    return mode <= FWD_OPEN


# -- errors -------------------------------------------------------------------------------------


cdef object _net_error(str detail):
    """libvirt's VIR_ERR_XML_ERROR from the network layer."""
    return virt_error(ErrorNumber.XML_ERROR, detail, domain=NET)


cdef object _net_unsupported(str detail):
    return virt_error(ErrorNumber.CONFIG_UNSUPPORTED, detail, domain=NET)


def _detail(text):
    return virt_error(ErrorNumber.XML_DETAIL, text, domain=NET)


def check_object_name(name):
    """libvirt rejects a '/' in object names (VIR_ERR_XML_DETAIL from the conf layer)."""
    if "/" in name:
        raise virt_error(ErrorNumber.XML_DETAIL, "invalid char in name: /", domain=ErrorDomain.XML)


# -- values on nodes ----------------------------------------------------------------------------


cdef inline bint _py_space(unsigned char ch) noexcept:
    """What Python's str.strip() removes, on ASCII."""
    return ch == 32 or 9 <= ch <= 13 or 28 <= ch <= 31


cdef inline bint _ascii(const char* s) noexcept:
    while s[0]:
        if <unsigned char>s[0] >= 0x80:
            return False
        s += 1
    return True


cdef inline bint _nonempty(const char* s) noexcept:
    return s is not NULL and s[0] != 0


cdef inline const char* _attr_nonempty(Node n, const char* name) noexcept:
    """libvirt reads attributes with XPath string(): an empty value is an absent one."""
    cdef const char* v
    if n is NULL:
        return NULL
    v = attr(n, name)
    return v if _nonempty(v) else NULL


cdef int _drop_empty(Node n, const char* name) except -1:
    cdef const char* v = attr(n, name)
    if v is not NULL and v[0] == 0:
        del_attr(n, name)
    return 0


cdef int _yes_no(Node n, const char* name) except -1:
    cdef const char* v = attr(n, name)
    if v is not NULL and strcmp(v, "yes") != 0 and strcmp(v, "no") != 0:
        raise invalid_prop(ustr(name), ustr(name_of(n)), ustr(v))
    return 0


def _is_uint(text, limit=2**32 - 1):
    t = text.strip()
    return t.isdigit() and int(t) <= limit


cdef int _uint_text(const char* s, unsigned long long limit, unsigned long long* out) except -1:
    """Python's ``t = s.strip(); t.isdigit() and int(t) <= limit`` (``_is_uint``): 1 or 0,
    the number in ``out``. Non-ASCII text goes to the Python spelling."""
    cdef const char* end
    cdef unsigned long long value = 0, digit
    if not _ascii(s):
        text = ustr(s)
        if not _is_uint(text, limit):
            return 0
        out[0] = int(text.strip())
        return 1
    while _py_space(<unsigned char>s[0]):
        s += 1
    end = s + strlen(s)
    while end > s and _py_space(<unsigned char>end[-1]):
        end -= 1
    if end == s:
        return 0
    while s < end:
        if not (c'0' <= s[0] <= c'9'):
            return 0
        digit = s[0] - c'0'
        if value > (limit - digit) // 10:
            return 0
        value = value * 10 + digit
        s += 1
    out[0] = value
    return 1


def _prop_uint(el, attr, *, required=False, bits=32, base=10):
    """libvirt's virXMLPropUInt (``bits`` 64: ULongLong), the value then spelled as libvirt
    writes it back (" 1", "+1" and "010" are 1, 1 and 10)."""
    value = _aget(el, attr)
    if value is None:
        if required:
            raise missing_prop(attr, el.tag)
        return None
    number = uint_prop(value, attr, el.tag, base=base, bits=bits)
    if not value.isdigit() or (value[0] == "0" and len(value) > 1):
        _aset(el, attr, str(number))
    return number


cdef int _node_uint(_Document doc, Node n, const char* name, bint required, int bits, int base,
                    unsigned long long* out) except -1:
    """:func:`_prop_uint` on a node: 1 and the number in ``out``, 0 when absent. Plain decimal
    digits (libvirt's own spelling) are read here, anything else by the Python reader."""
    cdef const char* v = attr(n, name)
    cdef const char* p
    cdef unsigned long long value = 0, limit
    cdef int digits = 0
    if v is not NULL and (c'1' <= v[0] <= c'9' or (v[0] == c'0' and v[1] == 0)):
        limit = 0xFFFFFFFFULL if bits == 32 else 0xFFFFFFFFFFFFFFFFULL
        p = v
        while c'0' <= p[0] <= c'9' and digits <= 20:
            if value > (limit - <unsigned long long>(p[0] - c'0')) // 10:
                digits = 99
                break
            value = value * 10 + <unsigned long long>(p[0] - c'0')
            p += 1
            digits += 1
        if p[0] == 0 and digits <= 20:
            out[0] = value
            return 1
    if v is NULL and not required:
        return 0
    number = _prop_uint(proxy(doc, n), ustr(name), required=required, bits=bits, base=base)
    if number is None:
        return 0
    out[0] = number
    return 1


# -- network addresses --------------------------------------------------------------------------

cdef struct Addr:
    int version            # 4 or 6; 0 when the text is not an address
    bint scoped            # an IPv6 zone ("%eth0"): spelled and compared by the Python reader
    unsigned char b[16]
    const char* raw        # the text read (points into the tree)


cdef struct Net:
    int version            # 0: no network (libvirt's "prefix -1")
    int prefixlen
    unsigned char b[16]


_LEGACY_V4 = re.compile(r"[0-9a-fA-FxX.]+")


@functools.lru_cache(maxsize=4096)
def _ip(text):
    """A numeric address as getaddrinfo reads it (so also IPv4's short forms ``1.2``, ``0x..``);
    the reader of the spellings :func:`_parse_addr` does not take itself."""
    if not text:
        return None
    try:
        if ":" in text:
            return ipaddress.IPv6Address(text)
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except (ValueError, OSError):
        pass
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_V4.fullmatch(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


cdef int _parse_addr(const char* s, Addr* out) except -1:
    """:func:`_ip` of ``s``: inet_pton for the usual spellings, the Python reader otherwise."""
    cdef bytes packed
    out.raw = s
    out.scoped = False
    out.version = 0
    if s is NULL or s[0] == 0:
        return 0
    if strchr(s, c':') is NULL:
        if inet_pton(AF_INET, s, out.b) == 1:
            out.version = 4
            return 0
    elif strchr(s, c'%') is NULL:
        if inet_pton(AF_INET6, s, out.b) == 1:
            out.version = 6
            return 0
    obj = _ip(ustr(s))
    if obj is None:
        return 0
    out.version = obj.version
    packed = obj.packed
    memcpy(out.b, <const char*>packed, len(packed))
    out.scoped = out.version == 6 and obj.scope_id is not None
    return 0


cdef inline int _addr_len(int version) noexcept:
    return 4 if version == 4 else 16


cdef object _addr_str(const Addr* a):
    """The address as libvirt writes it (virSocketAddrFormat: inet_ntop's spelling, so an
    IPv4-mapped IPv6 address keeps its dotted quad; a zone is spelled by the Python reader,
    as getnameinfo writes it)."""
    cdef char buf[64]
    if a.scoped:
        return str(_ip(ustr(a.raw)))
    inet_ntop(AF_INET if a.version == 4 else AF_INET6, a.b, buf, sizeof(buf))
    return ustr(buf)


cdef int _respell(Node n, const char* name) except -1:
    """Write address attribute ``name`` as libvirt does (only when the spelling changes)."""
    cdef Addr a
    cdef char buf[64]
    cdef const char* raw = attr(n, name)
    if raw is NULL:
        return 0
    _parse_addr(raw, &a)
    if a.version == 0:
        return 0
    if not a.scoped:
        inet_ntop(AF_INET if a.version == 4 else AF_INET6, a.b, buf, sizeof(buf))
        if strcmp(buf, raw) != 0:
            set_attr(n, name, buf)
        return 0
    text = str(_ip(ustr(raw)))
    if text != ustr(raw):
        set_attr_s(n, name, text)
    return 0


cdef int _socket_addr(const char* s, Addr* out) except -1:
    """libvirt's virSocketAddrParse (numeric host only) with its system error."""
    _parse_addr(s, out)
    if out.version == 0:
        raise virt_error(
            ErrorNumber.SYSTEM_ERROR,
            message=f"Cannot parse socket address '{ustr(s)}': Name or service not known",
            domain=ErrorDomain.NONE,
        )
    return 0


cdef int _mask_prefix(const Addr* m) noexcept:
    """The prefix length of an IPv4 netmask (libvirt's virSocketAddrGetNumNetmaskBits): -1
    unless its one bits lead and are contiguous (a hostmask such as 0.0.0.255 is not one)."""
    cdef unsigned int x = (<unsigned int>m.b[0] << 24) | (<unsigned int>m.b[1] << 16) | (<unsigned int>m.b[2] << 8) | m.b[3]
    cdef int zeros = 0
    while zeros < 32 and not (x >> zeros) & 1:
        zeros += 1
    if zeros == 32 or (x >> zeros) == (0xFFFFFFFFu >> zeros):
        return 32 - zeros
    return -1


cdef void _subnet(const Addr* a, int prefix, Net* out) noexcept:
    """``ip_network(f"{a}/{prefix}", strict=False)``; no network for a prefix out of range."""
    cdef int i, n = _addr_len(a.version), bits
    memset(out, 0, sizeof(Net))
    if prefix < 0 or prefix > 8 * n:
        return
    out.version = a.version
    out.prefixlen = prefix
    for i in range(n):
        bits = prefix - 8 * i
        if bits >= 8:
            out.b[i] = a.b[i]
        elif bits > 0:
            out.b[i] = a.b[i] & <unsigned char>(0xFF << (8 - bits))


cdef bint _contains(const Net* net, const Addr* a) noexcept:
    cdef Net masked
    if net.version != a.version:
        return False
    _subnet(a, net.prefixlen, &masked)
    return memcmp(masked.b, net.b, _addr_len(a.version)) == 0


cdef inline int _addr_cmp(const Addr* a, const Addr* b) noexcept:
    return memcmp(a.b, b.b, _addr_len(a.version))


cdef object _range_error(str detail):
    return virt_error(ErrorNumber.INTERNAL_ERROR, detail, domain=ErrorDomain.NONE)


cdef int _check_range(const Addr* a, const Addr* b, const Addr* host, const Net* net) except -1:
    """libvirt's virSocketAddrGetRange, in its order and wording: the range ``a`` - ``b`` (of
    the network of address ``host`` and ``net``'s prefix when given, NULL for a NAT range)
    has one family, lies inside the network without its network and broadcast addresses,
    spans at most 65536 addresses and is not reversed."""
    cdef Net masked
    cdef int n, i
    cdef unsigned char bits
    if a.version != b.version:
        raise _range_error(f"mismatch of address family in range {_addr_str(a)} - {_addr_str(b)}")
    if host is not NULL:
        if a.version != host.version:
            raise _range_error(
                f"mismatch of address family in range {_addr_str(a)} - {_addr_str(b)} for network {_addr_str(host)}"
            )
        if net.version == 0:
            raise _range_error(
                f"bad prefix -1 for network {_addr_str(host)} when  checking range {_addr_str(a)} - {_addr_str(b)}"
            )
        if not _contains(net, a) or not _contains(net, b):
            raise _range_error(
                f"range {_addr_str(a)} - {_addr_str(b)} is not entirely within network "
                f"{_addr_str(host)}/{net.prefixlen}"
            )
        if a.version == 4:
            if memcmp(a.b, net.b, 4) == 0:
                raise _range_error(
                    f"start of range {_addr_str(a)} - {_addr_str(b)} in network "
                    f"{_addr_str(host)}/{net.prefixlen} is the network address"
                )
            for i in range(4):  # the broadcast address: the network's host bits all set
                n = net.prefixlen - 8 * i
                bits = 0 if n >= 8 else (0xFF if n <= 0 else <unsigned char>(0xFF >> n))
                if b.b[i] != (net.b[i] | bits):
                    break
            else:
                raise _range_error(
                    f"end of range {_addr_str(a)} - {_addr_str(b)} in network "
                    f"{_addr_str(host)}/{net.prefixlen} is the broadcast address"
                )
    # libvirt's legacy limit: all but the last 16 bits alike
    n = 2 if a.version == 4 else 14
    if memcmp(a.b, b.b, n) != 0:
        raise _range_error(f"range {_addr_str(a)} - {_addr_str(b)} is too large (> 65535)")
    if _addr_cmp(a, b) > 0:
        if a.version == 4:
            raise _range_error(f"range {_addr_str(a)} - {_addr_str(b)} is reversed ")
        raise _range_error(f"range {_addr_str(a)} - {_addr_str(b)} start larger than end")
    return 0


cdef int _ip_prefix(const Addr* addr, bint has_mask, const Addr* mask, unsigned long long prefix) noexcept:
    """libvirt's virSocketAddrGetIPPrefix: the prefix given, else the netmask's, else the
    address's natural one (classful for IPv4, 64 for IPv6, 0 for the wildcard); -1 when
    there is none."""
    cdef int i
    cdef bint zero = True
    if prefix > 0:
        return <int>prefix
    if has_mask:
        return _mask_prefix(mask)
    for i in range(_addr_len(addr.version)):
        if addr.b[i]:
            zero = False
            break
    if zero:
        return 0
    if addr.version == 6:
        return 64
    if addr.b[0] & 0x80 == 0:
        return 8  # class A
    if addr.b[0] & 0xC0 == 0x80:
        return 16  # class B
    if addr.b[0] & 0xE0 == 0xC0:
        return 24  # class C
    return -1


# -- MAC and UUID spellings ---------------------------------------------------------------------


cdef inline int _hex(char ch) noexcept:
    if c'0' <= ch <= c'9':
        return ch - c'0'
    if c'a' <= ch <= c'f':
        return ch - c'a' + 10
    if c'A' <= ch <= c'F':
        return ch - c'A' + 10
    return -1


cdef int _canonical_mac(const char* s) noexcept:
    """Six 2-digit hex groups: the first byte (0..255); -1 for any other spelling."""
    cdef int i
    for i in range(17):
        if i % 3 == 2:
            if s[i] != c':':
                return -1
        elif _hex(s[i]) < 0:
            return -1
    if s[17] != 0:
        return -1
    return _hex(s[0]) * 16 + _hex(s[1])


cdef bint _has_upper(const char* s) noexcept:
    while s[0]:
        if c'A' <= s[0] <= c'Z':
            return True
        s += 1
    return False


cdef bint _canonical_uuid(const char* s) noexcept:
    """Already libvirt's spelling: 8-4-4-4-12 lower-case hex digits."""
    cdef int i
    for i in range(36):
        if i == 8 or i == 13 or i == 18 or i == 23:
            if s[i] != c'-':
                return False
        elif not (c'0' <= s[i] <= c'9' or c'a' <= s[i] <= c'f'):
            return False
    return s[36] == 0


cdef object _whole_text(_Document doc, Node n):
    """The element's text as libvirt reads it (all of its text, descendants' included), None
    when empty: ``"".join(el.itertext()) or None``."""
    cdef Node c = n.children
    while c is not NULL:
        if c.type != tree.XML_TEXT_NODE and c.type != tree.XML_CDATA_SECTION_NODE:
            return "".join(proxy(doc, n).itertext()) or None
        c = c.next
    return text_str(n) or None


cdef int _set_whole_text(Node n, str value) except -1:
    """Make ``value`` the element's text unless it already is (a text write replaces the node)."""
    cdef Node c = n.children
    if c is not NULL and c.next is NULL and c.type == tree.XML_TEXT_NODE and c.content is not NULL:
        if strcmp(<const char*>c.content, utf8(value)) == 0:
            return 0
    elif text_str(n) == value and first_child_node(n) is NULL:
        return 0
    set_text_s(n, value)
    return 0


cdef inline bint _same(const char* a, const char* b) noexcept:
    """``strcmp(a, b) == 0`` inline (names are short; most differ in their first byte)."""
    while a[0] == b[0]:
        if a[0] == 0:
            return True
        a += 1
        b += 1
    return False


cdef struct NetTop:
    # the first plain child of each name the rules read (NULL when absent)
    Node name
    Node uuid
    Node domain
    Node bandwidth
    Node vlan
    Node port
    Node bridge
    Node mac
    Node mtu
    Node dns
    Node virtualport
    Node portgroup
    Node ip
    Node route
    Node forward
    Node metadata
    int n_ip


cdef void _net_survey(Node r, NetTop* t) noexcept:
    """One pass over the root's children instead of a scan per name."""
    cdef Node c = r.children
    cdef const char* n
    memset(t, 0, sizeof(NetTop))
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            n = <const char*>c.name
            if n[0] == c'n':
                if t.name is NULL and _same(n, "name"):
                    t.name = c
            elif n[0] == c'u':
                if t.uuid is NULL and _same(n, "uuid"):
                    t.uuid = c
            elif n[0] == c'i':
                if _same(n, "ip"):
                    if t.ip is NULL:
                        t.ip = c
                    t.n_ip += 1
            elif n[0] == c'f':
                if t.forward is NULL and _same(n, "forward"):
                    t.forward = c
            elif n[0] == c'b':
                if t.bridge is NULL and _same(n, "bridge"):
                    t.bridge = c
                elif t.bandwidth is NULL and _same(n, "bandwidth"):
                    t.bandwidth = c
            elif n[0] == c'm':
                if t.mac is NULL and _same(n, "mac"):
                    t.mac = c
                elif t.mtu is NULL and _same(n, "mtu"):
                    t.mtu = c
                elif t.metadata is NULL and _same(n, "metadata"):
                    t.metadata = c
            elif n[0] == c'd':
                if t.dns is NULL and _same(n, "dns"):
                    t.dns = c
                elif t.domain is NULL and _same(n, "domain"):
                    t.domain = c
            elif n[0] == c'p':
                if t.portgroup is NULL and _same(n, "portgroup"):
                    t.portgroup = c
                elif t.port is NULL and _same(n, "port"):
                    t.port = c
            elif n[0] == c'r':
                if t.route is NULL and _same(n, "route"):
                    t.route = c
            elif n[0] == c'v':
                if t.vlan is NULL and _same(n, "vlan"):
                    t.vlan = c
                elif t.virtualport is NULL and _same(n, "virtualport"):
                    t.virtualport = c
        c = c.next


# -- network ------------------------------------------------------------------------------------


def network_post_parse(_Element root not None, shape):
    """libvirt's network parse, in its order (so the first error reported is the same), then
    canonical form (``shape``: the compiled network shape) and the formatter's defaults.

    Returns True when the root declares XML namespaces (the caller moves them down).
    """
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef NetTop top
    cdef Node name_el, uuid_el, bridge, mac_el, mtu_el, fwd, c
    cdef const char* ipv6
    cdef const char* v
    cdef const char* delay_s
    cdef const char* mtm
    cdef const char* mac
    cdef const char* mtu_s
    cdef const char* bridge_name
    cdef const char* zone
    cdef unsigned long long delay = 0, mtu = 0
    cdef bint stp_given, stp_off, has_delay = False
    cdef int mode = FWD_NONE, nifs = 0, npfs = 0, nips = 0, first_byte
    cdef Net* nets = NULL
    _net_survey(r, &top)
    name_el = top.name
    name = None if name_el is NULL else _whole_text(doc, name_el)
    if not name:
        raise virt_error(ErrorNumber.NO_NAME, domain=NET)
    check_object_name(name)
    uuid_el = top.uuid
    uuid = None if uuid_el is NULL else _whole_text(doc, uuid_el)
    if uuid:
        if not _canonical_uuid(utf8(uuid)):
            uuid = canonical_uuid(uuid, domain=NET)  # libvirt's "malformed uuid element"
    ipv6 = attr(r, "ipv6")
    if _nonempty(ipv6) and strcmp(ipv6, "yes") != 0 and strcmp(ipv6, "no") != 0:
        raise _net_error(f"Invalid ipv6 setting '{ustr(ipv6)}' in network '{name}'")
    _yes_no(r, "trustGuestRxFilters")
    c = top.domain
    if c is not NULL:
        _yes_no(c, "localOnly")
    c = top.bandwidth
    if c is not NULL:
        _parse_bandwidth(proxy(doc, c))
    c = top.vlan
    if c is not NULL:
        _parse_vlan(proxy(doc, c))
    c = top.port
    if c is not NULL:
        _yes_no(c, "isolated")
    bridge = top.bridge
    stp_given = _attr_nonempty(bridge, "stp") is not NULL
    delay_s = _attr_nonempty(bridge, "delay")
    if delay_s is not NULL:
        if not _uint_text(delay_s, 0xFFFFFFFFFFFFFFFFULL, &delay):
            raise _net_error(f"Invalid delay value in network '{name}'")
        has_delay = True
    mtm = _attr_nonempty(bridge, "macTableManager")
    if mtm is not NULL and strcmp(mtm, "kernel") != 0 and strcmp(mtm, "libvirt") != 0:
        raise _net_error(f"Invalid macTableManager setting '{ustr(mtm)}' in network '{name}'")
    mac_el = top.mac
    mac = _attr_nonempty(mac_el, "address")
    mac_str = None
    if mac is not NULL:
        mac_str = ustr(mac)  # kept: the tree's string may move before it is written back
        first_byte = _canonical_mac(mac)
        if first_byte < 0:
            raw_mac = parse_mac(mac_str)
            if raw_mac is None:
                raise _net_error(f"Invalid bridge mac address '{mac_str}' in network '{name}'")
            first_byte = raw_mac[0]
        if first_byte & 1:
            raise _net_error(f"Invalid multicast bridge mac address '{mac_str}' in network '{name}'")
    mtu_el = top.mtu
    mtu_s = _attr_nonempty(mtu_el, "size")
    if mtu_s is not NULL and not _uint_text(mtu_s, 0xFFFFFFFFULL, &mtu):
        raise _net_error(f"Invalid mtu size '{ustr(mtu_s)}' in network '{name}'")
    c = top.dns
    if c is not NULL:
        _parse_dns(proxy(doc, c), name)
    c = top.virtualport
    if c is not NULL:
        _parse_virtualport(proxy(doc, c), require_type=True)
    c = top.portgroup
    while c is not NULL:
        _parse_portgroup(proxy(doc, c))
        c = next_named(c, "portgroup")
    nips = top.n_ip
    if nips:
        nets = <Net*>PyMem_Malloc(nips * sizeof(Net))
        if nets is NULL:
            raise MemoryError()
    try:
        nips = 0
        c = top.ip
        while c is not NULL:
            _parse_ip(doc, c, name, &nets[nips])
            nips += 1
            c = next_named(c, "ip")
        if top.route is not NULL:
            _parse_routes(doc, top.route, name, nets, nips)
    finally:
        PyMem_Free(nets)
    fwd = top.forward
    if fwd is not NULL:
        mode = _parse_forward(doc, fwd, name, &nifs, &npfs)
    if mode == FWD_ROUTE or mode == FWD_NAT or mode == FWD_OPEN:
        if not nips:
            raise _net_error(
                f"{ustr(_MODE_NAMES[mode])} forwarding requested, but no IP address provided for network '{name}'"
            )
        if nifs > 1:
            raise _net_error(f"multiple forwarding interfaces specified for network '{name}', only one is supported")
        if mode == FWD_OPEN and nifs:
            raise _net_error(f"forward dev not allowed for network '{name}' with forward mode='open'")
    elif mode != FWD_NONE:
        mode_name = ustr(_MODE_NAMES[mode])
        bridge_name = _attr_nonempty(bridge, "name")
        zone = _attr_nonempty(bridge, "zone")
        if mode != FWD_BRIDGE:
            if bridge_name is not NULL:
                raise _net_error(f"bridge name not allowed in {mode_name} mode (network '{name}')")
            if zone is not NULL:
                raise _net_error(f"bridge zone not allowed in {mode_name} mode (network '{name}')")
            if mtm is not NULL:
                raise _net_error(f"bridge macTableManager setting not allowed in {mode_name} mode (network '{name}')")
        if (has_delay and delay) or stp_given or zone is not NULL:
            raise _net_error(
                "bridge delay/stp/zone options only allowed in route, nat, and isolated mode, "
                f"not in {mode_name} (network '{name}')"
            )
        if bridge_name is not NULL and (nifs or npfs):
            raise _net_error(
                f"A network with forward mode='{mode_name}' can specify a bridge name or a forward dev, "
                f"but not both (network '{name}')"
            )
    if mtu_s is not NULL and mtu and not _managed_bridge(mode):
        raise _net_error(
            "mtu size only allowed in open, route, nat, and isolated mode, "
            f"not in {ustr(_MODE_NAMES[mode])} (network '{name}')"
        )
    stp_off = attr_is(bridge, "stp", "off") if bridge is not NULL else False
    # -- canonical form (first of duplicates, unknown dropped), defaults, final order ----------
    _canonicalize(root, shape)
    _net_survey(r, &top)  # the same first elements, duplicates and unknown names gone
    name_el = top.name
    _set_whole_text(name_el, name)
    uuid_el = top.uuid
    if uuid_el is NULL:
        uuid_el = new_elem(r.doc, "uuid")
        insert_after(name_el, uuid_el)
    _set_whole_text(uuid_el, uuid or generate_uuid())
    if not attr_is(r, "ipv6", "yes"):
        del_attr(r, "ipv6")
    _drop_empty(r, "trustGuestRxFilters")
    _format_defaults(doc, r, &top, mode, mac_str, mtu_s is not NULL, mtu, stp_off, delay)
    _canonicalize(root, shape)
    return r.nsDef is not NULL


# -- network: ip, dhcp, routes ------------------------------------------------------------------


cdef int _parse_ip(_Document doc, Node ip, str name, Net* net) except -1:
    cdef const char* family
    cdef const char* address
    cdef const char* netmask
    cdef Addr addr, mask
    cdef bint has_mask = False, has_prefix
    cdef unsigned long long prefix = 0
    cdef Node c
    _drop_empty(ip, "family")
    _drop_empty(ip, "netmask")
    address = attr(ip, "address")
    if not _nonempty(address):
        raise _net_error(f"Missing required address attribute in network '{name}'")
    _parse_addr(address, &addr)
    if addr.version == 0:
        raise _net_error(f"Invalid address '{ustr(address)}' in network '{name}'")
    netmask = attr(ip, "netmask")
    if _nonempty(netmask):
        _parse_addr(netmask, &mask)
        if mask.version == 0:
            raise _net_error(f"Invalid netmask '{ustr(netmask)}' in network '{name}'")
        has_mask = True
    has_prefix = _node_uint(doc, ip, "prefix", False, 32, 10, &prefix) and prefix != 0  # 0: not given
    _yes_no(ip, "localPtr")
    address = attr(ip, "address")
    family = attr(ip, "family")
    if family is NULL or strcmp(family, "ipv4") == 0:
        if addr.version != 4:
            if family is NULL:
                raise _net_unsupported(f"no family specified for non-IPv4 address '{ustr(address)}' in network '{name}'")
            raise _net_unsupported(f"ipv4 family specified for non-IPv4 address '{ustr(address)}' in network '{name}'")
        if has_mask and mask.version != 4:
            raise _net_unsupported(
                f"Invalid netmask '{ustr(netmask)}' for address '{ustr(address)}' in network '{name}' (both must be IPv4)"
            )
        if has_mask and has_prefix:
            raise _net_unsupported(f"Network '{name}' IP address cannot have both a prefix and a netmask")
        if not has_mask and has_prefix and prefix > 32:
            raise _net_unsupported(f"Invalid IPv4 prefix '{prefix}' in network '{name}'")
    elif strcmp(family, "ipv6") == 0:
        if addr.version != 6:
            raise _net_unsupported(f"Family 'ipv6' specified for non-IPv6 address '{ustr(address)}' in network '{name}'")
        if has_mask:
            raise _net_unsupported(f"netmask not allowed for IPv6 address '{ustr(address)}' in network '{name}'")
        if has_prefix and prefix > 128:
            raise _net_unsupported(f"Invalid IPv6 prefix '{prefix}' in network '{name}'")
    else:
        raise _net_error(f"Unrecognized family '{ustr(family)}' in network '{name}'")
    _subnet(&addr, _ip_prefix(&addr, has_mask, &mask, prefix if has_prefix else 0), net)
    c = child_named(ip, "dhcp")
    if c is not NULL:
        _parse_dhcp(doc, c, &addr, net, name)
    if child_named(ip, "tftp") is not NULL and addr.version != 4:
        raise _net_unsupported(f"Unsupported <tftp> element in an IPv6 element in network '{name}'")
    return 0


cdef int _parse_lease(_Document doc, Node parent) except -1:
    """A DHCP lease time (virNetworkDHCPLeaseTimeDefParseXML): the expiry in any C base up to
    2**64-1, 0 meaning infinite, else at least two minutes. libvirt writes a lease without
    expiry as nothing, an infinite one without unit, any other with its unit (minutes when
    not given)."""
    cdef Node lease = child_named(parent, "lease")
    cdef unsigned long long expiry = 0, seconds
    cdef const char* unit
    cdef bint has_expiry
    if lease is NULL:
        return 0
    has_expiry = _node_uint(doc, lease, "expiry", False, 64, 0, &expiry)
    unit = attr(lease, "unit")
    if unit is NULL or strcmp(unit, "minutes") == 0:
        seconds = 60
    elif strcmp(unit, "seconds") == 0:
        seconds = 1
    elif strcmp(unit, "hours") == 0:
        seconds = 3600
    else:
        raise invalid_prop("unit", "lease", ustr(unit))
    if has_expiry and expiry and expiry < 120 and expiry * seconds < 120:
        raise virt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "The minimum lease time should be greater than 2 minutes",
            domain=ErrorDomain.NONE,
        )
    if not has_expiry:
        remove_node(doc, lease)
    elif expiry == 0:
        del_attr(lease, "unit")
    elif unit is NULL:
        set_attr(lease, "unit", "minutes")
    return 0


cdef int _parse_dhcp(_Document doc, Node dhcp, const Addr* host_addr, const Net* net, str name) except -1:
    cdef Node rng, host
    cdef const char* start
    cdef const char* end
    cdef const char* mac
    cdef const char* hostname
    cdef const char* ip_text
    cdef const char* duid
    cdef const char* p
    cdef Addr a, b
    cdef int version = host_addr.version, first_byte
    rng = child_named(dhcp, "range")
    while rng is not NULL:
        start = attr(rng, "start")
        if start is NULL:
            raise _net_error(f"Missing 'start' attribute in dhcp range for network '{name}'")
        _socket_addr(start, &a)
        end = attr(rng, "end")
        if end is NULL:
            raise _net_error(f"Missing 'end' attribute in dhcp range for network '{name}'")
        _socket_addr(end, &b)
        _check_range(&a, &b, host_addr, net)
        _parse_lease(doc, rng)
        rng = next_named(rng, "range")
    host = child_named(dhcp, "host")
    while host is not NULL:
        _drop_empty(host, "mac")
        mac = attr(host, "mac")
        if mac is not NULL:
            if version == 6:
                raise _net_error(
                    f"Invalid to specify MAC address '{ustr(mac)}' in network '{name}' IPv6 static host definition"
                )
            first_byte = _canonical_mac(mac)
            if first_byte < 0:
                raw = parse_mac(ustr(mac))
                if raw is None:
                    raise _net_error(f"Cannot parse MAC address '{ustr(mac)}' in network '{name}'")
                first_byte = raw[0]
            if first_byte & 1:
                raise _net_error(f"expected unicast mac address, found multicast '{ustr(mac)}' in network '{name}'")
        hostname = attr(host, "name")
        if hostname is not NULL and not (
            c'a' <= hostname[0] <= c'z' or c'A' <= hostname[0] <= c'Z' or c'0' <= hostname[0] <= c'9'
        ):
            raise _net_error(f"Cannot use host name '{ustr(hostname)}' in network '{name}'")
        ip_text = attr(host, "ip")
        if ip_text is not NULL:
            _parse_addr(ip_text, &a)
            if a.version == 0:
                raise _net_error(f"Invalid IP address in static host definition for network '{name}'")
        duid = attr(host, "id")
        if duid is not NULL:
            p = duid
            while p[0]:
                if _hex(p[0]) < 0 and p[0] != c':':
                    for ch in ustr(duid):
                        if ch not in "0123456789abcdefABCDEF:":
                            raise _net_error(f"Invalid character '{ch}' in id '{ustr(duid)}' of network '{name}'")
                p += 1
        if version == 4 and mac is NULL and not _nonempty(hostname):
            raise _net_error(f"Static host definition in IPv4 network '{name}' must have mac or name attribute")
        if version == 6 and not _nonempty(duid) and not _nonempty(hostname):
            raise _net_error(f"Static host definition in IPv6 network '{name}' must have id or name attribute")
        if ip_text is NULL:
            raise _net_error(f"Missing IP address in static host definition for network '{name}'")
        _parse_lease(doc, host)
        host = next_named(host, "host")
    host = child_named(dhcp, "bootp")
    if host is not NULL:
        start = attr(host, "server")
        if _nonempty(start):
            _socket_addr(start, &a)
    return 0


cdef int _parse_routes(_Document doc, Node first, str name, const Net* nets, int nips) except -1:
    """Every static route (libvirt's checks, its messages starting with the network name),
    then each gateway's reachability through one of the network's addresses."""
    cdef Node route = first
    cdef Addr gw
    cdef int i
    cdef bint reachable
    while route is not NULL:
        _parse_route(doc, route, name)
        route = next_named(route, "route")
    route = first
    while route is not NULL:
        _parse_addr(attr(route, "gateway"), &gw)
        reachable = False
        for i in range(nips):
            if nets[i].version != 0 and _contains(&nets[i], &gw):
                reachable = True
                break
        if not reachable:
            raise _net_unsupported(
                f"unreachable static route gateway '{_addr_str(&gw)}' specified for network '{name}'"
            )
        route = next_named(route, "route")
    return 0


cdef int _parse_route(_Document doc, Node route, str name) except -1:
    cdef const char* family
    cdef const char* address
    cdef const char* netmask
    cdef const char* gateway
    cdef unsigned long long prefix = 0, metric = 0
    cdef bint has_prefix, has_mask = False
    cdef Addr addr, gw, mask
    cdef Net net
    cdef int width
    has_prefix = _node_uint(doc, route, "prefix", False, 32, 10, &prefix)
    if _node_uint(doc, route, "metric", False, 32, 10, &metric) and metric == 0:
        raise virt_error(
            ErrorNumber.XML_ERROR,
            "Invalid value for attribute 'metric' in element 'route': Zero is not permitted",
            domain=ErrorDomain.XML,
        )
    family = attr(route, "family")
    address = attr(route, "address")
    netmask = attr(route, "netmask")
    gateway = attr(route, "gateway")
    if not _nonempty(address):
        raise _net_error(f"{name}: Missing required address attribute in route definition")
    if not _nonempty(gateway):
        raise _net_error(f"{name}: Missing required gateway attribute in route definition")
    _parse_addr(address, &addr)
    _parse_addr(gateway, &gw)
    if addr.version == 0:
        raise _net_error(f"{name}: Bad network address '{ustr(address)}' in route definition")
    if gw.version == 0:
        raise _net_error(f"{name}: Bad gateway address '{ustr(gateway)}' in route definition")
    if family is NULL or strcmp(family, "ipv4") == 0:
        label = "No family" if family is NULL else "IPv4 family"
        if addr.version != 4:
            raise _net_error(f"{name}: {label} specified for non-IPv4 address '{ustr(address)}' in route definition")
        if gw.version != 4:
            raise _net_error(f"{name}: {label} specified for non-IPv4 gateway '{ustr(address)}' in route definition")
        if _nonempty(netmask):
            _parse_addr(netmask, &mask)
            if mask.version == 0:
                raise _net_error(f"{name}: Bad netmask address '{ustr(netmask)}' in route definition")
            if mask.version != 4:
                raise _net_error(
                    f"{name}: Invalid netmask '{ustr(netmask)}' for address '{ustr(address)}' (both must be IPv4)"
                )
            if has_prefix:
                raise _net_error(f"{name}: Route definition cannot have both a prefix and a netmask")
            has_mask = True
        if has_prefix and prefix > 32:
            raise _net_error(f"{name}: Invalid prefix {prefix} specified in route definition, must be 0 - 32")
    elif strcmp(family, "ipv6") == 0:
        if addr.version != 6:
            raise _net_error(f"{name}: ipv6 family specified for non-IPv6 address '{ustr(address)}' in route definition")
        if _nonempty(netmask):
            raise _net_error(
                f"{name}: Specifying netmask invalid for IPv6 address '{ustr(address)}' in route definition"
            )
        if gw.version != 6:
            raise _net_error(
                f"{name}: ipv6 specified for non-IPv6 gateway address '{ustr(gateway)}' in route definition"
            )
        if has_prefix and prefix > 128:
            raise _net_error(f"{name}: Invalid prefix {prefix} specified in route definition, must be 0 - 128")
    else:
        raise _net_error(f"{name}: Unrecognized family '{ustr(family)}' in route definition")
    width = _mask_prefix(&mask) if has_mask else <int>prefix
    _subnet(&addr, width, &net)
    # the network address must be the address itself (a zoned IPv6 address never is)
    if net.version == 0 or addr.scoped or memcmp(net.b, addr.b, _addr_len(addr.version)) != 0:
        raise _net_error(f"{name}: Address '{ustr(address)}' in route definition is not a network address")
    return 0


# -- network: forward ---------------------------------------------------------------------------


cdef int _parse_forward(_Document doc, Node fwd, str name, int* nifs, int* npfs) except -1:
    """The forward mode (returned), its interfaces, PF and PCI addresses, with libvirt's checks;
    a bare ``dev`` becomes the implicit first interface."""
    cdef const char* mode_s = attr(fwd, "mode")
    cdef const char* dev
    cdef const char* idev
    cdef const char* v
    cdef Node c, nat, other
    cdef int mode = FWD_NAT, i, n_ifaces, n_addrs, n_pfs, index
    if _nonempty(mode_s):
        mode = -1
        for i in range(9):
            if strcmp(mode_s, _MODE_NAMES[i]) == 0:
                mode = i
                break
        if mode < 0:
            raise _net_unsupported(f"unknown forwarding type '{ustr(mode_s)}'")
    dev = _attr_nonempty(fwd, "dev")
    c = child_named(fwd, "driver")
    if c is not NULL:
        v = attr(c, "name")
        if _nonempty(v) and strcmp(v, "default") != 0 and strcmp(v, "kvm") != 0 and strcmp(v, "vfio") != 0:
            raise _net_unsupported(f"Unknown forward <driver name='{ustr(v)}'/> in network {name}")
    nat = child_named(fwd, "nat")
    if nat is not NULL:
        if next_named(nat, "nat") is not NULL:
            raise _net_error(f"Only one <nat> element is allowed in <forward> of network {name}")
        if mode != FWD_NAT:
            raise _net_error(f"The <nat> element can only be used when <forward> 'mode' is 'nat' in network {name}")
        _parse_nat(nat, name)
    n_ifaces = <int>count_named(fwd, "interface")
    n_addrs = <int>count_named(fwd, "address")
    n_pfs = <int>count_named(fwd, "pf")
    if n_ifaces and n_addrs:
        raise _net_error(
            f"the <forward> element of network {name} cannot have both <interface> and <address> subelements"
        )
    if n_addrs and n_pfs:
        raise _net_error(f"the <forward> element of network {name} cannot have both <address> and <pf> subelements")
    if n_ifaces and n_pfs:
        raise _net_error(f"the <forward> element of network {name} cannot have both <interface> and <pf> subelements")
    if n_pfs > 1:
        raise _net_error(f"Only one <pf> element is allowed in <forward> of network {name}")
    if n_pfs and not _nonempty(attr(child_named(fwd, "pf"), "dev")):
        raise _net_error(f"Missing required dev attribute in <pf> element of network {name}")
    if n_addrs:
        _parse_forward_addresses(doc, fwd, n_addrs, name)
    c = child_named(fwd, "interface")
    index = 0
    while c is not NULL:
        idev = attr(c, "dev")
        if idev is NULL:
            raise _net_error(f"Missing required dev attribute in <forward> <interface> element of network {name}")
        if index == 0 and dev is not NULL and strcmp(idev, dev) != 0:
            raise _net_error(f"<forward dev='{ustr(dev)}'> must match first <interface dev='{ustr(idev)}'/> in network {name}")
        other = child_named(fwd, "interface")
        while other is not c:
            if attr_is(other, "dev", idev):
                raise _net_error(f"interface '{ustr(idev)}' can only be listed once in network {name}")
            other = next_named(other, "interface")
        index += 1
        c = next_named(c, "interface")
    nifs[0] = n_ifaces
    npfs[0] = n_pfs
    if dev is not NULL and not n_ifaces and not n_pfs and not n_addrs:
        c = add_elem(fwd, "interface")
        set_attr(c, "dev", attr(fwd, "dev"))
        nifs[0] = 1
    return mode


cdef int _c_uint0(const char* s, unsigned int* out) noexcept:
    """C's strtoul in base 0 for a whole value in one of its plain spellings ("0x1f", "017",
    "31"): 1 and the value; 0 for anything else (blanks, signs, overflow), which the Python
    reader (``conf/values.py``) then judges."""
    cdef unsigned long long v = 0
    cdef int d
    if s[0] == c'0' and (s[1] == c'x' or s[1] == c'X'):
        s += 2
        if _hex(s[0]) < 0:
            return 0
        while s[0]:
            d = _hex(s[0])
            if d < 0:
                return 0
            v = v * 16 + d
            if v > 0xFFFFFFFFULL:
                return 0
            s += 1
    elif s[0] == c'0':
        while s[0]:
            if not c'0' <= s[0] <= c'7':
                return 0
            v = v * 8 + (s[0] - c'0')
            if v > 0xFFFFFFFFULL:
                return 0
            s += 1
    elif c'1' <= s[0] <= c'9':
        while s[0]:
            if not c'0' <= s[0] <= c'9':
                return 0
            v = v * 10 + (s[0] - c'0')
            if v > 0xFFFFFFFFULL:
                return 0
            s += 1
    else:
        return 0
    out[0] = <unsigned int>v
    return 1


cdef const char* _PCI_FIELDS[4]
_PCI_FIELDS[0] = "domain"
_PCI_FIELDS[1] = "bus"
_PCI_FIELDS[2] = "slot"
_PCI_FIELDS[3] = "function"


cdef int _pci_address(_Document doc, Node addr, unsigned int* nums) except -1:
    """libvirt's virPCIDeviceAddressParseXML (``conf/values.parse_pci_address``) into
    ``nums``: plain spellings in range are read here, anything else by the Python reader
    (which raises libvirt's error for a bad one)."""
    cdef int i
    cdef const char* v
    cdef bint fast = True
    for i in range(4):
        v = attr(addr, _PCI_FIELDS[i])
        if v is NULL:
            nums[i] = 0
        elif not _c_uint0(v, &nums[i]):
            fast = False
            break
    if fast:
        v = attr(addr, "multifunction")
        if v is not NULL and not (_same(v, "on") or _same(v, "off")):
            fast = False
        elif (nums[0] or nums[1] or nums[2] or nums[3]) and (nums[1] > 0xFF or nums[2] > 0x1F or nums[3] > 7):
            fast = False
    if not fast:
        numbers = parse_pci_address(proxy(doc, addr).attrib)
        for i in range(4):
            nums[i] = numbers[i]
    return 0


cdef int _parse_forward_addresses(_Document doc, Node fwd, int count, str name) except -1:
    """Each PCI address of a hostdev forward: libvirt's checks, each device listed once."""
    cdef unsigned int* seen = <unsigned int*>PyMem_Malloc(4 * count * sizeof(unsigned int))
    cdef unsigned int* nums
    cdef Node addr = child_named(fwd, "address")
    cdef const char* atype
    cdef int n = 0, i
    if seen is NULL:
        raise MemoryError()
    try:
        while addr is not NULL:
            atype = attr(addr, "type")
            if atype is NULL:
                raise _net_error(f"missing address type in network {name}")
            if not _same(atype, "pci"):
                raise _net_unsupported(f"unknown address type '{ustr(atype)}' in network {name}")
            nums = seen + 4 * n
            _pci_address(doc, addr, nums)
            for i in range(n):
                if memcmp(seen + 4 * i, nums, 4 * sizeof(unsigned int)) == 0:
                    text = f"{nums[0]:04x}:{nums[1]:02x}:{nums[2]:02x}.{nums[3]}"
                    raise _net_error(f"PCI device '{text}' can only be listed once in network {name}")
            n += 1
            addr = next_named(addr, "address")
    finally:
        PyMem_Free(seen)
    return 0


cdef int _format_pci_address(_Document doc, Node addr) except -1:
    """The four fields as libvirt writes them ("0x0000", "0x01", "0x1f", "0x7"); the
    multifunction flag is read, not written."""
    cdef unsigned int nums[4]
    cdef char buf[16]
    _pci_address(doc, addr, nums)
    snprintf(buf, sizeof(buf), "0x%04x", nums[0])
    set_attr(addr, "domain", buf)
    snprintf(buf, sizeof(buf), "0x%02x", nums[1])
    set_attr(addr, "bus", buf)
    snprintf(buf, sizeof(buf), "0x%02x", nums[2])
    set_attr(addr, "slot", buf)
    snprintf(buf, sizeof(buf), "0x%x", nums[3])
    set_attr(addr, "function", buf)
    del_attr(addr, "multifunction")
    return 0


cdef int _parse_nat(Node nat, str name) except -1:
    cdef Node c
    cdef const char* start
    cdef const char* end
    cdef Addr a, b
    cdef unsigned long long port_start = 0, port_end = 0
    _yes_no(nat, "ipv6")
    c = child_named(nat, "address")
    if c is not NULL:
        if next_named(c, "address") is not NULL:
            raise _net_error(f"Only one <address> element is allowed in <nat> in <forward> in network {name}")
        start = attr(c, "start")
        end = attr(c, "end")
        if not _nonempty(start):
            raise _net_error(f"missing 'start' attribute in <address> element in <nat> in <forward> in network {name}")
        if not _nonempty(end):
            raise _net_error(f"missing 'end' attribute in <address> element in <nat> in <forward> in network {name}")
        _parse_addr(start, &a)
        _parse_addr(end, &b)
        if a.version != 4:
            raise _net_error(f"Bad ipv4 start address '{ustr(start)}' in <nat> in <forward> in network '{name}'")
        if b.version != 4:
            raise _net_error(f"Bad ipv4 end address '{ustr(end)}' in <nat> in <forward> in network '{name}'")
        _check_range(&a, &b, NULL, NULL)
    c = child_named(nat, "port")
    if c is not NULL:
        if next_named(c, "port") is not NULL:
            raise _net_error(f"Only one <port> element is allowed in <nat> in <forward> in network {name}")
        start = attr(c, "start")
        if start is NULL:
            start = ""
        if not _uint_text(start, 65535, &port_start):
            raise _detail(f"Missing or invalid 'start' attribute in <port> in <nat> in <forward> in network {name}")
        end = attr(c, "end")
        if end is NULL:
            end = ""
        if not _uint_text(end, 65535, &port_end) or port_end < port_start:
            raise _detail(f"Missing or invalid 'end' attribute in <port> in <nat> in <forward> in network {name}")
    return 0


# -- network: what the formatter adds or leaves out ---------------------------------------------


cdef int _format_defaults(_Document doc, Node r, NetTop* top, int mode, object mac, bint has_mtu,
                          unsigned long long mtu, bint stp_off, unsigned long long delay) except -1:
    cdef Node fwd = top.forward
    cdef Node bridge, el, pg, c
    cdef char buf[32]
    cdef int first_byte
    cdef const char* mac_s
    if fwd is not NULL:
        if not attr_is(fwd, "mode", _MODE_NAMES[mode]):
            set_attr(fwd, "mode", _MODE_NAMES[mode])
        _format_forward(doc, fwd, mode)
    bridge = top.bridge
    if bridge is not NULL:
        _drop_empty(bridge, "name")
        _drop_empty(bridge, "zone")
        _drop_empty(bridge, "macTableManager")
        del_attr(bridge, "stp")
        del_attr(bridge, "delay")
    if _managed_bridge(mode):
        if bridge is NULL:
            bridge = add_elem(r, "bridge")
        mtm = attr_str(bridge, "macTableManager")
        del_attr(bridge, "macTableManager")
        set_attr(bridge, "stp", "off" if stp_off else "on")
        if delay == 0:
            set_attr(bridge, "delay", "0")
        else:
            snprintf(buf, sizeof(buf), "%llu", delay)
            set_attr(bridge, "delay", buf)
        if mtm is not None:
            set_attr_s(bridge, "macTableManager", mtm)
    elif bridge is not NULL and bridge.properties is NULL:
        remove_node(doc, bridge)
    el = top.mac
    if el is not NULL:
        if mac is None:
            remove_node(doc, el)
        else:
            mac_s = utf8(mac)
            if _canonical_mac(mac_s) >= 0:
                if _has_upper(mac_s):
                    mac = mac.lower()
            else:
                mac = format_mac(parse_mac(mac) or b"")
            set_attr_s(el, "address", mac)
    el = top.mtu
    if el is not NULL and (not has_mtu or mtu == 0):
        remove_node(doc, el)
    el = top.domain
    if el is not NULL:
        _drop_empty(el, "name")
        _drop_empty(el, "localOnly")
        if el.properties is NULL:
            remove_node(doc, el)
    el = top.dns
    if el is not NULL:
        _format_dns(proxy(doc, el))
        if el.properties is NULL and first_elem(el) is NULL:
            remove_node(doc, el)
            top.dns = NULL
    el = top.vlan
    if el is not NULL:
        _format_vlan(proxy(doc, el))
    pg = top.portgroup
    while pg is not NULL:
        if not attr_is(pg, "default", "yes"):
            del_attr(pg, "default")
        el = child_named(pg, "vlan")
        if el is not NULL:
            _format_vlan(proxy(doc, el))
        pg = next_named(pg, "portgroup")
    el = top.ip
    while el is not NULL:
        _format_ip(doc, el)
        el = next_named(el, "ip")
    _canonical_addresses(top)
    el = top.bandwidth
    if el is not NULL:
        _format_bandwidth(proxy(doc, el))
    pg = top.portgroup
    while pg is not NULL:
        el = child_named(pg, "bandwidth")
        if el is not NULL:
            _format_bandwidth(proxy(doc, el))
        pg = next_named(pg, "portgroup")
    el = top.metadata
    if el is not NULL and first_elem(el) is not NULL:
        _dedupe_metadata(proxy(doc, el))
    return 0


cdef int _format_forward(_Document doc, Node fwd, int mode) except -1:
    cdef Node c, nat, port
    cdef const char* v
    c = child_named(fwd, "address")
    while c is not NULL:
        _format_pci_address(doc, c)
        c = next_named(c, "address")
    if mode == FWD_HOSTDEV:
        set_attr(fwd, "managed", "yes" if attr_is(fwd, "managed", "yes") else "no")
    else:
        del_attr(fwd, "managed")
    c = child_named(fwd, "interface")
    if c is not NULL:
        v = attr(c, "dev")
        if v is NULL:
            v = ""
        set_attr(fwd, "dev", v)
    else:
        del_attr(fwd, "dev")
    nat = child_named(fwd, "nat")
    if nat is not NULL:
        if not attr_is(nat, "ipv6", "yes"):
            del_attr(nat, "ipv6")
        port = child_named(nat, "port")
        if port is not NULL:
            v = attr(port, "start")
            if v is NULL or strcmp(v, "0") == 0:
                v = attr(port, "end")
                if v is NULL or strcmp(v, "0") == 0:
                    remove_node(doc, port)
        if nat.properties is NULL and first_child_node(nat) is NULL:
            remove_node(doc, nat)
    c = child_named(fwd, "driver")
    if c is not NULL:
        v = attr(c, "name")
        if v is NULL or v[0] == 0 or strcmp(v, "default") == 0:
            remove_node(doc, c)
    return 0


cdef inline Node first_child_node(Node n) noexcept:
    """The first child that is not text (lxml's ``len()`` counts these)."""
    cdef Node c = n.children
    while c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
        c = c.next
    return c


cdef int _format_ip(_Document doc, Node ip) except -1:
    cdef Node dhcp = child_named(ip, "dhcp")
    if dhcp is not NULL and child_named(dhcp, "range") is NULL and child_named(dhcp, "host") is NULL:
        remove_node(doc, dhcp)  # libvirt writes <dhcp> (and its <bootp>) only with ranges or hosts
    if not attr_is(ip, "localPtr", "yes"):
        del_attr(ip, "localPtr")
    if attr_is(ip, "prefix", "0"):  # read (and respelled) by _parse_ip: 0 means not given
        del_attr(ip, "prefix")
    return 0


cdef int _canonical_addresses(const NetTop* top) except -1:
    """Addresses libvirt stores as socket addresses are written in its spelling (those of the
    network's own elements: ``<metadata>`` is kept as written)."""
    cdef Node c = top.ip
    cdef Node d, e
    while c is not NULL:
        _respell(c, "address")
        _respell(c, "netmask")
        d = child_named(c, "dhcp")
        if d is not NULL:
            e = first_elem(d)
            while e is not NULL:
                if is_named(e, "range"):
                    _respell(e, "start")
                    _respell(e, "end")
                elif is_named(e, "host"):
                    _respell(e, "ip")
                elif is_named(e, "bootp"):
                    _respell(e, "server")
                e = next_elem(e)
        c = next_named(c, "ip")
    c = top.route
    while c is not NULL:
        _respell(c, "address")
        _respell(c, "netmask")
        _respell(c, "gateway")
        c = next_named(c, "route")
    if top.dns is not NULL:
        e = first_elem(top.dns)
        while e is not NULL:
            if is_named(e, "host"):
                _respell(e, "ip")
            elif is_named(e, "forwarder"):
                _respell(e, "addr")
            e = next_elem(e)
    if top.forward is not NULL:
        d = child_named(top.forward, "nat")
        if d is not NULL:
            e = child_named(d, "address")
            if e is not NULL:
                _respell(e, "start")
                _respell(e, "end")
    return 0


# -- network: Python-level parts (few documents have them) --------------------------------------


def _is_ulong(text):
    return _is_uint(text, 2**64 - 1)


def _yes_no_py(el, attr):
    value = _aget(el, attr)
    if value is not None and value not in ("yes", "no"):
        raise invalid_prop(attr, el.tag, value)


def _drop_attr(el, name):
    if _aget(el, name) is not None:
        del el.attrib[name]


def _parse_bandwidth(el):
    for tag in ("inbound", "outbound"):
        if len(el.findall(tag)) > 1:
            raise virt_error(
                ErrorNumber.XML_DETAIL, f"Only one child <{tag}> element allowed", domain=ErrorDomain.NONE
            )
    for tag in ("inbound", "outbound"):
        rate = el.find(tag)
        if rate is None:
            continue
        for attr in ("average", "peak", "burst", "floor"):
            value = _aget(rate, attr)
            if value is not None and not _is_ulong(value):
                raise virt_error(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"could not convert bandwidth {attr} value '{value}'",
                    domain=ErrorDomain.NONE,
                )
        if _aget(rate, "average") is None and _aget(rate, "floor") is None:
            raise virt_error(
                ErrorNumber.XML_DETAIL, "Missing mandatory average or floor attributes", domain=ErrorDomain.NONE
            )


def _format_bandwidth(bw):
    """A rate with neither average nor floor is not written, nor an empty <bandwidth>."""
    for rate in list(bw):
        if not int(_aget(rate, "average", "0") or 0) and not int(_aget(rate, "floor", "0") or 0):
            bw.remove(rate)
    if not len(bw):
        bw.getparent().remove(bw)


def _parse_vlan(el):
    tags = _children(el, "tag")
    if not tags:
        raise virt_error(
            ErrorNumber.XML_ERROR,
            "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement",
            domain=ErrorDomain.NONE,
        )
    for tag in tags:
        tid = _prop_uint(tag, "id", required=True)
        if tid is not None and tid > 4095:
            raise virt_error(
                ErrorNumber.XML_ERROR, f"vlan tag id {tid} too large (maximum 4095)", domain=ErrorDomain.NONE
            )
        native = _aget(tag, "nativeMode")
        if native is not None and native not in ("tagged", "untagged"):
            raise invalid_prop("nativeMode", "tag", native)
    trunk = _aget(el, "trunk")
    if trunk is not None and trunk not in ("yes", "no"):
        raise virt_error(
            ErrorNumber.XML_ERROR,
            f"invalid \"trunk='{trunk}'\" in <vlan> - must be yes or no",
            domain=ErrorDomain.NONE,
        )


def _format_vlan(el):
    if len(_children(el, "tag")) > 1 or any(_aget(t, "nativeMode") for t in _children(el, "tag")):
        el.set("trunk", "yes")
    elif _aget(el, "trunk") != "yes":
        _drop_attr(el, "trunk")


_VPORT_TYPES = ("802.1Qbg", "802.1Qbh", "openvswitch", "midonet")


def _parse_virtualport(el, *, require_type=False):
    vtype = _aget(el, "type")
    if not vtype:
        if require_type:
            raise virt_error(ErrorNumber.XML_ERROR, "missing required virtualport type", domain=ErrorDomain.NONE)
    elif vtype not in _VPORT_TYPES:
        raise virt_error(
            ErrorNumber.CONFIG_UNSUPPORTED, f"unknown virtualport type {vtype}", domain=ErrorDomain.NONE
        )
    params = _child(el, "parameters")
    if params is None:
        return
    for attr, limit in (("managerid", 255), ("typeid", 2**24 - 1), ("typeidversion", 255)):
        value = _aget(params, attr)
        if value is None:
            continue
        if not _is_uint(value):
            raise virt_error(
                ErrorNumber.XML_ERROR, f"cannot parse value of {attr} parameter", domain=ErrorDomain.NONE
            )
        if int(value) > limit:
            raise virt_error(ErrorNumber.XML_ERROR, f"value of {attr} out of range", domain=ErrorDomain.NONE)
    for attr in ("instanceid", "interfaceid"):
        value = _aget(params, attr)
        if value is not None and parse_uuid(value) is None:
            raise virt_error(
                ErrorNumber.XML_ERROR, f"cannot parse {attr} parameter as a uuid", domain=ErrorDomain.NONE
            )


def _parse_portgroup(pg):
    if not _aget(pg, "name"):
        raise _net_error("Missing required name attribute in portgroup")
    _yes_no_py(pg, "trustGuestRxFilters")
    vport = _child(pg, "virtualport")
    if vport is not None:
        _parse_virtualport(vport)
    bandwidth = _child(pg, "bandwidth")
    if bandwidth is not None:
        _parse_bandwidth(bandwidth)
    vlan = _child(pg, "vlan")
    if vlan is not None:
        _parse_vlan(vlan)


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: characters libvirt allows in a DNS SRV record's protocol and service names
_PROTOCOL_CHARS = frozenset(_ALNUM + "-+/")
_SERVICE_CHARS = frozenset(_ALNUM + "_-+/*")


def _parse_dns(dns, name):
    enable = _aget(dns, "enable")
    if enable is not None and enable not in ("yes", "no"):
        raise invalid_prop("enable", "dns", enable)
    _yes_no_py(dns, "forwardPlainNames")
    fwds = _children(dns, "forwarder")
    for fwd in fwds:
        addr = _aget(fwd, "addr")
        if addr and _ip(addr) is None:
            raise _net_error(f"Invalid forwarder IP address '{addr}' in network '{name}'")
        if not addr and not _aget(fwd, "domain"):
            raise _net_error("Invalid forwarder element, must contain at least one of addr or domain")
    hosts = _children(dns, "host")
    for host in hosts:
        if _ip(_aget(host, "ip")) is None:
            raise _detail(f"Invalid IP address in network '{name}' DNS HOST record")
        if not any((h.text or "") for h in _children(host, "hostname")):
            raise _detail(f"Missing hostname in network '{name}' DNS HOST record")
    srvs = _children(dns, "srv")
    for srv in srvs:
        service = _aget(srv, "service")
        if not service:
            raise _detail(f"missing required service attribute in DNS SRV record of network '{name}'")
        if not set(service) <= _SERVICE_CHARS:
            raise _detail(
                f"invalid character in service attribute '{service}' in DNS SRV record of network '{name}'"
            )
        protocol = _aget(srv, "protocol")
        if protocol is None:
            raise _detail(
                f"missing required protocol attribute in DNS SRV record '{service}' of network '{name}'"
            )
        if not set(protocol) <= _PROTOCOL_CHARS:
            raise _detail(
                f"invalid character in protocol attribute '{protocol}' in DNS SRV record of network '{name}'"
            )
        target = _aget(srv, "target")
        for attr, word, low in (("port", "invalid", 1), ("priority", "Invalid", 0), ("weight", "invalid", 0)):
            value = _aget(srv, attr) or None
            if value is None:
                continue
            if _is_uint(value) and target is None:
                raise _detail(
                    f"DNS SRV {attr} attribute not permitted without target for service '{service}' in network '{name}'"
                )
            if not _is_uint(value) or not low <= int(value) <= 65535:
                raise _detail(f"{word} DNS SRV {attr} attribute for service '{service}' in network '{name}'")
    txts = _children(dns, "txt")
    for txt in txts:
        txt_name = _aget(txt, "name")
        if txt_name is None:
            raise _detail(f"missing required name attribute in DNS TXT record of network {name}")
        if " " in txt_name or "," in txt_name:
            raise _detail(f"prohibited character in DNS TXT record name '{txt_name}' of network {name}")
        if _aget(txt, "value") is None:
            raise _detail(
                f"missing required value attribute in DNS TXT record named '{_aget(txt, 'name')}' of network {name}"
            )
    if enable == "no" and (fwds or hosts or srvs or txts):
        raise _net_error(f"Extra data in disabled network '{name}'")


def _format_dns(dns):
    for host in _children(dns, "host"):
        for hostname in _children(host, "hostname"):
            if not hostname.text:
                host.remove(hostname)


def _dedupe_metadata(metadata):
    """libvirt keeps one metadata element per namespace (the first)."""
    seen = set()
    for child in list(metadata):
        if not isinstance(child.tag, str):
            continue
        ns = etree.QName(child).namespace
        if ns in seen:
            metadata.remove(child)
        seen.add(ns)


# ===============================================================================================
# storage pools and volumes

STORAGE = ErrorDomain.STORAGE
RBD_NS = "http://libvirt.org/schemas/storagepool/rbd/1.0"
FS_NS = "http://libvirt.org/schemas/storagepool/fs/1.0"

# what a pool type needs of its source (``PoolKind.flags`` in conf/storage.py)
cdef enum:
    HOST_FLAG = 1
    DEVICE_FLAG = 2
    DIR_FLAG = 4
    ADAPTER_FLAG = 8
    NAME_FLAG = 16
    INITIATOR_FLAG = 32
    NETWORK_FLAG = 64

HOST, DEVICE, DIR, ADAPTER, NAME, INITIATOR, NETWORK = (
    HOST_FLAG, DEVICE_FLAG, DIR_FLAG, ADAPTER_FLAG, NAME_FLAG, INITIATOR_FLAG, NETWORK_FLAG
)


cdef object _st_error(str detail):
    """libvirt's VIR_ERR_XML_ERROR from the storage layer."""
    return virt_error(ErrorNumber.XML_ERROR, detail, domain=STORAGE)


cdef object _st_unsupported(str detail):
    return virt_error(ErrorNumber.CONFIG_UNSUPPORTED, detail, domain=STORAGE)


cdef bint _has_text(Node n) noexcept:
    """lxml's ``bool(el.text)``: some leading text that is not empty."""
    cdef Node c = n.children
    while c is not NULL and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
        if c.content is not NULL and c.content[0] != 0:
            return True
        c = c.next
    return False


cdef inline const char* _single_text(Node n) noexcept:
    """The element's text when it is one plain text node ("" when it has none); NULL when it
    is split over several nodes (read it with text_str then)."""
    cdef Node c = n.children
    if c is NULL or (c.type != tree.XML_TEXT_NODE and c.type != tree.XML_CDATA_SECTION_NODE):
        return ""
    if c.next is not NULL and (c.next.type == tree.XML_TEXT_NODE or c.next.type == tree.XML_CDATA_SECTION_NODE):
        return NULL
    if c.content is NULL:
        return ""
    return <const char*>c.content


cdef bint _plain_decimal(const char* s, int max_digits) noexcept:
    """Decimal digits without a leading zero, at most ``max_digits`` of them."""
    cdef int n = 0
    if not c'1' <= s[0] <= c'9':
        return False
    while s[n]:
        if not c'0' <= s[n] <= c'9' or n >= max_digits:
            return False
        n += 1
    return True


cdef int _set_text_if(Node n, const char* value) except -1:
    """``if el.text != value: el.text = value`` for a non-empty ``value`` (a text write
    replaces the node)."""
    cdef const char* t = _single_text(n)
    if t is not NULL:
        if strcmp(t, value) == 0:
            return 0
    elif text_str(n) == ustr(value):
        return 0
    set_text(n, value)
    return 0


cdef Node _find2(Node parent, const char* a, const char* b) noexcept:
    """``parent.find("a/b")``: the first ``b`` under any ``a``, in document order."""
    cdef Node c = child_named(parent, a)
    cdef Node found
    while c is not NULL:
        found = child_named(c, b)
        if found is not NULL:
            return found
        c = next_named(c, a)
    return NULL


cdef object _findtext(Node parent, const char* tag):
    """``parent.findtext(tag)``: the first child's text ('' when it has none), None without one."""
    cdef Node c = child_named(parent, tag)
    if c is NULL:
        return None
    return text_str(c) or ""


cdef int _set_unit(Node n, const char* unit) except -1:
    """Leave ``unit`` as the element's only attribute (no rewrite when it already is)."""
    cdef tree.xmlAttr* a = n.properties
    cdef tree.xmlAttr* nxt
    if a is not NULL and a.next is NULL and a.ns is NULL and _same(<const char*>a.name, "unit"):
        if a.children is not NULL and a.children.next is NULL and a.children.content is not NULL:
            if strcmp(<const char*>a.children.content, unit) == 0:
                return 0
    while a is not NULL:
        nxt = a.next
        nx_remove_prop(a)
        a = nxt
    set_attr(n, "unit", unit)
    return 0


cdef Node _add_before(Node parent, const char* tag, const char* a, const char* b, const char* c) except NULL:
    """A new child ``tag``, before the first of the anchors ``a``, ``b``, ``c`` present (checked
    in that order; NULL ends the list), else last."""
    cdef const char* anchors[3]
    cdef Node anchor, node
    cdef int i
    anchors[0] = a
    anchors[1] = b
    anchors[2] = c
    for i in range(3):
        if anchors[i] is NULL:
            break
        anchor = child_named(parent, anchors[i])
        if anchor is not NULL:
            node = new_elem(parent.doc, tag)
            insert_before(anchor, node)
            return node
    return add_elem(parent, tag)


cdef bint _any_ns_decl(Node n) noexcept:
    """A namespace declaration anywhere in the subtree."""
    cdef Node c
    if n.nsDef is not NULL:
        return True
    c = n.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and _any_ns_decl(c):
            return True
        c = c.next
    return False


cdef bint _uuid_spelling(const char* s, char* out) noexcept:
    """A UUID in its 8-4-4-4-12 form (either case): its lower-case spelling in ``out`` (37
    bytes). Any other spelling is left to the Python reader."""
    cdef int i
    for i in range(36):
        if i == 8 or i == 13 or i == 18 or i == 23:
            if s[i] != c'-':
                return False
        elif _hex(s[i]) < 0:
            return False
        out[i] = s[i] + 32 if c'A' <= s[i] <= c'F' else s[i]
    if s[36] != 0:
        return False
    out[36] = 0
    return True


cdef int _secret_uuid(Node secret, const char* uuid) except -1:
    """Write a secret's UUID as libvirt does: 1, or 0 when it is not a UUID (the caller
    raises its own error)."""
    cdef char buf[40]
    if _uuid_spelling(uuid, buf):
        if strcmp(buf, uuid) != 0:
            set_attr(secret, "uuid", buf)
        return 1
    raw = parse_uuid(ustr(uuid))
    if raw is None:
        return 0
    set_attr_s(secret, "uuid", format_uuid(raw))
    return 1


# -- sanitized paths ----------------------------------------------------------------------------


def sanitize_path(str path not None):
    """libvirt's virFileSanitizePath: collapse '//' runs and drop a trailing '/'."""
    return _sanitize(utf8(path))


cdef object _sanitize(const char* s):
    cdef Py_ssize_t n = strlen(s), i = 0, j = 0
    cdef bint leading_double = s[0] == c'/' and s[1] == c'/' and s[2] != c'/'
    cdef bytearray out
    cdef char* o
    # already clean: no '//' and no trailing '/' (beyond a lone "/")
    while i < n:
        if s[i] == c'/' and s[i + 1] == c'/':
            break
        i += 1
    if i == n and not (n > 1 and s[n - 1] == c'/'):
        return ustr(s)
    out = bytearray(n + 1)
    o = out
    if leading_double:
        o[j] = c'/'
        j += 1
    i = 0
    while i < n:
        if s[i] == c'/' and j > 0 and o[j - 1] == c'/' and not (leading_double and j == 1):
            i += 1
            continue
        o[j] = s[i]
        j += 1
        i += 1
    if j > 1 + leading_double and o[j - 1] == c'/':
        j -= 1
    return PyUnicode_DecodeUTF8(o, j, NULL)


# -- numbers of the storage formats -------------------------------------------------------------


def _size_py(el, what):
    """A scaled size in bytes; a non-number is libvirt's "malformed <what> element"."""
    if parse_ull(el.text or "") is None:
        raise _st_error(f"malformed {what} element")
    return parse_scaled(el.text, _aget(el, "unit"), what=what, domain=STORAGE)


cdef bint _unit_scale(const char* u, unsigned long long* scale) noexcept:
    """libvirt's scale for a unit suffix in ASCII (units.unit_scale); False for any other
    spelling or an unknown one (the Python reader judges those)."""
    cdef char low[8]
    cdef int n = 0, power
    cdef unsigned long long base
    if u is NULL or u[0] == 0:
        scale[0] = 1
        return True
    while u[n]:
        if n >= 7 or <unsigned char>u[n] >= 0x80:
            return False
        low[n] = u[n] + 32 if c'A' <= u[n] <= c'Z' else u[n]
        n += 1
    low[n] = 0
    if _same(low, "b") or _same(low, "byte") or _same(low, "bytes"):
        scale[0] = 1
        return True
    if n == 1 or (n == 3 and low[1] == c'i' and low[2] == c'b'):
        base = 1024
    elif n == 2 and low[1] == c'b':
        base = 1000
    else:
        return False
    power = _power(low[0])
    if power == 0:
        return False
    scale[0] = 1
    while power:
        scale[0] *= base
        power -= 1
    return True


cdef inline int _power(char ch) noexcept:
    if ch == c'k':
        return 1
    if ch == c'm':
        return 2
    if ch == c'g':
        return 3
    if ch == c't':
        return 4
    if ch == c'p':
        return 5
    if ch == c'e':
        return 6
    return 0


cdef int _size_bytes(_Document doc, Node el, str what, char* out) except -1:
    """The element's scaled size as libvirt writes it (decimal bytes) into ``out`` (24 bytes):
    plain digits with a known unit are read here, anything else by the Python reader."""
    cdef const char* t = _single_text(el)
    cdef const char* p
    cdef unsigned long long value = 0, scale
    cdef int digits = 0
    if t is not NULL and t[0] != 0 and _unit_scale(attr(el, "unit"), &scale):
        p = t
        while c'0' <= p[0] <= c'9' and digits < 20:
            if value > (0xFFFFFFFFFFFFFFFFULL - <unsigned long long>(p[0] - c'0')) // 10:
                digits = 99
                break
            value = value * 10 + <unsigned long long>(p[0] - c'0')
            p += 1
            digits += 1
        if p[0] == 0 and digits <= 20 and (value == 0 or value <= 0xFFFFFFFFFFFFFFFFULL // scale):
            snprintf(out, 24, "%llu", value * scale)
            return 0
    number = _size_py(proxy(doc, el), what)
    snprintf(out, 24, "%llu", <unsigned long long>number)
    return 0


cdef int _size_elem(_Document doc, Node el, str what, const char* unit) except -1:
    cdef char buf[24]
    _size_bytes(doc, el, what, buf)
    _set_text_if(el, buf)
    _set_unit(el, unit)
    return 0


#: Python's reading of an unusual owner or group spelling, clamped to what a C long long
#: holds (anything beyond is out of range all the same)
_CLAMP = 2**40


def _octal_py(text):
    """libvirt's virStrToLong_i in base 8 (C blanks before, a sign, nothing after); -1 when
    it fails (then refused as a mode)."""
    value = str_to_int(text, 8)
    return -1 if value is None else value


def _decimal_py(text, tag):
    try:
        return max(min(int(text, 10), _CLAMP), -_CLAMP)
    except ValueError:
        raise _st_error(f"malformed {tag} element") from None


cdef object _stripped(Node n):
    t = text_str(n)
    return (t or "").strip()


cdef bint _digits_of(const char* s, int base, long long* out) noexcept:
    """``s`` (Python-stripped ASCII) as plain digits of ``base`` (8 or 10), at most 10."""
    cdef const char* end
    cdef long long v = 0
    cdef int n = 0
    if not _ascii(s):
        return False
    while _py_space(<unsigned char>s[0]):
        s += 1
    end = s + strlen(s)
    while end > s and _py_space(<unsigned char>end[-1]):
        end -= 1
    if end == s or end - s > 10:
        return False
    while s < end:
        if not (c'0' <= s[0] < c'0' + base):
            return False
        v = v * base + (s[0] - c'0')
        s += 1
    out[0] = v
    return True


cdef bint _plain_octal(const char* s, long long* out) noexcept:
    """Octal digits only (at most 10): the value."""
    cdef long long v = 0
    cdef int n = 0
    while s[n]:
        if not c'0' <= s[n] <= c'7' or n >= 10:
            return False
        v = v * 8 + (s[n] - c'0')
        n += 1
    out[0] = v
    return n > 0


cdef int _parse_perms(_Document doc, Node perms) except -1:
    """Normalise <permissions>: octal mode, decimal owner/group (-1 = unset, dropped)."""
    cdef Node c, nxt, el
    cdef const char* t
    cdef long long value
    cdef char buf[24]
    cdef const char* tags[2]
    cdef int i
    if perms is NULL:
        return 0
    c = first_elem(perms)
    while c is not NULL:
        nxt = next_elem(c)
        if c.ns is NULL and (_same(<const char*>c.name, "mode") or _same(<const char*>c.name, "label")) and not _has_text(c):
            remove_node(doc, c)  # an empty value is an absent one
        c = nxt
    el = child_named(perms, "mode")
    if el is not NULL:
        t = _single_text(el)
        if t is NULL or not _plain_octal(t, &value):
            value = _octal_py(text_str(el) or "")
        if value < 0 or value & ~0o777:
            raise _st_error("malformed octal mode")
        snprintf(buf, sizeof(buf), "0%llo", value)
        _set_text_if(el, buf)
    tags[0] = "owner"
    tags[1] = "group"
    for i in range(2):
        el = child_named(perms, tags[i])
        if el is NULL:
            continue
        t = _single_text(el)
        if t is NULL or not _digits_of(t, 10, &value):
            value = _decimal_py(_stripped(el), ustr(tags[i]))
        if value == -1:
            remove_node(doc, el)
        elif value < -1 or value > 0xFFFFFFFFLL:
            raise _st_error(f"malformed {ustr(tags[i])} element")
        else:
            snprintf(buf, sizeof(buf), "%lld", value)
            _set_text_if(el, buf)
    if first_child_node(perms) is NULL:
        remove_node(doc, perms)
    return 0


# -- pools --------------------------------------------------------------------------------------


cdef struct PoolTop:
    Node name
    Node uuid
    Node source
    Node target
    Node features
    Node refresh


cdef void _pool_survey(Node r, PoolTop* t) noexcept:
    cdef Node c = r.children
    cdef const char* n
    memset(t, 0, sizeof(PoolTop))
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            n = <const char*>c.name
            if t.name is NULL and _same(n, "name"):
                t.name = c
            elif t.uuid is NULL and _same(n, "uuid"):
                t.uuid = c
            elif t.source is NULL and _same(n, "source"):
                t.source = c
            elif t.target is NULL and _same(n, "target"):
                t.target = c
            elif t.features is NULL and _same(n, "features"):
                t.features = c
            elif t.refresh is NULL and _same(n, "refresh"):
                t.refresh = c
        c = c.next


def pool_post_parse(_Element root not None, shape, kinds):
    """libvirt's storage pool parse (checks in its order; the source, name, uuid, zero sizes
    and target path it writes; the formatter's order from ``shape``). ``kinds``: the pool
    types (conf/storage.py's ``POOL_TYPES``). Returns True when the root declares XML
    namespaces (the caller moves them down)."""
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef PoolTop top
    cdef Node c, source, name_el, uuid_el, el
    cdef const char* v
    cdef const char* ptype_c = attr(r, "type")
    cdef const char* href
    cdef const char* tags[3]
    cdef char buf[40]
    cdef int flags, i
    cdef bint had_source, keep
    if ptype_c is NULL:
        raise missing_prop("type", "pool")
    ptype = ustr(ptype_c)
    kind = kinds.get(ptype)
    if kind is None:
        raise invalid_prop("type", "pool", ptype)
    flags = kind.flags
    c = _find2(r, "features", "cow")
    if c is not NULL:
        v = attr(c, "state")
        if v is not NULL and not _same(v, "yes") and not _same(v, "no"):
            raise invalid_prop("state", "cow", ustr(v))
    c = _find2(r, "refresh", "volume")
    if c is not NULL:
        v = attr(c, "allocation")
        if v is not NULL and not _same(v, "default") and not _same(v, "capacity"):
            raise _st_unsupported(f"unknown storage pool volume refresh allocation type {ustr(v)}")
    _canonicalize(root, shape)  # first of duplicates, unknown dropped, before reading
    c = r.children
    while c is not NULL:  # the storage driver's namespaced options: only for their pool types
        el = c.next
        if c.type == tree.XML_ELEMENT_NODE and c.ns is not NULL and c.ns.href is not NULL:
            href = <const char*>c.ns.href
            keep = (_same(ptype_c, "rbd") and startswith(href, "http://libvirt.org/schemas/storagepool/rbd/1.0")) or (
                (_same(ptype_c, "fs") or _same(ptype_c, "netfs"))
                and startswith(href, "http://libvirt.org/schemas/storagepool/fs/1.0"))
            if not keep:
                remove_node(doc, c)
        c = el
    _pool_survey(r, &top)
    source = top.source
    had_source = source is not NULL
    if source is NULL:
        source = new_elem(r.doc, "source")
        if top.target is not NULL:
            insert_before(top.target, source)
        else:
            nx_add_child(r, source)
    c = child_named(source, "name")
    if c is not NULL and not _has_text(c):
        remove_node(doc, c)  # empty: absent
    _parse_pool_source(doc, source, kind, flags, ptype_c, had_source)
    name_el = top.name
    if name_el is NULL or not _has_text(name_el):
        src_name = _findtext(source, "name")
        if flags & NAME_FLAG and src_name:
            if name_el is NULL:
                name_el = new_elem(r.doc, "name")
                nx_add_child(r, name_el)
            set_text_s(name_el, src_name)
        else:
            raise _st_error("missing pool source name element")
    name = text_str(name_el)
    if "/" in name:
        raise _st_error(f"name {name} cannot contain '/'")
    uuid_el = top.uuid
    if uuid_el is not NULL and not _has_text(uuid_el):
        remove_node(doc, uuid_el)  # empty: libvirt generates one
        uuid_el = NULL
    if uuid_el is NULL:
        uuid_el = new_elem(r.doc, "uuid")
        insert_after(name_el, uuid_el)
        set_text_s(uuid_el, generate_uuid())
    else:
        v = _single_text(uuid_el)
        if v is not NULL and _uuid_spelling(v, buf):
            _set_text_if(uuid_el, buf)
        else:
            raw = parse_uuid(text_str(uuid_el) or "")
            if raw is None:
                raise _st_error("malformed uuid element")
            set_text_s(uuid_el, format_uuid(raw))
    _check_pool_source(doc, source, flags, ptype_c)
    if flags & NAME_FLAG and child_named(source, "name") is NULL:
        set_text_s(add_elem(source, "name"), name)
    # sizes are runtime values: the inactive definition always shows zero
    tags[0] = "capacity"
    tags[1] = "allocation"
    tags[2] = "available"
    for i in range(3):
        el = child_named(r, tags[i])
        if el is NULL:
            el = _add_before(r, tags[i], "features", "source", "target")
        _set_text_if(el, "0")
        _set_unit(el, "bytes")
    _parse_pool_target(doc, r, source, flags, ptype_c)
    c = top.refresh
    if c is not NULL:
        el = child_named(c, "volume")
        if el is NULL or not _nonempty(attr(el, "allocation")):
            remove_node(doc, c)
    c = top.features
    if c is not NULL:
        el = child_named(c, "cow")
        if el is NULL or not _nonempty(attr(el, "state")):
            remove_node(doc, c)
    _canonicalize(root, shape)  # libvirt's order for what was added
    if _any_ns_decl(r):
        etree.cleanup_namespaces(root)  # declarations only where used (rbd:config_opts)
    return r.nsDef is not NULL


cdef int _parse_pool_source(_Document doc, Node source, object kind, int flags, const char* ptype,
                            bint had_source) except -1:
    """Values inside <source> (libvirt parses these before the pool's name and uuid)."""
    cdef Node c, fmt, secret
    cdef const char* v
    if _same(ptype, "rbd") and had_source and not _findtext(source, "name"):
        raise _st_error("element 'name' is mandatory for RBD pool")
    c = child_named(source, "host")
    while c is not NULL:
        if attr(c, "name") is NULL:
            raise _st_error("missing storage pool host name")
        v = attr(c, "port")
        if v is not NULL:
            if _same(v, "0"):
                del_attr(c, "port")  # 0 is "no port" and is not written
            elif not _plain_decimal(v, 9):  # libvirt's own spelling of a C int is kept as is
                number = prop_int(ustr(v), "port", "host")
                if number == 0:
                    del_attr(c, "port")
                elif str(number) != ustr(v):
                    set_attr_s(c, "port", str(number))
        c = next_named(c, "host")
    c = child_named(source, "device")
    while c is not NULL:
        if attr(c, "path") is NULL:
            raise _st_error("missing storage pool source device path")
        v = attr(c, "part_separator")
        if v is not NULL and not _same(v, "yes") and not _same(v, "no"):
            raise invalid_prop("part_separator", "device", ustr(v))
        c = next_named(c, "device")
    fmt = child_named(source, "format")
    if fmt is not NULL and not _nonempty(attr(fmt, "type")):
        remove_node(doc, fmt)  # empty: the type's default
        fmt = NULL
    formats = kind.formats
    if formats:
        if fmt is NULL:
            fmt = add_elem(source, "format")
            set_attr_s(fmt, "type", kind.default_format or "")
        if ustr(attr(fmt, "type")) not in formats:
            raise _st_unsupported(f"unknown pool format type {ustr(attr(fmt, 'type'))}")
    elif fmt is not NULL:
        remove_node(doc, fmt)
        fmt = NULL
    c = child_named(source, "adapter")
    if c is not NULL:
        _parse_adapter(proxy(doc, c))
    c = child_named(source, "auth")
    if c is not NULL:
        v = attr(c, "type")
        if not _nonempty(v):
            raise _st_unsupported("storage pool missing auth type")
        if not _same(v, "chap") and not _same(v, "ceph"):
            raise _st_unsupported(f"unknown auth type '{ustr(v)}'")
        if not _nonempty(attr(c, "username")):
            raise _st_error("missing username for auth")
        secret = child_named(c, "secret")
        if secret is NULL:
            raise _st_error("Missing <secret> element in auth")
        v = attr(secret, "uuid")
        if v is not NULL and not _secret_uuid(secret, v):
            raise _st_error(f"invalid secret uuid '{ustr(v)}'")
    c = child_named(source, "protocol")
    if c is not NULL and fmt is not NULL:
        v = attr(fmt, "type")
        if not (_same(v, "auto") or _same(v, "nfs")):
            raise _st_unsupported(f"storage pool protocol ver unsupported for pool type '{ustr(v)}'")
    return 0


def _parse_adapter(adapter):
    cdef _Element addr
    atype = _aget(adapter, "type")
    if atype is None:
        # the legacy form: a bare name means a SCSI host; FC attributes need the type
        if any(_aget(adapter, a) for a in ("wwnn", "wwpn", "parent")):
            raise _st_error("Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'")
        if _aget(adapter, "name"):
            atype = "scsi_host"
            adapter.set("type", atype)
    if atype is not None and atype not in ("scsi_host", "fc_host"):
        raise invalid_prop("type", "adapter", atype)
    parentaddr = _child(adapter, "parentaddr")
    if parentaddr is not None:
        # libvirt reads the id as a decimal int (virXPathInt), not negative
        uid = _aget(parentaddr, "unique_id")
        number = None if uid is None else str_to_int(uid)
        if number is None or number < 0:
            raise _st_error("Missing or invalid scsi adapter 'unique_id' value")
        if str(number) != uid:
            _aset(parentaddr, "unique_id", str(number))
        addr = _child(parentaddr, "address")
        if addr is None:
            raise _st_error("Missing scsi_host PCI address element")
        _format_pci_address(addr._doc, addr._c_node)
    if atype == "scsi_host" and not _aget(adapter, "name") and parentaddr is None:
        raise _st_error("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter")


cdef int _check_pool_source(_Document doc, Node source, int flags, const char* ptype) except -1:
    """What each pool type requires of its source (checked after name and uuid)."""
    cdef Node dir_el, c, iqn
    cdef bint found
    if flags & HOST_FLAG and child_named(source, "host") is NULL:
        raise _st_error("missing storage pool source host name")
    dir_el = child_named(source, "dir")
    if dir_el is not NULL and not _nonempty(attr(dir_el, "path")):
        remove_node(doc, dir_el)
        dir_el = NULL
    if flags & DIR_FLAG and _same(ptype, "netfs") and dir_el is NULL:
        raise _st_error("missing storage pool source path")
    if flags & DEVICE_FLAG and (_same(ptype, "fs") or _same(ptype, "disk")) and child_named(source, "device") is NULL:
        raise _st_error("missing storage pool source device name")
    if flags & ADAPTER_FLAG:
        c = child_named(source, "adapter")
        if c is NULL or attr(c, "type") is NULL:
            raise _st_error("missing storage pool source adapter")
    if _same(ptype, "iscsi-direct"):
        found = False
        c = child_named(source, "initiator")
        while c is not NULL and not found:
            iqn = child_named(c, "iqn")
            while iqn is not NULL:
                if _nonempty(attr(iqn, "name")):
                    found = True
                    break
                iqn = next_named(iqn, "iqn")
            c = next_named(c, "initiator")
        if not found:
            raise _st_unsupported("missing initiator IQN")
    if _same(ptype, "gluster") and dir_el is NULL:
        set_attr(add_elem(source, "dir"), "path", "/")
    return 0


cdef int _parse_pool_target(_Document doc, Node r, Node source, int flags, const char* ptype) except -1:
    cdef Node target = child_named(r, "target")
    cdef Node path_el
    if flags & NETWORK_FLAG:
        if target is not NULL:
            remove_node(doc, target)
        return 0
    if _same(ptype, "logical"):
        path = f"/dev/{_findtext(source, 'name')}"
    elif _same(ptype, "zfs"):
        path = f"/dev/zvol/{_findtext(source, 'name')}"
    else:
        path = None if target is NULL else _findtext(target, "path")
        if not path:
            raise _st_error("missing storage pool target path")
    if target is NULL:
        target = add_elem(r, "target")
    path_el = child_named(target, "path")
    if path_el is NULL:
        path_el = _add_before(target, "path", "permissions", NULL, NULL)
    clean = _sanitize(utf8(path))
    _set_text_if(path_el, utf8(clean))
    _parse_perms(doc, child_named(target, "permissions"))
    return 0


# -- volumes ------------------------------------------------------------------------------------

#: libvirt's volume types
VOL_TYPES = ("file", "block", "dir", "network", "netdir", "ploop")
_ENCRYPTION_FORMATS = ("default", "qcow", "luks", "luks2", "luks-any")


cdef struct VolTop:
    Node name
    Node source
    Node capacity
    Node allocation
    Node physical
    Node target
    Node backing


cdef void _vol_survey(Node r, VolTop* t) noexcept:
    cdef Node c = r.children
    cdef const char* n
    memset(t, 0, sizeof(VolTop))
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL:
            n = <const char*>c.name
            if t.name is NULL and _same(n, "name"):
                t.name = c
            elif t.source is NULL and _same(n, "source"):
                t.source = c
            elif t.capacity is NULL and _same(n, "capacity"):
                t.capacity = c
            elif t.allocation is NULL and _same(n, "allocation"):
                t.allocation = c
            elif t.physical is NULL and _same(n, "physical"):
                t.physical = c
            elif t.target is NULL and _same(n, "target"):
                t.target = c
            elif t.backing is NULL and _same(n, "backingStore"):
                t.backing = c
        c = c.next


def volume_post_parse(_Element root not None, shape, kind, bint allow_no_capacity=False):
    """libvirt's storage volume parse for a pool of ``kind`` (a ``PoolKind``): checks in its
    order, sizes in bytes, the format the pool type implies, the formatter's order from
    ``shape``."""
    cdef _Document doc = root._doc
    cdef Node r = root._c_node
    cdef VolTop top
    cdef Node c, cap, alloc, target
    cdef const char* v
    cdef const char* t
    _canonicalize(root, shape)  # first of duplicates, unknown dropped, before reading
    _vol_survey(r, &top)
    if top.name is NULL or not _has_text(top.name):
        raise _st_error("missing volume name element")
    v = attr(r, "type")
    if v is NULL:
        set_attr(r, "type", "file")
    elif ustr(v) not in VOL_TYPES:
        raise _st_unsupported(f"unknown volume type '{ustr(v)}'")
    if top.source is not NULL:
        remove_node(doc, top.source)
    c = top.backing
    if c is not NULL and not _findtext(c, "path"):
        remove_node(doc, c)  # libvirt keeps a backing store only with its path
        top.backing = c = NULL
    if c is not NULL:
        _parse_vol_format(doc, c, kind)
        _parse_perms(doc, child_named(c, "permissions"))
    if top.capacity is not NULL and not _has_text(top.capacity):
        remove_node(doc, top.capacity)  # empty: absent
        top.capacity = NULL
    if top.allocation is not NULL and not _has_text(top.allocation):
        remove_node(doc, top.allocation)
        top.allocation = NULL
    cap = top.capacity
    if cap is NULL:
        if not (top.backing is not NULL and allow_no_capacity):
            raise _st_error("missing capacity element")
    else:
        _size_elem(doc, cap, "capacity", "bytes")
    alloc = top.allocation
    if alloc is not NULL:
        _size_elem(doc, alloc, "capacity", "bytes")  # libvirt reports a bad allocation so
    elif cap is not NULL:
        alloc = _add_before(r, "allocation", "physical", "target", "backingStore")
        t = _single_text(cap)
        if t is NULL:
            set_text_s(alloc, text_str(cap))
        else:
            set_text(alloc, t)
        set_attr(alloc, "unit", "bytes")
    if top.physical is not NULL:
        remove_node(doc, top.physical)
    target = top.target
    if target is NULL:
        target = add_elem(r, "target")
    _parse_vol_target(doc, target, kind)
    _canonicalize(root, shape)


cdef int _parse_vol_format(_Document doc, Node parent, object kind) except -1:
    cdef Node fmt = child_named(parent, "format")
    cdef const char* ftype
    if fmt is not NULL and not _nonempty(attr(fmt, "type")):
        remove_node(doc, fmt)  # empty: the pool type's default
        fmt = NULL
    formats = kind.vol_formats
    if not formats:
        if fmt is not NULL:
            remove_node(doc, fmt)
        return 0
    if fmt is NULL:
        default = kind.vol_default_format
        if default:
            set_attr_s(add_elem(parent, "format"), "type", default)
        return 0
    ftype = attr(fmt, "type")
    if ustr(ftype) not in formats:
        raise _st_unsupported(f"unknown volume format type {ustr(ftype)}")
    return 0


cdef int _parse_vol_target(_Document doc, Node target, object kind) except -1:
    cdef Node c, compat
    cdef const char* t
    c = child_named(target, "nocow")
    if c is not NULL:
        remove_node(doc, c)
    _parse_vol_format(doc, target, kind)
    _parse_perms(doc, child_named(target, "permissions"))
    c = child_named(target, "encryption")
    if c is not NULL:
        _parse_encryption(c)
    compat = child_named(target, "compat")
    if compat is not NULL:
        t = _single_text(compat)
        if t is NULL or not _ascii(t) or not _version_text(t):
            text = text_str(compat)
            if not re.fullmatch(r"\d+\.\d+", text or ""):
                raise _st_error(f"Invalid target compat value '{text}'")
    c = child_named(target, "clusterSize")
    if c is not NULL:
        _size_elem(doc, c, "clusterSize", "B")
    if child_named(target, "features") is not NULL and compat is NULL:
        set_text(add_elem(target, "compat"), "1.1")
    return 0


cdef bint _version_text(const char* s) noexcept:
    """ASCII ``\\d+\\.\\d+``."""
    cdef const char* p = s
    while c'0' <= p[0] <= c'9':
        p += 1
    if p == s or p[0] != c'.':
        return False
    s = p + 1
    p = s
    while c'0' <= p[0] <= c'9':
        p += 1
    return p != s and p[0] == 0


cdef int _parse_encryption(Node enc) except -1:
    cdef const char* fmt = attr(enc, "format")
    cdef const char* v
    cdef Node secret
    if not _nonempty(fmt):
        raise _st_error("unknown volume encryption format")
    if ustr(fmt) not in _ENCRYPTION_FORMATS:
        raise _st_unsupported(f"unknown volume encryption format type {ustr(fmt)}")
    secret = child_named(enc, "secret")
    while secret is not NULL:
        v = attr(secret, "type")
        if not _nonempty(v):
            raise _st_error("unknown volume encryption secret type")
        if not _same(v, "passphrase"):
            raise _st_unsupported(f"unknown volume encryption secret type {ustr(v)}")
        v = attr(secret, "uuid")
        if v is not NULL:
            if not _secret_uuid(secret, v):
                raise virt_error(ErrorNumber.XML_ERROR, f"invalid secret uuid '{ustr(v)}'", domain=ErrorDomain.NONE)
        elif not _nonempty(attr(secret, "usage")):
            raise virt_error(ErrorNumber.XML_ERROR, "missing secret uuid or usage attribute", domain=ErrorDomain.NONE)
        secret = next_named(secret, "secret")
    return 0

