"""libvirt's virtual network format (``<network>``), as libvirt 9.0 parses and writes it.

A :class:`NetworkDef` is a view over the parsed tree. Parsing brings the tree into libvirt's
canonical form (unknown elements dropped, known ones in the formatter's order), fills in what
libvirt fills in (a generated UUID, ``mode='nat'`` for a bare ``<forward/>``, the implicit
``<interface dev=...>`` of ``<forward dev=...>``, ``stp``/``delay`` of a libvirt-managed
bridge, lower-case MACs) and rejects what libvirt rejects, with libvirt's code and wording.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from typing import Any

from lxml import etree

from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from .._core.xmlcore import find_all
from .._core.xmlcore import get as _aget
from .._core.xmlcore import set as _aset
from ..errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize, drop_root_namespaces, leaf
from .base import Attr, ChildList, ChildText, XMLDef, XMLView, xml_error
from .values import (
    canonical_uuid,
    format_mac,
    format_pci_address,
    generate_uuid,
    invalid_prop,
    missing_prop,
    parse_mac,
    parse_pci_address,
    parse_uuid,
    uint_prop,
)

__all__ = ["NetworkDef", "NetworkIP", "DHCPRange", "DHCPHost", "FORWARD_MODES", "check_object_name"]

FORWARD_MODES = ("none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev")
#: modes where libvirt itself runs the bridge (and so writes stp/delay)
_MANAGED_BRIDGE = ("none", "nat", "route", "open")
DNSMASQ_NS = "http://libvirt.org/schemas/network/dnsmasq/1.0"
_E = ErrorDomain.NETWORK


def check_object_name(name: str) -> None:
    """libvirt rejects a '/' in object names (VIR_ERR_XML_DETAIL from the conf layer)."""
    if "/" in name:
        raise virt_error(ErrorNumber.XML_DETAIL, "invalid char in name: /", domain=ErrorDomain.XML)


def _yes_only(value: str, el: etree._Element) -> str | None:
    return value if value == "yes" else None


# ---------------------------------------------------------------------------------------------
# canonical shapes (formatter order of libvirt 9.0's network_conf.c)

def _shape(**fields: Any) -> Shape:
    """A network shape: singletons unless listed in ``multi`` (libvirt reads ``tag[1]``)."""
    fields.setdefault("multi", ())
    return Shape(**fields)


_LEASE = leaf("expiry", "unit")
_BANDWIDTH = _shape(
    children=(
        ("inbound", leaf("average", "peak", "burst", "floor")),
        ("outbound", leaf("average", "peak", "burst", "floor")),
    )
)
_VLAN = _shape(attrs={"trunk": None}, children=(("tag", leaf("id", "nativeMode")),), multi=("tag",))
_VIRTUALPORT = _shape(
    attrs={"type": None},
    children=(
        (
            "parameters",
            leaf("managerid", "typeid", "typeidversion", "instanceid", "interfaceid", "profileid"),
        ),
    ),
)
_DHCP = _shape(
    multi=("range", "host"),
    children=(
        ("range", _shape(attrs={"start": None, "end": None}, children=(("lease", _LEASE),))),
        ("host", _shape(attrs={"mac": None, "id": None, "name": None, "ip": None}, children=(("lease", _LEASE),))),
        ("bootp", leaf("file", "server")),
    )
)
_IP = _shape(
    multi=(),
    attrs={"family": None, "address": None, "netmask": None, "prefix": None, "localPtr": None},
    children=(("tftp", leaf("root")), ("dhcp", _DHCP)),
)
_DNS = _shape(
    multi=("forwarder", "txt", "srv", "host"),
    attrs={"enable": None, "forwardPlainNames": None},
    children=(
        ("forwarder", leaf("domain", "addr")),
        ("txt", leaf("name", "value")),
        ("srv", leaf("service", "protocol", "domain", "target", "port", "priority", "weight")),
        ("host", _shape(attrs={"ip": None}, children=(("hostname", TEXT),), multi=("hostname",))),
    ),
)
_FORWARD = _shape(
    multi=("interface", "address"),
    attrs={"dev": None, "mode": None, "managed": None},
    children=(
        ("driver", leaf("name")),
        (
            "nat",
            _shape(
                attrs={"ipv6": None},
                children=(("address", leaf("start", "end")), ("port", leaf("start", "end"))),
            ),
        ),
        ("interface", leaf("dev")),
        ("pf", leaf("dev")),
        ("address", leaf("type", "domain", "bus", "slot", "function", "multifunction")),
    ),
)
_PORTGROUP = _shape(
    multi=(),
    attrs={"name": None, "default": _yes_only, "trustGuestRxFilters": None},
    children=(("vlan", _VLAN), ("virtualport", _VIRTUALPORT), ("bandwidth", _BANDWIDTH)),
)
NETWORK_SHAPE = _shape(
    multi=("ip", "route", "portgroup"),
    attrs={"ipv6": _yes_only, "trustGuestRxFilters": None, "connections": None},
    children=(
        ("name", TEXT),
        ("uuid", TEXT),
        ("metadata", VERBATIM),
        ("forward", _FORWARD),
        ("bridge", leaf("name", "zone", "stp", "delay", "macTableManager")),
        ("mtu", leaf("size")),
        ("mac", leaf("address")),
        ("domain", leaf("name", "localOnly", "register")),
        ("dns", _DNS),
        ("vlan", _VLAN),
        ("bandwidth", _BANDWIDTH),
        ("ip", _IP),
        ("route", leaf("family", "address", "netmask", "prefix", "gateway", "metric")),
        ("port", leaf("isolated")),
        ("virtualport", _VIRTUALPORT),
        ("portgroup", _PORTGROUP),
        # the network driver's dnsmasq pass-through options (its XML namespace)
        (f"{{{DNSMASQ_NS}}}options", VERBATIM),
    ),
)


# ---------------------------------------------------------------------------------------------
# views


class DHCPRange(XMLView):
    TAG = "range"
    __slots__ = ()
    start = Attr[str]("start")
    end = Attr[str]("end")


class DHCPHost(XMLView):
    TAG = "host"
    __slots__ = ()
    mac = Attr[str]("mac")
    name = Attr[str]("name")
    ip = Attr[str]("ip")
    id = Attr[str]("id")


class NetworkIP(XMLView):
    """One ``<ip>`` of the network, with its DHCP ranges and static hosts."""

    TAG = "ip"
    __slots__ = ()
    family = Attr[str]("family")
    address = Attr[str]("address")
    netmask = Attr[str]("netmask")
    prefix = Attr[int]("prefix", int)

    @property
    def dhcp_ranges(self) -> list[DHCPRange]:
        return [DHCPRange(e) for e in self._el.findall("dhcp/range")]

    @property
    def dhcp_hosts(self) -> list[DHCPHost]:
        return [DHCPHost(e) for e in self._el.findall("dhcp/host")]

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The subnet this address lives in (from prefix or netmask)."""
        if self.netmask:
            return ipaddress.ip_network(f"{self.address}/{self.netmask}", strict=False)
        prefix = self.prefix
        if prefix is None:
            prefix = 64 if self.family == "ipv6" else _classful_prefix(self.address or "")
        return ipaddress.ip_network(f"{self.address}/{prefix}", strict=False)


def _classful_prefix(addr: str) -> int:
    first = int(addr.split(".")[0]) if addr and addr.split(".")[0].isdigit() else 0
    return 8 if first < 128 else 16 if first < 192 else 24


class NetworkDef(XMLDef):
    """A virtual network definition (libvirt's ``<network>``)."""

    TAG = "network"
    SOURCE = "network_definition"
    ERROR_DOMAIN = ErrorDomain.NETWORK
    __slots__ = ()

    name = ChildText[str]("name")
    uuid = ChildText[str]("uuid")
    ips = ChildList(NetworkIP)

    @property
    def forward_mode(self) -> str:
        """How guests reach the outside: ``none`` (isolated), ``nat``, ``route``, ``bridge`` ..."""
        fwd = _child(self._el, "forward")
        return "none" if fwd is None else _aget(fwd, "mode", "nat")

    @forward_mode.setter
    def forward_mode(self, mode: str | None) -> None:
        fwd = _child(self._el, "forward")
        if mode in (None, "none"):
            if fwd is not None:
                self._el.remove(fwd)
            return
        if mode not in FORWARD_MODES:
            raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown forwarding type '{mode}'", domain=_E)
        if fwd is None:
            fwd = etree.SubElement(self._el, "forward")
        fwd.set("mode", mode)
        canonicalize(self._el, NETWORK_SHAPE)

    @property
    def forward_dev(self) -> str | None:
        fwd = _child(self._el, "forward")
        return None if fwd is None else _aget(fwd, "dev")

    @property
    def forward_interfaces(self) -> list[str]:
        return [e.get("dev", "") for e in self._el.findall("forward/interface")]

    @property
    def bridge(self) -> str | None:
        br = _child(self._el, "bridge")
        return None if br is None else _aget(br, "name")

    @bridge.setter
    def bridge(self, value: str | None) -> None:
        br = _child(self._el, "bridge")
        if br is None:
            if value is None:
                return
            br = etree.SubElement(self._el, "bridge")
        if value is None:
            _drop_attr(br, "name")
        else:
            br.set("name", value)
        canonicalize(self._el, NETWORK_SHAPE)

    @property
    def mac(self) -> str | None:
        el = _child(self._el, "mac")
        return None if el is None else _aget(el, "address")

    @mac.setter
    def mac(self, value: str | None) -> None:
        el = _child(self._el, "mac")
        if value is None:
            if el is not None:
                self._el.remove(el)
            return
        if el is None:
            el = etree.SubElement(self._el, "mac")
        el.set("address", value)
        canonicalize(self._el, NETWORK_SHAPE)

    @property
    def mtu(self) -> int | None:
        el = _child(self._el, "mtu")
        return None if el is None or _aget(el, "size") is None else int(_aget(el, "size"))

    # -- pipeline ----------------------------------------------------------------------------

    def _post_parse(self, **options: Any) -> None:
        """libvirt's network parse, in its order (so the first error reported is the same),
        then canonical form and defaults."""
        root = self._el
        name = _text(_child(root, "name"))
        if not name:
            raise virt_error(ErrorNumber.NO_NAME, domain=_E)
        check_object_name(name)
        uuid_text = _text(_child(root, "uuid"))
        uuid = None
        if uuid_text:
            uuid = canonical_uuid(uuid_text, domain=_E)  # libvirt's "malformed uuid element"
        ipv6 = _aget(root, "ipv6")
        if ipv6:
            if ipv6 not in ("yes", "no"):
                raise xml_error(f"Invalid ipv6 setting '{ipv6}' in network '{name}'", domain=_E)
        _yes_no(root, "trustGuestRxFilters")
        dom = _child(root, "domain")
        if dom is not None:
            _yes_no(dom, "localOnly")
        bandwidth = _child(root, "bandwidth")
        if bandwidth is not None:
            _parse_bandwidth(bandwidth)
        vlan = _child(root, "vlan")
        if vlan is not None:
            _parse_vlan(vlan)
        port = _child(root, "port")
        if port is not None:
            _yes_no(port, "isolated")
        bridge = _child(root, "bridge")
        stp_given = bridge is not None and bool(_aget(bridge, "stp"))
        delay = _nonempty(bridge, "delay")
        if delay is not None and not _is_ulong(delay):
            raise xml_error(f"Invalid delay value in network '{name}'", domain=_E)
        mtm = _nonempty(bridge, "macTableManager")
        if mtm is not None and mtm not in ("kernel", "libvirt"):
            raise xml_error(f"Invalid macTableManager setting '{mtm}' in network '{name}'", domain=_E)
        mac = _nonempty(_child(root, "mac"), "address")
        if mac is not None:
            raw_mac = parse_mac(mac)
            if raw_mac is None:
                raise xml_error(f"Invalid bridge mac address '{mac}' in network '{name}'", domain=_E)
            if raw_mac[0] & 1:
                raise xml_error(
                    f"Invalid multicast bridge mac address '{mac}' in network '{name}'", domain=_E
                )
        mtu = _nonempty(_child(root, "mtu"), "size")
        if mtu is not None and not _is_uint(mtu):
            raise xml_error(f"Invalid mtu size '{mtu}' in network '{name}'", domain=_E)
        dns = _child(root, "dns")
        if dns is not None:
            _parse_dns(dns, name)
        vport = _child(root, "virtualport")
        if vport is not None:
            _parse_virtualport(vport, require_type=True)
        for pg in _children(root, "portgroup"):
            _parse_portgroup(pg)
        nets = []
        for ip in _children(root, "ip"):
            nets.append(_parse_ip(ip, name))
        routes = _children(root, "route")
        for route in routes:
            _parse_route(route, name)
        for route in routes:
            gw = ipaddress.ip_address(_aget(route, "gateway", ""))
            if not any(n is not None and n.version == gw.version and gw in n for n in nets):  # noqa: SIM110
                raise virt_error(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"unreachable static route gateway '{gw}' specified for network '{name}'",
                    domain=_E,
                )
        fwd = _child(root, "forward")
        mode = "none"
        nifs = npfs = 0
        if fwd is not None:
            mode, nifs, npfs = _parse_forward(fwd, name)
        if mode in ("route", "nat", "open"):
            if not nets:
                raise xml_error(
                    f"{mode} forwarding requested, but no IP address provided for network '{name}'",
                    domain=_E,
                )
            if nifs > 1:
                raise xml_error(
                    f"multiple forwarding interfaces specified for network '{name}', only one is supported",
                    domain=_E,
                )
            if mode == "open" and nifs:
                raise xml_error(
                    f"forward dev not allowed for network '{name}' with forward mode='{mode}'", domain=_E
                )
        elif mode != "none":
            bridge_name = _nonempty(bridge, "name")
            zone = _nonempty(bridge, "zone")
            if mode != "bridge":
                if bridge_name:
                    raise xml_error(f"bridge name not allowed in {mode} mode (network '{name}')", domain=_E)
                if zone:
                    raise xml_error(f"bridge zone not allowed in {mode} mode (network '{name}')", domain=_E)
                if mtm:
                    raise xml_error(
                        f"bridge macTableManager setting not allowed in {mode} mode (network '{name}')",
                        domain=_E,
                    )
            if (delay is not None and int(delay)) or stp_given or zone:
                raise xml_error(
                    f"bridge delay/stp/zone options only allowed in route, nat, and isolated mode, not in {mode} (network '{name}')",
                    domain=_E,
                )
            if bridge_name and (nifs or npfs):
                raise xml_error(
                    f"A network with forward mode='{mode}' can specify a bridge name or a forward dev, but not both (network '{name}')",
                    domain=_E,
                )
        if mtu is not None and int(mtu) and mode not in _MANAGED_BRIDGE:
            raise xml_error(
                f"mtu size only allowed in open, route, nat, and isolated mode, not in {mode} (network '{name}')",
                domain=_E,
            )
        # -- canonical form (first of duplicates, unknown dropped), defaults, final order ------
        canonicalize(root, NETWORK_SHAPE)
        name_el = _child(root, "name")
        if name_el.text != name or len(name_el):
            name_el.text = name
        uuid_el = _child(root, "uuid")
        if uuid_el is None:
            uuid_el = etree.Element("uuid")
            name_el.addnext(uuid_el)
        uuid_text = uuid or generate_uuid()
        if uuid_el.text != uuid_text or len(uuid_el):
            uuid_el.text = uuid_text  # a text write replaces the node: only when it changes
        if ipv6 != "yes":
            _drop_attr(root, "ipv6")
        _drop_empty_attrs(root, ("trustGuestRxFilters",))
        stp_off = bridge is not None and _aget(bridge, "stp") == "off"
        self._format_defaults(mode, mac, mtu, stp_off, int(delay) if delay else 0)

    def _format_defaults(
        self, mode: str, mac: str | None, mtu: str | None, stp_off: bool, delay: int
    ) -> None:
        """What libvirt's formatter adds or leaves out for the parsed values."""
        root = self._el
        fwd = _child(root, "forward")
        if fwd is not None:
            if _aget(fwd, "mode") != mode:
                _aset(fwd, "mode", mode)
            _format_forward(fwd, mode)
        bridge = _child(root, "bridge")
        managed = mode in _MANAGED_BRIDGE
        if bridge is not None:
            _drop_empty_attrs(bridge, ("name", "zone", "macTableManager"))
            for attr in ("stp", "delay"):
                _drop_attr(bridge, attr)
        if managed:
            if bridge is None:
                bridge = etree.Element("bridge")
                root.append(bridge)
            mtm = bridge.attrib.pop("macTableManager", None)
            _aset(bridge, "stp", "off" if stp_off else "on")
            _aset(bridge, "delay", str(delay))
            if mtm is not None:
                _aset(bridge, "macTableManager", mtm)
        elif bridge is not None and not bridge.attrib:
            root.remove(bridge)
        mac_el = _child(root, "mac")
        if mac_el is not None:
            if mac is None:
                root.remove(mac_el)
            else:
                mac_el.set("address", mac.lower() if _CANONICAL_MAC.fullmatch(mac) else format_mac(parse_mac(mac) or b""))
        mtu_el = _child(root, "mtu")
        if mtu_el is not None and (mtu is None or int(mtu) == 0):
            root.remove(mtu_el)
        dom = _child(root, "domain")
        if dom is not None:
            _drop_empty_attrs(dom, ("name", "localOnly"))
            if not dom.attrib:
                root.remove(dom)
        dns = _child(root, "dns")
        if dns is not None:
            _format_dns(dns)
            if not dns.attrib and not len(dns):
                root.remove(dns)
        vlan = _child(root, "vlan")
        if vlan is not None:
            _format_vlan(vlan)
        for pg in _children(root, "portgroup"):
            if _aget(pg, "default") != "yes":
                _drop_attr(pg, "default")
            v = _child(pg, "vlan")
            if v is not None:
                _format_vlan(v)
        for ip in _children(root, "ip"):
            _format_ip(ip)
        _canonical_addresses(root)
        for bw in _children(root, "bandwidth") + find_all(root, ("portgroup", "bandwidth")):
            _format_bandwidth(bw)
        metadata = _child(root, "metadata")
        if metadata is not None:
            _dedupe_metadata(metadata)
        canonicalize(root, NETWORK_SHAPE)
        self._el = drop_root_namespaces(root, (DNSMASQ_NS,))



# ---------------------------------------------------------------------------------------------
# value helpers (libvirt reads attributes with XPath string(): an empty value is "absent")


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    if not len(el):
        return el.text or None  # no children: the text is all there is (no itertext walk)
    text = "".join(el.itertext())
    return text or None


def _nonempty(el: etree._Element | None, attr: str) -> str | None:
    if el is None:
        return None
    value = _aget(el, attr)
    return value or None


def _drop_attr(el: etree._Element, name: str) -> None:
    """Remove a plain attribute if present (checked in the core: lxml's attrib proxy costs more)."""
    if _aget(el, name) is not None:
        del el.attrib[name]


def _drop_empty_attrs(el: etree._Element, names: tuple[str, ...]) -> None:
    for name in names:
        if _aget(el, name) == "":
            del el.attrib[name]


def _yes_no(el: etree._Element, attr: str) -> None:
    value = _aget(el, attr)
    if value is not None and value not in ("yes", "no"):
        raise invalid_prop(attr, el.tag, value)


def _is_uint(text: str, limit: int = 2**32 - 1) -> bool:
    t = text.strip()
    return t.isdigit() and int(t) <= limit


def _is_ulong(text: str) -> bool:
    return _is_uint(text, 2**64 - 1)


def _prop_uint(el: etree._Element, attr: str, *, required: bool = False, bits: int = 32, base: int = 10) -> int | None:
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


@functools.lru_cache(maxsize=4096)
def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A numeric address as getaddrinfo reads it (so also IPv4's short forms ``1.2``, ``0x..``).

    Cached: the same few addresses recur across a network's elements and across documents.
    """
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


_LEGACY_V4 = re.compile(r"[0-9a-fA-FxX.]+")
#: (element, attribute) pairs libvirt stores as socket addresses and writes canonically
_ADDRESS_ATTRS = {
    "ip": ("address", "netmask"),
    "range": ("start", "end"),
    "host": ("ip",),
    "route": ("address", "netmask", "gateway"),
    "forwarder": ("addr",),
    "bootp": ("server",),
}


#: a MAC already in six 2-digit groups: libvirt's spelling is its lower case
_CANONICAL_MAC = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}")


@functools.lru_cache(maxsize=4096)
def _ip_text(text: str | None) -> str | None:
    """libvirt's spelling of a numeric address (None when not one); cached like :func:`_ip`."""
    addr = _ip(text)
    return None if addr is None else str(addr)


def _canonical_addresses(root: etree._Element) -> None:
    for el in root.iter(*_ADDRESS_ATTRS):
        tag = el.tag
        if tag == "address":
            continue
        for attr in _ADDRESS_ATTRS[tag]:
            raw = _aget(el, attr)
            text = _ip_text(raw)
            if text is not None and text != raw:
                _aset(el, attr, text)  # written only when the spelling changes
    for el in find_all(root, ("forward", "nat", "address")):
        for attr in ("start", "end"):
            raw = _aget(el, attr)
            text = _ip_text(raw)
            if text is not None and text != raw:
                _aset(el, attr, text)


def _socket_addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """libvirt's virSocketAddrParse (numeric host only) with its system error."""
    addr = _ip(text)
    if addr is None:
        raise virt_error(
            ErrorNumber.SYSTEM_ERROR,
            message=f"Cannot parse socket address '{text}': Name or service not known",
            domain=ErrorDomain.NONE,
        )
    return addr


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: characters libvirt allows in a DNS SRV record's protocol and service names
_PROTOCOL_CHARS = frozenset(_ALNUM + "-+/")
_SERVICE_CHARS = frozenset(_ALNUM + "_-+/*")


def _dedupe_metadata(metadata: etree._Element) -> None:
    """libvirt keeps one metadata element per namespace (the first)."""
    seen: set[str | None] = set()
    for child in list(metadata):
        if not isinstance(child.tag, str):
            continue
        ns = etree.QName(child).namespace
        if ns in seen:
            metadata.remove(child)
        seen.add(ns)


# ---------------------------------------------------------------------------------------------
# shared sub-elements: bandwidth, vlan, virtualport (also used by portgroups)


def _parse_bandwidth(el: etree._Element) -> None:
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


def _parse_vlan(el: etree._Element) -> None:
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


def _format_vlan(el: etree._Element) -> None:
    if len(_children(el, "tag")) > 1 or any(_aget(t, "nativeMode") for t in _children(el, "tag")):
        el.set("trunk", "yes")
    elif _aget(el, "trunk") != "yes":
        _drop_attr(el, "trunk")


_VPORT_TYPES = ("802.1Qbg", "802.1Qbh", "openvswitch", "midonet")


def _parse_virtualport(el: etree._Element, *, require_type: bool = False) -> None:
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


def _parse_portgroup(pg: etree._Element) -> None:
    if not _aget(pg, "name"):
        raise xml_error("Missing required name attribute in portgroup", domain=_E)
    _yes_no(pg, "trustGuestRxFilters")
    vport = _child(pg, "virtualport")
    if vport is not None:
        _parse_virtualport(vport)
    bandwidth = _child(pg, "bandwidth")
    if bandwidth is not None:
        _parse_bandwidth(bandwidth)
    vlan = _child(pg, "vlan")
    if vlan is not None:
        _parse_vlan(vlan)


# ---------------------------------------------------------------------------------------------
# dns


def _detail(text: str) -> VirtError:
    return virt_error(ErrorNumber.XML_DETAIL, text, domain=_E)


def _parse_dns(dns: etree._Element, name: str) -> None:
    enable = _aget(dns, "enable")
    if enable is not None and enable not in ("yes", "no"):
        raise invalid_prop("enable", "dns", enable)
    _yes_no(dns, "forwardPlainNames")
    fwds = _children(dns, "forwarder")
    for fwd in fwds:
        addr = _aget(fwd, "addr")
        if addr and _ip(addr) is None:
            raise xml_error(f"Invalid forwarder IP address '{addr}' in network '{name}'", domain=_E)
        if not addr and not _aget(fwd, "domain"):
            raise xml_error(
                "Invalid forwarder element, must contain at least one of addr or domain", domain=_E
            )
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
        raise xml_error(f"Extra data in disabled network '{name}'", domain=_E)


def _format_dns(dns: etree._Element) -> None:
    for host in _children(dns, "host"):
        for hostname in _children(host, "hostname"):
            if not hostname.text:
                host.remove(hostname)


# ---------------------------------------------------------------------------------------------
# ip, dhcp, routes


def _parse_ip(ip: etree._Element, name: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    _drop_empty_attrs(ip, ("family", "netmask"))
    family = _aget(ip, "family")
    address = _aget(ip, "address")
    if not address:
        raise xml_error(f"Missing required address attribute in network '{name}'", domain=_E)
    addr = _ip(address)
    if addr is None:
        raise xml_error(f"Invalid address '{address}' in network '{name}'", domain=_E)
    netmask = _aget(ip, "netmask")
    mask = None
    if netmask:
        mask = _ip(netmask)
        if mask is None:
            raise xml_error(f"Invalid netmask '{netmask}' in network '{name}'", domain=_E)
    prefix = _prop_uint(ip, "prefix") or None  # 0 means "not given" to libvirt
    _yes_no(ip, "localPtr")
    unsupported = ErrorNumber.CONFIG_UNSUPPORTED
    if family is None or family == "ipv4":
        if addr.version != 4:
            detail = (
                f"no family specified for non-IPv4 address '{address}' in network '{name}'"
                if family is None
                else f"ipv4 family specified for non-IPv4 address '{address}' in network '{name}'"
            )
            raise virt_error(unsupported, detail, domain=_E)
        if mask is not None and mask.version != 4:
            raise virt_error(
                unsupported,
                f"Invalid netmask '{netmask}' for address '{address}' in network '{name}' (both must be IPv4)",
                domain=_E,
            )
        if mask is not None and prefix:
            raise virt_error(
                unsupported, f"Network '{name}' IP address cannot have both a prefix and a netmask", domain=_E
            )
        if mask is None and prefix is not None and prefix > 32:
            raise virt_error(unsupported, f"Invalid IPv4 prefix '{prefix}' in network '{name}'", domain=_E)
    elif family == "ipv6":
        if addr.version != 6:
            raise virt_error(
                unsupported, f"Family 'ipv6' specified for non-IPv6 address '{address}' in network '{name}'", domain=_E
            )
        if mask is not None:
            raise virt_error(
                unsupported, f"netmask not allowed for IPv6 address '{address}' in network '{name}'", domain=_E
            )
        if prefix is not None and prefix > 128:
            raise virt_error(unsupported, f"Invalid IPv6 prefix '{prefix}' in network '{name}'", domain=_E)
    else:
        raise xml_error(f"Unrecognized family '{family}' in network '{name}'", domain=_E)
    if mask is None and prefix is None:
        prefix = _classful_prefix(_ip_text(address) or "") if addr.version == 4 else 64
    # keyed by the text as written: hashing address objects costs more than the lookup saves
    key = (address, netmask if mask is not None else prefix)
    net = _SUBNETS.get(key, _NO_NET)
    if net is _NO_NET:
        net = _subnet(addr, mask if mask is not None else prefix)
        if len(_SUBNETS) < 4096:
            _SUBNETS[key] = net
    dhcp = _child(ip, "dhcp")
    if dhcp is not None:
        _parse_dhcp(dhcp, net, name)
    if _child(ip, "tftp") is not None and addr.version != 4:
        raise virt_error(
            unsupported, f"Unsupported <tftp> element in an IPv6 element in network '{name}'", domain=_E
        )
    return net


#: (address, netmask or prefix) as written -> the subnet (see :func:`_subnet`)
_SUBNETS: dict[tuple[str, object], Any] = {}
_NO_NET = object()
#: (start, end, network, host address) of dhcp ranges already found valid
_GOOD_RANGES: set[tuple[str, str, Any, str | None]] = set()


@functools.lru_cache(maxsize=1024)
def _subnet(addr, width):  # noqa: ANN001, ANN202 - ipaddress unions
    """The subnet of ``addr`` for a prefix length or a netmask; None for a non-contiguous mask."""
    try:
        return ipaddress.ip_network(f"{addr}/{width}", strict=False)
    except ValueError:
        return None  # libvirt's prefix -1


#: seconds per lease time unit
_LEASE_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}


def _parse_lease(parent: etree._Element) -> None:
    """A DHCP lease time (virNetworkDHCPLeaseTimeDefParseXML): the expiry in any C base up to
    2**64-1, 0 meaning infinite, else at least two minutes. libvirt writes a lease without
    expiry as nothing, an infinite one without unit, any other with its unit (minutes when
    not given)."""
    lease = _child(parent, "lease")
    if lease is None:
        return
    expiry = _prop_uint(lease, "expiry", bits=64, base=0)
    unit = _aget(lease, "unit")
    if unit is not None and unit not in _LEASE_UNITS:
        raise invalid_prop("unit", "lease", unit)
    if expiry and expiry * _LEASE_UNITS[unit or "minutes"] < 120:
        raise virt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            "The minimum lease time should be greater than 2 minutes",
            domain=ErrorDomain.NONE,
        )
    if expiry is None:
        parent.remove(lease)
    elif expiry == 0:
        _drop_attr(lease, "unit")
    elif unit is None:
        _aset(lease, "unit", "minutes")


def _parse_dhcp(dhcp: etree._Element, net: ipaddress.IPv4Network | ipaddress.IPv6Network | None, name: str) -> None:
    host_text = _aget(dhcp.getparent(), "address")
    version = _ip(host_text).version  # type: ignore[union-attr]
    for rng in _children(dhcp, "range"):
        start, end = _aget(rng, "start"), _aget(rng, "end")
        if start is None:
            raise xml_error(f"Missing 'start' attribute in dhcp range for network '{name}'", domain=_E)
        if end is None:
            raise xml_error(f"Missing 'end' attribute in dhcp range for network '{name}'", domain=_E)
        good = (start, end, net, host_text)
        if good in _GOOD_RANGES:  # the same range of the same network passed before
            _parse_lease(rng)
            continue
        a, b = _socket_addr(start), _socket_addr(end)
        _parse_lease(rng)
        host_addr = _ip(host_text)
        if net is None:
            raise virt_error(
                ErrorNumber.INTERNAL_ERROR,
                f"bad prefix -1 for network {host_addr} when  checking range {a} - {b}",
                domain=ErrorDomain.NONE,
            )
        _check_range(a, b, net, host_addr)
        if len(_GOOD_RANGES) < 4096:
            _GOOD_RANGES.add(good)
    for host in _children(dhcp, "host"):
        _drop_empty_attrs(host, ("mac",))
        mac = _aget(host, "mac")
        if mac:
            if version == 6:
                raise xml_error(
                    f"Invalid to specify MAC address '{mac}' in network '{name}' IPv6 static host definition",
                    domain=_E,
                )
            raw = parse_mac(mac)
            if raw is None:
                raise xml_error(f"Cannot parse MAC address '{mac}' in network '{name}'", domain=_E)
            if raw[0] & 1:
                raise xml_error(
                    f"expected unicast mac address, found multicast '{mac}' in network '{name}'", domain=_E
                )
        hostname = _aget(host, "name")
        if hostname is not None and not (hostname[:1].isascii() and hostname[:1].isalnum()):
            raise xml_error(f"Cannot use host name '{hostname}' in network '{name}'", domain=_E)
        ip_text = _aget(host, "ip")
        if ip_text is not None and _ip(ip_text) is None:
            raise xml_error(f"Invalid IP address in static host definition for network '{name}'", domain=_E)
        duid = _aget(host, "id")
        if duid is not None:
            for ch in duid:
                if ch not in "0123456789abcdefABCDEF:":
                    raise xml_error(f"Invalid character '{ch}' in id '{duid}' of network '{name}'", domain=_E)
        if version == 4 and not mac and not hostname:
            raise xml_error(
                f"Static host definition in IPv4 network '{name}' must have mac or name attribute",
                domain=_E,
            )
        if version == 6 and not duid and not hostname:
            raise xml_error(
                f"Static host definition in IPv6 network '{name}' must have id or name attribute",
                domain=_E,
            )
        if ip_text is None:
            raise xml_error(f"Missing IP address in static host definition for network '{name}'", domain=_E)
        _parse_lease(host)
    bootp = _child(dhcp, "bootp")
    if bootp is not None and _aget(bootp, "server"):
        _socket_addr(_aget(bootp, "server", ""))


def _check_range(a, b, net, host=None) -> None:  # noqa: ANN001 - ipaddress unions
    """libvirt's range checks, in its order; messages show addresses as libvirt formats them."""
    if a.version != b.version:
        raise virt_error(
            ErrorNumber.INTERNAL_ERROR, f"mismatch of address family in range {a} - {b}", domain=ErrorDomain.NONE
        )
    if net is not None and (a not in net or b not in net):
        raise virt_error(
            ErrorNumber.INTERNAL_ERROR,
            f"range {a} - {b} is not entirely within network {host}/{net.prefixlen}",
            domain=ErrorDomain.NONE,
        )
    if a > b:
        raise virt_error(ErrorNumber.INTERNAL_ERROR, f"range {a} - {b} is reversed ", domain=ErrorDomain.NONE)


def _format_ip(ip: etree._Element) -> None:
    dhcp = _child(ip, "dhcp")
    if dhcp is not None and _child(dhcp, "range") is None and _child(dhcp, "host") is None:
        ip.remove(dhcp)  # libvirt writes <dhcp> (and its <bootp>) only with ranges or hosts
    if _aget(ip, "localPtr") != "yes":
        _drop_attr(ip, "localPtr")
    prefix = _aget(ip, "prefix")
    if prefix is not None and int(prefix.strip(), 0) == 0:
        del ip.attrib["prefix"]


def _parse_route(route: etree._Element, name: str) -> None:
    """A static route, with libvirt's checks (its messages start with the network name)."""
    family = _aget(route, "family")
    address = _aget(route, "address")
    netmask = _aget(route, "netmask")
    gateway = _aget(route, "gateway")
    prefix = _prop_uint(route, "prefix")
    metric = _prop_uint(route, "metric")
    if metric == 0:
        raise virt_error(
            ErrorNumber.XML_ERROR,
            "Invalid value for attribute 'metric' in element 'route': Zero is not permitted",
            domain=ErrorDomain.XML,
        )
    if not address:
        raise xml_error(f"{name}: Missing required address attribute in route definition", domain=_E)
    if not gateway:
        raise xml_error(f"{name}: Missing required gateway attribute in route definition", domain=_E)
    addr, gw = _ip(address), _ip(gateway)
    if addr is None:
        raise xml_error(f"{name}: Bad network address '{address}' in route definition", domain=_E)
    if gw is None:
        raise xml_error(f"{name}: Bad gateway address '{gateway}' in route definition", domain=_E)
    mask = None
    if family in (None, "ipv4"):
        label = "No family" if family is None else "IPv4 family"
        if addr.version != 4:
            raise xml_error(f"{name}: {label} specified for non-IPv4 address '{address}' in route definition", domain=_E)
        if gw.version != 4:
            raise xml_error(f"{name}: {label} specified for non-IPv4 gateway '{address}' in route definition", domain=_E)
        if netmask:
            mask = _ip(netmask)
            if mask is None:
                raise xml_error(f"{name}: Bad netmask address '{netmask}' in route definition", domain=_E)
            if mask.version != 4:
                raise xml_error(
                    f"{name}: Invalid netmask '{netmask}' for address '{address}' (both must be IPv4)", domain=_E
                )
            if prefix is not None:
                raise xml_error(f"{name}: Route definition cannot have both a prefix and a netmask", domain=_E)
        if prefix is not None and prefix > 32:
            raise xml_error(f"{name}: Invalid prefix {prefix} specified in route definition, must be 0 - 32", domain=_E)
    elif family == "ipv6":
        if addr.version != 6:
            raise xml_error(f"{name}: ipv6 family specified for non-IPv6 address '{address}' in route definition", domain=_E)
        if netmask:
            raise xml_error(
                f"{name}: Specifying netmask invalid for IPv6 address '{address}' in route definition", domain=_E
            )
        if gw.version != 6:
            raise xml_error(
                f"{name}: ipv6 specified for non-IPv6 gateway address '{gateway}' in route definition", domain=_E
            )
        if prefix is not None and prefix > 128:
            raise xml_error(f"{name}: Invalid prefix {prefix} specified in route definition, must be 0 - 128", domain=_E)
    else:
        raise xml_error(f"{name}: Unrecognized family '{family}' in route definition", domain=_E)
    width = mask if mask is not None else (prefix or 0)
    net = _subnet(addr, width)
    if net is None or net.network_address != addr:
        raise xml_error(f"{name}: Address '{address}' in route definition is not a network address", domain=_E)


# ---------------------------------------------------------------------------------------------
# forward


def _pci_text(numbers: tuple[int, ...]) -> str:
    return f"{numbers[0]:04x}:{numbers[1]:02x}:{numbers[2]:02x}.{numbers[3]}"


def _parse_forward(fwd: etree._Element, name: str) -> tuple[str, int, int]:
    mode = _aget(fwd, "mode") or "nat"
    if mode not in FORWARD_MODES:
        raise virt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown forwarding type '{mode}'", domain=_E)
    dev = _aget(fwd, "dev") or None
    driver = _child(fwd, "driver")
    if driver is not None and _aget(driver, "name") and _aget(driver, "name") not in ("default", "kvm", "vfio"):
        raise virt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"Unknown forward <driver name='{_aget(driver, 'name')}'/> in network {name}",
            domain=_E,
        )
    nats = _children(fwd, "nat")
    if len(nats) > 1:
        raise xml_error(f"Only one <nat> element is allowed in <forward> of network {name}", domain=_E)
    if nats:
        if mode != "nat":
            raise xml_error(
                f"The <nat> element can only be used when <forward> 'mode' is 'nat' in network {name}",
                domain=_E,
            )
        _parse_nat(nats[0], name)
    ifaces = _children(fwd, "interface")
    addrs = _children(fwd, "address")
    pfs = _children(fwd, "pf")
    if ifaces and addrs:
        raise xml_error(
            f"the <forward> element of network {name} cannot have both <interface> and <address> subelements",
            domain=_E,
        )
    if addrs and pfs:
        raise xml_error(
            f"the <forward> element of network {name} cannot have both <address> and <pf> subelements",
            domain=_E,
        )
    if ifaces and pfs:
        raise xml_error(
            f"the <forward> element of network {name} cannot have both <interface> and <pf> subelements",
            domain=_E,
        )
    if len(pfs) > 1:
        raise xml_error(f"Only one <pf> element is allowed in <forward> of network {name}", domain=_E)
    if pfs:
        if not _aget(pfs[0], "dev"):
            raise xml_error(f"Missing required dev attribute in <pf> element of network {name}", domain=_E)
    seen_pci: set[str] = set()
    for addr in addrs:
        atype = _aget(addr, "type")
        if atype is None:
            raise xml_error(f"missing address type in network {name}", domain=_E)
        if atype != "pci":
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"unknown address type '{atype}' in network {name}", domain=_E
            )
        text = _pci_text(parse_pci_address(addr.attrib))
        if text in seen_pci:
            raise xml_error(f"PCI device '{text}' can only be listed once in network {name}", domain=_E)
        seen_pci.add(text)
    seen: set[str] = set()
    for index, iface in enumerate(ifaces):
        idev = _aget(iface, "dev")
        if idev is None:
            raise xml_error(
                f"Missing required dev attribute in <forward> <interface> element of network {name}",
                domain=_E,
            )
        if index == 0 and dev and idev != dev:
            raise xml_error(
                f"<forward dev='{dev}'> must match first <interface dev='{idev}'/> in network {name}",
                domain=_E,
            )
        if idev in seen:
            raise xml_error(f"interface '{idev}' can only be listed once in network {name}", domain=_E)
        seen.add(idev)
    nifs = len(ifaces)
    if dev and not ifaces and not pfs and not addrs:
        fwd.append(etree.Element("interface", dev=dev))
        nifs = 1
    return mode, nifs, len(pfs)


def _parse_nat(nat: etree._Element, name: str) -> None:
    _yes_no(nat, "ipv6")
    addrs = _children(nat, "address")
    if len(addrs) > 1:
        raise xml_error(
            f"Only one <address> element is allowed in <nat> in <forward> in network {name}", domain=_E
        )
    if addrs:
        addr = addrs[0]
        start, end = _aget(addr, "start"), _aget(addr, "end")
        if not start:
            raise xml_error(
                f"missing 'start' attribute in <address> element in <nat> in <forward> in network {name}",
                domain=_E,
            )
        if not end:
            raise xml_error(
                f"missing 'end' attribute in <address> element in <nat> in <forward> in network {name}",
                domain=_E,
            )
        a, b = _ip(start), _ip(end)
        if a is None or a.version != 4:
            raise xml_error(f"Bad ipv4 start address '{start}' in <nat> in <forward> in network '{name}'", domain=_E)
        if b is None or b.version != 4:
            raise xml_error(f"Bad ipv4 end address '{end}' in <nat> in <forward> in network '{name}'", domain=_E)
        _check_range(a, b, None)
    ports = _children(nat, "port")
    if len(ports) > 1:
        raise xml_error(f"Only one <port> element is allowed in <nat> in <forward> in network {name}", domain=_E)
    if ports:
        port = ports[0]
        start = _aget(port, "start", "")
        if not _is_uint(start, 65535):
            raise _detail(f"Missing or invalid 'start' attribute in <port> in <nat> in <forward> in network {name}")
        end = _aget(port, "end", "")
        if not _is_uint(end, 65535) or int(end) < int(start):
            raise _detail(f"Missing or invalid 'end' attribute in <port> in <nat> in <forward> in network {name}")


def _format_bandwidth(bw: etree._Element) -> None:
    """A rate with neither average nor floor is not written, nor an empty <bandwidth>."""
    for rate in list(bw):
        if not int(_aget(rate, "average", "0") or 0) and not int(_aget(rate, "floor", "0") or 0):
            bw.remove(rate)
    if not len(bw):
        bw.getparent().remove(bw)


def _format_forward(fwd: etree._Element, mode: str) -> None:
    for addr in _children(fwd, "address"):
        for name, text in format_pci_address(parse_pci_address(addr.attrib)).items():
            _aset(addr, name, text)
        _drop_attr(addr, "multifunction")  # read, not written
    if mode == "hostdev":
        _aset(fwd, "managed", "yes" if _aget(fwd, "managed") == "yes" else "no")
    else:
        _drop_attr(fwd, "managed")
    ifaces = _children(fwd, "interface")
    if ifaces:
        _aset(fwd, "dev", _aget(ifaces[0], "dev", ""))
    else:
        _drop_attr(fwd, "dev")
    nat = _child(fwd, "nat")
    if nat is not None:
        if _aget(nat, "ipv6") != "yes":
            _drop_attr(nat, "ipv6")
        port = _child(nat, "port")
        if port is not None and _aget(port, "start") in ("0", None) and _aget(port, "end") in ("0", None):
            nat.remove(port)
        if not len(nat) and not nat.attrib:
            fwd.remove(nat)
    driver = _child(fwd, "driver")
    if driver is not None and _aget(driver, "name") in (None, "", "default"):
        fwd.remove(driver)



def new_network(name: str, **fields: Any) -> NetworkDef:
    """Build a definition from Python values (goes through the same parse pipeline)."""
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    net = NetworkDef.from_element(root)
    for key, value in fields.items():
        setattr(net, key, value)
    return net

