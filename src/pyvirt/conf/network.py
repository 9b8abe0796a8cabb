"""libvirt's virtual network format (``<network>``), as libvirt 9.0 parses and writes it.

A :class:`NetworkDef` is a view over the parsed tree. Parsing brings the tree into libvirt's
canonical form (unknown elements dropped, known ones in the formatter's order), fills in what
libvirt fills in (a generated UUID, ``mode='nat'`` for a bare ``<forward/>``, the implicit
``<interface dev=...>`` of ``<forward dev=...>``, ``stp``/``delay`` of a libvirt-managed
bridge, lower-case MACs) and rejects what libvirt rejects, with libvirt's code and wording.
Those rules run in the compiled core (:mod:`pyvirt._core.netstore_rules`); this module holds
the shapes (the formatter's order) and the Python API over the tree.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lxml import etree

from .._core.netstore_rules import FORWARD_MODES, check_object_name, network_post_parse
from .._core.xmlcore import child as _child
from .._core.xmlcore import get as _aget
from ..errors import ErrorDomain, ErrorNumber, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize, compiled, drop_root_namespaces, leaf
from .base import Attr, ChildList, ChildText, XMLDef, XMLView

__all__ = ["NetworkDef", "NetworkIP", "DHCPRange", "DHCPHost", "FORWARD_MODES", "check_object_name"]

DNSMASQ_NS = "http://libvirt.org/schemas/network/dnsmasq/1.0"
_E = ErrorDomain.NETWORK


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
    attrs={"name": None, "default": None, "trustGuestRxFilters": None},
    children=(("vlan", _VLAN), ("virtualport", _VIRTUALPORT), ("bandwidth", _BANDWIDTH)),
)
NETWORK_SHAPE = _shape(
    multi=("ip", "route", "portgroup"),
    attrs={"ipv6": None, "trustGuestRxFilters": None, "connections": None},
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
#: the core's tables of the shape (the parse rules run the canonical walk with them)
_NETWORK_TABLES = compiled(NETWORK_SHAPE)


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
        """libvirt's network parse (checks in its order, canonical form, the formatter's
        defaults), run by the compiled core."""
        if network_post_parse(self._el, _NETWORK_TABLES):
            self._el = drop_root_namespaces(self._el, (DNSMASQ_NS,))


def _drop_attr(el: etree._Element, name: str) -> None:
    """Remove a plain attribute if present (checked in the core: lxml's attrib proxy costs more)."""
    if _aget(el, name) is not None:
        del el.attrib[name]


def new_network(name: str, **fields: Any) -> NetworkDef:
    """Build a definition from Python values (goes through the same parse pipeline)."""
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    net = NetworkDef.from_element(root)
    for key, value in fields.items():
        setattr(net, key, value)
    return net

