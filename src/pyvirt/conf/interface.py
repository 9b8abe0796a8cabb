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

from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from ..errors import ErrorDomain, ErrorNumber, VirtError, virt_error
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
        return _child(self._el, "dhcp") is not None

    @property
    def addresses(self) -> list[tuple[str, int | None]]:
        return [
            (ip.get("address", ""), int(ip.get("prefix")) if ip.get("prefix") else None)
            for ip in _children(self._el, "ip")
        ]

    @property
    def gateway(self) -> str | None:
        route = _child(self._el, "route")
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
        el = _child(self._el, "mac")
        return None if el is None else el.get("address")

    @mac.setter
    def mac(self, value: str | None) -> None:
        self._set_leaf("mac", "address", value)

    @property
    def start_mode(self) -> str | None:
        el = _child(self._el, "start")
        return None if el is None else el.get("mode")

    @start_mode.setter
    def start_mode(self, value: str | None) -> None:
        self._set_leaf("start", "mode", value)

    @property
    def mtu(self) -> int | None:
        el = _child(self._el, "mtu")
        return None if el is None else int(el.get("size", "0"))

    @mtu.setter
    def mtu(self, value: int | None) -> None:
        self._set_leaf("mtu", "size", None if value is None else str(int(value)))

    @property
    def protocols(self) -> list[InterfaceProtocol]:
        return [InterfaceProtocol(e) for e in _children(self._el, "protocol")]

    @property
    def slaves(self) -> list[InterfaceDef]:
        """Interfaces enslaved to a bridge or bond."""
        return [InterfaceDef(e) for e in self._el.findall("bridge/interface") + self._el.findall("bond/interface")]

    @property
    def vlan_tag(self) -> int | None:
        el = _child(self._el, "vlan")
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
        """Parse as libvirt does (its order, so the same first error), then write the tree
        back in libvirt's form: what libvirt does not keep is gone, the rest in its order."""
        parsed = _parse_interface(self._el, None)
        fresh = _format_interface(parsed, None)
        root = self._el
        for child in list(root):
            root.remove(child)
        root.attrib.clear()
        root.attrib.update(fresh.attrib)
        root.text = None
        for child in list(fresh):
            root.append(child)


# ---------------------------------------------------------------------------------------------
# parse: element -> plain data, with libvirt's errors

_LINK_STATES = ("unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up")
_BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")


def _nonempty(el: etree._Element | None, attr: str) -> str | None:
    """XPath ``string(@attr)`` as libvirt reads it: an empty value counts as absent."""
    if el is None:
        return None
    return el.get(attr) or None


def _int_prop(el: etree._Element, attr: str, *, unsigned: bool) -> int | None:
    value = el.get(attr)
    if value is None:
        return None
    text = value.strip()
    try:
        number = int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text, 10)
    except ValueError:
        number = None
    if unsigned and (number is None or number < 0 or text.startswith("-")):
        raise invalid_prop(attr, el.tag, value, "Expected non-negative integer value")
    if number is None:
        raise invalid_prop(attr, el.tag, value, "Expected integer value")
    return number


def _xpath_int(el: etree._Element | None, attr: str) -> tuple[int, int | None]:
    """libvirt's virXPathInt on ``string(./x/@attr)``: (-1, None) absent, (-2, None) bad."""
    text = _nonempty(el, attr)
    if text is None:
        return -1, None
    try:
        return 0, int(text, 10)
    except ValueError:
        return -2, None


def _unknown_cause() -> VirtError:
    # libvirt fails here without reporting anything specific
    return virt_error(
        ErrorNumber.INTERNAL_ERROR, message="An error occurred, but the cause is unknown", domain=ErrorDomain.NONE
    )


def _parse_interface(el: etree._Element, parent: str | None) -> dict[str, Any]:
    itype = el.get("type")
    if itype is None:
        raise missing_prop("type", "interface")
    if itype not in INTERFACE_TYPES:
        raise invalid_prop("type", "interface", itype)
    allowed = {None: INTERFACE_TYPES, "bond": ("ethernet",), "bridge": ("ethernet", "bond", "vlan")}
    if itype not in allowed.get(parent, ()):
        raise xml_error(f"interface has unsupported type '{itype}'", domain=_E)
    name = el.get("name")
    if name is None:
        raise xml_error("interface has no name", domain=_E)
    data: dict[str, Any] = {"type": itype, "name": name}
    if parent is None:
        mode = _nonempty(_child(el, "start"), "mode")
        if mode is not None and mode not in START_MODES:
            raise xml_error(f"unknown interface startmode {mode}", domain=_E)
        data["start"] = mode
        status, mtu = _xpath_int(_child(el, "mtu"), "size")
        if status == -2 or (mtu is not None and mtu < 0):
            raise _unknown_cause()
        if mtu is not None and mtu > 100000:
            raise xml_error("value of the 'size' attribute of 'mtu' element must be at most 100000", domain=_E)
        data["mtu"] = mtu or 0
        data["protocols"] = [_parse_protocol(p) for p in _children(el, "protocol")]
    if itype != "bridge":
        link = _child(el, "link")
        speed = state = None
        if link is not None:
            speed = _int_prop(link, "speed", unsigned=True)
            state = link.get("state")
            if state is not None and state not in _LINK_STATES:
                raise invalid_prop("state", "link", state)
        data["link"] = (speed or 0, None if state in (None, "unknown") else state)
    if itype == "ethernet":
        data["mac"] = _nonempty(_child(el, "mac"), "address")
    elif itype == "bridge":
        bridge = _child(el, "bridge")
        if bridge is None:
            raise xml_error("bridge interface misses the bridge element", domain=_E)
        stp = bridge.get("stp")
        if stp is not None and stp not in ("on", "off"):
            # libvirt reports it, then stops reading <bridge> and succeeds with what it has
            data["stp"], data["delay"], data["slaves"] = None, None, []
        else:
            data["stp"] = stp
            data["delay"] = bridge.get("delay")
            data["slaves"] = [_parse_interface(i, "bridge") for i in _children(bridge, "interface")]
    elif itype == "bond":
        bond = _child(el, "bond")
        if bond is None:
            raise xml_error("bond interface misses the bond element", domain=_E)
        mode = _nonempty(bond, "mode")
        if mode is not None and mode not in _BOND_MODES:
            raise xml_error(f"unknown bonding mode {mode}", domain=_E)
        data["mode"] = mode
        data["slaves"] = [_parse_interface(i, "bond") for i in _children(bond, "interface")]
        data["monitor"] = _parse_bond_monitor(bond)
    else:  # vlan
        vlan = _child(el, "vlan")
        if vlan is None:
            raise xml_error("vlan interface misses the vlan element", domain=_E)
        tag = _nonempty(vlan, "tag")
        if tag is None:
            raise xml_error("vlan interface misses the tag attribute", domain=_E)
        dev = _nonempty(_child(vlan, "interface"), "name")
        if dev is None:
            raise xml_error("vlan interface misses name attribute", domain=_E)
        data["tag"], data["dev"] = tag, dev
    return data


def _parse_protocol(proto: etree._Element) -> dict[str, Any]:
    family = proto.get("family")
    if family is None:
        raise xml_error("protocol misses the family attribute", domain=_E)
    if family not in ("ipv4", "ipv6"):
        raise xml_error(f"unsupported protocol family '{family}'", domain=_E)
    data: dict[str, Any] = {"family": family, "autoconf": family == "ipv6" and _child(proto, "autoconf") is not None}
    data["gateway"] = _nonempty(_child(proto, "route"), "gateway")
    dhcp = _child(proto, "dhcp")
    data["dhcp"] = None
    if dhcp is not None:
        peerdns = dhcp.get("peerdns")
        if peerdns is not None and peerdns not in ("yes", "no"):
            raise invalid_prop("peerdns", "dhcp", peerdns)
        data["dhcp"] = peerdns or ""
    ips = []
    for ip in _children(proto, "ip"):
        address = ip.get("address")
        if address is None:
            continue
        ips.append((address, _int_prop(ip, "prefix", unsigned=False) or 0))
    data["ips"] = ips
    return data


def _parse_bond_monitor(bond: etree._Element) -> tuple[str, dict[str, Any]] | None:
    mii = _child(bond, "miimon")
    if mii is not None:
        status, freq = _xpath_int(mii, "freq")
        if status < 0:
            raise xml_error("bond interface miimon freq missing or invalid", domain=_E)
        delays = {}
        for attr in ("downdelay", "updelay"):
            status, value = _xpath_int(mii, attr)
            if status == -2:
                raise xml_error(f"bond interface miimon {attr} invalid", domain=_E)
            delays[attr] = value or 0
        carrier = _nonempty(mii, "carrier")
        if carrier is not None and carrier not in ("ioctl", "netif"):
            raise xml_error(f"unknown mii bonding carrier {carrier}", domain=_E)
        return "miimon", {"freq": freq, **delays, "carrier": carrier}
    arp = _child(bond, "arpmon")
    if arp is not None:
        status, interval = _xpath_int(arp, "interval")
        if status < 0:
            raise xml_error("bond interface arpmon interval missing or invalid", domain=_E)
        target = _nonempty(arp, "target")
        if target is None:
            raise xml_error("bond interface arpmon target missing", domain=_E)
        validate = _nonempty(arp, "validate")
        if validate is not None and validate not in ("active", "backup", "all"):
            raise xml_error(f"unknown arp bonding validate {validate}", domain=_E)
        return "arpmon", {"interval": interval, "target": target, "validate": validate}
    return None


# ---------------------------------------------------------------------------------------------
# format: plain data -> element, in libvirt's order


def _format_interface(data: dict[str, Any], parent: str | None) -> etree._Element:
    el = etree.Element("interface", type=data["type"], name=data["name"])
    if parent is None:
        if data["start"]:
            etree.SubElement(el, "start", mode=data["start"])
        if data["mtu"]:
            etree.SubElement(el, "mtu", size=str(data["mtu"]))
        for proto in data["protocols"]:
            p = etree.SubElement(el, "protocol", family=proto["family"])
            if proto["autoconf"]:
                etree.SubElement(p, "autoconf")
            if proto["dhcp"] is not None:
                d = etree.SubElement(p, "dhcp")
                if proto["dhcp"]:
                    d.set("peerdns", proto["dhcp"])
            for address, prefix in proto["ips"]:
                ip = etree.SubElement(p, "ip", address=address)
                if prefix:
                    ip.set("prefix", str(prefix))
            if proto["gateway"] is not None:
                etree.SubElement(p, "route", gateway=proto["gateway"])
    if data["type"] != "bridge":
        speed, state = data["link"]
        if speed or state:
            link = etree.SubElement(el, "link")
            if speed:
                link.set("speed", str(speed))
            if state:
                link.set("state", state)
    if data["type"] == "ethernet":
        if data["mac"]:
            etree.SubElement(el, "mac", address=data["mac"])
    elif data["type"] == "bridge":
        br = etree.SubElement(el, "bridge")
        if data["stp"]:
            br.set("stp", data["stp"])
        if data["delay"] is not None:
            br.set("delay", data["delay"])
        for slave in data["slaves"]:
            br.append(_format_interface(slave, "bridge"))
    elif data["type"] == "bond":
        bond = etree.SubElement(el, "bond")
        if data["mode"]:
            bond.set("mode", data["mode"])
        monitor = data["monitor"]
        if monitor is not None and monitor[0] == "miimon":
            mon = monitor[1]
            mii = etree.SubElement(bond, "miimon", freq=str(mon["freq"]))
            for attr in ("downdelay", "updelay"):
                if mon[attr] > 0:
                    mii.set(attr, str(mon[attr]))
            if mon["carrier"]:
                mii.set("carrier", mon["carrier"])
        elif monitor is not None:
            mon = monitor[1]
            arp = etree.SubElement(bond, "arpmon", interval=str(mon["interval"]), target=mon["target"])
            if mon["validate"]:
                arp.set("validate", mon["validate"])
        for slave in data["slaves"]:
            bond.append(_format_interface(slave, "bond"))
    else:
        vlan = etree.SubElement(el, "vlan", tag=data["tag"])
        etree.SubElement(vlan, "interface", name=data["dev"])
    return el
