"""libvirt's virtual network format (``<network>``), as libvirt 9.0 parses and writes it.

A :class:`NetworkDef` is a view over the parsed tree. Parsing brings the tree into libvirt's
canonical form (unknown elements dropped, known ones in the formatter's order), fills in what
libvirt fills in (a generated UUID, ``mode='nat'`` for a bare ``<forward/>``, the implicit
``<interface dev=...>`` of ``<forward dev=...>``, ``stp``/``delay`` of a libvirt-managed
bridge, lower-case MACs) and rejects what libvirt rejects, with libvirt's code and wording.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lxml import etree

from ..errors import ErrorDomain, ErrorNumber, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize, leaf
from .base import Attr, ChildList, ChildText, XMLDef, XMLView, xml_error
from .values import format_mac, format_uuid, generate_uuid, parse_mac, parse_uuid

__all__ = ["NetworkDef", "NetworkIP", "DHCPRange", "DHCPHost", "FORWARD_MODES", "check_object_name"]

FORWARD_MODES = ("none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev")
#: modes where libvirt itself runs the bridge (and so writes stp/delay)
_MANAGED_BRIDGE = ("none", "nat", "route", "open")
_E = ErrorDomain.NETWORK


def check_object_name(name: str) -> None:
    """libvirt rejects a '/' in object names (VIR_ERR_XML_DETAIL from the conf layer)."""
    if "/" in name:
        raise virt_error(ErrorNumber.XML_DETAIL, "invalid char in name: /", domain=ErrorDomain.XML)


def _yes_only(value: str, el: etree._Element) -> str | None:
    return value if value == "yes" else None


# ---------------------------------------------------------------------------------------------
# canonical shapes (formatter order of libvirt 9.0's network_conf.c)

_LEASE = leaf("expiry", "unit")
_BANDWIDTH = Shape(
    children=(
        ("inbound", leaf("average", "peak", "burst", "floor")),
        ("outbound", leaf("average", "peak", "burst", "floor")),
    )
)
_VLAN = Shape(attrs={"trunk": None}, children=(("tag", leaf("id", "nativeMode")),))
_VIRTUALPORT = Shape(
    attrs={"type": None},
    children=(
        (
            "parameters",
            leaf("managerid", "typeid", "typeidversion", "instanceid", "interfaceid", "profileid"),
        ),
    ),
)
_DHCP = Shape(
    children=(
        ("range", Shape(attrs={"start": None, "end": None}, children=(("lease", _LEASE),))),
        ("host", Shape(attrs={"mac": None, "id": None, "name": None, "ip": None}, children=(("lease", _LEASE),))),
        ("bootp", leaf("file", "server")),
    )
)
_IP = Shape(
    attrs={"family": None, "address": None, "netmask": None, "prefix": None, "localPtr": None},
    children=(("tftp", leaf("root")), ("dhcp", _DHCP)),
)
_DNS = Shape(
    attrs={"enable": None, "forwardPlainNames": None},
    children=(
        ("forwarder", leaf("domain", "addr")),
        ("txt", leaf("name", "value")),
        ("srv", leaf("service", "protocol", "domain", "target", "port", "priority", "weight")),
        ("host", Shape(attrs={"ip": None}, children=(("hostname", TEXT),))),
    ),
)
_FORWARD = Shape(
    attrs={"dev": None, "mode": None, "managed": None},
    children=(
        ("driver", leaf("name")),
        (
            "nat",
            Shape(
                attrs={"ipv6": None},
                children=(("address", leaf("start", "end")), ("port", leaf("start", "end"))),
            ),
        ),
        ("interface", leaf("dev")),
        ("pf", leaf("dev")),
        ("address", leaf("type", "domain", "bus", "slot", "function", "multifunction")),
    ),
)
_PORTGROUP = Shape(
    attrs={"name": None, "default": _yes_only, "trustGuestRxFilters": None},
    children=(("vlan", _VLAN), ("virtualport", _VIRTUALPORT), ("bandwidth", _BANDWIDTH)),
)
NETWORK_SHAPE = Shape(
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
        fwd = self._el.find("forward")
        return "none" if fwd is None else fwd.get("mode", "nat")

    @forward_mode.setter
    def forward_mode(self, mode: str | None) -> None:
        fwd = self._el.find("forward")
        if mode in (None, "none"):
            if fwd is not None:
                self._el.remove(fwd)
            return
        if fwd is None:
            fwd = etree.Element("forward")
            self._el.find("uuid").addnext(fwd) if self._el.find("uuid") is not None else self._el.append(fwd)
        fwd.set("mode", mode)

    @property
    def forward_dev(self) -> str | None:
        fwd = self._el.find("forward")
        return None if fwd is None else fwd.get("dev")

    @property
    def forward_interfaces(self) -> list[str]:
        return [e.get("dev", "") for e in self._el.findall("forward/interface")]

    @property
    def bridge(self) -> str | None:
        br = self._el.find("bridge")
        return None if br is None else br.get("name")

    @bridge.setter
    def bridge(self, value: str | None) -> None:
        br = self._el.find("bridge")
        if br is None:
            if value is None:
                return
            br = etree.SubElement(self._el, "bridge")
        if value is None:
            br.attrib.pop("name", None)
        else:
            br.set("name", value)
        canonicalize(self._el, NETWORK_SHAPE)

    @property
    def mac(self) -> str | None:
        el = self._el.find("mac")
        return None if el is None else el.get("address")

    @mac.setter
    def mac(self, value: str | None) -> None:
        el = self._el.find("mac")
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
        el = self._el.find("mtu")
        return None if el is None or el.get("size") is None else int(el.get("size"))

    # -- pipeline ----------------------------------------------------------------------------

    def _post_parse(self, **options: Any) -> None:
        root = self._el
        canonicalize(root, NETWORK_SHAPE)
        name = self.name
        if not name:
            raise virt_error(ErrorNumber.NO_NAME, domain=_E)
        check_object_name(name)
        for extra in root.findall("name")[1:] + root.findall("uuid")[1:]:
            root.remove(extra)
        uuid_el = root.find("uuid")
        if uuid_el is None:
            uuid_el = etree.Element("uuid")
            root.find("name").addnext(uuid_el)
            uuid_el.text = generate_uuid()
        else:
            raw = parse_uuid(uuid_el.text or "")
            if raw is None:
                raise virt_error(ErrorNumber.INTERNAL_ERROR, "malformed uuid element", domain=_E)
            uuid_el.text = format_uuid(raw)
        self._parse_forward(name)
        self._parse_bridge(name)
        self._parse_mac(name)
        for ip in root.findall("ip"):
            self._parse_ip(ip, name)
        self._parse_dns(name)
        self._parse_routes(name)

    def _parse_forward(self, name: str) -> None:
        fwd = self._el.find("forward")
        if fwd is None:
            return
        mode = fwd.get("mode")
        if mode is None:
            fwd.set("mode", "nat")
        elif mode not in FORWARD_MODES:
            raise virt_error(
                ErrorNumber.CONFIG_UNSUPPORTED, f"unknown forwarding type '{mode}'", domain=_E
            )
        ifaces = fwd.findall("interface")
        for iface in ifaces:
            if not iface.get("dev"):
                raise xml_error(
                    f"Missing required dev attribute in <forward> <interface> element of network {name}",
                    domain=_E,
                )
        seen: set[str] = set()
        for iface in ifaces:
            dev = iface.get("dev", "")
            if dev in seen:
                raise xml_error(
                    f"interface '{dev}' can only be listed once in network {name}", domain=_E
                )
            seen.add(dev)
        dev = fwd.get("dev")
        if dev is not None and fwd.get("mode") != "hostdev":
            if ifaces:
                if ifaces[0].get("dev") != dev:
                    raise xml_error(
                        f"<forward dev='{dev}'> must match first <interface dev='{ifaces[0].get('dev')}'/> in network {name}",
                        domain=_E,
                    )
            else:
                iface = etree.Element("interface", dev=dev)
                anchor = fwd.find("pf")
                if anchor is not None:
                    anchor.addprevious(iface)
                else:
                    fwd.append(iface)
                canonicalize(fwd, _FORWARD)
        elif ifaces:
            fwd.set("dev", ifaces[0].get("dev", ""))
        mode = fwd.get("mode")
        if mode == "open" and dev is not None:
            raise xml_error(
                f"forward dev not allowed for network '{name}' with forward mode='open'", domain=_E
            )
        if mode in ("nat",) and fwd.find("nat") is not None and not self._el.findall("ip"):
            raise xml_error(
                f"nat forwarding requested, but no IP address provided for network '{name}'",
                domain=_E,
            )
        if mode == "bridge" and fwd.get("dev") is not None and self.bridge:
            raise xml_error(
                f"A network with forward mode='bridge' can specify a bridge name or a forward dev, but not both (network '{name}')",
                domain=_E,
            )

    def _parse_bridge(self, name: str) -> None:
        mode = self.forward_mode
        br = self._el.find("bridge")
        managed = mode in _MANAGED_BRIDGE
        if br is not None and not managed:
            if br.get("stp") is not None or br.get("delay") is not None or br.get("zone") is not None:
                raise xml_error(
                    f"bridge delay/stp/zone options only allowed in route, nat, and isolated mode, not in {mode} (network '{name}')",
                    domain=_E,
                )
        if managed:
            if br is None:
                br = etree.Element("bridge")
                self._el.append(br)
            br.set("stp", "off" if br.get("stp") == "off" else "on")
            delay = br.get("delay", "0")
            if not delay.isdigit():
                raise xml_error(f"Invalid delay value in network '{name}'", domain=_E)
            br.set("delay", str(int(delay)))
            mac_mgr = br.attrib.pop("macTableManager", None)
            if mac_mgr is not None:
                br.set("macTableManager", mac_mgr)
            canonicalize(self._el, NETWORK_SHAPE)
        if br is not None and br.get("macTableManager") not in (None, "kernel", "libvirt"):
            raise xml_error(
                f"Invalid macTableManager setting '{br.get('macTableManager')}' in network '{name}'",
                domain=_E,
            )

    def _parse_mac(self, name: str) -> None:
        el = self._el.find("mac")
        if el is None:
            return
        text = el.get("address", "")
        raw = parse_mac(text)
        if raw is None:
            raise xml_error(f"Invalid bridge mac address '{text}' in network '{name}'", domain=_E)
        if raw[0] & 1:
            raise xml_error(
                f"Invalid multicast bridge mac address '{text}' in network '{name}'", domain=_E
            )
        el.set("address", format_mac(raw))

    def _parse_ip(self, ip: etree._Element, name: str) -> None:
        family = ip.get("family")
        address = ip.get("address")
        if family not in (None, "ipv4", "ipv6"):
            raise xml_error(
                f"Unrecognized family '{family}' in network '{name}'", domain=_E
            )
        if address is None:
            raise xml_error(f"Missing required address attribute in network '{name}'", domain=_E)
        try:
            addr = ipaddress.ip_address(address)
        except ValueError:
            raise xml_error(f"Invalid address '{address}' in network '{name}'", domain=_E) from None
        want = 6 if family == "ipv6" else 4 if family == "ipv4" else addr.version
        if addr.version != want:
            raise xml_error(
                f"{'IPv6' if want == 6 else 'IPv4'} address '{address}' in network '{name}' is not of family '{family}'",
                domain=_E,
            )
        if ip.get("netmask") is not None and ip.get("prefix") is not None:
            raise xml_error(
                f"Network '{name}' IP address cannot have both a prefix and a netmask", domain=_E
            )
        netmask = ip.get("netmask")
        if netmask is not None:
            try:
                ipaddress.ip_network(f"0.0.0.0/{netmask}")
            except ValueError:
                raise xml_error(
                    f"Invalid netmask '{netmask}' in network '{name}'", domain=_E
                ) from None
        prefix = ip.get("prefix")
        if prefix is not None and (not prefix.isdigit() or int(prefix) > (128 if want == 6 else 32)):
            raise xml_error(f"Invalid ip address prefix value '{prefix}' in network '{name}'", domain=_E)
        view = NetworkIP(ip)
        for rng in ip.findall("dhcp/range"):
            start, end = rng.get("start"), rng.get("end")
            if start is None or end is None:
                raise xml_error(
                    f"Missing 'start' or 'end' attribute in dhcp range for network '{name}'",
                    domain=_E,
                )
            try:
                a, b = ipaddress.ip_address(start), ipaddress.ip_address(end)
            except ValueError:
                bad = start if not _is_ip(start) else end
                raise xml_error(f"Invalid dhcp range '{bad}' in network '{name}'", domain=_E) from None
            if a > b:
                raise virt_error(
                    ErrorNumber.INTERNAL_ERROR, f"range {start} - {end} is reversed ", domain=ErrorDomain.NONE
                )
            subnet = view.network()
            if a not in subnet or b not in subnet:
                raise virt_error(
                    ErrorNumber.INTERNAL_ERROR,
                    f"range {start} - {end} is not entirely within network {subnet.network_address}/{subnet.prefixlen}",
                    domain=ErrorDomain.NONE,
                )
        for host in ip.findall("dhcp/host"):
            mac = host.get("mac")
            if mac is not None:
                if want == 6:
                    raise xml_error(
                        f"Invalid to specify MAC address '{mac}' in network '{name}' IPv6 static host definition",
                        domain=_E,
                    )
                raw = parse_mac(mac)
                if raw is None:
                    raise xml_error(
                        f"Cannot parse MAC address '{mac}' in network '{name}'", domain=_E
                    )
                if raw[0] & 1:
                    raise xml_error(
                        f"expected unicast mac address, found multicast '{mac}' in network '{name}'",
                        domain=_E,
                    )

    def _parse_dns(self, name: str) -> None:
        dns = self._el.find("dns")
        if dns is None:
            return
        enable = dns.get("enable")
        if enable is not None and enable not in ("yes", "no"):
            raise xml_error(
                f"Invalid dns enable setting '{enable}' in network '{name}'", domain=_E
            )
        if enable == "no" and len(dns):
            raise xml_error(
                f"Extra data in disabled network '{name}'", domain=_E
            )
        for txt in dns.findall("txt"):
            if not txt.get("name"):
                raise xml_error(f"missing required name attribute in DNS TXT record of network {name}", domain=_E)

    def _parse_routes(self, name: str) -> None:
        nets = []
        for ip in self._el.findall("ip"):
            try:
                nets.append(NetworkIP(ip).network())
            except ValueError:
                continue
        for route in self._el.findall("route"):
            gw = route.get("gateway")
            if gw is None:
                raise xml_error(
                    f"Missing required gateway attribute in route definition of network '{name}'",
                    domain=_E,
                )
            try:
                gwaddr = ipaddress.ip_address(gw)
            except ValueError:
                raise xml_error(
                    f"Bad gateway address '{gw}' in route definition of network '{name}'", domain=_E
                ) from None
            if nets and not any(gwaddr in n for n in nets if n.version == gwaddr.version):
                raise virt_error(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"unreachable static route gateway '{gw}' specified for network '{name}'",
                    domain=_E,
                )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def new_network(name: str, **fields: Any) -> NetworkDef:
    """Build a definition from Python values (goes through the same parse pipeline)."""
    root = etree.Element("network")
    etree.SubElement(root, "name").text = name
    net = NetworkDef.from_element(root)
    for key, value in fields.items():
        setattr(net, key, value)
    return net

