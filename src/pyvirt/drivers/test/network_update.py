"""virNetworkUpdate: change one section of a network definition in place.

The rules and messages are libvirt's (virNetworkDefUpdateSection and its helpers): DHCP
hosts can be added, modified and deleted; DHCP ranges, DNS records and forward interfaces
only added or deleted; port groups added, modified or deleted; the bridge, domain, ip,
forward and forward-pf sections cannot be updated at all. The change is made on a copy of
the document, which is then parsed again, so the result is canonical and valid or nothing
changes.
"""

from __future__ import annotations

import copy
import ipaddress

from lxml import etree

from ..._core import xmlcore
from ...conf import NetworkDef
from ...conf.base import parse_xml
from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error

__all__ = ["update_network"]

_ERR = ErrorDomain.NETWORK
MODIFY, DELETE, ADD_LAST, ADD_FIRST = 1, 2, 3, 4
_SECTIONS = {
    1: "bridge", 2: "domain", 3: "ip", 4: "ip-dhcp-host", 5: "ip-dhcp-range", 6: "forward",
    7: "forward-interface", 8: "forward-pf", 9: "portgroup", 10: "dns-host", 11: "dns-txt", 12: "dns-srv",
}  # fmt: skip


def _invalid(detail: str) -> VirtError:
    return virt_error(ErrorNumber.OPERATION_INVALID, detail, domain=_ERR)


def _unsupported(detail: str) -> VirtError:
    return virt_error(ErrorNumber.OPERATION_UNSUPPORTED, detail, domain=_ERR)


def update_network(definition: NetworkDef, command: int, section: int, index: int, xml: str) -> NetworkDef:
    """A new definition with the update applied (``definition`` itself is not touched)."""
    name = definition.name
    if command not in (MODIFY, DELETE, ADD_LAST, ADD_FIRST):
        raise _unsupported(f"unrecognized network update command code {command}")
    if section not in _SECTIONS:
        raise _unsupported("can't update unrecognized section of network")
    if section in (1, 2, 3, 6, 8):
        label = {8: "forward pf"}.get(section, _SECTIONS[section])
        raise _unsupported(f"can't update '{label}' section of network '{name}'")
    root = copy.deepcopy(definition.element)
    item = parse_xml(xml, source="network_update", domain=_ERR)
    handler = {4: _dhcp_host, 5: _dhcp_range, 7: _forward_interface, 9: _portgroup, 10: _dns_host,
               11: _dns_txt, 12: _dns_srv}[section]  # fmt: skip
    handler(root, name, command, index, item)
    return NetworkDef.from_xml(xmlcore.format(root))


def _expect(item: etree._Element, tag: str, name: str) -> None:
    if item.tag != tag:
        raise virt_error(
            ErrorNumber.XML_ERROR,
            f"unexpected element <{item.tag}>, expecting <{tag}>, while updating network '{name}'",
            domain=_ERR,
        )


def _insert(parent: etree._Element, tag: str, item: etree._Element, command: int) -> None:
    """Add ``item`` before the first (ADD_FIRST) or after the last (ADD_LAST) ``tag`` child."""
    same = parent.findall(tag)
    if same and command == ADD_FIRST:
        same[0].addprevious(item)
    elif same:
        same[-1].addnext(item)
    else:
        parent.append(item)


# -- ip/dhcp ----------------------------------------------------------------------------------------


def _ip_for(root: etree._Element, name: str, index: int, what: str) -> etree._Element:
    ips = root.findall("ip")
    if index >= 0:
        if index >= len(ips):
            raise _invalid(
                f"couldn't update {what} entry - no <ip> element found at index {index} in network '{name}'"
            )
        return ips[index]
    v4 = [ip for ip in ips if (ip.get("family") or "ipv4") == "ipv4" and ":" not in (ip.get("address") or "")]
    for ip in v4:
        if ip.find("dhcp") is not None:
            return ip
    if v4:
        return v4[0]
    raise _invalid(f"couldn't update {what} entry - no <ip family='ipv4'> element found in network '{name}'")


def _dhcp(ip: etree._Element) -> etree._Element:
    dhcp = ip.find("dhcp")
    if dhcp is None:
        dhcp = etree.SubElement(ip, "dhcp")
    return dhcp


def _same_ip(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def _dhcp_host(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "host", name)
    dhcp = _dhcp(_ip_for(root, name, index, "dhcp host"))
    mac = (item.get("mac") or "").lower() or None
    if mac:
        item.set("mac", mac)
    hname, ip = item.get("name"), item.get("ip")
    hosts = dhcp.findall("host")

    def matches_any(h: etree._Element) -> bool:
        return bool(
            (mac and (h.get("mac") or "").lower() == mac)
            or (hname and h.get("name") == hname)
            or _same_ip(ip, h.get("ip"))
        )

    if command in (ADD_FIRST, ADD_LAST):
        for h in hosts:
            if matches_any(h):
                raise _invalid(
                    f"there is an existing dhcp host entry in network '{name}' that matches "
                    f"\"<host mac='{mac or '(null)'}' name='{hname or '(null)'}' ip='{ip or '(null)'}'/>\""
                )
        _insert(dhcp, "host", item, command)
    elif command == MODIFY:
        for h in hosts:
            if (mac and (h.get("mac") or "").lower() == mac) or (not mac and hname and h.get("name") == hname):
                h.addprevious(item)
                dhcp.remove(h)
                return
        raise _invalid(f"couldn't locate an existing dhcp host entry with \"mac='{mac or ''}'\" in network '{name}'")
    else:
        for h in hosts:
            if (
                (not mac or (h.get("mac") or "").lower() == mac)
                and (not hname or h.get("name") == hname)
                and (not ip or _same_ip(ip, h.get("ip")))
            ):
                dhcp.remove(h)
                return
        raise _invalid(f"couldn't locate a matching dhcp host entry in network '{name}'")


def _dhcp_range(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "range", name)
    if command == MODIFY:
        raise _unsupported("dhcp ranges cannot be modified, only added or deleted")
    dhcp = _dhcp(_ip_for(root, name, index, "dhcp range"))
    start, end = item.get("start"), item.get("end")
    found = next(
        (r for r in dhcp.findall("range") if _same_ip(r.get("start"), start) and _same_ip(r.get("end"), end)), None
    )
    if command == DELETE:
        if found is None:
            raise _invalid(f"couldn't locate a matching dhcp range entry in network '{name}'")
        dhcp.remove(found)
        return
    if found is not None:
        raise _invalid(
            f"there is an existing dhcp range entry in network '{name}' that matches "
            f"\"<range start='{start}' end='{end}'/>\""
        )
    _insert(dhcp, "range", item, command)


# -- forward interfaces and port groups --------------------------------------------------------------


def _forward_interface(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "interface", name)
    if command == MODIFY:
        raise _unsupported("forward interface entries cannot be modified, only added or deleted")
    fwd = root.find("forward")
    if fwd is None:
        raise _invalid(f"can't add an <interface> element to network '{name}', which has no <forward> element")
    dev = item.get("dev")
    found = next((i for i in fwd.findall("interface") if i.get("dev") == dev), None)
    if command == DELETE:
        if found is None:
            raise _invalid(f"couldn't find an interface entry with dev='{dev}' in network '{name}'")
        fwd.remove(found)
        return
    if found is not None:
        raise _invalid(
            f"there is an existing interface entry in network '{name}' that matches \"<interface dev='{dev}'>\""
        )
    _insert(fwd, "interface", item, command)


def _portgroup(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "portgroup", name)
    pname = item.get("name")
    found = next((p for p in root.findall("portgroup") if p.get("name") == pname), None)
    if command in (MODIFY, DELETE) and found is None:
        raise _invalid(f"couldn't find a portgroup entry in network '{name}' matching <portgroup name='{pname}'>")
    if command in (ADD_FIRST, ADD_LAST) and found is not None:
        raise _invalid(f"there is an existing portgroup entry in network '{name}' that matches \"<portgroup name='{pname}'>\"")
    if item.get("default") == "yes" and command != DELETE:
        for p in root.findall("portgroup"):
            if p is not found and p.get("default") == "yes":
                raise _invalid(
                    f"a different portgroup entry in network '{name}' is already set as the default. "
                    "Only one default is allowed."
                )
    if command == DELETE:
        root.remove(found)  # type: ignore[arg-type]
    elif command == MODIFY:
        found.addprevious(item)  # type: ignore[union-attr]
        root.remove(found)  # type: ignore[arg-type]
    else:
        _insert(root, "portgroup", item, command)


# -- dns ----------------------------------------------------------------------------------------------


def _dns(root: etree._Element) -> etree._Element:
    dns = root.find("dns")
    if dns is None:
        dns = etree.SubElement(root, "dns")
    return dns


def _dns_host(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "host", name)
    if command == MODIFY:
        raise _unsupported("DNS HOST records cannot be modified, only added or deleted")
    dns = _dns(root)
    ip = item.get("ip")
    names = {h.text for h in item.findall("hostname")}
    hits = [
        h for h in dns.findall("host")
        if _same_ip(h.get("ip"), ip) or names & {x.text for x in h.findall("hostname")}
    ]  # fmt: skip
    if command == DELETE:
        if not hits:
            raise _invalid(f"couldn't locate a matching DNS HOST record in network {name}")
        if len(hits) > 1:
            raise _invalid(f"multiple matching DNS HOST records were found in network {name}")
        dns.remove(hits[0])
        return
    if hits:
        raise _invalid(f"there is already at least one DNS HOST record with a matching field in network {name}")
    _insert(dns, "host", item, command)


def _dns_txt(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "txt", name)
    if command == MODIFY:
        raise _unsupported("DNS TXT records cannot be modified, only added or deleted")
    dns = _dns(root)
    tname = item.get("name")
    found = next((t for t in dns.findall("txt") if t.get("name") == tname), None)
    if command == DELETE:
        if found is None:
            raise _invalid(f"couldn't locate a matching DNS TXT record in network {name}")
        dns.remove(found)
        return
    if found is not None:
        raise _invalid(f"there is already a DNS TXT record with name '{tname}' in network {name}")
    _insert(dns, "txt", item, command)


def _dns_srv(root: etree._Element, name: str, command: int, index: int, item: etree._Element) -> None:
    _expect(item, "srv", name)
    if command == MODIFY:
        raise _unsupported("DNS SRV records cannot be modified, only added or deleted")
    dns = _dns(root)
    keys = ("service", "protocol", "domain", "target", "port")
    hits = [s for s in dns.findall("srv") if all(item.get(k) is None or s.get(k) == item.get(k) for k in keys)]
    if command == DELETE:
        if not hits:
            raise _invalid(f"couldn't locate a matching DNS SRV record in network {name}")
        if len(hits) > 1:
            raise _invalid(f"multiple DNS SRV records matching all specified fields were found in network {name}")
        dns.remove(hits[0])
        return
    if hits:
        raise _invalid(f"there is already at least one DNS SRV record matching all specified fields in network {name}")
    _insert(dns, "srv", item, command)
