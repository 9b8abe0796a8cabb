"""libvirt's host interface format (``<interface type=... name=...>`` of virInterface*).

This is the *host* network configuration the interface driver manages (an ethernet port, a
bridge, a bond, a VLAN), not a guest NIC. The test driver keeps its interfaces in this form.
Parsing follows libvirt 9.0's interface_conf.c: the type decides which block is required
(``<bridge>``, ``<bond>``, ``<vlan tag=...>``), enslaved interfaces are parsed as nested
definitions without the top-level settings, and output follows libvirt's element order.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..errors import ErrorDomain, ErrorNumber, virt_error
from ._shape import Shape, canonicalize, leaf
from .base import Attr, XMLDef, XMLView, xml_error
from .values import invalid_prop, missing_prop

__all__ = ["InterfaceDef", "InterfaceProtocol", "INTERFACE_TYPES", "START_MODES"]

_E = ErrorDomain.INTERFACE
INTERFACE_TYPES = ("ethernet", "bridge", "bond", "vlan")
START_MODES = ("none", "onboot", "hotplug")

_PROTOCOL = Shape(
    attrs={"family": None},
    children=(
        ("autoconf", leaf()),
        ("dhcp", leaf("peerdns")),
        ("ip", leaf("address", "prefix")),
        ("route", leaf("gateway")),
    ),
)
_VLAN = Shape(attrs={"tag": None}, children=(("interface", leaf("name")),))


#: an interface enslaved to a bridge or bond: no start/mtu/protocol block of its own
_SUB = Shape(
    attrs={"type": None, "name": None},
    children=(("link", leaf("speed", "state")), ("mac", leaf("address")), ("vlan", _VLAN)),
)
INTERFACE_SHAPE = Shape(
    attrs={"type": None, "name": None},
    children=(
        ("start", leaf("mode")),
        ("mtu", leaf("size")),
        ("protocol", _PROTOCOL),
        ("link", leaf("speed", "state")),
        ("mac", leaf("address")),
        ("bridge", Shape(attrs={"stp": None, "delay": None}, children=(("interface", _SUB),))),
        (
            "bond",
            Shape(
                attrs={"mode": None},
                children=(
                    ("miimon", leaf("freq", "downdelay", "updelay", "carrier")),
                    ("arpmon", leaf("interval", "target", "validate")),
                    ("interface", _SUB),
                ),
            ),
        ),
        ("vlan", _VLAN),
    ),
)


class InterfaceProtocol(XMLView):
    """One ``<protocol family='ipv4|ipv6'>`` block."""

    TAG = "protocol"
    __slots__ = ()
    family = Attr[str]("family")

    @property
    def dhcp(self) -> bool:
        return self._el.find("dhcp") is not None

    @property
    def addresses(self) -> list[tuple[str, int | None]]:
        return [
            (ip.get("address", ""), int(ip.get("prefix")) if ip.get("prefix") else None)
            for ip in self._el.findall("ip")
        ]

    @property
    def gateway(self) -> str | None:
        route = self._el.find("route")
        return None if route is None else route.get("gateway")


class InterfaceDef(XMLDef):
    """A host interface definition."""

    TAG = "interface"
    SOURCE = "interface_definition"
    ERROR_DOMAIN = ErrorDomain.INTERFACE
    __slots__ = ()

    type = Attr[str]("type")
    name = Attr[str]("name")

    @property
    def mac(self) -> str | None:
        el = self._el.find("mac")
        return None if el is None else el.get("address")

    @mac.setter
    def mac(self, value: str | None) -> None:
        self._set_leaf("mac", "address", value)

    @property
    def start_mode(self) -> str | None:
        el = self._el.find("start")
        return None if el is None else el.get("mode")

    @start_mode.setter
    def start_mode(self, value: str | None) -> None:
        self._set_leaf("start", "mode", value)

    @property
    def mtu(self) -> int | None:
        el = self._el.find("mtu")
        return None if el is None else int(el.get("size", "0"))

    @mtu.setter
    def mtu(self, value: int | None) -> None:
        self._set_leaf("mtu", "size", None if value is None else str(int(value)))

    @property
    def protocols(self) -> list[InterfaceProtocol]:
        return [InterfaceProtocol(e) for e in self._el.findall("protocol")]

    @property
    def slaves(self) -> list[InterfaceDef]:
        """Interfaces enslaved to a bridge or bond."""
        return [InterfaceDef(e) for e in self._el.findall("bridge/interface") + self._el.findall("bond/interface")]

    @property
    def vlan_tag(self) -> int | None:
        el = self._el.find("vlan")
        return None if el is None or el.get("tag") is None else int(el.get("tag"))

    def _set_leaf(self, tag: str, attr: str, value: str | None) -> None:
        el = self._el.find(tag)
        if value is None:
            if el is not None:
                self._el.remove(el)
            return
        if el is None:
            el = etree.SubElement(self._el, tag)
        el.set(attr, value)
        canonicalize(self._el, INTERFACE_SHAPE)

    def _post_parse(self, **options: Any) -> None:
        root = self._el
        _check_interface(root, top=True)
        canonicalize(root, INTERFACE_SHAPE)


def _check_interface(el: etree._Element, *, top: bool) -> None:
    itype = el.get("type")
    if itype is None:
        raise missing_prop("type", "interface")
    if itype not in INTERFACE_TYPES:
        raise invalid_prop("type", "interface", itype)
    if not el.get("name"):
        raise xml_error("interface has no name", domain=_E)
    if top:
        start = el.find("start")
        if start is not None:
            mode = start.get("mode")
            if mode not in START_MODES:
                raise xml_error(f"unknown interface startmode {mode}", domain=_E)
        mtu = el.find("mtu")
        if mtu is not None:
            size = mtu.get("size", "")
            if not size.isdigit():
                # libvirt reports nothing specific here (its generic "cause is unknown")
                raise virt_error(
                    ErrorNumber.INTERNAL_ERROR,
                    message="An error occurred, but the cause is unknown",
                    domain=ErrorDomain.NONE,
                )
        families = set()
        for proto in el.findall("protocol"):
            fam = proto.get("family")
            if fam not in ("ipv4", "ipv6"):
                raise xml_error(f"unsupported protocol family '{fam}'", domain=_E)
            if fam in families:
                continue
            families.add(fam)
            for ip in proto.findall("ip"):
                if not ip.get("address"):
                    raise xml_error("interface address missing", domain=_E)
                prefix = ip.get("prefix")
                if prefix is not None and not prefix.isdigit():
                    raise xml_error("Invalid ip address prefix value", domain=_E)
    if itype == "bridge" and top:
        bridge = el.find("bridge")
        if bridge is None:
            raise xml_error("bridge interface misses the bridge element", domain=_E)
        stp = bridge.get("stp")
        if stp is not None and stp not in ("on", "off"):
            raise xml_error(f"bridge interface stp should be on or off got {stp}", domain=_E)
        for sub in bridge.findall("interface"):
            _check_interface(sub, top=False)
    elif itype == "bond" and top:
        bond = el.find("bond")
        if bond is None:
            raise xml_error("bond interface misses the bond element", domain=_E)
        subs = bond.findall("interface")
        if not subs:
            raise xml_error("bond has no interfaces", domain=_E)
        for sub in subs:
            if sub.get("type") != "ethernet":
                raise xml_error("bond interfaces must be ethernet interfaces", domain=_E) if sub.get("type") else missing_prop("type", "interface")
            _check_interface(sub, top=False)
    elif itype == "vlan":
        vlan = el.find("vlan")
        if vlan is None:
            raise xml_error("vlan interface misses the vlan element", domain=_E)
        if vlan.get("tag") is None:
            raise xml_error("vlan interface misses the tag attribute", domain=_E)
        dev = vlan.find("interface")
        if dev is None or not dev.get("name"):
            raise xml_error("vlan interface misses name attribute", domain=_E)
